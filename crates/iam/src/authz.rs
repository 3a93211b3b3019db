//! Authorization: every request is decided by the policy engine before its operation runs.
//!
//! [`Authorized`] is the proof a request was allowed. Only [`authorize`] makes one, and
//! `ops::dispatch` requires it, so no operation can run unchecked (lldap's idea).
//!
//! What a request is checked against comes from the AWS Service Authorization Reference
//! (`data/aws-service-authorization.json.gz`): the action's resource type decides which
//! ARN the request names (always the principal or entity the request is about, never the
//! caller's own ARN unless it is about the caller), and the request and caller give the
//! condition keys' values.

use std::collections::HashMap;
use std::io::Read as _;
use std::net::IpAddr;
use std::sync::{Arc, LazyLock};

use castellan_api::{Operation, Request};
use castellan_policy::{Policy, PolicyKind, PolicySet, PrincipalType, RequestContext, RequestPrincipal};
use flate2::read::GzDecoder;

use crate::arn::role_by_arn;
use crate::error::{ApiError, ApiResult};
use crate::messages;
use crate::model::Tags;
use crate::ops::policies::resolve;
use crate::state::State;
use crate::session::SessionKind;
use crate::{Caller, Iam, Principal};

/// Proof that the policy engine allowed this request. Its field is private to this module.
#[derive(Debug)]
pub struct Authorized {
    /// When the request's own MFA code (STS SerialNumber and TokenCode) was verified.
    mfa_time: Option<i64>,
}

impl Authorized {
    /// The time of the MFA authentication this request carried and passed, if any.
    pub fn mfa_time(&self) -> Option<i64> {
        self.mfa_time
    }
}

/// What the edge knows about a request beyond its parameters.
#[derive(Debug, Clone, Default)]
pub struct RequestInfo {
    pub source_ip: Option<IpAddr>,
    pub secure_transport: bool,
    /// The region of the credential scope.
    pub region: String,
}

pub(crate) static SAR: &[u8] = include_bytes!("../../../data/aws-service-authorization.json.gz");

/// An action's entry in the Service Authorization Reference.
#[derive(Debug, Default)]
struct ActionSpec {
    /// The resource type the action is authorized against (`user`, `role`, …), if any.
    resource_type: Option<String>,
}

/// Each operation's entry in the reference, keyed by operation so a request looks it up
/// without building a string.
static ACTIONS: LazyLock<HashMap<Operation, ActionSpec>> = LazyLock::new(load_actions);

fn load_actions() -> HashMap<Operation, ActionSpec> {
    // Only IAM's and STS's actions are read into memory; the other services' are skipped as
    // they are parsed (a whole `serde_json::Value` of the reference held tens of MB at start).
    #[derive(serde::Deserialize)]
    struct Reference {
        iam: Option<ServiceActions>,
        sts: Option<ServiceActions>,
    }
    #[derive(serde::Deserialize)]
    struct ServiceActions {
        #[serde(default)]
        actions: HashMap<String, ActionRef>,
    }
    #[derive(serde::Deserialize)]
    struct ActionRef {
        #[serde(default)]
        resource_types: Vec<ResourceTypeRef>,
    }
    #[derive(serde::Deserialize)]
    struct ResourceTypeRef {
        #[serde(default)]
        resource_type: Option<String>,
    }
    let mut text = String::new();
    if GzDecoder::new(SAR).read_to_string(&mut text).is_err() {
        tracing::error!("the service authorization data is corrupt");
        return HashMap::new();
    }
    let Ok(all) = serde_json::from_str::<Reference>(&text) else { return HashMap::new() };
    drop(text);
    let mut by_name = HashMap::new();
    for (service, actions) in [("iam", all.iam), ("sts", all.sts)] {
        for (name, spec) in actions.map(|a| a.actions).unwrap_or_default() {
            let resource_type = spec.resource_types.into_iter().filter_map(|r| r.resource_type).find(|t| !t.is_empty());
            by_name.insert(format!("{service}:{}", name.to_lowercase()), ActionSpec { resource_type });
        }
    }
    Operation::ALL
        .iter()
        .filter_map(|&op| Some((op, by_name.remove(&op.iam_action().to_lowercase())?)))
        .collect()
}

/// Loads the reference data now rather than on the first request.
pub fn preload() {
    let _ = ACTIONS.len();
}

/// The resource a request is about: its ARN, the account that owns it and its tags.
struct Resource {
    arn: String,
    tags: Tags,
}

fn path_or_root(p: Option<&str>) -> &str {
    p.unwrap_or("/")
}

