//! The decision: AWS's documented policy evaluation logic over a compiled policy set.
//!
//! Follows the IAM User Guide: "Policy evaluation logic", "How AWS enforcement code logic
//! evaluates requests to allow or deny access", "Policy evaluation for requests within a
//! single account", "Cross-account policy evaluation logic", "Permissions boundaries for
//! IAM entities" (resource-based policies) and "Session policies".

use std::collections::HashMap;

use crate::context::{PrincipalType, RequestContext};
use crate::matching::{self, Named};
use crate::model::{ActionBlock, Effect, PolicyKind};
use crate::Policy;

/// The outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    Allow,
    /// A Deny statement applies.
    ExplicitDeny,
    /// Nothing denies, but the policies that must allow do not.
    ImplicitDeny,
}

/// A statement that decided: the policy's id (as given to [`PolicySet::add`]), its kind,
/// the statement's Sid and its index in the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatementRef<'a> {
    pub policy: &'a str,
    pub kind: PolicyKind,
    pub sid: Option<&'a str>,
    pub index: usize,
}

/// The decision with its reasons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation<'a> {
    pub decision: Decision,
    /// For ExplicitDeny every Deny statement that applies; for Allow every Allow statement
    /// that applies; empty for ImplicitDeny.
    pub statements: Vec<StatementRef<'a>>,
    /// For ExplicitDeny, the kind of policy holding the first deny (in the order SCP, RCP,
    /// resource-based, identity-based, permissions boundary, session); for ImplicitDeny,
    /// the kind of policy that failed to allow.
    pub kind: Option<PolicyKind>,
}

impl Evaluation<'_> {
    pub fn is_allowed(&self) -> bool {
        self.decision == Decision::Allow
    }

    /// AWS's AccessDenied message for this decision, or `None` when allowed:
    /// "User: ARN is not authorized to perform: ACTION on resource: RESOURCE because no
    /// identity-based policy allows the ACTION action" / "... with an explicit deny in an
    /// identity-based policy".
    pub fn access_denied_message(&self, ctx: &RequestContext) -> Option<String> {
        self.access_denied_message_on(ctx, &ctx.resource)
    }

    /// [`Self::access_denied_message`] naming the resource as `resource` (IAM names its own
    /// entities `user NAME`, `role NAME`, … rather than by ARN).
    pub fn access_denied_message_on(&self, ctx: &RequestContext, resource: &str) -> Option<String> {
        let who = match ctx.principal.kind {
            PrincipalType::Anonymous => "Anonymous".to_owned(),
            _ => ctx.principal.arn.clone(),
        };
        let head = format!(
            "User: {who} is not authorized to perform: {} on resource: {resource}",
            ctx.action
        );
        match (self.decision, self.kind) {
            (Decision::Allow, _) => None,
            (Decision::ExplicitDeny, Some(kind)) => Some(format!(
                "{head} with an explicit deny in {}",
                with_article(kind)
            )),
            (Decision::ImplicitDeny, Some(kind)) => Some(format!(
                "{head} because no {} allows the {} action",
                kind.phrase(),
                ctx.action
            )),
            (_, None) => Some(head),
        }
    }
}

fn with_article(kind: PolicyKind) -> String {
    let phrase = kind.phrase();
    let article = if phrase.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {phrase}")
}

/// Where a policy sits in the evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    ServiceControl = 0,
    ResourceControl = 1,
    Resource = 2,
    Identity = 3,
    Boundary = 4,
    Session = 5,
}

const SLOTS: [Slot; 6] = [
    Slot::ServiceControl,
    Slot::ResourceControl,
    Slot::Resource,
    Slot::Identity,
    Slot::Boundary,
    Slot::Session,
];

fn slot_of(kind: PolicyKind) -> Slot {
    match kind {
        PolicyKind::Identity => Slot::Identity,
        PolicyKind::Resource | PolicyKind::Trust => Slot::Resource,
        PolicyKind::PermissionsBoundary => Slot::Boundary,
        PolicyKind::Session => Slot::Session,
        PolicyKind::ServiceControl => Slot::ServiceControl,
        PolicyKind::ResourceControl => Slot::ResourceControl,
    }
}

/// Statements of one slot, indexed by the service prefix of their actions.
#[derive(Debug, Clone, Default)]
struct Index {
    /// (policy, statement) pairs whose actions name this service.
    by_service: HashMap<String, Vec<(u32, u32)>>,
    /// Pairs that may match any service (`*`, a wildcard vendor, NotAction).
    any: Vec<(u32, u32)>,
}

