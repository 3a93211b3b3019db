"""SAML providers: Create/Get/List/Update/Delete, tags, private keys and encryption mode, with
boto3 and the aws CLI.

Sources: IAM API Reference (CreateSAMLProvider, GetSAMLProvider, UpdateSAMLProvider,
DeleteSAMLProvider, ListSAMLProviders, TagSAMLProvider, ListSAMLProviderTags: fields
SAMLProviderUUID, AssertionEncryptionMode, PrivateKeyList; errors InvalidInput,
EntityAlreadyExists, NoSuchEntity, LimitExceeded); IAM User Guide, "IAM and AWS STS quotas"
(100 SAML providers per account, 2 private keys per provider); "Troubleshooting SAML 2.0
federation" ("Could not parse metadata")."""

from __future__ import annotations

import re

import pytest
from castellan_e2e import ACCOUNT_ID, Server, assert_error, unique, user_with_policy
from saml_idp import Idp, sp_key


@pytest.fixture(scope="module")
def server():
    srv = Server()
    srv.start()
    yield srv
    srv.stop()
    srv.cleanup_logs()


@pytest.fixture(scope="module")
def iam(server):
    return server.iam()


@pytest.fixture(scope="module")
def idp():
    return Idp()


def private_key_pem():
    return sp_key()[1]


def test_create_get_list_delete(iam, idp):
    name = unique("okta")
    out = iam.create_saml_provider(Name=name, SAMLMetadataDocument=idp.metadata(), Tags=[{"Key": "team", "Value": "blue"}])
    arn = out["SAMLProviderArn"]
    assert arn == f"arn:aws:iam::{ACCOUNT_ID}:saml-provider/{name}"
    assert out["Tags"] == [{"Key": "team", "Value": "blue"}]
    got = iam.get_saml_provider(SAMLProviderArn=arn)
    assert got["SAMLMetadataDocument"] == idp.metadata()
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", got["SAMLProviderUUID"])
    assert got["Tags"] == [{"Key": "team", "Value": "blue"}]
    assert got["PrivateKeyList"] == []
    assert "CreateDate" in got
    listed = [p for p in iam.list_saml_providers()["SAMLProviderList"] if p["Arn"] == arn]
    assert len(listed) == 1 and "CreateDate" in listed[0]
    iam.delete_saml_provider(SAMLProviderArn=arn)
    with pytest.raises(Exception) as e:
        iam.get_saml_provider(SAMLProviderArn=arn)
    assert_error(e, "NoSuchEntity", 404)
    # Deleting again: the provider is not there (DeleteSAMLProvider lists NoSuchEntity).
    with pytest.raises(Exception) as e:
        iam.delete_saml_provider(SAMLProviderArn=arn)
    assert_error(e, "NoSuchEntity", 404)


def test_duplicate_name(iam, idp):
    name = unique("dup")
    iam.create_saml_provider(Name=name, SAMLMetadataDocument=idp.metadata())
    with pytest.raises(Exception) as e:
        iam.create_saml_provider(Name=name, SAMLMetadataDocument=idp.metadata())
    assert_error(e, "EntityAlreadyExists", 409)


def test_metadata_is_validated(server, iam, idp):
    bad = [
        "<x>" + "a" * 1000 + "</x>",  # not an EntityDescriptor
        idp.metadata().replace('use="signing"', 'use="encryption"'),  # no signing certificate
        idp.metadata().replace("<ds:X509Certificate>MII", "<ds:X509Certificate>AAAA"),  # broken certificate
        '<!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + idp.metadata().split("?>", 1)[1],  # external entity
    ]
    for doc in bad:
        with pytest.raises(Exception) as e:
            iam.create_saml_provider(Name=unique("bad"), SAMLMetadataDocument=doc)
        assert_error(e, "InvalidInput", 400, "Could not parse metadata")
    # The model's length limits (1,000 to 10,000,000 characters).
    # (botocore checks this itself, so a raw request.)
    r = server.raw({"Action": "CreateSAMLProvider", "Version": "2010-05-08", "Name": unique("short"), "SAMLMetadataDocument": "<x/>"})
    assert r.status == 400 and r.find("Error/Code") == "ValidationError"


