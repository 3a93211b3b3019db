"""Policy enforcement for IAM users: every request is decided by AWS's policy evaluation logic.

The rules these tests pin, each from the IAM User Guide:
  * "Policy evaluation logic" / "Policy evaluation for requests within a single account"
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
    deny by default, an explicit Deny overrides any Allow, identity-based policies (the user's
    own, attached and its groups') must allow, a permissions boundary caps them.
  * "Troubleshoot access denied error messages"
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html): the
    AccessDenied text names the principal, action, resource and the policy type that failed:
    "... because no identity-based policy allows the ACTION action", "... with an explicit deny
    in an identity-based policy", "... because no permissions boundary allows the ACTION action".
  * "Permissions boundaries for IAM entities"
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html).
  * "IAM policy elements: Variables and tags"
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html) and
    "AWS global condition context keys"
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html).
  * The resource each action is authorized against and its condition keys: the Service
    Authorization Reference, "Actions, resources, and condition keys for AWS Identity and Access
    Management (IAM)"
    (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from botocore.exceptions import ClientError

from castellan_e2e import ACCOUNT_ID, ROOT_ARN, assert_error, dumps, iam_resource_label, unique

READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
IAM_FULL = "arn:aws:iam::aws:policy/IAMFullAccess"


def doc(*statements: dict) -> str:
    return dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: Any, resource: Any = "*", condition: dict | None = None) -> dict:
    st: dict[str, Any] = {"Effect": "Allow", "Action": action, "Resource": resource}
    if condition:
        st["Condition"] = condition
    return st


def deny(action: Any, resource: Any = "*", condition: dict | None = None) -> dict:
    st = allow(action, resource, condition)
    st["Effect"] = "Deny"
    return st


def user_arn(name: str, path: str = "/") -> str:
    return f"arn:aws:iam::{ACCOUNT_ID}:user{path}{name}"


def denied_msg(who: str, action: str, resource: str, why: str) -> str:
    """AWS's AccessDenied text ("Troubleshoot access denied error messages")."""
    head = f"User: {who} is not authorized to perform: {action} on resource: {iam_resource_label(action, resource)}"
    return {
        "identity": f"{head} because no identity-based policy allows the {action} action",
        "boundary": f"{head} because no permissions boundary allows the {action} action",
        "session": f"{head} because no session policy allows the {action} action",
        "explicit": f"{head} with an explicit deny in an identity-based policy",
    }[why]


@dataclasses.dataclass
class User:
    server: Any
    name: str
    arn: str
    key_id: str
    secret: str

    def iam(self):
        return self.server.iam(access_key=self.key_id, secret_key=self.secret)

    def sts(self):
        return self.server.sts(access_key=self.key_id, secret_key=self.secret)


def make_user(
    server,
    iam,
    prefix: str = "enf",
    *,
    inline: str | None = None,
    managed: tuple[str, ...] = (),
    boundary: str | None = None,
    tags: dict[str, str] | None = None,
) -> User:
    """A user (created by the root user) with the given policies and one access key."""
    name = unique(prefix)
    kw: dict[str, Any] = {}
    if boundary:
        kw["PermissionsBoundary"] = boundary
    if tags:
        kw["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
    arn = iam.create_user(UserName=name, **kw)["User"]["Arn"]
    if inline:
        iam.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=inline)
    for p in managed:
        iam.attach_user_policy(UserName=name, PolicyArn=p)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return User(server, name, arn, key["AccessKeyId"], key["SecretAccessKey"])


def denied(call, *args, **kwargs) -> ClientError:
    with pytest.raises(ClientError) as e:
        call(*args, **kwargs)
    return assert_error(e, "AccessDenied", 403)


# ---------------------------------------------------------------------------------------
# Default deny, AWS managed policies, explicit deny, groups, boundaries
# ---------------------------------------------------------------------------------------


