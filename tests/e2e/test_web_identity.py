"""AssumeRoleWithWebIdentity against a real OIDC issuer on loopback over HTTPS (its own CA given
to Castellan through CASTELLAN_CA_BUNDLE), with tokens signed by keys the test made; the SDK
credential chains (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN) of boto3 and the aws CLI; and
the attacks of issue 12, one test each.

Sources: STS API Reference, AssumeRoleWithWebIdentity (errors InvalidIdentityToken,
IDPCommunicationError, ExpiredTokenException, PackedPolicyTooLarge; response fields); IAM User
Guide, "Available keys for AWS OIDC federation" and "Passing session tags using
AssumeRoleWithWebIdentity". Messages quoted as AWS answers them ("Incorrect token audience",
"No OpenIDConnect provider found in your account for …", "Not authorized to perform
sts:AssumeRoleWithWebIdentity") are as seen in public reports of AWS's answers
(aws-actions/configure-aws-credentials#280, awslabs/amazon-eks-irsa-cfn#18)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from castellan_e2e import ACCOUNT_ID, REGION, Server, ServerStartError, assert_error, dumps, unique
from oidc_issuer import IssuerServer, SigningKey, hmac_token, unsigned_token


@pytest.fixture(scope="module")
def issuers():
    srv = IssuerServer()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def castellan(issuers):
    srv = Server(env_extra={"CASTELLAN_CA_BUNDLE": issuers.ca_bundle})
    srv.start()
    yield srv
    srv.stop()
    srv.cleanup_logs()


def anonymous_sts(srv):
    """An STS client with no credentials at all: AssumeRoleWithWebIdentity needs none."""
    return boto3.session.Session().client(
        "sts", endpoint_url=srv.endpoint, region_name=REGION,
        config=Config(signature_version=UNSIGNED, retries={"total_max_attempts": 1}, read_timeout=60),
    )


def setup(srv, issuer, conditions=None, actions=("sts:AssumeRoleWithWebIdentity",), client_ids=("sts.amazonaws.com",)):
    """Registers the issuer as a provider and makes a role trusting it; returns (role ARN, provider ARN)."""
    iam = srv.iam()
    provider = iam.create_open_id_connect_provider(Url=issuer.url, ClientIDList=list(client_ids))["OpenIDConnectProviderArn"]
    host = issuer.url[len("https://"):]
    cond = conditions if conditions is not None else {"StringEquals": {f"{host}:aud": "sts.amazonaws.com"}}
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": provider}, "Action": list(actions), **({"Condition": cond} if cond else {}),
    }]}
    role = iam.create_role(RoleName=unique("webid"), AssumeRolePolicyDocument=dumps(trust))["Role"]
    return role["Arn"], provider


def assume(srv, role_arn, token, **kw):
    return anonymous_sts(srv).assume_role_with_web_identity(RoleArn=role_arn, RoleSessionName="ci-session", WebIdentityToken=token, **kw)


def test_assume_role_with_web_identity(castellan, issuers):
    issuer = issuers.issuer()
    role_arn, provider = setup(castellan, issuer)
    out = assume(castellan, role_arn, issuer.token())
    assert out["SubjectFromWebIdentityToken"] == "repo:octo-org/octo-repo:ref:refs/heads/main"
    assert out["Audience"] == "sts.amazonaws.com"
    # "For OpenID Connect ID tokens, this contains the value of the iss field."
    assert out["Provider"] == issuer.url
    role_name = role_arn.rsplit("/", 1)[1]
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role_name}/ci-session"
    creds = out["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    who = castellan.sts(access_key=creds["AccessKeyId"], secret_key=creds["SecretAccessKey"], session_token=creds["SessionToken"]).get_caller_identity()
    assert who["Arn"] == out["AssumedRoleUser"]["Arn"]
    # A second token is verified with the cached keys (no new JWKS fetch).
    fetches = issuer.fetches
    assume(castellan, role_arn, issuer.token(sub="another"))
    assert issuer.fetches == fetches


@pytest.mark.parametrize("alg", ["RS384", "RS512", "ES256", "ES384"])
def test_every_supported_algorithm(castellan, issuers, alg):
    issuer = issuers.issuer()
    issuer.keys = [SigningKey(alg)]
    role_arn, _ = setup(castellan, issuer)
    assert assume(castellan, role_arn, issuer.token())["Audience"] == "sts.amazonaws.com"


# The trust policy's OIDC condition keys: <provider>:aud, <provider>:sub (IAM User Guide).
def test_trust_policy_conditions_on_sub_and_aud(castellan, issuers):
    issuer = issuers.issuer()
    host = issuer.url[len("https://"):]
    role_arn, _ = setup(castellan, issuer, {
        "StringEquals": {f"{host}:aud": "sts.amazonaws.com"},
        "StringLike": {f"{host}:sub": "repo:octo-org/octo-repo:*"},
    })
    assume(castellan, role_arn, issuer.token())
    with pytest.raises(ClientError) as e:
        assume(castellan, role_arn, issuer.token(sub="repo:attacker/fork:ref:refs/heads/main"))
    assert_error(e, "AccessDenied", 403, "Not authorized to perform sts:AssumeRoleWithWebIdentity")


def test_role_without_a_matching_trust(castellan, issuers):
    issuer, other = issuers.issuer(), issuers.issuer()
    setup(castellan, issuer)
    # The role trusts another provider only.
    role_arn, _ = setup(castellan, other)
    with pytest.raises(ClientError) as e:
        assume(castellan, role_arn, issuer.token())
    assert_error(e, "AccessDenied", 403, "Not authorized to perform sts:AssumeRoleWithWebIdentity")
    # A role that does not exist answers the same.
    with pytest.raises(ClientError) as e:
        assume(castellan, f"arn:aws:iam::{ACCOUNT_ID}:role/no-such-role", issuer.token())
    assert_error(e, "AccessDenied", 403, "Not authorized to perform sts:AssumeRoleWithWebIdentity")


# Session tags from the https://aws.amazon.com/tags claim need sts:TagSession in the trust policy.
def test_session_tags_from_the_token(castellan, issuers):
    issuer = issuers.issuer()
    tags = {"principal_tags": {"team": ["build"]}, "transitive_tag_keys": ["team"]}
    without, _ = setup(castellan, issuer)
    with pytest.raises(ClientError) as e:
        assume(castellan, without, issuer.token(**{"https://aws.amazon.com/tags": tags}))
    assert_error(e, "AccessDenied", 403)
    issuer2 = issuers.issuer()
    with_tags, _ = setup(castellan, issuer2, {}, actions=("sts:AssumeRoleWithWebIdentity", "sts:TagSession"))
    creds = assume(castellan, with_tags, issuer2.token(**{"https://aws.amazon.com/tags": tags}))["Credentials"]
    # The tag is the session's: a policy on aws:PrincipalTag sees it.
    iam = castellan.iam()
    role_name = with_tags.rsplit("/", 1)[1]
    iam.put_role_policy(RoleName=role_name, PolicyName="p", PolicyDocument=dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalTag/team": "build"}}}]}))
    castellan.iam(access_key=creds["AccessKeyId"], secret_key=creds["SecretAccessKey"], session_token=creds["SessionToken"]).list_users()


def test_sdk_credential_chains(castellan, issuers, tmp_path):
    """boto3 and the aws CLI pick up AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN unchanged."""
    issuer = issuers.issuer()
    role_arn, _ = setup(castellan, issuer)
    token_file = tmp_path / "token"
    token_file.write_text(issuer.token())
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    (tmp_path / "empty").write_text("")
    env.update(
        AWS_WEB_IDENTITY_TOKEN_FILE=str(token_file), AWS_ROLE_ARN=role_arn, AWS_ROLE_SESSION_NAME="sdk-chain",
        AWS_ENDPOINT_URL=castellan.endpoint, AWS_DEFAULT_REGION=REGION, AWS_REGION=REGION,
        AWS_CONFIG_FILE=str(tmp_path / "empty"), AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "empty"),
        AWS_EC2_METADATA_DISABLED="true", AWS_MAX_ATTEMPTS="1",
    )
    want = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role_arn.rsplit('/', 1)[1]}/sdk-chain"
    code = "import boto3; print(boto3.client('sts').get_caller_identity()['Arn'])"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == want
    out = subprocess.run([sys.executable, "-m", "awscli", "sts", "get-caller-identity", "--output", "json"],
                         env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["Arn"] == want


# --- the attacks of issue 12, one test each --------------------------------------------


def test_expired_token(castellan, issuers):
    issuer = issuers.issuer()
    role_arn, _ = setup(castellan, issuer)
    now = int(time.time())
    with pytest.raises(ClientError) as e:
        assume(castellan, role_arn, issuer.token(iat=now - 700, nbf=now - 700, exp=now - 100))
    assert_error(e, "ExpiredTokenException", 400, startswith="Token expired: current date/time")


def test_not_yet_valid_token(castellan, issuers):
    issuer = issuers.issuer()
    role_arn, _ = setup(castellan, issuer)
    now = int(time.time())
    with pytest.raises(ClientError) as e:
        assume(castellan, role_arn, issuer.token(nbf=now + 3600, exp=now + 7200))
    assert_error(e, "InvalidIdentityToken", 400)


def test_wrong_audience(castellan, issuers):
    issuer = issuers.issuer()
    role_arn, _ = setup(castellan, issuer)
    with pytest.raises(ClientError) as e:
        assume(castellan, role_arn, issuer.token(aud="sts.amazon.com"))
    assert_error(e, "InvalidIdentityToken", 400, "Incorrect token audience")


def test_wrong_issuer(castellan, issuers):
    issuer, unregistered = issuers.issuer(), issuers.issuer()
    role_arn, _ = setup(castellan, issuer)
    with pytest.raises(ClientError) as e:
        assume(castellan, role_arn, unregistered.token())
    assert_error(e, "InvalidIdentityToken", 400, f"No OpenIDConnect provider found in your account for {unregistered.url}")
    # A registered issuer's name on a token signed by another issuer's key: the signature fails.
    with pytest.raises(ClientError) as e:
        assume(castellan, role_arn, issuer.token(key=unregistered.key))
    assert_error(e, "InvalidIdentityToken", 400)


def test_unknown_kid(castellan, issuers):
    issuer = issuers.issuer()
    role_arn, _ = setup(castellan, issuer)
    assume(castellan, role_arn, issuer.token())
    stranger = SigningKey("RS256", kid="not-published")
    with pytest.raises(ClientError) as e:
        assume(castellan, role_arn, issuer.token(key=stranger))
    assert_error(e, "InvalidIdentityToken", 400, startswith="Couldn't retrieve verification key from your identity provider")


def test_keys_refreshed_on_rotation(castellan, issuers):
    """An unknown kid makes Castellan fetch the key set again (the issuer rotated its keys)."""
    issuer = issuers.issuer()
    role_arn, _ = setup(castellan, issuer)
    assume(castellan, role_arn, issuer.token())
    new = SigningKey("ES256")
    issuer.keys = [new, issuer.key]
    time.sleep(5.5)  # refetches for unknown kids are at most one per 5 s per issuer
    assume(castellan, role_arn, issuer.token(key=new))


def test_alg_none(castellan, issuers):
    issuer = issuers.issuer()
    role_arn, _ = setup(castellan, issuer)
    with pytest.raises(ClientError) as e:
        assume(castellan, role_arn, unsigned_token(issuer.claims(), {"alg": "none", "kid": issuer.key.kid}))
    assert_error(e, "InvalidIdentityToken", 400)


def test_hs256_signed_with_the_public_key(castellan, issuers):
    """Key confusion: HMAC keyed with the issuer's own public key (PEM and JWK forms)."""
    issuer = issuers.issuer()
    role_arn, _ = setup(castellan, issuer)
    header = {"alg": "HS256", "kid": issuer.key.kid, "typ": "JWT"}
    for secret in (issuer.key.public_pem(), json.dumps(issuer.key.jwk()).encode()):
        with pytest.raises(ClientError) as e:
            assume(castellan, role_arn, hmac_token(issuer.claims(), header, secret))
        assert_error(e, "InvalidIdentityToken", 400)