/// The resource `request` names, as the action's resource type says.
fn resource_of(st: &State, caller: &Caller, request: &Request, resource_type: Option<&str>) -> Resource {
    let account = caller.account.as_str();
    let member = |m: &str| request.member_str(m);
    let none = || Resource { arn: "*".into(), tags: Vec::new() };
    match request.operation() {
        // The simulator is authorized against the user, group or role it simulates, so a
        // Deny on that entity protects it (SAR: SimulatePrincipalPolicy's resource types).
        Operation::SimulatePrincipalPolicy | Operation::GetContextKeysForPrincipalPolicy => {
            if let Some(arn) = member("PolicySourceArn") {
                return entity_by_arn(st, arn);
            }
        }
        // About the key's owner, not the caller (GetAccessKeyLastUsed documentation: the
        // user the key belongs to is the resource), so a user learns nothing of others' keys.
        Operation::GetAccessKeyLastUsed => {
            // Another account's key is treated as unknown: its owner is not for this caller to learn.
            let owner = member("AccessKeyId").and_then(|id| st.access_keys.get(id)).filter(|k| k.account == account);
            return match owner {
                Some(k) => match k.user_id.as_deref().and_then(|id| st.user_by_id(id)) {
                    Some(u) => Resource { arn: crate::arn::user_arn(st.partition, &u.account, &u.path, &u.name), tags: u.tags.clone() },
                    None => Resource { arn: crate::arn::root_arn(st.partition, &k.account), tags: Vec::new() },
                },
                // An unknown key names no user: only a caller allowed on every user gets as
                // far as the operation's NoSuchEntity.
                None => Resource { arn: crate::arn::user_arn(st.partition, account, "/", "*"), tags: Vec::new() },
            };
        }
        // The role the service would get (CreateServiceLinkedRole: its ARN under the service's
        // path; iam:AWSServiceName in `context`).
        Operation::CreateServiceLinkedRole => {
            if let Some(spec) = member("AWSServiceName").and_then(|s| crate::ops::service_linked::SPECS.get(s)) {
                let name = match member("CustomSuffix") {
                    Some(suffix) => format!("{}_{suffix}", spec.role_name),
                    None => spec.role_name.clone(),
                };
                let path = format!("{}{}/", crate::ops::service_linked::PATH_PREFIX, spec.service_principal);
                return Resource { arn: crate::arn::role_arn(st.partition, account, &path, &name), tags: Vec::new() };
            }
        }
        _ => {}
    }
    match resource_type {
        Some("user") => {
            let name = match (member("UserName"), &caller.principal) {
                (Some(n), _) => n.to_owned(),
                (None, Principal::User { name, .. }) => name.clone(),
                (None, _) => return Resource { arn: caller.arn(), tags: Vec::new() },
            };
            match st.user(account, &name) {
                Some(u) => Resource { arn: crate::arn::user_arn(st.partition, account, &u.path, &u.name), tags: u.tags.clone() },
                None => Resource { arn: crate::arn::user_arn(st.partition, account, path_or_root(member("Path")), &name), tags: Vec::new() },
            }
        }
        Some("group") => match member("GroupName") {
            Some(name) => match st.group(account, name) {
                Some(g) => Resource { arn: crate::arn::group_arn(st.partition, account, &g.path, &g.name), tags: Vec::new() },
                None => Resource { arn: crate::arn::group_arn(st.partition, account, path_or_root(member("Path")), name), tags: Vec::new() },
            },
            None => none(),
        },
        Some("role") => {
            if let Some(arn) = member("RoleArn") {
                let tags = role_by_arn(st, arn).map(|r| r.tags.clone()).unwrap_or_default();
                return Resource { arn: arn.to_owned(), tags };
            }
            match member("RoleName") {
                Some(name) => match st.role(account, name) {
                    Some(r) => Resource { arn: crate::arn::role_arn(st.partition, account, &r.path, &r.name), tags: r.tags.clone() },
                    None => Resource { arn: crate::arn::role_arn(st.partition, account, path_or_root(member("Path")), name), tags: Vec::new() },
                },
                None => none(),
            }
        }
        Some("policy") => match (member("PolicyArn"), member("PolicyName")) {
            (Some(arn), _) => {
                let tags = match resolve(st, account, arn) {
                    Some(crate::ops::policies::PolicyRef::Local(p)) => p.tags.clone(),
                    _ => Vec::new(),
                };
                Resource { arn: arn.to_owned(), tags }
            }
            (None, Some(name)) => Resource {
                arn: format!("arn:{}:iam::{account}:policy{}{name}", st.partition.as_str(), path_or_root(member("Path"))),
                tags: Vec::new(),
            },
            _ => none(),
        },
        Some("instance-profile") => match member("InstanceProfileName") {
            Some(name) => match st.instance_profile(account, name) {
                Some(p) => Resource { arn: crate::arn::instance_profile_arn(st.partition, account, &p.path, &p.name), tags: p.tags.clone() },
                None => Resource {
                    arn: crate::arn::instance_profile_arn(st.partition, account, path_or_root(member("Path")), name),
                    tags: Vec::new(),
                },
            },
            None => none(),
        },
        Some("oidc-provider") => crate::ops::oidc::authz_resource(st, account, member("OpenIDConnectProviderArn"), member("Url"))
            .map_or_else(none, |(arn, tags)| Resource { arn, tags }),
        Some("server-certificate") => match member("ServerCertificateName") {
            Some(n) => match st.server_certificates.get(&crate::state::name_key(account, n)) {
                Some(c) => Resource { arn: c.arn(st.partition), tags: c.tags.clone() },
                None => Resource { arn: format!("arn:{}:iam::{account}:server-certificate{}{n}", st.partition.as_str(), path_or_root(member("Path"))), tags: Vec::new() },
            },
            None => none(),
        },
        Some("saml-provider") => crate::ops::saml::authz_resource(st, account, member("SAMLProviderArn"), member("Name"))
            .map_or_else(none, |(arn, tags)| Resource { arn, tags }),
        Some("federated-user") => member("Name").map_or_else(none, |n| Resource {
            arn: crate::arn::federated_user_arn(st.partition, account, n),
            tags: Vec::new(),
        }),
        Some("mfa") => match (member("SerialNumber"), member("VirtualMFADeviceName")) {
            (Some(serial), _) => {
                let tags = st.mfa_device(account, serial).map(|d| d.tags.clone()).unwrap_or_default();
                Resource { arn: serial.into(), tags }
            }
            (None, Some(n)) => Resource { arn: format!("arn:{}:iam::{account}:mfa{}{n}", st.partition.as_str(), path_or_root(member("Path"))), tags: Vec::new() },
            (None, None) => none(),
        },
        // Listings name the path they list (AWS: "… on resource: arn:aws:iam::ACCOUNT:user/").
        _ => match list_kind(request.operation()) {
            Some(kind) => Resource {
                arn: format!("arn:{}:iam::{account}:{kind}{}", st.partition.as_str(), path_or_root(member("PathPrefix"))),
                tags: Vec::new(),
            },
            None => none(),
        },
    }
}

/// The entity kind a List operation walks, for the resource its denial names.
fn list_kind(op: Operation) -> Option<&'static str> {
    Some(match op {
        Operation::ListUsers => "user",
        Operation::ListRoles => "role",
        Operation::ListGroups => "group",
        Operation::ListPolicies => "policy",
        Operation::ListInstanceProfiles => "instance-profile",
        _ => return None,
    })
}

/// The user, group or role an ARN names, with its tags (none if it does not exist).
fn entity_by_arn(st: &State, arn: &str) -> Resource {
    let tags = match crate::arn::EntityArn::parse(st.partition, arn) {
        Some(e) if e.kind == crate::arn::EntityKind::User => {
            st.user(e.account, e.name).filter(|u| u.path == e.path && u.name == e.name).map(|u| u.tags.clone())
        }
        Some(_) => role_by_arn(st, arn).map(|r| r.tags.clone()),
        None => None,
    };
    Resource { arn: arn.to_owned(), tags: tags.unwrap_or_default() }
}