# "Policy evaluation logic": "By default, all requests are implicitly denied" (except the root
# user's). The resource of ListUsers in the message is the path prefix it lists,
# arn:aws:iam::ACCOUNT:user/ (the text AWS returns, e.g. "User: arn:aws:iam::123456789012:user/s3user
# is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::123456789012:user/ because
# no identity-based policy allows the iam:ListUsers action").
def test_user_without_policies_is_denied_list_users(server, iam):
    u = make_user(server, iam)
    # The raw query API: a 403 ErrorResponse of type Sender.
    res = server.raw({"Action": "ListUsers", "Version": "2010-05-08"}, access_key=u.key_id, secret_key=u.secret)
    assert res.status == 403, res
    assert res.find("Error/Code") == "AccessDenied"
    assert res.find("Error/Type") == "Sender"
    # Control: the root user, with the same request, is allowed.
    assert iam.list_users(MaxItems=1)["ResponseMetadata"]["HTTPStatusCode"] == 200
    with pytest.raises(ClientError) as e:
        u.iam().list_users()
    assert_error(
        e,
        "AccessDenied",
        403,
        denied_msg(u.arn, "iam:ListUsers", f"arn:aws:iam::{ACCOUNT_ID}:user/", "identity"),
    )


# The same denial, asked with a path prefix: the resource is the listed path.
def test_list_users_denial_names_the_path_prefix(server, iam):
    u = make_user(server, iam)
    with pytest.raises(ClientError) as e:
        u.iam().list_users(PathPrefix="/team/")
    assert_error(
        e,
        "AccessDenied",
        403,
        denied_msg(u.arn, "iam:ListUsers", f"arn:aws:iam::{ACCOUNT_ID}:user/team/", "identity"),
    )


# The aws CLI prints the same AccessDenied and exits non-zero (254: the service returned an error).
def test_denial_through_the_aws_cli(server, iam):
    u = make_user(server, iam)
    res = server.aws_run("iam", "list-users", access_key=u.key_id, secret_key=u.secret)
    assert res.returncode != 0, res.stdout
    assert "AccessDenied" in res.stderr, res.stderr
    assert f"User: {u.arn} is not authorized to perform: iam:ListUsers" in res.stderr, res.stderr


# AWS managed policy IAMReadOnlyAccess (iam:GenerateCredentialReport, iam:Get*, iam:List*,
# iam:SimulateCustomPolicy, iam:SimulatePrincipalPolicy): reads allowed, writes implicitly denied.
def test_iam_read_only_access_lists_users_but_cannot_create_one(server, iam):
    u = make_user(server, iam, managed=(READ_ONLY,))
    client = u.iam()
    names = [x["UserName"] for x in client.list_users(MaxItems=1000)["Users"]]
    assert u.name in names
    assert client.get_user(UserName=u.name)["User"]["Arn"] == u.arn
    assert client.get_user()["User"]["UserName"] == u.name
    client.list_roles(MaxItems=1)
    client.list_policies(Scope="Local", MaxItems=1)

    newname = unique("notmade")
    with pytest.raises(ClientError) as e:
        client.create_user(UserName=newname)
    # CreateUser is authorized against the user it would create (Service Authorization Reference:
    # resource type "user").
    assert_error(e, "AccessDenied", 403, denied_msg(u.arn, "iam:CreateUser", user_arn(newname), "identity"))
    with pytest.raises(ClientError):
        iam.get_user(UserName=newname)

    # Detaching the policy takes the permission away again.
    iam.detach_user_policy(UserName=u.name, PolicyArn=READ_ONLY)
    denied(client.list_users)


# "Policy evaluation logic": "An explicit deny in any policy overrides any allows."
def test_explicit_deny_overrides_allow(server, iam):
    u = make_user(server, iam, managed=(ADMIN,), inline=doc(deny("iam:CreateUser")))
    client = u.iam()
    client.list_users(MaxItems=1)
    newname = unique("notmade")
    with pytest.raises(ClientError) as e:
        client.create_user(UserName=newname)
    assert_error(e, "AccessDenied", 403, denied_msg(u.arn, "iam:CreateUser", user_arn(newname), "explicit"))
    # Other writes the Allow covers still work.
    other = unique("made")
    client.create_group(GroupName=other)
    iam.delete_group(GroupName=other)


