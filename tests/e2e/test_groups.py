"""IAM groups: Create/Get (with members)/List/Update/Delete, membership, ListGroupsForUser."""

import pytest
from botocore.exceptions import ClientError

from castellan_e2e import ACCOUNT_ID, IAM_ID_RE, assert_error, assert_recent, dumps, policy_doc


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateGroup.html
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_Group.html
def test_create_group(iam, name):
    g = name("devs")
    group = iam.create_group(GroupName=g, Path="/eng/")["Group"]
    assert group["GroupName"] == g
    assert group["Path"] == "/eng/"
    assert group["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:group/eng/{g}"
    assert IAM_ID_RE["group"].match(group["GroupId"]), group["GroupId"]
    assert_recent(group["CreateDate"])


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetGroup.html
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_AddUserToGroup.html
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_RemoveUserFromGroup.html
def test_get_group_with_members(iam, name):
    g, u1, u2 = name("grp"), name("m1"), name("m2")
    gid = iam.create_group(GroupName=g)["Group"]["GroupId"]
    for u in (u1, u2):
        iam.create_user(UserName=u)
        iam.add_user_to_group(GroupName=g, UserName=u)

    resp = iam.get_group(GroupName=g)
    assert resp["Group"]["GroupName"] == g
    assert resp["Group"]["GroupId"] == gid
    assert resp["IsTruncated"] is False
    members = {u["UserName"]: u for u in resp["Users"]}
    assert set(members) == {u1, u2}
    assert members[u1]["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/{u1}"
    assert IAM_ID_RE["user"].match(members[u1]["UserId"])

    iam.remove_user_from_group(GroupName=g, UserName=u1)
    assert [u["UserName"] for u in iam.get_group(GroupName=g)["Users"]] == [u2]


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListGroupsForUser.html
def test_list_groups_for_user(iam, name):
    u, g1, g2, g3 = name("u"), name("g1"), name("g2"), name("g3")
    iam.create_user(UserName=u)
    for g in (g1, g2, g3):
        iam.create_group(GroupName=g)
    iam.add_user_to_group(GroupName=g1, UserName=u)
    iam.add_user_to_group(GroupName=g3, UserName=u)
    resp = iam.list_groups_for_user(UserName=u)
    assert {x["GroupName"] for x in resp["Groups"]} == {g1, g3}
    assert resp["IsTruncated"] is False


def test_list_groups_for_missing_user(iam, name):
    u = name("ghost")
    with pytest.raises(ClientError) as e:
        iam.list_groups_for_user(UserName=u)
    assert_error(e, "NoSuchEntity", 404, f"The user with name {u} cannot be found.")


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListGroups.html
def test_list_groups_path_prefix(iam, name):
    prefix = f"/{name('lg')}/"
    g1, g2 = name("lg1"), name("lg2")
    iam.create_group(GroupName=g1, Path=prefix)
    iam.create_group(GroupName=g2)
    resp = iam.list_groups(PathPrefix=prefix)
    assert [g["GroupName"] for g in resp["Groups"]] == [g1]
    everything = iam.get_paginator("list_groups").paginate().build_full_result()["Groups"]
    assert {g1, g2} <= {g["GroupName"] for g in everything}


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateGroup.html
def test_update_group(iam, name):
    old, new, u = name("old"), name("new"), name("member")
    gid = iam.create_group(GroupName=old)["Group"]["GroupId"]
    iam.create_user(UserName=u)
    iam.add_user_to_group(GroupName=old, UserName=u)
    iam.update_group(GroupName=old, NewGroupName=new, NewPath="/renamed/")
    got = iam.get_group(GroupName=new)
    assert got["Group"]["GroupId"] == gid
    assert got["Group"]["Path"] == "/renamed/"
    assert got["Group"]["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:group/renamed/{new}"
    # Membership follows the group.
    assert [x["UserName"] for x in got["Users"]] == [u]
    assert [x["GroupName"] for x in iam.list_groups_for_user(UserName=u)["Groups"]] == [new]
    with pytest.raises(ClientError) as e:
        iam.get_group(GroupName=old)
    assert_error(e, "NoSuchEntity", 404, f"The group with name {old} cannot be found.")


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateGroup.html (EntityAlreadyExists)
def test_duplicate_group(iam, name):
    g = name("Dup")
    iam.create_group(GroupName=g)
    with pytest.raises(ClientError) as e:
        iam.create_group(GroupName=g)
    assert_error(e, "EntityAlreadyExists", 409, f"Group with name {g} already exists.")
    # Names are not distinguished by case.
    with pytest.raises(ClientError) as e:
        iam.create_group(GroupName=g.lower())
    assert_error(e, "EntityAlreadyExists", 409, contains="already exists")


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetGroup.html (NoSuchEntity)
def test_missing_group(iam, name):
    g = name("nogroup")
    with pytest.raises(ClientError) as e:
        iam.get_group(GroupName=g)
    assert_error(e, "NoSuchEntity", 404, f"The group with name {g} cannot be found.")
    with pytest.raises(ClientError) as e:
        iam.delete_group(GroupName=g)
    assert_error(e, "NoSuchEntity", 404, f"The group with name {g} cannot be found.")


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_AddUserToGroup.html (NoSuchEntity)
def test_add_to_group_missing_entities(iam, name):
    g, u = name("g"), name("u")
    iam.create_group(GroupName=g)
    with pytest.raises(ClientError) as e:
        iam.add_user_to_group(GroupName=g, UserName=u)
    assert_error(e, "NoSuchEntity", 404, f"The user with name {u} cannot be found.")
    iam.create_user(UserName=u)
    missing = name("nog")
    with pytest.raises(ClientError) as e:
        iam.add_user_to_group(GroupName=missing, UserName=u)
    assert_error(e, "NoSuchEntity", 404, f"The group with name {missing} cannot be found.")


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteGroup.html
# "The group must not contain any users or have any attached policies."
class TestDeleteGroup:
    def test_delete_empty_group(self, iam, name):
        g = name("empty")
        iam.create_group(GroupName=g)
        iam.delete_group(GroupName=g)
        with pytest.raises(ClientError) as e:
            iam.get_group(GroupName=g)
        assert_error(e, "NoSuchEntity", 404, f"The group with name {g} cannot be found.")

    def test_group_with_members(self, iam, name):
        g, u = name("full"), name("u")
        iam.create_group(GroupName=g)
        iam.create_user(UserName=u)
        iam.add_user_to_group(GroupName=g, UserName=u)
        with pytest.raises(ClientError) as e:
            iam.delete_group(GroupName=g)
        assert_error(e, "DeleteConflict", 409, "Cannot delete entity, must remove users from group first.")
        iam.remove_user_from_group(GroupName=g, UserName=u)
        iam.delete_group(GroupName=g)

    def test_group_with_attached_policy(self, iam, name):
        g = name("att")
        arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
        iam.create_group(GroupName=g)
        iam.attach_group_policy(GroupName=g, PolicyArn=arn)
        with pytest.raises(ClientError) as e:
            iam.delete_group(GroupName=g)
        assert_error(e, "DeleteConflict", 409, "Cannot delete entity, must detach all policies first.")
        iam.detach_group_policy(GroupName=g, PolicyArn=arn)
        iam.delete_group(GroupName=g)

    def test_group_with_inline_policy(self, iam, name):
        g = name("inl")
        iam.create_group(GroupName=g)
        iam.put_group_policy(GroupName=g, PolicyName="p", PolicyDocument=dumps(policy_doc()))
        with pytest.raises(ClientError) as e:
            iam.delete_group(GroupName=g)
        assert_error(e, "DeleteConflict", 409, "Cannot delete entity, must delete policies first.")
        iam.delete_group_policy(GroupName=g, PolicyName="p")
        iam.delete_group(GroupName=g)


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateGroup.html (GroupName pattern)
def test_invalid_group_name(iam):
    with pytest.raises(ClientError) as e:
        iam.create_group(GroupName="bad group!")
    assert_error(
        e,
        "ValidationError",
        400,
        "The specified value for groupName is invalid. "
        "It must contain only alphanumeric characters and/or the following: +=,.@_-",
    )
