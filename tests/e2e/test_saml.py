"""AssumeRoleWithSAML with responses signed by an independent implementation (signxml, with a
key and certificate the test made): a good sign-in through boto3 and the aws CLI, the `saml:`
condition keys, session tags and source identity, and the attacks of issue 13, one test each.

Sources: STS API Reference, AssumeRoleWithSAML (unsigned; errors InvalidIdentityToken,
ExpiredTokenException, IDPRejectedClaim, MalformedPolicyDocument; response fields Subject,
SubjectType, Issuer, Audience, NameQualifier = base64(SHA-1(issuer + account id + "/" +
provider name))); IAM User Guide, "Configure SAML assertions for the authentication response"
(Role, RoleSessionName, PrincipalTag:*, TransitiveTagKeys, SourceIdentity attributes; one
SubjectConfirmation with Recipient https://signin.aws.amazon.com/saml; audience
urn:amazon:webservices) and "Available keys for SAML-based AWS STS federation" (saml:aud is
the Recipient, saml:sub, saml:sub_type, saml:iss, saml:namequalifier, saml:doc);
"Troubleshooting SAML 2.0 federation" ("Response signature invalid", "RoleSessionName is
required in AuthnResponse", "Not authorized to perform sts:AssumeRoleWithSAML")."""

from __future__ import annotations

import base64
import copy
import datetime
import hashlib

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from lxml import etree

from castellan_e2e import ACCOUNT_ID, REGION, assert_error, dumps, unique
from saml_idp import DS, SAML, Idp, b64, encrypt_assertion, sp_key
from test_saml_providers import idp, server  # noqa: F401 (fixtures)

NOW = lambda: datetime.datetime.now(datetime.timezone.utc)  # noqa: E731


def anonymous_sts(srv):
    return boto3.session.Session().client(
        "sts", endpoint_url=srv.endpoint, region_name=REGION,
        config=Config(signature_version=UNSIGNED, retries={"total_max_attempts": 1}),
    )


def setup(srv, idp, conditions=None, actions=("sts:AssumeRoleWithSAML",)):
    """Registers the IdP and makes a role trusting it; returns (role ARN, provider ARN, provider name)."""
    iam = srv.iam()
    name = unique("idp")
    provider = iam.create_saml_provider(Name=name, SAMLMetadataDocument=idp.metadata())["SAMLProviderArn"]
    cond = conditions if conditions is not None else {"StringEquals": {"saml:aud": "https://signin.aws.amazon.com/saml"}}
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": provider}, "Action": list(actions), **({"Condition": cond} if cond else {}),
    }]}
    role = iam.create_role(RoleName=unique("saml"), AssumeRolePolicyDocument=dumps(trust))["Role"]
    return role["Arn"], provider, name


def assume(srv, role_arn, provider, xml, **kw):
    return anonymous_sts(srv).assume_role_with_saml(RoleArn=role_arn, PrincipalArn=provider, SAMLAssertion=b64(xml), **kw)


def signed(idp, role_arn, provider, **kw):
    return idp.response(idp.assertion(role_arn, provider, **kw))


def test_sign_in_with_boto3(server, idp):
    role_arn, provider, name = setup(server, idp)
    out = assume(server, role_arn, provider, signed(idp, role_arn, provider))
    role_name = role_arn.split("/")[-1]
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role_name}/alice"
    assert out["Subject"] == "alice@example.com"
    assert out["SubjectType"] == "persistent"
    assert out["Issuer"] == idp.entity_id
    assert out["Audience"] == "https://signin.aws.amazon.com/saml"
    expected = base64.b64encode(hashlib.sha1(f"{idp.entity_id}{ACCOUNT_ID}/{name}".encode()).digest()).decode()
    assert out["NameQualifier"] == expected
    creds = out["Credentials"]
    sts = boto3.client("sts", endpoint_url=server.endpoint, region_name=REGION, aws_access_key_id=creds["AccessKeyId"],
                       aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])
    assert sts.get_caller_identity()["Arn"] == out["AssumedRoleUser"]["Arn"]


