//! The policy simulator API: SimulatePrincipalPolicy and SimulateCustomPolicy, decided by the
//! same engine that decides every request, reporting the statements that decided.

use std::collections::HashMap;

use castellan_api::iam::{self, PolicyEvaluationDecisionType as Decision, PolicySourceType as Source};
use castellan_policy::{Policy, PolicyKind, PolicySet, PrincipalType, RequestContext, RequestPrincipal};

use super::policies::{resolve, PolicyRef};
use crate::error::{ApiError, ApiResult};
use crate::messages;
use crate::model::InlinePolicies;
use crate::paginate::page_range;
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

/// The most evaluation results (actions × resources) one simulation may have. AWS documents
/// no limit on either list (botocore's model gives ActionNames and ResourceArns no maximum
/// length; MaxItems is at most 1,000), so this one is Castellan's: a million results is a
/// thousand pages of the largest size. Pages are computed one at a time whatever the total.
pub const MAX_SIMULATION_RESULTS: usize = 1_000_000;

/// Refuses a simulation with more results than [`MAX_SIMULATION_RESULTS`], before any
/// policy is parsed, with the simulator's modeled InvalidInput.
fn check_size(actions: usize, resources: Option<&[String]>) -> ApiResult<()> {
    let resources = resources.map_or(1, |r| r.len().max(1));
    let results = actions.saturating_mul(resources);
    if results > MAX_SIMULATION_RESULTS {
        return Err(messages::simulation_too_large(actions, resources, results, MAX_SIMULATION_RESULTS));
    }
    Ok(())
}

/// One page of the simulation's results. Results are ordered action by action, each action
/// on every resource in turn; result `i` is action `i / resources` on resource
/// `i % resources`, so only the page asked for is evaluated (the marker is the position of
/// the page's first result).
fn run(inputs: &Inputs, sim: &Simulation<'_>, marker: Option<&str>, max: Option<i32>) -> ApiResult<iam::SimulatePolicyResponse> {
    let per_action = sim.resources.len();
    let total = sim.actions.len().saturating_mul(per_action);
    let (range, next_marker) = page_range(total, marker, max)?;
    let results = range
        .filter_map(|i| {
            let action = sim.actions.get(i.checked_div(per_action)?)?;
            let resource = sim.resources.get(i.checked_rem(per_action)?)?;
            Some(evaluate(inputs, sim, action, resource))
        })
        .collect();
    Ok(iam::SimulatePolicyResponse {
        evaluation_results: Some(results),
        is_truncated: Some(next_marker.is_some()),
        marker: next_marker,
    })
}

/// ResourceOwner is "an ARN representing the AWS account ID" (SimulateCustomPolicy API
/// reference), `arn:aws:iam::123456789012:root`; a bare account id is read as itself.
fn owner_account(owner: &str) -> String {
    match owner.strip_prefix("arn:") {
        Some(rest) => rest.split(':').nth(3).unwrap_or_default().to_owned(),
        None => owner.to_owned(),
    }
}

