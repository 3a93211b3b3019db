"""IAM users: Create/Get/List/Update/Delete, tags, GetUser as the caller, delete conflicts."""

import pytest
from botocore.exceptions import ClientError

from castellan_e2e import (
    ACCOUNT_ID,
    IAM_ID_RE,
    ROOT_ARN,
    assert_error,
    assert_recent,
    dumps,
    policy_doc,
    unique,
)


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateUser.html
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_User.html
def test_create_and_get_user(iam, name):
    n = name("alice")
    user = iam.create_user(UserName=n)["User"]
    assert user["UserName"] == n
    assert user["Path"] == "/"
    assert user["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/{n}"
    assert IAM_ID_RE["user"].match(user["UserId"]), user["UserId"]
    assert_recent(user["CreateDate"])

    got = iam.get_user(UserName=n)["User"]
    for k in ("UserName", "UserId", "Arn", "Path", "CreateDate"):
        assert got[k] == user[k], k


# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns
def test_create_user_with_path(iam, name):
    n = name("pathed")
    user = iam.create_user(UserName=n, Path="/division_abc/subdivision_xyz/")["User"]
    assert user["Path"] == "/division_abc/subdivision_xyz/"
    assert user["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/division_abc/subdivision_xyz/{n}"


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetUser.html
# "If you do not specify a user name, IAM determines the user name implicitly based on the
# AWS access key ID used to sign the request." As the root user, AWS answers with the
# account's root: Arn arn:aws:iam::ACCOUNT:root, UserId = the account id, and no UserName.
def test_get_user_without_name_returns_root(iam):
    user = iam.get_user()["User"]
    assert user["Arn"] == ROOT_ARN
    assert user["UserId"] == ACCOUNT_ID
    assert "UserName" not in user
    assert "CreateDate" in user


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetUser.html
# The user may call GetUser on itself once a policy allows it (AWS evaluates the user's
# identity-based policies; there is no implicit self-access).
@pytest.mark.needs_sigv4
def test_get_user_without_name_returns_calling_user(server, iam, name):
    n = name("caller")
    iam.create_user(UserName=n)
    arn = f"arn:aws:iam::{ACCOUNT_ID}:user/{n}"
    iam.put_user_policy(UserName=n, PolicyName="self", PolicyDocument=dumps(policy_doc("iam:GetUser", arn)))
    key = iam.create_access_key(UserName=n)["AccessKey"]
    as_user = server.iam(access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    user = as_user.get_user()["User"]
    assert user["UserName"] == n
    assert user["Arn"] == arn


# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
# "By default, all requests are implicitly denied" -- an IAM user with no policy gets
# AccessDenied (403) for every IAM action, today (fail closed) and after enforcement lands.
# AWS text: "User: arn:aws:iam::123456789012:user/bob is not authorized to perform:
# iam:ListUsers on resource: arn:aws:iam::123456789012:user/ because no identity-based policy
# allows the iam:ListUsers action"
def test_user_without_policies_is_denied(server, iam, name):
    n = name("nopol")
    iam.create_user(UserName=n)
    key = iam.create_access_key(UserName=n)["AccessKey"]
    as_user = server.iam(access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    with pytest.raises(ClientError) as e:
        as_user.list_users()
    assert_error(
        e,
        "AccessDenied",
        403,
        contains=[f"arn:aws:iam::{ACCOUNT_ID}:user/{n} is not authorized to perform: iam:ListUsers"],
    )


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListUsers.html
# "IAM resource-listing operations return a subset of the available attributes for the
# resource. This operation does not return the following attributes, even though they are an
# attribute of the returned object: PermissionsBoundary, Tags"
def test_list_users_and_path_prefix(iam, name):
    a, b = name("lu-a"), name("lu-b")
    prefix = f"/{name('p')}/"
    iam.create_user(
        UserName=a,
        Path=prefix,
        Tags=[{"Key": "k", "Value": "v"}],
        PermissionsBoundary="arn:aws:iam::aws:policy/ReadOnlyAccess",
    )
    iam.create_user(UserName=b)
    names = [u["UserName"] for u in iam.get_paginator("list_users").paginate().build_full_result()["Users"]]
    assert a in names and b in names
    only = iam.list_users(PathPrefix=prefix)
    assert [u["UserName"] for u in only["Users"]] == [a]
    assert only["IsTruncated"] is False
    # ListUsers does not return tags or permissions boundaries, but does return the ids.
    assert only["Users"][0]["Path"] == prefix
    assert "Tags" not in only["Users"][0]
    assert "PermissionsBoundary" not in only["Users"][0]


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateUser.html
def test_update_user_rename_and_path(iam, name):
    old, new = name("old"), name("new")
    uid = iam.create_user(UserName=old)["User"]["UserId"]
    iam.update_user(UserName=old, NewUserName=new, NewPath="/moved/")
    got = iam.get_user(UserName=new)["User"]
    assert got["UserId"] == uid
    assert got["Path"] == "/moved/"
    assert got["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/moved/{new}"
    with pytest.raises(ClientError) as e:
        iam.get_user(UserName=old)
    assert_error(e, "NoSuchEntity", 404, f"The user with name {old} cannot be found.")


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateUser.html (EntityAlreadyExists)
def test_update_user_to_existing_name(iam, name):
    a, b = name("ua"), name("ub")
    iam.create_user(UserName=a)
    iam.create_user(UserName=b)
    with pytest.raises(ClientError) as e:
        iam.update_user(UserName=a, NewUserName=b)
    assert_error(e, "EntityAlreadyExists", 409, f"User with name {b} already exists.")


def test_update_missing_user(iam, name):
    n = name("ghost")
    with pytest.raises(ClientError) as e:
        iam.update_user(UserName=n, NewPath="/x/")
    assert_error(e, "NoSuchEntity", 404, f"The user with name {n} cannot be found.")


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteUser.html
def test_delete_user(iam, name):
    n = name("del")
    iam.create_user(UserName=n)
    iam.delete_user(UserName=n)
    with pytest.raises(ClientError) as e:
        iam.get_user(UserName=n)
    assert_error(e, "NoSuchEntity", 404, f"The user with name {n} cannot be found.")
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName=n)
    assert_error(e, "NoSuchEntity", 404, f"The user with name {n} cannot be found.")


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateUser.html (EntityAlreadyExists)
def test_create_duplicate_user(iam, name):
    n = name("dup")
    iam.create_user(UserName=n)
    with pytest.raises(ClientError) as e:
        iam.create_user(UserName=n)
    assert_error(e, "EntityAlreadyExists", 409, f"User with name {n} already exists.")


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateUser.html
# "Names are not distinguished by case. For example, you cannot create resources named both
# "MyResource" and "myresource"."
def test_user_names_are_case_insensitively_unique(iam, name):
    base = name("Alice")
    iam.create_user(UserName=base)
    with pytest.raises(ClientError) as e:
        iam.create_user(UserName=base.lower())
    # AWS names the requested name: "User with name alice-... already exists."
    assert_error(e, "EntityAlreadyExists", 409, contains="already exists")
    assert iam.get_user(UserName=base)["User"]["UserName"] == base


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteUser.html
# "you must delete the items attached to the user manually, or the deletion fails"
class TestDeleteUserConflicts:
    def test_attached_managed_policy(self, iam, name):
        n = name("dc-att")
        iam.create_user(UserName=n)
        iam.attach_user_policy(UserName=n, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
        with pytest.raises(ClientError) as e:
            iam.delete_user(UserName=n)
        assert_error(e, "DeleteConflict", 409, "Cannot delete entity, must detach all policies first.")
        iam.detach_user_policy(UserName=n, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
        iam.delete_user(UserName=n)

    def test_inline_policy(self, iam, name):
        n = name("dc-inl")
        iam.create_user(UserName=n)
        iam.put_user_policy(UserName=n, PolicyName="inline", PolicyDocument=dumps(policy_doc()))
        with pytest.raises(ClientError) as e:
            iam.delete_user(UserName=n)
        assert_error(e, "DeleteConflict", 409, "Cannot delete entity, must delete policies first.")
        iam.delete_user_policy(UserName=n, PolicyName="inline")
        iam.delete_user(UserName=n)

    def test_access_key(self, iam, name):
        n = name("dc-key")
        iam.create_user(UserName=n)
        kid = iam.create_access_key(UserName=n)["AccessKey"]["AccessKeyId"]
        with pytest.raises(ClientError) as e:
            iam.delete_user(UserName=n)
        assert_error(e, "DeleteConflict", 409, "Cannot delete entity, must delete access keys first.")
        iam.delete_access_key(UserName=n, AccessKeyId=kid)
        iam.delete_user(UserName=n)

    def test_group_membership(self, iam, name):
        n, g = name("dc-grp"), name("grp")
        iam.create_user(UserName=n)
        iam.create_group(GroupName=g)
        iam.add_user_to_group(GroupName=g, UserName=n)
        with pytest.raises(ClientError) as e:
            iam.delete_user(UserName=n)
        assert_error(e, "DeleteConflict", 409, "Cannot delete entity, must remove users from group first.")
        iam.remove_user_from_group(GroupName=g, UserName=n)
        iam.delete_user(UserName=n)

    def test_login_profile(self, iam, name):
        n = name("dc-lp")
        iam.create_user(UserName=n)
        iam.create_login_profile(UserName=n, Password="Sup3r-Secret-Passw0rd!")
        with pytest.raises(ClientError) as e:
            iam.delete_user(UserName=n)
        assert_error(e, "DeleteConflict", 409, "Cannot delete entity, must delete login profile first.")
        iam.delete_login_profile(UserName=n)
        iam.delete_user(UserName=n)


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_TagUser.html
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_UntagUser.html
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListUserTags.html
def test_user_tags(iam, name):
    n = name("tagged")
    iam.create_user(UserName=n, Tags=[{"Key": "team", "Value": "core"}, {"Key": "empty", "Value": ""}])
    tags = iam.list_user_tags(UserName=n)
    assert sorted((t["Key"], t["Value"]) for t in tags["Tags"]) == [("empty", ""), ("team", "core")]
    assert tags["IsTruncated"] is False

    # TagUser adds new keys and overwrites existing ones.
    iam.tag_user(UserName=n, Tags=[{"Key": "team", "Value": "platform"}, {"Key": "cost", "Value": "42"}])
    got = {t["Key"]: t["Value"] for t in iam.list_user_tags(UserName=n)["Tags"]}
    assert got == {"team": "platform", "cost": "42", "empty": ""}

    # GetUser shows the tags too.
    user_tags = {t["Key"]: t["Value"] for t in iam.get_user(UserName=n)["User"].get("Tags", [])}
    assert user_tags == got

    iam.untag_user(UserName=n, TagKeys=["cost", "empty", "not-there"])
    assert iam.list_user_tags(UserName=n)["Tags"] == [{"Key": "team", "Value": "platform"}]


# https://docs.aws.amazon.com/IAM/latest/UserGuide/id_tags.html#id_tags_rules_creating
# "Tag keys are case insensitive" -> duplicate keys differing only in case are rejected.
def test_user_tags_duplicate_keys(iam, name):
    n = name("duptags")
    with pytest.raises(ClientError) as e:
        iam.create_user(UserName=n, Tags=[{"Key": "Env", "Value": "a"}, {"Key": "env", "Value": "b"}])
    assert_error(e, "InvalidInput", 400, "Duplicate tag keys found. Please note that Tag keys are case insensitive.")


def test_tag_missing_user(iam, name):
    n = name("ghost")
    with pytest.raises(ClientError) as e:
        iam.tag_user(UserName=n, Tags=[{"Key": "k", "Value": "v"}])
    assert_error(e, "NoSuchEntity", 404, f"The user with name {n} cannot be found.")
    with pytest.raises(ClientError) as e:
        iam.list_user_tags(UserName=n)
    assert_error(e, "NoSuchEntity", 404, f"The user with name {n} cannot be found.")


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateUser.html (Tags: "Array Members:
# Maximum number of 50 items.")
def test_too_many_tags(iam, name):
    n = name("manytags")
    with pytest.raises(ClientError) as e:
        iam.create_user(UserName=n, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)])
    # AWS: "1 validation error detected: Value at 'tags' failed to satisfy constraint:
    # Member must have length less than or equal to 50"
    assert_error(e, "ValidationError", 400, contains="Member must have length less than or equal to 50")
    with pytest.raises(ClientError):
        iam.get_user(UserName=n)


# https://docs.aws.amazon.com/IAM/latest/UserGuide/id_users_manage.html#id_users_renaming
# "When you change a user's name or path ... Any policies attached to the user stay with the
# user under the new name. The user stays in the same groups under the new name. The unique ID
# for the user remains the same."
def test_rename_user_keeps_everything(iam, name):
    old, new, g = name("before"), name("after"), name("grp")
    uid = iam.create_user(UserName=old)["User"]["UserId"]
    iam.create_group(GroupName=g)
    iam.add_user_to_group(GroupName=g, UserName=old)
    iam.attach_user_policy(UserName=old, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    iam.put_user_policy(UserName=old, PolicyName="inline", PolicyDocument=dumps(policy_doc()))
    kid = iam.create_access_key(UserName=old)["AccessKey"]["AccessKeyId"]
    iam.tag_user(UserName=old, Tags=[{"Key": "k", "Value": "v"}])

    iam.update_user(UserName=old, NewUserName=new)
    assert iam.get_user(UserName=new)["User"]["UserId"] == uid
    assert [x["GroupName"] for x in iam.list_groups_for_user(UserName=new)["Groups"]] == [g]
    assert [u["UserName"] for u in iam.get_group(GroupName=g)["Users"]] == [new]
    assert [p["PolicyArn"] for p in iam.list_attached_user_policies(UserName=new)["AttachedPolicies"]] == [
        "arn:aws:iam::aws:policy/ReadOnlyAccess"
    ]
    assert iam.list_user_policies(UserName=new)["PolicyNames"] == ["inline"]
    keys = iam.list_access_keys(UserName=new)["AccessKeyMetadata"]
    assert [(k["AccessKeyId"], k["UserName"]) for k in keys] == [(kid, new)]
    assert iam.list_user_tags(UserName=new)["Tags"] == [{"Key": "k", "Value": "v"}]
    ents = iam.list_entities_for_policy(PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess", EntityFilter="User")
    names = {u["UserName"] for u in ents["PolicyUsers"]}
    assert new in names and old not in names


# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-unique-ids
# "If you create an IAM user, delete it, and then create another IAM user with the same name,
# the new user has a different unique ID" (and so for roles, groups, policies).
def test_unique_ids_are_not_reused(iam, name):
    n = name("again")
    first = iam.create_user(UserName=n)["User"]["UserId"]
    iam.delete_user(UserName=n)
    second = iam.create_user(UserName=n)["User"]["UserId"]
    assert first != second

    r = name("again")
    trust = dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    )
    first = iam.create_role(RoleName=r, AssumeRolePolicyDocument=trust)["Role"]["RoleId"]
    iam.delete_role(RoleName=r)
    assert iam.create_role(RoleName=r, AssumeRolePolicyDocument=trust)["Role"]["RoleId"] != first

    p = name("again")
    first = iam.create_policy(PolicyName=p, PolicyDocument=dumps(policy_doc()))["Policy"]
    iam.delete_policy(PolicyArn=first["Arn"])
    assert iam.create_policy(PolicyName=p, PolicyDocument=dumps(policy_doc()))["Policy"]["PolicyId"] != first["PolicyId"]
    # A recreated user does not inherit the old one's tags, policies or keys.
    assert iam.list_user_tags(UserName=n)["Tags"] == []
    assert iam.list_access_keys(UserName=n)["AccessKeyMetadata"] == []


# A new user has no MFA devices, SSH public keys, signing certificates or service-specific
# credentials, and the listings say so as AWS
# does (ListMFADevices, ListSSHPublicKeys, ListSigningCertificates,
# ListServiceSpecificCredentials, ListVirtualMFADevices API references); an unknown user is
# NoSuchEntity. Terraform's force_destroy walks exactly these before deleting a user.
def test_user_has_no_mfa_devices_ssh_keys_signing_certificates_or_service_credentials(iam):
    name = unique("creds")
    iam.create_user(UserName=name)
    assert iam.list_mfa_devices(UserName=name)["MFADevices"] == []
    assert iam.list_ssh_public_keys(UserName=name)["SSHPublicKeys"] == []
    assert iam.list_signing_certificates(UserName=name)["Certificates"] == []
    assert iam.list_service_specific_credentials(UserName=name)["ServiceSpecificCredentials"] == []
    assigned = iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]
    assert [d for d in assigned if d["User"]["UserName"] == name] == []
    for call in (iam.list_mfa_devices, iam.list_ssh_public_keys, iam.list_signing_certificates, iam.list_service_specific_credentials):
        with pytest.raises(ClientError) as e:
            call(UserName=unique("nobody"))
        assert_error(e, "NoSuchEntity", 404)