def test_tampered_payload(castellan, issuers):
    issuer = issuers.issuer()
    role_arn, _ = setup(castellan, issuer)
    head, _, sig = issuer.token().split(".")
    forged = issuer.token(sub="repo:attacker/evil:ref:refs/heads/main").split(".")[1]
    with pytest.raises(ClientError) as e:
        assume(castellan, role_arn, f"{head}.{forged}.{sig}")
    assert_error(e, "InvalidIdentityToken", 400, "The token's signature is invalid.")


def test_oversized_token(castellan, issuers):
    """WebIdentityToken is at most 20,000 characters (STS model, clientTokenType)."""
    issuer = issuers.issuer()
    role_arn, _ = setup(castellan, issuer)
    big = issuer.token(pad="x" * 20_000)
    sts = boto3.session.Session().client(
        "sts", endpoint_url=castellan.endpoint, region_name=REGION,
        config=Config(signature_version=UNSIGNED, parameter_validation=False, retries={"total_max_attempts": 1}),
    )
    with pytest.raises(ClientError) as e:
        sts.assume_role_with_web_identity(RoleArn=role_arn, RoleSessionName="s", WebIdentityToken=big)
    assert_error(e, "ValidationError", 400, contains="webIdentityToken")


def test_jwks_endpoint_down_then_back(castellan, issuers):
    """IDPCommunicationError while the key set cannot be fetched; nothing is cached from the
    failed fetch, so the next call after the issuer is back fetches again and succeeds."""
    issuer = issuers.issuer()
    role_arn, _ = setup(castellan, issuer)
    issuer.mode = "down"
    with pytest.raises(ClientError) as e:
        assume(castellan, role_arn, issuer.token())
    assert_error(e, "IDPCommunicationError", 400)
    issuer.mode = "garbage"
    with pytest.raises(ClientError) as e:
        assume(castellan, role_arn, issuer.token())
    assert_error(e, "InvalidIdentityToken", 400, startswith="Couldn't retrieve verification key")
    issuer.mode = "up"
    fetches = issuer.fetches
    assume(castellan, role_arn, issuer.token())
    assert issuer.fetches == fetches + 1


