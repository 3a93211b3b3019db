//! The policy simulator API: SimulatePrincipalPolicy and SimulateCustomPolicy, decided by the
//! same engine that decides every request, reporting the statements that decided.

use std::collections::HashMap;

use castellan_api::iam::{self, PolicyEvaluationDecisionType as Decision, PolicySourceType as Source};
use castellan_policy::{Policy, PolicyKind, PolicySet, PrincipalType, RequestContext, RequestPrincipal};

use super::policies::{resolve, PolicyRef};
use crate::error::{ApiError, ApiResult};
use crate::model::InlinePolicies;
use crate::paginate::page_slice;
use crate::state::State;
use crate::{Caller, Iam};

/// Policies to simulate and where each came from.
#[derive(Default)]
struct Inputs {
    set: PolicySet,
    sources: HashMap<String, Source>,
    has_boundary: bool,
}

impl Inputs {
    fn add(&mut self, id: String, text: &str, kind: PolicyKind, source: Source) -> ApiResult<()> {
        let policy = Policy::parse(text, kind).map_err(|e| ApiError::MalformedPolicyDocument(e.message().to_owned()))?;
        if kind == PolicyKind::PermissionsBoundary {
            self.has_boundary = true;
        }
        self.sources.insert(id.clone(), source);
        self.set.add(id, policy);
        Ok(())
    }

    fn add_inline(&mut self, owner: &InlinePolicies, source: Source) -> ApiResult<()> {
        for p in owner.values() {
            self.add(p.name.clone(), &p.document, PolicyKind::Identity, source)?;
        }
        Ok(())
    }

    fn add_managed(&mut self, st: &State, account: &str, arn: &str, kind: PolicyKind) -> ApiResult<()> {
        let Some(p) = resolve(st, account, arn) else { return Ok(()) };
        let source = match p {
            PolicyRef::Aws(_) => Source::AwsManaged,
            PolicyRef::Local(_) => Source::UserManaged,
        };
        self.add(arn.to_owned(), p.default_document(), kind, source)
    }

    fn add_inputs(&mut self, identity: Option<&[String]>, boundary: Option<&[String]>) -> ApiResult<()> {
        for (i, text) in identity.unwrap_or_default().iter().enumerate() {
            self.add(format!("PolicyInputList.{}", i + 1), text, PolicyKind::Identity, Source::None)?;
        }
        for (i, text) in boundary.unwrap_or_default().iter().enumerate() {
            self.add(format!("PermissionsBoundaryPolicyInputList.{}", i + 1), text, PolicyKind::PermissionsBoundary, Source::None)?;
        }
        Ok(())
    }
}

fn decision(d: castellan_policy::Decision) -> Decision {
    match d {
        castellan_policy::Decision::Allow => Decision::Allowed,
        castellan_policy::Decision::ExplicitDeny => Decision::ExplicitDeny,
        castellan_policy::Decision::ImplicitDeny => Decision::ImplicitDeny,
    }
}

struct Simulation<'a> {
    principal: RequestPrincipal,
    account: String,
    actions: &'a [String],
    resources: Vec<String>,
    resource_owner: Option<&'a str>,
    context: &'a [iam::ContextEntry],
    now: i64,
}

fn run(inputs: &Inputs, sim: &Simulation<'_>, marker: Option<&str>, max: Option<i32>) -> ApiResult<iam::SimulatePolicyResponse> {
    let mut results = Vec::new();
    for action in sim.actions {
        for resource in &sim.resources {
            let mut ctx = RequestContext::new(sim.principal.clone(), action.clone(), resource.clone())
                .with_resource_account(sim.resource_owner.map_or_else(|| sim.account.clone(), str::to_owned))
                .with_time(sim.now.saturating_mul(1000));
            for entry in sim.context {
                if let (Some(k), Some(v)) = (&entry.context_key_name, &entry.context_key_values) {
                    ctx.set(k, v.clone());
                }
            }
            let evaluation = inputs.set.evaluate(&ctx);
            let matched = evaluation
                .statements
                .iter()
                .map(|s| iam::Statement {
                    source_policy_id: Some(s.policy.to_owned()),
                    source_policy_type: Some(inputs.sources.get(s.policy).copied().unwrap_or(Source::None)),
                    start_position: None,
                    end_position: None,
                })
                .collect();
            let boundary_allows = inputs.has_boundary.then(|| {
                evaluation.decision == castellan_policy::Decision::Allow
                    || evaluation.kind != Some(PolicyKind::PermissionsBoundary)
            });
            results.push(iam::EvaluationResult {
                eval_action_name: action.clone(),
                eval_resource_name: Some(resource.clone()),
                eval_decision: decision(evaluation.decision),
                matched_statements: Some(matched),
                missing_context_values: Some(Vec::new()),
                organizations_decision_detail: None,
                permissions_boundary_decision_detail: boundary_allows
                    .map(|b| iam::PermissionsBoundaryDecisionDetail { allowed_by_permissions_boundary: Some(b) }),
                eval_decision_details: None,
                resource_specific_results: None,
            });
        }
    }
    let page = page_slice(&results, marker, max)?;
    Ok(iam::SimulatePolicyResponse {
        evaluation_results: Some(page.items),
        is_truncated: Some(page.next_marker.is_some()),
        marker: page.next_marker,
    })
}

fn resources_or_star(arns: Option<&[String]>) -> Vec<String> {
    match arns {
        Some(a) if !a.is_empty() => a.to_vec(),
        _ => vec!["*".to_owned()],
    }
}

