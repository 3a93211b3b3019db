"""The attacks of the security review ("Security hardening"), end to end with boto3: each test
is named after the attack and fails on a server that tracks principals by name.

AWS documentation these tests follow:
  * IAM User Guide, "IAM identifiers: Unique identifiers" and "AWS JSON policy elements:
    Principal": a user or role named in a trust policy is stored as its unique id; after it is
    deleted the policy shows the id, and a new entity of the same name does not match.
  * IAM API Reference, UpdateUser / UpdateGroup: "the requester must have appropriate
    permissions on both the source object and the target object".
  * STS API Reference, GetFederationToken: "You cannot call any IAM operations using the AWS
    CLI or the AWS API. You cannot call any STS operations except GetCallerIdentity."
  * IAM API Reference, AddRoleToInstanceProfile: "The caller of this operation must be granted
    the PassRole permission on the IAM role by a permissions policy."
"""

from __future__ import annotations

import json
import urllib.parse

import pytest
from botocore.exceptions import ClientError

from castellan_e2e import ACCOUNT_ID, assert_error, dumps, unique


def doc(*statements: dict) -> str:
    return dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*") -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def trust(principal: str) -> str:
    return doc({"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"})


def user_with_key(server, iam, name: str, policy: str | None = None):
    iam.create_user(UserName=name)
    if policy:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=policy)
    k = iam.create_access_key(UserName=name)["AccessKey"]
    return k, server.client("sts", access_key=k["AccessKeyId"], secret_key=k["SecretAccessKey"]), server.iam(
        access_key=k["AccessKeyId"], secret_key=k["SecretAccessKey"]
    )


def delete_user(iam, name: str) -> None:
    for k in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]:
        iam.delete_access_key(UserName=name, AccessKeyId=k["AccessKeyId"])
    for p in iam.list_user_policies(UserName=name)["PolicyNames"]:
        iam.delete_user_policy(UserName=name, PolicyName=p)
    iam.delete_user(UserName=name)


def trust_document(iam, role: str) -> dict:
    text = iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
    return text if isinstance(text, dict) else json.loads(urllib.parse.unquote(text))


def test_recreated_user_cannot_assume_the_role_that_trusted_the_deleted_one(server, iam):
    zed, role = unique("zed"), unique("role")
    key, sts, _ = user_with_key(server, iam, zed)
    zed_id = iam.get_user(UserName=zed)["User"]["UserId"]
    arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust(f"arn:aws:iam::{ACCOUNT_ID}:user/{zed}"))["Role"]["Arn"]
    sts.assume_role(RoleArn=arn, RoleSessionName="first")
    delete_user(iam, zed)
    # The policy now shows the deleted user's unique id, as IAM shows it.
    assert trust_document(iam, role)["Statement"][0]["Principal"]["AWS"] == zed_id
    _, new_sts, _ = user_with_key(server, iam, zed)
    with pytest.raises(ClientError) as e:
        new_sts.assume_role(RoleArn=arn, RoleSessionName="second")
    assert_error(e, "AccessDenied", 403)


def test_trust_policy_naming_a_user_that_does_not_exist_is_refused(iam):
    missing = f"arn:aws:iam::{ACCOUNT_ID}:user/{unique('nobody')}"
    with pytest.raises(ClientError) as e:
        iam.create_role(RoleName=unique("role"), AssumeRolePolicyDocument=trust(missing))
    assert_error(e, "MalformedPolicyDocument", 400, f'Invalid principal in policy: "AWS":"{missing}"')


def test_self_rename_into_a_trusted_name_is_denied(server, iam):
    eve, admin, role = unique("eve"), unique("admin"), unique("admins")
    _, _, eve_iam = user_with_key(server, iam, eve, doc(allow("iam:UpdateUser", f"arn:aws:iam::{ACCOUNT_ID}:user/{eve}")))
    iam.create_user(UserName=admin)
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust(f"arn:aws:iam::{ACCOUNT_ID}:user/{admin}"))
    iam.delete_user(UserName=admin)
    with pytest.raises(ClientError) as e:
        eve_iam.update_user(UserName=eve, NewUserName=admin)
    assert_error(e, "AccessDenied", 403, contains=f"on resource: arn:aws:iam::{ACCOUNT_ID}:user/{admin}")
    assert iam.get_user(UserName=eve)["User"]["UserName"] == eve