def test_signed_response_instead_of_assertion(server, idp):
    role_arn, provider, _ = setup(server, idp)
    xml = idp.response(idp.assertion(role_arn, provider), sign_assertion=False, sign_response=True)
    assert assume(server, role_arn, provider, xml)["Subject"] == "alice@example.com"


def test_sign_in_with_the_aws_cli(server, idp, tmp_path):
    role_arn, provider, _ = setup(server, idp)
    f = tmp_path / "response.b64"
    f.write_text(b64(signed(idp, role_arn, provider, session_name="cli-user")))
    out = server.aws("sts", "assume-role-with-saml", "--role-arn", role_arn, "--principal-arn", provider,
                        "--saml-assertion", f"file://{f}", "--duration-seconds", "900")
    assert out["AssumedRoleUser"]["Arn"].endswith("/cli-user")
    assert out["Subject"] == "alice@example.com"


def test_readme_walk_through(server, tmp_path):
    # The README's "SAML federation" steps, through the aws CLI only.
    idp = Idp()
    name = unique("Okta")
    (tmp_path / "metadata.xml").write_text(idp.metadata())
    provider = server.aws("iam", "create-saml-provider", "--name", name,
                          "--saml-metadata-document", f"file://{tmp_path / 'metadata.xml'}")["SAMLProviderArn"]
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": provider}, "Action": "sts:AssumeRoleWithSAML",
        "Condition": {"StringEquals": {"saml:aud": "https://signin.aws.amazon.com/saml"}}}]}
    (tmp_path / "trust.json").write_text(dumps(trust))
    role_name = unique("Engineers")
    role_arn = server.aws("iam", "create-role", "--role-name", role_name,
                          "--assume-role-policy-document", f"file://{tmp_path / 'trust.json'}")["Role"]["Arn"]
    (tmp_path / "response.b64").write_text(b64(signed(idp, role_arn, provider)))
    out = server.aws("sts", "assume-role-with-saml", "--role-arn", role_arn, "--principal-arn", provider,
                     "--saml-assertion", f"file://{tmp_path / 'response.b64'}")
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role_name}/alice"
    assert {"Subject", "SubjectType", "Issuer", "Audience", "NameQualifier"} <= set(out)


def test_trust_policy_saml_keys(server, idp):
    cond = {"StringEquals": {"saml:sub": "bob@example.com", "saml:sub_type": "persistent", "saml:iss": idp.entity_id,
                             "saml:aud": "https://signin.aws.amazon.com/saml"},
            "StringLike": {"saml:doc": f"{ACCOUNT_ID}/*"}}
    role_arn, provider, _ = setup(server, idp, conditions=cond)
    assume(server, role_arn, provider, signed(idp, role_arn, provider, name_id="bob@example.com"))
    with pytest.raises(Exception) as e:
        assume(server, role_arn, provider, signed(idp, role_arn, provider, name_id="alice@example.com"))
    assert_error(e, "AccessDenied", 403, "Not authorized to perform sts:AssumeRoleWithSAML")


def test_namequalifier_condition(server, idp):
    iam = server.iam()
    name = unique("nq")
    provider = iam.create_saml_provider(Name=name, SAMLMetadataDocument=idp.metadata())["SAMLProviderArn"]
    nq = base64.b64encode(hashlib.sha1(f"{idp.entity_id}{ACCOUNT_ID}/{name}".encode()).digest()).decode()
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": provider},
             "Action": "sts:AssumeRoleWithSAML", "Condition": {"StringEquals": {"saml:namequalifier": nq}}}]}
    role_arn = iam.create_role(RoleName=unique("nq"), AssumeRolePolicyDocument=dumps(trust))["Role"]["Arn"]
    assert assume(server, role_arn, provider, signed(idp, role_arn, provider))["NameQualifier"] == nq


