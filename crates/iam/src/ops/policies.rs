//! Managed policies: customer managed ones (with versions and tags) and the AWS managed ones
//! every account sees; attachment to users, groups and roles.

use castellan_api::iam;

use super::{no_such_group, no_such_role, no_such_user, path_matches, tags_in, tags_out, ts, url_encode};
use crate::error::ApiResult;
use crate::ids::{unique_id, IdPrefix};
use crate::managed::{aws_managed, AwsManagedPolicy};
use crate::messages::{self, policy_not_attachable as not_attachable, policy_not_found as not_found};
use crate::messages::policy_version_not_found as no_such_version;
use crate::model::{Change, ManagedPolicy, PolicyVersion, Record};
use crate::paginate::{decode_marker, encode_marker, max_items, page_slice};
use crate::state::{name_key, State};
use crate::validate::{managed_policy_document, merge_tags, quota, remove_policy_tags};
use crate::Iam;

/// A managed policy found by ARN.
#[derive(Debug, Clone, Copy)]
pub enum PolicyRef<'a> {
    Aws(&'a AwsManagedPolicy),
    Local(&'a ManagedPolicy),
}

impl PolicyRef<'_> {
    pub fn arn(&self, partition: crate::arn::Partition) -> String {
        match self {
            Self::Aws(p) => p.arn.clone(),
            Self::Local(p) => p.arn(partition),
        }
    }
    pub fn name(&self) -> &str {
        match self {
            Self::Aws(p) => &p.name,
            Self::Local(p) => &p.name,
        }
    }
    pub fn path(&self) -> &str {
        match self {
            Self::Aws(p) => &p.path,
            Self::Local(p) => &p.path,
        }
    }
    pub fn default_document(&self) -> &str {
        match self {
            Self::Aws(p) => &p.document,
            Self::Local(p) => p.default_document(),
        }
    }
}

/// Finds the managed policy `arn` names, as seen from `account`.
pub fn resolve<'a>(st: &'a State, account: &str, arn: &str) -> Option<PolicyRef<'a>> {
    if let Some(p) = aws_managed(st.partition).get(arn) {
        return Some(PolicyRef::Aws(p));
    }
    let rest = arn.strip_prefix(st.partition.iam_prefix())?;
    let (acct, resource) = rest.split_once(':')?;
    let path_and_name = resource.strip_prefix("policy")?;
    let name = path_and_name.rsplit('/').next()?;
    if acct != account {
        return None;
    }
    let p = st.policies.get(&name_key(account, name))?;
    (p.arn(st.partition) == arn).then_some(PolicyRef::Local(p))
}

fn check_arn(partition: crate::arn::Partition, arn: &str) -> ApiResult<()> {
    let ok = arn.starts_with("arn:") && arn.split(':').count() >= 6;
    if !ok {
        return Err(messages::arn_not_valid(arn));
    }
    // A policy of another partition: AWS answers 400 ValidationError "Invalid ARN partition"
    // (AttachRolePolicy of arn:aws:iam::aws:policy/AmazonS3FullAccess in cn-northwest-1,
    // pulumi/pulumi-aws-apigateway#347; the same in GovCloud, aws/aws-elastic-beanstalk-cli#562).
    if crate::arn::Partition::of_arn(arn).is_some_and(|p| p != partition) {
        return Err(messages::arn_partition_invalid());
    }
    Ok(())
}

/// A permissions boundary must be an existing managed policy.
pub fn require_boundary_policy(st: &State, account: &str, arn: &str) -> ApiResult<()> {
    check_arn(st.partition, arn)?;
    resolve(st, account, arn).map(|_| ()).ok_or_else(|| not_attachable(arn))
}

fn local<'a>(st: &'a State, account: &str, arn: &str) -> ApiResult<&'a ManagedPolicy> {
    check_arn(st.partition, arn)?;
    match resolve(st, account, arn) {
        Some(PolicyRef::Local(p)) => Ok(p),
        Some(PolicyRef::Aws(_)) => Err(messages::aws_managed_policy_unmodifiable(arn)),
        None => Err(not_found(arn)),
    }
}

