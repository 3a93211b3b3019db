//! What the SDK test files share: a `castellan serve --in-memory` on a free port with known
//! root keys, and an SDK configuration pointed at it.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::process::Stdio;

use aws_config::{BehaviorVersion, Region};
use aws_credential_types::Credentials;
use tokio::io::{AsyncBufReadExt, BufReader};

pub const ACCOUNT: &str = "123456789012";
pub const ROOT_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
pub const ROOT_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

pub struct Server {
    pub child: tokio::process::Child,
    pub endpoint: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

pub async fn start() -> Server {
    let bin = std::env::var("CASTELLAN_BIN").unwrap_or_else(|_| {
        format!("{}/../../target/debug/castellan", env!("CARGO_MANIFEST_DIR"))
    });
    let mut child = tokio::process::Command::new(bin)
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
    let endpoint = loop {
        let line = tokio::time::timeout(std::time::Duration::from_secs(30), lines.next_line())
            .await
            .expect("castellan did not start in time")
            .unwrap()
            .expect("castellan exited");
        if let Some(rest) = line.split("listening on ").nth(1) {
            break rest.trim().to_owned();
        }
    };
    Server { child, endpoint }
}

pub async fn config(endpoint: &str, key: &str, secret: &str) -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new(key, secret, None, None, "test"))
        .load()
        .await
}
