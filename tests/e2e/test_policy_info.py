"""GetContextKeysForCustomPolicy, GetContextKeysForPrincipalPolicy,
ListPoliciesGrantingServiceAccess, and the Organizations-related IAM operations answered as AWS
answers an account outside an organization; through boto3 and the aws CLI.

AWS documentation these tests follow:
  * IAM API Reference: GetContextKeysForCustomPolicy and GetContextKeysForPrincipalPolicy ("a
    list of all of the context keys referenced in the input policies"; the principal's policies
    include those of the groups a user is in; errors InvalidInput, NoSuchEntity);
    ListPoliciesGrantingServiceAccess (PolicyType INLINE | MANAGED, EntityType and EntityName
    for inline policies, PolicyArn for managed ones); ListOrganizationsFeatures,
    Enable/DisableOrganizationsRootCredentialsManagement, Enable/DisableOrganizationsRootSessions
    (OrganizationNotFoundException: "no organization is associated with your account");
    GetOrganizationsAccessReport (NoSuchEntity).
  * IAM User Guide, "IAM policy elements: Variables and tags" (${aws:username} is a context key).
"""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from castellan_e2e import ACCOUNT_ID, assert_error, unique

CONDITIONED = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::bucket/${aws:username}/*",
            "Condition": {"Bool": {"aws:SecureTransport": "true"}, "StringEquals": {"s3:prefix": "home/"}},
        },
        {"Effect": "Deny", "Action": "ec2:*", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}},
    ],
}
PLAIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"}]}


@pytest.fixture
def user_in_group(iam):
    """A new user in a new group: (user, group)."""
    user, group = unique("piuser"), unique("pigroup")
    iam.create_user(UserName=user)
    iam.create_group(GroupName=group)
    iam.add_user_to_group(UserName=user, GroupName=group)
    return user, group


def test_context_keys_for_custom_policy(iam):
    keys = iam.get_context_keys_for_custom_policy(PolicyInputList=[json.dumps(CONDITIONED), json.dumps(PLAIN)])["ContextKeyNames"]
    assert sorted(k.lower() for k in keys) == ["aws:securetransport", "aws:sourceip", "aws:username", "s3:prefix"]
    assert iam.get_context_keys_for_custom_policy(PolicyInputList=[json.dumps(PLAIN)])["ContextKeyNames"] == []
    with pytest.raises(ClientError) as e:
        iam.get_context_keys_for_custom_policy(PolicyInputList=["{not json"])
    assert_error(e, "InvalidInput", 400)


def test_context_keys_for_principal_policy_includes_groups_and_inputs(iam, user_in_group):
    user, group = user_in_group
    iam.put_group_policy(GroupName=group, PolicyName="conditioned", PolicyDocument=json.dumps(CONDITIONED))
    arn = f"arn:aws:iam::{ACCOUNT_ID}:user/{user}"
    keys = iam.get_context_keys_for_principal_policy(PolicySourceArn=arn)["ContextKeyNames"]
    assert {k.lower() for k in keys} == {"aws:securetransport", "aws:sourceip", "aws:username", "s3:prefix"}
    extra = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalTag/team": "a"}}}]}
    keys = iam.get_context_keys_for_principal_policy(PolicySourceArn=arn, PolicyInputList=[json.dumps(extra)])["ContextKeyNames"]
    assert {k.lower() for k in keys} == {"aws:securetransport", "aws:sourceip", "aws:username", "s3:prefix", "aws:principaltag/team"}
    with pytest.raises(ClientError) as e:
        iam.get_context_keys_for_principal_policy(PolicySourceArn=f"arn:aws:iam::{ACCOUNT_ID}:user/{unique('nobody')}")
    assert_error(e, "NoSuchEntity", 404)


def test_policies_granting_service_access(iam, user_in_group):
    user, group = user_in_group
    iam.put_user_policy(UserName=user, PolicyName="s3-inline", PolicyDocument=json.dumps(CONDITIONED))
    iam.put_group_policy(GroupName=group, PolicyName="dynamo-inline", PolicyDocument=json.dumps(PLAIN))
    iam.attach_user_policy(UserName=user, PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
    out = iam.list_policies_granting_service_access(Arn=f"arn:aws:iam::{ACCOUNT_ID}:user/{user}", ServiceNamespaces=["s3", "dynamodb", "ec2"])
    by_ns = {e["ServiceNamespace"]: e["Policies"] for e in out["PoliciesGrantingServiceAccess"]}
    assert {(p["PolicyName"], p["PolicyType"], p.get("EntityType"), p.get("EntityName")) for p in by_ns["s3"]} == {
        ("s3-inline", "INLINE", "USER", user),
        ("AmazonS3ReadOnlyAccess", "MANAGED", None, None),
    }
    assert [p["PolicyArn"] for p in by_ns["s3"] if p["PolicyType"] == "MANAGED"] == ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]
    assert [(p["PolicyName"], p["EntityType"], p["EntityName"]) for p in by_ns["dynamodb"]] == [("dynamo-inline", "GROUP", group)]
    # A Deny grants nothing.
    assert by_ns["ec2"] == []
    assert out["IsTruncated"] is False
    with pytest.raises(ClientError) as e:
        iam.list_policies_granting_service_access(Arn=f"arn:aws:iam::{ACCOUNT_ID}:role/{unique('nobody')}", ServiceNamespaces=["s3"])
    assert_error(e, "NoSuchEntity", 404)


@pytest.mark.parametrize(
    "call",
    [
        "list_organizations_features",
        "enable_organizations_root_credentials_management",
        "disable_organizations_root_credentials_management",
        "enable_organizations_root_sessions",
        "disable_organizations_root_sessions",
    ],
)
def test_organizations_features_outside_an_organization(iam, call):
    with pytest.raises(ClientError) as e:
        getattr(iam, call)()
    assert_error(e, "OrganizationNotFoundException", 400)


def test_organizations_access_reports_outside_an_organization(iam, server):
    with pytest.raises(ClientError) as e:
        iam.generate_organizations_access_report(EntityPath="o-a1b2c3d4e5/r-f6g7h8i9j0example")
    assert_error(e, "OrganizationNotFoundException", 400)
    with pytest.raises(ClientError) as e:
        iam.get_organizations_access_report(JobId="examplea-1234-b567-cde8-90fg123abcd4")
    assert_error(e, "NoSuchEntity", 404)
    res = server.aws_run("iam", "list-organizations-features")
    assert res.returncode != 0 and "OrganizationNotFoundException" in res.stderr


def test_aws_cli_context_keys(server):
    out = server.aws("iam", "get-context-keys-for-custom-policy", "--policy-input-list", json.dumps(CONDITIONED))
    assert "aws:SourceIp" in out["ContextKeyNames"]