#[derive(Debug, Clone, Default)]
struct SlotPolicies {
    policies: Vec<(String, Policy)>,
    /// For SCPs: the level of the organization each policy is attached at (root, OU, ...,
    /// account); every level must allow.
    levels: Vec<u32>,
    index: Index,
}

/// A compiled, indexed set of policies for one principal and resource. Built once; each
/// decision does no parsing and allocates only its answer.
#[derive(Debug, Clone, Default)]
pub struct PolicySet {
    slots: [SlotPolicies; 6],
    session_applies: bool,
}

impl PolicySet {
    pub fn new() -> PolicySet {
        PolicySet::default()
    }

    /// Adds a policy under `id` (a policy ARN, an inline policy's name, ...). The policy's
    /// kind decides its role: identity-based, resource-based (a Trust policy is the role's
    /// resource-based policy), permissions boundary, session policy, SCP or RCP.
    pub fn add(&mut self, id: impl Into<String>, policy: Policy) {
        self.add_at_level(id, policy, 0);
    }

    /// Adds a service control policy attached at `level` of the organization (0 for the
    /// root, then each OU down to the account). AWS requires an Allow at every level that
    /// has SCPs; [`PolicySet::add`] puts every SCP at level 0. For other kinds the level
    /// is ignored.
    pub fn add_at_level(&mut self, id: impl Into<String>, policy: Policy, level: u32) {
        let slot = slot_of(policy.kind());
        if slot == Slot::Session {
            self.session_applies = true;
        }
        let sp = self.slots.get_mut(slot as usize);
        let Some(sp) = sp else { return };
        let pi = u32::try_from(sp.policies.len()).unwrap_or(u32::MAX);
        for (si, st) in policy.statements().iter().enumerate() {
            let si = u32::try_from(si).unwrap_or(u32::MAX);
            let services: Option<Vec<&str>> = match st.action() {
                ActionBlock::NotAction(_) => None,
                ActionBlock::Action(list) => list.iter().map(|m| m.service.as_deref()).collect(),
            };
            match services {
                None => sp.index.any.push((pi, si)),
                Some(mut services) => {
                    services.sort_unstable();
                    services.dedup();
                    for s in services {
                        sp.index
                            .by_service
                            .entry(s.to_owned())
                            .or_default()
                            .push((pi, si));
                    }
                }
            }
        }
        sp.policies.push((id.into(), policy));
        sp.levels.push(level);
    }

    /// Marks the request as made with a session whose session policies are the ones added
    /// (possibly none: a federated user session without a policy is allowed nothing by its
    /// session policies). Adding a session policy marks it too.
    pub fn with_session(mut self) -> PolicySet {
        self.session_applies = true;
        self
    }

    /// Builds a set from JSON: `{"identity": [P], "resource": [P], "boundary": [P],
    /// "session": [P], "scp": [P], "rcp": [P], "session_applies"?: bool}` where each P is
    /// `{"id": "...", "document": {...} or "text", "kind"?: "Resource"|"Trust", "level"?: n}`
    /// (`level`: an SCP's level in the organization, see [`PolicySet::add_at_level`]).
    /// A document the parser refuses is an error.
    pub fn from_json(v: &serde_json::Value) -> Result<PolicySet, String> {
        let mut set = PolicySet::new();
        let groups = [
            ("identity", PolicyKind::Identity),
            ("resource", PolicyKind::Resource),
            ("boundary", PolicyKind::PermissionsBoundary),
            ("session", PolicyKind::Session),
            ("scp", PolicyKind::ServiceControl),
            ("rcp", PolicyKind::ResourceControl),
        ];
        let obj = v.as_object().ok_or("policies: not an object")?;
        for key in obj.keys() {
            if key != "session_applies" && !groups.iter().any(|(g, _)| g == key) {
                return Err(format!("policies: unknown group `{key}`"));
            }
        }
        for (group, default_kind) in groups {
            let Some(list) = obj.get(group) else { continue };
            for (i, p) in list
                .as_array()
                .ok_or_else(|| format!("policies.{group}: not a list"))?
                .iter()
                .enumerate()
            {
                let id = p
                    .get("id")
                    .and_then(serde_json::Value::as_str)
                    .map_or_else(|| format!("{group}{i}"), str::to_owned);
                let kind = match p.get("kind").and_then(serde_json::Value::as_str) {
                    Some("Trust") => PolicyKind::Trust,
                    Some("Resource") => PolicyKind::Resource,
                    Some(other) => return Err(format!("policies.{group}: unknown kind `{other}`")),
                    None => default_kind,
                };
                let text = match p.get("document") {
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(doc) => doc.to_string(),
                    None => return Err(format!("policies.{group}.{id}: missing `document`")),
                };
                let policy = Policy::parse(&text, kind)
                    .map_err(|e| format!("policies.{group}.{id}: {e}"))?;
                let level = p
                    .get("level")
                    .and_then(serde_json::Value::as_u64)
                    .unwrap_or(0);
                set.add_at_level(id, policy, u32::try_from(level).unwrap_or(u32::MAX));
            }
        }
        if obj
            .get("session_applies")
            .and_then(serde_json::Value::as_bool)
            == Some(true)
        {
            set.session_applies = true;
        }
        Ok(set)
    }

