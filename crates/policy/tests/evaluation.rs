//! Runs every evaluation case in tests/evaluation/*.json: policies by kind, a request
//! context, the expected decision, and (when given) the deciding statements and the kind of
//! policy named in AWS's AccessDenied message. Each case names the AWS page it follows.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeSet;

use castellan_policy::{Decision, PolicySet, RequestContext};
use serde_json::Value;

#[test]
fn evaluation_cases() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/evaluation");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    let mut count = 0;
    let mut failures = Vec::new();
    for path in paths
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
    {
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let cases: Vec<Value> =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        for case in cases {
            count += 1;
            let name = case["name"].as_str().unwrap();
            assert!(
                case["source"].as_str().is_some_and(|s| !s.is_empty()),
                "{file}: {name}: no source"
            );
            let set = match PolicySet::from_json(&case["policies"]) {
                Ok(s) => s,
                Err(e) => {
                    failures.push(format!("{file}: {name}: policies: {e}"));
                    continue;
                }
            };
            let ctx = match RequestContext::from_json(&case["request"]) {
                Ok(c) => c,
                Err(e) => {
                    failures.push(format!("{file}: {name}: request: {e}"));
                    continue;
                }
            };
            let got = set.evaluate(&ctx);
            let want = match case["decision"].as_str().unwrap() {
                "Allow" => Decision::Allow,
                "ExplicitDeny" => Decision::ExplicitDeny,
                "ImplicitDeny" => Decision::ImplicitDeny,
                other => panic!("{name}: bad decision {other}"),
            };
            if got.decision != want {
                failures.push(format!(
                    "{file}: {name}: want {want:?}, got {:?} ({:?})",
                    got.decision, got.statements
                ));
                continue;
            }
            if let Some(expected) = case.get("statements").and_then(Value::as_array) {
                let want: BTreeSet<(String, u64)> = expected
                    .iter()
                    .map(|s| (s[0].as_str().unwrap().to_owned(), s[1].as_u64().unwrap()))
                    .collect();
                let have: BTreeSet<(String, u64)> = got
                    .statements
                    .iter()
                    .map(|s| (s.policy.to_owned(), s.index as u64))
                    .collect();
                if want != have {
                    failures.push(format!(
                        "{file}: {name}: statements: want {want:?}, got {have:?}"
                    ));
                }
            }
            if let Some(kind) = case.get("kind").and_then(Value::as_str) {
                let have = got.kind.map(|k| k.phrase());
                if have != Some(kind) {
                    failures.push(format!("{file}: {name}: kind: want {kind}, got {have:?}"));
                }
                let message = got.access_denied_message(&ctx).unwrap();
                assert!(message.contains(kind), "{name}: {message}");
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {count} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // Every data file is read: losing one (corner_cases.json: 41) fails here.
    assert!(count >= 463, "only {count} cases");
}

#[test]
fn evaluate_json_round_trip() {
    let policies = serde_json::json!({"identity": [{"id": "p", "document": {"Version": "2012-10-17",
        "Statement": [{"Sid": "S", "Effect": "Allow", "Action": "iam:Get*", "Resource": "*"}]}}]});
    let principal = serde_json::json!({"type": "User", "arn": "arn:aws:iam::111122223333:user/alice",
        "id": "AIDAX", "account": "111122223333", "name": "alice"});
    let allowed = castellan_policy::evaluate_json(
        &policies,
        &serde_json::json!({"principal": principal, "action": "iam:GetUser", "resource": "*"}),
    )
    .unwrap();
    assert_eq!(allowed["decision"], "Allow");
    assert_eq!(allowed["statements"][0]["sid"], "S");
    assert!(allowed["message"].is_null());
    let denied = castellan_policy::evaluate_json(
        &policies,
        &serde_json::json!({"principal": principal, "action": "iam:CreateUser", "resource": "arn:aws:iam::111122223333:user/bob"}),
    )
    .unwrap();
    assert_eq!(denied["decision"], "ImplicitDeny");
    assert_eq!(
        denied["message"],
        "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::111122223333:user/bob because no identity-based policy allows the iam:CreateUser action"
    );
    let bad = serde_json::json!({"identity": [{"id": "p", "document": {"Statement": []}}]});
    let err = castellan_policy::evaluate_json(
        &bad,
        &serde_json::json!({"principal": principal, "action": "iam:GetUser"}),
    )
    .unwrap_err();
    assert!(err.contains("Syntax errors in policy."), "{err}");
}