/// What a request needs beyond its own action on its own resource, as AWS documents:
/// renaming or moving a user or group needs the permission on the new name and path too
/// (UpdateUser, UpdateGroup: "permissions on both the source object and the target object"),
/// and putting a role in an instance profile needs iam:PassRole on the role
/// (AddRoleToInstanceProfile: "must be granted the PassRole permission on the IAM role").
fn further_checks(st: &State, caller: &Caller, request: &Request) -> Vec<(&'static str, Resource)> {
    let account = caller.account.as_str();
    // The entity's new ARN: the new name and path, each defaulting to the current one.
    let renamed = |old: Option<(&str, &str)>, name: &str, new_name: Option<&str>, new_path: Option<&str>| {
        let path = new_path.or(old.map(|(path, _)| path)).unwrap_or("/");
        (path.to_owned(), new_name.unwrap_or(name).to_owned())
    };
    match request {
        Request::UpdateUser(r) if r.new_user_name.is_some() || r.new_path.is_some() => {
            let old = st.user(account, &r.user_name);
            let (path, name) = renamed(old.map(|u| (u.path.as_str(), u.name.as_str())), &r.user_name, r.new_user_name.as_deref(), r.new_path.as_deref());
            let tags = old.map(|u| u.tags.clone()).unwrap_or_default();
            vec![("iam:UpdateUser", Resource { arn: crate::arn::user_arn(st.partition, account, &path, &name), tags })]
        }
        Request::UpdateGroup(r) if r.new_group_name.is_some() || r.new_path.is_some() => {
            let old = st.group(account, &r.group_name);
            let (path, name) = renamed(old.map(|g| (g.path.as_str(), g.name.as_str())), &r.group_name, r.new_group_name.as_deref(), r.new_path.as_deref());
            vec![("iam:UpdateGroup", Resource { arn: crate::arn::group_arn(st.partition, account, &path, &name), tags: Vec::new() })]
        }
        Request::AddRoleToInstanceProfile(r) => {
            let resource = match st.role(account, &r.role_name) {
                Some(role) => Resource { arn: crate::arn::role_arn(st.partition, account, &role.path, &role.name), tags: role.tags.clone() },
                None => Resource { arn: crate::arn::role_arn(st.partition, account, "/", &r.role_name), tags: Vec::new() },
            };
            vec![("iam:PassRole", resource)]
        }
        _ => Vec::new(),
    }
}

/// Tags a request carries (aws:RequestTag/…, aws:TagKeys).
fn iam_tags(t: &[castellan_api::iam::Tag]) -> Vec<(&str, &str)> {
    t.iter().map(|t| (t.key.as_str(), t.value.as_str())).collect()
}

fn request_tags(request: &Request) -> Option<Vec<(&str, &str)>> {
    Some(match request {
        Request::CreateUser(r) => iam_tags(r.tags.as_deref()?),
        Request::CreateRole(r) => iam_tags(r.tags.as_deref()?),
        Request::CreatePolicy(r) => iam_tags(r.tags.as_deref()?),
        Request::CreateInstanceProfile(r) => iam_tags(r.tags.as_deref()?),
        Request::TagUser(r) => iam_tags(&r.tags),
        Request::TagRole(r) => iam_tags(&r.tags),
        Request::TagPolicy(r) => iam_tags(&r.tags),
        Request::TagInstanceProfile(r) => iam_tags(&r.tags),
        Request::CreateVirtualMFADevice(r) => iam_tags(r.tags.as_deref()?),
        Request::TagMFADevice(r) => iam_tags(&r.tags),
        Request::AssumeRole(r) => r.tags.as_deref()?.iter().map(|t| (t.key.as_str(), t.value.as_str())).collect(),
        Request::CreateOpenIDConnectProvider(r) => iam_tags(r.tags.as_deref()?),
        Request::GetWebIdentityToken(r) => r.tags.as_deref()?.iter().map(|t| (t.key.as_str(), t.value.as_str())).collect(),
        Request::TagOpenIDConnectProvider(r) => iam_tags(&r.tags),
        Request::CreateSAMLProvider(r) => iam_tags(r.tags.as_deref()?),
        Request::TagSAMLProvider(r) => iam_tags(&r.tags),
        _ => return None,
    })
}

/// The principal as the policy engine sees it: kind, ARN, ids and tags (a role session's
/// tags are the role's, overridden by the session's).
fn request_principal(st: &State, caller: &Caller) -> RequestPrincipal {
    let a = caller.account.clone();
    let mut p = match &caller.principal {
        Principal::Root => RequestPrincipal::new(PrincipalType::Root, caller.arn(), a.clone(), a),
        Principal::User { name, .. } => {
            let mut p = RequestPrincipal::new(PrincipalType::User, caller.arn(), caller.user_id(), a);
            p.name = Some(name.clone());
            p.tags = st.user(&caller.account, name).map(|u| u.tags.clone()).unwrap_or_default();
            p
        }
        Principal::AssumedRole { role_name, role_path, .. } => {
            let mut p = RequestPrincipal::new(PrincipalType::AssumedRole, caller.arn(), caller.user_id(), a.clone());
            p.role_arn = Some(crate::arn::role_arn(st.partition, &a, role_path, role_name));
            p.tags = st.role(&a, role_name).map(|r| r.tags.clone()).unwrap_or_default();
            p
        }
        Principal::FederatedUser { name } => {
            let mut p = RequestPrincipal::new(PrincipalType::FederatedUser, caller.arn(), caller.user_id(), a);
            p.name = Some(name.clone());
            p
        }
    };
    if let Some(session) = &caller.session {
        for (k, v) in &session.tags {
            match p.tags.iter_mut().find(|(tk, _)| tk.eq_ignore_ascii_case(k)) {
                Some(slot) => *slot = (k.clone(), v.clone()),
                None => p.tags.push((k.clone(), v.clone())),
            }
        }
    }
    p
}

/// The request context for `action`: principal, resource and condition keys.
fn context(iam: &Iam, st: &State, caller: &Caller, info: &RequestInfo, request: &Request, action: &str) -> RequestContext {
    let spec = ACTIONS.get(&request.operation());
    let resource = resource_of(st, caller, request, spec.and_then(|s| s.resource_type.as_deref()));
    context_on(iam, st, caller, info, request, action, resource)
}

