"""Response shapes as AWS sends them: which fields are present, absent or an empty list, and
in which order lists come, field by field against responses recorded from AWS.

Most sources are LocalStack's snapshot tests, whose recorded content is AWS's own answer
(`@markers.aws.validated`, values replaced by placeholders, fields kept as AWS sent them):
https://github.com/localstack/localstack/tree/main/tests/aws/services/iam and .../sts. The
others are the aws CLI's command examples (https://github.com/aws/aws-cli/tree/develop/awscli/examples/iam).
"""

from __future__ import annotations

from castellan_e2e import ACCOUNT_ID, EC2_TRUST_POLICY, dumps, policy_doc, strip_ns

TRUST = dumps(EC2_TRUST_POLICY)
DOC = dumps(policy_doc("s3:ListBucket"))
LOCALSTACK = "localstack/localstack tests/aws/services"

# Every key AWS sends in GetAccountSummary's SummaryMap, no more
# (LOCALSTACK/iam/test_iam_account_summary.snapshot.json, "test_get_account_summary_format").
AWS_SUMMARY_KEYS = {
    "AccessKeysPerUserQuota", "AccountAccessKeysPresent", "AccountMFAEnabled", "AccountPasswordPresent",
    "AccountSigningCertificatesPresent", "AssumeRolePolicySizeQuota", "AttachedPoliciesPerGroupQuota",
    "AttachedPoliciesPerRoleQuota", "AttachedPoliciesPerUserQuota", "GlobalEndpointTokenVersion",
    "GroupPolicySizeQuota", "Groups", "GroupsPerUserQuota", "GroupsQuota", "InstanceProfiles",
    "InstanceProfilesQuota", "MFADevices", "MFADevicesInUse", "Policies", "PoliciesQuota", "PolicySizeQuota",
    "PolicyVersionsInUse", "PolicyVersionsInUseQuota", "Providers", "RolePolicySizeQuota", "Roles", "RolesQuota",
    "ServerCertificates", "ServerCertificatesQuota", "SigningCertificatesPerUserQuota", "UserPolicySizeQuota",
    "Users", "UsersQuota", "VersionsPerPolicyQuota",
}

ROLE_AS_CREATED = {"Arn", "AssumeRolePolicyDocument", "CreateDate", "Path", "RoleId", "RoleName"}


def boundary_policy(iam, name) -> str:
    return iam.create_policy(PolicyName=name("boundary"), PolicyDocument=DOC)["Policy"]["Arn"]


# LOCALSTACK/iam/test_iam_roles.snapshot.json, "create-role-with-boundary": the role was created
# with a description, yet CreateRole answers without Description, MaxSessionDuration and
# RoleLastUsed; GetRole has all three (RoleLastUsed empty before any use).
def test_create_role_answers_without_description_and_max_session_duration(iam, name):
    r = name("created")
    pb = boundary_policy(iam, name)
    role = iam.create_role(
        RoleName=r, AssumeRolePolicyDocument=TRUST, Description="a role", MaxSessionDuration=7200,
        PermissionsBoundary=pb, Tags=[{"Key": "k", "Value": "v"}],
    )["Role"]
    assert set(role) == ROLE_AS_CREATED | {"PermissionsBoundary", "Tags"}
    got = iam.get_role(RoleName=r)["Role"]
    assert got["Description"] == "a role"
    assert got["MaxSessionDuration"] == 7200
    assert got["RoleLastUsed"] == {}


# LOCALSTACK/iam/test_iam_roles.snapshot.json, "update-role-description-response": CreateRole's
# fields and the description, no MaxSessionDuration, no RoleLastUsed.
def test_update_role_description_adds_only_the_description(iam, name):
    r = name("described")
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST)
    role = iam.update_role_description(RoleName=r, Description="new")["Role"]
    assert set(role) == ROLE_AS_CREATED | {"Description"}
    assert role["Description"] == "new"


# The aws CLI's create-service-linked-role example (awscli/examples/iam/create-service-linked-role.rst):
# created with a description, answered without Description and MaxSessionDuration.
def test_create_service_linked_role_answers_as_create_role(iam):
    role = iam.create_service_linked_role(AWSServiceName="elasticbeanstalk.amazonaws.com", Description="shapes")["Role"]
    try:
        assert set(role) == ROLE_AS_CREATED
    finally:
        iam.delete_service_linked_role(RoleName=role["RoleName"])


