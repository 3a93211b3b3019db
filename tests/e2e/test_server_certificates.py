"""Server certificates, through boto3 and the aws CLI.

AWS documentation these tests follow:
  * IAM API Reference: UploadServerCertificate (CertificateBody, PrivateKey, CertificateChain,
    Path, Tags; errors MalformedCertificate — "the certificate was malformed or expired" —,
    KeyPairMismatch — "the public key certificate and the private key do not match" —,
    EntityAlreadyExists, LimitExceeded), GetServerCertificate, ListServerCertificates
    (PathPrefix), UpdateServerCertificate (NewPath, NewServerCertificateName),
    DeleteServerCertificate, TagServerCertificate, UntagServerCertificate,
    ListServerCertificateTags; ServerCertificateMetadata (Arn, ServerCertificateId, UploadDate,
    Expiration); GetAccountSummary (ServerCertificates).
  * IAM User Guide, "Managing server certificates in IAM" (the ARN
    arn:aws:iam::ACCOUNT:server-certificate/PATH/NAME; the private key is never returned) and
    "IAM and AWS STS quotas" (server certificates stored in an AWS account: 20).
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

NOW = datetime.datetime.now(datetime.timezone.utc)


def key_pem(key, fmt=serialization.PrivateFormat.PKCS8) -> str:
    return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption()).decode()


def make(key=None, issuer_key=None, issuer_name=None, days: int = 365, expired: bool = False, cn: str | None = None):
    """(certificate PEM, private key, certificate object)."""
    key = key or rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn or unique("srv") + ".example.com")])
    start, end = (NOW - datetime.timedelta(days=30), NOW - datetime.timedelta(days=1)) if expired else (NOW - datetime.timedelta(minutes=5), NOW + datetime.timedelta(days=days))
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name or name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .sign(issuer_key or key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key, cert


def test_upload_get_list_update_tag_delete_round_trip(iam):
    ca_pem, ca_key, ca = make(cn="Castellan Test CA")
    body, key, cert = make(issuer_key=ca_key, issuer_name=ca.subject)
    name = unique("srvcert")
    out = iam.upload_server_certificate(
        Path="/cloudfront/test/", ServerCertificateName=name, CertificateBody=body, PrivateKey=key_pem(key),
        CertificateChain=ca_pem, Tags=[{"Key": "team", "Value": "edge"}],
    )
    meta = out["ServerCertificateMetadata"]
    assert meta["Path"] == "/cloudfront/test/" and meta["ServerCertificateName"] == name
    assert meta["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:server-certificate/cloudfront/test/{name}"
    assert meta["ServerCertificateId"].startswith("ASCA") and len(meta["ServerCertificateId"]) == 21
    assert meta["Expiration"].replace(microsecond=0) == cert.not_valid_after_utc.replace(microsecond=0)
    assert "UploadDate" in meta
    assert out["Tags"] == [{"Key": "team", "Value": "edge"}]

    got = iam.get_server_certificate(ServerCertificateName=name)["ServerCertificate"]
    assert got["ServerCertificateMetadata"] == meta
    assert got["CertificateBody"] == body.strip() and got["CertificateChain"] == ca_pem.strip()
    assert "PrivateKey" not in got
    assert got["Tags"] == [{"Key": "team", "Value": "edge"}]

    listed = iam.list_server_certificates(PathPrefix="/cloudfront/")["ServerCertificateMetadataList"]
    assert [m["ServerCertificateName"] for m in listed] == [name]
    assert iam.list_server_certificates(PathPrefix="/elsewhere/")["ServerCertificateMetadataList"] == []

    iam.tag_server_certificate(ServerCertificateName=name, Tags=[{"Key": "env", "Value": "test"}])
    iam.untag_server_certificate(ServerCertificateName=name, TagKeys=["team"])
    assert iam.list_server_certificate_tags(ServerCertificateName=name)["Tags"] == [{"Key": "env", "Value": "test"}]

    renamed = unique("srvcert")
    iam.update_server_certificate(ServerCertificateName=name, NewServerCertificateName=renamed, NewPath="/")
    with pytest.raises(ClientError) as e:
        iam.get_server_certificate(ServerCertificateName=name)
    assert_error(e, "NoSuchEntity", 404, f"The Server Certificate with name {name} cannot be found.")
    moved = iam.get_server_certificate(ServerCertificateName=renamed)["ServerCertificate"]["ServerCertificateMetadata"]
    assert moved["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:server-certificate/{renamed}"
    assert moved["ServerCertificateId"] == meta["ServerCertificateId"]

    iam.delete_server_certificate(ServerCertificateName=renamed)
    with pytest.raises(ClientError) as e:
        iam.delete_server_certificate(ServerCertificateName=renamed)
    assert_error(e, "NoSuchEntity", 404, f"The Server Certificate with name {renamed} cannot be found.")


@pytest.mark.parametrize("kind", ["rsa-pkcs1", "ec-sec1", "ec-pkcs8"])
def test_key_forms_accepted(iam, kind):
    if kind == "rsa-pkcs1":
        body, key, _ = make()
        pem = key_pem(key, serialization.PrivateFormat.TraditionalOpenSSL)
    else:
        body, key, _ = make(key=ec.generate_private_key(ec.SECP256R1()))
        fmt = serialization.PrivateFormat.TraditionalOpenSSL if kind == "ec-sec1" else serialization.PrivateFormat.PKCS8
        pem = key_pem(key, fmt)
    name = unique("srvcert")
    iam.upload_server_certificate(ServerCertificateName=name, CertificateBody=body, PrivateKey=pem)
    iam.delete_server_certificate(ServerCertificateName=name)


def test_bad_certificates_keys_and_duplicates(iam):
    body, key, _ = make()
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = unique("srvcert")
    cases = [
        ({"CertificateBody": "not a certificate", "PrivateKey": key_pem(key)}, "MalformedCertificate", 400),
        ({"CertificateBody": make(expired=True)[0], "PrivateKey": key_pem(key)}, "MalformedCertificate", 400),
        ({"CertificateBody": body, "PrivateKey": "not a key"}, "MalformedCertificate", 400),
        ({"CertificateBody": body, "PrivateKey": key_pem(key), "CertificateChain": "not a chain"}, "MalformedCertificate", 400),
        ({"CertificateBody": body, "PrivateKey": key_pem(other_key)}, "KeyPairMismatch", 400),
    ]
    for kw, code, status in cases:
        with pytest.raises(ClientError) as e:
            iam.upload_server_certificate(ServerCertificateName=name, **kw)
        assert_error(e, code, status)
    iam.upload_server_certificate(ServerCertificateName=name, CertificateBody=body, PrivateKey=key_pem(key))
    with pytest.raises(ClientError) as e:
        iam.upload_server_certificate(ServerCertificateName=name.upper(), CertificateBody=body, PrivateKey=key_pem(key))
    assert_error(e, "EntityAlreadyExists", 409, f"The Server Certificate with name {name.upper()} already exists.")
    other = unique("srvcert")
    iam.upload_server_certificate(ServerCertificateName=other, CertificateBody=body, PrivateKey=key_pem(key))
    with pytest.raises(ClientError) as e:
        iam.update_server_certificate(ServerCertificateName=other, NewServerCertificateName=name)
    assert_error(e, "EntityAlreadyExists", 409)
    for n in (name, other):
        iam.delete_server_certificate(ServerCertificateName=n)


def test_quota_of_twenty_and_account_summary(fresh_server):
    iam = fresh_server.iam()
    body, key, _ = make()
    for i in range(20):
        iam.upload_server_certificate(ServerCertificateName=f"cert{i}", CertificateBody=body, PrivateKey=key_pem(key))
    with pytest.raises(ClientError) as e:
        iam.upload_server_certificate(ServerCertificateName="cert20", CertificateBody=body, PrivateKey=key_pem(key))
    assert_error(e, "LimitExceeded", 409, "Cannot exceed quota for ServerCertificatesPerAccount: 20")
    summary = iam.get_account_summary()["SummaryMap"]
    assert summary["ServerCertificates"] == 20 and summary["ServerCertificatesQuota"] == 20
    page = iam.list_server_certificates(MaxItems=15)
    rest = iam.list_server_certificates(Marker=page["Marker"])
    assert page["IsTruncated"] and len(page["ServerCertificateMetadataList"] + rest["ServerCertificateMetadataList"]) == 20


def test_private_key_is_sealed_at_rest(server_factory, tmp_path):
    data = tmp_path / "data"
    srv = server_factory(data_dir=data)
    body, key, _ = make()
    pem = key_pem(key)
    srv.iam().upload_server_certificate(ServerCertificateName="sealed", CertificateBody=body, PrivateKey=pem)
    srv.kill()
    secret_line = pem.splitlines()[5]
    for f in data.rglob("*"):
        if f.is_file():
            assert secret_line.encode() not in f.read_bytes(), f"private key in plaintext in {f}"
    srv2 = server_factory(data_dir=data)
    assert srv2.iam().get_server_certificate(ServerCertificateName="sealed")["ServerCertificate"]["CertificateBody"] == body.strip()
    srv2.stop()


def test_aws_cli_round_trip_and_error(server, tmp_path):
    body, key, _ = make()
    (tmp_path / "cert.pem").write_text(body)
    (tmp_path / "key.pem").write_text(key_pem(key))
    name = unique("srvcert")
    out = server.aws(
        "iam", "upload-server-certificate", "--server-certificate-name", name, "--path", "/cli/",
        "--certificate-body", f"file://{tmp_path / 'cert.pem'}", "--private-key", f"file://{tmp_path / 'key.pem'}",
    )
    assert out["ServerCertificateMetadata"]["Arn"].endswith(f":server-certificate/cli/{name}")
    got = server.aws("iam", "get-server-certificate", "--server-certificate-name", name)
    assert got["ServerCertificate"]["CertificateBody"] == body.strip()
    listed = server.aws("iam", "list-server-certificates", "--path-prefix", "/cli/")
    assert name in [m["ServerCertificateName"] for m in listed["ServerCertificateMetadataList"]]
    server.aws("iam", "delete-server-certificate", "--server-certificate-name", name)
    res = server.aws_run("iam", "get-server-certificate", "--server-certificate-name", name)
    assert res.returncode != 0 and "NoSuchEntity" in res.stderr
