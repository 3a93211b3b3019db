"""Instance profiles: Create/Get/List/Delete, Add/RemoveRoleFromInstanceProfile (one role max),
ListInstanceProfilesForRole, tags."""

import pytest
from botocore.exceptions import ClientError

from castellan_e2e import ACCOUNT_ID, EC2_TRUST_POLICY, IAM_ID_RE, as_doc, assert_error, assert_recent, dumps

TRUST = dumps(EC2_TRUST_POLICY)


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateInstanceProfile.html
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_InstanceProfile.html
def test_create_and_get_instance_profile(iam, name):
    ip = name("prof")
    prof = iam.create_instance_profile(InstanceProfileName=ip, Path="/web/")["InstanceProfile"]
    assert prof["InstanceProfileName"] == ip
    assert prof["Path"] == "/web/"
    assert prof["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:instance-profile/web/{ip}"
    assert IAM_ID_RE["instance-profile"].match(prof["InstanceProfileId"]), prof["InstanceProfileId"]
    assert prof["Roles"] == []
    assert_recent(prof["CreateDate"])

    got = iam.get_instance_profile(InstanceProfileName=ip)["InstanceProfile"]
    assert got["InstanceProfileId"] == prof["InstanceProfileId"]
    assert got["Arn"] == prof["Arn"]
    assert got["Roles"] == []


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_AddRoleToInstanceProfile.html
# "The caller of this operation must be granted the PassRole permission ... Amazon EC2 uses
# only one role per instance profile" -- quota InstanceRolesPerInstanceProfile 1.
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_RemoveRoleFromInstanceProfile.html
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListInstanceProfilesForRole.html
def test_roles_in_instance_profile(iam, name):
    ip, ip2, r1, r2 = name("prof"), name("prof2"), name("r1"), name("r2")
    iam.create_instance_profile(InstanceProfileName=ip)
    iam.create_instance_profile(InstanceProfileName=ip2)
    role1 = iam.create_role(RoleName=r1, AssumeRolePolicyDocument=TRUST)["Role"]
    iam.create_role(RoleName=r2, AssumeRolePolicyDocument=TRUST)

    iam.add_role_to_instance_profile(InstanceProfileName=ip, RoleName=r1)
    roles = iam.get_instance_profile(InstanceProfileName=ip)["InstanceProfile"]["Roles"]
    assert [r["RoleName"] for r in roles] == [r1]
    assert roles[0]["RoleId"] == role1["RoleId"]
    assert roles[0]["Arn"] == role1["Arn"]
    assert as_doc(roles[0]["AssumeRolePolicyDocument"]) == EC2_TRUST_POLICY

    # A second role does not fit (real AWS text: getmoto/moto#6404).
    with pytest.raises(ClientError) as e:
        iam.add_role_to_instance_profile(InstanceProfileName=ip, RoleName=r2)
    assert_error(e, "LimitExceeded", 409, "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1")
    # The same role again is also refused: the profile is full.
    with pytest.raises(ClientError) as e:
        iam.add_role_to_instance_profile(InstanceProfileName=ip, RoleName=r1)
    assert_error(e, "LimitExceeded", 409, "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1")

    # One role may be in several profiles.
    iam.add_role_to_instance_profile(InstanceProfileName=ip2, RoleName=r1)
    for_role = iam.list_instance_profiles_for_role(RoleName=r1)
    assert sorted(p["InstanceProfileName"] for p in for_role["InstanceProfiles"]) == sorted([ip, ip2])
    assert for_role["IsTruncated"] is False
    assert iam.list_instance_profiles_for_role(RoleName=r2)["InstanceProfiles"] == []

    iam.remove_role_from_instance_profile(InstanceProfileName=ip, RoleName=r1)
    assert iam.get_instance_profile(InstanceProfileName=ip)["InstanceProfile"]["Roles"] == []
    iam.add_role_to_instance_profile(InstanceProfileName=ip, RoleName=r2)
    assert [r["RoleName"] for r in iam.get_instance_profile(InstanceProfileName=ip)["InstanceProfile"]["Roles"]] == [r2]

    # Removing a role that is not in the profile.
    with pytest.raises(ClientError) as e:
        iam.remove_role_from_instance_profile(InstanceProfileName=ip, RoleName=r1)
    assert_error(e, "NoSuchEntity", 404)


def test_add_missing_role(iam, name):
    ip, r = name("prof"), name("ghost")
    iam.create_instance_profile(InstanceProfileName=ip)
    with pytest.raises(ClientError) as e:
        iam.add_role_to_instance_profile(InstanceProfileName=ip, RoleName=r)
    assert_error(e, "NoSuchEntity", 404, f"The role with name {r} cannot be found.")


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListInstanceProfiles.html
def test_list_instance_profiles(iam, name):
    prefix = f"/{name('lip')}/"
    a, b = name("lip-a"), name("lip-b")
    iam.create_instance_profile(InstanceProfileName=a, Path=prefix, Tags=[{"Key": "k", "Value": "v"}])
    iam.create_instance_profile(InstanceProfileName=b)
    listed = iam.list_instance_profiles(PathPrefix=prefix)["InstanceProfiles"]
    assert [p["InstanceProfileName"] for p in listed] == [a]
    # https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListInstanceProfiles.html
    # "For example, this operation does not return tags, even though they are an attribute of
    # the returned object."
    assert "Tags" not in listed[0]
    everything = iam.get_paginator("list_instance_profiles").paginate().build_full_result()["InstanceProfiles"]
    assert {a, b} <= {p["InstanceProfileName"] for p in everything}


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteInstanceProfile.html
# "Make sure that you do not have any Amazon EC2 instances running with the instance profile"
# -- a profile that still has a role cannot be deleted.
def test_delete_instance_profile(iam, name):
    ip, r = name("prof"), name("r")
    iam.create_instance_profile(InstanceProfileName=ip)
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST)
    iam.add_role_to_instance_profile(InstanceProfileName=ip, RoleName=r)
    with pytest.raises(ClientError) as e:
        iam.delete_instance_profile(InstanceProfileName=ip)
    assert_error(e, "DeleteConflict", 409, "Cannot delete entity, must remove roles from instance profile first.")
    iam.remove_role_from_instance_profile(InstanceProfileName=ip, RoleName=r)
    iam.delete_instance_profile(InstanceProfileName=ip)
    with pytest.raises(ClientError) as e:
        iam.get_instance_profile(InstanceProfileName=ip)
    # Real AWS text (DataBiosphere/toil#4836, skyplane-project/skyplane#724).
    assert_error(e, "NoSuchEntity", 404, f"Instance Profile {ip} cannot be found.")
    with pytest.raises(ClientError) as e:
        iam.delete_instance_profile(InstanceProfileName=ip)
    assert_error(e, "NoSuchEntity", 404, f"Instance Profile {ip} cannot be found.")
    # The role survives.
    assert iam.get_role(RoleName=r)["Role"]["RoleName"] == r


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateInstanceProfile.html (EntityAlreadyExists)
# Real AWS text (zalando-stups/planb-cassandra#153, hashicorp/terraform-provider-aws#8041).
def test_duplicate_instance_profile(iam, name):
    ip = name("DupProf")
    iam.create_instance_profile(InstanceProfileName=ip)
    with pytest.raises(ClientError) as e:
        iam.create_instance_profile(InstanceProfileName=ip)
    assert_error(e, "EntityAlreadyExists", 409, f"Instance Profile {ip} already exists.")
    with pytest.raises(ClientError) as e:
        iam.create_instance_profile(InstanceProfileName=ip.lower())
    assert_error(e, "EntityAlreadyExists", 409, contains="already exists")


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_TagInstanceProfile.html
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_UntagInstanceProfile.html
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListInstanceProfileTags.html
def test_instance_profile_tags(iam, name):
    ip = name("tagged")
    iam.create_instance_profile(InstanceProfileName=ip, Tags=[{"Key": "tier", "Value": "web"}])
    assert iam.list_instance_profile_tags(InstanceProfileName=ip)["Tags"] == [{"Key": "tier", "Value": "web"}]
    iam.tag_instance_profile(InstanceProfileName=ip, Tags=[{"Key": "tier", "Value": "db"}, {"Key": "x", "Value": "y"}])
    tags = {t["Key"]: t["Value"] for t in iam.list_instance_profile_tags(InstanceProfileName=ip)["Tags"]}
    assert tags == {"tier": "db", "x": "y"}
    assert {t["Key"]: t["Value"] for t in iam.get_instance_profile(InstanceProfileName=ip)["InstanceProfile"]["Tags"]} == tags
    iam.untag_instance_profile(InstanceProfileName=ip, TagKeys=["tier"])
    resp = iam.list_instance_profile_tags(InstanceProfileName=ip)
    assert resp["Tags"] == [{"Key": "x", "Value": "y"}]
    assert resp["IsTruncated"] is False
    ghost = name("ghost")
    with pytest.raises(ClientError) as e:
        iam.tag_instance_profile(InstanceProfileName=ghost, Tags=[{"Key": "k", "Value": "v"}])
    assert_error(e, "NoSuchEntity", 404, f"Instance Profile {ghost} cannot be found.")