# LOCALSTACK/iam/test_iam_instance_profiles.snapshot.json: CreateInstanceProfile sends an empty
# Roles list and no Tags; GetInstanceProfile sends Tags, an empty list when there are none;
# ListInstanceProfiles sends no Tags; a role inside has no MaxSessionDuration and no RoleLastUsed.
def test_instance_profile_shapes(iam, name):
    p, r = name("profile"), name("inside")
    created = iam.create_instance_profile(InstanceProfileName=p)["InstanceProfile"]
    assert created["Roles"] == []
    assert "Tags" not in created
    assert iam.get_instance_profile(InstanceProfileName=p)["InstanceProfile"]["Tags"] == []
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST, PermissionsBoundary=boundary_policy(iam, name),
                    Description="inferred: left out as CreateRole leaves it out", Tags=[{"Key": "k", "Value": "v"}])
    iam.add_role_to_instance_profile(InstanceProfileName=p, RoleName=r)
    got = iam.get_instance_profile(InstanceProfileName=p)["InstanceProfile"]
    assert [set(x) for x in got["Roles"]] == [ROLE_AS_CREATED]
    listed = [x for x in iam.list_instance_profiles()["InstanceProfiles"] if x["InstanceProfileName"] == p]
    assert "Tags" not in listed[0]
    assert [set(x) for x in listed[0]["Roles"]] == [ROLE_AS_CREATED]
    for_role = iam.list_instance_profiles_for_role(RoleName=r)["InstanceProfiles"]
    assert [set(x) for x in for_role[0]["Roles"]] == [ROLE_AS_CREATED]


# LOCALSTACK/iam/test_iam_roles.snapshot.json, "get-role-with-boundary":
# "PermissionsBoundaryType": "Policy", not the model's enum value "PermissionsBoundaryPolicy".
def test_permissions_boundary_type_is_policy_on_the_wire(server, iam, name):
    r = name("bounded")
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST, PermissionsBoundary=boundary_policy(iam, name))
    res = server.raw({"Action": "GetRole", "Version": "2010-05-08", "RoleName": r})
    assert res.status == 200, res
    assert res.find("GetRoleResult/Role/PermissionsBoundary/PermissionsBoundaryType") == "Policy"
    res = server.raw({"Action": "CreateRole", "Version": "2010-05-08", "RoleName": name("raw"), "AssumeRolePolicyDocument": TRUST,
                      "PermissionsBoundary": boundary_policy(iam, name)})
    assert res.find("CreateRoleResult/Role/PermissionsBoundary/PermissionsBoundaryType") == "Policy"


# LOCALSTACK/iam/test_iam_policies.snapshot.json, "get-policy-response" and "get-without-tags":
# GetPolicy sends Tags, an empty list when there are none; CreatePolicy sends none then.
# LOCALSTACK/iam/test_iam_managed_policies.snapshot.json, "get-policy": so does an AWS managed
# policy.
def test_get_policy_sends_an_empty_tags_list(server, iam, name):
    created = iam.create_policy(PolicyName=name("untagged"), PolicyDocument=DOC)["Policy"]
    assert "Tags" not in created
    assert iam.get_policy(PolicyArn=created["Arn"])["Policy"]["Tags"] == []
    aws = iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/IAMUserChangePassword")["Policy"]
    assert aws["Tags"] == []
    # On the wire: an empty <Tags/> element.
    res = server.raw({"Action": "GetPolicy", "Version": "2010-05-08", "PolicyArn": created["Arn"]})
    tags = strip_ns(res.xml()).find("GetPolicyResult/Policy/Tags")
    assert tags is not None and list(tags) == []


# LOCALSTACK/iam/test_iam_policies.snapshot.json, "test_policy_version_lifecycle": CreatePolicyVersion
# answers CreateDate, IsDefaultVersion and VersionId (no Document); ListPolicyVersions the same
# for each version, newest first; GetPolicyVersion adds the Document.
def test_policy_version_shapes(iam, name):
    arn = iam.create_policy(PolicyName=name("versioned"), PolicyDocument=DOC)["Policy"]["Arn"]
    v2 = iam.create_policy_version(PolicyArn=arn, PolicyDocument=DOC, SetAsDefault=True)["PolicyVersion"]
    assert set(v2) == {"CreateDate", "IsDefaultVersion", "VersionId"}
    assert (v2["VersionId"], v2["IsDefaultVersion"]) == ("v2", True)
    v3 = iam.create_policy_version(PolicyArn=arn, PolicyDocument=DOC)["PolicyVersion"]
    assert (v3["VersionId"], v3["IsDefaultVersion"]) == ("v3", False)
    listed = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert [(v["VersionId"], v["IsDefaultVersion"]) for v in listed] == [("v3", False), ("v2", True), ("v1", False)]
    assert all(set(v) == {"CreateDate", "IsDefaultVersion", "VersionId"} for v in listed)
    got = iam.get_policy_version(PolicyArn=arn, VersionId="v3")["PolicyVersion"]
    assert set(got) == {"CreateDate", "Document", "IsDefaultVersion", "VersionId"}