fn shape(st: &State, account: &str, p: PolicyRef<'_>, full: bool) -> iam::Policy {
    let arn = p.arn(st.partition);
    let (id, default_version, is_attachable, created, updated, description, tags) = match p {
        PolicyRef::Aws(a) => (a.id.clone(), a.default_version.clone(), a.is_attachable, a.created, a.updated, None, Vec::new()),
        PolicyRef::Local(l) => {
            (l.id.clone(), l.default_version.clone(), true, l.created, l.updated, l.description.clone(), tags_out(&l.tags))
        }
    };
    iam::Policy {
        policy_name: Some(p.name().to_owned()),
        policy_id: Some(id),
        attachment_count: Some(i32::try_from(st.attachment_count(account, &arn)).unwrap_or(i32::MAX)),
        permissions_boundary_usage_count: Some(i32::try_from(st.boundary_count(account, &arn)).unwrap_or(i32::MAX)),
        arn: Some(arn),
        path: Some(p.path().to_owned()),
        default_version_id: Some(default_version),
        is_attachable: Some(is_attachable),
        description: if full { description } else { None },
        create_date: Some(ts(created)),
        update_date: Some(ts(updated)),
        // GetPolicy sends Tags, an empty list when there are none, for AWS managed policies too
        // (responses recorded from AWS: localstack tests/aws/services/iam/
        // test_iam_policies.snapshot.json and test_iam_managed_policies.snapshot.json).
        tags: full.then_some(tags),
    }
}

pub fn create(iam: &Iam, account: &str, r: iam::CreatePolicyRequest) -> ApiResult<iam::CreatePolicyResponse> {
    let now = iam.now();
    managed_policy_document(iam.partition(), &r.policy_document)?;
    iam.mutate(|st| {
        if st.policies.contains_key(&name_key(account, &r.policy_name)) {
            return Err(messages::policy_exists(&r.policy_name));
        }
        let mut tags = Vec::new();
        merge_tags(&mut tags, &tags_in(r.tags.as_deref().unwrap_or_default()), "Policy")?;
        let policy = ManagedPolicy {
            account: account.to_owned(),
            name: r.policy_name.clone(),
            id: unique_id(IdPrefix::ManagedPolicy),
            path: r.path.clone().unwrap_or_else(|| "/".into()),
            description: r.description.clone(),
            created: now,
            updated: now,
            default_version: "v1".into(),
            versions: vec![PolicyVersion { id: "v1".into(), document: r.policy_document.clone(), created: now }],
            next_version: 2,
            tags,
        };
        let mut out = shape(st, account, PolicyRef::Local(&policy), true);
        // CreatePolicy's answer carries no description (CreatePolicy documentation example),
        // and Tags only when some were given (recorded from AWS: localstack
        // tests/aws/services/iam/test_iam_policies.snapshot.json).
        out.description = None;
        out.tags = out.tags.filter(|t| !t.is_empty());
        Ok((vec![Change::Put(Record::Policy(policy))], iam::CreatePolicyResponse { policy: Some(out) }))
    })
}

pub fn get(iam: &Iam, account: &str, r: iam::GetPolicyRequest) -> ApiResult<iam::GetPolicyResponse> {
    check_arn(iam.partition(), &r.policy_arn)?;
    let st = iam.read();
    let p = resolve(&st, account, &r.policy_arn).ok_or_else(|| not_found(&r.policy_arn))?;
    Ok(iam::GetPolicyResponse { policy: Some(shape(&st, account, p, true)) })
}

