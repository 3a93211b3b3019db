//! Property tests of the evaluator's invariants.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use castellan_policy::{
    Decision, Policy, PolicyKind, PolicySet, PrincipalType, RequestContext, RequestPrincipal,
};
use proptest::prelude::*;
use serde_json::{json, Value};

const A: &str = "111122223333";
const B: &str = "444455556666";
const ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:PutObject",
    "iam:CreateUser",
    "iam:GetUser",
    "ec2:RunInstances",
];
const ACTION_PATTERNS: &[&str] = &[
    "s3:GetObject",
    "s3:*",
    "*",
    "iam:Get*",
    "iam:CreateUser",
    "ec2:?unInstances",
    "S3:PUTOBJECT",
    "sqs:*",
];
const RESOURCES: &[&str] = &[
    "arn:aws:s3:::b/k",
    "arn:aws:s3:::other/k",
    "arn:aws:iam::111122223333:user/alice",
    "*",
];
const RESOURCE_PATTERNS: &[&str] = &[
    "*",
    "arn:aws:s3:::b/*",
    "arn:aws:s3:::b/k",
    "arn:aws:iam::111122223333:user/${aws:username}",
    "arn:aws:s3:::*/k",
];
const PRINCIPALS: &[&str] = &[
    "*",
    "111122223333",
    "arn:aws:iam::444455556666:root",
    "arn:aws:iam::111122223333:user/alice",
    "arn:aws:iam::111122223333:role/dev",
    "arn:aws:sts::111122223333:assumed-role/dev/s",
];