def test_session_tags_and_source_identity(server, idp):
    role_arn, provider, _ = setup(server, idp, actions=("sts:AssumeRoleWithSAML", "sts:TagSession", "sts:SetSourceIdentity"))
    attrs = {"https://aws.amazon.com/SAML/Attributes/PrincipalTag:Team": ["blue"],
             "https://aws.amazon.com/SAML/Attributes/TransitiveTagKeys": ["Team"],
             "https://aws.amazon.com/SAML/Attributes/SourceIdentity": ["alice"]}
    out = assume(server, role_arn, provider, signed(idp, role_arn, provider, attributes=attrs))
    assert out["SourceIdentity"] == "alice"
    assert out["PackedPolicySize"] > 0  # the tag was taken into the session
    # Without sts:TagSession in the trust policy (sts:SetSourceIdentity still there, so the
    # tags alone are what is refused), the request is refused.
    role2, provider2, _ = setup(server, idp, actions=("sts:AssumeRoleWithSAML", "sts:SetSourceIdentity"))
    with pytest.raises(Exception) as e:
        assume(server, role2, provider2, signed(idp, role2, provider2, attributes=attrs))
    assert_error(e, "AccessDenied", 403)


def test_missing_session_name(server, idp):
    role_arn, provider, _ = setup(server, idp)
    a = idp.assertion(role_arn, provider)
    for at in a.iter(f"{{{SAML}}}Attribute"):
        if at.get("Name").endswith("RoleSessionName"):
            at.getparent().remove(at)
    with pytest.raises(Exception) as e:
        assume(server, role_arn, provider, idp.response(a))
    assert_error(e, "InvalidIdentityToken", 400, "RoleSessionName is required in AuthnResponse")


def test_duration_and_session_policy(server, idp):
    role_arn, provider, _ = setup(server, idp)
    with pytest.raises(Exception) as e:
        assume(server, role_arn, provider, signed(idp, role_arn, provider), DurationSeconds=43200)
    assert_error(e, "ValidationError", 400)
    with pytest.raises(Exception) as e:
        assume(server, role_arn, provider, signed(idp, role_arn, provider), Policy='{"Version":"2012-10-17","Statement":[{"Effect":"Allow"}]}')
    assert_error(e, "MalformedPolicyDocument", 400)


def test_session_not_on_or_after_bounds_the_session(server, idp):
    # STS API Reference, AssumeRoleWithSAML: the session lasts DurationSeconds or until the
    # response's SessionNotOnOrAfter, whichever is shorter.
    role_arn, provider, _ = setup(server, idp)
    end = NOW() + datetime.timedelta(minutes=20)
    out = assume(server, role_arn, provider, signed(idp, role_arn, provider, session_not_on_or_after=end), DurationSeconds=3600)
    assert out["Credentials"]["Expiration"] <= end + datetime.timedelta(seconds=1)


def test_session_duration_attribute_is_validated(server, idp):
    role_arn, provider, _ = setup(server, idp)
    attr = "https://aws.amazon.com/SAML/Attributes/SessionDuration"
    assume(server, role_arn, provider, signed(idp, role_arn, provider, attributes={attr: ["1800"]}))
    with pytest.raises(Exception) as e:
        assume(server, role_arn, provider, signed(idp, role_arn, provider, attributes={attr: ["60"]}))
    assert_error(e, "InvalidIdentityToken", 400)


# --- attacks --------------------------------------------------------------------------------


def test_unsigned_assertion(server, idp):
    role_arn, provider, _ = setup(server, idp)
    xml = idp.response(idp.assertion(role_arn, provider), sign_assertion=False)
    with pytest.raises(Exception) as e:
        assume(server, role_arn, provider, xml)
    assert_error(e, "InvalidIdentityToken", 400, "Response signature invalid")


def test_tampered_assertion(server, idp):
    role_arn, provider, _ = setup(server, idp)
    xml = signed(idp, role_arn, provider).replace(">alice@example.com<", ">admin@example.com<")
    with pytest.raises(Exception) as e:
        assume(server, role_arn, provider, xml)
    assert_error(e, "InvalidIdentityToken", 400, "Response signature invalid")


