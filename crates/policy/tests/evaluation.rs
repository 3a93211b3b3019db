//! Runs every evaluation case in tests/evaluation/*.json: policies by kind, a request
//! context, the expected decision, and (when given) the deciding statements and the kind of
//! policy named in AWS's AccessDenied message. Each case names the AWS page it follows.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::BTreeSet;

use castellan_policy::{Decision, PolicySet, RequestContext};
use serde_json::Value;

#[test]
fn evaluation_cases() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/evaluation");
    let mut paths: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    paths.sort();
    let mut count = 0;
    let mut failures = Vec::new();
    for path in paths.iter().filter(|p| p.extension().is_some_and(|e| e == "json")) {
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let cases: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        for case in cases {
            count += 1;
            let name = case["name"].as_str().unwrap();
            assert!(case["source"].as_str().is_some_and(|s| !s.is_empty()), "{file}: {name}: no source");
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
                failures.push(format!("{file}: {name}: want {want:?}, got {:?} ({:?})", got.decision, got.statements));
                continue;
            }
            if let Some(expected) = case.get("statements").and_then(Value::as_array) {
                let want: BTreeSet<(String, u64)> = expected
                    .iter()
                    .map(|s| (s[0].as_str().unwrap().to_owned(), s[1].as_u64().unwrap()))
                    .collect();
                let have: BTreeSet<(String, u64)> =
                    got.statements.iter().map(|s| (s.policy.to_owned(), s.index as u64)).collect();
                if want != have {
                    failures.push(format!("{file}: {name}: statements: want {want:?}, got {have:?}"));
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
    assert!(failures.is_empty(), "{} of {count} cases failed:\n{}", failures.len(), failures.join("\n"));
    assert!(count >= 300, "only {count} cases");
}