# A Deny in an attached (customer managed) policy or a group's policy is just as explicit.
def test_explicit_deny_in_a_group_policy_applies_to_members(server, iam):
    u = make_user(server, iam, managed=(IAM_FULL,))
    group = unique("denygrp")
    iam.create_group(GroupName=group)
    iam.put_group_policy(GroupName=group, PolicyName="no-get", PolicyDocument=doc(deny("iam:GetUser")))
    u.iam().get_user(UserName=u.name)
    iam.add_user_to_group(GroupName=group, UserName=u.name)
    with pytest.raises(ClientError) as e:
        u.iam().get_user(UserName=u.name)
    assert_error(e, "AccessDenied", 403, denied_msg(u.arn, "iam:GetUser", u.arn, "explicit"))


# "IAM user groups": "Any user in the group automatically has the permissions that are assigned
# to the group." Membership changes take effect at once; both a group's attached managed policy
# and its inline policy count.
def test_group_policies_apply_to_members(server, iam):
    u = make_user(server, iam)
    group = unique("readers")
    iam.create_group(GroupName=group)
    iam.attach_group_policy(GroupName=group, PolicyArn=READ_ONLY)
    client = u.iam()
    denied(client.list_users)

    iam.add_user_to_group(GroupName=group, UserName=u.name)
    assert u.name in [x["UserName"] for x in client.list_users(MaxItems=1000)["Users"]]
    denied(client.create_group, GroupName=unique("g"))

    # An inline policy of the group.
    iam.put_group_policy(GroupName=group, PolicyName="groups", PolicyDocument=doc(allow("iam:CreateGroup")))
    made = unique("g")
    client.create_group(GroupName=made)
    iam.delete_group(GroupName=made)

    iam.remove_user_from_group(GroupName=group, UserName=u.name)
    denied(client.list_users)


# "Permissions boundaries for IAM entities": "An entity's permissions boundary allows it to
# perform only the actions that are allowed by both its identity-based policies and its
# permissions boundaries." AdministratorAccess under an IAMReadOnlyAccess boundary reads only.
def test_permissions_boundary_caps_administrator(server, iam):
    u = make_user(server, iam, managed=(ADMIN,), boundary=READ_ONLY)
    client = u.iam()
    client.list_users(MaxItems=1)
    newname = unique("notmade")
    with pytest.raises(ClientError) as e:
        client.create_user(UserName=newname)
    assert_error(e, "AccessDenied", 403, denied_msg(u.arn, "iam:CreateUser", user_arn(newname), "boundary"))

    # Removing the boundary restores the identity-based permissions.
    iam.delete_user_permissions_boundary(UserName=u.name)
    client.create_user(UserName=newname)
    iam.delete_user(UserName=newname)


# Same page: "Permissions boundaries don't provide permissions on their own." A boundary that
# allows everything grants nothing without an identity-based policy.
def test_permissions_boundary_alone_grants_nothing(server, iam):
    u = make_user(server, iam, boundary=ADMIN)
    with pytest.raises(ClientError) as e:
        u.iam().get_user(UserName=u.name)
    assert_error(e, "AccessDenied", 403, denied_msg(u.arn, "iam:GetUser", u.arn, "identity"))


