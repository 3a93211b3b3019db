"""Customer managed policies: Create/Get/List/Delete, versions, attach/detach to users,
groups and roles, ListAttached*Policies, ListEntitiesForPolicy, tags."""

import pytest
from botocore.exceptions import ClientError

from castellan_e2e import (
    ACCOUNT_ID,
    EC2_TRUST_POLICY,
    IAM_ID_RE,
    as_doc,
    assert_error,
    assert_recent,
    dumps,
    policy_doc,
)

TRUST = dumps(EC2_TRUST_POLICY)

# Ten distinct, attachable AWS managed policies (plus one more for the 11th attach).
ELEVEN_AWS_POLICIES = [
    "arn:aws:iam::aws:policy/ReadOnlyAccess",
    "arn:aws:iam::aws:policy/CloudWatchLogsFullAccess",
    "arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess",
    "arn:aws:iam::aws:policy/AmazonEC2FullAccess",
    "arn:aws:iam::aws:policy/IAMReadOnlyAccess",
    "arn:aws:iam::aws:policy/AmazonRDSFullAccess",
    "arn:aws:iam::aws:policy/AmazonS3FullAccess",
    "arn:aws:iam::aws:policy/AmazonSNSFullAccess",
    "arn:aws:iam::aws:policy/AmazonSQSFullAccess",
    "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    "arn:aws:iam::aws:policy/AWSCloudFormationFullAccess",
]


def local_arn(policy_name: str, path: str = "/") -> str:
    return f"arn:aws:iam::{ACCOUNT_ID}:policy{path}{policy_name}"


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreatePolicy.html
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_Policy.html
def test_create_and_get_policy(iam, name):
    p = name("pol")
    doc = policy_doc("s3:ListBucket", "arn:aws:s3:::example")
    created = iam.create_policy(PolicyName=p, Path="/team/", PolicyDocument=dumps(doc), Description="team policy")["Policy"]
    arn = local_arn(p, "/team/")
    assert created["PolicyName"] == p
    assert created["Arn"] == arn
    assert created["Path"] == "/team/"
    assert created["DefaultVersionId"] == "v1"
    assert created["AttachmentCount"] == 0
    assert created["IsAttachable"] is True
    assert IAM_ID_RE["policy"].match(created["PolicyId"]), created["PolicyId"]
    assert_recent(created["CreateDate"])

    got = iam.get_policy(PolicyArn=arn)["Policy"]
    assert got["PolicyId"] == created["PolicyId"]
    assert got["DefaultVersionId"] == "v1"
    assert got["AttachmentCount"] == 0
    assert got["PermissionsBoundaryUsageCount"] == 0
    assert got["Description"] == "team policy"

    # https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetPolicyVersion.html
    v = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]
    assert v["VersionId"] == "v1"
    assert v["IsDefaultVersion"] is True
    assert as_doc(v["Document"]) == doc
    assert_recent(v["CreateDate"])


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreatePolicy.html (EntityAlreadyExists)
def test_duplicate_policy(iam, name):
    p = name("DupPol")
    iam.create_policy(PolicyName=p, PolicyDocument=dumps(policy_doc()))
    with pytest.raises(ClientError) as e:
        iam.create_policy(PolicyName=p, PolicyDocument=dumps(policy_doc()))
    assert_error(e, "EntityAlreadyExists", 409, f"A policy called {p} already exists. Duplicate names are not allowed.")
    # Names are not distinguished by case.
    with pytest.raises(ClientError) as e:
        iam.create_policy(PolicyName=p.lower(), PolicyDocument=dumps(policy_doc()))
    assert_error(e, "EntityAlreadyExists", 409, contains="already exists")


# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
def test_malformed_policy_document(iam, name):
    with pytest.raises(ClientError) as e:
        iam.create_policy(PolicyName=name("bad"), PolicyDocument='{"Version": "2012-10-17", "Statement": [')
    assert_error(e, "MalformedPolicyDocument", 400, "Syntax errors in policy.")


# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
# "You cannot use the Principal element in an identity-based policy."
def test_identity_policy_with_principal(iam, name):
    doc = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:*", "Resource": "*"}],
    }
    with pytest.raises(ClientError) as e:
        iam.create_policy(PolicyName=name("principal"), PolicyDocument=dumps(doc))
    assert_error(e, "MalformedPolicyDocument", 400, "Policy document should not specify a principal.")


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetPolicy.html (NoSuchEntity)
def test_missing_policy(iam, name):
    arn = local_arn(name("nopol"))
    with pytest.raises(ClientError) as e:
        iam.get_policy(PolicyArn=arn)
    assert_error(e, "NoSuchEntity", 404, f"Policy {arn} was not found.")
    with pytest.raises(ClientError) as e:
        iam.delete_policy(PolicyArn=arn)
    assert_error(e, "NoSuchEntity", 404)


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeletePolicy.html
def test_delete_policy(iam, name):
    p = name("del")
    arn = iam.create_policy(PolicyName=p, PolicyDocument=dumps(policy_doc()))["Policy"]["Arn"]
    iam.delete_policy(PolicyArn=arn)
    with pytest.raises(ClientError) as e:
        iam.get_policy(PolicyArn=arn)
    assert_error(e, "NoSuchEntity", 404, f"Policy {arn} was not found.")
    # The name is free again.
    iam.create_policy(PolicyName=p, PolicyDocument=dumps(policy_doc()))


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreatePolicyVersion.html
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListPolicyVersions.html
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_SetDefaultPolicyVersion.html
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeletePolicyVersion.html
# https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-versioning.html
# "A managed policy can have up to five versions."
def test_policy_versions_lifecycle(iam, name):
    arn = iam.create_policy(PolicyName=name("ver"), PolicyDocument=dumps(policy_doc("s3:Get1")))["Policy"]["Arn"]

    v2 = iam.create_policy_version(PolicyArn=arn, PolicyDocument=dumps(policy_doc("s3:Get2")))["PolicyVersion"]
    assert v2["VersionId"] == "v2"
    assert v2["IsDefaultVersion"] is False
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v1"

    v3 = iam.create_policy_version(PolicyArn=arn, PolicyDocument=dumps(policy_doc("s3:Get3")), SetAsDefault=True)["PolicyVersion"]
    assert v3["VersionId"] == "v3"
    assert v3["IsDefaultVersion"] is True
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v3"
    # The policy's document is the default version's.
    assert as_doc(iam.get_policy_version(PolicyArn=arn, VersionId="v3")["PolicyVersion"]["Document"]) == policy_doc("s3:Get3")
    assert iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]["IsDefaultVersion"] is False

    iam.create_policy_version(PolicyArn=arn, PolicyDocument=dumps(policy_doc("s3:Get4")))
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=dumps(policy_doc("s3:Get5")))

    versions = iam.list_policy_versions(PolicyArn=arn)
    assert versions["IsTruncated"] is False
    assert sorted(v["VersionId"] for v in versions["Versions"]) == ["v1", "v2", "v3", "v4", "v5"]
    assert [v["VersionId"] for v in versions["Versions"] if v["IsDefaultVersion"]] == ["v3"]
    # https://docs.aws.amazon.com/IAM/latest/APIReference/API_PolicyVersion.html
    # Document: "The policy document is returned in the response to the GetPolicyVersion and
    # GetAccountAuthorizationDetails operations. It is not returned in the response to the
    # CreatePolicyVersion or ListPolicyVersions operations."
    assert all("Document" not in v for v in versions["Versions"])
    assert "Document" not in v2 and "Document" not in v3

    # A sixth version exceeds the quota.
    with pytest.raises(ClientError) as e:
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=dumps(policy_doc("s3:Get6")))
    assert_error(
        e,
        "LimitExceeded",
        409,
        "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.",
    )

    # The default version cannot be deleted.
    with pytest.raises(ClientError) as e:
        iam.delete_policy_version(PolicyArn=arn, VersionId="v3")
    assert_error(e, "DeleteConflict", 409, "Cannot delete the default version of a policy.")

    iam.set_default_policy_version(PolicyArn=arn, VersionId="v5")
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v5"
    iam.delete_policy_version(PolicyArn=arn, VersionId="v3")
    iam.delete_policy_version(PolicyArn=arn, VersionId="v1")
    assert sorted(v["VersionId"] for v in iam.list_policy_versions(PolicyArn=arn)["Versions"]) == ["v2", "v4", "v5"]

    # Version ids are never reused.
    v6 = iam.create_policy_version(PolicyArn=arn, PolicyDocument=dumps(policy_doc("s3:Get6")))["PolicyVersion"]
    assert v6["VersionId"] == "v6"

    with pytest.raises(ClientError) as e:
        iam.get_policy_version(PolicyArn=arn, VersionId="v1")
    # AWS: "Policy arn:aws:iam::123456789012:policy/NAME version v1 does not exist or is not
    # attachable." (not pinned)
    assert_error(e, "NoSuchEntity", 404)
    with pytest.raises(ClientError) as e:
        iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    assert_error(e, "NoSuchEntity", 404)


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeletePolicy.html
# "Before you can delete a managed policy, you must first ... delete all of the policy's versions
# (except the default one)" and detach it from every user, group and role.
def test_delete_policy_conflicts(iam, name):
    arn = iam.create_policy(PolicyName=name("dpc"), PolicyDocument=dumps(policy_doc()))["Policy"]["Arn"]
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=dumps(policy_doc("s3:Other")))
    with pytest.raises(ClientError) as e:
        iam.delete_policy(PolicyArn=arn)
    assert_error(
        e,
        "DeleteConflict",
        409,
        "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. "
        "The default version is deleted with the policy.",
    )
    iam.delete_policy_version(PolicyArn=arn, VersionId="v2")

    u = name("holder")
    iam.create_user(UserName=u)
    iam.attach_user_policy(UserName=u, PolicyArn=arn)
    with pytest.raises(ClientError) as e:
        iam.delete_policy(PolicyArn=arn)
    assert_error(e, "DeleteConflict", 409, "Cannot delete a policy attached to entities.")
    iam.detach_user_policy(UserName=u, PolicyArn=arn)
    iam.delete_policy(PolicyArn=arn)


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_AttachUserPolicy.html
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_AttachGroupPolicy.html
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_AttachRolePolicy.html
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListAttachedUserPolicies.html
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListAttachedGroupPolicies.html
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListAttachedRolePolicies.html
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListEntitiesForPolicy.html
def test_attach_detach_and_entities(iam, name):
    p = name("shared")
    arn = iam.create_policy(PolicyName=p, PolicyDocument=dumps(policy_doc()))["Policy"]["Arn"]
    u, g, r = name("u"), name("g"), name("r")
    iam.create_user(UserName=u)
    iam.create_group(GroupName=g)
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST)

    iam.attach_user_policy(UserName=u, PolicyArn=arn)
    iam.attach_group_policy(GroupName=g, PolicyArn=arn)
    iam.attach_role_policy(RoleName=r, PolicyArn=arn)
    # Attaching again is not an error and does not count twice.
    iam.attach_user_policy(UserName=u, PolicyArn=arn)

    expected = [{"PolicyName": p, "PolicyArn": arn}]
    assert iam.list_attached_user_policies(UserName=u)["AttachedPolicies"] == expected
    assert iam.list_attached_group_policies(GroupName=g)["AttachedPolicies"] == expected
    assert iam.list_attached_role_policies(RoleName=r)["AttachedPolicies"] == expected
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 3

    ents = iam.list_entities_for_policy(PolicyArn=arn)
    assert [x["UserName"] for x in ents["PolicyUsers"]] == [u]
    assert [x["GroupName"] for x in ents["PolicyGroups"]] == [g]
    assert [x["RoleName"] for x in ents["PolicyRoles"]] == [r]
    assert IAM_ID_RE["user"].match(ents["PolicyUsers"][0]["UserId"])
    assert IAM_ID_RE["group"].match(ents["PolicyGroups"][0]["GroupId"])
    assert IAM_ID_RE["role"].match(ents["PolicyRoles"][0]["RoleId"])
    assert ents["IsTruncated"] is False

    only_roles = iam.list_entities_for_policy(PolicyArn=arn, EntityFilter="Role")
    assert only_roles["PolicyUsers"] == [] and only_roles["PolicyGroups"] == []
    assert [x["RoleName"] for x in only_roles["PolicyRoles"]] == [r]

    iam.detach_user_policy(UserName=u, PolicyArn=arn)
    iam.detach_group_policy(GroupName=g, PolicyArn=arn)
    assert iam.list_attached_user_policies(UserName=u)["AttachedPolicies"] == []
    assert iam.list_attached_group_policies(GroupName=g)["AttachedPolicies"] == []
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 1
    iam.detach_role_policy(RoleName=r, PolicyArn=arn)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 0
    ents = iam.list_entities_for_policy(PolicyArn=arn)
    assert ents["PolicyUsers"] == ents["PolicyGroups"] == ents["PolicyRoles"] == []


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListAttachedUserPolicies.html (PathPrefix)
def test_list_attached_path_prefix(iam, name):
    u = name("pp")
    iam.create_user(UserName=u)
    local = iam.create_policy(PolicyName=name("pp"), Path="/mine/", PolicyDocument=dumps(policy_doc()))["Policy"]["Arn"]
    iam.attach_user_policy(UserName=u, PolicyArn=local)
    iam.attach_user_policy(UserName=u, PolicyArn="arn:aws:iam::aws:policy/service-role/AmazonEC2RoleforSSM")
    assert [x["PolicyArn"] for x in iam.list_attached_user_policies(UserName=u, PathPrefix="/mine/")["AttachedPolicies"]] == [local]
    assert [x["PolicyArn"] for x in iam.list_attached_user_policies(UserName=u, PathPrefix="/service-role/")["AttachedPolicies"]] == [
        "arn:aws:iam::aws:policy/service-role/AmazonEC2RoleforSSM"
    ]


