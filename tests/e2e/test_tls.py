"""HTTPS (issue 16, "TLS"): `castellan serve --tls-cert/--tls-key` and `--tls-self-signed`,
with the aws CLI (`--ca-bundle`) and boto3 (`AWS_CA_BUNDLE`)."""

from __future__ import annotations

import socket
import ssl
import subprocess
import tempfile
import urllib.request
from pathlib import Path

import botocore.exceptions
import pytest

import castellan_e2e as e2e
from castellan_e2e import ACCOUNT_ID, Server, dumps, unique

pytestmark = pytest.mark.skipif(bool(e2e.EXTERNAL_ENDPOINT), reason="needs its own castellan process")


class TlsServer(Server):
    """`castellan serve` speaking HTTPS with the given TLS options."""

    def __init__(self, tls_args: list[str], **kw) -> None:
        super().__init__(**kw)
        self.tls_args = tls_args

    def command(self) -> list[str]:
        return super().command() + self.tls_args

    @property
    def endpoint(self) -> str:
        assert self.port is not None, "server not started"
        return f"https://127.0.0.1:{self.port}"


@pytest.fixture(scope="module")
def tls_dir():
    with tempfile.TemporaryDirectory(prefix="castellan-tls-") as d:
        yield Path(d)


@pytest.fixture(scope="module")
def tls_server(tls_dir):
    cert, key = tls_dir / "cert.pem", tls_dir / "key.pem"
    srv = TlsServer(["--tls-self-signed", "--tls-cert", str(cert), "--tls-key", str(key)])
    srv.start()
    yield srv
    srv.stop()
    srv.cleanup_logs()


def ca_file(srv: TlsServer) -> str:
    return srv.tls_args[srv.tls_args.index("--tls-cert") + 1]


def test_self_signed_certificate_is_made_for_localhost_and_kept_private(tls_server, tls_dir):
    assert any("Made a self-signed TLS certificate" in line for line in tls_server.stdout_lines)
    assert (tls_dir / "key.pem").stat().st_mode & 0o077 == 0
    ctx = ssl.create_default_context(cafile=str(tls_dir / "cert.pem"))
    for host in ("localhost", "127.0.0.1"):
        url = f"https://{host}:{tls_server.port}/healthz"
        with urllib.request.urlopen(url, context=ctx, timeout=10) as r:
            assert r.read() == b"ok\n"


def test_aws_cli_over_https_with_ca_bundle(tls_server):
    name = unique("tls-cli")
    tls_server.aws("iam", "create-user", "--user-name", name, "--ca-bundle", ca_file(tls_server))
    ident = tls_server.aws("sts", "get-caller-identity", "--ca-bundle", ca_file(tls_server))
    assert ident["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:root"
    users = tls_server.aws("iam", "list-users", "--ca-bundle", ca_file(tls_server))
    assert name in [u["UserName"] for u in users["Users"]]
    # Without the CA the CLI refuses the certificate.
    res = tls_server.aws_run("sts", "get-caller-identity")
    assert res.returncode != 0
    assert "SSL" in res.stderr or "certificate" in res.stderr


def test_boto3_over_https_with_aws_ca_bundle(tls_server, monkeypatch):
    monkeypatch.setenv("AWS_CA_BUNDLE", ca_file(tls_server))
    iam = tls_server.iam()
    name = unique("tls-boto")
    iam.create_user(UserName=name)
    assert iam.get_user(UserName=name)["User"]["UserName"] == name
    monkeypatch.delenv("AWS_CA_BUNDLE")
    with pytest.raises(botocore.exceptions.SSLError):
        tls_server.iam().list_users()


def test_aws_secure_transport_is_true_over_https_only(tls_server, server, monkeypatch):
    """aws:SecureTransport: "whether the request was sent using TLS" (IAM User Guide, AWS
    global condition context keys)."""
    monkeypatch.setenv("AWS_CA_BUNDLE", ca_file(tls_server))
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "true"}}}]}
    keys = []
    for srv in (tls_server, server):
        iam = srv.iam()
        name = unique("tls-secure")
        iam.create_user(UserName=name)
        iam.put_user_policy(UserName=name, PolicyName="tls-only", PolicyDocument=dumps(policy))
        key = iam.create_access_key(UserName=name)["AccessKey"]
        keys.append(srv.iam(access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"]))
    keys[0].list_users()
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        keys[1].list_users()
    assert exc.value.response["Error"]["Code"] == "AccessDenied"


def test_plain_http_to_the_https_port_gets_no_iam_answer(tls_server):
    with socket.create_connection(("127.0.0.1", tls_server.port), timeout=10) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        try:
            while chunk := s.recv(4096):
                data += chunk
        except (ConnectionResetError, socket.timeout):
            pass
    assert b"ok" not in data


def test_given_certificate_and_key_files(tmp_path):
    """A certificate made elsewhere (openssl), given with --tls-cert/--tls-key."""
    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60,
    )
    srv = TlsServer(["--tls-cert", str(cert), "--tls-key", str(key)])
    srv.start()
    try:
        ident = srv.aws("sts", "get-caller-identity", "--ca-bundle", str(cert))
        assert ident["Account"] == ACCOUNT_ID
        assert not any("self-signed" in line for line in srv.stdout_lines)
    finally:
        srv.stop()
        srv.cleanup_logs()


def test_unreadable_key_is_refused_at_start_without_echoing_it(tmp_path):
    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=localhost"],
        check=True, capture_output=True, timeout=60,
    )
    key.write_text("-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS1tYXRlcmlhbA==\n-----END PRIVATE KEY-----\n")
    srv = TlsServer(["--tls-cert", str(cert), "--tls-key", str(key)])
    with pytest.raises(e2e.ServerStartError) as exc:
        srv.start()
    srv.cleanup_logs()
    assert "c2VjcmV0" not in str(exc.value)
    assert "do not make a usable pair" in str(exc.value) or "no PEM private key" in str(exc.value)