    fn slot(&self, slot: Slot) -> &SlotPolicies {
        // SLOTS has one entry per array element, so the index is in range.
        #[expect(
            clippy::indexing_slicing,
            reason = "Slot discriminants are 0..6, the array's length"
        )]
        &self.slots[slot as usize]
    }

    fn has_trust(&self) -> bool {
        self.slot(Slot::Resource)
            .policies
            .iter()
            .any(|(_, p)| p.kind() == PolicyKind::Trust)
    }

    fn has(&self, slot: Slot) -> bool {
        !self.slot(slot).policies.is_empty()
    }

    /// The statements of `slot` that apply to the request, with how their Principal named
    /// the caller.
    fn applicable<'a>(&'a self, slot: Slot, ctx: &RequestContext, out: &mut Vec<Hit<'a>>) {
        let sp = self.slot(slot);
        let service = ctx.action.split_once(':').map_or("", |(s, _)| s);
        let lower;
        let service = if service.bytes().any(|b| b.is_ascii_uppercase()) {
            lower = service.to_ascii_lowercase();
            lower.as_str()
        } else {
            service
        };
        let named = sp
            .index
            .by_service
            .get(service)
            .map_or(&[][..], Vec::as_slice);
        let has_boundary = self.has(Slot::Boundary);
        let kind_of = |pi: usize| sp.policies.get(pi).map(|(_, p)| p.kind());
        let mut visit = |&(pi, si): &(u32, u32)| {
            let (pi, si) = (pi as usize, si as usize);
            let Some((id, policy)) = sp.policies.get(pi) else {
                return;
            };
            let Some(st) = policy.statements().get(si) else {
                return;
            };
            if !matching::action_applies(st, &ctx.action) || !matching::resource_applies(st, ctx) {
                return;
            }
            let Some(how) = matching::principal_applies(st, ctx, has_boundary) else {
                return;
            };
            if !matching::conditions_hold(st, ctx) {
                return;
            }
            let kind = kind_of(pi).unwrap_or(PolicyKind::Identity);
            out.push(Hit {
                r: StatementRef {
                    policy: id,
                    kind,
                    sid: st.sid(),
                    index: si,
                },
                effect: st.effect(),
                how,
                level: sp.levels.get(pi).copied().unwrap_or(0),
            });
        };
        named.iter().for_each(&mut visit);
        sp.index.any.iter().for_each(&mut visit);
    }

    /// Decides the request.
    pub fn evaluate(&self, ctx: &RequestContext) -> Evaluation<'_> {
        let p = &ctx.principal;
        let iam = p.kind.is_iam();
        // SCPs govern the principals of the accounts they are attached to; they do not
        // apply to service principals, web identities or anonymous callers.
        let slots_for = |slot: Slot| match slot {
            Slot::ServiceControl => iam,
            Slot::Identity | Slot::Boundary => iam && p.kind != PrincipalType::Root,
            Slot::Session => iam && self.session_applies,
            Slot::ResourceControl | Slot::Resource => true,
        };
        let mut hits: [Vec<Hit<'_>>; 6] = Default::default();
        for slot in SLOTS {
            if slots_for(slot) {
                if let Some(h) = hits.get_mut(slot as usize) {
                    self.applicable(slot, ctx, h);
                }
            }
        }
        let get = |slot: Slot| hits.get(slot as usize).map_or(&[][..], Vec::as_slice);

        // 1. An explicit deny anywhere wins.
        let denies: Vec<StatementRef<'_>> = SLOTS
            .iter()
            .flat_map(|s| {
                get(*s)
                    .iter()
                    .filter(|h| h.effect == Effect::Deny)
                    .map(|h| h.r)
            })
            .collect();
        if let Some(first) = denies.first() {
            return Evaluation {
                decision: Decision::ExplicitDeny,
                kind: Some(first.kind_for_message()),
                statements: denies,
            };
        }
        let allows = |slot: Slot| get(slot).iter().filter(|h| h.effect == Effect::Allow);
        let allowed = |slot: Slot| allows(slot).next().is_some();
        let implicit = |kind: PolicyKind| Evaluation {
            decision: Decision::ImplicitDeny,
            statements: Vec::new(),
            kind: Some(kind),
        };

        // 2. RCPs, then SCPs, when supplied, must allow.
        if self.has(Slot::ResourceControl) && !allowed(Slot::ResourceControl) {
            return implicit(PolicyKind::ResourceControl);
        }
        let scp = self.slot(Slot::ServiceControl);
        let every_level_allows = scp
            .levels
            .iter()
            .all(|level| allows(Slot::ServiceControl).any(|h| h.level == *level));
        if slots_for(Slot::ServiceControl) && self.has(Slot::ServiceControl) && !every_level_allows
        {
            return implicit(PolicyKind::ServiceControl);
        }

        let all_allows = || {
            SLOTS
                .iter()
                .flat_map(|s| allows(*s).map(|h| h.r))
                .collect::<Vec<_>>()
        };
        let allow = || Evaluation {
            decision: Decision::Allow,
            statements: all_allows(),
            kind: None,
        };

        // Principals without identity-based policies are decided by resource-based policies.
        if !iam {
            return if allowed(Slot::Resource) {
                allow()
            } else {
                implicit(PolicyKind::Resource)
            };
        }

        let resource_named = allows(Slot::Resource).map(|h| h.how).max();
        let boundary_ok = !self.has(Slot::Boundary) || allowed(Slot::Boundary);
        let session_ok = !self.session_applies || allowed(Slot::Session);
        let identity_ok = p.kind == PrincipalType::Root || allowed(Slot::Identity);
        let same_account = match ctx.resource_account.as_deref() {
            None => true,
            Some(acct) => acct.is_empty() || acct == p.account,
        };

        if same_account {
            // 3. A resource-based policy that names the user or the session itself allows
            // regardless of implicit denies elsewhere; one that names the role is still
            // limited by the boundary and the session policies; one that names only the
            // account delegates to the identity-based policies.
            match resource_named {
                Some(Named::Directly) => return allow(),
                Some(Named::Role) => {
                    if boundary_ok && session_ok {
                        return allow();
                    }
                }
                Some(Named::Account) | None => {}
            }
            // A role's trust policy is always required: identity-based policies alone
            // never let a principal assume a role (IAM User Guide, "Roles terms and
            // concepts": trust policy).
            if resource_named.is_none() && self.has_trust() {
                return implicit(PolicyKind::Resource);
            }
            if p.kind == PrincipalType::Root {
                return allow();
            }
            if !identity_ok {
                return implicit(PolicyKind::Identity);
            }
        } else {
            // Cross-account: the resource's account must allow (naming the account is
            // enough), and so must the principal's own policies.
            if resource_named.is_none() {
                return implicit(PolicyKind::Resource);
            }
            if !identity_ok {
                return implicit(PolicyKind::Identity);
            }
        }
        if !boundary_ok {
            return implicit(PolicyKind::PermissionsBoundary);
        }
        if !session_ok {
            return implicit(PolicyKind::Session);
        }
        allow()
    }
}

