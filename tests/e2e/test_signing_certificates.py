"""X.509 signing certificates of IAM users and of the root user, through boto3 and the aws CLI.

AWS documentation these tests follow:
  * IAM API Reference: UploadSigningCertificate ("If the UserName is not specified, the IAM user
    name is determined implicitly based on the Amazon Web Services access key ID used to sign
    the request. This operation works for access keys under the Amazon Web Services account";
    errors MalformedCertificate — "the certificate was malformed or expired" —,
    DuplicateCertificate 409 — "the same certificate is associated with an IAM user in the
    account" —, LimitExceeded, NoSuchEntity), ListSigningCertificates,
    UpdateSigningCertificate, DeleteSigningCertificate, DeleteUser (DeleteConflict).
  * IAM User Guide, "IAM and AWS STS quotas": signing certificates assigned per IAM user, 2.
Where AWS's exact message text is not published, the tests check the code and HTTP status.
"""

from __future__ import annotations

import datetime

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from castellan_e2e import ACCOUNT_ID, assert_error, unique


def make_cert(days: int = 365, expired: bool = False, key=None) -> str:
    key = key or rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, unique("cert"))])
    now = datetime.datetime.now(datetime.timezone.utc)
    start, end = (now - datetime.timedelta(days=30), now - datetime.timedelta(days=1)) if expired else (now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=days))
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture
def user(iam):
    name = unique("certu")
    iam.create_user(UserName=name)
    return name


def test_upload_list_update_delete_round_trip(iam, user):
    body = make_cert()
    c = iam.upload_signing_certificate(UserName=user, CertificateBody=body)["Certificate"]
    assert c["UserName"] == user
    assert c["CertificateBody"] == body.strip()
    assert c["Status"] == "Active" and "UploadDate" in c
    assert len(c["CertificateId"]) >= 24
    cid = c["CertificateId"]
    listed = iam.list_signing_certificates(UserName=user)
    assert [(x["CertificateId"], x["Status"], x["UserName"]) for x in listed["Certificates"]] == [(cid, "Active", user)]
    assert listed["IsTruncated"] is False
    iam.update_signing_certificate(UserName=user, CertificateId=cid, Status="Inactive")
    assert iam.list_signing_certificates(UserName=user)["Certificates"][0]["Status"] == "Inactive"
    iam.delete_signing_certificate(UserName=user, CertificateId=cid)
    assert iam.list_signing_certificates(UserName=user)["Certificates"] == []
    with pytest.raises(ClientError) as e:
        iam.delete_signing_certificate(UserName=user, CertificateId=cid)
    assert_error(e, "NoSuchEntity", 404, f"The Certificate with id {cid} cannot be found.")


def test_ec_certificates_are_accepted(iam, user):
    body = make_cert(key=ec.generate_private_key(ec.SECP256R1()))
    assert iam.upload_signing_certificate(UserName=user, CertificateBody=body)["Certificate"]["Status"] == "Active"


