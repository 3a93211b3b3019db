//! Domain tests of the credentials kept beside users (SSH keys, signing and server
//! certificates, service-specific credentials) and of the credential report: the store round
//! trip of their records, and the report's states, which need a clock the test moves.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use castellan_api::{iam, Request, Response};
use castellan_store::MemoryStore;

use crate::{Caller, Iam, MasterKey, RequestInfo};

static NOW: AtomicI64 = AtomicI64::new(1_800_000_000);

fn clock() -> i64 {
    NOW.load(Ordering::SeqCst)
}

const SSH_KEY: &str = include_str!("../../pki/tests/data/rsa2048.pub");
const CERT: &str = include_str!("../../pki/tests/data/cert.pem");
const CERT_KEY: &str = include_str!("../../pki/tests/data/cert.key");

fn call(iam: &Iam, caller: &Caller, request: Request) -> Result<Response, crate::ApiError> {
    iam.handle(caller, &RequestInfo::default(), request)
}

fn setup() -> (Arc<MemoryStore>, [u8; 32], Iam, Caller) {
    let store = Arc::new(MemoryStore::new());
    let (key, bytes) = MasterKey::generate();
    let iam = Iam::open(Box::new(store.clone()), key, clock).unwrap();
    let creds = iam.create_account(Some("123456789012".into())).unwrap();
    let (root, _) = iam.caller_for_access_key(&creds.access_key_id).unwrap();
    call(&iam, &root, Request::CreateUser(iam::CreateUserRequest { user_name: "alice".into(), ..Default::default() })).unwrap();
    (store, bytes, iam, root)
}

#[test]
fn credentials_records_survive_a_reload_and_a_rename() {
    let (store, bytes, iam, root) = setup();
    let r = iam::UploadSSHPublicKeyRequest { user_name: "alice".into(), ssh_public_key_body: SSH_KEY.into() };
    let Response::UploadSSHPublicKey(up) = call(&iam, &root, Request::UploadSSHPublicKey(r)).unwrap() else { panic!() };
    let ssh_id = up.ssh_public_key.unwrap().ssh_public_key_id;
    let r = iam::UploadSigningCertificateRequest { user_name: Some("alice".into()), certificate_body: CERT.into() };
    call(&iam, &root, Request::UploadSigningCertificate(r)).unwrap();
    let r = iam::UploadServerCertificateRequest {
        server_certificate_name: "web".into(),
        certificate_body: CERT.into(),
        private_key: CERT_KEY.into(),
        ..Default::default()
    };
    call(&iam, &root, Request::UploadServerCertificate(r)).unwrap();
    let r = iam::CreateServiceSpecificCredentialRequest { user_name: "alice".into(), service_name: "codecommit.amazonaws.com".into(), credential_age_days: None };
    call(&iam, &root, Request::CreateServiceSpecificCredential(r)).unwrap();
    let r = iam::UpdateUserRequest { user_name: "alice".into(), new_user_name: Some("alicia".into()), ..Default::default() };
    call(&iam, &root, Request::UpdateUser(r)).unwrap();

    // Another node on the same store sees it all under the new name.
    let other = Iam::open(Box::new(store), MasterKey::from_bytes(&bytes), clock).unwrap();
    let st = other.read();
    let user = st.user("123456789012", "alicia").unwrap();
    let creds = st.credentials_of("123456789012", &user.id).unwrap();
    assert_eq!(creds.ssh_public_keys[0].id, ssh_id);
    assert_eq!(creds.signing_certificates.len(), 1);
    assert_eq!(creds.service_credentials[0].login, "alice-at-123456789012");
    let cert = st.server_certificates.values().next().unwrap();
    assert_eq!(cert.name, "web");
    // The private key is sealed: the record holds no line of it.
    let line = CERT_KEY.lines().nth(3).unwrap();
    assert!(!serde_json::to_string(cert).unwrap().contains(line));
    assert_eq!(other.master_key.open(&cert.sealed_private_key, &cert.id).unwrap(), CERT_KEY.trim());
}

