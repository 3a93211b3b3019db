"""Outbound identity federation: Castellan as an OIDC issuer. Enable/Disable/
GetOutboundWebIdentityFederationInfo (IAM), GetWebIdentityToken (STS), and tokens verified by
an independent library (PyJWT) using only the published discovery document and JWKS.

Sources: IAM API Reference, EnableOutboundWebIdentityFederation (FeatureEnabled, 409),
DisableOutboundWebIdentityFederation and GetOutboundWebIdentityFederationInfo
(FeatureDisabled, 404); STS API Reference, GetWebIdentityToken (Audience 1-10, DurationSeconds
60-3600 default 300, SigningAlgorithm RS256 | ES384; OutboundWebIdentityFederationDisabled,
403); IAM User Guide, "Understanding token claims" (sub is the role ARN; AWS claims under
"https://sts.amazonaws.com/")."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import jwt
import pytest
from botocore.exceptions import ClientError

from castellan_e2e import ACCOUNT_ID, assert_error, dumps, unique


def fetch_json(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.status == 200
        return json.loads(r.read())


def verify(token, audience):
    """What any standard OIDC verifier does, from the token's issuer alone."""
    issuer = jwt.decode(token, options={"verify_signature": False})["iss"]
    discovery = fetch_json(f"{issuer}/.well-known/openid-configuration")
    assert discovery["issuer"] == issuer
    jwks = fetch_json(discovery["jwks_uri"])
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(jwt.PyJWK(k) for k in jwks["keys"] if k["kid"] == kid)
    return jwt.decode(token, key.key, algorithms=discovery["id_token_signing_alg_values_supported"], audience=audience, issuer=issuer)


@pytest.fixture
def account(fresh_server):
    return fresh_server


def test_enable_info_disable(account):
    iam = account.iam()
    with pytest.raises(ClientError) as e:
        iam.get_outbound_web_identity_federation_info()
    assert_error(e, "FeatureDisabled", 404)
    issuer = iam.enable_outbound_web_identity_federation()["IssuerIdentifier"]
    assert issuer.startswith(f"{account.endpoint}/oidc/")
    with pytest.raises(ClientError) as e:
        iam.enable_outbound_web_identity_federation()
    assert_error(e, "FeatureEnabled", 409)
    info = iam.get_outbound_web_identity_federation_info()
    assert info["IssuerIdentifier"] == issuer and info["JwtVendingEnabled"] is True
    discovery = fetch_json(f"{issuer}/.well-known/openid-configuration")
    assert discovery["issuer"] == issuer
    assert discovery["jwks_uri"] == f"{issuer}/.well-known/jwks.json"

    iam.disable_outbound_web_identity_federation()
    assert iam.get_outbound_web_identity_federation_info()["JwtVendingEnabled"] is False
    with pytest.raises(ClientError) as e:
        iam.disable_outbound_web_identity_federation()
    assert_error(e, "FeatureDisabled", 404)
    with pytest.raises(ClientError) as e:
        account.sts().get_web_identity_token(Audience=["https://api.example.com"], SigningAlgorithm="ES384")
    assert_error(e, "OutboundWebIdentityFederationDisabledException", 403)
    # Enabled again, the account keeps its issuer URL.
    assert iam.enable_outbound_web_identity_federation()["IssuerIdentifier"] == issuer