# A customer managed boundary: the identity policy allows iam:*, the boundary only iam:Get*.
def test_customer_managed_boundary(server, iam):
    b = iam.create_policy(PolicyName=unique("bound"), PolicyDocument=doc(allow("iam:Get*")))["Policy"]["Arn"]
    u = make_user(server, iam, inline=doc(allow("iam:*")), boundary=b)
    client = u.iam()
    assert client.get_user()["User"]["UserName"] == u.name
    with pytest.raises(ClientError) as e:
        client.list_access_keys(UserName=u.name)
    assert_error(e, "AccessDenied", 403, denied_msg(u.arn, "iam:ListAccessKeys", u.arn, "boundary"))
    # A new default version of the boundary applies at once.
    iam.create_policy_version(PolicyArn=b, PolicyDocument=doc(allow(["iam:Get*", "iam:List*"])), SetAsDefault=True)
    assert [k["AccessKeyId"] for k in client.list_access_keys(UserName=u.name)["AccessKeyMetadata"]] == [u.key_id]


# ---------------------------------------------------------------------------------------
# Self-service with ${aws:username}
# ---------------------------------------------------------------------------------------

# Example policy "IAM: Allows IAM users to rotate their own access keys programmatically and in
# the console" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_examples_iam_credentials_console.html),
# the access-key part of "IAM: Allows IAM users to manage their own credentials"
# (reference_policies_examples_aws_my-sec-creds-self-manage.html). CreateAccessKey is authorized
# against the named user (or, without UserName, the caller).
SELF_KEYS = doc(
    allow(
        [
            "iam:CreateAccessKey",
            "iam:DeleteAccessKey",
            "iam:ListAccessKeys",
            "iam:UpdateAccessKey",
            "iam:GetAccessKeyLastUsed",
        ],
        "arn:aws:iam::*:user/${aws:username}",
    )
)


def test_self_service_policy_manages_own_keys_only(server, iam):
    u = make_user(server, iam, inline=SELF_KEYS)
    other = make_user(server, iam)
    client = u.iam()

    # Its own key, with and without UserName.
    k1 = client.create_access_key(UserName=u.name)["AccessKey"]
    assert k1["UserName"] == u.name
    listed = {k["AccessKeyId"] for k in client.list_access_keys()["AccessKeyMetadata"]}
    assert listed == {u.key_id, k1["AccessKeyId"]}
    client.delete_access_key(AccessKeyId=k1["AccessKeyId"])
    k2 = client.create_access_key()["AccessKey"]
    assert k2["UserName"] == u.name
    # The new key works (and is held to the same policy).
    as_new = server.iam(access_key=k2["AccessKeyId"], secret_key=k2["SecretAccessKey"])
    as_new.update_access_key(AccessKeyId=k2["AccessKeyId"], Status="Inactive")
    client.delete_access_key(UserName=u.name, AccessKeyId=k2["AccessKeyId"])

    # Another user's keys: the resource is that user's ARN, which ${aws:username} does not match.
    with pytest.raises(ClientError) as e:
        client.create_access_key(UserName=other.name)
    assert_error(e, "AccessDenied", 403, denied_msg(u.arn, "iam:CreateAccessKey", other.arn, "identity"))
    with pytest.raises(ClientError) as e:
        client.list_access_keys(UserName=other.name)
    assert_error(e, "AccessDenied", 403, denied_msg(u.arn, "iam:ListAccessKeys", other.arn, "identity"))
    with pytest.raises(ClientError) as e:
        client.delete_access_key(UserName=other.name, AccessKeyId=other.key_id)
    assert_error(e, "AccessDenied", 403, denied_msg(u.arn, "iam:DeleteAccessKey", other.arn, "identity"))
    assert [k["AccessKeyId"] for k in iam.list_access_keys(UserName=other.name)["AccessKeyMetadata"]] == [other.key_id]
    # Actions the policy does not name are still denied on itself.
    denied(client.get_user)