/// The principal a caller ARN names, for CallerArn and for the simulated entity.
fn principal_for(arn: &str, id: &str, account: &str) -> RequestPrincipal {
    let resource = arn.split(':').nth(5).unwrap_or_default();
    let kind = match resource.split('/').next() {
        Some("role") | Some("assumed-role") => PrincipalType::AssumedRole,
        Some("root") => PrincipalType::Root,
        _ => PrincipalType::User,
    };
    let mut p = RequestPrincipal::new(kind, arn, id, account);
    if kind == PrincipalType::User {
        p.name = arn.rsplit('/').next().map(str::to_owned);
    }
    if kind == PrincipalType::AssumedRole && resource.starts_with("role/") {
        p.role_arn = Some(arn.to_owned());
    }
    p
}

pub fn simulate_custom(iam: &Iam, caller: &Caller, r: iam::SimulateCustomPolicyRequest) -> ApiResult<iam::SimulatePolicyResponse> {
    let mut inputs = Inputs::default();
    inputs.add_inputs(Some(&r.policy_input_list), r.permissions_boundary_policy_input_list.as_deref())?;
    if let Some(rp) = &r.resource_policy {
        inputs.add("ResourcePolicy".into(), rp, PolicyKind::Resource, Source::Resource)?;
    }
    let caller_arn = r.caller_arn.clone().unwrap_or_else(|| format!("arn:aws:iam::{}:user/SimulatedUser", caller.account));
    let sim = Simulation {
        principal: principal_for(&caller_arn, "AIDASIMULATEDUSER0000", &caller.account),
        account: caller.account.clone(),
        actions: &r.action_names,
        resources: resources_or_star(r.resource_arns.as_deref()),
        resource_owner: r.resource_owner.as_deref(),
        context: r.context_entries.as_deref().unwrap_or_default(),
        now: iam.now(),
    };
    run(&inputs, &sim, r.marker.as_deref(), r.max_items)
}

pub fn simulate_principal(
    iam: &Iam,
    caller: &Caller,
    r: iam::SimulatePrincipalPolicyRequest,
) -> ApiResult<iam::SimulatePolicyResponse> {
    let st = iam.read();
    let account = caller.account.as_str();
    let arn = r.policy_source_arn.as_str();
    let not_found = || ApiError::NoSuchEntity(format!("PolicySourceArn {arn} was not found."));
    let resource = arn.strip_prefix(&format!("arn:aws:iam::{account}:")).ok_or_else(not_found)?;
    let name = resource.rsplit('/').next().unwrap_or_default();
    let mut inputs = Inputs::default();
    let principal = match resource.split('/').next() {
        Some("user") => {
            let u = st.user(account, name).ok_or_else(not_found)?;
            inputs.add_inline(&u.inline_policies, Source::User)?;
            for a in &u.attached_policies {
                inputs.add_managed(&st, account, a, PolicyKind::Identity)?;
            }
            for g in &u.groups {
                if let Some(group) = st.group(account, g) {
                    inputs.add_inline(&group.inline_policies, Source::Group)?;
                    for a in &group.attached_policies {
                        inputs.add_managed(&st, account, a, PolicyKind::Identity)?;
                    }
                }
            }
            if r.permissions_boundary_policy_input_list.is_none() {
                if let Some(b) = &u.permissions_boundary {
                    inputs.add_managed(&st, account, b, PolicyKind::PermissionsBoundary)?;
                }
            }
            let mut p = principal_for(arn, &u.id, account);
            p.tags = u.tags.clone();
            p
        }
        Some("group") => {
            let g = st.group(account, name).ok_or_else(not_found)?;
            inputs.add_inline(&g.inline_policies, Source::Group)?;
            for a in &g.attached_policies {
                inputs.add_managed(&st, account, a, PolicyKind::Identity)?;
            }
            principal_for(&format!("arn:aws:iam::{account}:user/SimulatedGroupMember"), &g.id, account)
        }
        Some("role") => {
            let x = st.role(account, name).ok_or_else(not_found)?;
            inputs.add_inline(&x.inline_policies, Source::Role)?;
            for a in &x.attached_policies {
                inputs.add_managed(&st, account, a, PolicyKind::Identity)?;
            }
            if r.permissions_boundary_policy_input_list.is_none() {
                if let Some(b) = &x.permissions_boundary {
                    inputs.add_managed(&st, account, b, PolicyKind::PermissionsBoundary)?;
                }
            }
            let mut p = principal_for(arn, &x.id, account);
            p.tags = x.tags.clone();
            p
        }
        _ => return Err(not_found()),
    };
    drop(st);
    inputs.add_inputs(r.policy_input_list.as_deref(), r.permissions_boundary_policy_input_list.as_deref())?;
    if let Some(rp) = &r.resource_policy {
        inputs.add("ResourcePolicy".into(), rp, PolicyKind::Resource, Source::Resource)?;
    }
    let principal = match &r.caller_arn {
        Some(c) => principal_for(c, &principal.id, account),
        None => principal,
    };
    let sim = Simulation {
        principal,
        account: account.to_owned(),
        actions: &r.action_names,
        resources: resources_or_star(r.resource_arns.as_deref()),
        resource_owner: r.resource_owner.as_deref(),
        context: r.context_entries.as_deref().unwrap_or_default(),
        now: iam.now(),
    };
    run(&inputs, &sim, r.marker.as_deref(), r.max_items)
}
