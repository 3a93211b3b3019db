"""STS end to end: AssumeRole (same and cross account), GetSessionToken, GetFederationToken,
GetCallerIdentity, GetAccessKeyInfo, and what the temporary credentials may then do.

AWS documentation these tests follow (each test names its page):
  * STS API Reference: AssumeRole, GetSessionToken, GetFederationToken, GetCallerIdentity,
    GetAccessKeyInfo (https://docs.aws.amazon.com/STS/latest/APIReference/).
  * IAM User Guide: "Policy evaluation logic", "Cross-account policy evaluation logic",
    "Permissions boundaries for IAM entities", "Session policies" (access_policies.html#policies_session),
    "Passing session tags in AWS STS" (id_session-tags.html), "How to use an external ID when
    granting access to your AWS resources to a third party" (id_roles_common-scenarios_third-party.html),
    "Roles terms and concepts" (role chaining, id_roles.html#iam-term-role-chaining),
    "Revoking IAM role temporary security credentials" (id_roles_use_revoke-sessions.html),
    "Monitor and control actions taken with assumed roles" (source identity),
    "AWS global condition context keys".
  * AWS CLI User Guide, "Use an IAM role in the AWS CLI" (cli-configure-role.html), and the
    boto3 credentials guide ("Assume role provider").

Temporary credentials expire after at least 900 s, so expiry (ExpiredToken) is not tested here.
"""

from __future__ import annotations

import configparser
import dataclasses
import json
import os
import re
import subprocess
import sys
import time
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from castellan_e2e import ACCOUNT_ID, REGION, ROOT_ARN, assert_error, castellan_bin, dumps, iam_resource_label, now_utc, unique

READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
IAM_FULL = "arn:aws:iam::aws:policy/IAMFullAccess"
OTHER_ACCOUNT = "111122223333"

INVALID_TOKEN = "The security token included in the request is invalid."
MAX_DURATION = "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
CHAINING = "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
SESSION_KEY_RE = re.compile(r"^ASIA[A-Z0-9]{16}$")
SECRET_RE = re.compile(r"^[A-Za-z0-9/+]{40}$")


# ---------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------


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


def trust(principal: Any, actions: Any = "sts:AssumeRole", condition: dict | None = None) -> str:
    st: dict[str, Any] = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": actions}
    if condition:
        st["Condition"] = condition
    return doc(st)


def user_arn(name: str, account: str = ACCOUNT_ID) -> str:
    return f"arn:aws:iam::{account}:user/{name}"


def denied_msg(who: str, action: str, resource: str, why: str) -> str:
    """AWS's AccessDenied text ("Troubleshoot access denied error messages")."""
    head = f"User: {who} is not authorized to perform: {action} on resource: {iam_resource_label(action, resource)}"
    return {
        "identity": f"{head} because no identity-based policy allows the {action} action",
        "boundary": f"{head} because no permissions boundary allows the {action} action",
        "session": f"{head} because no session policy allows the {action} action",
        "explicit": f"{head} with an explicit deny in an identity-based policy",
    }[why]


def assume_denied_head(who: str, role_arn: str, action: str = "sts:AssumeRole") -> str:
    # AWS: "User: arn:aws:iam::123456789012:user/bob is not authorized to perform:
    # sts:AssumeRole on resource: arn:aws:iam::123456789012:role/R" (a reason may follow).
    return f"User: {who} is not authorized to perform: {action} on resource: {role_arn}"


@dataclasses.dataclass
class Creds:
    server: Any
    key_id: str
    secret: str
    token: str | None = None
    arn: str = ""

    def client(self, service: str, **kw):
        return self.server.client(service, access_key=self.key_id, secret_key=self.secret, session_token=self.token, **kw)

    def iam(self):
        return self.client("iam")

    def sts(self, **kw):
        return self.client("sts", **kw)


def session_creds(server, resp: dict) -> Creds:
    c = resp["Credentials"]
    arn = (resp.get("AssumedRoleUser") or resp.get("FederatedUser") or {}).get("Arn", "")
    return Creds(server, c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"], arn)


def make_user(server, iam, prefix: str = "stsu", *, inline: str | None = None, managed=(), tags=None) -> Creds:
    name = unique(prefix)
    kw = {"Tags": [{"Key": k, "Value": v} for k, v in tags.items()]} if tags else {}
    arn = iam.create_user(UserName=name, **kw)["User"]["Arn"]
    if inline:
        iam.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=inline)
    for p in managed:
        iam.attach_user_policy(UserName=name, PolicyArn=p)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return Creds(server, key["AccessKeyId"], key["SecretAccessKey"], None, arn)


def name_of(c: Creds) -> str:
    return c.arn.rsplit("/", 1)[-1]


@dataclasses.dataclass
class Role:
    name: str
    arn: str
    id: str


def make_role(
    iam,
    trust_policy: str,
    prefix: str = "stsr",
    *,
    inline: str | None = None,
    managed=(),
    boundary: str | None = None,
    max_session: int | None = None,
    tags: dict[str, str] | None = None,
) -> Role:
    name = unique(prefix)
    kw: dict[str, Any] = {}
    if boundary:
        kw["PermissionsBoundary"] = boundary
    if max_session:
        kw["MaxSessionDuration"] = max_session
    if tags:
        kw["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
    r = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust_policy, **kw)["Role"]
    if inline:
        iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=inline)
    for p in managed:
        iam.attach_role_policy(RoleName=name, PolicyArn=p)
    return Role(name, r["Arn"], r["RoleId"])


def session_arn(role: Role, session: str, account: str = ACCOUNT_ID) -> str:
    return f"arn:aws:sts::{account}:assumed-role/{role.name}/{session}"


def assume(caller: Creds, role: Role, session: str | None = None, **kw) -> dict:
    return caller.sts().assume_role(RoleArn=role.arn, RoleSessionName=session or unique("s"), **kw)


def assert_expires_in(creds: dict, seconds: int, slack: int = 120) -> None:
    exp = creds["Expiration"]
    assert exp.tzinfo is not None, exp
    got = (exp - now_utc()).total_seconds()
    assert seconds - slack <= got <= seconds + slack, f"expires in {got:.0f}s, expected about {seconds}s"


def assert_session_credentials(creds: dict) -> None:
    assert SESSION_KEY_RE.match(creds["AccessKeyId"]), creds["AccessKeyId"]
    assert SECRET_RE.match(creds["SecretAccessKey"]), creds["SecretAccessKey"]
    assert isinstance(creds["SessionToken"], str) and len(creds["SessionToken"]) > 20, creds["SessionToken"]


def allowed(call, *args, **kwargs) -> bool:
    try:
        call(*args, **kwargs)
        return True
    except ClientError as e:
        assert_error(e, "AccessDenied", 403)
        return False


# ---------------------------------------------------------------------------------------
# AssumeRole: the response, and who may call it
# ---------------------------------------------------------------------------------------


