"""NoSuchEntity (404) from every operation that names a missing user, group, role, instance
profile or policy, with AWS's text.

https://docs.aws.amazon.com/IAM/latest/APIReference/CommonErrors.html
Each operation's API reference lists NoSuchEntity: "The request was rejected because it
referenced a resource entity that does not exist. The error message describes the resource."
Texts: "The user with name X cannot be found." / "The group with name X cannot be found." /
"The role with name X cannot be found." (real AWS output, e.g. prowler-cloud/prowler#2872,
aws/aws-cli#6139) / "Instance Profile X cannot be found." / "Policy ARN was not found.".
"""

import pytest
from botocore.exceptions import ClientError

from castellan_e2e import ACCOUNT_ID, assert_error

GHOST = "ghost-entity-that-does-not-exist"
POLICY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
MISSING_POLICY = f"arn:aws:iam::{ACCOUNT_ID}:policy/{GHOST}"

USER_MSG = f"The user with name {GHOST} cannot be found."
GROUP_MSG = f"The group with name {GHOST} cannot be found."
ROLE_MSG = f"The role with name {GHOST} cannot be found."
PROFILE_MSG = f"Instance Profile {GHOST} cannot be found."
POLICY_MSG = f"Policy {MISSING_POLICY} was not found."

CASES = [
    ("get_user", {"UserName": GHOST}, USER_MSG),
    ("list_attached_user_policies", {"UserName": GHOST}, USER_MSG),
    ("list_user_policies", {"UserName": GHOST}, USER_MSG),
    ("list_user_tags", {"UserName": GHOST}, USER_MSG),
    ("untag_user", {"UserName": GHOST, "TagKeys": ["k"]}, USER_MSG),
    ("detach_user_policy", {"UserName": GHOST, "PolicyArn": POLICY}, USER_MSG),
    ("get_user_policy", {"UserName": GHOST, "PolicyName": "p"}, USER_MSG),
    ("put_user_permissions_boundary", {"UserName": GHOST, "PermissionsBoundary": POLICY}, USER_MSG),
    ("delete_user_permissions_boundary", {"UserName": GHOST}, USER_MSG),
    ("list_access_keys", {"UserName": GHOST}, USER_MSG),
    ("list_groups_for_user", {"UserName": GHOST}, USER_MSG),
    ("get_group", {"GroupName": GHOST}, GROUP_MSG),
    ("update_group", {"GroupName": GHOST, "NewPath": "/x/"}, GROUP_MSG),
    ("list_attached_group_policies", {"GroupName": GHOST}, GROUP_MSG),
    ("list_group_policies", {"GroupName": GHOST}, GROUP_MSG),
    ("detach_group_policy", {"GroupName": GHOST, "PolicyArn": POLICY}, GROUP_MSG),
    ("get_role", {"RoleName": GHOST}, ROLE_MSG),
    ("delete_role", {"RoleName": GHOST}, ROLE_MSG),
    ("update_role_description", {"RoleName": GHOST, "Description": "d"}, ROLE_MSG),
    ("list_attached_role_policies", {"RoleName": GHOST}, ROLE_MSG),
    ("list_role_policies", {"RoleName": GHOST}, ROLE_MSG),
    ("list_role_tags", {"RoleName": GHOST}, ROLE_MSG),
    ("untag_role", {"RoleName": GHOST, "TagKeys": ["k"]}, ROLE_MSG),
    ("detach_role_policy", {"RoleName": GHOST, "PolicyArn": POLICY}, ROLE_MSG),
    ("get_role_policy", {"RoleName": GHOST, "PolicyName": "p"}, ROLE_MSG),
    ("list_instance_profiles_for_role", {"RoleName": GHOST}, ROLE_MSG),
    ("put_role_permissions_boundary", {"RoleName": GHOST, "PermissionsBoundary": POLICY}, ROLE_MSG),
    ("delete_role_permissions_boundary", {"RoleName": GHOST}, ROLE_MSG),
    ("get_instance_profile", {"InstanceProfileName": GHOST}, PROFILE_MSG),
    ("delete_instance_profile", {"InstanceProfileName": GHOST}, PROFILE_MSG),
    ("list_instance_profile_tags", {"InstanceProfileName": GHOST}, PROFILE_MSG),
    ("get_policy", {"PolicyArn": MISSING_POLICY}, POLICY_MSG),
    # Texts not pinned for these (code and status only):
    ("list_policy_versions", {"PolicyArn": MISSING_POLICY}, None),
    ("list_entities_for_policy", {"PolicyArn": MISSING_POLICY}, None),
    ("list_policy_tags", {"PolicyArn": MISSING_POLICY}, None),
    ("get_policy_version", {"PolicyArn": MISSING_POLICY, "VersionId": "v1"}, None),
    ("delete_policy_version", {"PolicyArn": MISSING_POLICY, "VersionId": "v2"}, None),
    ("create_policy_version", {"PolicyArn": MISSING_POLICY, "PolicyDocument": '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}'}, None),
]


@pytest.mark.parametrize("op, kwargs, message", CASES, ids=[c[0] for c in CASES])
def test_missing_entity(iam, op, kwargs, message):
    with pytest.raises(ClientError) as e:
        getattr(iam, op)(**kwargs)
    assert_error(e, "NoSuchEntity", 404, message)
