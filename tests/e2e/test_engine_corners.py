"""The policy engine's corner cases and IAM's own rules above it, through a real server.

The full table of cases, each with its source, is data in
crates/policy/tests/evaluation/corner_cases.json; these tests show the same rules at work on
real requests signed by boto3.
"""

import json

import pytest
from botocore.exceptions import ClientError

from castellan_e2e import ACCOUNT_ID, EC2_TRUST_POLICY, assert_error, dumps, unique

READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"


def user_client(server, iam, statements, tags=None):
    """A new user with an inline policy and optional tags; returns (name, IAM client)."""
    user = unique("corner")
    iam.create_user(UserName=user, Tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()])
    iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=dumps({"Version": "2012-10-17", "Statement": statements}))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    return user, server.iam(access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])


# IAM User Guide, "IAM JSON policy elements: Condition operators", Boolean condition
# operators: "You can use a policy variable with the Boolean condition operator."
# aws:SecureTransport is "false" here: the test server speaks plain HTTP.
def test_bool_takes_a_policy_variable(server, iam):
    stmt = [
        {
            "Effect": "Allow",
            "Action": "iam:GetUser",
            "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "${aws:PrincipalTag/secure}"}},
        }
    ]
    plain, as_plain = user_client(server, iam, stmt, tags={"secure": "false"})
    assert as_plain.get_user(UserName=plain)["User"]["UserName"] == plain
    strict, as_strict = user_client(server, iam, stmt, tags={"secure": "true"})
    with pytest.raises(ClientError) as e:
        as_strict.get_user(UserName=strict)
    assert_error(e, "AccessDenied", 403)
    # Without the tag the variable has no value and the condition never matches.
    _, as_untagged = user_client(server, iam, stmt)
    with pytest.raises(ClientError) as e:
        as_untagged.get_user(UserName=plain)
    assert_error(e, "AccessDenied", 403)


# Same page, Numeric condition operators: "You can not use a policy variable with the Numeric
# condition operator." The text stays text, and no number equals it.
def test_numeric_operators_take_no_policy_variable(server, iam):
    stmt = [
        {
            "Effect": "Allow",
            "Action": "iam:GetUser",
            "Resource": "*",
            "Condition": {"NumericLessThanEquals": {"aws:EpochTime": "${aws:PrincipalTag/until}"}},
        }
    ]
    user, client = user_client(server, iam, stmt, tags={"until": "99999999999"})
    with pytest.raises(ClientError) as e:
        client.get_user(UserName=user)
    assert_error(e, "AccessDenied", 403)
    # The same condition with the value written out allows: only the variable is refused.
    stmt[0]["Condition"] = {"NumericLessThanEquals": {"aws:EpochTime": "99999999999"}}
    literal, client = user_client(server, iam, stmt)
    assert client.get_user(UserName=literal)["User"]["UserName"] == literal


# IAM User Guide, "Single-valued vs. multivalued context keys": ForAnyValue "returns false if
# there are no context keys in the request". With IfExists too, as observed on AWS (re:Post,
# "ForAnyValue:StringEqualsIfExists behaving unexpectedly": a role allowed sqs:* only under
# ForAnyValue:StringEqualsIfExists on aws:TagKeys was denied ListQueues, which has no tags).
def test_for_any_value_if_exists_without_the_key_is_false(server, iam):
    stmt = [
        {
            "Effect": "Allow",
            "Action": ["iam:GetUser", "iam:TagUser"],
            "Resource": "*",
            "Condition": {"ForAnyValue:StringEqualsIfExists": {"aws:TagKeys": ["team"]}},
        }
    ]
    user, client = user_client(server, iam, stmt)
    with pytest.raises(ClientError) as e:
        client.get_user(UserName=user)  # no aws:TagKeys in the request
    assert_error(e, "AccessDenied", 403)
    # A request that carries the key is decided on its values.
    client.tag_user(UserName=user, Tags=[{"Key": "team", "Value": "x"}])
    with pytest.raises(ClientError) as e:
        client.tag_user(UserName=user, Tags=[{"Key": "cost", "Value": "x"}])
    assert_error(e, "AccessDenied", 403)