/// The request context for `action` on `resource`.
fn context_on(
    iam: &Iam,
    st: &State,
    caller: &Caller,
    info: &RequestInfo,
    request: &Request,
    action: &str,
    resource: Resource,
) -> RequestContext {
    // The account that owns the resource: for a role named by ARN, the role's account.
    let resource_account = resource
        .arn
        .strip_prefix(st.partition.iam_prefix())
        .and_then(|r| r.split(':').next())
        .filter(|a| !a.is_empty() && *a != "aws")
        .unwrap_or(&caller.account)
        .to_owned();
    let mut ctx = RequestContext::new(request_principal(st, caller), action, resource.arn)
        .with_resource_account(resource_account)
        .with_time(iam.now().saturating_mul(1000));
    if let Some(session) = &caller.session {
        ctx.set("aws:TokenIssueTime", vec![castellan_api::Timestamp::from_unix_seconds(session.issued).to_aws_string()]);
        ctx.set("aws:MultiFactorAuthPresent", vec![session.mfa.to_string()]);
        // Present only when MFA was used (IAM User Guide, global condition context keys).
        if let Some(t) = session.mfa_time.filter(|_| session.mfa) {
            ctx.set("aws:MultiFactorAuthAge", vec![iam.now().saturating_sub(t).max(0).to_string()]);
        }
        if let Some(si) = &session.source_identity {
            ctx.set("aws:SourceIdentity", vec![si.clone()]);
        }
        if let Some(fp) = &session.federated_provider {
            ctx.set("aws:FederatedProvider", vec![fp.clone()]);
        }
        for (k, v) in &session.service_context {
            ctx.set(k, vec![v.clone()]);
        }
    }
    if let Request::AssumeRole(r) = request {
        ctx.set("sts:RoleSessionName", vec![r.role_session_name.clone()]);
        if let Some(e) = &r.external_id {
            ctx.set("sts:ExternalId", vec![e.clone()]);
        }
        if let Some(keys) = &r.transitive_tag_keys {
            ctx.set("sts:TransitiveTagKeys", keys.clone());
        }
        if let Some(si) = &r.source_identity {
            ctx.set("sts:SourceIdentity", vec![si.clone()]);
        }
    }
    if let Request::GetWebIdentityToken(r) = request {
        // Service Authorization Reference, sts:GetWebIdentityToken's condition keys.
        ctx.set("sts:IdentityTokenAudience", r.audience.clone());
        ctx.set("sts:DurationSeconds", vec![r.duration_seconds.unwrap_or(300).to_string()]);
        ctx.set("sts:SigningAlgorithm", vec![r.signing_algorithm.clone()]);
    }
    set_request_info(&mut ctx, info);
    for (k, v) in &resource.tags {
        ctx.set(&format!("aws:ResourceTag/{k}"), vec![v.clone()]);
        ctx.set(&format!("iam:ResourceTag/{k}"), vec![v.clone()]);
    }
    let mut tag_keys: Vec<String> = Vec::new();
    if let Some(tags) = request_tags(request) {
        for (k, v) in tags {
            ctx.set(&format!("aws:RequestTag/{k}"), vec![v.to_owned()]);
            tag_keys.push(k.to_owned());
        }
    }
    if let Some(keys) = request.member_strs("TagKeys") {
        tag_keys.extend(keys.iter().cloned());
    }
    if !tag_keys.is_empty() {
        ctx.set("aws:TagKeys", tag_keys);
    }
    if let Some(b) = request.member_str("PermissionsBoundary") {
        ctx.set("iam:PermissionsBoundary", vec![b.to_owned()]);
    }
    if let Request::CreateServiceLinkedRole(r) = request {
        ctx.set("iam:AWSServiceName", vec![r.aws_service_name.clone()]);
    }
    if let Some(p) = request.member_str("PolicyArn") {
        ctx.set("iam:PolicyARN", vec![p.to_owned()]);
    }
    if action == "iam:PassRole" {
        // A role in an instance profile is passed to EC2.
        ctx.set("iam:PassedToService", vec!["ec2.amazonaws.com".to_owned()]);
    }
    ctx
}

/// The condition keys the edge knows: aws:SecureTransport, aws:SourceIp, aws:RequestedRegion.
fn set_request_info(ctx: &mut RequestContext, info: &RequestInfo) {
    ctx.set("aws:SecureTransport", vec![info.secure_transport.to_string()]);
    if let Some(ip) = info.source_ip {
        ctx.set("aws:SourceIp", vec![ip.to_string()]);
    }
    if !info.region.is_empty() {
        ctx.set("aws:RequestedRegion", vec![info.region.clone()]);
    }
}

/// Adds an entity's inline and attached policies as identity-based policies (`owner` names
/// the entity in the inline policies' ids). `None` when one cannot be compiled.
fn add_identity_policies(
    set: &mut PolicySet,
    st: &State,
    account: &str,
    owner: &str,
    inline: &crate::model::InlinePolicies,
    attached: &[String],
) -> Option<()> {
    for p in inline.values() {
        set.add(format!("{owner}:inline/{}", p.name), Policy::parse(&p.document, PolicyKind::Identity).ok()?);
    }
    for arn in attached {
        add_managed(set, st, account, arn, PolicyKind::Identity)?;
    }
    Some(())
}

/// Adds the managed policy `arn` as a policy of `kind`.
fn add_managed(set: &mut PolicySet, st: &State, account: &str, arn: &str, kind: PolicyKind) -> Option<()> {
    let p = resolve(st, account, arn)?;
    set.add(arn.to_owned(), Policy::parse(p.default_document(), kind).ok()?);
    Some(())
}

/// A user's effective policies: its own inline and attached ones, its groups', and its
/// permissions boundary. `None` when a document cannot be compiled: a policy that cannot be
/// read might have denied, so nothing is allowed (fail closed).
fn user_policy_set(st: &State, account: &str, user_name: &str) -> Option<PolicySet> {
    let user = st.user(account, user_name)?;
    let mut set = PolicySet::new();
    add_identity_policies(&mut set, st, account, &user.name, &user.inline_policies, &user.attached_policies)?;
    for g in &user.groups {
        let group = st.group(account, g)?;
        add_identity_policies(&mut set, st, account, &group.name, &group.inline_policies, &group.attached_policies)?;
    }
    if let Some(b) = &user.permissions_boundary {
        add_managed(&mut set, st, account, b, PolicyKind::PermissionsBoundary)?;
    }
    Some(set)
}