def test_jwks_endpoint_slow(castellan, issuers):
    """A key set slower than the fetch timeout (5 s) is a communication error, not a hang."""
    issuer = issuers.issuer()
    role_arn, _ = setup(castellan, issuer)
    issuer.mode = "slow"
    with pytest.raises(ClientError) as e:
        assume(castellan, role_arn, issuer.token())
    assert_error(e, "IDPCommunicationError", 400)
    issuer.mode = "up"
    assume(castellan, role_arn, issuer.token())


def test_untrusted_issuer_certificate(issuers, server_factory):
    """Without CASTELLAN_CA_BUNDLE the test CA is not trusted: the keys cannot be fetched."""
    srv = server_factory()
    issuer = issuers.issuer()
    role_arn, _ = setup(srv, issuer)
    with pytest.raises(ClientError) as e:
        assume(srv, role_arn, issuer.token())
    assert_error(e, "IDPCommunicationError", 400)


def test_provider_deleted_after_the_token_was_issued(castellan, issuers):
    issuer = issuers.issuer()
    role_arn, provider = setup(castellan, issuer)
    token = issuer.token()
    assume(castellan, role_arn, token)
    castellan.iam().delete_open_id_connect_provider(OpenIDConnectProviderArn=provider)
    with pytest.raises(ClientError) as e:
        assume(castellan, role_arn, token)
    assert_error(e, "InvalidIdentityToken", 400, f"No OpenIDConnect provider found in your account for {issuer.url}")


def test_only_web_identity_and_saml_are_unsigned(castellan):
    with pytest.raises(ClientError) as e:
        anonymous_sts(castellan).get_caller_identity()
    assert_error(e, "MissingAuthenticationToken", 403)


def test_bad_ca_bundle_refuses_to_start(tmp_path):
    bad = tmp_path / "bundle.pem"
    bad.write_text("not a certificate\n")
    srv = Server(env_extra={"CASTELLAN_CA_BUNDLE": str(bad)})
    with pytest.raises(ServerStartError) as e:
        srv.start()
    assert "CASTELLAN_CA_BUNDLE" in str(e.value) + srv.stderr_path.read_text()
    srv.stop()
    srv.cleanup_logs()
