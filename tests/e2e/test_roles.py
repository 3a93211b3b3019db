"""IAM roles: Create (trust policy required and validated), Get, List, UpdateRole,
UpdateRoleDescription, UpdateAssumeRolePolicy, Delete, tags."""

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


def lambda_trust() -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_Role.html
def test_create_and_get_role(iam, name):
    r = name("app")
    role = iam.create_role(
        RoleName=r,
        Path="/service/",
        AssumeRolePolicyDocument=TRUST,
        Description="runs the app",
        MaxSessionDuration=7200,
    )["Role"]
    assert role["RoleName"] == r
    assert role["Path"] == "/service/"
    assert role["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:role/service/{r}"
    assert IAM_ID_RE["role"].match(role["RoleId"]), role["RoleId"]
    assert as_doc(role["AssumeRolePolicyDocument"]) == EC2_TRUST_POLICY
    assert_recent(role["CreateDate"])

    got = iam.get_role(RoleName=r)["Role"]
    assert got["RoleId"] == role["RoleId"]
    assert got["Arn"] == role["Arn"]
    assert got["Description"] == "runs the app"
    assert got["MaxSessionDuration"] == 7200
    assert as_doc(got["AssumeRolePolicyDocument"]) == EC2_TRUST_POLICY


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html
# MaxSessionDuration: "If you do not specify a value for this setting, the default value of one
# hour is applied."
def test_role_defaults(iam, name):
    r = name("defaults")
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST)
    got = iam.get_role(RoleName=r)["Role"]
    assert got["Path"] == "/"
    assert got["MaxSessionDuration"] == 3600
    assert "PermissionsBoundary" not in got


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html
# AssumeRolePolicyDocument is required.
def test_create_role_requires_trust_policy(iam_nv, name):
    r = name("notrust")
    with pytest.raises(ClientError) as e:
        iam_nv.create_role(RoleName=r)
    # AWS: "1 validation error detected: Value null at 'assumeRolePolicyDocument' failed to
    # satisfy constraint: Member must not be null"
    assert_error(e, "ValidationError", 400, contains="assumeRolePolicyDocument")


# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
# "You cannot use the Resource element in a role trust policy" -- AWS: "Has prohibited field
# Resource" (MalformedPolicyDocument, 400).
def test_trust_policy_with_resource_is_rejected(iam, name):
    doc = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Resource": "*",
            }
        ],
    }
    r = name("badtrust")
    with pytest.raises(ClientError) as e:
        iam.create_role(RoleName=r, AssumeRolePolicyDocument=dumps(doc))
    assert_error(e, "MalformedPolicyDocument", 400, startswith="Has prohibited field Resource")
    with pytest.raises(ClientError) as e:
        iam.get_role(RoleName=r)
    assert_error(e, "NoSuchEntity", 404)


# A trust policy is a resource-based policy: it must name a Principal.
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
def test_trust_policy_without_principal_is_rejected(iam, name):
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]}
    with pytest.raises(ClientError) as e:
        iam.create_role(RoleName=name("noprincipal"), AssumeRolePolicyDocument=dumps(doc))
    # AWS answers "Invalid principal in policy: ... The passed in policy has a statement with no
    # principals!" (wording not pinned here).
    assert_error(e, "MalformedPolicyDocument", 400)