# The same for login profiles ("IAM: Allows IAM users to change their own console password",
# reference_policies_examples_iam_user-change-password): UpdateLoginProfile is authorized
# against the named user.
def test_self_service_login_profile(server, iam):
    u = make_user(server, iam, inline=doc(allow(["iam:UpdateLoginProfile", "iam:GetLoginProfile"], "arn:aws:iam::*:user/${aws:username}")))
    other = make_user(server, iam)
    for n in (u.name, other.name):
        iam.create_login_profile(UserName=n, Password="Initial-Passw0rd!")
    client = u.iam()
    client.update_login_profile(UserName=u.name, Password="Changed-Passw0rd!")
    assert client.get_login_profile(UserName=u.name)["LoginProfile"]["UserName"] == u.name
    with pytest.raises(ClientError) as e:
        client.update_login_profile(UserName=other.name, Password="Changed-Passw0rd!")
    assert_error(e, "AccessDenied", 403, denied_msg(u.arn, "iam:UpdateLoginProfile", other.arn, "identity"))


# AttachUserPolicy is authorized against the user it attaches to.
def test_attach_user_policy_is_authorized_against_the_target_user(server, iam):
    u = make_user(server, iam, inline=doc(allow("iam:AttachUserPolicy", "arn:aws:iam::*:user/${aws:username}")))
    other = make_user(server, iam)
    client = u.iam()
    client.attach_user_policy(UserName=u.name, PolicyArn=READ_ONLY)
    # ... which now also lets it read.
    client.list_users(MaxItems=1)
    with pytest.raises(ClientError) as e:
        client.attach_user_policy(UserName=other.name, PolicyArn=READ_ONLY)
    assert_error(e, "AccessDenied", 403, denied_msg(u.arn, "iam:AttachUserPolicy", other.arn, "identity"))
    assert iam.list_attached_user_policies(UserName=other.name)["AttachedPolicies"] == []


# ---------------------------------------------------------------------------------------
# Tag conditions
# ---------------------------------------------------------------------------------------

# "Controlling access to and for IAM users and roles using tags"
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_iam-tags.html), "Controlling access
# during AWS requests": aws:RequestTag/key and aws:TagKeys hold the tags a request carries.
def test_request_tag_condition(server, iam):
    policy = doc(
        allow(
            ["iam:CreateUser", "iam:TagUser"],
            condition={
                "StringEquals": {"aws:RequestTag/team": "blue"},
                "ForAllValues:StringEquals": {"aws:TagKeys": ["team"]},
            },
        )
    )
    u = make_user(server, iam, inline=policy)
    client = u.iam()
    ok = unique("tagged")
    client.create_user(UserName=ok, Tags=[{"Key": "team", "Value": "blue"}])
    assert iam.list_user_tags(UserName=ok)["Tags"] == [{"Key": "team", "Value": "blue"}]

    for tags in ([{"Key": "team", "Value": "red"}], [], [{"Key": "team", "Value": "blue"}, {"Key": "cost", "Value": "1"}]):
        bad = unique("tagged")
        kw = {"Tags": tags} if tags else {}
        with pytest.raises(ClientError) as e:
            client.create_user(UserName=bad, **kw)
        assert_error(e, "AccessDenied", 403, denied_msg(u.arn, "iam:CreateUser", user_arn(bad), "identity"))

    # TagUser on an existing user follows the same condition.
    client.tag_user(UserName=ok, Tags=[{"Key": "team", "Value": "blue"}])
    with pytest.raises(ClientError) as e:
        client.tag_user(UserName=ok, Tags=[{"Key": "team", "Value": "green"}])
    assert_error(e, "AccessDenied", 403, denied_msg(u.arn, "iam:TagUser", user_arn(ok), "identity"))


