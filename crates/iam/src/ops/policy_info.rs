//! What IAM tells about policies without evaluating a request: GetContextKeysForCustomPolicy,
//! GetContextKeysForPrincipalPolicy and ListPoliciesGrantingServiceAccess; and the operations
//! that need an AWS Organizations organization, answered as AWS answers an account outside one.

use castellan_api::iam;
use castellan_policy::{ActionBlock, Effect, Policy, PolicyKind};

use super::policies::resolve;
use crate::error::{ApiError, ApiResult};
use crate::messages;
use crate::model::{InlinePolicies, User};
use crate::state::State;
use crate::{Caller, Iam};

/// A policy of a principal, with where it came from (for ListPoliciesGrantingServiceAccess).
struct Source {
    name: String,
    document: String,
    /// `Some` for a managed policy.
    arn: Option<String>,
    /// The owner of an inline policy.
    owner: Option<(iam::PolicyOwnerEntityType, String)>,
}

fn inline(out: &mut Vec<Source>, policies: &InlinePolicies, kind: iam::PolicyOwnerEntityType, owner: &str) {
    out.extend(policies.values().map(|p| Source { name: p.name.clone(), document: p.document.clone(), arn: None, owner: Some((kind, owner.to_owned())) }));
}

fn managed(out: &mut Vec<Source>, st: &State, account: &str, arns: &[String]) {
    for arn in arns {
        if let Some(p) = resolve(st, account, arn) {
            out.push(Source { name: arn.rsplit('/').next().unwrap_or_default().to_owned(), document: p.default_document().to_owned(), arn: Some(arn.clone()), owner: None });
        }
    }
}

fn user_policies(out: &mut Vec<Source>, st: &State, account: &str, u: &User) {
    inline(out, &u.inline_policies, iam::PolicyOwnerEntityType::User, &u.name);
    managed(out, st, account, &u.attached_policies);
    for g in u.groups.iter().filter_map(|g| st.group(account, g)) {
        inline(out, &g.inline_policies, iam::PolicyOwnerEntityType::Group, &g.name);
        managed(out, st, account, &g.attached_policies);
    }
}

/// The identity policies of the user, group or role `arn` names (with a user's groups').
fn principal_policies(st: &State, account: &str, arn: &str) -> ApiResult<Vec<Source>> {
    let mut out = Vec::new();
    match super::policy_source(st, account, arn)? {
        super::PolicySource::User(u) => user_policies(&mut out, st, account, u),
        super::PolicySource::Group(g) => {
            inline(&mut out, &g.inline_policies, iam::PolicyOwnerEntityType::Group, &g.name);
            managed(&mut out, st, account, &g.attached_policies);
        }
        super::PolicySource::Role(r) => {
            inline(&mut out, &r.inline_policies, iam::PolicyOwnerEntityType::Role, &r.name);
            managed(&mut out, st, account, &r.attached_policies);
        }
    }
    Ok(out)
}

fn parse(text: &str) -> ApiResult<Policy> {
    Policy::parse(text, PolicyKind::Identity).map_err(|e| ApiError::InvalidInput(e.message().to_owned()))
}

/// The context keys a policy refers to: the keys of its conditions and the policy variables
/// (`${aws:username}`) in it, as written, each once (case-insensitively), in order of appearance.
fn context_keys(policies: &[Policy], out: &mut Vec<String>) {
    let mut add = |key: &str| {
        if !out.iter().any(|k| k.eq_ignore_ascii_case(key)) {
            out.push(key.to_owned());
        }
    };
    for p in policies {
        for s in p.statements() {
            for c in s.conditions() {
                add(c.key_text());
            }
        }
        let mut text = p.text();
        while let Some(start) = text.find("${") {
            let rest = text.get(start + 2..).unwrap_or_default();
            let Some(end) = rest.find('}') else { break };
            let var = rest.get(..end).unwrap_or_default();
            // ${*}, ${?} and ${$} are the escapes for those characters, not keys.
            if var.contains(':') {
                add(var);
            }
            text = rest.get(end..).unwrap_or_default();
        }
    }
}

