//! Every AWS managed policy (data/aws-managed-policies.jsonl.gz, as IAM serves them) is a
//! document IAM accepted, so each must parse as an identity policy and as a permissions
//! boundary, and evaluate without surprises.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::BufRead;

use castellan_policy::{
    Decision, Policy, PolicyKind, PolicySet, PrincipalType, RequestContext, RequestPrincipal,
};

fn documents() -> Vec<(String, String)> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/aws-managed-policies.jsonl.gz");
    let file = std::fs::File::open(path).unwrap();
    std::io::BufReader::new(flate2::read::GzDecoder::new(file))
        .lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
            let doc = match &v["Document"] {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (v["PolicyName"].as_str().unwrap().to_owned(), doc)
        })
        .collect()
}

#[test]
fn every_aws_managed_policy_parses_and_evaluates() {
    let docs = documents();
    assert!(docs.len() > 1000);
    let mut failures = Vec::new();
    let mut p = RequestPrincipal::new(
        PrincipalType::User,
        "arn:aws:iam::111122223333:user/alice",
        "AIDAX",
        "111122223333",
    );
    p.name = Some("alice".into());
    let ctx = RequestContext::new(p, "iam:CreateUser", "arn:aws:iam::111122223333:user/bob");
    let mut admin_like = 0;
    for (name, text) in &docs {
        for kind in [PolicyKind::Identity, PolicyKind::PermissionsBoundary] {
            match Policy::parse(text, kind) {
                Ok(policy) => {
                    let mut set = PolicySet::new();
                    set.add(name.clone(), policy);
                    if kind == PolicyKind::Identity
                        && set.evaluate(&ctx).decision == Decision::Allow
                    {
                        admin_like += 1;
                    }
                }
                Err(e) => failures.push(format!("{name} as {kind:?}: {e}")),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} fail: {:#?}",
        failures.len(),
        failures
    );
    // AdministratorAccess, IAMFullAccess and a few others grant iam:CreateUser; most do not.
    assert!(
        admin_like >= 2 && admin_like < docs.len() / 10,
        "{admin_like} policies allow iam:CreateUser"
    );
}