/// The AWS managed policy (`arn:PARTITION:iam::aws:policy/…`) a request would change.
fn aws_managed_policy_change(request: &Request) -> Option<&str> {
    let arn = match request {
        Request::CreatePolicyVersion(r) => &r.policy_arn,
        Request::DeletePolicyVersion(r) => &r.policy_arn,
        Request::SetDefaultPolicyVersion(r) => &r.policy_arn,
        Request::DeletePolicy(r) => &r.policy_arn,
        Request::TagPolicy(r) => &r.policy_arn,
        Request::UntagPolicy(r) => &r.policy_arn,
        _ => return None,
    };
    let mut parts = arn.splitn(6, ':');
    let aws_owned = parts.next() == Some("arn")
        && parts.nth(1) == Some("iam")
        && parts.nth(1) == Some("aws")
        && parts.next().is_some_and(|r| r.starts_with("policy/"));
    aws_owned.then_some(arn.as_str())
}

/// How IAM's AccessDenied names the resource of one of its own operations. An existing user,
/// role or group is `TYPE NAME` and an existing managed policy `policy ARN`; a resource that
/// does not exist yet (CreateUser, CreateRole…) keeps its ARN, and so do listings
/// (`…:user/`), other entities, STS and iam:PassRole. As seen from AWS:
/// - "iam:GetUser on resource: user dev_user1 because no identity-based policy allows the
///   iam:GetUser action" (a terraform report), "iam:GetLoginProfile on resource: user vault"
///   (rebuy-de/aws-nuke issue #294);
/// - "iam:GetRole on resource: role cdk-hnb659fds-file-publishing-role-… because no
///   identity-based policy allows the iam:GetRole action" (aws/aws-cdk issue #27067);
/// - "iam:DeletePolicyVersion on resource: policy
///   arn:aws:iam::866996500832:policy/Route53TerraformDeploy" (cds-snc/dns pull request #523);
/// - "iam:CreateUser on resource: arn:aws:iam::731872836472:user/test because no
///   identity-based policy allows the iam:CreateUser action" (many reports).
///
/// The rule "named when it exists" is inferred from those; groups follow users and roles
/// (not confirmed).
fn resource_label<'a>(st: &State, request: &Request, arn: &'a str) -> std::borrow::Cow<'a, str> {
    use std::borrow::Cow;
    if request.operation().service() != castellan_api::Service::Iam {
        return Cow::Borrowed(arn);
    }
    let mut parts = arn.splitn(6, ':');
    let account = parts.nth(4).unwrap_or_default();
    let Some(resource) = parts.next() else { return Cow::Borrowed(arn) };
    let (kind, rest) = resource.split_once('/').unwrap_or((resource, ""));
    let name = rest.rsplit('/').next().unwrap_or_default();
    let exists = !name.is_empty()
        && match kind {
            "user" => st.user(account, name).is_some(),
            "role" => st.role(account, name).is_some(),
            "group" => st.group(account, name).is_some(),
            "policy" => resolve(st, account, arn).is_some(),
            _ => false,
        };
    match kind {
        _ if !exists => Cow::Borrowed(arn),
        "policy" => Cow::Owned(format!("policy {arn}")),
        _ => Cow::Owned(format!("{kind} {name}")),
    }
}

fn denied(caller: &Caller, action: &str, resource: &str) -> ApiError {
    messages::not_authorized(&caller.arn(), action, resource)
}

/// A role's permissions: its inline and attached policies and its boundary.
fn role_policy_set(st: &State, account: &str, role_name: &str) -> Option<PolicySet> {
    let role = st.role(account, role_name)?;
    let mut set = PolicySet::new();
    add_identity_policies(&mut set, st, account, &role.name, &role.inline_policies, &role.attached_policies)?;
    if let Some(b) = &role.permissions_boundary {
        add_managed(&mut set, st, account, b, PolicyKind::PermissionsBoundary)?;
    }
    Some(set)
}

/// Everything that allows or caps what the caller may do; `None` when something cannot be
/// compiled or no longer exists (then nothing is allowed).
fn caller_policy_set(iam: &Iam, st: &State, caller: &Caller) -> Option<Arc<PolicySet>> {
    let account = caller.account.as_str();
    let base = match (&caller.principal, caller.session.as_deref().map(|s| &s.kind)) {
        (Principal::User { name, .. }, _) => iam.cached_policy_set(account, &format!("user/{name}"), || user_policy_set(st, account, name))?,
        (Principal::AssumedRole { role_name, role_id, .. }, _) => {
            // A role deleted (or deleted and created again) since the session began grants nothing.
            if st.role(account, role_name).is_none_or(|r| r.id != *role_id) {
                return None;
            }
            iam.cached_policy_set(account, &format!("role/{role_name}"), || role_policy_set(st, account, role_name))?
        }
        (Principal::FederatedUser { .. }, Some(SessionKind::FederatedUser { creator: Some(_), creator_id, .. })) => {
            // The user who asked for the token, by unique id: a later user of the same name
            // lends the session nothing.
            let user = st.user_by_id(creator_id.as_deref()?).filter(|u| u.account == account)?;
            let name = user.name.clone();
            iam.cached_policy_set(account, &format!("user/{name}"), || user_policy_set(st, account, &name))?
        }
        (Principal::FederatedUser { .. }, _) | (Principal::Root, _) => Arc::new(allow_all()),
    };
    let Some(session) = caller.session.as_deref() else { return Some(base) };
    let federated = matches!(session.kind, SessionKind::FederatedUser { .. });
    if session.policies.is_empty() && session.policy_arns.is_empty() && !federated {
        return Some(base);
    }
    // Session policies cap the session: a federated user without one may do nothing.
    let mut set = (*base).clone().with_session();
    for (i, text) in session.policies.iter().enumerate() {
        set.add(format!("session-policy-{i}"), Policy::parse(text, PolicyKind::Session).ok()?);
    }
    for arn in &session.policy_arns {
        add_managed(&mut set, st, account, arn, PolicyKind::Session)?;
    }
    Some(Arc::new(set))
}