# Same page, "Controlling access to IAM resources": aws:ResourceTag/key (and iam:ResourceTag/key)
# are the tags of the user or role the request is about. Example policy "IAM: Access IAM users
# and roles with a specific tag"-style (reference_policies_examples_iam-tag-access).
def test_resource_tag_condition(server, iam):
    policy = doc(
        allow(["iam:GetUser", "iam:DeleteUser", "iam:ListUserTags"], condition={"StringEquals": {"aws:ResourceTag/team": "blue"}})
    )
    u = make_user(server, iam, inline=policy)
    client = u.iam()
    blue, red, untagged = unique("blue"), unique("red"), unique("none")
    iam.create_user(UserName=blue, Tags=[{"Key": "team", "Value": "blue"}])
    iam.create_user(UserName=red, Tags=[{"Key": "team", "Value": "red"}])
    iam.create_user(UserName=untagged)
    assert client.get_user(UserName=blue)["User"]["UserName"] == blue
    for n in (red, untagged):
        with pytest.raises(ClientError) as e:
            client.get_user(UserName=n)
        assert_error(e, "AccessDenied", 403, denied_msg(u.arn, "iam:GetUser", user_arn(n), "identity"))
    # Retagging changes the decision.
    iam.tag_user(UserName=red, Tags=[{"Key": "team", "Value": "blue"}])
    client.delete_user(UserName=red)

    # iam:ResourceTag is the service-specific spelling of the same key.
    u2 = make_user(server, iam, inline=doc(allow("iam:GetUser", condition={"StringEquals": {"iam:ResourceTag/team": "blue"}})))
    assert u2.iam().get_user(UserName=blue)["User"]["UserName"] == blue
    denied(u2.iam().get_user, UserName=untagged)


# "IAM policy elements: Variables and tags": ${aws:PrincipalTag/key} resolves to the caller's tag,
# here compared with the resource's tag ("IAM: Access IAM users with the same tag" pattern, the
# ABAC tutorial "Define permissions to access AWS resources based on tags").
def test_principal_tag_matches_resource_tag(server, iam):
    policy = doc(
        allow("iam:GetUser", condition={"StringEquals": {"aws:ResourceTag/department": "${aws:PrincipalTag/department}"}})
    )
    u = make_user(server, iam, inline=policy, tags={"department": "eng"})
    same, other = unique("eng"), unique("ops")
    iam.create_user(UserName=same, Tags=[{"Key": "department", "Value": "eng"}])
    iam.create_user(UserName=other, Tags=[{"Key": "department", "Value": "ops"}])
    client = u.iam()
    client.get_user(UserName=same)
    denied(client.get_user, UserName=other)
    # The caller's tags are read at request time.
    iam.tag_user(UserName=u.name, Tags=[{"Key": "department", "Value": "ops"}])
    client.get_user(UserName=other)
    denied(client.get_user, UserName=same)


# ---------------------------------------------------------------------------------------
# IAM condition keys: iam:PermissionsBoundary, iam:PolicyARN
# ---------------------------------------------------------------------------------------

# "Permissions boundaries for IAM entities", "Delegating responsibility to others using
# permissions boundaries": CreateUser only with a given boundary, via iam:PermissionsBoundary.
def test_permissions_boundary_condition_key(server, iam):
    b = iam.create_policy(PolicyName=unique("delegated"), PolicyDocument=doc(allow("iam:Get*")))["Policy"]["Arn"]
    policy = doc(
        allow(
            ["iam:CreateUser", "iam:PutUserPermissionsBoundary"],
            condition={"StringEquals": {"iam:PermissionsBoundary": b}},
        )
    )
    u = make_user(server, iam, inline=policy)
    client = u.iam()
    ok = unique("bounded")
    client.create_user(UserName=ok, PermissionsBoundary=b)
    assert iam.get_user(UserName=ok)["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == b
    no_boundary = unique("free")
    with pytest.raises(ClientError) as e:
        client.create_user(UserName=no_boundary)
    assert_error(e, "AccessDenied", 403, denied_msg(u.arn, "iam:CreateUser", user_arn(no_boundary), "identity"))
    wrong = unique("wrong")
    with pytest.raises(ClientError) as e:
        client.create_user(UserName=wrong, PermissionsBoundary=ADMIN)
    assert_error(e, "AccessDenied", 403, denied_msg(u.arn, "iam:CreateUser", user_arn(wrong), "identity"))
    # PutUserPermissionsBoundary carries the same key.
    with pytest.raises(ClientError) as e:
        client.put_user_permissions_boundary(UserName=ok, PermissionsBoundary=ADMIN)
    assert_error(e, "AccessDenied", 403, denied_msg(u.arn, "iam:PutUserPermissionsBoundary", user_arn(ok), "identity"))


# Example policy "IAM: Limits managed policies that can be attached to an IAM user, group, or
# role" (reference_policies_examples_iam_limit-managed): iam:PolicyARN.
def test_policy_arn_condition_key(server, iam):
    policy = doc(
        allow(
            ["iam:AttachUserPolicy", "iam:DetachUserPolicy"],
            condition={"ArnEquals": {"iam:PolicyARN": ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]}},
        )
    )
    u = make_user(server, iam, inline=policy)
    target = make_user(server, iam)
    client = u.iam()
    client.attach_user_policy(UserName=target.name, PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
    with pytest.raises(ClientError) as e:
        client.attach_user_policy(UserName=target.name, PolicyArn=ADMIN)
    assert_error(e, "AccessDenied", 403, denied_msg(u.arn, "iam:AttachUserPolicy", target.arn, "identity"))
    attached = [p["PolicyArn"] for p in iam.list_attached_user_policies(UserName=target.name)["AttachedPolicies"]]
    assert attached == ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]