# The aws CLI's list-policies example (awscli/examples/iam/list-policies.rst): the account's
# customer managed policy first, then AdministratorAccess, then PowerUserAccess.
# LOCALSTACK/iam/test_iam_managed_policies.snapshot.json, "list-policies-aws-page": Scope=AWS
# starts AdministratorAccess (v1), PowerUserAccess (v12), ReadOnlyAccess (v178),
# AWSCloudFormationReadOnlyAccess (v7), CloudFrontFullAccess (v14).
def test_list_policies_order(fresh_server):
    iam = fresh_server.iam()
    iam.create_policy(PolicyName="zz-last-by-name", PolicyDocument=DOC)
    first = iam.list_policies(MaxItems=3)
    assert [p["PolicyName"] for p in first["Policies"]] == ["zz-last-by-name", "AdministratorAccess", "PowerUserAccess"]
    assert first["IsTruncated"] is True
    aws = iam.list_policies(Scope="AWS", MaxItems=5)["Policies"]
    assert [(p["PolicyName"], p["DefaultVersionId"]) for p in aws] == [
        ("AdministratorAccess", "v1"), ("PowerUserAccess", "v12"), ("ReadOnlyAccess", "v178"),
        ("AWSCloudFormationReadOnlyAccess", "v7"), ("CloudFrontFullAccess", "v14"),
    ]
    # The pages join up: every policy once, the customer managed one first.
    names = [p["PolicyName"] for page in iam.get_paginator("list_policies").paginate(PaginationConfig={"PageSize": 400})
             for p in page["Policies"]]
    assert names[0] == "zz-last-by-name" and len(names) == len(set(names)) == 1453


# LOCALSTACK/iam/test_iam_policies.snapshot.json, "test_policy_tag_order": tags given as
# abc, b, z, a are listed a, b, z, abc (by key length, then key); CreatePolicy echoes them as given.
def test_list_policy_tags_order(iam, name):
    given = [{"Key": "abc", "Value": "first"}, {"Key": "b", "Value": "second"}, {"Key": "z", "Value": "third"},
             {"Key": "a", "Value": "fourth"}]
    created = iam.create_policy(PolicyName=name("tagged"), PolicyDocument=DOC, Tags=given)["Policy"]
    assert created["Tags"] == given
    listed = iam.list_policy_tags(PolicyArn=created["Arn"])["Tags"]
    assert [t["Key"] for t in listed] == ["a", "b", "z", "abc"]


# LOCALSTACK/iam/test_iam_account_password_policy.snapshot.json: set with no parameters,
# GetAccountPasswordPolicy leaves out HardExpiry, MaxPasswordAge and PasswordReusePrevention;
# set with all of them, it sends them all.
def test_password_policy_fields(fresh_server):
    iam = fresh_server.iam()
    iam.update_account_password_policy()
    assert iam.get_account_password_policy()["PasswordPolicy"] == {
        "AllowUsersToChangePassword": False, "ExpirePasswords": False, "MinimumPasswordLength": 6,
        "RequireLowercaseCharacters": False, "RequireNumbers": False, "RequireSymbols": False,
        "RequireUppercaseCharacters": False,
    }
    iam.update_account_password_policy(
        MinimumPasswordLength=10, RequireSymbols=True, RequireNumbers=True, RequireUppercaseCharacters=True,
        RequireLowercaseCharacters=True, AllowUsersToChangePassword=True, MaxPasswordAge=60,
        PasswordReusePrevention=3, HardExpiry=True,
    )
    assert iam.get_account_password_policy()["PasswordPolicy"] == {
        "AllowUsersToChangePassword": True, "ExpirePasswords": True, "HardExpiry": True, "MaxPasswordAge": 60,
        "MinimumPasswordLength": 10, "PasswordReusePrevention": 3, "RequireLowercaseCharacters": True,
        "RequireNumbers": True, "RequireSymbols": True, "RequireUppercaseCharacters": True,
    }


def test_account_summary_has_aws_keys_only(iam):
    assert set(iam.get_account_summary()["SummaryMap"]) == AWS_SUMMARY_KEYS