def test_certificate_not_in_metadata(server, idp):
    role_arn, provider, _ = setup(server, idp)
    stranger = Idp()  # same entity id, another key
    with pytest.raises(Exception) as e:
        assume(server, role_arn, provider, signed(stranger, role_arn, provider))
    assert_error(e, "InvalidIdentityToken", 400, "Response signature invalid")


def _wrap(idp, role_arn, provider, how):
    """A genuinely signed assertion for alice plus a forged one for admin, arranged `how`."""
    good = idp.sign(idp.assertion(role_arn, provider))
    forged = copy.deepcopy(good)
    forged.find(f"{{{SAML}}}Subject/{{{SAML}}}NameID").text = "admin@example.com"
    sig = forged.find(f"{{{DS}}}Signature")
    if how == "moved":  # the forged assertion in place, the signed one moved under Extensions
        forged.remove(sig)
        forged.set("ID", "_forged")
        xml = idp.response(forged, sign_assertion=False)
        root = etree.fromstring(xml.encode())
        ext = etree.Element("{urn:oasis:names:tc:SAML:2.0:protocol}Extensions")
        ext.append(good)
        root.insert(1, ext)
    elif how == "duplicated":  # both at the top, same ID
        xml = idp.response(forged, sign_assertion=False)
        root = etree.fromstring(xml.encode())
        root.append(good)
    else:  # "nested": the signed assertion inside the forged one
        forged.remove(sig)
        forged.set("ID", "_forged")
        forged.append(good)
        root = etree.fromstring(idp.response(forged, sign_assertion=False).encode())
    return etree.tostring(root).decode()


@pytest.mark.parametrize("how", ["moved", "duplicated", "nested"])
def test_signature_wrapping(server, idp, how):
    role_arn, provider, _ = setup(server, idp)
    with pytest.raises(Exception) as e:
        assume(server, role_arn, provider, _wrap(idp, role_arn, provider, how))
    assert_error(e, "InvalidIdentityToken", 400)


def test_comment_in_name_id(server, idp):
    # The IdP signed "admin@example.com.evil.test"; a comment splits it so a naive reader sees
    # "admin@example.com". The signature still verifies (comments are not canonicalized), and
    # the subject must be the whole signed value, which the trust policy does not allow.
    cond = {"StringEquals": {"saml:sub": "admin@example.com"}}
    role_arn, provider, _ = setup(server, idp, conditions=cond)
    xml = signed(idp, role_arn, provider, name_id="admin@example.com.evil.test")
    xml = xml.replace(">admin@example.com.evil.test<", ">admin@example.com<!---->.evil.test<")
    with pytest.raises(Exception) as e:
        assume(server, role_arn, provider, xml)
    assert_error(e, "AccessDenied", 403, "Not authorized to perform sts:AssumeRoleWithSAML")
    role2, provider2, _ = setup(server, idp)
    xml = signed(idp, role2, provider2, name_id="admin@example.com.evil.test")
    xml = xml.replace(">admin@example.com.evil.test<", ">admin@example.com<!---->.evil.test<")
    assert assume(server, role2, provider2, xml)["Subject"] == "admin@example.com.evil.test"


def test_expired_assertion(server, idp):
    role_arn, provider, _ = setup(server, idp)
    past = NOW() - datetime.timedelta(hours=1)
    xml = signed(idp, role_arn, provider, issue_instant=past - datetime.timedelta(minutes=5),
                 not_before=past - datetime.timedelta(minutes=5), not_on_or_after=past)
    with pytest.raises(Exception) as e:
        assume(server, role_arn, provider, xml)
    assert_error(e, "ExpiredTokenException", 400)


def test_future_assertion(server, idp):
    role_arn, provider, _ = setup(server, idp)
    later = NOW() + datetime.timedelta(hours=1)
    xml = signed(idp, role_arn, provider, issue_instant=later, not_before=later, not_on_or_after=later + datetime.timedelta(minutes=5))
    with pytest.raises(Exception) as e:
        assume(server, role_arn, provider, xml)
    assert_error(e, "InvalidIdentityToken", 400)