pub fn context_keys_for_custom(r: &iam::GetContextKeysForCustomPolicyRequest) -> ApiResult<iam::GetContextKeysForPolicyResponse> {
    let policies = r.policy_input_list.iter().map(|t| parse(t)).collect::<ApiResult<Vec<_>>>()?;
    let mut keys = Vec::new();
    context_keys(&policies, &mut keys);
    Ok(iam::GetContextKeysForPolicyResponse { context_key_names: Some(keys) })
}

pub fn context_keys_for_principal(iam: &Iam, caller: &Caller, r: &iam::GetContextKeysForPrincipalPolicyRequest) -> ApiResult<iam::GetContextKeysForPolicyResponse> {
    let st = iam.read();
    let mut policies = principal_policies(&st, &caller.account, &r.policy_source_arn)?.iter().map(|s| parse(&s.document)).collect::<ApiResult<Vec<_>>>()?;
    for t in r.policy_input_list.as_deref().unwrap_or_default() {
        policies.push(parse(t)?);
    }
    let mut keys = Vec::new();
    context_keys(&policies, &mut keys);
    Ok(iam::GetContextKeysForPolicyResponse { context_key_names: Some(keys) })
}

/// Does an Allow statement of `policy` allow some action of service `namespace`? An `Action`
/// grants the service when one of its patterns' service part matches it; a `NotAction` does
/// unless it leaves out the whole service (`ns:*` or `*`).
fn grants(policy: &Policy, namespace: &str) -> bool {
    let ns = namespace.to_ascii_lowercase();
    let covers_service = |text: &str| {
        let service = text.split(':').next().unwrap_or_default();
        text == "*" || (service.len() <= 128 && castellan_policy::wildcard_match(service, &ns, true))
    };
    let whole_service = |text: &str| {
        let lower = text.to_ascii_lowercase();
        lower == "*" || lower == format!("{ns}:*")
    };
    policy.statements().iter().filter(|s| s.effect() == Effect::Allow).any(|s| match s.action() {
        ActionBlock::Action(m) => m.iter().any(|a| covers_service(a.text())),
        ActionBlock::NotAction(m) => !m.iter().any(|a| whole_service(a.text())),
    })
}

pub fn policies_granting_service_access(
    iam: &Iam,
    caller: &Caller,
    r: &iam::ListPoliciesGrantingServiceAccessRequest,
) -> ApiResult<iam::ListPoliciesGrantingServiceAccessResponse> {
    let st = iam.read();
    let account = caller.account.as_str();
    let arn = r.arn.as_str();
    let sources = principal_policies(&st, account, arn).map_err(|_| messages::no_such_entity_arn(arn))?;
    let parsed: Vec<(Source, Policy)> = sources.into_iter().filter_map(|s| Some((Policy::parse(&s.document, PolicyKind::Identity).ok()?, s))).map(|(p, s)| (s, p)).collect();
    let entries = r
        .service_namespaces
        .iter()
        .map(|ns| iam::ListPoliciesGrantingServiceAccessEntry {
            service_namespace: Some(ns.clone()),
            policies: Some(
                parsed
                    .iter()
                    .filter(|(_, p)| grants(p, ns))
                    .map(|(s, _)| iam::PolicyGrantingServiceAccess {
                        policy_name: s.name.clone(),
                        policy_type: if s.arn.is_some() { iam::PolicyType::Managed } else { iam::PolicyType::Inline },
                        policy_arn: s.arn.clone(),
                        entity_type: s.owner.as_ref().map(|(k, _)| *k),
                        entity_name: s.owner.as_ref().map(|(_, n)| n.clone()),
                    })
                    .collect(),
            ),
        })
        .collect();
    Ok(iam::ListPoliciesGrantingServiceAccessResponse { policies_granting_service_access: entries, is_truncated: Some(false), marker: None })
}

/// OrganizationNotFoundException: what IAM answers an account that is not in an organization
/// (Castellan's accounts never are). Its message is the model's description of the error.
pub fn no_organization() -> ApiError {
    messages::no_organization()
}

pub fn organizations_access_report(r: &iam::GetOrganizationsAccessReportRequest) -> ApiError {
    messages::no_such_report(&r.job_id)
}