/// The root user's identity side: everything in its account.
fn allow_all() -> PolicySet {
    let mut set = PolicySet::new();
    if let Ok(p) = Policy::parse(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#, PolicyKind::Identity) {
        set.add("root", p);
    }
    set
}

/// `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE` with a partition, a service and a resource
/// (the cases AWS refuses as "… is invalid": LocalStack's tests/aws/services/sts/test_sts.snapshot.json).
fn well_formed_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    matches!(parts.as_slice(), ["arn", partition, service, _, _, resource]
        if !partition.is_empty() && !service.is_empty() && !resource.is_empty())
}

/// Decides `request`. The root user may do everything in its own account; anyone else is
/// held to their policies. AssumeRole is decided with the role's trust policy as the
/// resource-based policy (AWS's same- and cross-account rules), plus sts:TagSession and
/// sts:SetSourceIdentity when the request carries tags or a source identity.
pub fn authorize(iam: &Iam, caller: &Caller, info: &RequestInfo, request: &Request) -> ApiResult<Authorized> {
    let op = request.operation();
    // AWS validates the RoleArn before it authorizes anything.
    if let Request::AssumeRole(r) = request {
        if !well_formed_arn(&r.role_arn) {
            return Err(messages::sts_arn_invalid(&r.role_arn));
        }
    }
    let ok = || Ok(Authorized { mfa_time: None });
    // No permission is needed to ask who you are (GetCallerIdentity documentation).
    if op == Operation::GetCallerIdentity {
        return ok();
    }
    // IAM's own rule above the engine: AWS managed policies belong to AWS's account, so no
    // policy of the caller's can let anyone change them, not an administrator, not the
    // root user (IAM User Guide, "AWS managed policies": "You cannot change the permissions
    // defined in AWS managed policies").
    if let Some(arn) = aws_managed_policy_change(request) {
        return Err(denied(caller, op.iam_action(), arn));
    }
    // Temporary credentials that IAM does not accept at all: GetFederationToken's ("You cannot
    // call any IAM operations using the AWS CLI or the AWS API") and GetSessionToken's
    // without MFA ("You cannot call any IAM API operations unless MFA authentication
    // information is included"). AWS answers such a call as for a token it does not know
    // (InvalidClientTokenId, as seen from AWS in aws-vault issue #328).
    let kind = caller.session.as_deref().map(|s| &s.kind);
    let mfa = caller.session.as_deref().is_some_and(|s| s.mfa || s.console);
    let iam_refuses = match kind {
        Some(SessionKind::FederatedUser { .. }) => true,
        Some(SessionKind::SessionToken { .. }) => !mfa,
        _ => false,
    };
    if iam_refuses && op.service() == castellan_api::Service::Iam {
        return Err(messages::iam_security_token_invalid());
    }
    // Of STS, GetFederationToken credentials may call only GetCallerIdentity, GetSessionToken
    // credentials also AssumeRole (their documentation); GetSessionToken and
    // GetFederationToken themselves refuse any session with their own message.
    let sts_allowed = match kind {
        Some(SessionKind::FederatedUser { .. }) => false,
        Some(SessionKind::SessionToken { .. }) => op == Operation::AssumeRole,
        _ => true,
    };
    if !sts_allowed
        && op.service() == castellan_api::Service::Sts
        && !matches!(op, Operation::GetSessionToken | Operation::GetFederationToken)
    {
        return Err(messages::temporary_credentials_refused(&caller.arn(), op.iam_action()));
    }
    // No permission is needed to ask for a session token (GetSessionToken documentation);
    // an MFA code it carries must be the caller's and good.
    if let Request::GetSessionToken(r) = request {
        let mfa_time = if caller.session.is_none() {
            crate::mfa::verify_for_sts(iam, caller, r.serial_number.as_deref(), r.token_code.as_deref())?
        } else {
            None // refused by the operation itself, with AWS's message
        };
        return Ok(Authorized { mfa_time });
    }
    // GetFederationToken refuses every session caller itself, with AWS's own message.
    if op == Operation::GetFederationToken && caller.session.is_some() {
        return ok();
    }
    if let Request::AssumeRole(r) = request {
        if matches!(caller.principal, Principal::Root) {
            return Err(messages::root_cannot_assume_roles());
        }
        // The MFA code is checked (and used up) first: the trust policy sees its outcome.
        let mfa_time = crate::mfa::verify_for_sts(iam, caller, r.serial_number.as_deref(), r.token_code.as_deref())?;
        let st = iam.read();
        // The caller's policies with the role's trust policy, compiled once per state
        // generation for this caller (its access key) and role.
        let key = format!("assume/{}/{}", caller.access_key_id, r.role_arn);
        let set = iam.cached_policy_set(&caller.account, &key, || {
            let base = caller_policy_set(iam, &st, caller)?;
            let role = role_by_arn(&st, &r.role_arn)?;
            // Users and roles in the trust policy are matched by the unique ids they had
            // when it was saved, never by a name someone can re-create.
            let trust = Policy::parse(&role.assume_role_policy, PolicyKind::Trust).ok()?;
            let trust = crate::arn::with_resolved_principals(st.partition, trust, role.principal_ids.as_ref()?);
            let mut set = (*base).clone();
            set.add(format!("{}:trust", r.role_arn), trust);
            Some(set)
        });
        let Some(set) = set else { return Err(denied(caller, "sts:AssumeRole", &r.role_arn)) };
        let mut actions = vec!["sts:AssumeRole"];
        if r.tags.as_ref().is_some_and(|t| !t.is_empty()) {
            actions.push("sts:TagSession");
        }
        if r.source_identity.is_some() {
            actions.push("sts:SetSourceIdentity");
        }
        for action in actions {
            let mut ctx = context(iam, &st, caller, info, request, action);
            if mfa_time.is_some() {
                ctx.set("aws:MultiFactorAuthPresent", vec!["true".to_owned()]);
                ctx.set("aws:MultiFactorAuthAge", vec!["0".to_owned()]);
            }
            let evaluation = set.evaluate(&ctx);
            if !evaluation.is_allowed() {
                return Err(ApiError::AccessDenied(evaluation.access_denied_message(&ctx).unwrap_or_default()));
            }
        }
        return Ok(Authorized { mfa_time });
    }
    // The root user of the account, with its long-term keys, may do anything in it.
    if matches!(caller.principal, Principal::Root) && caller.session.is_none() {
        return ok();
    }
    let st = iam.read();
    let ctx = context(iam, &st, caller, info, request, op.iam_action());
    // Only a refusal needs the resource's name, so an allowed request never looks it up.
    let label = || resource_label(&st, request, ctx.resource());
    let Some(set) = caller_policy_set(iam, &st, caller) else {
        return Err(denied(caller, op.iam_action(), &label()));
    };
    let evaluation = set.evaluate(&ctx);
    if !evaluation.is_allowed() {
        return Err(ApiError::AccessDenied(evaluation.access_denied_message_on(&ctx, &label()).unwrap_or_default()));
    }
    for (action, resource) in further_checks(&st, caller, request) {
        let ctx = context_on(iam, &st, caller, info, request, action, resource);
        let evaluation = set.evaluate(&ctx);
        if !evaluation.is_allowed() {
            return Err(ApiError::AccessDenied(evaluation.access_denied_message(&ctx).unwrap_or_default()));
        }
    }
    ok()
}

