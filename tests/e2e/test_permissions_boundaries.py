"""Permissions boundaries on users and roles.

https://docs.aws.amazon.com/IAM/latest/APIReference/API_PutUserPermissionsBoundary.html
https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteUserPermissionsBoundary.html
https://docs.aws.amazon.com/IAM/latest/APIReference/API_PutRolePermissionsBoundary.html
https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteRolePermissionsBoundary.html
https://docs.aws.amazon.com/IAM/latest/APIReference/API_AttachedPermissionsBoundary.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
"""

import pytest
from botocore.exceptions import ClientError

from castellan_e2e import ACCOUNT_ID, EC2_TRUST_POLICY, assert_error, dumps, policy_doc

TRUST = dumps(EC2_TRUST_POLICY)
AWS_BOUNDARY = "arn:aws:iam::aws:policy/PowerUserAccess"


def test_user_permissions_boundary(iam, name):
    u = name("bounded")
    iam.create_user(UserName=u)
    assert "PermissionsBoundary" not in iam.get_user(UserName=u)["User"]
    iam.put_user_permissions_boundary(UserName=u, PermissionsBoundary=AWS_BOUNDARY)
    pb = iam.get_user(UserName=u)["User"]["PermissionsBoundary"]
    # AWS sends "Policy", not the model's enum value "PermissionsBoundaryPolicy" (recorded from
    # AWS: localstack tests/aws/services/iam/test_iam_roles.snapshot.json, "get-role-with-boundary").
    assert pb == {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": AWS_BOUNDARY}
    # A boundary is not an attached permissions policy.
    assert iam.list_attached_user_policies(UserName=u)["AttachedPolicies"] == []
    iam.delete_user_permissions_boundary(UserName=u)
    assert "PermissionsBoundary" not in iam.get_user(UserName=u)["User"]


def test_role_permissions_boundary(iam, name):
    r = name("bounded")
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST)
    iam.put_role_permissions_boundary(RoleName=r, PermissionsBoundary=AWS_BOUNDARY)
    pb = iam.get_role(RoleName=r)["Role"]["PermissionsBoundary"]
    # AWS sends "Policy", not the model's enum value "PermissionsBoundaryPolicy" (recorded from
    # AWS: localstack tests/aws/services/iam/test_iam_roles.snapshot.json, "get-role-with-boundary").
    assert pb == {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": AWS_BOUNDARY}
    assert iam.list_attached_role_policies(RoleName=r)["AttachedPolicies"] == []
    iam.delete_role_permissions_boundary(RoleName=r)
    assert "PermissionsBoundary" not in iam.get_role(RoleName=r)["Role"]


# CreateUser / CreateRole take PermissionsBoundary directly.
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateUser.html
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html
def test_boundary_at_creation(iam, name):
    arn = iam.create_policy(PolicyName=name("bound"), PolicyDocument=dumps(policy_doc("s3:*")))["Policy"]["Arn"]
    u, r = name("u"), name("r")
    iam.create_user(UserName=u, PermissionsBoundary=arn)
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST, PermissionsBoundary=arn)
    assert iam.get_user(UserName=u)["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == arn
    assert iam.get_role(RoleName=r)["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == arn

    # https://docs.aws.amazon.com/IAM/latest/APIReference/API_Policy.html
    # PermissionsBoundaryUsageCount: "The number of entities (users and roles) for which the
    # policy is used to set the permissions boundary."
    got = iam.get_policy(PolicyArn=arn)["Policy"]
    assert got["PermissionsBoundaryUsageCount"] == 2
    assert got["AttachmentCount"] == 0

    # https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListEntitiesForPolicy.html
    # PolicyUsageFilter=PermissionsBoundary lists the entities using it as a boundary.
    ents = iam.list_entities_for_policy(PolicyArn=arn, PolicyUsageFilter="PermissionsBoundary")
    assert [x["UserName"] for x in ents["PolicyUsers"]] == [u]
    assert [x["RoleName"] for x in ents["PolicyRoles"]] == [r]
    perm = iam.list_entities_for_policy(PolicyArn=arn, PolicyUsageFilter="PermissionsPolicy")
    assert perm["PolicyUsers"] == [] and perm["PolicyRoles"] == []

    # A policy in use as a boundary cannot be deleted (gruntwork-io/cloud-nuke#972).
    with pytest.raises(ClientError) as e:
        iam.delete_policy(PolicyArn=arn)
    assert_error(e, "DeleteConflict", 409, "Cannot delete a policy attached to entities.")

    iam.delete_user_permissions_boundary(UserName=u)
    iam.delete_role_permissions_boundary(RoleName=r)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["PermissionsBoundaryUsageCount"] == 0
    iam.delete_policy(PolicyArn=arn)


def test_replace_boundary(iam, name):
    u = name("u")
    iam.create_user(UserName=u, PermissionsBoundary=AWS_BOUNDARY)
    other = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    iam.put_user_permissions_boundary(UserName=u, PermissionsBoundary=other)
    assert iam.get_user(UserName=u)["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == other


def test_boundary_errors(iam, name):
    u = name("u")
    iam.create_user(UserName=u)
    missing = f"arn:aws:iam::{ACCOUNT_ID}:policy/{name('nope')}"
    with pytest.raises(ClientError) as e:
        iam.put_user_permissions_boundary(UserName=u, PermissionsBoundary=missing)
    # AWS: "Policy arn:aws:iam::123456789012:policy/nope does not exist or is not attachable."
    assert_error(e, "NoSuchEntity", 404)
    bad = "definitely-not-an-arn-value"
    with pytest.raises(ClientError) as e:
        iam.put_user_permissions_boundary(UserName=u, PermissionsBoundary=bad)
    # The same ARN check as Attach*Policy: ValidationError (LocalStack's
    # tests/aws/services/iam/test_iam_roles.snapshot.json, "non-existent-malformed-policy-arn";
    # not recorded for the boundary operations themselves).
    assert_error(e, "ValidationError", 400, f"ARN {bad} is not valid.")
    ghost = name("ghost")
    with pytest.raises(ClientError) as e:
        iam.put_role_permissions_boundary(RoleName=ghost, PermissionsBoundary=AWS_BOUNDARY)
    assert_error(e, "NoSuchEntity", 404, f"The role with name {ghost} cannot be found.")
    assert "PermissionsBoundary" not in iam.get_user(UserName=u)["User"]
