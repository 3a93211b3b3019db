//! Start-up with a large IAM: 10,000 users (each with an access key and an attached policy),
//! 10,000 roles and 10,000 customer managed policies — 40,002 records with the account and its
//! root key. Measures what a node does when it starts: open the store, load every record, build
//! the in-memory state (`Iam::open`), on the memory and SQLite backends and, given an empty
//! database in `CASTELLAN_STARTUP_DATABASE_URL`, on PostgreSQL; and prints the times
//! (`cargo bench -p castellan-iam --bench startup`, the best of three starts each). The target
//! is one second; it is reported, never asserted: timings live in benchmarks, not in tests,
//! since a fresh machine may be several times slower than the one a bound was set on.
//!
//! With `CASTELLAN_STARTUP_DATA_DIR=DIR` the SQLite database is also written to
//! `DIR/castellan.db`, to time a whole `castellan serve` process on it (the records are sealed
//! under the master key of 32 bytes of 7: `CASTELLAN_MASTER_KEY=BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::print_stderr, reason = "a benchmark")]

use std::sync::Arc;
use std::time::{Duration, Instant};

use castellan_api::query::QueryParams;
use castellan_api::{Operation, Request, Service};
use castellan_iam::{system_clock, Caller, Iam, MasterKey, RequestInfo, RootCredentials};
use castellan_store::{ChangeFeed, MemoryStore, PostgresStore, Snapshot, SqliteStore, Store, StoreError, Write};

const USERS: usize = 10_000;
const ROLES: usize = 10_000;
const POLICIES: usize = 10_000;
const TARGET: Duration = Duration::from_secs(1);

/// Lets the populating `Iam` and the test share one memory store.
#[derive(Debug)]
struct Shared(Arc<MemoryStore>);

impl Store for Shared {
    fn load(&self) -> Result<Snapshot, StoreError> {
        self.0.load()
    }
    fn commit(&self, writes: &[Write]) -> Result<u64, StoreError> {
        self.0.commit(writes)
    }
    fn changes_since(&self, revision: u64) -> Result<ChangeFeed, StoreError> {
        self.0.changes_since(revision)
    }
    fn collect_tombstones(&self, up_to: u64) -> Result<usize, StoreError> {
        self.0.collect_tombstones(up_to)
    }
}

fn master_key() -> MasterKey {
    MasterKey::from_bytes(&[7; 32])
}

fn call(iam: &Iam, root: &Caller, action: &str, params: &[(&str, &str)]) {
    let op = Operation::from_name(Service::Iam, action).unwrap();
    let mut pairs = vec![("Action".to_owned(), action.to_owned()), ("Version".to_owned(), "2010-05-08".to_owned())];
    pairs.extend(params.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    let request = Request::parse(op, &QueryParams::from_pairs(pairs).unwrap()).unwrap();
    let info = RequestInfo { source_ip: None, secure_transport: false, region: "us-east-1".into() };
    iam.handle(root, &info, request).unwrap_or_else(|e| panic!("{action}: {}", e.message()));
}

/// Every record of an IAM with 10,000 users, roles and policies, made through the API.
fn populated() -> Snapshot {
    let store = Arc::new(MemoryStore::new());
    // The first open in the process also loads the AWS managed policies and the authorization
    // reference compiled into the binary: part of every start-up, whatever the store holds.
    let started = Instant::now();
    let iam = Iam::open(Box::new(Shared(store.clone())), master_key(), system_clock).unwrap();
    eprintln!("built-in catalogues (AWS managed policies, authorization reference): {:.0} ms", ms(started.elapsed()));
    let creds = RootCredentials {
        account_id: "123456789012".into(),
        access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
        secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
    };
    iam.bootstrap(Some(creds)).unwrap();
    let (root, _) = iam.caller_for_access_key("AKIAIOSFODNN7EXAMPLE").unwrap();
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    for i in 0..POLICIES {
        let doc = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":"arn:aws:s3:::bucket-{i}/*"}}]}}"#
        );
        call(&iam, &root, "CreatePolicy", &[("PolicyName", &format!("policy-{i}")), ("PolicyDocument", &doc)]);
    }
    for i in 0..ROLES {
        call(&iam, &root, "CreateRole", &[("RoleName", &format!("role-{i}")), ("AssumeRolePolicyDocument", trust)]);
    }
    for i in 0..USERS {
        let user = format!("user-{i}");
        call(&iam, &root, "CreateUser", &[("UserName", &user), ("Path", "/people/")]);
        call(&iam, &root, "CreateAccessKey", &[("UserName", &user)]);
        let arn = format!("arn:aws:iam::123456789012:policy/policy-{}", i % POLICIES);
        call(&iam, &root, "AttachUserPolicy", &[("UserName", &user), ("PolicyArn", &arn)]);
    }
    store.load().unwrap()
}

/// Copies every record into `store` (one commit) and times what a starting node does.
fn measure(name: &str, snapshot: &Snapshot, open: &dyn Fn() -> Box<dyn Store>) -> Duration {
    let writes: Vec<Write> = snapshot.items.iter().map(|i| Write::put(i.key.clone(), i.value.clone())).collect();
    open().commit(&writes).unwrap();
    let mut best = Duration::MAX;
    for _ in 0..3 {
        let started = Instant::now();
        let store = open();
        let opened = started.elapsed();
        let iam = Iam::open(store, master_key(), system_clock).unwrap();
        let took = started.elapsed();
        eprintln!(
            "start-up on {name}: {:.0} ms ({:.0} ms connecting/opening the store; {} records)",
            ms(took),
            ms(opened),
            snapshot.items.len()
        );
        // The state is all there.
        let (caller, _) = iam.caller_for_access_key("AKIAIOSFODNN7EXAMPLE").unwrap();
        assert_eq!(caller.account, "123456789012");
        best = best.min(took);
    }
    best
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let started = Instant::now();
    let snapshot = populated();
    eprintln!("populated {} records through the API in {:.1} s", snapshot.items.len(), started.elapsed().as_secs_f64());
    assert_eq!(snapshot.items.len(), 1 + 1 + POLICIES + ROLES + 2 * USERS, "account, root key, the rest");

    let mut times = Vec::new();
    let memory = Arc::new(MemoryStore::new());
    times.push(measure("memory", &snapshot, &|| Box::new(Shared(memory.clone()))));

    let dir = std::env::var_os("CASTELLAN_STARTUP_DATA_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join(format!("castellan-startup-{}", std::process::id())));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("castellan.db");
    let _ = std::fs::remove_file(&db);
    times.push(measure("SQLite", &snapshot, &|| Box::new(SqliteStore::open(&db).unwrap())));
    if std::env::var_os("CASTELLAN_STARTUP_DATA_DIR").is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }

    // PostgreSQL, when given an empty database for it (the records go into its public schema).
    if let Some(url) = std::env::var("CASTELLAN_STARTUP_DATABASE_URL").ok().filter(|u| !u.trim().is_empty()) {
        times.push(measure("PostgreSQL", &snapshot, &|| Box::new(PostgresStore::open(&url).unwrap())));
    }

    for t in times {
        let verdict = if t < TARGET { "within" } else { "OVER" };
        eprintln!("start-up {:.0} ms: {verdict} the {:.0} ms target", ms(t), ms(TARGET));
    }
}
