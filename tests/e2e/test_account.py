"""Account-level operations: aliases, GetAccountSummary, GetAccountAuthorizationDetails.
Each test uses an empty account of its own."""

import pytest
from botocore.exceptions import ClientError

from castellan_e2e import ACCOUNT_ID, EC2_TRUST_POLICY, as_doc, assert_error, dumps, policy_doc

pytestmark = pytest.mark.fresh

TRUST = dumps(EC2_TRUST_POLICY)
S3_RO = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateAccountAlias.html
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListAccountAliases.html
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteAccountAlias.html
def test_account_alias_lifecycle(fresh_server):
    iam = fresh_server.iam()
    resp = iam.list_account_aliases()
    assert resp["AccountAliases"] == []
    assert resp["IsTruncated"] is False
    iam.create_account_alias(AccountAlias="castellan-e2e-alias")
    assert iam.list_account_aliases()["AccountAliases"] == ["castellan-e2e-alias"]
    iam.delete_account_alias(AccountAlias="castellan-e2e-alias")
    assert iam.list_account_aliases()["AccountAliases"] == []


# AccountAlias pattern: ^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$
def test_account_alias_validation(fresh_server):
    iam = fresh_server.iam()
    for bad in ("Upper-Case", "double--hyphen", "-leading", "trailing-", "under_score"):
        with pytest.raises(ClientError) as e:
            iam.create_account_alias(AccountAlias=bad)
        assert_error(e, "ValidationError", 400)
    assert iam.list_account_aliases()["AccountAliases"] == []


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountSummary.html
def test_account_summary(fresh_server):
    iam = fresh_server.iam()
    summary = iam.get_account_summary()["SummaryMap"]
    for key in ("Users", "Groups", "Roles", "Policies", "InstanceProfiles"):
        assert summary[key] == 0, key
    assert summary["AccessKeysPerUserQuota"] == 2
    assert summary["AttachedPoliciesPerUserQuota"] == 10
    assert summary["AttachedPoliciesPerGroupQuota"] == 10
    assert summary["AttachedPoliciesPerRoleQuota"] == 10
    assert summary["VersionsPerPolicyQuota"] == 5
    # "AccountAccessKeysPresent: 1 if the root user has an access key"
    assert summary["AccountAccessKeysPresent"] == 1
    assert summary["AccountMFAEnabled"] == 0
    for quota in ("UsersQuota", "GroupsQuota", "RolesQuota", "PoliciesQuota", "InstanceProfilesQuota"):
        assert summary[quota] > 0, quota

    iam.create_user(UserName="a")
    iam.create_user(UserName="b")
    iam.create_group(GroupName="g")
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)
    iam.create_policy(PolicyName="p", PolicyDocument=dumps(policy_doc()))
    iam.create_instance_profile(InstanceProfileName="ip")
    iam.attach_user_policy(UserName="a", PolicyArn=S3_RO)

    summary = iam.get_account_summary()["SummaryMap"]
    assert summary["Users"] == 2
    assert summary["Groups"] == 1
    assert summary["Roles"] == 1
    # "Policies" counts customer managed policies only.
    assert summary["Policies"] == 1
    assert summary["InstanceProfiles"] == 1

    iam.delete_user(UserName="b")
    assert iam.get_account_summary()["SummaryMap"]["Users"] == 1


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountAuthorizationDetails.html
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_UserDetail.html
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_GroupDetail.html
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_RoleDetail.html
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_ManagedPolicyDetail.html
def test_account_authorization_details(fresh_server):
    iam = fresh_server.iam()
    doc_u, doc_g, doc_r = policy_doc("s3:GetObject"), policy_doc("sqs:*"), policy_doc("dynamodb:*")
    local_v1, local_v2 = policy_doc("ec2:Describe*"), policy_doc("ec2:*")

    local = iam.create_policy(PolicyName="local", PolicyDocument=dumps(local_v1))["Policy"]["Arn"]
    iam.create_policy_version(PolicyArn=local, PolicyDocument=dumps(local_v2), SetAsDefault=True)

    iam.create_group(GroupName="devs")
    iam.put_group_policy(GroupName="devs", PolicyName="gp", PolicyDocument=dumps(doc_g))
    iam.attach_group_policy(GroupName="devs", PolicyArn=local)

    iam.create_user(UserName="alice", Tags=[{"Key": "team", "Value": "a"}])
    iam.put_user_policy(UserName="alice", PolicyName="up", PolicyDocument=dumps(doc_u))
    iam.attach_user_policy(UserName="alice", PolicyArn=S3_RO)
    iam.add_user_to_group(GroupName="devs", UserName="alice")

    iam.create_role(RoleName="app", AssumeRolePolicyDocument=TRUST)
    iam.put_role_policy(RoleName="app", PolicyName="rp", PolicyDocument=dumps(doc_r))
    iam.attach_role_policy(RoleName="app", PolicyArn=S3_RO)
    iam.create_instance_profile(InstanceProfileName="app-profile")
    iam.add_role_to_instance_profile(InstanceProfileName="app-profile", RoleName="app")

    full = iam.get_paginator("get_account_authorization_details").paginate().build_full_result()

    users = {u["UserName"]: u for u in full["UserDetailList"]}
    assert set(users) == {"alice"}
    alice = users["alice"]
    assert alice["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/alice"
    assert alice["GroupList"] == ["devs"]
    assert alice["AttachedManagedPolicies"] == [{"PolicyName": "AmazonS3ReadOnlyAccess", "PolicyArn": S3_RO}]
    assert [(p["PolicyName"], as_doc(p["PolicyDocument"])) for p in alice["UserPolicyList"]] == [("up", doc_u)]
    assert {t["Key"]: t["Value"] for t in alice.get("Tags", [])} == {"team": "a"}

    groups = {g["GroupName"]: g for g in full["GroupDetailList"]}
    assert set(groups) == {"devs"}
    assert [(p["PolicyName"], as_doc(p["PolicyDocument"])) for p in groups["devs"]["GroupPolicyList"]] == [("gp", doc_g)]
    assert groups["devs"]["AttachedManagedPolicies"] == [{"PolicyName": "local", "PolicyArn": local}]

    roles = {r["RoleName"]: r for r in full["RoleDetailList"]}
    assert set(roles) == {"app"}
    app = roles["app"]
    assert as_doc(app["AssumeRolePolicyDocument"]) == EC2_TRUST_POLICY
    assert [(p["PolicyName"], as_doc(p["PolicyDocument"])) for p in app["RolePolicyList"]] == [("rp", doc_r)]
    assert app["AttachedManagedPolicies"] == [{"PolicyName": "AmazonS3ReadOnlyAccess", "PolicyArn": S3_RO}]
    assert [p["InstanceProfileName"] for p in app["InstanceProfileList"]] == ["app-profile"]

    policies = {p["Arn"]: p for p in full["Policies"]}
    assert local in policies
    lp = policies[local]
    assert lp["DefaultVersionId"] == "v2"
    assert lp["AttachmentCount"] == 1
    versions = {v["VersionId"]: v for v in lp["PolicyVersionList"]}
    assert set(versions) == {"v1", "v2"}
    assert versions["v2"]["IsDefaultVersion"] is True and versions["v1"]["IsDefaultVersion"] is False
    assert as_doc(versions["v1"]["Document"]) == local_v1
    assert as_doc(versions["v2"]["Document"]) == local_v2
    # The AWS managed policy in use is described too.
    assert S3_RO in policies
    assert policies[S3_RO]["AttachmentCount"] == 2

    # Filter: "Only the entities that match the types you specify are included in the output."
    only_local = iam.get_account_authorization_details(Filter=["LocalManagedPolicy"])
    assert only_local["UserDetailList"] == [] and only_local["RoleDetailList"] == [] and only_local["GroupDetailList"] == []
    assert [p["Arn"] for p in only_local["Policies"]] == [local]
    only_roles = iam.get_account_authorization_details(Filter=["Role"])
    assert [r["RoleName"] for r in only_roles["RoleDetailList"]] == ["app"]
    assert only_roles["UserDetailList"] == [] and only_roles["Policies"] == []