# IAM User Guide, "AWS JSON policy elements: NotPrincipal": NotPrincipal with Allow grants
# every principal except those named. Same-account, a resource-based policy that covers the
# caller itself grants by itself ("Policy evaluation logic"); the simulator's
# ResourcePolicy shows it with no identity-based policy at all.
def test_not_principal_with_allow_grants_by_itself(iam):
    resource_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                # To leave a user out, list the user and its account, as for NotPrincipal
                # with Deny (same page): AWS checks every identity of the caller.
                "NotPrincipal": {"AWS": [f"arn:aws:iam::{ACCOUNT_ID}:user/bob", f"arn:aws:iam::{ACCOUNT_ID}:root"]},
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::corner-bucket/*",
            }
        ],
    }

    def decide(caller):
        r = iam.simulate_custom_policy(
            PolicyInputList=[dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:PutObject", "Resource": "*"}]})],
            ActionNames=["s3:GetObject"],
            ResourceArns=["arn:aws:s3:::corner-bucket/key"],
            ResourcePolicy=dumps(resource_policy),
            ResourceOwner=f"arn:aws:iam::{ACCOUNT_ID}:root",
            CallerArn=f"arn:aws:iam::{ACCOUNT_ID}:user/{caller}",
        )
        return r["EvaluationResults"][0]["EvalDecision"]

    assert decide("alice") == "allowed"
    assert decide("bob") == "implicitDeny"


# IAM User Guide, "AWS managed policies": "You cannot change the permissions defined in AWS
# managed policies." AWS managed policies are owned by AWS's account, so the caller's own
# policies cannot allow it: AccessDenied, 403, for the root user and an administrator alike.
# The message is IAM's AccessDenied form; its exact text for this case is not confirmed.
@pytest.mark.parametrize("who", ["root", "admin"])
def test_nobody_changes_an_aws_managed_policy(server, iam, who):
    if who == "root":
        client, arn = iam, f"arn:aws:iam::{ACCOUNT_ID}:root"
    else:
        user, client = user_client(server, iam, [{"Effect": "Allow", "Action": "*", "Resource": "*"}])
        arn = f"arn:aws:iam::{ACCOUNT_ID}:user/{user}"
    doc = dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
    before = iam.get_policy(PolicyArn=READ_ONLY)["Policy"]
    versions = iam.list_policy_versions(PolicyArn=READ_ONLY)["Versions"]
    calls = [
        ("iam:CreatePolicyVersion", lambda: client.create_policy_version(PolicyArn=READ_ONLY, PolicyDocument=doc, SetAsDefault=True)),
        ("iam:SetDefaultPolicyVersion", lambda: client.set_default_policy_version(PolicyArn=READ_ONLY, VersionId="v1")),
        ("iam:DeletePolicyVersion", lambda: client.delete_policy_version(PolicyArn=READ_ONLY, VersionId="v1")),
        ("iam:DeletePolicy", lambda: client.delete_policy(PolicyArn=READ_ONLY)),
        ("iam:TagPolicy", lambda: client.tag_policy(PolicyArn=READ_ONLY, Tags=[{"Key": "a", "Value": "b"}])),
        ("iam:UntagPolicy", lambda: client.untag_policy(PolicyArn=READ_ONLY, TagKeys=["a"])),
    ]
    for action, call in calls:
        with pytest.raises(ClientError) as e:
            call()
        assert_error(e, "AccessDenied", 403, f"User: {arn} is not authorized to perform: {action} on resource: {READ_ONLY}")
    # Nothing changed, and reading and attaching it work as before.
    assert client.get_policy(PolicyArn=READ_ONLY)["Policy"] == before
    assert client.list_policy_versions(PolicyArn=READ_ONLY)["Versions"] == versions
    assert iam.list_policy_tags(PolicyArn=READ_ONLY)["Tags"] == []
    holder = unique("holder")
    iam.create_user(UserName=holder)
    client.attach_user_policy(UserName=holder, PolicyArn=READ_ONLY)
    assert [p["PolicyArn"] for p in iam.list_attached_user_policies(UserName=holder)["AttachedPolicies"]] == [READ_ONLY]


# AWS IAM Identity Center's roles live under /aws-reserved/sso.amazonaws.com/ and nobody
# changes them through IAM: AWS answers UnmodifiableEntity, 400, "Cannot perform the
# operation on the protected role '…' - this role is only modifiable by AWS" (seen from AWS
# in rebuy-de/aws-nuke issues #441 and #1028: DeleteRole, DetachRolePolicy; and
# perkbox/cloud-access-bot issue #11: PutRolePolicy). In Castellan such a role comes from
# CreateRole with that path, standing in for Identity Center's provisioning.
def test_nobody_changes_an_aws_reserved_role(server, iam):
    role = unique("AWSReservedSSO_Admin")
    created = iam.create_role(RoleName=role, Path="/aws-reserved/sso.amazonaws.com/", AssumeRolePolicyDocument=dumps(EC2_TRUST_POLICY))
    assert created["Role"]["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:role/aws-reserved/sso.amazonaws.com/{role}"
    _, admin = user_client(server, iam, [{"Effect": "Allow", "Action": "*", "Resource": "*"}])
    doc = dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
    message = f"Cannot perform the operation on the protected role '{role}' - this role is only modifiable by AWS"
    for client in (iam, admin):
        for call in (
            lambda: client.delete_role(RoleName=role),
            lambda: client.put_role_policy(RoleName=role, PolicyName="p", PolicyDocument=doc),
            lambda: client.delete_role_policy(RoleName=role, PolicyName="p"),
            lambda: client.attach_role_policy(RoleName=role, PolicyArn=READ_ONLY),
            lambda: client.detach_role_policy(RoleName=role, PolicyArn=READ_ONLY),
            lambda: client.update_assume_role_policy(RoleName=role, PolicyDocument=dumps(EC2_TRUST_POLICY)),
            lambda: client.put_role_permissions_boundary(RoleName=role, PermissionsBoundary=READ_ONLY),
            lambda: client.delete_role_permissions_boundary(RoleName=role),
            lambda: client.update_role(RoleName=role, MaxSessionDuration=7200),
            lambda: client.update_role_description(RoleName=role, Description="mine now"),
            lambda: client.tag_role(RoleName=role, Tags=[{"Key": "a", "Value": "b"}]),
            lambda: client.untag_role(RoleName=role, TagKeys=["a"]),
        ):
            with pytest.raises(ClientError) as e:
                call()
            assert_error(e, "UnmodifiableEntity", 400, message)
    got = iam.get_role(RoleName=role)["Role"]
    assert got["Path"] == "/aws-reserved/sso.amazonaws.com/"
    assert json.loads(json.dumps(got["AssumeRolePolicyDocument"])) == EC2_TRUST_POLICY
    assert iam.list_role_policies(RoleName=role)["PolicyNames"] == []
    assert iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"] == []
