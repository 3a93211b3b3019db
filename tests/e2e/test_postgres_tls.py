"""PostgreSQL over TLS (issue 16, "TLS"): the connection string's `sslmode` (require,
verify-ca, verify-full, with sslrootcert) against a throwaway PostgreSQL cluster made for the
test with ssl=on, which refuses connections that are not TLS (pg_hba `hostnossl … reject`)."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

import castellan_e2e as e2e
from castellan_e2e import SHARED_MASTER_KEY, Server, unique

pytestmark = pytest.mark.skipif(bool(e2e.EXTERNAL_ENDPOINT), reason="needs its own castellan process")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60)


def make_ca(d: Path, name: str) -> tuple[Path, Path]:
    key, cert = d / f"{name}.key", d / f"{name}.crt"
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(key),
            "-out", str(cert), "-days", "2", "-subj", f"/CN={name}",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    return key, cert


@pytest.fixture(scope="module")
def tls_postgres():
    """A PostgreSQL cluster on a free port with ssl=on and a certificate for `localhost` only
    (not 127.0.0.1), signed by a CA of the test's. Yields (port, CA file, another CA file)."""
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not bins or not shutil.which("openssl"):
        if os.environ.get("CI", "").lower() in ("true", "1"):
            pytest.fail("CI=true but PostgreSQL's initdb or openssl is missing", pytrace=False)
        pytest.skip("PostgreSQL's server binaries (initdb) or openssl are not installed")
    bindir = Path(bins[-1]).parent
    root = Path(tempfile.mkdtemp(prefix="castellan-pgtls-"))
    as_postgres: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        shutil.chown(root, "postgres", "postgres")
        as_postgres = ["runuser", "-u", "postgres", "--"]
    data = root / "data"
    subprocess.run([*as_postgres, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
                   check=True, capture_output=True, timeout=120)
    ca_key, ca_cert = make_ca(root, "test-ca")
    _, other_ca = make_ca(root, "other-ca")
    key, csr, cert = data / "server.key", root / "server.csr", data / "server.crt"
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(key), "-out", str(csr),
            "-subj", "/CN=localhost")
    ext = root / "ext.cnf"
    ext.write_text("subjectAltName=DNS:localhost\n")
    openssl("x509", "-req", "-in", str(csr), "-CA", str(ca_cert), "-CAkey", str(ca_key), "-CAcreateserial", "-out", str(cert),
            "-days", "2", "-extfile", str(ext))
    key.chmod(0o600)
    if as_postgres:
        for p in (key, cert):
            shutil.chown(p, "postgres", "postgres")
    port = free_port()
    with open(data / "postgresql.conf", "a") as conf:
        conf.write(f"\nport = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{root}'\n"
                   "ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\nfsync = off\n")
    (data / "pg_hba.conf").write_text(
        "local all all trust\nhostssl all all 127.0.0.1/32 trust\nhostnossl all all 127.0.0.1/32 reject\n"
    )
    if as_postgres:
        shutil.chown(data / "pg_hba.conf", "postgres", "postgres")
    ctl = [*as_postgres, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w"]
    subprocess.run([*ctl, "start"], check=True, capture_output=True, timeout=120)
    try:
        yield port, str(ca_cert), str(other_ca)
    finally:
        subprocess.run([*ctl, "-m", "immediate", "stop"], capture_output=True, timeout=120)
        shutil.rmtree(root, ignore_errors=True)


def node(url: str) -> Server:
    return Server(database_url=url, master_key=SHARED_MASTER_KEY)


def test_verify_full_connects_over_tls_and_keeps_data(tls_postgres):
    port, ca, _ = tls_postgres
    url = f"postgres://postgres@localhost:{port}/postgres?sslmode=verify-full&sslrootcert={ca}"
    srv = node(url).start()
    name = unique("pgtls")
    try:
        srv.iam().create_user(UserName=name)
    finally:
        srv.kill()
        srv.cleanup_logs()
    # Another node on the same database over TLS sees it.
    again = node(url).start()
    try:
        assert again.iam().get_user(UserName=name)["User"]["UserName"] == name
    finally:
        again.stop()
        again.cleanup_logs()


def serves(url: str) -> None:
    """A node on `url` starts and answers."""
    srv = node(url).start()
    try:
        srv.iam().list_users()
    finally:
        srv.stop()
        srv.cleanup_logs()


def refused(url: str) -> None:
    """A node on `url` does not start: it cannot connect to the database."""
    srv = node(url)
    with pytest.raises(e2e.ServerStartError):
        srv.start()
    srv.cleanup_logs()


def test_without_sslmode_the_tls_only_server_refuses_the_node(tls_postgres):
    port, _, _ = tls_postgres
    refused(f"postgres://postgres@localhost:{port}/postgres")


def test_require_encrypts_without_checking_the_certificate(tls_postgres):
    port, _, _ = tls_postgres
    serves(f"postgres://postgres@127.0.0.1:{port}/postgres?sslmode=require")


def test_verify_full_refuses_a_certificate_for_another_name_verify_ca_accepts_it(tls_postgres):
    port, ca, _ = tls_postgres
    # The certificate names localhost, not 127.0.0.1.
    refused(f"postgres://postgres@127.0.0.1:{port}/postgres?sslmode=verify-full&sslrootcert={ca}")
    serves(f"postgres://postgres@127.0.0.1:{port}/postgres?sslmode=verify-ca&sslrootcert={ca}")


def test_verify_full_refuses_a_certificate_from_another_ca(tls_postgres):
    port, _, other_ca = tls_postgres
    refused(f"postgres://postgres@localhost:{port}/postgres?sslmode=verify-full&sslrootcert={other_ca}")