@pytest.mark.parametrize("alg", ["ES384", "RS256"])
def test_tokens_verify_with_only_the_published_documents(account, alg):
    iam = account.iam()
    iam.enable_outbound_web_identity_federation()
    role = iam.create_role(RoleName=unique("worker"), AssumeRolePolicyDocument=dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}, "Action": ["sts:AssumeRole", "sts:TagSession"]}]}),
        Tags=[{"Key": "team", "Value": "data"}])["Role"]
    iam.put_role_policy(RoleName=role["RoleName"], PolicyName="jwt", PolicyDocument=dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:GetWebIdentityToken", "Resource": "*",
         "Condition": {"ForAllValues:StringEquals": {"sts:IdentityTokenAudience": "https://api.example.com"},
                       "NumericLessThanEquals": {"sts:DurationSeconds": 600}}}]}))
    user = iam.create_user(UserName=unique("caller"))["User"]
    iam.put_user_policy(UserName=user["UserName"], PolicyName="assume", PolicyDocument=dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"], "Resource": role["Arn"]}]}))
    key = iam.create_access_key(UserName=user["UserName"])["AccessKey"]
    # A role session from a user (the root user may not assume roles).
    session = account.sts(access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"]).assume_role(
        RoleArn=role["Arn"], RoleSessionName="job", Tags=[{"Key": "env", "Value": "prod"}])["Credentials"]
    sts = account.sts(access_key=session["AccessKeyId"], secret_key=session["SecretAccessKey"], session_token=session["SessionToken"])
    out = sts.get_web_identity_token(Audience=["https://api.example.com"], SigningAlgorithm=alg, DurationSeconds=600,
                                     Tags=[{"Key": "job-id", "Value": "42"}])
    assert jwt.get_unverified_header(out["WebIdentityToken"])["alg"] == alg
    claims = verify(out["WebIdentityToken"], "https://api.example.com")
    assert claims["sub"] == role["Arn"]
    assert claims["exp"] - claims["iat"] == 600
    ns = claims["https://sts.amazonaws.com/"]
    assert ns["aws_account"] == ACCOUNT_ID
    assert ns["principal_tags"] == {"team": "data", "env": "prod"}
    assert ns["request_tags"] == {"job-id": "42"}
    assert abs(out["Expiration"].timestamp() - claims["exp"]) < 2
    # The policy's conditions hold: another audience, or a longer token, is denied.
    with pytest.raises(ClientError) as e:
        sts.get_web_identity_token(Audience=["https://evil.example.com"], SigningAlgorithm=alg)
    assert_error(e, "AccessDenied", 403)
    with pytest.raises(ClientError) as e:
        sts.get_web_identity_token(Audience=["https://api.example.com"], SigningAlgorithm=alg, DurationSeconds=900)
    assert_error(e, "AccessDenied", 403)
    # A token for another audience does not verify for this one.
    with pytest.raises(jwt.InvalidAudienceError):
        verify(out["WebIdentityToken"], "https://other.example.com")


def test_a_token_may_not_outlive_its_session(account):
    iam = account.iam()
    iam.enable_outbound_web_identity_federation()
    role = iam.create_role(RoleName=unique("short"), AssumeRolePolicyDocument=dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}, "Action": "sts:AssumeRole"}]}))["Role"]
    iam.put_role_policy(RoleName=role["RoleName"], PolicyName="jwt", PolicyDocument=dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:GetWebIdentityToken", "Resource": "*"}]}))
    user = iam.create_user(UserName=unique("caller"))["User"]
    iam.put_user_policy(UserName=user["UserName"], PolicyName="assume", PolicyDocument=dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role["Arn"]}]}))
    key = iam.create_access_key(UserName=user["UserName"])["AccessKey"]
    s = account.sts(access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"]).assume_role(
        RoleArn=role["Arn"], RoleSessionName="short", DurationSeconds=900)["Credentials"]
    sts = account.sts(access_key=s["AccessKeyId"], secret_key=s["SecretAccessKey"], session_token=s["SessionToken"])
    sts.get_web_identity_token(Audience=["a"], SigningAlgorithm="ES384", DurationSeconds=600)
    with pytest.raises(ClientError) as e:
        sts.get_web_identity_token(Audience=["a"], SigningAlgorithm="ES384", DurationSeconds=3600)
    assert_error(e, "SessionDurationEscalationException", 403)


def test_tampered_token_fails_verification(account):
    account.iam().enable_outbound_web_identity_federation()
    token = account.sts().get_web_identity_token(Audience=["a"], SigningAlgorithm="ES384")["WebIdentityToken"]
    head, payload, sig = token.split(".")
    claims = jwt.decode(token, options={"verify_signature": False})
    claims["sub"] = "arn:aws:iam::999999999999:root"
    forged = jwt.utils.base64url_encode(json.dumps(claims).encode()).decode()
    with pytest.raises(jwt.InvalidSignatureError):
        verify(f"{head}.{forged}.{sig}", "a")


def test_keys_are_sealed_at_rest_and_survive_restart(server_factory, tmp_path):
    srv = server_factory(data_dir=tmp_path / "data")
    srv.iam().enable_outbound_web_identity_federation()
    token = srv.sts().get_web_identity_token(Audience=["a"], SigningAlgorithm="ES384")["WebIdentityToken"]
    jwks_before = fetch_json(f"{jwt.decode(token, options={'verify_signature': False})['iss']}/.well-known/jwks.json")
    srv.stop()
    raw = (tmp_path / "data" / "castellan.db").read_bytes()
    # The record is there, its private keys sealed (unit test ops::outbound::tests checks the sealing).
    assert b"PRIVATE KEY" not in raw and b"outboundfederation" in raw and b"sealed_pkcs8" in raw
    srv.start()
    issuer = jwt.decode(token, options={"verify_signature": False})["iss"]
    # The endpoint port changed with the restart; the issuer id and the keys did not.
    issuer_id = issuer.rsplit("/", 1)[1]
    jwks_after = fetch_json(f"{srv.endpoint}/oidc/{issuer_id}/.well-known/jwks.json")
    assert jwks_after == jwks_before


def test_the_aws_cli(account):
    account.aws("iam", "enable-outbound-web-identity-federation")
    # (aws CLI v1 reads an http(s) URL given as a parameter value as a file to fetch: use a plain audience.)
    out = account.aws("sts", "get-web-identity-token", "--audience", "my-service", "--signing-algorithm", "ES384")
    assert verify(out["WebIdentityToken"], "my-service")["sub"] == f"arn:aws:iam::{ACCOUNT_ID}:root"


def test_unknown_issuer_is_404(account):
    with pytest.raises(urllib.error.HTTPError) as e:
        fetch_json(f"{account.endpoint}/oidc/not-an-issuer/.well-known/jwks.json")
    assert e.value.code == 404
