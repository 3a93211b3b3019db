//! Interoperability with botocore, the library under boto3 and the aws CLI: what it sends, we
//! decode; what we send, it parses as intended. Runs `tests/botocore_check.py`; skipped (with a
//! note on stdout) where python3 with botocore is not installed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests")]

use std::path::PathBuf;
use std::process::Command;

use castellan_api::{iam, sts, xml, Blob, Operation, QueryParams, Request, Response, Service, Timestamp};

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/botocore_check.py")
}

fn botocore_available() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import botocore"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        println!("skipped: python3 with botocore is not installed");
    }
    ok
}

#[test]
fn decodes_what_botocore_sends() {
    if !botocore_available() {
        return;
    }
    let out = Command::new("python3").arg(script()).arg("serialize").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let mut decoded = Vec::new();
    for line in text.lines() {
        let mut parts = line.splitn(3, '\t');
        let (service, action, body) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
        let service = if service == "iam" { Service::Iam } else { Service::Sts };
        let params = QueryParams::from_urlencoded(body.as_bytes()).unwrap();
        assert_eq!(params.action(), Some(action));
        assert_eq!(params.version(), Some(service.api_version()));
        let op = Operation::from_name(service, action).unwrap();
        decoded.push(Request::parse(op, &params).unwrap_or_else(|e| panic!("{action}: {e}")));
    }
    assert_eq!(decoded.len(), 10);
    let Request::CreateUser(r) = &decoded[0] else { panic!() };
    assert_eq!(r.tags.as_ref().unwrap()[0], iam::Tag { key: "team".to_owned(), value: "a b+c".to_owned() });
    assert_eq!(r.tags.as_ref().unwrap()[1].value, "");
    let Request::CreateUser(r) = &decoded[1] else { panic!() };
    assert_eq!(r.tags, Some(vec![]));
    let Request::CreateLoginProfile(r) = &decoded[4] else { panic!() };
    assert_eq!(r.password.as_deref(), Some("p@ss w0rdé"));
    assert_eq!(r.password_reset_required, Some(true));
    let Request::SimulateCustomPolicy(r) = &decoded[6] else { panic!() };
    let entry = &r.context_entries.as_ref().unwrap()[0];
    assert_eq!(entry.context_key_values, Some(vec!["10.0.0.1".to_owned()]));
    assert_eq!(entry.context_key_type, Some(iam::ContextKeyTypeEnum::Ip));
    assert_eq!(decoded[7], Request::GetAccountSummary);
    let Request::AssumeRole(r) = &decoded[8] else { panic!() };
    assert_eq!(r.policy_arns.as_ref().unwrap()[0].arn.as_deref(), Some("arn:aws:iam::aws:policy/ReadOnlyAccess"));
    assert_eq!(r.transitive_tag_keys, Some(vec!["a".to_owned(), "b".to_owned()]));
}

fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[test]
fn botocore_parses_what_we_send() {
    if !botocore_available() {
        return;
    }
    let t = Timestamp::from_unix_seconds(1_795_460_571);
    let user = iam::User {
        path: "/".to_owned(),
        user_name: "alice".to_owned(),
        user_id: "AIDAEXAMPLE".to_owned(),
        arn: "arn:aws:iam::123456789012:user/alice".to_owned(),
        create_date: t,
        password_last_used: Some(t),
        tags: Some(vec![iam::Tag { key: "team".to_owned(), value: "<a&b> \"q\" 'r'\r\n€".to_owned() }]),
        ..Default::default()
    };
    let cases: Vec<(Response, &str)> = vec![
        (
            Response::CreateUser(iam::CreateUserResponse { user: Some(user.clone()) }),
            r#"{"User": {"Path": "/", "UserName": "alice", "UserId": "AIDAEXAMPLE",
                "Arn": "arn:aws:iam::123456789012:user/alice", "CreateDate": "2026-11-23T19:02:51+00:00",
                "PasswordLastUsed": "2026-11-23T19:02:51+00:00",
                "Tags": [{"Key": "team", "Value": "<a&b> \"q\" 'r'\r\n€"}]}}"#,
        ),
        (
            Response::ListUsers(iam::ListUsersResponse { users: vec![], is_truncated: Some(false), marker: Some(String::new()) }),
            r#"{"Users": [], "IsTruncated": false, "Marker": ""}"#,
        ),
        (
            Response::ListUsers(iam::ListUsersResponse { users: vec![user.clone(), user], is_truncated: Some(true), marker: Some("m".to_owned()) }),
            "",
        ),
        (
            Response::GetAccessKeyLastUsed(iam::GetAccessKeyLastUsedResponse {
                user_name: Some("alice".to_owned()),
                access_key_last_used: Some(iam::AccessKeyLastUsed {
                    last_used_date: None,
                    service_name: "N/A".to_owned(),
                    region: "N/A".to_owned(),
                }),
            }),
            r#"{"UserName": "alice", "AccessKeyLastUsed": {"ServiceName": "N/A", "Region": "N/A"}}"#,
        ),
        (Response::DeleteUser, "{}"),
        (
            Response::GetAccountSummary(iam::GetAccountSummaryResponse {
                summary_map: Some(vec![(iam::SummaryKeyType::Users, 3), (iam::SummaryKeyType::AccountMFAEnabled, 0)]),
            }),
            r#"{"SummaryMap": {"Users": 3, "AccountMFAEnabled": 0}}"#,
        ),
        (
            Response::GetCredentialReport(iam::GetCredentialReportResponse {
                content: Some(Blob(b"user,arn\nalice,x\n".to_vec())),
                report_format: Some(iam::ReportFormatType::TextCsv),
                generated_time: Some(t),
            }),
            r#"{"Content": "dXNlcixhcm4KYWxpY2UseAo=", "ReportFormat": "text/csv",
                "GeneratedTime": "2026-11-23T19:02:51+00:00"}"#,
        ),
        (
            Response::SimulateCustomPolicy(iam::SimulatePolicyResponse {
                evaluation_results: Some(vec![iam::EvaluationResult {
                    eval_action_name: "s3:GetObject".to_owned(),
                    eval_decision: iam::PolicyEvaluationDecisionType::ImplicitDeny,
                    matched_statements: Some(vec![]),
                    missing_context_values: Some(vec!["aws:SourceIp".to_owned()]),
                    eval_decision_details: Some(vec![("IAM Policy".to_owned(), iam::PolicyEvaluationDecisionType::Allowed)]),
                    ..Default::default()
                }]),
                is_truncated: Some(false),
                marker: None,
            }),
            r#"{"EvaluationResults": [{"EvalActionName": "s3:GetObject", "EvalDecision": "implicitDeny",
                "MatchedStatements": [], "MissingContextValues": ["aws:SourceIp"],
                "EvalDecisionDetails": {"IAM Policy": "allowed"}}], "IsTruncated": false}"#,
        ),
        (
            Response::AssumeRole(sts::AssumeRoleResponse {
                credentials: Some(sts::Credentials {
                    access_key_id: "ASIAEXAMPLE".to_owned(),
                    secret_access_key: "secret/+=".to_owned(),
                    session_token: "token".to_owned(),
                    expiration: t,
                }),
                assumed_role_user: Some(sts::AssumedRoleUser {
                    assumed_role_id: "AROAEXAMPLE:s1".to_owned(),
                    arn: "arn:aws:sts::123456789012:assumed-role/r/s1".to_owned(),
                }),
                packed_policy_size: Some(6),
                source_identity: None,
            }),
            r#"{"Credentials": {"AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": "secret/+=",
                "SessionToken": "token", "Expiration": "2026-11-23T19:02:51+00:00"},
                "AssumedRoleUser": {"AssumedRoleId": "AROAEXAMPLE:s1",
                "Arn": "arn:aws:sts::123456789012:assumed-role/r/s1"}, "PackedPolicySize": 6}"#,
        ),
        (
            Response::GetCallerIdentity(sts::GetCallerIdentityResponse {
                user_id: Some("AIDAEXAMPLE".to_owned()),
                account: Some("123456789012".to_owned()),
                arn: Some("arn:aws:iam::123456789012:user/alice".to_owned()),
            }),
            r#"{"UserId": "AIDAEXAMPLE", "Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/alice"}"#,
        ),
    ];
    let mut json = String::from("[");
    for (i, (response, expected)) in cases.iter().enumerate() {
        if expected.is_empty() {
            continue;
        }
        let op = response.operation();
        let request_id = format!("req-{i}");
        if json.len() > 1 {
            json.push(',');
        }
        json.push_str(&format!(
            "{{\"service\": {}, \"operation\": {}, \"xml\": {}, \"request_id\": {}, \"expected\": {expected}",
            json_string(op.service().signing_name()),
            json_string(op.name()),
            json_string(&response.to_xml(&request_id)),
            json_string(&request_id),
        ));
        if i == 0 {
            let error = xml::error_response(Service::Iam, true, "NoSuchEntity", "The user with name <x> cannot be found.", "r");
            json.push_str(&format!(
                ", \"error_xml\": {}, \"expected_error\": {{\"Type\": \"Sender\", \"Code\": \"NoSuchEntity\", \
                 \"Message\": \"The user with name <x> cannot be found.\"}}",
                json_string(&error)
            ));
        }
        json.push('}');
    }
    json.push(']');
    let dir = std::env::temp_dir().join(format!("castellan-api-botocore-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("cases.json");
    std::fs::write(&path, json).unwrap();
    let out = Command::new("python3").arg(script()).arg("parse").arg(&path).output().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "botocore disagrees:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