/// What a verified web identity token brings to the evaluation of the role's trust policy.
#[derive(Debug)]
pub struct WebIdentity<'a> {
    pub provider_arn: &'a str,
    /// The provider's URL without `https://`: the prefix of its condition keys.
    pub provider_key: &'a str,
    pub role: &'a crate::model::Role,
    pub session_name: &'a str,
    /// The token's audience that is one of the provider's client ids.
    pub audience: &'a str,
    /// The token's other audiences.
    pub other_audiences: Vec<String>,
    pub subject: &'a str,
    pub amr: Vec<String>,
    pub tags: &'a [(String, String)],
    pub transitive_tag_keys: &'a [String],
    pub source_identity: Option<&'a str>,
}

/// Decides AssumeRoleWithWebIdentity: the role's trust policy alone (a web identity has no
/// identity-based policies), with the provider's ARN as the `Federated` principal and AWS's
/// condition keys for OIDC federation (IAM User Guide, "Available keys for AWS OIDC
/// federation": `<provider>:aud`, `:sub`, `:amr`, `:oaud`; `aws:FederatedProvider`;
/// `sts:RoleSessionName`), plus sts:TagSession for session tags from the token and
/// sts:SetSourceIdentity for its source identity.
pub fn authorize_web_identity(iam: &Iam, info: &RequestInfo, w: &WebIdentity<'_>) -> ApiResult<Authorized> {
    let federated = Federated {
        action: "sts:AssumeRoleWithWebIdentity",
        principal_type: PrincipalType::WebIdentity,
        provider_arn: w.provider_arn,
        role: w.role,
        session_name: w.session_name,
        tags: w.tags,
        transitive_tag_keys: w.transitive_tag_keys,
        source_identity: w.source_identity,
    };
    authorize_federated(iam, info, &federated, |ctx| {
        let key = |k: &str| format!("{}:{k}", w.provider_key);
        ctx.set(&key("aud"), vec![w.audience.to_owned()]);
        ctx.set(&key("sub"), vec![w.subject.to_owned()]);
        if !w.amr.is_empty() {
            ctx.set(&key("amr"), w.amr.clone());
        }
        if !w.other_audiences.is_empty() {
            ctx.set(&key("oaud"), w.other_audiences.clone());
        }
    })
}

/// Decides AssumeRoleWithSAML: the role's trust policy alone, with the SAML provider's ARN as
/// the `Federated` principal and the `saml:` condition keys the caller computed from the
/// verified assertion (IAM User Guide, "Available keys for SAML-based AWS STS federation"),
/// plus sts:TagSession and sts:SetSourceIdentity when the assertion asks for them.
pub fn authorize_saml(
    iam: &Iam,
    info: &RequestInfo,
    federated: &Federated<'_>,
    saml_keys: &[(String, Vec<String>)],
) -> ApiResult<Authorized> {
    authorize_federated(iam, info, federated, |ctx| {
        for (k, v) in saml_keys {
            ctx.set(k, v.clone());
        }
    })
}

/// What any federated AssumeRole* brings to the evaluation of the role's trust policy.
#[derive(Debug)]
pub struct Federated<'a> {
    /// `sts:AssumeRoleWithWebIdentity` or `sts:AssumeRoleWithSAML`.
    pub action: &'static str,
    pub principal_type: PrincipalType,
    pub provider_arn: &'a str,
    pub role: &'a crate::model::Role,
    pub session_name: &'a str,
    pub tags: &'a [(String, String)],
    pub transitive_tag_keys: &'a [String],
    pub source_identity: Option<&'a str>,
}

fn authorize_federated(iam: &Iam, info: &RequestInfo, f: &Federated<'_>, provider_keys: impl Fn(&mut RequestContext)) -> ApiResult<Authorized> {
    let denied = || messages::federated_not_authorized(f.action);
    let role = f.role;
    let trust = Policy::parse(&role.assume_role_policy, PolicyKind::Trust).map_err(|_| denied())?;
    let trust = crate::arn::with_resolved_principals(iam.partition(), trust, role.principal_ids.as_ref().ok_or_else(denied)?);
    let role_arn = crate::arn::role_arn(iam.partition(), &role.account, &role.path, &role.name);
    let mut set = PolicySet::new();
    set.add(format!("{role_arn}:trust"), trust);
    let mut actions = vec![f.action];
    if !f.tags.is_empty() {
        actions.push("sts:TagSession");
    }
    if f.source_identity.is_some() {
        actions.push("sts:SetSourceIdentity");
    }
    for action in actions {
        let principal = RequestPrincipal::new(f.principal_type, f.provider_arn, "", role.account.clone());
        let mut ctx = RequestContext::new(principal, action, role_arn.clone())
            .with_resource_account(role.account.clone())
            .with_time(iam.now().saturating_mul(1000));
        provider_keys(&mut ctx);
        ctx.set("aws:FederatedProvider", vec![f.provider_arn.to_owned()]);
        ctx.set("sts:RoleSessionName", vec![f.session_name.to_owned()]);
        if let Some(si) = f.source_identity {
            ctx.set("sts:SourceIdentity", vec![si.to_owned()]);
        }
        if !f.tags.is_empty() {
            for (k, v) in f.tags {
                ctx.set(&format!("aws:RequestTag/{k}"), vec![v.clone()]);
            }
            ctx.set("aws:TagKeys", f.tags.iter().map(|(k, _)| k.clone()).collect());
        }
        if !f.transitive_tag_keys.is_empty() {
            ctx.set("sts:TransitiveTagKeys", f.transitive_tag_keys.to_vec());
        }
        set_request_info(&mut ctx, info);
        for (k, v) in &role.tags {
            ctx.set(&format!("aws:ResourceTag/{k}"), vec![v.clone()]);
        }
        if !set.evaluate(&ctx).is_allowed() {
            return Err(denied());
        }
    }
    Ok(Authorized { mfa_time: None })
}