# STS API Reference, AssumeRole: Credentials (AccessKeyId, SecretAccessKey, SessionToken,
# Expiration; one hour by default), AssumedRoleUser (Arn
# arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION, AssumedRoleId ROLEID:SESSION). "Policy
# evaluation logic": in one account a resource-based policy (the trust policy) that names the
# IAM user allows on its own, without an identity-based policy.
def test_assume_role_returns_session_credentials(server, iam):
    user = make_user(server, iam)
    role = make_role(iam, trust(user.arn))
    resp = assume(user, role, "my-session")
    assert_session_credentials(resp["Credentials"])
    assert_expires_in(resp["Credentials"], 3600)
    assert resp["AssumedRoleUser"] == {
        "Arn": session_arn(role, "my-session"),
        "AssumedRoleId": f"{role.id}:my-session",
    }
    assert role.id.startswith("AROA")
    assert "PackedPolicySize" not in resp
    assert "SourceIdentity" not in resp

    # GetCallerIdentity with the session's credentials.
    who = session_creds(server, resp).sts().get_caller_identity()
    assert (who["Arn"], who["UserId"], who["Account"]) == (session_arn(role, "my-session"), f"{role.id}:my-session", ACCOUNT_ID)

    # Each call makes new credentials.
    again = assume(user, role, "my-session")["Credentials"]
    assert again["AccessKeyId"] != resp["Credentials"]["AccessKeyId"]