def test_trust_policy_not_json_is_rejected(iam, name):
    with pytest.raises(ClientError) as e:
        iam.create_role(RoleName=name("notjson"), AssumeRolePolicyDocument="{not json")
    # AWS: "This policy contains invalid Json" for trust policies (not pinned).
    assert_error(e, "MalformedPolicyDocument", 400)


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListRoles.html
# "This operation does not return the following attributes, even though they are an attribute
# of the returned object: PermissionsBoundary, RoleLastUsed, Tags"
def test_list_roles(iam, name):
    prefix = f"/{name('lr')}/"
    a, b = name("lr-a"), name("lr-b")
    iam.create_role(
        RoleName=a,
        AssumeRolePolicyDocument=TRUST,
        Path=prefix,
        Tags=[{"Key": "k", "Value": "v"}],
        PermissionsBoundary="arn:aws:iam::aws:policy/ReadOnlyAccess",
    )
    iam.create_role(RoleName=b, AssumeRolePolicyDocument=TRUST)
    only = iam.list_roles(PathPrefix=prefix)
    assert [x["RoleName"] for x in only["Roles"]] == [a]
    assert as_doc(only["Roles"][0]["AssumeRolePolicyDocument"]) == EC2_TRUST_POLICY
    for attr in ("Tags", "PermissionsBoundary", "RoleLastUsed"):
        assert attr not in only["Roles"][0], attr
    everything = iam.get_paginator("list_roles").paginate().build_full_result()["Roles"]
    assert {a, b} <= {x["RoleName"] for x in everything}


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateRole.html
def test_update_role(iam, name):
    r = name("upd")
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST)
    iam.update_role(RoleName=r, Description="new description", MaxSessionDuration=43200)
    got = iam.get_role(RoleName=r)["Role"]
    assert got["Description"] == "new description"
    assert got["MaxSessionDuration"] == 43200
    iam.update_role(RoleName=r, MaxSessionDuration=3600)
    assert iam.get_role(RoleName=r)["Role"]["MaxSessionDuration"] == 3600


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateRole.html
# MaxSessionDuration: "Valid Range: Minimum value of 3600. Maximum value of 43200."
@pytest.mark.parametrize(
    "value, bound",
    [(43201, "less than or equal to 43200"), (3599, "greater than or equal to 3600")],
)
def test_update_role_max_session_duration_range(iam_nv, name, value, bound):
    r = name("range")
    iam_nv.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST)
    with pytest.raises(ClientError) as e:
        iam_nv.update_role(RoleName=r, MaxSessionDuration=value)
    # AWS: "1 validation error detected: Value at 'maxSessionDuration' failed to satisfy
    # constraint: Member must have value less than or equal to 43200"
    assert_error(e, "ValidationError", 400, startswith="1 validation error detected", contains=["maxSessionDuration", bound])
    assert iam_nv.get_role(RoleName=r)["Role"]["MaxSessionDuration"] == 3600


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html (MaxSessionDuration range)
def test_create_role_max_session_duration_range(iam_nv, name):
    r = name("range")
    with pytest.raises(ClientError) as e:
        iam_nv.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST, MaxSessionDuration=50000)
    assert_error(e, "ValidationError", 400, contains=["maxSessionDuration", "less than or equal to 43200"])


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateRoleDescription.html
def test_update_role_description(iam, name):
    r = name("desc")
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST)
    role = iam.update_role_description(RoleName=r, Description="described")["Role"]
    assert role["RoleName"] == r
    assert role["Description"] == "described"
    assert iam.get_role(RoleName=r)["Role"]["Description"] == "described"


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateAssumeRolePolicy.html
def test_update_assume_role_policy(iam, name):
    r = name("trust")
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST)
    iam.update_assume_role_policy(RoleName=r, PolicyDocument=dumps(lambda_trust()))
    assert as_doc(iam.get_role(RoleName=r)["Role"]["AssumeRolePolicyDocument"]) == lambda_trust()

    # Validated as a trust policy, like on CreateRole; the old document stays.
    with pytest.raises(ClientError) as e:
        iam.update_assume_role_policy(RoleName=r, PolicyDocument=dumps(policy_doc("s3:GetObject")))
    assert_error(e, "MalformedPolicyDocument", 400)
    assert as_doc(iam.get_role(RoleName=r)["Role"]["AssumeRolePolicyDocument"]) == lambda_trust()


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateAssumeRolePolicy.html (NoSuchEntity)
def test_update_assume_role_policy_missing_role(iam, name):
    r = name("ghost")
    with pytest.raises(ClientError) as e:
        iam.update_assume_role_policy(RoleName=r, PolicyDocument=TRUST)
    assert_error(e, "NoSuchEntity", 404, f"The role with name {r} cannot be found.")


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetRole.html (NoSuchEntity)
def test_missing_role(iam, name):
    r = name("norole")
    with pytest.raises(ClientError) as e:
        iam.get_role(RoleName=r)
    assert_error(e, "NoSuchEntity", 404, f"The role with name {r} cannot be found.")
    with pytest.raises(ClientError) as e:
        iam.update_role(RoleName=r, Description="x")
    assert_error(e, "NoSuchEntity", 404, f"The role with name {r} cannot be found.")


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html (EntityAlreadyExists)
def test_duplicate_role(iam, name):
    r = name("DupRole")
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST)
    with pytest.raises(ClientError) as e:
        iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST)
    assert_error(e, "EntityAlreadyExists", 409, f"Role with name {r} already exists.")
    with pytest.raises(ClientError) as e:
        iam.create_role(RoleName=r.lower(), AssumeRolePolicyDocument=TRUST)
    assert_error(e, "EntityAlreadyExists", 409, contains="already exists")


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteRole.html
# "Make sure that you do not have any Amazon EC2 instances running with the role you are about
# to delete" / you must first remove the role from instance profiles, detach managed policies
# and delete inline policies.
class TestDeleteRole:
    def test_delete(self, iam, name):
        r = name("bye")
        iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST)
        iam.delete_role(RoleName=r)
        with pytest.raises(ClientError) as e:
            iam.get_role(RoleName=r)
        assert_error(e, "NoSuchEntity", 404, f"The role with name {r} cannot be found.")
        with pytest.raises(ClientError) as e:
            iam.delete_role(RoleName=r)
        assert_error(e, "NoSuchEntity", 404, f"The role with name {r} cannot be found.")

    def test_attached_policy(self, iam, name):
        r = name("att")
        arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
        iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST)
        iam.attach_role_policy(RoleName=r, PolicyArn=arn)
        with pytest.raises(ClientError) as e:
            iam.delete_role(RoleName=r)
        assert_error(e, "DeleteConflict", 409, "Cannot delete entity, must detach all policies first.")
        iam.detach_role_policy(RoleName=r, PolicyArn=arn)
        iam.delete_role(RoleName=r)

    def test_inline_policy(self, iam, name):
        r = name("inl")
        iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST)
        iam.put_role_policy(RoleName=r, PolicyName="p", PolicyDocument=dumps(policy_doc()))
        with pytest.raises(ClientError) as e:
            iam.delete_role(RoleName=r)
        assert_error(e, "DeleteConflict", 409, "Cannot delete entity, must delete policies first.")
        iam.delete_role_policy(RoleName=r, PolicyName="p")
        iam.delete_role(RoleName=r)

    def test_in_instance_profile(self, iam, name):
        r, ip = name("inprof"), name("prof")
        iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST)
        iam.create_instance_profile(InstanceProfileName=ip)
        iam.add_role_to_instance_profile(InstanceProfileName=ip, RoleName=r)
        with pytest.raises(ClientError) as e:
            iam.delete_role(RoleName=r)
        assert_error(e, "DeleteConflict", 409, "Cannot delete entity, must remove roles from instance profile first.")
        iam.remove_role_from_instance_profile(InstanceProfileName=ip, RoleName=r)
        iam.delete_role(RoleName=r)


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_TagRole.html
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_UntagRole.html
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListRoleTags.html
def test_role_tags(iam, name):
    r = name("tagged")
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST, Tags=[{"Key": "env", "Value": "dev"}])
    assert iam.list_role_tags(RoleName=r)["Tags"] == [{"Key": "env", "Value": "dev"}]
    iam.tag_role(RoleName=r, Tags=[{"Key": "env", "Value": "prod"}, {"Key": "owner", "Value": "ops"}])
    tags = {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=r)["Tags"]}
    assert tags == {"env": "prod", "owner": "ops"}
    assert {t["Key"]: t["Value"] for t in iam.get_role(RoleName=r)["Role"]["Tags"]} == tags
    iam.untag_role(RoleName=r, TagKeys=["env"])
    resp = iam.list_role_tags(RoleName=r)
    assert resp["Tags"] == [{"Key": "owner", "Value": "ops"}]
    assert resp["IsTruncated"] is False


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_TagRole.html (NoSuchEntity)
def test_tag_missing_role(iam, name):
    r = name("ghost")
    with pytest.raises(ClientError) as e:
        iam.tag_role(RoleName=r, Tags=[{"Key": "k", "Value": "v"}])
    assert_error(e, "NoSuchEntity", 404, f"The role with name {r} cannot be found.")


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html (RoleName pattern)
# Real AWS text (quoted in aws/aws-cli#2631 for AttachRolePolicy).
def test_invalid_role_name(iam):
    with pytest.raises(ClientError) as e:
        iam.create_role(RoleName="arn:aws:iam::123456789012:role/x", AssumeRolePolicyDocument=TRUST)
    assert_error(
        e,
        "ValidationError",
        400,
        "The specified value for roleName is invalid. "
        "It must contain only alphanumeric characters and/or the following: +=,.@_-",
    )
