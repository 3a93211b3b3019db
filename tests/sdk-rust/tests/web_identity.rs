//! The AWS SDK for Rust's default credential chain with `AWS_WEB_IDENTITY_TOKEN_FILE` +
//! `AWS_ROLE_ARN` against a real `castellan serve`, which verifies the token with a real OIDC
//! issuer on loopback over HTTPS (tests/e2e/oidc_issuer.py, run with the e2e suite's Python:
//! `CASTELLAN_E2E_PYTHON`, default tests/e2e/.venv/bin/python).
//!
//! Its own test binary with one test: it sets process environment variables, which only a
//! process with a single test may do safely.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Stdio;

use aws_config::{BehaviorVersion, Region};
use aws_credential_types::Credentials;
use tokio::io::{AsyncBufReadExt, BufReader};

const ACCOUNT: &str = "123456789012";
const ROOT_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
const ROOT_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

async fn first_line(child: &mut tokio::process::Child, what: &str, want: impl Fn(&str) -> Option<String>) -> String {
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    loop {
        let line = tokio::time::timeout(std::time::Duration::from_secs(60), lines.next_line())
            .await
            .unwrap_or_else(|_| panic!("{what} did not start in time"))
            .unwrap()
            .unwrap_or_else(|| panic!("{what} exited"));
        if let Some(v) = want(&line) {
            return v;
        }
    }
}

#[tokio::test]
async fn web_identity_token_file_and_role_arn_through_the_default_chain() {
    let dir = env!("CARGO_MANIFEST_DIR");
    let python = std::env::var("CASTELLAN_E2E_PYTHON").unwrap_or_else(|_| format!("{dir}/../e2e/.venv/bin/python"));
    let mut issuer = tokio::process::Command::new(&python)
        .arg(format!("{dir}/../e2e/oidc_issuer.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("start the test OIDC issuer with {python} (the e2e suite's venv; CASTELLAN_E2E_PYTHON): {e}"));
    let line = first_line(&mut issuer, "the OIDC issuer", |l| Some(l.to_owned())).await;
    let mut parts = line.split(' ');
    let (Some(issuer_url), Some(ca_bundle), Some(token)) = (parts.next(), parts.next(), parts.next()) else { panic!("the issuer printed {line:?}") };

    let bin = std::env::var("CASTELLAN_BIN").unwrap_or_else(|_| format!("{dir}/../../target/debug/castellan"));
    let mut castellan = tokio::process::Command::new(bin)
        .args(["serve", "--in-memory", "--listen", "127.0.0.1:0"])
        .env("CASTELLAN_ACCOUNT_ID", ACCOUNT)
        .env("CASTELLAN_ROOT_ACCESS_KEY_ID", ROOT_KEY)
        .env("CASTELLAN_ROOT_SECRET_ACCESS_KEY", ROOT_SECRET)
        .env("CASTELLAN_CA_BUNDLE", ca_bundle)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start castellan (set CASTELLAN_BIN)");
    let endpoint = first_line(&mut castellan, "castellan", |l| l.split("listening on ").nth(1).map(|e| e.trim().to_owned())).await;

    // The provider and a role trusting it, made by the root user.
    let root = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(&endpoint)
        .credentials_provider(Credentials::new(ROOT_KEY, ROOT_SECRET, None, None, "test"))
        .load()
        .await;
    let iam = aws_sdk_iam::Client::new(&root);
    let provider = iam
        .create_open_id_connect_provider()
        .url(issuer_url)
        .client_id_list("sts.amazonaws.com")
        .send()
        .await
        .unwrap()
        .open_id_connect_provider_arn
        .unwrap();
    let host = issuer_url.trim_start_matches("https://");
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Federated":"{provider}"}},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{{"StringEquals":{{"{host}:aud":"sts.amazonaws.com"}}}}}}]}}"#
    );
    let role = iam.create_role().role_name("sdk-rust-web-identity").assume_role_policy_document(trust).send().await.unwrap();
    let role_arn = role.role.unwrap().arn;

    // The default chain, configured only by the environment, as in a pod or a CI job.
    let token_file = std::env::temp_dir().join(format!("castellan-sdk-rust-token-{}", std::process::id()));
    std::fs::write(&token_file, token).unwrap();
    for k in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"] {
        std::env::remove_var(k);
    }
    std::env::set_var("AWS_WEB_IDENTITY_TOKEN_FILE", &token_file);
    std::env::set_var("AWS_ROLE_ARN", &role_arn);
    std::env::set_var("AWS_ROLE_SESSION_NAME", "sdk-rust");
    std::env::set_var("AWS_ENDPOINT_URL", &endpoint);
    std::env::set_var("AWS_CONFIG_FILE", "/nonexistent");
    std::env::set_var("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent");
    std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
    let conf = aws_config::defaults(BehaviorVersion::latest()).region(Region::new("us-east-1")).load().await;
    let who = aws_sdk_sts::Client::new(&conf).get_caller_identity().send().await.unwrap();
    assert_eq!(who.arn.unwrap(), format!("arn:aws:sts::{ACCOUNT}:assumed-role/sdk-rust-web-identity/sdk-rust"));
    let _ = std::fs::remove_file(&token_file);
}
