//! Decision latency on a realistic policy set: a role session in an AWS Organization with
//! an SCP layer, ten attached identity policies (one of them a ~300-action read-only
//! policy), a permissions boundary, a session policy and a bucket policy.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use castellan_policy::{
    Decision, Policy, PolicyKind, PolicySet, PrincipalType, RequestContext, RequestPrincipal,
};
use divan::{black_box, Bencher};
use serde_json::json;

fn main() {
    divan::main();
}

const SERVICES: [&str; 30] = [
    "s3",
    "ec2",
    "iam",
    "sts",
    "lambda",
    "dynamodb",
    "sqs",
    "sns",
    "kms",
    "logs",
    "cloudwatch",
    "rds",
    "ecs",
    "ecr",
    "eks",
    "route53",
    "cloudfront",
    "apigateway",
    "secretsmanager",
    "ssm",
    "states",
    "events",
    "glue",
    "athena",
    "kinesis",
    "firehose",
    "elasticache",
    "es",
    "sagemaker",
    "cloudformation",
];

fn read_only() -> String {
    let mut actions = Vec::new();
    for s in SERVICES {
        for verb in [
            "Get*",
            "List*",
            "Describe*",
            "BatchGet*",
            "Query",
            "Scan",
            "Lookup*",
            "Search*",
            "View*",
            "Check*",
        ] {
            actions.push(format!("{s}:{verb}"));
        }
    }
    json!({"Version": "2012-10-17", "Statement": [{"Sid": "ReadOnly", "Effect": "Allow", "Action": actions, "Resource": "*"}]})
        .to_string()
}

fn identity(i: usize) -> String {
    let s = SERVICES[i % SERVICES.len()];
    json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Write", "Effect": "Allow", "Action": [format!("{s}:Create*"), format!("{s}:Update*"), format!("{s}:Put*")],
         "Resource": match s {
             "s3" => "arn:aws:s3:::corp-*".to_owned(),
             "iam" => "arn:aws:iam::111122223333:role/app-*".to_owned(),
             _ => format!("arn:aws:{s}:*:111122223333:*"),
         },
         "Condition": {"StringEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}},
        {"Sid": "Tagged", "Effect": "Allow", "Action": format!("{s}:*"), "Resource": "*",
         "Condition": {"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}},
        {"Sid": "NoDelete", "Effect": "Deny", "Action": format!("{s}:Delete*"), "Resource": "*",
         "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}},
        {"Sid": "Home", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
         "Resource": "arn:aws:s3:::corp-data/home/${aws:userid}/*"}
    ]})
    .to_string()
}

fn policy_set() -> PolicySet {
    let mut set = PolicySet::new();
    let scp = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]});
    set.add(
        "FullAWSAccess",
        Policy::parse(&scp.to_string(), PolicyKind::ServiceControl).unwrap(),
    );
    let region = json!({"Version": "2012-10-17", "Statement": [{"Sid": "Regions", "Effect": "Deny",
        "NotAction": ["iam:*", "sts:*", "organizations:*", "cloudfront:*", "route53:*", "support:*"], "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}},
        {"Sid": "NoLeave", "Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}]});
    set.add(
        "RegionGuard",
        Policy::parse(&region.to_string(), PolicyKind::ServiceControl).unwrap(),
    );
    set.add(
        "ReadOnly",
        Policy::parse(&read_only(), PolicyKind::Identity).unwrap(),
    );
    for i in 0..9 {
        set.add(
            format!("team-{i}"),
            Policy::parse(&identity(i), PolicyKind::Identity).unwrap(),
        );
    }
    let boundary = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"},
        {"Effect": "Allow", "Action": ["iam:Get*", "iam:List*", "iam:PassRole"], "Resource": "*"}]});
    set.add(
        "Boundary",
        Policy::parse(&boundary.to_string(), PolicyKind::PermissionsBoundary).unwrap(),
    );
    let session = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:*", "dynamodb:*", "sqs:*"], "Resource": "*"}]});
    set.add(
        "Session",
        Policy::parse(&session.to_string(), PolicyKind::Session).unwrap(),
    );
    let bucket = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "TLS", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::corp-data", "arn:aws:s3:::corp-data/*"],
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        {"Sid": "Org", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::corp-data/*",
         "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}}]});
    set.add(
        "BucketPolicy",
        Policy::parse(&bucket.to_string(), PolicyKind::Resource).unwrap(),
    );
    set
}

fn request(action: &str, resource: &str) -> RequestContext {
    let mut p = RequestPrincipal::new(
        PrincipalType::AssumedRole,
        "arn:aws:sts::111122223333:assumed-role/dev/alice",
        "AROADEVEXAMPLE:alice",
        "111122223333",
    );
    p.role_arn = Some("arn:aws:iam::111122223333:role/dev".into());
    p.tags.push(("team".into(), "blue".into()));
    let mut ctx = RequestContext::new(p, action, resource)
        .with_resource_account("111122223333")
        .with_time(1_700_000_000_000);
    ctx.set("aws:RequestedRegion", vec!["us-east-1".into()]);
    ctx.set("aws:SecureTransport", vec!["true".into()]);
    ctx.set("aws:PrincipalOrgID", vec!["o-abc123".into()]);
    ctx.set("aws:MultiFactorAuthPresent", vec!["true".into()]);
    ctx.set("aws:SourceIp", vec!["203.0.113.7".into()]);
    ctx
}

#[divan::bench]
fn allow_get_object(bencher: Bencher<'_, '_>) {
    let set = policy_set();
    let ctx = request(
        "s3:GetObject",
        "arn:aws:s3:::corp-data/home/AROADEVEXAMPLE:alice/report.csv",
    );
    assert_eq!(set.evaluate(&ctx).decision, Decision::Allow);
    bencher.bench_local(|| black_box(&set).evaluate(black_box(&ctx)).decision);
}

#[divan::bench]
fn explicit_deny_plain_http(bencher: Bencher<'_, '_>) {
    let set = policy_set();
    let mut ctx = request("s3:GetObject", "arn:aws:s3:::corp-data/x");
    ctx.set("aws:SecureTransport", vec!["false".into()]);
    assert_eq!(set.evaluate(&ctx).decision, Decision::ExplicitDeny);
    bencher.bench_local(|| black_box(&set).evaluate(black_box(&ctx)).decision);
}

#[divan::bench]
fn implicit_deny_iam(bencher: Bencher<'_, '_>) {
    let set = policy_set();
    let ctx = request("iam:CreateUser", "arn:aws:iam::111122223333:user/bob");
    assert_eq!(set.evaluate(&ctx).decision, Decision::ImplicitDeny);
    bencher.bench_local(|| black_box(&set).evaluate(black_box(&ctx)).decision);
}

#[divan::bench]
fn build_request_context() -> RequestContext {
    request(
        black_box("s3:GetObject"),
        black_box("arn:aws:s3:::corp-data/x"),
    )
}

#[divan::bench]
fn parse_read_only_policy(bencher: Bencher<'_, '_>) {
    let text = read_only();
    bencher.bench_local(|| Policy::parse(black_box(&text), PolicyKind::Identity).unwrap());
}

#[divan::bench]
fn build_policy_set() -> PolicySet {
    policy_set()
}