#[test]
fn credential_report_states_follow_aws() {
    let (_, _, iam, root) = setup();
    let get = |iam: &Iam| call(iam, &root, Request::GetCredentialReport);
    let generate = |iam: &Iam| match call(iam, &root, Request::GenerateCredentialReport).unwrap() {
        Response::GenerateCredentialReport(r) => r.state.unwrap(),
        other => panic!("{other:?}"),
    };
    assert_eq!(get(&iam).unwrap_err().code(), "ReportNotPresent");
    assert_eq!(get(&iam).unwrap_err().status(), 410);
    assert_eq!(generate(&iam), iam::ReportStateType::Started);
    assert_eq!(get(&iam).unwrap_err().code(), "ReportInProgress");
    assert_eq!(get(&iam).unwrap_err().status(), 404);
    assert_eq!(generate(&iam), iam::ReportStateType::Inprogress);
    NOW.fetch_add(super::ops::credential_report_in_progress_secs(), Ordering::SeqCst);
    assert_eq!(generate(&iam), iam::ReportStateType::Complete);
    let Response::GetCredentialReport(r) = get(&iam).unwrap() else { panic!() };
    let csv = String::from_utf8(r.content.unwrap().0).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("user,arn,user_creation_time,password_enabled,"));
    assert!(lines[0].ends_with(",cert_2_active,cert_2_last_rotated"));
    assert!(lines[1].starts_with("<root_account>,arn:aws:iam::123456789012:root,"));
    assert!(lines[2].starts_with("alice,arn:aws:iam::123456789012:user/alice,"));
    // Four hours on, the report has expired and a new one starts.
    NOW.fetch_add(4 * 3600, Ordering::SeqCst);
    assert_eq!(get(&iam).unwrap_err().code(), "ReportExpired");
    assert_eq!(generate(&iam), iam::ReportStateType::Started);
}

/// Two nodes on one store uploading SSH keys for the same user: the credentials record's
/// revision guards the quota of five, so the node that planned on stale state catches up and
/// is refused, never a sixth key.
#[test]
fn two_nodes_cannot_exceed_the_ssh_key_quota_together() {
    let (store, bytes, first, root) = setup();
    let second = Iam::open(Box::new(store), MasterKey::from_bytes(&bytes), clock).unwrap();
    let keys: Vec<String> = (0..7)
        .map(|i| {
            // Distinct keys: the test key with low bits of its modulus flipped (bit 0 kept, so
            // the modulus stays odd; any odd 2048-bit modulus parses).
            let key = castellan_pki::sshkey::parse(SSH_KEY).unwrap();
            let mut n = key.n.clone();
            let last = n.len() - 1;
            n[last] ^= (i as u8 + 1) << 1;
            castellan_pki::sshkey::RsaKey { n, e: key.e }.to_ssh()
        })
        .collect();
    let mut accepted = 0;
    let mut refused = Vec::new();
    for (i, body) in keys.iter().enumerate() {
        let node = if i % 2 == 0 { &first } else { &second };
        let r = iam::UploadSSHPublicKeyRequest { user_name: "alice".into(), ssh_public_key_body: body.clone() };
        match call(node, &root, Request::UploadSSHPublicKey(r)) {
            Ok(_) => accepted += 1,
            Err(e) => refused.push(e.code()),
        }
    }
    assert_eq!(accepted, 5);
    assert_eq!(refused, vec!["LimitExceeded", "LimitExceeded"]);
    first.sync().unwrap();
    second.sync().unwrap();
    for node in [&first, &second] {
        let st = node.read();
        let user = st.user("123456789012", "alice").unwrap();
        assert_eq!(st.credentials_of("123456789012", &user.id).unwrap().ssh_public_keys.len(), 5);
    }
}