def test_update_metadata_and_keys(iam, idp):
    arn = iam.create_saml_provider(Name=unique("upd"), SAMLMetadataDocument=idp.metadata())["SAMLProviderArn"]
    other = Idp(entity_id="https://other.example.com/saml", cn="other")
    assert iam.update_saml_provider(SAMLProviderArn=arn, SAMLMetadataDocument=other.metadata())["SAMLProviderArn"] == arn
    assert iam.get_saml_provider(SAMLProviderArn=arn)["SAMLMetadataDocument"] == other.metadata()
    # Required encryption needs a private key.
    with pytest.raises(Exception) as e:
        iam.update_saml_provider(SAMLProviderArn=arn, AssertionEncryptionMode="Required")
    assert_error(e, "InvalidInput", 400)
    iam.update_saml_provider(SAMLProviderArn=arn, AddPrivateKey=private_key_pem(), AssertionEncryptionMode="Allowed")
    got = iam.get_saml_provider(SAMLProviderArn=arn)
    assert got["AssertionEncryptionMode"] == "Allowed"
    [key] = got["PrivateKeyList"]
    assert re.fullmatch(r"[A-Z0-9]{22,64}", key["KeyId"]) and "Timestamp" in key
    assert "PRIVATE KEY" not in str(got)  # never returned
    iam.update_saml_provider(SAMLProviderArn=arn, AddPrivateKey=private_key_pem())
    with pytest.raises(Exception) as e:
        iam.update_saml_provider(SAMLProviderArn=arn, AddPrivateKey=private_key_pem())
    assert_error(e, "LimitExceeded", 409)
    iam.update_saml_provider(SAMLProviderArn=arn, RemovePrivateKey=key["KeyId"])
    assert [k["KeyId"] for k in iam.get_saml_provider(SAMLProviderArn=arn)["PrivateKeyList"]] != [key["KeyId"]]
    with pytest.raises(Exception) as e:
        iam.update_saml_provider(SAMLProviderArn=arn, AddPrivateKey="-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----")
    assert_error(e, "InvalidInput", 400)
    with pytest.raises(Exception) as e:
        iam.update_saml_provider(SAMLProviderArn=arn, SAMLMetadataDocument="<x>" + "a" * 1000 + "</x>")
    assert_error(e, "InvalidInput", 400, "Could not parse metadata")
    with pytest.raises(Exception) as e:
        iam.update_saml_provider(SAMLProviderArn=f"arn:aws:iam::{ACCOUNT_ID}:saml-provider/nope", AssertionEncryptionMode="Allowed")
    assert_error(e, "NoSuchEntity", 404)


def test_tags(iam, idp):
    arn = iam.create_saml_provider(Name=unique("tags"), SAMLMetadataDocument=idp.metadata())["SAMLProviderArn"]
    iam.tag_saml_provider(SAMLProviderArn=arn, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    iam.untag_saml_provider(SAMLProviderArn=arn, TagKeys=["a"])
    assert iam.list_saml_provider_tags(SAMLProviderArn=arn)["Tags"] == [{"Key": "b", "Value": "2"}]
    with pytest.raises(Exception) as e:
        iam.tag_saml_provider(SAMLProviderArn=arn, Tags=[{"Key": "aws:x", "Value": "1"}])
    assert_error(e, "InvalidInput", 400)


def test_counted_in_account_summary(iam, idp):
    before = iam.get_account_summary()["SummaryMap"]["Providers"]
    iam.create_saml_provider(Name=unique("sum"), SAMLMetadataDocument=idp.metadata())
    assert iam.get_account_summary()["SummaryMap"]["Providers"] == before + 1


# Authorization: resource type saml-provider, arn:aws:iam::${Account}:saml-provider/${SamlProviderName}
# (Service Authorization Reference, IAM); aws:ResourceTag from the provider's tags.
def test_authorization_by_provider_arn_and_tag(server, iam, idp):
    keep = iam.create_saml_provider(Name=unique("keep"), SAMLMetadataDocument=idp.metadata(), Tags=[{"Key": "locked", "Value": "yes"}])["SAMLProviderArn"]
    mine = iam.create_saml_provider(Name=unique("mine"), SAMLMetadataDocument=idp.metadata())["SAMLProviderArn"]
    locked = {"StringEquals": {"aws:ResourceTag/locked": "yes"}}
    client = user_with_policy(server, iam, [
        {"Effect": "Allow", "Action": "iam:*SAMLProvider*", "Resource": f"arn:aws:iam::{ACCOUNT_ID}:saml-provider/*"},
        {"Effect": "Deny", "Action": "iam:*", "Resource": "*", "Condition": locked}])
    client.tag_saml_provider(SAMLProviderArn=mine, Tags=[{"Key": "a", "Value": "b"}])
    with pytest.raises(Exception) as e:
        client.delete_saml_provider(SAMLProviderArn=keep)
    assert_error(e, "AccessDenied", 403, contains=[f"iam:DeleteSAMLProvider on resource: {keep}"])
    created = client.create_saml_provider(Name=unique("byuser"), SAMLMetadataDocument=idp.metadata())["SAMLProviderArn"]
    client.delete_saml_provider(SAMLProviderArn=created)
    # A user whose policies say nothing of SAML providers is refused.
    nobody = user_with_policy(server, iam, [{"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}])
    with pytest.raises(Exception) as e:
        nobody.get_saml_provider(SAMLProviderArn=mine)
    assert_error(e, "AccessDenied", 403)


def test_the_aws_cli(server, idp, tmp_path):
    doc = tmp_path / "metadata.xml"
    doc.write_text(idp.metadata())
    name = unique("cli")
    out = server.aws("iam", "create-saml-provider", "--name", name, "--saml-metadata-document", f"file://{doc}")
    arn = out["SAMLProviderArn"]
    got = server.aws("iam", "get-saml-provider", "--saml-provider-arn", arn)
    assert got["SAMLMetadataDocument"] == idp.metadata()
    assert arn in [p["Arn"] for p in server.aws("iam", "list-saml-providers")["SAMLProviderList"]]
    server.aws("iam", "delete-saml-provider", "--saml-provider-arn", arn)