def test_malformed_expired_duplicate_and_quota(iam, user):
    for bad in ("hello", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----", make_cert().replace("CERTIFICATE", "PUBLIC KEY")):
        with pytest.raises(ClientError) as e:
            iam.upload_signing_certificate(UserName=user, CertificateBody=bad)
        assert_error(e, "MalformedCertificate", 400)
    with pytest.raises(ClientError) as e:
        iam.upload_signing_certificate(UserName=user, CertificateBody=make_cert(expired=True))
    assert_error(e, "MalformedCertificate", 400)

    body = make_cert()
    iam.upload_signing_certificate(UserName=user, CertificateBody=body)
    # The same certificate: refused for this user and for any other user of the account.
    other = unique("certu")
    iam.create_user(UserName=other)
    for who in (user, other):
        with pytest.raises(ClientError) as e:
            iam.upload_signing_certificate(UserName=who, CertificateBody=body)
        assert_error(e, "DuplicateCertificate", 409)
    iam.upload_signing_certificate(UserName=user, CertificateBody=make_cert())
    with pytest.raises(ClientError) as e:
        iam.upload_signing_certificate(UserName=user, CertificateBody=make_cert())
    # LocalStack signing certificates snapshot, "upload-exceeds-limit-error" (recorded from AWS).
    assert_error(e, "LimitExceeded", 409, "Cannot exceed quota for CertificatesPerUser: 2")
    assert len(iam.list_signing_certificates(UserName=user)["Certificates"]) == 2

    nobody = unique("nobody")
    with pytest.raises(ClientError) as e:
        iam.upload_signing_certificate(UserName=nobody, CertificateBody=make_cert())
    assert_error(e, "NoSuchEntity", 404, f"The user with name {nobody} cannot be found.")


def test_root_and_implicit_user(fresh_server):
    iam = fresh_server.iam()
    # Root's own certificate: no UserName; listed under the account id.
    c = iam.upload_signing_certificate(CertificateBody=make_cert())["Certificate"]
    assert c["UserName"] == ACCOUNT_ID
    assert [x["CertificateId"] for x in iam.list_signing_certificates()["Certificates"]] == [c["CertificateId"]]
    # A user's own, through its own key and no UserName.
    name = unique("certu")
    iam.create_user(UserName=name)
    iam.attach_user_policy(UserName=name, PolicyArn="arn:aws:iam::aws:policy/IAMFullAccess")
    k = iam.create_access_key(UserName=name)["AccessKey"]
    own = fresh_server.iam(access_key=k["AccessKeyId"], secret_key=k["SecretAccessKey"])
    mine = own.upload_signing_certificate(CertificateBody=make_cert())["Certificate"]
    assert mine["UserName"] == name
    assert [x["CertificateId"] for x in own.list_signing_certificates()["Certificates"]] == [mine["CertificateId"]]
    assert [x["CertificateId"] for x in iam.list_signing_certificates()["Certificates"]] == [c["CertificateId"]]
    # A certificate is found only under its owner.
    with pytest.raises(ClientError) as e:
        own.delete_signing_certificate(CertificateId=c["CertificateId"])
    assert_error(e, "NoSuchEntity", 404)


def test_certificates_follow_renames_and_block_delete_user(iam, user):
    cid = iam.upload_signing_certificate(UserName=user, CertificateBody=make_cert())["Certificate"]["CertificateId"]
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName=user)
    assert_error(e, "DeleteConflict", 409, "Cannot delete entity, must delete signing certificates first.")
    renamed = unique("certr")
    iam.update_user(UserName=user, NewUserName=renamed)
    assert [(x["CertificateId"], x["UserName"]) for x in iam.list_signing_certificates(UserName=renamed)["Certificates"]] == [(cid, renamed)]
    iam.create_user(UserName=user)
    assert iam.list_signing_certificates(UserName=user)["Certificates"] == []
    iam.delete_signing_certificate(UserName=renamed, CertificateId=cid)
    iam.delete_user(UserName=renamed)


def test_aws_cli_round_trip_and_error(server, user, tmp_path):
    path = tmp_path / "cert.pem"
    path.write_text(make_cert())
    out = server.aws("iam", "upload-signing-certificate", "--user-name", user, "--certificate-body", f"file://{path}")
    cid = out["Certificate"]["CertificateId"]
    server.aws("iam", "update-signing-certificate", "--user-name", user, "--certificate-id", cid, "--status", "Inactive")
    listed = server.aws("iam", "list-signing-certificates", "--user-name", user)
    assert [(c["CertificateId"], c["Status"]) for c in listed["Certificates"]] == [(cid, "Inactive")]
    server.aws("iam", "delete-signing-certificate", "--user-name", user, "--certificate-id", cid)
    res = server.aws_run("iam", "upload-signing-certificate", "--user-name", user, "--certificate-body", "not a certificate")
    assert res.returncode != 0 and "MalformedCertificate" in res.stderr