def test_federation_token_cannot_call_iam_or_other_sts_operations(server, iam):
    name = unique("fedmaker")
    _, sts, _ = user_with_key(server, iam, name, doc(allow("*")))
    c = sts.get_federation_token(Name="fed-user", Policy=doc(allow("*")))["Credentials"]
    creds = dict(access_key=c["AccessKeyId"], secret_key=c["SecretAccessKey"], session_token=c["SessionToken"])
    with pytest.raises(ClientError) as e:
        server.iam(**creds).create_user(UserName=unique("made-by-fed"))
    # AWS answers IAM calls with such credentials as for an unknown token.
    assert_error(e, "InvalidClientTokenId", 403)
    role = iam.create_role(RoleName=unique("role"), AssumeRolePolicyDocument=trust(f"arn:aws:iam::{ACCOUNT_ID}:root"))["Role"]["Arn"]
    with pytest.raises(ClientError) as e:
        server.sts(**creds).assume_role(RoleArn=role, RoleSessionName="from-fed")
    assert_error(e, "AccessDenied", 403)
    assert server.sts(**creds).get_caller_identity()["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:federated-user/fed-user"


def test_add_role_to_instance_profile_without_pass_role_is_denied(server, iam):
    role, profile, user = unique("ec2admin"), unique("ip"), unique("ipuser")
    ec2 = doc({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})
    role_arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=ec2)["Role"]["Arn"]
    iam.create_instance_profile(InstanceProfileName=profile)
    _, _, u = user_with_key(server, iam, user, doc(allow("iam:AddRoleToInstanceProfile")))
    with pytest.raises(ClientError) as e:
        u.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=role)
    assert_error(e, "AccessDenied", 403, contains=f"iam:PassRole on resource: {role_arn}")
    assert iam.get_instance_profile(InstanceProfileName=profile)["InstanceProfile"]["Roles"] == []


def test_get_access_key_last_used_of_another_users_key_is_denied(server, iam):
    victim = unique("victim")
    vkey, _, _ = user_with_key(server, iam, victim)
    _, _, m = user_with_key(
        server, iam, unique("mallory"), doc(allow("iam:GetAccessKeyLastUsed", f"arn:aws:iam::{ACCOUNT_ID}:user/${{aws:username}}"))
    )
    with pytest.raises(ClientError) as e:
        m.get_access_key_last_used(AccessKeyId=vkey["AccessKeyId"])
    # IAM names an existing user "user NAME" (see castellan_e2e.iam_resource_label).
    assert_error(e, "AccessDenied", 403, contains=f"on resource: user {victim}")


def test_simulating_a_protected_role_is_denied(server, iam):
    role = unique("protected")
    arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust(f"arn:aws:iam::{ACCOUNT_ID}:root"))["Role"]["Arn"]
    policy = doc(allow("iam:SimulatePrincipalPolicy"), {"Effect": "Deny", "Action": "iam:SimulatePrincipalPolicy", "Resource": arn})
    _, _, u = user_with_key(server, iam, unique("prober"), policy)
    with pytest.raises(ClientError) as e:
        u.simulate_principal_policy(PolicySourceArn=arn, ActionNames=["iam:GetUser"])
    assert_error(e, "AccessDenied", 403, contains=f"on resource: role {role}")


@pytest.mark.parametrize("key", ["aws:owner", "AWS:Owner"])
def test_reserved_aws_tag_keys_are_refused(iam, key):
    with pytest.raises(ClientError) as e:
        iam.create_user(UserName=unique("tagged"), Tags=[{"Key": key, "Value": "x"}])
    assert_error(e, "InvalidInput", 400)