@pytest.mark.parametrize("claim, message", [
    ({"audience": "https://other-sp.example.com"}, None),  # wrong audience
    ({"recipient": "https://evil.example.com/saml"}, None),  # wrong recipient
    # An issuer that is not the provider's entity id: AWS's words as reported in
    # dbeaver/cloudbeaver#3112 (InvalidIdentityToken, 400).
    ({"issuer": "https://other.example.com"}, "Issuer not present in specified provider"),
], ids=["wrong-audience", "wrong-recipient", "issuer-of-another-idp"])
def test_refused_claims(server, idp, claim, message):
    role_arn, provider, _ = setup(server, idp)
    with pytest.raises(Exception) as e:
        assume(server, role_arn, provider, signed(idp, role_arn, provider, **claim))
    assert_error(e, "InvalidIdentityToken", 400, message)


def test_regional_recipient_and_audience(server, idp):
    role_arn, provider, _ = setup(server, idp, conditions={})
    out = assume(server, role_arn, provider, signed(idp, role_arn, provider, recipient="https://eu-west-1.signin.aws.amazon.com/saml"))
    assert out["Audience"] == "https://eu-west-1.signin.aws.amazon.com/saml"


def test_role_pair_names_another_provider_or_account(server, idp):
    role_arn, provider, _ = setup(server, idp)
    other_role, other_provider, _ = setup(server, idp)
    for value in [f"{role_arn},{other_provider}", f"{other_role},{provider}",
                  f"{role_arn.replace(ACCOUNT_ID, '111122223333')},{provider.replace(ACCOUNT_ID, '111122223333')}"]:
        with pytest.raises(Exception) as e:
            assume(server, role_arn, provider, signed(idp, role_arn, provider, role_value=value))
        assert_error(e, "AccessDenied", 403, "Not authorized to perform sts:AssumeRoleWithSAML")
    # The pair in the other order is accepted, as AWS does.
    assume(server, role_arn, provider, signed(idp, role_arn, provider, role_value=f"{provider},{role_arn}"))


def test_idp_reported_failure(server, idp):
    role_arn, provider, _ = setup(server, idp)
    xml = idp.response(idp.assertion(role_arn, provider), status="urn:oasis:names:tc:SAML:2.0:status:Requester")
    with pytest.raises(Exception) as e:
        assume(server, role_arn, provider, xml)
    assert_error(e, "IDPRejectedClaim", 403)


@pytest.mark.parametrize("doctype", [
    '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    '<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>',
])
def test_entities_refused(server, idp, doctype):
    role_arn, provider, _ = setup(server, idp)
    xml = doctype + signed(idp, role_arn, provider)
    with pytest.raises(Exception) as e:
        assume(server, role_arn, provider, xml)
    assert_error(e, "InvalidIdentityToken", 400)


def test_malformed_xml(server, idp):
    role_arn, provider, _ = setup(server, idp)
    for xml in ["<samlp:Response", "not xml at all", "<a>" * 500 + "</a>" * 500]:
        with pytest.raises(Exception) as e:
            assume(server, role_arn, provider, xml)
        assert_error(e, "InvalidIdentityToken", 400)


def test_oversized_response(server, idp):
    role_arn, provider, _ = setup(server, idp)
    xml = signed(idp, role_arn, provider).replace("</samlp:Response>", "<!--" + "x" * 80_000 + "--></samlp:Response>")
    # STS's model bounds SAMLAssertion to 100,000 characters (botocore checks it too, so raw).
    r = server.raw({"Action": "AssumeRoleWithSAML", "Version": "2011-06-15", "RoleArn": role_arn,
                       "PrincipalArn": provider, "SAMLAssertion": b64(xml)}, service="sts", sign=False)
    assert r.status == 400 and r.find("Error/Code") == "ValidationError"


def test_unknown_provider(server, idp):
    role_arn, provider, _ = setup(server, idp)
    missing = provider + "x"
    with pytest.raises(Exception) as e:
        assume(server, role_arn, missing, signed(idp, role_arn, missing))
    assert_error(e, "InvalidIdentityToken", 400)