pub fn list(iam: &Iam, account: &str, r: iam::ListPoliciesRequest) -> ApiResult<iam::ListPoliciesResponse> {
    let st = iam.read();
    let scope = r.scope.as_ref().map_or("All", |s| s.as_str());
    let usage = r.policy_usage_filter.as_ref().map(|u| u.as_str());
    let only_attached = r.only_attached.unwrap_or(false);
    let prefix = r.path_prefix.as_deref();
    // The account's own policies come first (by name), then the AWS managed ones in AWS's
    // order: the aws CLI's list-policies example answers a customer managed policy, then
    // AdministratorAccess, then PowerUserAccess. The marker is the last key listed:
    // "0\0<lowercase name>" for a customer managed policy, "1\0<position>" for an AWS one.
    let after = r.marker.as_deref().map(decode_marker).transpose()?;
    let local = st
        .policies
        .range((account.to_owned(), String::new())..)
        .take_while(|((a, _), _)| a == account)
        .map(|((_, k), p)| (format!("0\0{k}"), PolicyRef::Local(p)));
    let aws = aws_managed(st.partition).in_list_order().enumerate().map(|(i, p)| (format!("1\0{i:05}"), PolicyRef::Aws(p)));
    let local: Box<dyn Iterator<Item = _>> = if scope == "AWS" { Box::new(std::iter::empty()) } else { Box::new(local) };
    let aws: Box<dyn Iterator<Item = _>> = if scope == "Local" { Box::new(std::iter::empty()) } else { Box::new(aws) };
    let merged = local.chain(aws);
    let keep = |p: &PolicyRef<'_>| {
        let arn = p.arn(st.partition);
        let attached = st.attachment_count(account, &arn) > 0;
        let boundary = st.boundary_count(account, &arn) > 0;
        path_matches(p.path(), prefix)
            && (!only_attached
                || match usage {
                    Some("PermissionsPolicy") => attached,
                    Some("PermissionsBoundary") => boundary,
                    _ => attached || boundary,
                })
    };
    let max = max_items(r.max_items);
    let mut policies = Vec::new();
    let mut next_marker = None;
    let mut last = String::new();
    for (key, p) in merged.filter(|(k, _)| after.as_ref().is_none_or(|a| k > a)) {
        if !keep(&p) {
            continue;
        }
        if policies.len() == max {
            next_marker = Some(encode_marker(&last));
            break;
        }
        policies.push(shape(&st, account, p, false));
        last = key;
    }
    Ok(iam::ListPoliciesResponse { is_truncated: Some(next_marker.is_some()), policies: Some(policies), marker: next_marker })
}

pub fn delete(iam: &Iam, account: &str, r: iam::DeletePolicyRequest) -> ApiResult<()> {
    iam.mutate(|st| {
        let p = local(st, account, &r.policy_arn)?;
        let arn = p.arn(st.partition);
        if st.attachment_count(account, &arn) > 0 || st.boundary_count(account, &arn) > 0 {
            return Err(messages::policy_attached());
        }
        if p.versions.len() > 1 {
            return Err(messages::policy_has_versions());
        }
        Ok((vec![Change::Delete(Record::Policy(p.clone()))], ()))
    })
}

fn version_shape(v: &PolicyVersion, default: &str, with_document: bool) -> iam::PolicyVersion {
    iam::PolicyVersion {
        document: with_document.then(|| url_encode(&v.document)),
        version_id: Some(v.id.clone()),
        is_default_version: Some(v.id == default),
        create_date: Some(ts(v.created)),
    }
}

pub fn create_version(
    iam: &Iam,
    account: &str,
    r: iam::CreatePolicyVersionRequest,
) -> ApiResult<iam::CreatePolicyVersionResponse> {
    let now = iam.now();
    managed_policy_document(iam.partition(), &r.policy_document)?;
    iam.mutate(|st| {
        let mut p = local(st, account, &r.policy_arn)?.clone();
        if p.versions.len() >= quota::VERSIONS_PER_POLICY {
            return Err(messages::policy_version_limit(quota::VERSIONS_PER_POLICY));
        }
        let v = PolicyVersion { id: format!("v{}", p.next_version), document: r.policy_document.clone(), created: now };
        p.next_version += 1;
        if r.set_as_default.unwrap_or(false) {
            p.default_version.clone_from(&v.id);
        }
        p.updated = now;
        let out = version_shape(&v, &p.default_version, false);
        p.versions.push(v);
        Ok((vec![Change::Put(Record::Policy(p))], iam::CreatePolicyVersionResponse { policy_version: Some(out) }))
    })
}


pub fn get_version(iam: &Iam, account: &str, r: iam::GetPolicyVersionRequest) -> ApiResult<iam::GetPolicyVersionResponse> {
    check_arn(iam.partition(), &r.policy_arn)?;
    let st = iam.read();
    let version = match resolve(&st, account, &r.policy_arn).ok_or_else(|| no_such_version(&r.policy_arn, &r.version_id))? {
        PolicyRef::Aws(a) if a.default_version == r.version_id => iam::PolicyVersion {
            document: Some(url_encode(&a.document)),
            version_id: Some(a.default_version.clone()),
            is_default_version: Some(true),
            create_date: Some(ts(a.updated)),
        },
        PolicyRef::Aws(_) => return Err(no_such_version(&r.policy_arn, &r.version_id)),
        PolicyRef::Local(p) => {
            let v = p.versions.iter().find(|v| v.id == r.version_id).ok_or_else(|| no_such_version(&r.policy_arn, &r.version_id))?;
            version_shape(v, &p.default_version, true)
        }
    };
    Ok(iam::GetPolicyVersionResponse { policy_version: Some(version) })
}