#[derive(Debug, Clone, Copy)]
struct Hit<'a> {
    r: StatementRef<'a>,
    effect: Effect,
    how: Named,
    level: u32,
}

impl StatementRef<'_> {
    fn kind_for_message(&self) -> PolicyKind {
        self.kind
    }
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "Allow",
            Decision::ExplicitDeny => "ExplicitDeny",
            Decision::ImplicitDeny => "ImplicitDeny",
        }
    }
}

impl Evaluation<'_> {
    /// The evaluation as JSON: `{"decision", "statements": [{"policy", "kind", "sid",
    /// "index"}], "kind", "message"}` (`kind` and `message` are null when allowed).
    pub fn to_json(&self, ctx: &RequestContext) -> serde_json::Value {
        let statements: Vec<serde_json::Value> = self
            .statements
            .iter()
            .map(|s| {
                serde_json::json!({"policy": s.policy, "kind": s.kind.phrase(), "sid": s.sid, "index": s.index})
            })
            .collect();
        serde_json::json!({
            "decision": self.decision.as_str(),
            "statements": statements,
            "kind": self.kind.map(PolicyKind::phrase),
            "message": self.access_denied_message(ctx),
        })
    }
}

/// Decides a request given as JSON against policies given as JSON (the shapes of
/// [`PolicySet::from_json`] and [`RequestContext::from_json`]) and returns
/// [`Evaluation::to_json`]. An error names the input that could not be read, or the policy
/// the parser refused with AWS's message.
pub fn evaluate_json(
    policies: &serde_json::Value,
    request: &serde_json::Value,
) -> Result<serde_json::Value, String> {
    let set = PolicySet::from_json(policies)?;
    let ctx = RequestContext::from_json(request)?;
    Ok(set.evaluate(&ctx).to_json(&ctx))
}
