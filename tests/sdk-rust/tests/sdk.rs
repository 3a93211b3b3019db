//! The AWS SDK for Rust against a real `castellan serve`: IAM calls, and the SDK's own
//! AssumeRole credentials provider (aws-config) minting role credentials that then sign STS
//! and IAM calls.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_config::sts::AssumeRoleProvider;
use aws_config::{BehaviorVersion, Region};

mod common;

use common::{config, start, ACCOUNT, ROOT_KEY, ROOT_SECRET};

#[tokio::test]
async fn iam_calls_and_the_assume_role_credentials_provider() {
    let server = start().await;
    let root = config(&server.endpoint, ROOT_KEY, ROOT_SECRET).await;
    let iam = aws_sdk_iam::Client::new(&root);

    // The README's first steps, through the Rust SDK.
    iam.create_user().user_name("ExampleUser").send().await.unwrap();
    iam.attach_user_policy()
        .user_name("ExampleUser")
        .policy_arn("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
        .send()
        .await
        .unwrap();
    let user = iam.get_user().user_name("ExampleUser").send().await.unwrap();
    assert_eq!(user.user().unwrap().arn(), "arn:aws:iam::123456789012:user/ExampleUser");
    let err = iam.create_user().user_name("exampleuser").send().await.unwrap_err();
    assert_eq!(err.into_service_error().meta().code(), Some("EntityAlreadyExists"));

    // A user allowed to assume a role that may read IAM.
    iam.create_user().user_name("deployer").send().await.unwrap();
    let key = iam.create_access_key().user_name("deployer").send().await.unwrap();
    let key = key.access_key().unwrap();
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:user/deployer"}},"Action":"sts:AssumeRole","Condition":{{"StringEquals":{{"sts:ExternalId":"ext-1"}}}}}}]}}"#
    );
    iam.create_role().role_name("Deploy").assume_role_policy_document(trust).send().await.unwrap();
    iam.attach_role_policy()
        .role_name("Deploy")
        .policy_arn("arn:aws:iam::aws:policy/IAMReadOnlyAccess")
        .send()
        .await
        .unwrap();

    // aws-config's AssumeRoleProvider calls AssumeRole itself with the user's keys.
    let source = config(&server.endpoint, key.access_key_id(), key.secret_access_key()).await;
    let provider = AssumeRoleProvider::builder(format!("arn:aws:iam::{ACCOUNT}:role/Deploy"))
        .session_name("rust-sdk")
        .external_id("ext-1")
        .configure(&source)
        .build()
        .await;
    let assumed = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(&server.endpoint)
        .credentials_provider(provider)
        .load()
        .await;
    let who = aws_sdk_sts::Client::new(&assumed).get_caller_identity().send().await.unwrap();
    assert_eq!(who.arn(), Some("arn:aws:sts::123456789012:assumed-role/Deploy/rust-sdk"));
    assert_eq!(who.account(), Some(ACCOUNT));

    // The role session has the role's permissions, and only those.
    let as_role = aws_sdk_iam::Client::new(&assumed);
    let users = as_role.list_users().send().await.unwrap();
    assert!(users.users().iter().any(|u| u.user_name() == "deployer"));
    let err = as_role.create_user().user_name("intruder").send().await.unwrap_err();
    let err = err.into_service_error();
    assert_eq!(err.meta().code(), Some("AccessDenied"));
    assert!(err.meta().message().unwrap().starts_with(
        "User: arn:aws:sts::123456789012:assumed-role/Deploy/rust-sdk is not authorized to perform: iam:CreateUser"
    ));

    // Without the external id, the trust policy refuses.
    let provider = AssumeRoleProvider::builder(format!("arn:aws:iam::{ACCOUNT}:role/Deploy"))
        .session_name("no-external-id")
        .configure(&source)
        .build()
        .await;
    let denied = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(&server.endpoint)
        .credentials_provider(provider)
        .load()
        .await;
    assert!(aws_sdk_sts::Client::new(&denied).get_caller_identity().send().await.is_err());
}
