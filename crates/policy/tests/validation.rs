//! Runs every validation case in tests/validation/*.json: a document, the kind it is parsed
//! as, and the MalformedPolicyDocument message AWS gives (or null when AWS accepts it).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use castellan_policy::{Policy, PolicyKind};
use serde_json::Value;

fn kind(name: &str) -> PolicyKind {
    match name {
        "Identity" => PolicyKind::Identity,
        "Resource" => PolicyKind::Resource,
        "Trust" => PolicyKind::Trust,
        "PermissionsBoundary" => PolicyKind::PermissionsBoundary,
        "Session" => PolicyKind::Session,
        "ServiceControl" => PolicyKind::ServiceControl,
        "ResourceControl" => PolicyKind::ResourceControl,
        other => panic!("unknown kind {other}"),
    }
}

#[test]
fn validation_cases() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/validation");
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    let mut count = 0;
    let mut failures = Vec::new();
    for path in entries
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
    {
        let cases: Vec<Value> =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        for case in cases {
            count += 1;
            let name = case["name"].as_str().unwrap();
            assert!(
                case["source"].as_str().is_some_and(|s| !s.is_empty()),
                "{name}: no source"
            );
            let text = match case.get("document_text") {
                Some(t) => t.as_str().unwrap().to_owned(),
                None => serde_json::to_string_pretty(&case["document"]).unwrap(),
            };
            let got = Policy::parse(&text, kind(case["kind"].as_str().unwrap()));
            let want = case["error"].as_str();
            let got_msg = got.as_ref().err().map(|e| e.message().to_owned());
            if got_msg.as_deref() != want {
                failures.push(format!(
                    "{}: {name}: want {want:?}, got {got_msg:?}",
                    path.display()
                ));
            }
            if let Ok(p) = got {
                assert_eq!(p.text(), text);
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {count} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // Every data file is read: losing one (recorded_create_policy.json: 44) fails here.
    assert!(count >= 196, "only {count} cases");
}
