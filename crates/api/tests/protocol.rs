//! The wire protocol through the public API: operation names, request decoding with AWS's
//! validation messages, and response XML.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests")]

use castellan_api::{
    error_sender_fault, error_status, iam, sts, DecodeError, Operation, QueryParams, Request, Response, Service,
    Timestamp,
};

fn params(body: &str) -> QueryParams {
    QueryParams::from_urlencoded(body.as_bytes()).unwrap()
}

fn parse(op: Operation, body: &str) -> Result<Request, DecodeError> {
    Request::parse(op, &params(body))
}

fn validation_message(op: Operation, body: &str) -> String {
    match parse(op, body) {
        Err(e @ DecodeError::Validation(_)) => {
            assert_eq!(e.aws_code(), "ValidationError");
            e.to_string()
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[test]
fn operations() {
    assert_eq!(Operation::ALL.len(), 187);
    assert_eq!(Operation::ALL.iter().filter(|o| o.service() == Service::Iam).count(), 176);
    assert_eq!(Operation::CreateUser.name(), "CreateUser");
    assert_eq!(Operation::CreateUser.iam_action(), "iam:CreateUser");
    assert_eq!(Operation::AssumeRole.iam_action(), "sts:AssumeRole");
    assert_eq!(Operation::AssumeRole.service(), Service::Sts);
    assert_eq!(Operation::from_name(Service::Iam, "CreateUser"), Some(Operation::CreateUser));
    assert_eq!(Operation::from_name(Service::Iam, "createuser"), None);
    assert_eq!(Operation::from_name(Service::Sts, "CreateUser"), None);
    assert_eq!(Operation::from_name(Service::Iam, "AssumeRole"), None);
    for op in Operation::ALL {
        assert_eq!(Operation::from_name(op.service(), op.name()), Some(*op));
    }
    assert_eq!(Service::Iam.xml_namespace(), "https://iam.amazonaws.com/doc/2010-05-08/");
    assert_eq!(Service::Sts.xml_namespace(), "https://sts.amazonaws.com/doc/2011-06-15/");
    assert_eq!(Service::Iam.api_version(), "2010-05-08");
    assert_eq!(Service::Sts.api_version(), "2011-06-15");
    assert_eq!(Service::Iam.signing_name(), "iam");
    assert_eq!(Service::Sts.signing_name(), "sts");
}

#[test]
fn error_codes() {
    assert_eq!(error_status("NoSuchEntity"), Some(404));
    assert_eq!(error_status("EntityAlreadyExists"), Some(409));
    assert_eq!(error_status("LimitExceeded"), Some(409));
    assert_eq!(error_status("ServiceFailure"), Some(500));
    assert_eq!(error_sender_fault("ServiceFailure"), Some(false));
    assert_eq!(error_sender_fault("NoSuchEntity"), Some(true));
    assert_eq!(error_status("ExpiredTokenException"), Some(400));
    assert_eq!(error_status("RegionDisabledException"), Some(403));
    assert_eq!(error_status("NoSuchThing"), None);
}

#[test]
fn decodes_members_lists_and_nested_structures() {
    let req = parse(
        Operation::CreateUser,
        "Action=CreateUser&UserName=alice&Path=%2Fdev%2F&Tags.member.1.Key=team&Tags.member.1.Value=a+b\
         &Tags.member.2.Key=k2&Tags.member.2.Value=",
    )
    .unwrap();
    assert_eq!(req.operation(), Operation::CreateUser);
    let Request::CreateUser(r) = req else { panic!("wrong variant") };
    assert_eq!(
        r,
        iam::CreateUserRequest {
            path: Some("/dev/".to_owned()),
            user_name: "alice".to_owned(),
            permissions_boundary: None,
            tags: Some(vec![
                iam::Tag { key: "team".to_owned(), value: "a b".to_owned() },
                iam::Tag { key: "k2".to_owned(), value: String::new() },
            ]),
        }
    );
}

#[test]
fn decodes_empty_and_absent_lists() {
    let Request::CreateUser(r) = parse(Operation::CreateUser, "UserName=a&Tags=").unwrap() else { panic!() };
    assert_eq!(r.tags, Some(vec![]));
    let Request::CreateUser(r) = parse(Operation::CreateUser, "UserName=a").unwrap() else { panic!() };
    assert_eq!(r.tags, None);
    // Indices must be contiguous from 1: a gap ends the list.
    let Request::CreateUser(r) =
        parse(Operation::CreateUser, "UserName=a&Tags.member.1.Key=k&Tags.member.1.Value=v&Tags.member.3.Key=x&Tags.member.3.Value=y")
            .unwrap()
    else {
        panic!()
    };
    assert_eq!(r.tags.map(|t| t.len()), Some(1));
}

#[test]
fn decodes_sts_lists_of_structures_and_strings() {
    let Request::AssumeRole(r) = parse(
        Operation::AssumeRole,
        "RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fr&RoleSessionName=s1&DurationSeconds=900\
         &PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnlyAccess\
         &TransitiveTagKeys.member.1=a&TransitiveTagKeys.member.2=b",
    )
    .unwrap() else {
        panic!()
    };
    assert_eq!(r.role_arn, "arn:aws:iam::123456789012:role/r");
    assert_eq!(r.duration_seconds, Some(900));
    assert_eq!(
        r.policy_arns,
        Some(vec![sts::PolicyDescriptorType { arn: Some("arn:aws:iam::aws:policy/ReadOnlyAccess".to_owned()) }])
    );
    assert_eq!(r.transitive_tag_keys, Some(vec!["a".to_owned(), "b".to_owned()]));
}

#[test]
fn decodes_enums_and_operations_without_input() {
    let Request::UpdateAccessKey(r) =
        parse(Operation::UpdateAccessKey, "AccessKeyId=AKIAIOSFODNN7EXAMPLE&Status=Inactive").unwrap()
    else {
        panic!()
    };
    assert_eq!(r.status, iam::StatusType::Inactive);
    assert_eq!(r.status.as_str(), "Inactive");
    assert_eq!("Active".parse::<iam::StatusType>(), Ok(iam::StatusType::Active));
    assert_eq!(iam::StatusType::from_wire("active"), None);
    assert_eq!(parse(Operation::GetAccountSummary, "Action=GetAccountSummary").unwrap(), Request::GetAccountSummary);
}

#[test]
fn duplicate_parameter_is_an_error() {
    let e = QueryParams::from_urlencoded(b"Action=CreateUser&UserName=a&UserName=b").unwrap_err();
    assert_eq!(e, DecodeError::DuplicateParameter("UserName".to_owned()));
    assert_eq!(e.aws_code(), "InvalidQueryParameter");
}

#[test]
fn validation_missing_required() {
    assert_eq!(
        validation_message(Operation::CreateUser, "Action=CreateUser"),
        "1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must not be null"
    );
}

/// IAM does not echo the value (recorded from AWS in LocalStack's
/// tests/aws/services/iam/test_iam_policies.snapshot.json: "Value at 'versionId' failed to
/// satisfy constraint: ..."); STS does (tests/aws/services/sts/test_sts.snapshot.json,
/// "invalid-session-name").
#[test]
fn validation_values_echoed_by_sts_only() {
    assert_eq!(
        validation_message(Operation::AssumeRole, "RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fr&RoleSessionName=Session1%3A2"),
        "1 validation error detected: Value 'Session1:2' at 'roleSessionName' failed to satisfy constraint: \
         Member must satisfy regular expression pattern: [\\w+=,.@-]*"
    );
    assert_eq!(
        validation_message(Operation::GetPolicyVersion, "PolicyArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Apolicy%2Fp&VersionId=x"),
        "1 validation error detected: Value at 'versionId' failed to satisfy constraint: \
         Member must satisfy regular expression pattern: v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?"
    );
}

/// An element of a list of strings is reported at the list with all of the element shape's
/// constraints (UntagPolicy, recorded from AWS in LocalStack's
/// tests/aws/services/iam/test_iam_policies.snapshot.json, "err-untag-large-key").
#[test]
fn validation_list_of_strings_element() {
    let long = "k".repeat(129);
    let want = "1 validation error detected: Value at 'tagKeys' failed to satisfy constraint: \
                Member must satisfy constraint: [Member must have length less than or equal to 128, \
                Member must have length greater than or equal to 1, Member must satisfy regular \
                expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+, Member must not be null]";
    let arn = "PolicyArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Apolicy%2Fp";
    assert_eq!(validation_message(Operation::UntagPolicy, &format!("{arn}&TagKeys.member.1={long}")), want);
    // Two bad elements: one error.
    assert_eq!(validation_message(Operation::UntagPolicy, &format!("{arn}&TagKeys.member.1=%21&TagKeys.member.2=%23")), want);
}

#[test]
fn validation_pattern() {
    assert_eq!(
        validation_message(Operation::CreateUser, "UserName=a+b"),
        "1 validation error detected: Value at 'userName' failed to satisfy constraint: \
         Member must satisfy regular expression pattern: [\\w+=,.@-]+"
    );
    // Java's \w is ASCII-only.
    assert!(parse(Operation::CreateUser, "UserName=%C3%A9").is_err());
}

#[test]
fn validation_lengths() {
    let long = "a".repeat(65);
    assert_eq!(
        validation_message(Operation::CreateUser, &format!("UserName={long}")),
        format!(
            "1 validation error detected: Value at 'userName' failed to satisfy constraint: \
             Member must have length less than or equal to 64"
        )
    );
    // Length counts characters, not bytes: 64 two-byte characters fit a 64-character limit
    // (the pattern rejects them, which is a separate error).
    let msg = validation_message(Operation::CreateUser, &"UserName=".chars().chain("%C3%A9".repeat(64).chars()).collect::<String>());
    assert!(!msg.contains("length"), "{msg}");
    assert_eq!(
        validation_message(Operation::CreateUser, "UserName="),
        "2 validation errors detected: Value at 'userName' failed to satisfy constraint: \
         Member must have length greater than or equal to 1; Value at 'userName' failed to satisfy \
         constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+"
    );
}

#[test]
fn validation_list_length() {
    let tags: String = (1..=51).map(|i| format!("&Tags.member.{i}.Key=k{i}&Tags.member.{i}.Value=v")).collect();
    assert_eq!(
        validation_message(Operation::CreateUser, &format!("UserName=a{tags}")),
        "1 validation error detected: Value at 'tags' failed to satisfy constraint: \
         Member must have length less than or equal to 50"
    );
    // A list of strings shows its elements as Java does.
    assert_eq!(
        validation_message(Operation::AddClientIDToOpenIDConnectProvider, "OpenIDConnectProviderArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Aoidc-provider%2Fx&ClientID="),
        "1 validation error detected: Value at 'clientID' failed to satisfy constraint: \
         Member must have length greater than or equal to 1"
    );
}

#[test]
fn validation_numbers() {
    assert_eq!(
        validation_message(Operation::ListUsers, "MaxItems=1001"),
        "1 validation error detected: Value at 'maxItems' failed to satisfy constraint: \
         Member must have value less than or equal to 1000"
    );
    assert_eq!(
        validation_message(Operation::ListUsers, "MaxItems=0"),
        "1 validation error detected: Value at 'maxItems' failed to satisfy constraint: \
         Member must have value greater than or equal to 1"
    );
    assert_eq!(
        validation_message(Operation::ListUsers, "MaxItems=abc"),
        "1 validation error detected: Value at 'maxItems' failed to satisfy constraint: Member must be an integer"
    );
    assert_eq!(
        validation_message(Operation::ListUsers, "MaxItems=99999999999"),
        "1 validation error detected: Value at 'maxItems' failed to satisfy constraint: Member must be an integer"
    );
}

#[test]
fn validation_booleans() {
    assert_eq!(
        validation_message(Operation::CreateLoginProfile, "UserName=a&Password=secretpw&PasswordResetRequired=yes"),
        "1 validation error detected: Value at 'passwordResetRequired' failed to satisfy constraint: \
         Member must be true or false"
    );
    let Request::CreateLoginProfile(r) =
        parse(Operation::CreateLoginProfile, "UserName=a&Password=secretpw&PasswordResetRequired=true").unwrap()
    else {
        panic!()
    };
    assert_eq!(r.password_reset_required, Some(true));
}

#[test]
fn validation_enum() {
    assert_eq!(
        validation_message(Operation::UpdateAccessKey, "AccessKeyId=AKIAIOSFODNN7EXAMPLE&Status=Enabled"),
        "1 validation error detected: Value at 'status' failed to satisfy constraint: \
         Member must satisfy enum value set: [Active, Inactive, Expired]"
    );
}

#[test]
fn validation_nested_member_path() {
    assert_eq!(
        validation_message(Operation::CreateUser, "UserName=a&Tags.member.1.Key=k&Tags.member.1.Value=%7Bx%7D"),
        "1 validation error detected: Value at 'tags.1.member.value' failed to satisfy constraint: \
         Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*"
    );
    assert_eq!(
        validation_message(Operation::CreateUser, "UserName=a&Tags.member.1.Key=k"),
        "1 validation error detected: Value null at 'tags.1.member.value' failed to satisfy constraint: \
         Member must not be null"
    );
}

#[test]
fn validation_several_errors_in_member_order() {
    assert_eq!(
        validation_message(Operation::ListUsers, "PathPrefix=nope&MaxItems=0"),
        "2 validation errors detected: Value at 'pathPrefix' failed to satisfy constraint: \
         Member must satisfy regular expression pattern: \\u002F[\\u0021-\\u007F]*; Value at 'maxItems' \
         failed to satisfy constraint: Member must have value greater than or equal to 1"
    );
}

#[test]
fn validation_hides_sensitive_values() {
    assert_eq!(
        validation_message(Operation::CreateLoginProfile, "UserName=a&Password="),
        "2 validation errors detected: Value at 'password' failed to satisfy constraint: \
         Member must have length greater than or equal to 1; Value at 'password' failed to satisfy constraint: \
         Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+"
    );
}

#[test]
fn debug_hides_secrets() {
    let key = iam::AccessKey {
        user_name: "alice".to_owned(),
        access_key_id: "AKIAIOSFODNN7EXAMPLE".to_owned(),
        secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".to_owned(),
        ..Default::default()
    };
    let shown = format!("{:?}", Response::CreateAccessKey(iam::CreateAccessKeyResponse { access_key: key }));
    assert!(shown.contains("AKIAIOSFODNN7EXAMPLE"), "{shown}");
    assert!(!shown.contains("wJalrXUtnFEMI"), "{shown}");
    assert!(shown.contains("<redacted>"), "{shown}");
}

const IAM_NS: &str = "https://iam.amazonaws.com/doc/2010-05-08/";

fn user() -> iam::User {
    iam::User {
        path: "/".to_owned(),
        user_name: "alice".to_owned(),
        user_id: "AIDAEXAMPLE".to_owned(),
        arn: "arn:aws:iam::123456789012:user/alice".to_owned(),
        create_date: Timestamp::from_unix_seconds(1_795_460_571),
        tags: Some(vec![iam::Tag { key: "team".to_owned(), value: "<a&b>".to_owned() }]),
        ..Default::default()
    }
}

#[test]
fn xml_create_user() {
    let xml = Response::CreateUser(iam::CreateUserResponse { user: Some(user()) }).to_xml("req-1");
    assert_eq!(
        xml,
        format!(
            "<CreateUserResponse xmlns=\"{IAM_NS}\"><CreateUserResult><User><Path>/</Path><UserName>alice</UserName>\
             <UserId>AIDAEXAMPLE</UserId><Arn>arn:aws:iam::123456789012:user/alice</Arn>\
             <CreateDate>2026-11-23T19:02:51Z</CreateDate><Tags><member><Key>team</Key>\
             <Value>&lt;a&amp;b&gt;</Value></member></Tags></User></CreateUserResult>\
             <ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></CreateUserResponse>"
        )
    );
}

#[test]
fn xml_list_users_empty() {
    let xml = Response::ListUsers(iam::ListUsersResponse { is_truncated: Some(false), ..Default::default() }).to_xml("r");
    assert_eq!(
        xml,
        format!(
            "<ListUsersResponse xmlns=\"{IAM_NS}\"><ListUsersResult><Users/><IsTruncated>false</IsTruncated>\
             </ListUsersResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></ListUsersResponse>"
        )
    );
}

#[test]
fn xml_get_access_key_last_used() {
    let xml = Response::GetAccessKeyLastUsed(iam::GetAccessKeyLastUsedResponse {
        user_name: Some("alice".to_owned()),
        access_key_last_used: Some(iam::AccessKeyLastUsed {
            last_used_date: None,
            service_name: "N/A".to_owned(),
            region: "N/A".to_owned(),
        }),
    })
    .to_xml("r");
    assert_eq!(
        xml,
        format!(
            "<GetAccessKeyLastUsedResponse xmlns=\"{IAM_NS}\"><GetAccessKeyLastUsedResult><UserName>alice</UserName>\
             <AccessKeyLastUsed><ServiceName>N/A</ServiceName><Region>N/A</Region></AccessKeyLastUsed>\
             </GetAccessKeyLastUsedResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>\
             </GetAccessKeyLastUsedResponse>"
        )
    );
}

#[test]
fn xml_assume_role() {
    let xml = Response::AssumeRole(sts::AssumeRoleResponse {
        credentials: Some(sts::Credentials {
            access_key_id: "ASIAEXAMPLE".to_owned(),
            secret_access_key: "secret".to_owned(),
            session_token: "token".to_owned(),
            expiration: Timestamp::from_unix_seconds(1_795_464_171),
        }),
        assumed_role_user: Some(sts::AssumedRoleUser {
            assumed_role_id: "AROAEXAMPLE:s".to_owned(),
            arn: "arn:aws:sts::123456789012:assumed-role/r/s".to_owned(),
        }),
        packed_policy_size: Some(6),
        source_identity: None,
    })
    .to_xml("r");
    assert_eq!(
        xml,
        "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult><Credentials>\
         <AccessKeyId>ASIAEXAMPLE</AccessKeyId><SecretAccessKey>secret</SecretAccessKey>\
         <SessionToken>token</SessionToken><Expiration>2026-11-23T20:02:51Z</Expiration></Credentials>\
         <AssumedRoleUser><AssumedRoleId>AROAEXAMPLE:s</AssumedRoleId>\
         <Arn>arn:aws:sts::123456789012:assumed-role/r/s</Arn></AssumedRoleUser>\
         <PackedPolicySize>6</PackedPolicySize></AssumeRoleResult><ResponseMetadata><RequestId>r</RequestId>\
         </ResponseMetadata></AssumeRoleResponse>"
    );
}

#[test]
fn xml_delete_user_has_no_result() {
    assert_eq!(
        Response::DeleteUser.to_xml("r&1"),
        format!(
            "<DeleteUserResponse xmlns=\"{IAM_NS}\"><ResponseMetadata><RequestId>r&amp;1</RequestId>\
             </ResponseMetadata></DeleteUserResponse>"
        )
    );
}

#[test]
fn xml_map() {
    let xml = Response::GetAccountSummary(iam::GetAccountSummaryResponse {
        summary_map: Some(vec![(iam::SummaryKeyType::Users, 3), (iam::SummaryKeyType::UsersQuota, 5000)]),
    })
    .to_xml("r");
    assert_eq!(
        xml,
        format!(
            "<GetAccountSummaryResponse xmlns=\"{IAM_NS}\"><GetAccountSummaryResult><SummaryMap>\
             <entry><key>Users</key><value>3</value></entry><entry><key>UsersQuota</key><value>5000</value></entry>\
             </SummaryMap></GetAccountSummaryResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>\
             </GetAccountSummaryResponse>"
        )
    );
}