fn condition() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        3 => Just(None),
        1 => Just(Some(json!({"StringEquals": {"aws:RequestedRegion": "us-east-1"}}))),
        1 => Just(Some(json!({"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}))),
        1 => Just(Some(json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))),
        1 => Just(Some(json!({"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}}))),
        1 => Just(Some(json!({"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}}))),
        1 => Just(Some(json!({"ForAnyValue:StringLike": {"aws:TagKeys": "a*"}}))),
        1 => Just(Some(json!({"Null": {"aws:TokenIssueTime": "true"}}))),
        1 => Just(Some(json!({"NumericLessThan": {"s3:max-keys": "10"}}))),
    ]
}

fn statement(with_principal: bool) -> impl Strategy<Value = Value> {
    (
        prop::bool::weighted(0.3),
        prop::bool::weighted(0.15),
        prop::collection::vec(prop::sample::select(ACTION_PATTERNS), 1..3),
        prop::collection::vec(prop::sample::select(RESOURCE_PATTERNS), 1..3),
        prop::bool::weighted(0.1),
        condition(),
        prop::sample::select(PRINCIPALS),
        prop::bool::weighted(0.1),
    )
        .prop_map(
            move |(
                deny,
                not_action,
                actions,
                resources,
                not_resource,
                cond,
                principal,
                not_principal,
            )| {
                let mut st = serde_json::Map::new();
                st.insert("Effect".into(), json!(if deny { "Deny" } else { "Allow" }));
                st.insert(
                    (if not_action { "NotAction" } else { "Action" }).into(),
                    json!(actions),
                );
                st.insert(
                    (if not_resource {
                        "NotResource"
                    } else {
                        "Resource"
                    })
                    .into(),
                    json!(resources),
                );
                if with_principal {
                    let p = if principal == "*" {
                        json!("*")
                    } else {
                        json!({"AWS": principal})
                    };
                    st.insert(
                        (if not_principal {
                            "NotPrincipal"
                        } else {
                            "Principal"
                        })
                        .into(),
                        p,
                    );
                }
                if let Some(c) = cond {
                    st.insert("Condition".into(), c);
                }
                Value::Object(st)
            },
        )
}

fn document(with_principal: bool) -> impl Strategy<Value = Vec<Value>> {
    prop::collection::vec(statement(with_principal), 1..4)
}

fn text(statements: &[Value]) -> String {
    json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

/// A policy set in a neutral form: per kind, a list of statement lists.
#[derive(Debug, Clone)]
struct Spec {
    policies: Vec<(PolicyKind, Vec<Value>)>,
    session_applies: bool,
}

fn spec() -> impl Strategy<Value = Spec> {
    let kinds = prop::sample::select(
        &[
            PolicyKind::Identity,
            PolicyKind::Identity,
            PolicyKind::Resource,
            PolicyKind::PermissionsBoundary,
            PolicyKind::Session,
            PolicyKind::ServiceControl,
        ][..],
    );
    (
        prop::collection::vec(kinds, 0..5),
        prop::bool::weighted(0.1),
    )
        .prop_flat_map(|(kinds, session_applies)| {
            let docs: Vec<_> = kinds
                .iter()
                .map(|k| document(*k == PolicyKind::Resource))
                .collect();
            (Just(kinds), docs, Just(session_applies))
        })
        .prop_map(|(kinds, docs, session_applies)| Spec {
            policies: kinds.into_iter().zip(docs).collect(),
            session_applies,
        })
}

fn build(spec: &Spec) -> PolicySet {
    let mut set = PolicySet::new();
    for (i, (kind, statements)) in spec.policies.iter().enumerate() {
        let policy = Policy::parse(&text(statements), *kind)
            .unwrap_or_else(|e| panic!("{e}: {}", text(statements)));
        set.add(format!("p{i}"), policy);
    }
    if spec.session_applies {
        set = set.with_session();
    }
    set
}

fn request() -> impl Strategy<Value = RequestContext> {
    (
        0..5usize,
        prop::sample::select(ACTIONS),
        prop::sample::select(RESOURCES),
        prop::bool::ANY,
        prop::option::of(prop::sample::select(
            &["us-east-1", "eu-west-1", "ap-south-1"][..],
        )),
        prop::option::of(prop::sample::select(&["10.1.2.3", "192.168.1.1"][..])),
        prop::option::of(prop::collection::vec(
            prop::sample::select(&["a", "b", "c"][..]),
            0..3,
        )),
        prop::option::of(prop::sample::select(&["true", "false"][..])),
    )
        .prop_map(|(who, action, resource, cross, region, ip, tags, mfa)| {
            let principal = match who {
                0 => {
                    let mut p = RequestPrincipal::new(
                        PrincipalType::User,
                        format!("arn:aws:iam::{A}:user/alice"),
                        "AIDAALICE",
                        A,
                    );
                    p.name = Some("alice".into());
                    p
                }
                1 => {
                    let mut p = RequestPrincipal::new(
                        PrincipalType::AssumedRole,
                        format!("arn:aws:sts::{A}:assumed-role/dev/s"),
                        "AROADEV:s",
                        A,
                    );
                    p.role_arn = Some(format!("arn:aws:iam::{A}:role/dev"));
                    p
                }
                2 => RequestPrincipal::new(
                    PrincipalType::User,
                    format!("arn:aws:iam::{B}:user/bob"),
                    "AIDABOB",
                    B,
                ),
                3 => RequestPrincipal::new(
                    PrincipalType::Root,
                    format!("arn:aws:iam::{A}:root"),
                    A,
                    A,
                ),
                _ => RequestPrincipal::new(PrincipalType::Service, "ec2.amazonaws.com", "", ""),
            };
            let mut ctx = RequestContext::new(principal, action, resource);
            if cross {
                ctx = ctx.with_resource_account(A);
            }
            if let Some(r) = region {
                ctx.set("aws:RequestedRegion", vec![r.to_owned()]);
            }
            if let Some(ip) = ip {
                ctx.set("aws:SourceIp", vec![ip.to_owned()]);
            }
            if let Some(t) = tags {
                ctx.set("aws:TagKeys", t.into_iter().map(str::to_owned).collect());
            }
            if let Some(m) = mfa {
                ctx.set("aws:MultiFactorAuthPresent", vec![m.to_owned()]);
            }
            ctx
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    /// Adding a Deny statement anywhere never turns a decision into Allow.
    #[test]
    fn adding_a_deny_never_allows(spec in spec(), ctx in request(), deny in statement(false), at in 0..8usize) {
        let before = build(&spec).evaluate(&ctx).decision;
        let mut deny = deny;
        deny["Effect"] = json!("Deny");
        let mut more = spec.clone();
        if more.policies.is_empty() || at >= more.policies.len() {
            more.policies.push((PolicyKind::Identity, vec![deny]));
        } else {
            let (kind, statements) = &mut more.policies[at];
            if *kind == PolicyKind::Resource {
                deny["Principal"] = json!("*");
            }
            statements.push(deny);
        }
        let after = build(&more).evaluate(&ctx).decision;
        prop_assert!(before == Decision::Allow || after != Decision::Allow, "{before:?} -> {after:?}");
    }

    /// Reordering statements and policies changes neither the decision nor its reasons.
    #[test]
    fn order_does_not_matter(spec in spec(), ctx in request(), seed in any::<u64>()) {
        let mut shuffled = spec.clone();
        let mut rng = seed;
        let mut next = || { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; rng };
        for (_, statements) in &mut shuffled.policies {
            for i in (1..statements.len()).rev() {
                let j = (next() % (i as u64 + 1)) as usize;
                statements.swap(i, j);
            }
        }
        let n = shuffled.policies.len();
        for i in (1..n).rev() {
            let j = (next() % (i as u64 + 1)) as usize;
            shuffled.policies.swap(i, j);
        }
        let a = build(&spec);
        let b = build(&shuffled);
        let (ea, eb) = (a.evaluate(&ctx), b.evaluate(&ctx));
        prop_assert_eq!(ea.decision, eb.decision);
        prop_assert_eq!(ea.kind, eb.kind);
        prop_assert_eq!(ea.statements.len(), eb.statements.len());
    }

    /// A permissions boundary or a session policy never widens a decision.
    #[test]
    fn boundary_or_session_never_widens(spec in spec(), ctx in request(), extra in document(false), session in any::<bool>()) {
        // A principal has one boundary and one set of session policies (whose statements
        // together are its session's limit), so compare with none of that kind.
        let kind = if session { PolicyKind::Session } else { PolicyKind::PermissionsBoundary };
        let mut base = spec.clone();
        base.policies.retain(|(k, _)| *k != kind);
        if session {
            base.session_applies = false;
        }
        let before = build(&base).evaluate(&ctx).decision;
        let mut more = base;
        more.policies.push((kind, extra));
        let after = build(&more).evaluate(&ctx).decision;
        prop_assert!(after != Decision::Allow || before == Decision::Allow, "{before:?} -> {after:?}");
    }

    /// A document the parser refuses cannot be put into a policy set, so it never reaches
    /// evaluation; one it accepts can.
    #[test]
    fn rejected_documents_never_reach_evaluation(doc in document(false), mutation in 0..8usize, kind_i in 0..7usize) {
        let kinds = [
            PolicyKind::Identity, PolicyKind::Resource, PolicyKind::Trust, PolicyKind::PermissionsBoundary,
            PolicyKind::Session, PolicyKind::ServiceControl, PolicyKind::ResourceControl,
        ];
        let kind = kinds[kind_i];
        let mut value = json!({"Version": "2012-10-17", "Statement": doc});
        match mutation {
            0 => value["Statement"][0]["Effect"] = json!("allow"),
            1 => value["Statement"][0]["Condition"] = json!({"StringEqualz": {"k": "v"}}),
            2 => value["Statement"][0]["Action"] = json!("nocolon"),
            3 => value["Version"] = json!("2008-10-17"),
            4 => value["Statement"][0]["Extra"] = json!(1),
            5 => value["Statement"][0]["Principal"] = json!("*"),
            _ => {}
        }
        let text = value.to_string();
        let parsed = Policy::parse(&text, kind);
        let group = match kind {
            PolicyKind::Identity => "identity",
            PolicyKind::Resource | PolicyKind::Trust => "resource",
            PolicyKind::PermissionsBoundary => "boundary",
            PolicyKind::Session => "session",
            PolicyKind::ServiceControl => "scp",
            PolicyKind::ResourceControl => "rcp",
        };
        let kind_name = if kind == PolicyKind::Trust { "Trust" } else { "Resource" };
        let set = PolicySet::from_json(&json!({group: [{"id": "x", "kind": kind_name, "document": text}]}));
        let set = if matches!(kind, PolicyKind::Resource | PolicyKind::Trust) {
            set
        } else {
            PolicySet::from_json(&json!({group: [{"id": "x", "document": text}]}))
        };
        prop_assert_eq!(parsed.is_ok(), set.is_ok());
        if let Ok(p) = parsed {
            prop_assert_eq!(p.text(), text.as_str());
        }
    }
}