fn evaluate(inputs: &Inputs, sim: &Simulation<'_>, action: &str, resource: &str) -> iam::EvaluationResult {
    let mut ctx = RequestContext::new(sim.principal.clone(), action, resource)
        .with_resource_account(sim.resource_owner.map_or_else(|| sim.account.clone(), owner_account))
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
        evaluation.decision == castellan_policy::Decision::Allow || evaluation.kind != Some(PolicyKind::PermissionsBoundary)
    });
    iam::EvaluationResult {
        eval_action_name: action.to_owned(),
        eval_resource_name: Some(resource.to_owned()),
        eval_decision: decision(evaluation.decision),
        matched_statements: Some(matched),
        missing_context_values: Some(Vec::new()),
        organizations_decision_detail: None,
        permissions_boundary_decision_detail: boundary_allows
            .map(|b| iam::PermissionsBoundaryDecisionDetail { allowed_by_permissions_boundary: Some(b) }),
        eval_decision_details: None,
        resource_specific_results: None,
    }
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
    check_size(r.action_names.len(), r.resource_arns.as_deref())?;
    let mut inputs = Inputs::default();
    inputs.add_inputs(Some(&r.policy_input_list), r.permissions_boundary_policy_input_list.as_deref())?;
    if let Some(rp) = &r.resource_policy {
        inputs.add("ResourcePolicy".into(), rp, PolicyKind::Resource, Source::Resource)?;
    }
    let caller_arn = r.caller_arn.clone().unwrap_or_else(|| crate::arn::user_arn(caller.partition, &caller.account, "/", "SimulatedUser"));
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
    check_size(r.action_names.len(), r.resource_arns.as_deref())?;
    let st = iam.read();
    let account = caller.account.as_str();
    let arn = r.policy_source_arn.as_str();
    let mut inputs = Inputs::default();
    // Exactly the entity the request was authorized against: path and name as spelled.
    let principal = match super::policy_source(&st, account, arn)? {
        super::PolicySource::User(u) => {
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
        super::PolicySource::Group(g) => {
            inputs.add_inline(&g.inline_policies, Source::Group)?;
            for a in &g.attached_policies {
                inputs.add_managed(&st, account, a, PolicyKind::Identity)?;
            }
            principal_for(&crate::arn::user_arn(st.partition, account, "/", "SimulatedGroupMember"), &g.id, account)
        }
        super::PolicySource::Role(x) => {
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

    use castellan_api::{Request, Response};
    use castellan_store::MemoryStore;

    use super::*;
    use crate::paginate::encode_marker;
    use crate::{system_clock, MasterKey, RequestInfo};

    const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":["s3:Get*","s3:List*"],"Resource":"arn:aws:s3:::b/*"},
        {"Effect":"Deny","Action":"s3:GetObjectAcl","Resource":"*"}]}"#;

    fn setup() -> (Iam, Caller) {
        let iam = Iam::open(Box::new(MemoryStore::new()), MasterKey::generate().0, system_clock).unwrap();
        let creds = iam.create_account(Some("123456789012".into())).unwrap();
        let (root, _) = iam.caller_for_access_key(&creds.access_key_id).unwrap();
        (iam, root)
    }

    fn simulate(
        iam: &Iam,
        caller: &Caller,
        actions: &[String],
        resources: &[String],
        marker: Option<String>,
        max: i32,
    ) -> ApiResult<iam::SimulatePolicyResponse> {
        let r = iam::SimulateCustomPolicyRequest {
            policy_input_list: vec![POLICY.to_owned()],
            action_names: actions.to_vec(),
            resource_arns: Some(resources.to_vec()),
            marker,
            max_items: Some(max),
            ..Default::default()
        };
        match iam.handle(caller, &RequestInfo::default(), Request::SimulateCustomPolicy(r))? {
            Response::SimulateCustomPolicy(r) => Ok(r),
            other => panic!("unexpected {other:?}"),
        }
    }

    fn names(prefix: &str, n: usize) -> Vec<String> {
        (0..n).map(|i| format!("{prefix}{i}")).collect()
    }

    /// Paging evaluates lazily from the marker: the pages, walked in order, are exactly the
    /// full product, action by action and resource by resource, each pair as it is alone.
    #[test]
    fn pages_walked_in_order_equal_the_full_computation() {
        let (iam, root) = setup();
        let actions: Vec<String> =
            ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:GetObjectAcl", "iam:GetUser", "s3:GetBucketPolicy", "s3:DeleteObject"]
                .map(str::to_owned)
                .to_vec();
        let resources: Vec<String> = ["arn:aws:s3:::b/k1", "arn:aws:s3:::c/k", "*", "arn:aws:s3:::b/k2", "arn:aws:s3:::bb/k"]
            .map(str::to_owned)
            .to_vec();
        // Each pair simulated on its own.
        let mut expected = Vec::new();
        for a in &actions {
            for r in &resources {
                let one = simulate(&iam, &root, std::slice::from_ref(a), std::slice::from_ref(r), None, 1).unwrap();
                assert_eq!(one.is_truncated, Some(false));
                expected.extend(one.evaluation_results.unwrap());
            }
        }
        assert_eq!(expected.len(), 35);
        assert!(expected.iter().any(|e| e.eval_decision == Decision::Allowed));
        assert!(expected.iter().any(|e| e.eval_decision == Decision::ExplicitDeny));
        // One page holding everything.
        let all = simulate(&iam, &root, &actions, &resources, None, 1000).unwrap();
        assert_eq!((all.is_truncated, all.marker), (Some(false), None));
        assert_eq!(all.evaluation_results.unwrap(), expected);
        // Pages of 4: markers are the positions of the next page, as before.
        let mut walked = Vec::new();
        let mut marker = None;
        let mut markers = Vec::new();
        loop {
            let page = simulate(&iam, &root, &actions, &resources, marker.clone(), 4).unwrap();
            walked.extend(page.evaluation_results.unwrap());
            assert_eq!(page.is_truncated, Some(page.marker.is_some()));
            match page.marker {
                Some(m) => {
                    markers.push(m.clone());
                    marker = Some(m);
                }
                None => break,
            }
        }
        assert_eq!(walked, expected);
        assert_eq!(markers, (1..=8).map(|p| encode_marker(&(p * 4).to_string())).collect::<Vec<_>>());
    }

    /// The cartesian bomb: 2,000 actions × 2,000 resources (4 million results; it took 28 s
    /// and 1.6 GB when every pair was computed before paging) is refused before any work.
    #[test]
    fn simulation_of_2000_actions_on_2000_resources_is_refused_before_any_work() {
        let (iam, root) = setup();
        let err = simulate(&iam, &root, &names("s3:GetObject", 2000), &names("arn:aws:s3:::b/k", 2000), None, 1000).unwrap_err();
        assert_eq!((err.code(), err.status()), ("InvalidInput", 400));
        assert!(err.message().contains("4000000"), "{err}");
    }

    /// At the limit, a million results: any page is served by evaluating that page alone.
    #[test]
    fn a_million_result_simulation_serves_any_page_alone() {
        let (iam, root) = setup();
        let actions = names("s3:GetObject", 1000);
        let resources = names("arn:aws:s3:::b/k", 1000);
        let first = simulate(&iam, &root, &actions, &resources, None, 1000).unwrap();
        let results = first.evaluation_results.unwrap();
        assert_eq!(results.len(), 1000);
        assert!(results.iter().all(|r| r.eval_action_name == "s3:GetObject0"));
        assert_eq!(results[999].eval_resource_name.as_deref(), Some("arn:aws:s3:::b/k999"));
        assert_eq!(first.marker, Some(encode_marker("1000")));
        let last = simulate(&iam, &root, &actions, &resources, Some(encode_marker("999500")), 1000).unwrap();
        let results = last.evaluation_results.unwrap();
        assert_eq!((results.len(), last.is_truncated, last.marker), (500, Some(false), None));
        assert!(results.iter().all(|r| r.eval_action_name == "s3:GetObject999"));
        assert_eq!(results[0].eval_resource_name.as_deref(), Some("arn:aws:s3:::b/k500"));
        // A marker past the end is an empty last page, as before.
        let past = simulate(&iam, &root, &actions, &resources, Some(encode_marker("2000000")), 10).unwrap();
        assert_eq!((past.evaluation_results.map(|r| r.len()), past.marker), (Some(0), None));
    }
}
