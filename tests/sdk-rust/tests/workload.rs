//! The AWS SDK for Rust as a workload: started by `castellan workload run` with no credentials
//! of its own, its default credential chain finds the instance profile's role through the
//! metadata service (AWS_EC2_METADATA_SERVICE_ENDPOINT) or the task role's through the
//! container endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI + _TOKEN_FILE), calls
//! GetCallerIdentity, and keeps working across a refresh of 60-second credentials.
//!
//! The workload is this test binary again (`workload_child`), run by `castellan workload run`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Stdio;
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region};
use aws_credential_types::provider::ProvideCredentials;
use aws_credential_types::Credentials;
use tokio::io::{AsyncBufReadExt, BufReader};

const ACCOUNT: &str = "123456789012";
const ROOT_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
const ROOT_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const CHILD: &str = "CASTELLAN_SDK_WORKLOAD_CHILD";

fn bin() -> String {
    std::env::var("CASTELLAN_BIN").unwrap_or_else(|_| format!("{}/../../target/debug/castellan", env!("CARGO_MANIFEST_DIR")))
}

/// `castellan serve --in-memory` on a free port: the child and its endpoint.
async fn serve() -> (tokio::process::Child, String) {
    let mut child = tokio::process::Command::new(bin())
        .args(["serve", "--in-memory", "--listen", "127.0.0.1:0"])
        .env("CASTELLAN_ACCOUNT_ID", ACCOUNT)
        .env("CASTELLAN_ROOT_ACCESS_KEY_ID", ROOT_KEY)
        .env("CASTELLAN_ROOT_SECRET_ACCESS_KEY", ROOT_SECRET)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start castellan (set CASTELLAN_BIN)");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    loop {
        let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line()).await.unwrap().unwrap().expect("castellan exited");
        if let Some(rest) = line.split("listening on ").nth(1) {
            return (child, rest.trim().to_owned());
        }
    }
}

/// Runs this binary's `workload_child` under `castellan workload run ARGS`; returns the
/// child's result line: the ARN it was and how many sets of credentials it used.
async fn run_child(endpoint: &str, args: &[&str]) -> (String, usize) {
    let exe = std::env::current_exe().unwrap();
    let out = tokio::process::Command::new(bin())
        .args(["workload", "run"])
        .args(args)
        .args(["--duration-seconds", "60", "--"])
        .arg(exe)
        .args(["workload_child", "--exact", "--nocapture", "--test-threads", "1"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AWS_ACCESS_KEY_ID", ROOT_KEY)
        .env("AWS_SECRET_ACCESS_KEY", ROOT_SECRET)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", endpoint)
        .env(CHILD, "1")
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let line = stdout.lines().find_map(|l| l.split("WORKLOAD-RESULT ").nth(1)).unwrap_or_else(|| panic!("no result: {stdout}"));
    let (arn, keys) = line.split_once(' ').unwrap();
    (arn.to_owned(), keys.parse().unwrap())
}

#[tokio::test]
async fn instance_profile_and_task_role_through_castellan_workload_run() {
    if std::env::var_os(CHILD).is_some() {
        return;
    }
    let (_server, endpoint) = serve().await;
    let root = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(&endpoint)
        .credentials_provider(Credentials::new(ROOT_KEY, ROOT_SECRET, None, None, "test"))
        .load()
        .await;
    let iam = aws_sdk_iam::Client::new(&root);
    let trust = |service: &str| {
        format!(r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Service":"{service}"}},"Action":"sts:AssumeRole"}}]}}"#)
    };
    iam.create_role().role_name("Ec2App").assume_role_policy_document(trust("ec2.amazonaws.com")).send().await.unwrap();
    iam.create_instance_profile().instance_profile_name("Ec2AppProfile").send().await.unwrap();
    iam.add_role_to_instance_profile().instance_profile_name("Ec2AppProfile").role_name("Ec2App").send().await.unwrap();
    iam.create_role().role_name("TaskApp").assume_role_policy_document(trust("ecs-tasks.amazonaws.com")).send().await.unwrap();

    let (arn, keys) = run_child(&endpoint, &["--instance-profile", "Ec2AppProfile"]).await;
    assert!(arn.starts_with(&format!("arn:aws:sts::{ACCOUNT}:assumed-role/Ec2App/i-")), "{arn}");
    assert!(keys >= 2, "worked across a refresh: {keys}");
    let (arn, keys) = run_child(&endpoint, &["--task-role", "TaskApp"]).await;
    assert!(arn.starts_with(&format!("arn:aws:sts::{ACCOUNT}:assumed-role/TaskApp/")), "{arn}");
    assert!(keys >= 2, "worked across a refresh: {keys}");
}

/// The workload: the default chain, no credentials in the environment. Does nothing unless
/// run by the test above.
#[tokio::test]
async fn workload_child() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    assert!(std::env::var_os("AWS_ACCESS_KEY_ID").is_none());
    let config = aws_config::load_defaults(BehaviorVersion::latest()).await;
    let sts = aws_sdk_sts::Client::new(&config);
    let provider = config.credentials_provider().unwrap();
    let started = Instant::now();
    let mut keys: Vec<String> = Vec::new();
    let mut arn = String::new();
    // Until a second set of credentials has been used and the first has expired (60 s).
    while started.elapsed() < Duration::from_secs(150) && (keys.len() < 2 || started.elapsed() < Duration::from_secs(65)) {
        arn = sts.get_caller_identity().send().await.unwrap().arn().unwrap().to_owned();
        let key = provider.provide_credentials().await.unwrap().access_key_id().to_owned();
        if !keys.contains(&key) {
            keys.push(key);
        }
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    println!("WORKLOAD-RESULT {arn} {}", keys.len());
}