pub fn list_versions(
    iam: &Iam,
    account: &str,
    r: iam::ListPolicyVersionsRequest,
) -> ApiResult<iam::ListPolicyVersionsResponse> {
    check_arn(iam.partition(), &r.policy_arn)?;
    let st = iam.read();
    let versions: Vec<iam::PolicyVersion> = match resolve(&st, account, &r.policy_arn).ok_or_else(|| not_found(&r.policy_arn))? {
        PolicyRef::Aws(a) => vec![iam::PolicyVersion {
            document: None,
            version_id: Some(a.default_version.clone()),
            is_default_version: Some(true),
            create_date: Some(ts(a.updated)),
        }],
        // Newest first, as AWS lists them.
        PolicyRef::Local(p) => p.versions.iter().rev().map(|v| version_shape(v, &p.default_version, false)).collect(),
    };
    let page = page_slice(&versions, r.marker.as_deref(), r.max_items)?;
    Ok(iam::ListPolicyVersionsResponse { versions: Some(page.items), is_truncated: Some(page.next_marker.is_some()), marker: page.next_marker })
}

pub fn delete_version(iam: &Iam, account: &str, r: iam::DeletePolicyVersionRequest) -> ApiResult<()> {
    iam.mutate(|st| {
        let mut p = local(st, account, &r.policy_arn)?.clone();
        if !p.versions.iter().any(|v| v.id == r.version_id) {
            return Err(no_such_version(&r.policy_arn, &r.version_id));
        }
        if p.default_version == r.version_id {
            return Err(messages::default_version_delete());
        }
        p.versions.retain(|v| v.id != r.version_id);
        Ok((vec![Change::Put(Record::Policy(p))], ()))
    })
}

pub fn set_default_version(iam: &Iam, account: &str, r: iam::SetDefaultPolicyVersionRequest) -> ApiResult<()> {
    let now = iam.now();
    iam.mutate(|st| {
        // A policy that does not exist gets the version's text (LocalStack policies snapshot,
        // "err-set-default-nonexistent-policy").
        check_arn(st.partition, &r.policy_arn)?;
        if resolve(st, account, &r.policy_arn).is_none() {
            return Err(no_such_version(&r.policy_arn, &r.version_id));
        }
        let mut p = local(st, account, &r.policy_arn)?.clone();
        if !p.versions.iter().any(|v| v.id == r.version_id) {
            return Err(no_such_version(&r.policy_arn, &r.version_id));
        }
        p.default_version.clone_from(&r.version_id);
        p.updated = now;
        Ok((vec![Change::Put(Record::Policy(p))], ()))
    })
}

pub fn tag(iam: &Iam, account: &str, r: iam::TagPolicyRequest) -> ApiResult<()> {
    iam.mutate(|st| {
        let mut p = local(st, account, &r.policy_arn)?.clone();
        merge_tags(&mut p.tags, &tags_in(&r.tags), "Policy")?;
        Ok((vec![Change::Put(Record::Policy(p))], ()))
    })
}

pub fn untag(iam: &Iam, account: &str, r: iam::UntagPolicyRequest) -> ApiResult<()> {
    iam.mutate(|st| {
        let mut p = local(st, account, &r.policy_arn)?.clone();
        remove_policy_tags(&mut p.tags, &r.tag_keys);
        Ok((vec![Change::Put(Record::Policy(p))], ()))
    })
}

pub fn list_tags(iam: &Iam, account: &str, r: iam::ListPolicyTagsRequest) -> ApiResult<iam::ListPolicyTagsResponse> {
    check_arn(iam.partition(), &r.policy_arn)?;
    let st = iam.read();
    let mut tags = match resolve(&st, account, &r.policy_arn).ok_or_else(|| not_found(&r.policy_arn))? {
        PolicyRef::Aws(_) => Vec::new(),
        PolicyRef::Local(p) => tags_out(&p.tags),
    };
    // By key length, then key: AWS answered tags given as abc, b, z, a as a, b, z, abc
    // (recorded from AWS: localstack tests/aws/services/iam/test_iam_policies.snapshot.json,
    // "test_policy_tag_order").
    tags.sort_by(|x, y| (x.key.chars().count(), &x.key).cmp(&(y.key.chars().count(), &y.key)));
    let page = page_slice(&tags, r.marker.as_deref(), r.max_items)?;
    Ok(iam::ListPolicyTagsResponse { tags: page.items, is_truncated: Some(page.next_marker.is_some()), marker: page.next_marker })
}