def test_encrypted_assertion(server, idp):
    # The IdP signs the assertion, then encrypts it to the provider's private key (AddPrivateKey).
    spk, pem = sp_key()
    role_arn, provider, _ = setup(server, idp)
    server.iam().update_saml_provider(SAMLProviderArn=provider, AddPrivateKey=pem, AssertionEncryptionMode="Required")
    ea = encrypt_assertion(idp.sign(idp.assertion(role_arn, provider, name_id="carol@example.com")), spk.public_key())
    out = assume(server, role_arn, provider, idp.response(ea, sign_assertion=False))
    assert out["Subject"] == "carol@example.com"
    # Required: a plain (signed) assertion is refused.
    with pytest.raises(Exception) as e:
        assume(server, role_arn, provider, signed(idp, role_arn, provider))
    assert_error(e, "InvalidIdentityToken", 400)
    # Encrypted to another key: cannot be decrypted.
    other, _ = sp_key()
    ea = encrypt_assertion(idp.sign(idp.assertion(role_arn, provider)), other.public_key())
    with pytest.raises(Exception) as e:
        assume(server, role_arn, provider, idp.response(ea, sign_assertion=False))
    assert_error(e, "InvalidIdentityToken", 400)


def test_encrypted_unsigned_assertion_is_refused(server, idp):
    # Encryption is not authentication: an unsigned assertion encrypted to the provider's
    # public key (which anyone may have) is refused unless the Response is signed.
    spk, pem = sp_key()
    role_arn, provider, _ = setup(server, idp)
    server.iam().update_saml_provider(SAMLProviderArn=provider, AddPrivateKey=pem)
    ea = encrypt_assertion(idp.assertion(role_arn, provider), spk.public_key())
    with pytest.raises(Exception) as e:
        assume(server, role_arn, provider, idp.response(ea, sign_assertion=False))
    assert_error(e, "InvalidIdentityToken", 400, "Response signature invalid")
    ea = encrypt_assertion(idp.assertion(role_arn, provider), spk.public_key())
    assert assume(server, role_arn, provider, idp.response(ea, sign_assertion=False, sign_response=True))["Subject"] == "alice@example.com"


def test_encrypted_assertion_without_a_private_key(server, idp):
    spk, _ = sp_key()
    role_arn, provider, _ = setup(server, idp)
    ea = encrypt_assertion(idp.sign(idp.assertion(role_arn, provider)), spk.public_key())
    with pytest.raises(Exception) as e:
        assume(server, role_arn, provider, idp.response(ea, sign_assertion=False))
    assert_error(e, "InvalidIdentityToken", 400)


def test_other_requests_still_need_a_signature(server):
    # Only AssumeRoleWithSAML and AssumeRoleWithWebIdentity are served unsigned.
    r = server.raw({"Action": "GetCallerIdentity", "Version": "2011-06-15"}, service="sts", sign=False)
    assert r.status == 403, r.text


# Metadata past its validUntil no longer vouches for the IdP (SAML 2.0 Metadata, 2.3.1:
# validUntil is "the expiration time of the metadata"); Castellan refuses the sign-in.
def test_expired_metadata_is_refused(server, idp):
    iam = server.iam()
    metadata = idp.metadata().replace("<md:EntityDescriptor ", '<md:EntityDescriptor validUntil="2001-01-01T00:00:00Z" ', 1)
    provider = iam.create_saml_provider(Name=unique("old"), SAMLMetadataDocument=metadata)["SAMLProviderArn"]
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": provider}, "Action": "sts:AssumeRoleWithSAML"}]}
    role_arn = iam.create_role(RoleName=unique("saml"), AssumeRolePolicyDocument=dumps(trust))["Role"]["Arn"]
    with pytest.raises(Exception) as e:
        assume(server, role_arn, provider, signed(idp, role_arn, provider))
    assert_error(e, "InvalidIdentityToken", 400, contains="validUntil")
