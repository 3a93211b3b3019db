"""Attacks on the HTTP edge, each test named after the attack it stops.

* Region spoofing: `aws:RequestedRegion` is the region of the endpoint called, not the
  region a client chose to sign with.
* Connection exhaustion: idle sockets, half-sent headers, trickled bodies and too many
  connections must neither exhaust the server nor stall signed requests.
* Oversized bodies are refused with an AWS error envelope, not plain text.
"""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from castellan_e2e import ACCOUNT_ID, assert_error, dumps, unique


# ---------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------


def user_with_policy(iam, statements: list[dict]) -> tuple[str, str, str]:
    """A new user whose only (inline) policy has `statements`; (name, key id, secret)."""
    name = unique("edge")
    iam.create_user(UserName=name)
    iam.put_user_policy(
        UserName=name,
        PolicyName="p",
        PolicyDocument=dumps({"Version": "2012-10-17", "Statement": statements}),
    )
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return name, key["AccessKeyId"], key["SecretAccessKey"]


ALLOW_ALL = {"Effect": "Allow", "Action": "*", "Resource": "*"}


def deny_all_when(operator: str, region: str) -> dict:
    return {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {operator: {"aws:RequestedRegion": region}}}


# ---------------------------------------------------------------------------------------
# (5) aws:RequestedRegion
# ---------------------------------------------------------------------------------------


def test_region_spoofing_iam_call_signed_for_other_region_is_requested_in_us_east_1(server, iam):
    """Signing an IAM call for another region does not change `aws:RequestedRegion`.

    IAM User Guide, "AWS global condition context keys", aws:RequestedRegion: "Some global
    services, such as IAM, have a single endpoint. Because this endpoint is physically located
    in the US East (N. Virginia) Region, IAM calls are always made to the us-east-1 Region."
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html).

    So a Deny on "not us-east-1" never fires for IAM, a Deny on "eu-west-1" does not fire for
    an IAM call signed for eu-west-1, and a Deny on "us-east-1" does (the key is present: "This
    key is always included in the request context").
    """
    for region in ("eu-west-1", "ap-southeast-2", "us-east-1"):
        # Deny unless us-east-1: IAM is always us-east-1, so the Allow stands.
        _, key, secret = user_with_policy(iam, [ALLOW_ALL, deny_all_when("StringNotEquals", "us-east-1")])
        assert "Users" in server.iam(region=region, access_key=key, secret_key=secret).list_users(MaxItems=1)
        resp = server.raw({"Action": "ListUsers", "Version": "2010-05-08", "MaxItems": "1"}, region=region, access_key=key, secret_key=secret)
        assert resp.status == 200, resp

    # Deny in eu-west-1: an IAM call signed for eu-west-1 was still made to us-east-1.
    _, key, secret = user_with_policy(iam, [ALLOW_ALL, deny_all_when("StringEquals", "eu-west-1")])
    assert "Users" in server.iam(region="eu-west-1", access_key=key, secret_key=secret).list_users(MaxItems=1)
    resp = server.raw({"Action": "ListUsers", "Version": "2010-05-08", "MaxItems": "1"}, region="eu-west-1", access_key=key, secret_key=secret)
    assert resp.status == 200, resp

    # Deny in us-east-1: fires whatever region the IAM call was signed for.
    name, key, secret = user_with_policy(iam, [ALLOW_ALL, deny_all_when("StringEquals", "us-east-1")])
    with pytest.raises(ClientError) as err:
        server.iam(region="eu-west-1", access_key=key, secret_key=secret).list_users(MaxItems=1)
    assert_error(err, "AccessDenied", 403, contains="with an explicit deny in an identity-based policy")


def test_region_spoofing_sts_call_is_requested_in_the_region_signed_for(server, iam):
    """STS has regional endpoints; Castellan's endpoint stands for the one the client chose,
    the region it signed for. A Deny on eu-west-1 fires for STS signed for eu-west-1 only."""
    role = unique("edge-role")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}, "Action": "sts:AssumeRole"}]}
    arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    _, key, secret = user_with_policy(iam, [ALLOW_ALL, deny_all_when("StringEquals", "eu-west-1")])
    with pytest.raises(ClientError) as err:
        server.sts(region="eu-west-1", access_key=key, secret_key=secret).assume_role(RoleArn=arn, RoleSessionName="edge")
    assert_error(err, "AccessDenied", 403)
    creds = server.sts(region="eu-central-1", access_key=key, secret_key=secret).assume_role(RoleArn=arn, RoleSessionName="edge")
    assert creds["Credentials"]["AccessKeyId"].startswith("ASIA")


@pytest.mark.parametrize("service,version", [("iam", "2010-05-08"), ("sts", "2011-06-15")])
def test_region_spoofing_credential_scoped_to_a_region_that_does_not_exist_is_refused(server, service, version):
    """A credential scope must name a real region of AWS's commercial partition. AWS answers a
    scope naming a region it does not serve with `SignatureDoesNotMatch` (403) "Credential
    should be scoped to a valid region, not 'REGION'. " (as quoted in aws/aws-sdk-go#156,
    JuliaCloud/AWS.jl#565 for IAM; cognitect-labs/aws-api#27 for STS, with the status 403 in
    namecheap/node-vault-client#25)."""
    action = "ListUsers" if service == "iam" else "GetCallerIdentity"
    resp = server.raw({"Action": action, "Version": version}, region="xx-fake-9", service=service)
    assert resp.status == 403, resp
    assert resp.find("Error/Code") == "SignatureDoesNotMatch", resp
    assert resp.find("Error/Message") == "Credential should be scoped to a valid region, not 'xx-fake-9'. ", resp
    # boto3 configured for the fake region is refused the same way.
    with pytest.raises(ClientError) as err:
        c = server.client(service, region="xx-fake-9")
        c.list_users() if service == "iam" else c.get_caller_identity()
    assert_error(err, "SignatureDoesNotMatch", 403, "Credential should be scoped to a valid region, not 'xx-fake-9'. ")