/// The principal a managed policy is attached to or detached from.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    User(&'a str),
    Group(&'a str),
    Role(&'a str),
}

/// The target's attached policy list and the record that carries it.
fn attached_of(st: &State, account: &str, target: Target<'_>) -> ApiResult<(Vec<String>, Record, &'static str)> {
    Ok(match target {
        Target::User(n) => {
            let u = st.user(account, n).ok_or_else(|| no_such_user(n))?;
            (u.attached_policies.clone(), Record::User(u.clone()), "User")
        }
        Target::Group(n) => {
            let g = st.group(account, n).ok_or_else(|| no_such_group(n))?;
            (g.attached_policies.clone(), Record::Group(g.clone()), "Group")
        }
        Target::Role(n) => {
            let r = st.role(account, n).ok_or_else(|| no_such_role(n))?;
            (r.attached_policies.clone(), Record::Role(r.clone()), "Role")
        }
    })
}

fn with_attached(record: Record, attached: Vec<String>) -> Record {
    match record {
        Record::User(mut u) => {
            u.attached_policies = attached;
            Record::User(u)
        }
        Record::Group(mut g) => {
            g.attached_policies = attached;
            Record::Group(g)
        }
        Record::Role(mut r) => {
            r.attached_policies = attached;
            Record::Role(r)
        }
        other => other,
    }
}

pub fn attach(iam: &Iam, account: &str, target: Target<'_>, arn: &str) -> ApiResult<()> {
    check_arn(iam.partition(), arn)?;
    iam.mutate(|st| {
        let (mut attached, record, kind) = attached_of(st, account, target)?;
        let policy = resolve(st, account, arn).ok_or_else(|| not_attachable(arn))?;
        if let PolicyRef::Aws(a) = policy {
            // Service-linked roles' policies are for those roles only (aws-cdk#6131 quotes AWS).
            if a.path == "/aws-service-role/" {
                return Err(messages::service_role_policy_not_attachable());
            }
            if !a.is_attachable {
                return Err(not_attachable(arn));
            }
        }
        if attached.iter().any(|a| a == arn) {
            return Ok((Vec::new(), ()));
        }
        if attached.len() >= quota::MANAGED_POLICIES_PER_ENTITY {
            return Err(messages::attached_policies_limit(kind, quota::MANAGED_POLICIES_PER_ENTITY));
        }
        attached.push(arn.to_owned());
        Ok((vec![Change::Put(with_attached(record, attached))], ()))
    })
}

pub fn detach(iam: &Iam, account: &str, target: Target<'_>, arn: &str) -> ApiResult<()> {
    check_arn(iam.partition(), arn)?;
    iam.mutate(|st| {
        let (mut attached, record, _) = attached_of(st, account, target)?;
        let before = attached.len();
        attached.retain(|a| a != arn);
        if attached.len() == before {
            return Err(not_found(arn));
        }
        Ok((vec![Change::Put(with_attached(record, attached))], ()))
    })
}

pub fn list_attached(
    iam: &Iam,
    account: &str,
    target: Target<'_>,
    prefix: Option<&str>,
    marker: Option<&str>,
    max: Option<i32>,
) -> ApiResult<crate::paginate::Page<iam::AttachedPolicy>> {
    let st = iam.read();
    let (attached, _, _) = attached_of(&st, account, target)?;
    let all: Vec<iam::AttachedPolicy> = attached
        .iter()
        .filter_map(|arn| resolve(&st, account, arn))
        .filter(|p| path_matches(p.path(), prefix))
        .map(|p| iam::AttachedPolicy { policy_name: Some(p.name().to_owned()), policy_arn: Some(p.arn(st.partition)) })
        .collect();
    page_slice(&all, marker, max)
}

pub fn list_entities(
    iam: &Iam,
    account: &str,
    r: iam::ListEntitiesForPolicyRequest,
) -> ApiResult<iam::ListEntitiesForPolicyResponse> {
    check_arn(iam.partition(), &r.policy_arn)?;
    let st = iam.read();
    resolve(&st, account, &r.policy_arn).ok_or_else(|| not_found(&r.policy_arn))?;
    let arn = r.policy_arn.as_str();
    let filter = r.entity_filter.as_ref().map(|f| f.as_str());
    let boundary = r.policy_usage_filter.as_ref().map(|u| u.as_str());
    let wants = |kind: &str| filter.is_none_or(|f| f == kind);
    let uses = |attached: &[String], b: Option<&String>| match boundary {
        Some("PermissionsBoundary") => b.is_some_and(|b| b == arn),
        Some(_) => attached.iter().any(|a| a == arn),
        None => attached.iter().any(|a| a == arn) || b.is_some_and(|b| b == arn),
    };
    let prefix = r.path_prefix.as_deref();
    // One sequence of entities (groups, users, roles); paginated by position.
    #[derive(Clone)]
    enum E {
        G(iam::PolicyGroup),
        U(iam::PolicyUser),
        R(iam::PolicyRole),
    }
    let mut all = Vec::new();
    if wants("Group") {
        for g in st.groups.range((account.to_owned(), String::new())..).take_while(|((a, _), _)| a == account).map(|(_, g)| g) {
            if path_matches(&g.path, prefix) && uses(&g.attached_policies, None) {
                all.push(E::G(iam::PolicyGroup { group_name: Some(g.name.clone()), group_id: Some(g.id.clone()) }));
            }
        }
    }
    if wants("User") {
        for u in st.users.range((account.to_owned(), String::new())..).take_while(|((a, _), _)| a == account).map(|(_, u)| u) {
            if path_matches(&u.path, prefix) && uses(&u.attached_policies, u.permissions_boundary.as_ref()) {
                all.push(E::U(iam::PolicyUser { user_name: Some(u.name.clone()), user_id: Some(u.id.clone()) }));
            }
        }
    }
    if wants("Role") {
        for x in st.roles.range((account.to_owned(), String::new())..).take_while(|((a, _), _)| a == account).map(|(_, x)| x) {
            if path_matches(&x.path, prefix) && uses(&x.attached_policies, x.permissions_boundary.as_ref()) {
                all.push(E::R(iam::PolicyRole { role_name: Some(x.name.clone()), role_id: Some(x.id.clone()) }));
            }
        }
    }
    let page = page_slice(&all, r.marker.as_deref(), r.max_items)?;
    let mut out = iam::ListEntitiesForPolicyResponse {
        policy_groups: Some(Vec::new()),
        policy_users: Some(Vec::new()),
        policy_roles: Some(Vec::new()),
        is_truncated: Some(page.next_marker.is_some()),
        marker: page.next_marker,
    };
    for e in page.items {
        match e {
            E::G(g) => out.policy_groups.get_or_insert_with(Vec::new).push(g),
            E::U(u) => out.policy_users.get_or_insert_with(Vec::new).push(u),
            E::R(x) => out.policy_roles.get_or_insert_with(Vec::new).push(x),
        }
    }
    Ok(out)
}

/// The managed policies of the account, for GetAccountAuthorizationDetails.
pub fn local_policies<'a>(st: &'a State, account: &'a str) -> impl Iterator<Item = &'a ManagedPolicy> + 'a {
    st.policies.range((account.to_owned(), String::new())..).take_while(move |((a, _), _)| a == account).map(|(_, p)| p)
}

pub fn policy_detail(st: &State, account: &str, p: PolicyRef<'_>) -> iam::ManagedPolicyDetail {
    let s = shape(st, account, p, true);
    let versions = match p {
        PolicyRef::Aws(a) => vec![iam::PolicyVersion {
            document: Some(url_encode(&a.document)),
            version_id: Some(a.default_version.clone()),
            is_default_version: Some(true),
            create_date: Some(ts(a.updated)),
        }],
        PolicyRef::Local(l) => l.versions.iter().map(|v| version_shape(v, &l.default_version, true)).collect(),
    };
    iam::ManagedPolicyDetail {
        policy_name: s.policy_name,
        policy_id: s.policy_id,
        arn: s.arn,
        path: s.path,
        default_version_id: s.default_version_id,
        attachment_count: s.attachment_count,
        permissions_boundary_usage_count: s.permissions_boundary_usage_count,
        is_attachable: s.is_attachable,
        description: s.description,
        create_date: s.create_date,
        update_date: s.update_date,
        policy_version_list: Some(versions),
    }
}