# A role with a path: the role ARN carries the path, the assumed-role ARN does not (AssumeRole:
# "arn:aws:sts::123456789012:assumed-role/demo/TestAR").
def test_assume_role_with_a_path(server, iam):
    user = make_user(server, iam)
    name = unique("pathrole")
    r = iam.create_role(RoleName=name, Path="/team/a/", AssumeRolePolicyDocument=trust(user.arn))["Role"]
    assert r["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:role/team/a/{name}"
    resp = user.sts().assume_role(RoleArn=r["Arn"], RoleSessionName="pp")
    assert resp["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{name}/pp"


# "Grant a user permissions to switch roles" (id_roles_use_permissions-to-switch.html): a trust
# policy that names the account (…:root) delegates to the account's identity-based policies, so
# the user also needs sts:AssumeRole in its own policy.
def test_trust_naming_the_account_delegates_to_identity_policy(server, iam):
    user = make_user(server, iam)
    role = make_role(iam, trust(ROOT_ARN))
    with pytest.raises(ClientError) as e:
        assume(user, role)
    assert_error(e, "AccessDenied", 403, startswith=assume_denied_head(user.arn, role.arn))
    iam.put_user_policy(UserName=name_of(user), PolicyName="inline", PolicyDocument=doc(allow("sts:AssumeRole", role.arn)))
    assume(user, role)
    # An identity policy naming another role does not help.
    other = make_role(iam, trust(ROOT_ARN))
    with pytest.raises(ClientError) as e:
        assume(user, other)
    assert_error(e, "AccessDenied", 403, startswith=assume_denied_head(user.arn, other.arn))


# A trust policy that does not name the caller refuses it, whatever the caller's own policies
# say ("Roles terms and concepts": trust policy).
def test_trust_policy_not_naming_the_caller_is_refused(server, iam):
    someone = make_user(server, iam)
    caller = make_user(server, iam, inline=doc(allow("sts:AssumeRole")), managed=(ADMIN,))
    role = make_role(iam, trust(someone.arn))
    with pytest.raises(ClientError) as e:
        assume(caller, role)
    assert_error(e, "AccessDenied", 403, startswith=assume_denied_head(caller.arn, role.arn))
    assume(someone, role)
    # A trust policy trusting only a service.
    svc = make_role(iam, doc({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}))
    with pytest.raises(ClientError) as e:
        assume(caller, svc)
    assert_error(e, "AccessDenied", 403, startswith=assume_denied_head(caller.arn, svc.arn))


# "Policy evaluation logic": an explicit deny in the caller's identity policy wins even when the
# trust policy names the caller.
def test_explicit_deny_of_assume_role_wins_over_trust(server, iam):
    user = make_user(server, iam)
    role = make_role(iam, trust(user.arn))
    assume(user, role)
    iam.put_user_policy(UserName=name_of(user), PolicyName="inline", PolicyDocument=doc(deny("sts:AssumeRole", role.arn)))
    with pytest.raises(ClientError) as e:
        assume(user, role)
    assert_error(e, "AccessDenied", 403, startswith=assume_denied_head(user.arn, role.arn))


# AssumeRole: "You cannot use AWS account root user credentials to call AssumeRole."
def test_root_cannot_assume_a_role(server, iam, sts):
    role = make_role(iam, trust(ROOT_ARN))
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=role.arn, RoleSessionName="root")
    assert_error(e, "AccessDenied", 403, "Roles may not be assumed by root accounts.")


# A role that does not exist: the same AccessDenied as a refusal (nothing tells a caller which
# roles exist).
def test_assume_missing_role_is_access_denied(server, iam):
    user = make_user(server, iam, inline=doc(allow("sts:AssumeRole")))
    arn = f"arn:aws:iam::{ACCOUNT_ID}:role/{unique('missing')}"
    with pytest.raises(ClientError) as e:
        user.sts().assume_role(RoleArn=arn, RoleSessionName="xx")
    assert_error(e, "AccessDenied", 403, startswith=assume_denied_head(user.arn, arn))


# "How to use an external ID when granting access to your AWS resources to a third party": the
# trust policy's Condition {"StringEquals": {"sts:ExternalId": "…"}} refuses a request without it
# or with another value.
def test_external_id(server, iam):
    user = make_user(server, iam)
    role = make_role(iam, trust(user.arn, condition={"StringEquals": {"sts:ExternalId": "Unique-ID-4711"}}))
    for kw in ({}, {"ExternalId": "Unique-ID-4712"}, {"ExternalId": "unique-id-4711"}):
        with pytest.raises(ClientError) as e:
            assume(user, role, **kw)
        assert_error(e, "AccessDenied", 403, startswith=assume_denied_head(user.arn, role.arn))
    assert assume(user, role, "ext", ExternalId="Unique-ID-4711")["AssumedRoleUser"]["Arn"] == session_arn(role, "ext")


# The trust policy is evaluated with the caller as the principal, so its conditions see the
# caller's keys. "Available keys for AWS STS", sts:RoleSessionName: "use this key in a role trust
# policy to require that your workforce specify their user name as the session name"; and
# aws:PrincipalTag of the calling user.
def test_trust_policy_conditions_see_the_caller(server, iam):
    user = make_user(server, iam, tags={"dept": "eng"})
    role = make_role(
        iam,
        trust(
            ROOT_ARN,
            condition={
                "StringLike": {"sts:RoleSessionName": "${aws:username}"},
                "StringEquals": {"aws:PrincipalTag/dept": "eng"},
            },
        ),
    )
    iam.put_user_policy(UserName=name_of(user), PolicyName="inline", PolicyDocument=doc(allow("sts:AssumeRole", role.arn)))
    resp = assume(user, role, name_of(user))
    assert resp["AssumedRoleUser"]["Arn"] == session_arn(role, name_of(user))
    with pytest.raises(ClientError) as e:
        assume(user, role, "someone-else")
    assert_error(e, "AccessDenied", 403, startswith=assume_denied_head(user.arn, role.arn))
    iam.tag_user(UserName=name_of(user), Tags=[{"Key": "dept", "Value": "ops"}])
    with pytest.raises(ClientError) as e:
        assume(user, role, name_of(user))
    assert_error(e, "AccessDenied", 403, startswith=assume_denied_head(user.arn, role.arn))


# ---------------------------------------------------------------------------------------
# Durations and role chaining
# ---------------------------------------------------------------------------------------


# AssumeRole, DurationSeconds: "from 900 seconds (15 minutes) up to the maximum session duration
# setting for the role"; above it: ValidationError "The requested DurationSeconds exceeds the
# MaxSessionDuration set for this role." MaxSessionDuration defaults to 3600 (CreateRole).
def test_duration_above_the_role_maximum_is_refused(server, iam):
    user = make_user(server, iam)
    role = make_role(iam, trust(user.arn))
    with pytest.raises(ClientError) as e:
        assume(user, role, DurationSeconds=3601)
    assert_error(e, "ValidationError", 400, MAX_DURATION)
    assert_expires_in(assume(user, role, DurationSeconds=3600)["Credentials"], 3600)
    assert_expires_in(assume(user, role, DurationSeconds=900)["Credentials"], 900)

    long = make_role(iam, trust(user.arn), max_session=7200)
    assert_expires_in(assume(user, long, DurationSeconds=7200)["Credentials"], 7200)
    with pytest.raises(ClientError) as e:
        assume(user, long, DurationSeconds=7201)
    assert_error(e, "ValidationError", 400, MAX_DURATION)
    # Raising the role's maximum (UpdateRole) allows longer sessions.
    iam.update_role(RoleName=long.name, MaxSessionDuration=43200)
    assert_expires_in(assume(user, long, DurationSeconds=43200)["Credentials"], 43200)


# Below the minimum (botocore refuses it client-side; the server answers as AWS does).
def test_duration_below_900_is_a_validation_error(server, iam):
    user = make_user(server, iam)
    role = make_role(iam, trust(user.arn))
    with pytest.raises(ClientError) as e:
        user.sts(validate=False).assume_role(RoleArn=role.arn, RoleSessionName="ss", DurationSeconds=899)
    assert_error(
        e,
        "ValidationError",
        400,
        "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: "
        "Member must have value greater than or equal to 900",
    )


@pytest.fixture
def chain(server, iam):
    """user -> role A (its policy allows assuming B) -> role B (trusts A; 12-hour maximum)."""
    user = make_user(server, iam)
    a = make_role(iam, trust(user.arn), "chainA")
    b = make_role(iam, trust(a.arn, ["sts:AssumeRole", "sts:TagSession"]), "chainB", max_session=43200, managed=(READ_ONLY,))
    iam.put_role_policy(RoleName=a.name, PolicyName="inline", PolicyDocument=doc(allow("sts:AssumeRole", b.arn)))
    return user, a, b


# "Roles terms and concepts", role chaining: "Role chaining limits your AWS CLI or AWS API role
# session to a maximum of one hour. When you use the AssumeRole API operation to assume a role,
# you can specify the duration of your role session with the DurationSeconds parameter. ... If
# you assume a role using role chaining and provide a DurationSeconds parameter value greater
# than one hour, the operation fails."
def test_role_chaining_is_limited_to_one_hour(server, iam, chain):
    user, a, b = chain
    a_session = session_creds(server, assume(user, a, "first"))
    # The same duration works from long-term credentials (B allows 12 hours) ...
    iam.update_assume_role_policy(RoleName=b.name, PolicyDocument=trust([a.arn, user.arn]))
    assert_expires_in(assume(user, b, DurationSeconds=7200)["Credentials"], 7200)
    # ... but not from a role session.
    with pytest.raises(ClientError) as e:
        assume(a_session, b, DurationSeconds=7200)
    assert_error(e, "ValidationError", 400, CHAINING)
    with pytest.raises(ClientError) as e:
        assume(a_session, b, DurationSeconds=3601)
    assert_error(e, "ValidationError", 400, CHAINING)

    resp = assume(a_session, b, "second", DurationSeconds=3600)
    assert_expires_in(resp["Credentials"], 3600)
    assert resp["AssumedRoleUser"]["Arn"] == session_arn(b, "second")
    chained = session_creds(server, resp)
    assert chained.sts().get_caller_identity()["Arn"] == session_arn(b, "second")
    # Without DurationSeconds: one hour.
    assert_expires_in(assume(a_session, b)["Credentials"], 3600)


# A trust policy naming role A trusts A's sessions, and no one else's.
def test_trust_naming_a_role_trusts_its_sessions(server, iam, chain):
    user, a, b = chain
    with pytest.raises(ClientError) as e:
        assume(user, b)
    assert_error(e, "AccessDenied", 403, startswith=assume_denied_head(user.arn, b.arn))
    a_session = session_creds(server, assume(user, a, "first"))
    assume(a_session, b)


# ---------------------------------------------------------------------------------------
# What a role session may do
# ---------------------------------------------------------------------------------------


# "Roles terms and concepts": a role session has the role's permissions policies. Changes to the
# role's policies apply to sessions already issued.
def test_role_policies_apply_to_the_session(server, iam):
    user = make_user(server, iam)
    role = make_role(iam, trust(user.arn), inline=doc(allow(["iam:GetUser", "iam:GetRole"])))
    target = make_user(server, iam)
    s = session_creds(server, assume(user, role, "work"))
    who = session_arn(role, "work")
    assert s.iam().get_user(UserName=name_of(target))["User"]["Arn"] == target.arn
    assert s.iam().get_role(RoleName=role.name)["Role"]["Arn"] == role.arn
    newname = unique("notmade")
    with pytest.raises(ClientError) as e:
        s.iam().create_user(UserName=newname)
    assert_error(e, "AccessDenied", 403, denied_msg(who, "iam:CreateUser", user_arn(newname), "identity"))

    iam.attach_role_policy(RoleName=role.name, PolicyArn=IAM_FULL)
    s.iam().create_user(UserName=newname)
    iam.delete_user(UserName=newname)
    iam.detach_role_policy(RoleName=role.name, PolicyArn=IAM_FULL)
    iam.put_role_policy(RoleName=role.name, PolicyName="inline", PolicyDocument=doc(deny("iam:*")))
    with pytest.raises(ClientError) as e:
        s.iam().get_user(UserName=name_of(target))
    assert_error(e, "AccessDenied", 403, denied_msg(who, "iam:GetUser", target.arn, "explicit"))
    # The user's own long-term keys are not affected by the role.
    denied_user = user.iam()
    assert not allowed(denied_user.get_user, UserName=name_of(target))


# A deleted role's sessions can do nothing any more.
def test_deleted_role_sessions_are_denied(server, iam):
    user = make_user(server, iam)
    role = make_role(iam, trust(user.arn), inline=doc(allow("iam:GetRole")))
    s = session_creds(server, assume(user, role))
    s.iam().get_role(RoleName=role.name)
    iam.delete_role_policy(RoleName=role.name, PolicyName="inline")
    iam.delete_role(RoleName=role.name)
    with pytest.raises(ClientError) as e:
        s.iam().get_role(RoleName=role.name)
    assert_error(e, "AccessDenied", 403)


# "Permissions boundaries for IAM entities": a boundary on the role caps its sessions.
def test_role_permissions_boundary_caps_the_session(server, iam):
    user = make_user(server, iam)
    role = make_role(iam, trust(user.arn), managed=(ADMIN,), boundary=READ_ONLY)
    target = make_user(server, iam)
    s = session_creds(server, assume(user, role, "bounded"))
    s.iam().get_user(UserName=name_of(target))
    newname = unique("notmade")
    with pytest.raises(ClientError) as e:
        s.iam().create_user(UserName=newname)
    assert_error(e, "AccessDenied", 403, denied_msg(session_arn(role, "bounded"), "iam:CreateUser", user_arn(newname), "boundary"))


# "Session policies": "The resulting session's permissions are the intersection of the role's
# identity-based policy and the session policies. ... You cannot use session policies to grant
# more permissions than those allowed by the identity-based policy of the role."
def test_inline_session_policy_only_narrows(server, iam):
    user = make_user(server, iam)
    role = make_role(iam, trust(user.arn), managed=(READ_ONLY,))
    target = make_user(server, iam)

    narrow = assume(user, role, "narrow", Policy=doc(allow("iam:GetRole")))
    assert isinstance(narrow["PackedPolicySize"], int) and 0 < narrow["PackedPolicySize"] <= 100
    s = session_creds(server, narrow)
    s.iam().get_role(RoleName=role.name)
    with pytest.raises(ClientError) as e:
        s.iam().get_user(UserName=name_of(target))
    # The role allows iam:GetUser; the session policy does not.
    assert_error(e, "AccessDenied", 403, denied_msg(session_arn(role, "narrow"), "iam:GetUser", target.arn, "session"))
    # Without the session policy the role can (control).
    session_creds(server, assume(user, role)).iam().get_user(UserName=name_of(target))

    # A session policy trying to widen: iam:* does not add CreateUser to a read-only role.
    wide = session_creds(server, assume(user, role, "wide", Policy=doc(allow("iam:*"))))
    wide.iam().get_user(UserName=name_of(target))
    newname = unique("notmade")
    with pytest.raises(ClientError) as e:
        wide.iam().create_user(UserName=newname)
    assert_error(e, "AccessDenied", 403, denied_msg(session_arn(role, "wide"), "iam:CreateUser", user_arn(newname), "identity"))

    # A Deny in the session policy is an explicit deny.
    d = session_creds(server, assume(user, role, "deny", Policy=doc(allow("*"), deny("iam:GetRole"))))
    with pytest.raises(ClientError) as e:
        d.iam().get_role(RoleName=role.name)
    assert_error(e, "AccessDenied", 403, startswith=f"User: {session_arn(role, 'deny')} is not authorized to perform: iam:GetRole on resource: {iam_resource_label('iam:GetRole', role.arn)} with an explicit deny")


# "Session policies", managed session policies (PolicyArns): the same intersection.
def test_managed_session_policy_only_narrows(server, iam):
    user = make_user(server, iam)
    role = make_role(iam, trust(user.arn), managed=(IAM_FULL,))
    target = make_user(server, iam)
    resp = assume(user, role, "ro", PolicyArns=[{"arn": READ_ONLY}])
    assert isinstance(resp["PackedPolicySize"], int)
    s = session_creds(server, resp)
    s.iam().get_user(UserName=name_of(target))
    newname = unique("notmade")
    with pytest.raises(ClientError) as e:
        s.iam().create_user(UserName=newname)
    assert_error(e, "AccessDenied", 403, denied_msg(session_arn(role, "ro"), "iam:CreateUser", user_arn(newname), "session"))
    # Without it the role may create users (control).
    full = session_creds(server, assume(user, role))
    full.iam().create_user(UserName=newname)
    iam.delete_user(UserName=newname)


# "Revoking IAM role temporary security credentials": the console adds to the role the policy
# AWSRevokeOlderSessions, {"Effect": "Deny", "Action": ["*"], "Resource": ["*"], "Condition":
# {"DateLessThan": {"aws:TokenIssueTime": "[policy creation time]"}}}: sessions issued before
# that time are denied everything, later ones are not.
def test_revoking_older_sessions_with_token_issue_time(server, iam):
    user = make_user(server, iam)
    role = make_role(iam, trust(user.arn), inline=doc(allow("iam:GetRole")))
    old = session_creds(server, assume(user, role, "old"))
    old.iam().get_role(RoleName=role.name)
    time.sleep(1.1)
    cutoff = now_utc().replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    iam.put_role_policy(
        RoleName=role.name,
        PolicyName="AWSRevokeOlderSessions",
        PolicyDocument=doc(deny(["*"], ["*"], {"DateLessThan": {"aws:TokenIssueTime": cutoff}})),
    )
    with pytest.raises(ClientError) as e:
        old.iam().get_role(RoleName=role.name)
    assert_error(e, "AccessDenied", 403, denied_msg(session_arn(role, "old"), "iam:GetRole", role.arn, "explicit"))
    time.sleep(1.1)
    new = session_creds(server, assume(user, role, "new"))
    new.iam().get_role(RoleName=role.name)


# ---------------------------------------------------------------------------------------
# Session tags and source identity
# ---------------------------------------------------------------------------------------


# "Passing session tags in AWS STS": session tags become aws:PrincipalTag/key; "If a session tag
# has the same key as a role tag, the session tag value overrides the role tag"; passing tags
# needs sts:TagSession in the trust policy.
def test_session_tags_become_principal_tags(server, iam):
    user = make_user(server, iam)
    policy = doc(allow("iam:GetRole", condition={"StringEquals": {"aws:PrincipalTag/team": "blue"}}))
    role = make_role(iam, trust(user.arn, ["sts:AssumeRole", "sts:TagSession"]), inline=policy)

    def can(**kw) -> bool:
        return allowed(session_creds(server, assume(user, role, **kw)).iam().get_role, RoleName=role.name)

    assert can(Tags=[{"Key": "team", "Value": "blue"}]) is True
    assert can(Tags=[{"Key": "team", "Value": "red"}]) is False
    assert can() is False
    # Condition key names are case-insensitive ("IAM JSON policy elements: Condition"), so a
    # session tag "Team" is aws:PrincipalTag/team.
    assert can(Tags=[{"Key": "Team", "Value": "blue"}]) is True

    # Role tags are principal tags too; session tags override them.
    iam.tag_role(RoleName=role.name, Tags=[{"Key": "team", "Value": "blue"}])
    assert can() is True
    assert can(Tags=[{"Key": "team", "Value": "red"}]) is False


def test_session_tags_need_tag_session_in_the_trust_policy(server, iam):
    user = make_user(server, iam)
    role = make_role(iam, trust(user.arn))
    with pytest.raises(ClientError) as e:
        assume(user, role, Tags=[{"Key": "team", "Value": "blue"}])
    assert_error(e, "AccessDenied", 403, startswith=assume_denied_head(user.arn, role.arn, "sts:TagSession"))
    assume(user, role)
    # A trust policy may restrict the tags (aws:RequestTag / aws:TagKeys on sts:TagSession).
    iam.update_assume_role_policy(
        RoleName=role.name,
        PolicyDocument=doc(
            allow_principal(user.arn, "sts:AssumeRole"),
            allow_principal(user.arn, "sts:TagSession", {"StringEquals": {"aws:RequestTag/team": "blue"}}),
        ),
    )
    assume(user, role, Tags=[{"Key": "team", "Value": "blue"}])
    with pytest.raises(ClientError) as e:
        assume(user, role, Tags=[{"Key": "team", "Value": "red"}])
    assert_error(e, "AccessDenied", 403, startswith=assume_denied_head(user.arn, role.arn, "sts:TagSession"))


def allow_principal(principal: str, action: str, condition: dict | None = None) -> dict:
    st: dict[str, Any] = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": action}
    if condition:
        st["Condition"] = condition
    return st


# "Passing session tags in AWS STS", "Chaining roles with session tags": transitive tags pass to
# the next session in the chain; other session tags do not.
def test_transitive_session_tags_survive_role_chaining(server, iam, chain):
    user, a, b = chain
    iam.update_assume_role_policy(RoleName=a.name, PolicyDocument=trust(user.arn, ["sts:AssumeRole", "sts:TagSession"]))
    iam.put_role_policy(
        RoleName=b.name,
        PolicyName="inline",
        # Deny unless the session carries team=blue (IfExists: also when it has no team tag).
        PolicyDocument=doc(deny("iam:GetRole", condition={"StringNotEqualsIfExists": {"aws:PrincipalTag/team": "blue"}})),
    )
    tags = [{"Key": "team", "Value": "blue"}, {"Key": "cost", "Value": "42"}]
    with_transitive = session_creds(server, assume(user, a, Tags=tags, TransitiveTagKeys=["team"]))
    chained = session_creds(server, assume(with_transitive, b))
    chained.iam().get_role(RoleName=b.name)

    without = session_creds(server, assume(user, a, Tags=tags))
    chained2 = session_creds(server, assume(without, b))
    with pytest.raises(ClientError) as e:
        chained2.iam().get_role(RoleName=b.name)
    assert_error(e, "AccessDenied", 403, startswith=f"User: {chained2.arn} is not authorized to perform: iam:GetRole on resource: {iam_resource_label('iam:GetRole', b.arn)} with an explicit deny")


# "Monitor and control actions taken with assumed roles" (id_credentials_temp_control-access_monitor.html):
# setting SourceIdentity needs sts:SetSourceIdentity in the trust policy; the value is returned
# and becomes aws:SourceIdentity in the session's requests.
def test_source_identity(server, iam):
    user = make_user(server, iam)
    policy = doc(allow("iam:GetRole", condition={"StringEquals": {"aws:SourceIdentity": "alice"}}))
    role = make_role(iam, trust(user.arn), inline=policy)
    with pytest.raises(ClientError) as e:
        assume(user, role, SourceIdentity="alice")
    assert_error(e, "AccessDenied", 403, startswith=assume_denied_head(user.arn, role.arn, "sts:SetSourceIdentity"))

    iam.update_assume_role_policy(RoleName=role.name, PolicyDocument=trust(user.arn, ["sts:AssumeRole", "sts:SetSourceIdentity"]))
    resp = assume(user, role, SourceIdentity="alice")
    assert resp["SourceIdentity"] == "alice"
    session_creds(server, resp).iam().get_role(RoleName=role.name)
    other = session_creds(server, assume(user, role, SourceIdentity="bob"))
    assert not allowed(other.iam().get_role, RoleName=role.name)
    assert not allowed(session_creds(server, assume(user, role)).iam().get_role, RoleName=role.name)


# "AWS global condition context keys" as a role session sees them: aws:PrincipalType
# "AssumedRole", aws:PrincipalArn the role's ARN, aws:userid ROLEID:SESSION, no aws:username,
# aws:MultiFactorAuthPresent present and false, aws:TokenIssueTime present.
def test_global_condition_keys_of_a_role_session(server, iam):
    user = make_user(server, iam)
    role = make_role(iam, trust(user.arn))
    s = session_creds(server, assume(user, role, "keys"))
    client = s.iam()

    def under(condition: dict, effect: str = "Allow") -> bool:
        stmts = [allow("iam:GetRole", condition=condition if effect == "Allow" else None)]
        if effect == "Deny":
            stmts.append(deny("iam:GetRole", condition=condition))
        iam.put_role_policy(RoleName=role.name, PolicyName="inline", PolicyDocument=doc(*stmts))
        return allowed(client.get_role, RoleName=role.name)

    cases = [
        ({"StringEquals": {"aws:PrincipalType": "AssumedRole"}}, True),
        ({"StringEquals": {"aws:PrincipalType": "User"}}, False),
        ({"ArnEquals": {"aws:PrincipalArn": role.arn}}, True),
        ({"ArnEquals": {"aws:PrincipalArn": session_arn(role, "keys")}}, False),
        ({"StringEquals": {"aws:userid": f"{role.id}:keys"}}, True),
        ({"StringLike": {"aws:userid": "*:keys"}}, True),
        ({"Null": {"aws:username": "true"}}, True),
        ({"StringEquals": {"aws:PrincipalAccount": ACCOUNT_ID}}, True),
        ({"Bool": {"aws:MultiFactorAuthPresent": "false"}}, True),
        ({"Bool": {"aws:MultiFactorAuthPresent": "true"}}, False),
        ({"Null": {"aws:TokenIssueTime": "false"}}, True),
        ({"DateGreaterThan": {"aws:TokenIssueTime": "2000-01-01T00:00:00Z"}}, True),
        ({"DateLessThan": {"aws:TokenIssueTime": "2000-01-01T00:00:00Z"}}, False),
        ({"IpAddress": {"aws:SourceIp": "127.0.0.1/32"}}, True),
        ({"Bool": {"aws:SecureTransport": "false"}}, True),
    ]
    failures = [(c, want) for c, want in cases if under(c) is not want]
    assert not failures, f"conditions decided wrongly for a role session (condition, expected allow): {failures}"
    # The MFA deny pattern: "Bool aws:MultiFactorAuthPresent false" denies a session without MFA.
    assert under({"Bool": {"aws:MultiFactorAuthPresent": "false"}}, effect="Deny") is False


# ---------------------------------------------------------------------------------------
# Tampered and foreign tokens
# ---------------------------------------------------------------------------------------


# "Common Errors": InvalidClientTokenId "The X.509 certificate or AWS access key ID provided does
# not exist in our records" — for a session, a token that does not belong to the key answers
# "The security token included in the request is invalid."
def test_tampered_session_token_is_refused(server, iam):
    user = make_user(server, iam)
    role = make_role(iam, trust(user.arn), inline=doc(allow("iam:GetRole")))
    s = session_creds(server, assume(user, role))
    other = session_creds(server, assume(user, role))
    s.iam().get_role(RoleName=role.name)

    t = s.token
    i = len(t) // 2
    flipped = t[:i] + ("A" if t[i] != "A" else "B") + t[i + 1 :]
    for bad in (flipped, t[:-4], t + "AAAA", other.token, "garbage"):
        forged = Creds(server, s.key_id, s.secret, bad)
        with pytest.raises(ClientError) as e:
            forged.iam().get_role(RoleName=role.name)
        assert_error(e, "InvalidClientTokenId", 403, INVALID_TOKEN)
        with pytest.raises(ClientError) as e:
            forged.sts().get_caller_identity()
        assert_error(e, "InvalidClientTokenId", 403, INVALID_TOKEN)

    # The session key without any token.
    with pytest.raises(ClientError) as e:
        Creds(server, s.key_id, s.secret, None).sts().get_caller_identity()
    assert_error(e, "InvalidClientTokenId", 403, INVALID_TOKEN)
    # A token with a long-term key.
    with pytest.raises(ClientError) as e:
        Creds(server, user.key_id, user.secret, s.token).sts().get_caller_identity()
    assert_error(e, "InvalidClientTokenId", 403, INVALID_TOKEN)
    # The right token with the wrong secret: the signature does not match.
    with pytest.raises(ClientError) as e:
        Creds(server, s.key_id, other.secret, s.token).sts().get_caller_identity()
    assert_error(e, "SignatureDoesNotMatch", 403)


# ---------------------------------------------------------------------------------------
# GetSessionToken
# ---------------------------------------------------------------------------------------


# GetSessionToken: "from 900 seconds (15 minutes) to 129,600 seconds (36 hours), with 43,200
# seconds (12 hours) as the default"; the credentials act as the same user (GetCallerIdentity
# returns the user). "No permissions are required for users to perform this operation."
def test_get_session_token(server, iam):
    user = make_user(server, iam)
    resp = user.sts().get_session_token()
    assert_session_credentials(resp["Credentials"])
    assert_expires_in(resp["Credentials"], 43200)
    assert_expires_in(user.sts().get_session_token(DurationSeconds=900)["Credentials"], 900)
    assert_expires_in(user.sts().get_session_token(DurationSeconds=129600)["Credentials"], 129600)
    s = session_creds(server, resp)
    who = s.sts().get_caller_identity()
    uid = iam.get_user(UserName=name_of(user))["User"]["UserId"]
    assert (who["Arn"], who["UserId"], who["Account"]) == (user.arn, uid, ACCOUNT_ID)


@pytest.mark.parametrize(
    "duration,message",
    [
        (899, "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"),
        (129601, "1 validation error detected: Value '129601' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 129600"),
    ],
)
def test_get_session_token_duration_limits(server, iam, duration, message):
    user = make_user(server, iam)
    with pytest.raises(ClientError) as e:
        user.sts(validate=False).get_session_token(DurationSeconds=duration)
    assert_error(e, "ValidationError", 400, message)


# GetSessionToken: "Sessions for AWS account owners are restricted to a maximum of 3,600 seconds
# (one hour). If the duration is longer than one hour, the session for AWS account owners
# defaults to one hour." GetCallerIdentity then returns the root user.
def test_get_session_token_of_root_lasts_one_hour(server, sts):
    resp = sts.get_session_token()
    assert_expires_in(resp["Credentials"], 3600)
    assert_expires_in(sts.get_session_token(DurationSeconds=7200)["Credentials"], 3600)
    assert_expires_in(sts.get_session_token(DurationSeconds=900)["Credentials"], 900)
    who = session_creds(server, resp).sts().get_caller_identity()
    assert (who["Arn"], who["Account"]) == (ROOT_ARN, ACCOUNT_ID)


# GetSessionToken: credentials obtained without MFA "cannot call IAM API operations unless MFA
# authentication information is included in the request" and "cannot call any AWS STS API except
# AssumeRole or GetCallerIdentity"; and "Cannot call GetSessionToken with session credentials".
def test_get_session_token_credentials_without_mfa(server, iam):
    user = make_user(server, iam, managed=(READ_ONLY,), inline=doc(allow("sts:*")))
    role = make_role(iam, trust(user.arn))
    user.iam().list_users(MaxItems=1)  # the long-term key may
    s = session_creds(server, user.sts().get_session_token(DurationSeconds=900))
    with pytest.raises(ClientError) as e:
        s.iam().get_user(UserName=name_of(user))
    # What AWS answers (aws-vault issue #328, an IAM call with such credentials): the token is
    # not one IAM accepts.
    assert_error(e, "InvalidClientTokenId", 403, "The security token included in the request is invalid")
    assert s.sts().get_caller_identity()["Arn"] == user.arn
    resp = s.sts().assume_role(RoleArn=role.arn, RoleSessionName="from-gst")
    assert resp["AssumedRoleUser"]["Arn"] == session_arn(role, "from-gst")
    with pytest.raises(ClientError) as e:
        s.sts().get_session_token()
    assert_error(e, "AccessDenied", 403, "Cannot call GetSessionToken with session credentials")
    with pytest.raises(ClientError) as e:
        s.sts().get_federation_token(Name="fed", Policy=doc(allow("*")))
    assert_error(e, "AccessDenied", 403)
    with pytest.raises(ClientError) as e:
        s.sts().get_access_key_info(AccessKeyId=user.key_id)
    assert_error(e, "AccessDenied", 403)


# ---------------------------------------------------------------------------------------
# GetFederationToken
# ---------------------------------------------------------------------------------------


# GetFederationToken: the federated user is arn:aws:sts::ACCOUNT:federated-user/NAME with id
# ACCOUNT:NAME. "You cannot call any IAM operations using the AWS CLI or the AWS API. You cannot
# call any AWS STS operations except GetCallerIdentity" (the Permissions section), whatever the
# user's and the session's policies allow; Castellan serves only IAM and STS, so the
# intersection of those policies has nothing else to show here.
def test_get_federation_token_credentials_call_only_get_caller_identity(server, iam):
    user = make_user(server, iam, inline=doc(allow(["sts:*", "iam:*"])))
    target = make_user(server, iam)
    role = make_role(iam, trust(ROOT_ARN))
    fed_name = unique("fed")[:32]
    resp = user.sts().get_federation_token(Name=fed_name, Policy=doc(allow("*")))
    assert_session_credentials(resp["Credentials"])
    assert_expires_in(resp["Credentials"], 43200)
    fed_arn = f"arn:aws:sts::{ACCOUNT_ID}:federated-user/{fed_name}"
    assert resp["FederatedUser"] == {"Arn": fed_arn, "FederatedUserId": f"{ACCOUNT_ID}:{fed_name}"}
    assert isinstance(resp["PackedPolicySize"], int)
    f = session_creds(server, resp)
    who = f.sts().get_caller_identity()
    assert (who["Arn"], who["UserId"], who["Account"]) == (fed_arn, f"{ACCOUNT_ID}:{fed_name}", ACCOUNT_ID)
    with pytest.raises(ClientError) as e:
        f.iam().get_user(UserName=name_of(target))
    assert_error(e, "InvalidClientTokenId", 403)
    with pytest.raises(ClientError) as e:
        assume(f, role)
    assert_error(e, "AccessDenied", 403)
    with pytest.raises(ClientError) as e:
        f.sts().get_federation_token(Name="again", Policy=doc(allow("*")))
    assert_error(e, "AccessDenied", 403, "Cannot call GetFederationToken with session credentials")
    with pytest.raises(ClientError) as e:
        f.sts().get_session_token()
    assert_error(e, "AccessDenied", 403, "Cannot call GetSessionToken with session credentials")

    # Managed session policies (PolicyArns) are accepted the same way.
    ro = session_creds(server, user.sts().get_federation_token(Name="fed-ro", PolicyArns=[{"arn": READ_ONLY}]))
    assert ro.sts().get_caller_identity()["Arn"].endswith("federated-user/fed-ro")


def test_get_federation_token_without_a_policy(server, iam):
    user = make_user(server, iam, inline=doc(allow(["sts:GetFederationToken", "iam:*"])))
    resp = user.sts().get_federation_token(Name="nopolicy")
    # AWS sends PackedPolicySize 0 without a session policy (recorded from AWS: localstack
    # tests/aws/services/sts/test_sts.snapshot.json, "get-federation-token").
    assert resp["PackedPolicySize"] == 0
    f = session_creds(server, resp)
    fed_arn = f"arn:aws:sts::{ACCOUNT_ID}:federated-user/nopolicy"
    # GetCallerIdentity needs no permission.
    assert f.sts().get_caller_identity()["Arn"] == fed_arn


# "Permissions for GetFederationToken" (id_credentials_temp_control-access_getfederationtoken.html):
# the caller needs sts:GetFederationToken, and the Resource may limit the federated user names
# (arn:aws:sts::ACCOUNT:federated-user/NAME, the resource type "federated-user" in the Service
# Authorization Reference).
def test_get_federation_token_needs_permission_for_the_name(server, iam):
    fed = f"arn:aws:sts::{ACCOUNT_ID}:federated-user"
    scoped = make_user(server, iam, inline=doc(allow("sts:GetFederationToken", f"{fed}/app-*")))
    resp = scoped.sts().get_federation_token(Name="app-1", Policy=doc(allow("*")))
    assert resp["FederatedUser"]["Arn"] == f"{fed}/app-1"
    with pytest.raises(ClientError) as e:
        scoped.sts().get_federation_token(Name="other", Policy=doc(allow("*")))
    assert_error(e, "AccessDenied", 403, denied_msg(scoped.arn, "sts:GetFederationToken", f"{fed}/other", "identity"))

    no_perm = make_user(server, iam)
    with pytest.raises(ClientError) as e:
        no_perm.sts().get_federation_token(Name="app-1", Policy=doc(allow("*")))
    assert_error(e, "AccessDenied", 403, denied_msg(no_perm.arn, "sts:GetFederationToken", f"{fed}/app-1", "identity"))


# ---------------------------------------------------------------------------------------
# GetCallerIdentity, GetAccessKeyInfo
# ---------------------------------------------------------------------------------------


# GetCallerIdentity: "No permissions are required to perform this operation. If an administrator
# attaches a policy to your identity that explicitly denies access to the sts:GetCallerIdentity
# action, you can still perform this operation."
def test_get_caller_identity_needs_no_permission(server, iam, sts):
    user = make_user(server, iam, inline=doc(deny("*")))
    who = user.sts().get_caller_identity()
    uid = iam.get_user(UserName=name_of(user))["User"]["UserId"]
    assert (who["Arn"], who["UserId"], who["Account"]) == (user.arn, uid, ACCOUNT_ID)
    root = sts.get_caller_identity()
    assert (root["Arn"], root["UserId"], root["Account"]) == (ROOT_ARN, ACCOUNT_ID, ACCOUNT_ID)


# GetAccessKeyInfo: "Returns the account identifier for the specified access key ID", for
# long-term (AKIA) and temporary (ASIA) keys; the caller needs sts:GetAccessKeyInfo.
def test_get_access_key_info(server, iam, sts):
    user = make_user(server, iam)
    role = make_role(iam, trust(user.arn))
    s = session_creds(server, assume(user, role))
    assert sts.get_access_key_info(AccessKeyId=user.key_id)["Account"] == ACCOUNT_ID
    with pytest.raises(ClientError) as e:
        user.sts().get_access_key_info(AccessKeyId=user.key_id)
    assert_error(e, "AccessDenied", 403, startswith=f"User: {user.arn} is not authorized to perform: sts:GetAccessKeyInfo")
    iam.put_user_policy(UserName=name_of(user), PolicyName="inline", PolicyDocument=doc(allow("sts:GetAccessKeyInfo")))
    assert user.sts().get_access_key_info(AccessKeyId=user.key_id)["Account"] == ACCOUNT_ID
    # A temporary (ASIA) key id, asked by someone other than its session.
    assert sts.get_access_key_info(AccessKeyId=s.key_id)["Account"] == ACCOUNT_ID
    assert user.sts().get_access_key_info(AccessKeyId=s.key_id)["Account"] == ACCOUNT_ID


# ---------------------------------------------------------------------------------------
# The aws CLI and boto3 assume the role themselves from a profile
# ---------------------------------------------------------------------------------------


@pytest.fixture
def role_profiles(server, iam, tmp_path):
    """A config/credentials pair: profile `base` (a user's keys) and profiles that assume a role
    with ExternalId (`assumer`), with a wrong one (`wrong-external`) and for too long (`too-long`)."""
    user = make_user(server, iam)
    role = make_role(
        iam,
        trust(user.arn, condition={"StringEquals": {"sts:ExternalId": "ext-1234"}}),
        managed=(READ_ONLY,),
    )
    cfg = configparser.ConfigParser()
    cfg["default"] = {"region": REGION}
    cfg["profile base"] = {"region": REGION}
    common = {"role_arn": role.arn, "source_profile": "base", "region": REGION}
    cfg["profile assumer"] = dict(common, external_id="ext-1234", role_session_name="cli-session")
    cfg["profile assumer-default-name"] = dict(common, external_id="ext-1234")
    cfg["profile wrong-external"] = dict(common, external_id="ext-9999", role_session_name="xx")
    cfg["profile no-external"] = dict(common, role_session_name="xx")
    cfg["profile too-long"] = dict(common, external_id="ext-1234", role_session_name="xx", duration_seconds="7200")
    creds = configparser.ConfigParser()
    creds["base"] = {"aws_access_key_id": user.key_id, "aws_secret_access_key": user.secret}
    config_file, creds_file = tmp_path / "config", tmp_path / "credentials"
    with open(config_file, "w") as fh:
        cfg.write(fh)
    with open(creds_file, "w") as fh:
        creds.write(fh)
    env = {
        "AWS_CONFIG_FILE": str(config_file),
        "AWS_SHARED_CREDENTIALS_FILE": str(creds_file),
        "AWS_ENDPOINT_URL": server.endpoint,
        "AWS_PAGER": "",
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    return role, env


def run_cli(env_extra: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "-m", "awscli", *args, "--output", "json"],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


# AWS CLI User Guide, "Use an IAM role in the AWS CLI": a profile with role_arn, source_profile
# and external_id makes the CLI call sts:AssumeRole itself and use the session.
def test_aws_cli_profile_assumes_the_role(role_profiles):
    role, env = role_profiles
    res = run_cli(env, "sts", "get-caller-identity", "--profile", "assumer")
    assert res.returncode == 0, res.stderr
    who = json.loads(res.stdout)
    assert who["Arn"] == session_arn(role, "cli-session")
    assert who["UserId"] == f"{role.id}:cli-session"
    assert who["Account"] == ACCOUNT_ID
    # The session has the role's permissions (IAMReadOnlyAccess).
    res = run_cli(env, "iam", "get-role", "--role-name", role.name, "--profile", "assumer")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["Role"]["Arn"] == role.arn
    res = run_cli(env, "iam", "create-user", "--user-name", unique("notmade"), "--profile", "assumer")
    assert res.returncode != 0 and "AccessDenied" in res.stderr, res.stderr
    # Without role_session_name the CLI names the session itself (botocore-session-<time>).
    res = run_cli(env, "sts", "get-caller-identity", "--profile", "assumer-default-name")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["Arn"].startswith(f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role.name}/botocore-session-")


def test_aws_cli_profile_refusals(role_profiles):
    role, env = role_profiles
    for profile in ("wrong-external", "no-external"):
        res = run_cli(env, "sts", "get-caller-identity", "--profile", profile)
        assert res.returncode != 0, res.stdout
        assert "AccessDenied" in res.stderr and "sts:AssumeRole" in res.stderr, res.stderr
    res = run_cli(env, "sts", "get-caller-identity", "--profile", "too-long")
    assert res.returncode != 0, res.stdout
    assert MAX_DURATION in res.stderr, res.stderr


# boto3 credentials guide, "Assume role provider": the same profiles through boto3.Session.
def test_boto3_profile_assumes_the_role(role_profiles, monkeypatch):
    role, env = role_profiles
    for k in list(os.environ):
        if k.startswith("AWS_"):
            monkeypatch.delenv(k)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    cfg = Config(retries={"total_max_attempts": 1, "mode": "standard"})
    session = boto3.Session(profile_name="assumer")
    who = session.client("sts", config=cfg).get_caller_identity()
    assert who["Arn"] == session_arn(role, "cli-session")
    assert session.client("iam", config=cfg).get_role(RoleName=role.name)["Role"]["Arn"] == role.arn
    frozen = session.get_credentials().get_frozen_credentials()
    assert SESSION_KEY_RE.match(frozen.access_key) and frozen.token

    with pytest.raises(ClientError) as e:
        boto3.Session(profile_name="wrong-external").client("sts", config=cfg).get_caller_identity()
    assert_error(e, "AccessDenied", 403, startswith=f"User: arn:aws:iam::{ACCOUNT_ID}:user/")


# ---------------------------------------------------------------------------------------
# Cross-account
# ---------------------------------------------------------------------------------------


@dataclasses.dataclass
class TwoAccounts:
    server: Any
    iam_a: Any  # root of ACCOUNT_ID, which owns the roles
    iam_b: Any  # root of OTHER_ACCOUNT, whose users assume them
    root_b: tuple[str, str]  # its root access key id and secret


@pytest.fixture(scope="module")
def accounts(server_factory, tmp_path_factory) -> TwoAccounts:
    """A server on a data directory with a second account made by `castellan account create`."""
    data = tmp_path_factory.mktemp("xacct")
    srv = server_factory(data_dir=data)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CASTELLAN_"))}
    res = subprocess.run(
        [str(castellan_bin()), "account", "create", "--id", OTHER_ACCOUNT, "--data-dir", str(data)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 0, f"account create failed: {res.stdout}\n{res.stderr}"
    key = re.search(r"aws_access_key_id\s*=\s*(\S+)", res.stdout)
    secret = re.search(r"aws_secret_access_key\s*=\s*(\S+)", res.stdout)
    assert key and secret, res.stdout
    iam_b = srv.iam(access_key=key.group(1), secret_key=secret.group(1))
    deadline = time.monotonic() + 10
    while True:
        try:
            arn = iam_b.get_user()["User"]["Arn"]
            break
        except ClientError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    assert arn == f"arn:aws:iam::{OTHER_ACCOUNT}:root"
    return TwoAccounts(srv, srv.iam(), iam_b, (key.group(1), secret.group(1)))


# "Cross-account policy evaluation logic": "the requesting principal's identity-based policies
# must allow the request and the resource-based policy (the role's trust policy) must allow it
# too". Trust names account B, B's user has no identity policy: denied.
def test_cross_account_trust_allows_but_identity_policy_does_not(accounts):
    bob = make_user(accounts.server, accounts.iam_b)
    role = make_role(accounts.iam_a, trust(f"arn:aws:iam::{OTHER_ACCOUNT}:root"))
    with pytest.raises(ClientError) as e:
        assume(bob, role)
    assert_error(e, "AccessDenied", 403, startswith=assume_denied_head(bob.arn, role.arn))
    # Even a trust policy naming the user itself needs the user's own permission across accounts.
    direct = make_role(accounts.iam_a, trust(bob.arn))
    with pytest.raises(ClientError) as e:
        assume(bob, direct)
    assert_error(e, "AccessDenied", 403, startswith=assume_denied_head(bob.arn, direct.arn))


# Same page: B's identity policy allows, A's trust policy does not name B: denied.
def test_cross_account_identity_policy_allows_but_trust_does_not(accounts):
    role = make_role(accounts.iam_a, trust(ROOT_ARN))
    bob = make_user(accounts.server, accounts.iam_b, inline=doc(allow("sts:AssumeRole", role.arn)))
    with pytest.raises(ClientError) as e:
        assume(bob, role)
    assert_error(e, "AccessDenied", 403, startswith=assume_denied_head(bob.arn, role.arn))


# Both allow: the session is a principal of account A with the role's permissions there.
def test_cross_account_both_allow(accounts):
    a_user = make_user(accounts.server, accounts.iam_a)
    role = make_role(
        accounts.iam_a,
        trust(f"arn:aws:iam::{OTHER_ACCOUNT}:root", condition={"StringEquals": {"sts:ExternalId": "xacct-77"}}),
        inline=doc(allow("iam:GetUser")),
    )
    bob = make_user(accounts.server, accounts.iam_b, inline=doc(allow("sts:AssumeRole", role.arn)))
    with pytest.raises(ClientError) as e:
        assume(bob, role)  # without the external id
    assert_error(e, "AccessDenied", 403, startswith=assume_denied_head(bob.arn, role.arn))
    resp = assume(bob, role, "from-b", ExternalId="xacct-77")
    assert resp["AssumedRoleUser"]["Arn"] == session_arn(role, "from-b")
    s = session_creds(accounts.server, resp)
    who = s.sts().get_caller_identity()
    assert (who["Arn"], who["Account"]) == (session_arn(role, "from-b"), ACCOUNT_ID)
    # It acts in account A: A's user is visible, and B's user is not A's.
    assert s.iam().get_user(UserName=name_of(a_user))["User"]["Arn"] == a_user.arn
    with pytest.raises(ClientError) as e:
        s.iam().get_user(UserName=name_of(bob))
    assert_error(e, "NoSuchEntity", 404)
    # A trust policy naming the user directly works the same when B's policy allows.
    direct = make_role(accounts.iam_a, trust(bob.arn))
    accounts.iam_b.put_user_policy(UserName=name_of(bob), PolicyName="inline", PolicyDocument=doc(allow("sts:AssumeRole", [role.arn, direct.arn])))
    assume(bob, direct)
    # GetAccessKeyInfo tells which account a key belongs to.
    assert accounts.server.sts().get_access_key_info(AccessKeyId=bob.key_id)["Account"] == OTHER_ACCOUNT


# The root user of another account may not assume roles either.
def test_cross_account_root_cannot_assume(accounts):
    role = make_role(accounts.iam_a, trust(f"arn:aws:iam::{OTHER_ACCOUNT}:root"))
    sts_b = accounts.server.sts(access_key=accounts.root_b[0], secret_key=accounts.root_b[1])
    with pytest.raises(ClientError) as e:
        sts_b.assume_role(RoleArn=role.arn, RoleSessionName="root")
    assert_error(e, "AccessDenied", 403, "Roles may not be assumed by root accounts.")