# LOCALSTACK/iam/test_iam_account_authorization_details.snapshot.json, "no-filter-result" and
# "role-filter-result": a user without inline policies has no UserPolicyList (groups and roles
# send empty lists); Tags are an empty list; a role's RoleLastUsed is empty; the role inside its
# instance profiles has CreateRole's fields only, and the instance profile no Tags.
def test_authorization_details_shapes(fresh_server):
    iam = fresh_server.iam()
    iam.create_user(UserName="plain")
    iam.create_group(GroupName="team")
    iam.create_role(RoleName="app", AssumeRolePolicyDocument=TRUST, Tags=[{"Key": "k", "Value": "v"}])
    iam.create_instance_profile(InstanceProfileName="app-profile")
    iam.add_role_to_instance_profile(InstanceProfileName="app-profile", RoleName="app")
    out = iam.get_account_authorization_details()
    (user,) = out["UserDetailList"]
    assert "UserPolicyList" not in user
    assert (user["Tags"], user["GroupList"], user["AttachedManagedPolicies"]) == ([], [], [])
    (group,) = out["GroupDetailList"]
    assert (group["GroupPolicyList"], group["AttachedManagedPolicies"]) == ([], [])
    (role,) = out["RoleDetailList"]
    assert role["RolePolicyList"] == [] and role["RoleLastUsed"] == {}
    assert role["Tags"] == [{"Key": "k", "Value": "v"}]
    (profile,) = role["InstanceProfileList"]
    assert "Tags" not in profile
    assert [set(x) for x in profile["Roles"]] == [ROLE_AS_CREATED]
    iam.put_user_policy(UserName="plain", PolicyName="inline", PolicyDocument=DOC)
    (user,) = iam.get_account_authorization_details(Filter=["User"])["UserDetailList"]
    assert [p["PolicyName"] for p in user["UserPolicyList"]] == ["inline"]


# LOCALSTACK/iam/test_iam_saml_providers.snapshot.json, "get-response": a provider created without
# AssertionEncryptionMode answers "Allowed", and an empty PrivateKeyList and Tags.
def test_saml_provider_encryption_mode_defaults_to_allowed(iam, name):
    from saml_idp import Idp

    arn = iam.create_saml_provider(Name=name("idp"), SAMLMetadataDocument=Idp().metadata())["SAMLProviderArn"]
    got = iam.get_saml_provider(SAMLProviderArn=arn)
    assert got["AssertionEncryptionMode"] == "Allowed"
    assert (got["PrivateKeyList"], got["Tags"]) == ([], [])


# LOCALSTACK/sts/test_sts.snapshot.json: "get-federation-token" (no session policy) sends
# PackedPolicySize 0; "assume-role" without a session policy sends none, "assume-role-with-policy"
# sends it.
def test_packed_policy_size(server, iam, name):
    fed = server.sts().get_federation_token(Name="shapes", DurationSeconds=900)
    assert fed["PackedPolicySize"] == 0
    user = name("caller")
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    trust = dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:user/{user}"}, "Action": "sts:AssumeRole"}]})
    role_arn = iam.create_role(RoleName=name("assumed"), AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    iam.put_user_policy(UserName=user, PolicyName="assume", PolicyDocument=dumps(policy_doc("sts:AssumeRole")))
    sts = server.sts(access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    plain = sts.assume_role(RoleArn=role_arn, RoleSessionName="plain")
    assert "PackedPolicySize" not in plain
    with_policy = sts.assume_role(RoleArn=role_arn, RoleSessionName="scoped", Policy=DOC)
    assert with_policy["PackedPolicySize"] > 0



# ListVirtualMFADevices (API reference): "this operation does not return tags, even though they are
# an attribute of the returned object". LOCALSTACK/iam/test_iam_mfa.snapshot.json, "list-unassigned":
# an unassigned device is its SerialNumber alone.
def test_list_virtual_mfa_devices_leaves_out_tags(iam, name):
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=name("mfa"), Tags=[{"Key": "k", "Value": "v"}])[
        "VirtualMFADevice"]["SerialNumber"]
    listed = [d for d in iam.list_virtual_mfa_devices()["VirtualMFADevices"] if d["SerialNumber"] == serial]
    assert listed == [{"SerialNumber": serial}]
    assert iam.list_mfa_device_tags(SerialNumber=serial)["Tags"] == [{"Key": "k", "Value": "v"}]


# ListUserTags and ListRoleTags (API reference): "The returned list of tags is sorted by tag key";
# LOCALSTACK/iam/test_iam_users.snapshot.json, "list-user-tags" agrees (Environment, Team).
def test_list_user_and_role_tags_sorted_by_key(iam, name):
    given = [{"Key": "zone", "Value": "1"}, {"Key": "Team", "Value": "2"}, {"Key": "app", "Value": "3"}]
    u, r = name("tagged"), name("tagged")
    assert iam.create_user(UserName=u, Tags=given)["User"]["Tags"] == given
    assert [t["Key"] for t in iam.list_user_tags(UserName=u)["Tags"]] == ["Team", "app", "zone"]
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST, Tags=given)
    assert [t["Key"] for t in iam.list_role_tags(RoleName=r)["Tags"]] == ["Team", "app", "zone"]