# ---------------------------------------------------------------------------------------
# Global condition keys of a request by an IAM user with long-term keys
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def probe(server, iam):
    """One user whose only inline policy each case replaces: it allows iam:ListUsers under the
    case's condition."""
    return make_user(server, iam, "probe", tags={"team": "blue"})


def allowed_under(iam, probe: User, condition: dict, effect: str = "Allow") -> bool:
    stmts = [allow("iam:ListUsers", condition=condition if effect == "Allow" else None)]
    if effect == "Deny":
        stmts.append(deny("iam:ListUsers", condition=condition))
    iam.put_user_policy(UserName=probe.name, PolicyName="inline", PolicyDocument=doc(*stmts))
    try:
        probe.iam().list_users(MaxItems=1)
        return True
    except ClientError as e:
        assert_error(e, "AccessDenied", 403)
        return False


# (case id, condition, allowed?) — "AWS global condition context keys".
def condition_cases():
    a = ACCOUNT_ID
    return [
        # aws:SourceIp: the tests connect from 127.0.0.1.
        ("SourceIp-in", {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}, True),
        ("SourceIp-exact", {"IpAddress": {"aws:SourceIp": "127.0.0.1/32"}}, True),
        ("SourceIp-out", {"IpAddress": {"aws:SourceIp": "192.0.2.0/24"}}, False),
        ("NotIpAddress", {"NotIpAddress": {"aws:SourceIp": "192.0.2.0/24"}}, True),
        # aws:SecureTransport: plain HTTP is "false".
        ("SecureTransport-false", {"Bool": {"aws:SecureTransport": "false"}}, True),
        ("SecureTransport-true", {"Bool": {"aws:SecureTransport": "true"}}, False),
        # aws:CurrentTime / aws:EpochTime.
        ("CurrentTime-after-2000", {"DateGreaterThan": {"aws:CurrentTime": "2000-01-01T00:00:00Z"}}, True),
        ("CurrentTime-before-2000", {"DateLessThan": {"aws:CurrentTime": "2000-01-01T00:00:00Z"}}, False),
        ("EpochTime-after-2000", {"NumericGreaterThan": {"aws:EpochTime": "946684800"}}, True),
        ("EpochTime-before-2000", {"NumericLessThan": {"aws:EpochTime": "946684800"}}, False),
        ("EpochTime-as-date", {"DateGreaterThan": {"aws:EpochTime": "2000-01-01T00:00:00Z"}}, True),
        # Principal keys of an IAM user.
        ("PrincipalType", {"StringEquals": {"aws:PrincipalType": "User"}}, True),
        ("PrincipalType-role", {"StringEquals": {"aws:PrincipalType": "AssumedRole"}}, False),
        ("PrincipalAccount", {"StringEquals": {"aws:PrincipalAccount": a}}, True),
        ("PrincipalAccount-other", {"StringEquals": {"aws:PrincipalAccount": "111122223333"}}, False),
        ("PrincipalArn", {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{a}:user/probe-*"}}, True),
        ("PrincipalArn-other", {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{a}:user/nobody"}}, False),
        ("username", {"StringLike": {"aws:username": "probe-*"}}, True),
        ("username-other", {"StringEquals": {"aws:username": "nobody"}}, False),
        ("userid-is-AIDA", {"StringLike": {"aws:userid": "AIDA*"}}, True),
        ("PrincipalTag", {"StringEquals": {"aws:PrincipalTag/team": "blue"}}, True),
        ("PrincipalTag-other", {"StringEquals": {"aws:PrincipalTag/team": "red"}}, False),
        ("PrincipalTag-missing", {"Null": {"aws:PrincipalTag/absent": "true"}}, True),
        # Keys only sessions have are absent for long-term keys (aws:MultiFactorAuthPresent,
        # aws:TokenIssueTime): "...not present when an IAM user makes a request with long-term
        # credentials".
        ("MFA-absent", {"Null": {"aws:MultiFactorAuthPresent": "true"}}, True),
        ("MFA-BoolIfExists", {"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}}, True),
        ("TokenIssueTime-absent", {"Null": {"aws:TokenIssueTime": "true"}}, True),
    ]


@pytest.mark.parametrize("case,condition,expected", condition_cases(), ids=[c[0] for c in condition_cases()])
def test_global_condition_keys(iam, probe, case, condition, expected):
    assert allowed_under(iam, probe, condition) is expected, f"{case}: {condition}"


# ${aws:userid} is the user's unique id (AIDA...), as GetUser reports it.
def test_userid_variable_is_the_unique_id(iam, probe):
    uid = iam.get_user(UserName=probe.name)["User"]["UserId"]
    assert allowed_under(iam, probe, {"StringEquals": {"aws:userid": uid}}) is True
    assert allowed_under(iam, probe, {"StringEquals": {"aws:userid": "AIDANOTTHEUSERIDXXXXX"}}) is False


# "AWS global condition context keys", aws:MultiFactorAuthPresent: the doc's warning — a
# Deny with "Bool": {"aws:MultiFactorAuthPresent": "false"} does NOT match long-term keys (the
# key is absent), while BoolIfExists does.
def test_mfa_deny_pattern_for_long_term_keys(iam, probe):
    assert allowed_under(iam, probe, {"Bool": {"aws:MultiFactorAuthPresent": "false"}}, effect="Deny") is True
    assert allowed_under(iam, probe, {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}, effect="Deny") is False


# Example policy "AWS: Denies access to AWS based on the source IP"
# (reference_policies_examples_aws_deny-ip): the explicit deny is reported as such.
def test_source_ip_deny_example(server, iam, probe):
    iam.put_user_policy(
        UserName=probe.name,
        PolicyName="inline",
        PolicyDocument=doc(allow("iam:GetUser"), deny("*", condition={"NotIpAddress": {"aws:SourceIp": ["192.0.2.0/24", "203.0.113.0/24"]}})),
    )
    with pytest.raises(ClientError) as e:
        probe.iam().get_user(UserName=probe.name)
    assert_error(e, "AccessDenied", 403, denied_msg(probe.arn, "iam:GetUser", probe.arn, "explicit"))


# The root user with long-term keys is not subject to identity policies at all ("Policy
# evaluation logic": the root user has full access to its account).
def test_root_user_is_not_limited_by_policies(iam):
    assert iam.list_users(MaxItems=1)["ResponseMetadata"]["HTTPStatusCode"] == 200
    n = unique("byroot")
    assert iam.create_user(UserName=n)["User"]["Arn"] == user_arn(n)
    iam.delete_user(UserName=n)
    assert iam.get_user()["User"]["Arn"] == ROOT_ARN