class TestAttachErrors:
    # https://docs.aws.amazon.com/IAM/latest/APIReference/API_AttachUserPolicy.html (NoSuchEntity)
    # Real AWS text (quoted in getmoto/moto#6482 and pulumi/pulumi#7419).
    def test_attach_missing_policy(self, iam, name):
        u = name("u")
        iam.create_user(UserName=u)
        arn = local_arn(name("nope"))
        with pytest.raises(ClientError) as e:
            iam.attach_user_policy(UserName=u, PolicyArn=arn)
        assert_error(e, "NoSuchEntity", 404, f"Policy {arn} does not exist or is not attachable.")
        r = name("r")
        iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST)
        with pytest.raises(ClientError) as e:
            iam.attach_role_policy(RoleName=r, PolicyArn=arn)
        assert_error(e, "NoSuchEntity", 404, f"Policy {arn} does not exist or is not attachable.")

    # https://docs.aws.amazon.com/IAM/latest/APIReference/API_AttachGroupPolicy.html (NoSuchEntity)
    def test_attach_to_missing_entities(self, iam, name):
        arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
        u, g, r = name("nu"), name("ng"), name("nr")
        with pytest.raises(ClientError) as e:
            iam.attach_user_policy(UserName=u, PolicyArn=arn)
        assert_error(e, "NoSuchEntity", 404, f"The user with name {u} cannot be found.")
        with pytest.raises(ClientError) as e:
            iam.attach_group_policy(GroupName=g, PolicyArn=arn)
        assert_error(e, "NoSuchEntity", 404, f"The group with name {g} cannot be found.")
        with pytest.raises(ClientError) as e:
            iam.attach_role_policy(RoleName=r, PolicyArn=arn)
        assert_error(e, "NoSuchEntity", 404, f"The role with name {r} cannot be found.")

    # https://docs.aws.amazon.com/IAM/latest/APIReference/API_DetachUserPolicy.html (NoSuchEntity)
    def test_detach_not_attached(self, iam, name):
        u = name("u")
        iam.create_user(UserName=u)
        arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
        with pytest.raises(ClientError) as e:
            iam.detach_user_policy(UserName=u, PolicyArn=arn)
        assert_error(e, "NoSuchEntity", 404, f"Policy {arn} was not found.")

    # AWS answers ValidationError (400) "ARN X is not valid." as recorded in February 2026 in
    # LocalStack's tests/aws/services/iam/test_iam_roles.snapshot.json ("non-existent-malformed-policy-arn");
    # boto/boto#2960 shows the same text with InvalidInput from 2015.
    def test_invalid_policy_arn(self, iam, name):
        u = name("u")
        iam.create_user(UserName=u)
        bad = "not-a-valid-arn-at-all-really"
        with pytest.raises(ClientError) as e:
            iam.attach_user_policy(UserName=u, PolicyArn=bad)
        assert_error(e, "ValidationError", 400, f"ARN {bad} is not valid.")

    # https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html
    # Service-linked role policies cannot be attached to customer roles; real AWS text in
    # aws/aws-cdk#6131.
    def test_service_linked_role_policy_not_attachable(self, iam, name):
        r = name("cust")
        iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST)
        with pytest.raises(ClientError) as e:
            iam.attach_role_policy(
                RoleName=r, PolicyArn="arn:aws:iam::aws:policy/aws-service-role/AmazonElasticsearchServiceRolePolicy"
            )
        assert_error(e, "PolicyNotAttachable", 400, "Cannot attach a Service Role Policy to a Customer Role.")

    # https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-deprecated.html
    # AWSConfigRole is deprecated (IsAttachable false): it cannot be attached to new entities.
    def test_deprecated_policy_not_attachable(self, iam, name):
        arn = "arn:aws:iam::aws:policy/service-role/AWSConfigRole"
        assert iam.get_policy(PolicyArn=arn)["Policy"]["IsAttachable"] is False
        u = name("u")
        iam.create_user(UserName=u)
        with pytest.raises(ClientError) as e:
            iam.attach_user_policy(UserName=u, PolicyArn=arn)
        code = e.value.response["Error"]["Code"]
        # AWS: NoSuchEntity "Policy ... does not exist or is not attachable." (not pinned)
        assert code in ("NoSuchEntity", "PolicyNotAttachable"), code
        assert iam.list_attached_user_policies(UserName=u)["AttachedPolicies"] == []


# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
# "Managed policies attached to an IAM user / role / group: 10" (default quota)
@pytest.mark.parametrize("kind", ["user", "group", "role"])
def test_attached_policies_quota(iam, name, kind):
    n = name(kind)
    if kind == "user":
        iam.create_user(UserName=n)
        attach = lambda arn: iam.attach_user_policy(UserName=n, PolicyArn=arn)  # noqa: E731
        listed = lambda: iam.list_attached_user_policies(UserName=n)["AttachedPolicies"]  # noqa: E731
        quota = "PoliciesPerUser"
    elif kind == "group":
        iam.create_group(GroupName=n)
        attach = lambda arn: iam.attach_group_policy(GroupName=n, PolicyArn=arn)  # noqa: E731
        listed = lambda: iam.list_attached_group_policies(GroupName=n)["AttachedPolicies"]  # noqa: E731
        quota = "PoliciesPerGroup"
    else:
        iam.create_role(RoleName=n, AssumeRolePolicyDocument=TRUST)
        attach = lambda arn: iam.attach_role_policy(RoleName=n, PolicyArn=arn)  # noqa: E731
        listed = lambda: iam.list_attached_role_policies(RoleName=n)["AttachedPolicies"]  # noqa: E731
        quota = "PoliciesPerRole"
    for arn in ELEVEN_AWS_POLICIES[:10]:
        attach(arn)
    # Re-attaching one that is already there is still fine at the limit.
    attach(ELEVEN_AWS_POLICIES[0])
    with pytest.raises(ClientError) as e:
        attach(ELEVEN_AWS_POLICIES[10])
    # Real AWS text for roles: "Cannot exceed quota for PoliciesPerRole: 10" (aws/eks-hybrid#741).
    assert_error(e, "LimitExceeded", 409, f"Cannot exceed quota for {quota}: 10")
    assert len(listed()) == 10


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListPolicies.html
def test_list_policies_filters(iam, name):
    prefix = f"/{name('lp')}/"
    attached = iam.create_policy(
        PolicyName=name("lp-att"), Path=prefix, PolicyDocument=dumps(policy_doc()),
        Description="described", Tags=[{"Key": "k", "Value": "v"}],
    )["Policy"]
    loose = iam.create_policy(PolicyName=name("lp-loose"), Path=prefix, PolicyDocument=dumps(policy_doc()))["Policy"]
    boundary = iam.create_policy(PolicyName=name("lp-bound"), Path=prefix, PolicyDocument=dumps(policy_doc()))["Policy"]
    u = name("lp-user")
    iam.create_user(UserName=u)
    iam.attach_user_policy(UserName=u, PolicyArn=attached["Arn"])
    iam.put_user_permissions_boundary(UserName=u, PermissionsBoundary=boundary["Arn"])

    local = iam.list_policies(Scope="Local", PathPrefix=prefix)
    assert {p["PolicyName"] for p in local["Policies"]} == {attached["PolicyName"], loose["PolicyName"], boundary["PolicyName"]}
    # https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListPolicies.html
    # "This operation does not return the following attributes, even though they are an
    # attribute of the returned object: PolicyTags"; API_Policy: Description "is not included
    # in the response to the ListPolicies operation".
    assert all("Tags" not in p and "Description" not in p for p in local["Policies"])
    assert all(p["Arn"].startswith(f"arn:aws:iam::{ACCOUNT_ID}:policy/") for p in local["Policies"])

    only_attached = iam.list_policies(Scope="Local", PathPrefix=prefix, OnlyAttached=True)["Policies"]
    # OnlyAttached: "only the attached policies" -- as permissions policy or boundary.
    assert attached["PolicyName"] in {p["PolicyName"] for p in only_attached}
    assert loose["PolicyName"] not in {p["PolicyName"] for p in only_attached}
    counts = {p["PolicyName"]: p["AttachmentCount"] for p in local["Policies"]}
    assert counts[attached["PolicyName"]] == 1 and counts[loose["PolicyName"]] == 0

    # PolicyUsageFilter: "To list only permissions policies, set PolicyUsageFilter to
    # PermissionsPolicy. To list only the policies used to set permissions boundaries, set the
    # value to PermissionsBoundary."
    perm = {p["PolicyName"] for p in iam.list_policies(
        Scope="Local", PathPrefix=prefix, OnlyAttached=True, PolicyUsageFilter="PermissionsPolicy")["Policies"]}
    assert attached["PolicyName"] in perm
    assert loose["PolicyName"] not in perm and boundary["PolicyName"] not in perm
    bnd = {p["PolicyName"] for p in iam.list_policies(
        Scope="Local", PathPrefix=prefix, OnlyAttached=True, PolicyUsageFilter="PermissionsBoundary")["Policies"]}
    assert boundary["PolicyName"] in bnd
    assert loose["PolicyName"] not in bnd and attached["PolicyName"] not in bnd

    # Scope=AWS never lists customer policies; PathPrefix applies to AWS managed ones too.
    aws_sr = iam.get_paginator("list_policies").paginate(Scope="AWS", PathPrefix="/service-role/").build_full_result()["Policies"]
    assert aws_sr and all(p["Path"] == "/service-role/" and p["Arn"].startswith("arn:aws:iam::aws:policy/service-role/") for p in aws_sr)
    assert "arn:aws:iam::aws:policy/service-role/AmazonEC2RoleforSSM" in {p["Arn"] for p in aws_sr}


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_TagPolicy.html
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_UntagPolicy.html
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListPolicyTags.html
def test_policy_tags(iam, name):
    arn = iam.create_policy(
        PolicyName=name("tp"), PolicyDocument=dumps(policy_doc()), Tags=[{"Key": "a", "Value": "1"}]
    )["Policy"]["Arn"]
    assert iam.list_policy_tags(PolicyArn=arn)["Tags"] == [{"Key": "a", "Value": "1"}]
    iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "b", "Value": "2"}, {"Key": "a", "Value": "3"}])
    tags = {t["Key"]: t["Value"] for t in iam.list_policy_tags(PolicyArn=arn)["Tags"]}
    assert tags == {"a": "3", "b": "2"}
    assert {t["Key"]: t["Value"] for t in iam.get_policy(PolicyArn=arn)["Policy"]["Tags"]} == tags
    iam.untag_policy(PolicyArn=arn, TagKeys=["a"])
    resp = iam.list_policy_tags(PolicyArn=arn)
    assert resp["Tags"] == [{"Key": "b", "Value": "2"}]
    assert resp["IsTruncated"] is False


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_TagPolicy.html (NoSuchEntity)
def test_tag_missing_policy(iam, name):
    arn = local_arn(name("ghost"))
    with pytest.raises(ClientError) as e:
        iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "k", "Value": "v"}])
    assert_error(e, "NoSuchEntity", 404)