// Workloads (`workload.rs`): a role handed to an instance or a task.

/// Binding `role` to a workload passes it to `service` (RunInstances, RunTask): the caller
/// needs iam:PassRole on it, with iam:PassedToService naming the service. The root user
/// with its long-term keys may, as for every other action in its account.
pub fn authorize_pass_role(iam: &Iam, caller: &Caller, info: &RequestInfo, role: &crate::model::Role, service: &str) -> ApiResult<()> {
    if matches!(caller.principal, Principal::Root) && caller.session.is_none() {
        return Ok(());
    }
    let st = iam.read();
    let resource = Resource { arn: crate::arn::role_arn(st.partition, &role.account, &role.path, &role.name), tags: role.tags.clone() };
    let arn = resource.arn.clone();
    let request = Request::GetRole(castellan_api::iam::GetRoleRequest { role_name: role.name.clone() });
    let mut ctx = context_on(iam, &st, caller, info, &request, "iam:PassRole", resource);
    ctx.set("iam:PassedToService", vec![service.to_owned()]);
    let Some(set) = caller_policy_set(iam, &st, caller) else { return Err(denied(caller, "iam:PassRole", &arn)) };
    let evaluation = set.evaluate(&ctx);
    if !evaluation.is_allowed() {
        return Err(ApiError::AccessDenied(evaluation.access_denied_message(&ctx).unwrap_or_default()));
    }
    Ok(())
}

/// Does `role`'s trust policy let the AWS service `service` (`ec2.amazonaws.com`) call
/// sts:AssumeRole, with the condition keys the service sends (`keys`)? Fails closed: a trust
/// policy that does not compile allows nothing.
pub fn service_may_assume(iam: &Iam, role: &crate::model::Role, service: &str, keys: &[(&str, String)]) -> bool {
    let Ok(trust) = Policy::parse(&role.assume_role_policy, PolicyKind::Trust) else { return false };
    let Some(ids) = role.principal_ids.as_ref() else { return false };
    let mut set = PolicySet::new();
    set.add("trust", crate::arn::with_resolved_principals(iam.partition(), trust, ids));
    let principal = RequestPrincipal::new(PrincipalType::Service, service, service, "");
    let mut ctx = RequestContext::new(principal, "sts:AssumeRole", crate::arn::role_arn(iam.partition(), &role.account, &role.path, &role.name))
        .with_resource_account(role.account.clone())
        .with_time(iam.now().saturating_mul(1000));
    for (k, v) in keys {
        ctx.set(k, vec![v.clone()]);
    }
    set.evaluate(&ctx).is_allowed()
}

/// How many compiled policy sets a node keeps at most.
const POLICY_CACHE_ENTRIES: usize = 10_000;

/// A principal's compiled policies (`None`: one would not compile) and the state generation
/// they were built from.
type CachedSet = (u64, Option<Arc<PolicySet>>);

/// Compiled policy sets per (account, lowercase principal name), valid for one generation.
#[derive(Debug, Default)]
pub struct PolicyCache {
    entries: std::sync::Mutex<HashMap<(String, String), CachedSet>>,
}

impl Iam {
    /// The compiled policy set of a principal (`user/NAME`, `role/NAME`), built by `build`
    /// when the state changed since.
    fn cached_policy_set(&self, account: &str, principal: &str, build: impl FnOnce() -> Option<PolicySet>) -> Option<Arc<PolicySet>> {
        let generation = self.generation();
        let key = (account.to_owned(), principal.to_lowercase());
        {
            let entries = self.policy_cache.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some((g, set)) = entries.get(&key) {
                if *g == generation {
                    return set.clone();
                }
            }
        }
        let set = build().map(Arc::new);
        let mut entries = self.policy_cache.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Bounded: a new generation starts a new cache, and so does a full one.
        entries.retain(|_, (g, _)| *g == generation);
        if entries.len() >= POLICY_CACHE_ENTRIES {
            entries.clear();
        }
        entries.insert(key, (generation, set.clone()));
        set
    }
}

// --- Actions of other services served beside IAM and STS (issue 16: CloudTrail's
// LookupEvents on the same endpoint) ---

/// Decides `action` (e.g. `cloudtrail:LookupEvents`) on `resource` for the caller with its
/// identity policies, as any non-IAM action is decided: the root user with its long-term keys
/// may; anyone else needs an Allow and no Deny. The context is the request's (principal,
/// time, session, transport, source IP, region), with no IAM request members.
pub fn authorize_action(iam: &Iam, caller: &Caller, info: &RequestInfo, action: &str, resource: &str) -> ApiResult<()> {
    if matches!(caller.principal, Principal::Root) && caller.session.is_none() {
        return Ok(());
    }
    let st = iam.read();
    // A request with no members: the context gets only what every request has.
    let none = Request::GetCallerIdentity(castellan_api::sts::GetCallerIdentityRequest::default());
    let ctx = context_on(iam, &st, caller, info, &none, action, Resource { arn: resource.to_owned(), tags: Tags::default() });
    let Some(set) = caller_policy_set(iam, &st, caller) else {
        return Err(denied(caller, action, resource));
    };
    let evaluation = set.evaluate(&ctx);
    if evaluation.is_allowed() {
        Ok(())
    } else {
        Err(ApiError::AccessDenied(evaluation.access_denied_message(&ctx).unwrap_or_default()))
    }
}
