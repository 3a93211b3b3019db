"""Harness for the Castellan end-to-end suite.

Starts `castellan serve` processes, builds boto3 clients and aws CLI invocations
against them, signs raw query-protocol requests, and checks AWS-shaped errors.

Conventions (shared with the server):
  * binary: env CASTELLAN_BIN, default <repo>/target/debug/castellan
  * `castellan serve --in-memory --listen 127.0.0.1:0` (or `--data-dir DIR`, or
    `--database-url URL` for nodes sharing a PostgreSQL database: see `postgres_url`),
    env CASTELLAN_ACCOUNT_ID / CASTELLAN_ROOT_ACCESS_KEY_ID /
    CASTELLAN_ROOT_SECRET_ACCESS_KEY; prints `listening on http://127.0.0.1:PORT`.

Debugging aid only: CASTELLAN_E2E_ENDPOINT=http://127.0.0.1:5001 points the suite at an
already running server (e.g. `moto_server -p 5001`) instead of spawning one; "fresh"
servers are then emulated by POSTing to moto's /moto-api/reset. Tests that need their own
process (persistence) are skipped in that mode. moto does not validate everything, so
some tests legitimately fail there.
"""

from __future__ import annotations

import datetime as _dt
import gzip
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Iterable

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.credentials
from botocore.config import Config
from botocore.exceptions import ClientError

REPO_ROOT = Path(__file__).resolve().parents[2]
ACCOUNT_ID = "123456789012"
ROOT_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
ROOT_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
REGION = "us-east-1"
ROOT_ARN = f"arn:aws:iam::{ACCOUNT_ID}:root"
IAM_XMLNS = "https://iam.amazonaws.com/doc/2010-05-08/"

STARTUP_TIMEOUT_S = float(os.environ.get("CASTELLAN_E2E_STARTUP_TIMEOUT", "30"))
LISTEN_RE = re.compile(r"listening on https?://127\.0\.0\.1:(\d+)")

EXTERNAL_ENDPOINT = os.environ.get("CASTELLAN_E2E_ENDPOINT") or None

# The master key of every node started on the PostgreSQL test database (base64 of 32 bytes).
# Nodes sharing a database must share the key that seals the secrets stored there; one fixed
# key for the whole suite keeps every module's nodes compatible with the same database.
SHARED_MASTER_KEY = "Y2FzdGVsbGFuLWUyZS1zaGFyZWQtbWFzdGVyLWtleSE="


def postgres_url() -> str:
    """The PostgreSQL database for multi-node tests (CASTELLAN_TEST_DATABASE_URL, which
    scripts/test.sh creates fresh for each run). Unset: the test is skipped, except under
    CI=true, where it fails: CI must run them."""
    import pytest

    url = os.environ.get("CASTELLAN_TEST_DATABASE_URL", "").strip()
    if not url:
        if os.environ.get("CI", "").lower() in ("true", "1"):
            pytest.fail("CI=true but CASTELLAN_TEST_DATABASE_URL is not set: the PostgreSQL tests must run", pytrace=False)
        pytest.skip("CASTELLAN_TEST_DATABASE_URL is not set (./scripts/test.sh creates a database and sets it)")
    return url

# A trust policy that AWS accepts (the README's ExampleRole trust policy).
EC2_TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}

S3_READ_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": "*",
        }
    ],
}


def policy_doc(action: str = "s3:GetObject", resource: str = "*", sid: str | None = None) -> dict:
    stmt: dict[str, Any] = {"Effect": "Allow", "Action": action, "Resource": resource}
    if sid:
        stmt["Sid"] = sid
    return {"Version": "2012-10-17", "Statement": [stmt]}


def dumps(doc: dict) -> str:
    return json.dumps(doc, separators=(",", ":"))


def unique(prefix: str = "e2e") -> str:
    """A name no other test uses (names are case-insensitively unique per account)."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def user_with_policy(server: "Server", iam: Any, statements: list[dict]) -> Any:
    """A new IAM user with an inline policy of `statements`; returns an IAM client as that user."""
    user = unique("user")
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=dumps({"Version": "2012-10-17", "Statement": statements}))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    return server.iam(access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])


def castellan_bin() -> Path:
    return Path(os.environ.get("CASTELLAN_BIN") or REPO_ROOT / "target" / "debug" / "castellan")


def as_doc(value: Any) -> Any:
    """A policy document as a dict, whether the client already decoded it or not.

    AWS returns policy documents URL-encoded (RFC 3986); botocore (and so the aws CLI)
    URL-decodes and JSON-parses them. Raw HTTP gets the encoded text.
    """
    if isinstance(value, str):
        text = value
        if text.lstrip().startswith("%7B") or "%22" in text:
            text = urllib.parse.unquote(text)
        return json.loads(text)
    return value


# ---------------------------------------------------------------------------------------
# AWS managed policies reference data (vendored in the repo)
# ---------------------------------------------------------------------------------------

_MANAGED: list[dict] | None = None


def aws_managed_policies() -> list[dict]:
    """The 1,452 AWS managed policies every account sees (data/aws-managed-policies.jsonl.gz)."""
    global _MANAGED
    if _MANAGED is None:
        path = REPO_ROOT / "data" / "aws-managed-policies.jsonl.gz"
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            _MANAGED = [json.loads(line) for line in fh if line.strip()]
    return _MANAGED


def aws_managed_policy(name_or_arn: str) -> dict:
    for p in aws_managed_policies():
        if p["Arn"] == name_or_arn or p["PolicyName"] == name_or_arn:
            return p
    raise KeyError(name_or_arn)


# ---------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------


def iam_resource_label(action: str, resource: str) -> str:
    """How IAM's AccessDenied names the resource: an existing user, role or group as `TYPE
    NAME`, an existing policy as `policy ARN`; what does not exist yet (Create*) and listings
    keep the ARN. As seen from AWS: "iam:GetUser on resource: user dev_user1", "iam:GetRole on
    resource: role cdk-…" (aws/aws-cdk #27067), "iam:DeletePolicyVersion on resource: policy
    arn:aws:iam::866996500832:policy/Route53TerraformDeploy" (cds-snc/dns #523),
    "iam:CreateUser on resource: arn:aws:iam::731872836472:user/test". Here every resource a
    non-Create action names exists."""
    if not action.startswith("iam:") or action.startswith("iam:Create") and action != "iam:CreateAccessKey" and action != "iam:CreateLoginProfile":
        return resource
    kind_path = resource.split(":", 5)[5] if resource.count(":") >= 5 else ""
    kind, _, rest = kind_path.partition("/")
    name = rest.rsplit("/", 1)[-1]
    if not name:
        return resource
    if kind == "policy":
        return f"policy {resource}"
    if kind in ("user", "role", "group"):
        return f"{kind} {name}"
    return resource


def assert_error(
    err: Any,
    code: str,
    status: int,
    message: str | None = None,
    *,
    startswith: str | None = None,
    contains: Iterable[str] | str | None = None,
) -> ClientError:
    """Assert a botocore ClientError's code, HTTP status and (optionally) message.

    `err` may be a ClientError or a pytest ExceptionInfo wrapping one.
    `message` is compared exactly; `startswith` / `contains` are for texts whose exact AWS
    wording is not certain (the believed text is then in a comment next to the call).
    """
    exc = getattr(err, "value", err)
    assert isinstance(exc, ClientError), f"expected a ClientError, got {exc!r}"
    resp = exc.response
    got_code = resp.get("Error", {}).get("Code")
    got_msg = resp.get("Error", {}).get("Message")
    got_status = resp.get("ResponseMetadata", {}).get("HTTPStatusCode")
    assert got_code == code, f"error code {got_code!r} != {code!r} (message {got_msg!r}, status {got_status})"
    assert got_status == status, f"HTTP status {got_status} != {status} for {code} ({got_msg!r})"
    if message is not None:
        assert got_msg == message, f"message mismatch for {code}:\n  got:  {got_msg!r}\n  want: {message!r}"
    if startswith is not None:
        assert got_msg and got_msg.startswith(startswith), f"message {got_msg!r} does not start with {startswith!r}"
    if contains is not None:
        for part in [contains] if isinstance(contains, str) else contains:
            assert got_msg and part in got_msg, f"message {got_msg!r} does not contain {part!r}"
    return exc


# ---------------------------------------------------------------------------------------
# Server processes
# ---------------------------------------------------------------------------------------


class ServerStartError(RuntimeError):
    pass


class Server:
    """One `castellan serve` process (or, in external mode, a handle on a running server)."""

    def __init__(
        self,
        *,
        data_dir: Path | None = None,
        root_keys: bool = True,
        env_extra: dict[str, str] | None = None,
        external: str | None = None,
        database_url: str | None = None,
        master_key: str | None = None,
    ) -> None:
        """`database_url`: keep IAM in that PostgreSQL database (`--database-url`); the data
        directory (`data_dir`, else one in the server's scratch directory) then only holds
        root-credentials and, without `master_key`, master.key. `master_key`: base64 of 32
        bytes, as CASTELLAN_MASTER_KEY (nodes sharing a database need the same one)."""
        self.data_dir = Path(data_dir) if data_dir else None
        self.database_url = database_url
        self.master_key = master_key
        self.root_keys = root_keys
        self.env_extra = env_extra or {}
        self.external = external
        self.proc: subprocess.Popen | None = None
        self.port: int | None = None
        self.stdout_lines: list[str] = []
        self._log_dir_path: Path | None = None
        self._stderr_fh = None

    @property
    def _log_dir(self) -> Path:
        """Scratch directory: the server's cwd, its stderr log and the CLI's empty config."""
        if self._log_dir_path is None:
            self._log_dir_path = Path(tempfile.mkdtemp(prefix="castellan-e2e-log-"))
        return self._log_dir_path

    @property
    def stderr_path(self) -> Path:
        return self._log_dir / "stderr.log"

    # -- lifecycle ----------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        if self.external:
            return self.external.rstrip("/")
        assert self.port is not None, "server not started"
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        cmd = [str(castellan_bin()), "serve"]
        if self.data_dir is not None:
            cmd += ["--data-dir", str(self.data_dir)]
        if self.database_url is not None:
            cmd += ["--database-url", self.database_url]
        elif self.data_dir is None:
            cmd += ["--in-memory"]
        cmd += ["--listen", "127.0.0.1:0"]
        return cmd

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CASTELLAN_"))}
        env["CASTELLAN_ACCOUNT_ID"] = ACCOUNT_ID
        if self.root_keys:
            env["CASTELLAN_ROOT_ACCESS_KEY_ID"] = ROOT_ACCESS_KEY_ID
            env["CASTELLAN_ROOT_SECRET_ACCESS_KEY"] = ROOT_SECRET_ACCESS_KEY
        env.setdefault("RUST_BACKTRACE", "1")
        if self.master_key is not None:
            env["CASTELLAN_MASTER_KEY"] = self.master_key
        env.update(self.env_extra)
        return env

    def start(self) -> "Server":
        if self.external:
            return self
        binary = castellan_bin()
        if not binary.exists():
            raise ServerStartError(
                f"castellan binary not found at {binary}. Build it (`cargo build`) or set CASTELLAN_BIN."
            )
        self._stderr_fh = open(self.stderr_path, "ab")
        self.proc = subprocess.Popen(
            self.command(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr_fh,
            env=self.env(),
            cwd=str(self._log_dir),
        )
        lines: "queue.Queue[str | None]" = queue.Queue()

        def pump(stream, sink: list[str]) -> None:
            for raw in iter(stream.readline, b""):
                line = raw.decode("utf-8", "replace").rstrip("\n")
                sink.append(line)
                lines.put(line)
            lines.put(None)

        threading.Thread(target=pump, args=(self.proc.stdout, self.stdout_lines), daemon=True).start()
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.kill()
                raise ServerStartError(f"server did not print 'listening on' within {STARTUP_TIMEOUT_S}s.\n{self.diagnostics()}")
            try:
                line = lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                self.proc.wait(timeout=5)
                raise ServerStartError(f"server exited with {self.proc.returncode} before listening.\n{self.diagnostics()}")
            m = LISTEN_RE.search(line)
            if m:
                self.port = int(m.group(1))
                break
        self._wait_accepting()
        return self

    def _wait_accepting(self) -> None:
        import socket

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        raise ServerStartError(f"port {self.port} not accepting connections.\n{self.diagnostics()}")

    def reset(self) -> None:
        """External (moto) mode only: empty the account."""
        assert self.external
        req = urllib.request.Request(self.endpoint + "/moto-api/reset", data=b"", method="POST")
        urllib.request.urlopen(req, timeout=10).read()

    def stop(self, timeout: float = 10) -> None:
        if self.external or self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=timeout)
        self._close()

    def kill(self) -> None:
        """SIGKILL (kill -9): no chance to flush anything."""
        if self.external or self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
        self._close()

    def _close(self) -> None:
        if self.proc is not None and self.proc.stdout is not None:
            try:
                self.proc.stdout.close()
            except Exception:
                pass
        if self._stderr_fh is not None:
            self._stderr_fh.close()
            self._stderr_fh = None

    def diagnostics(self) -> str:
        try:
            err = self.stderr_path.read_text("utf-8", "replace")[-4000:]
        except OSError:
            err = ""
        out = "\n".join(self.stdout_lines[-40:])
        return f"command: {' '.join(self.command())}\n--- stdout ---\n{out}\n--- stderr (tail) ---\n{err}"

    def cleanup_logs(self) -> None:
        if self._log_dir_path is not None:
            shutil.rmtree(self._log_dir_path, ignore_errors=True)
            self._log_dir_path = None

    # -- clients ------------------------------------------------------------------------

    def client(
        self,
        service: str = "iam",
        *,
        access_key: str = ROOT_ACCESS_KEY_ID,
        secret_key: str = ROOT_SECRET_ACCESS_KEY,
        session_token: str | None = None,
        validate: bool = True,
        region: str = REGION,
    ):
        """A boto3 client of this server configured for `region` (it signs with that region,
        as a client pointed at a custom endpoint does)."""
        cfg = Config(
            region_name=region,
            retries={"total_max_attempts": 1, "mode": "standard"},
            connect_timeout=5,
            read_timeout=60,
            parameter_validation=validate,
        )
        return boto3.session.Session().client(
            service,
            endpoint_url=self.endpoint,
            region_name=region,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            aws_session_token=session_token,
            config=cfg,
        )

    def iam(self, **kw):
        return self.client("iam", **kw)

    def sts(self, **kw):
        return self.client("sts", **kw)

    # -- aws CLI ------------------------------------------------------------------------

    def cli_env(self, access_key: str = ROOT_ACCESS_KEY_ID, secret_key: str = ROOT_SECRET_ACCESS_KEY) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        cfg_dir = self._log_dir / "aws-config"
        cfg_dir.mkdir(exist_ok=True)
        (cfg_dir / "config").write_text("")
        (cfg_dir / "credentials").write_text("")
        env.update(
            AWS_ACCESS_KEY_ID=access_key,
            AWS_SECRET_ACCESS_KEY=secret_key,
            AWS_DEFAULT_REGION=REGION,
            AWS_ENDPOINT_URL=self.endpoint,
            AWS_CONFIG_FILE=str(cfg_dir / "config"),
            AWS_SHARED_CREDENTIALS_FILE=str(cfg_dir / "credentials"),
            AWS_PAGER="",
            AWS_MAX_ATTEMPTS="1",
            AWS_EC2_METADATA_DISABLED="true",
        )
        return env

    def aws_run(
        self,
        *args: str,
        access_key: str = ROOT_ACCESS_KEY_ID,
        secret_key: str = ROOT_SECRET_ACCESS_KEY,
        endpoint_flag: bool = True,
    ) -> subprocess.CompletedProcess:
        """Run the aws CLI. The endpoint is passed both as --endpoint-url and AWS_ENDPOINT_URL
        (endpoint_flag=False: only the environment variable)."""
        cmd = [sys.executable, "-m", "awscli", *args, "--output", "json"]
        if endpoint_flag:
            cmd += ["--endpoint-url", self.endpoint]
        return subprocess.run(
            cmd,
            env=self.cli_env(access_key, secret_key),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def aws(self, *args: str, **kw) -> Any:
        """Run `aws ARGS...` against this server; return parsed JSON (None if no output)."""
        res = self.aws_run(*args, **kw)
        if res.returncode != 0:
            raise AssertionError(
                f"`aws {' '.join(args)}` exited {res.returncode}\nstdout: {res.stdout}\nstderr: {res.stderr}"
            )
        out = res.stdout.strip()
        return json.loads(out) if out else None

    # -- raw query protocol -------------------------------------------------------------

    def raw(
        self,
        params: dict[str, str],
        *,
        method: str = "POST",
        service: str = "iam",
        access_key: str = ROOT_ACCESS_KEY_ID,
        secret_key: str = ROOT_SECRET_ACCESS_KEY,
        sign: bool = True,
        headers: dict[str, str] | None = None,
        region: str = REGION,
    ) -> "RawResponse":
        """Send one SigV4-signed (for `region`) query-protocol request; never raises on HTTP
        errors."""
        body = urllib.parse.urlencode(params)
        if method == "GET":
            url = f"{self.endpoint}/?{body}"
            data = None
            hdrs = {}
        else:
            url = f"{self.endpoint}/"
            data = body.encode()
            hdrs = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        hdrs.update(headers or {})
        req = botocore.awsrequest.AWSRequest(method=method, url=url, data=data, headers=hdrs)
        if sign:
            creds = botocore.credentials.Credentials(access_key, secret_key)
            botocore.auth.SigV4Auth(creds, service, region).add_auth(req)
        prepared = req.prepare()
        ureq = urllib.request.Request(prepared.url, data=prepared.body, method=method, headers=dict(prepared.headers.items()))
        try:
            with urllib.request.urlopen(ureq, timeout=60) as resp:
                return RawResponse(resp.status, dict(resp.headers.items()), resp.read())
        except urllib.error.HTTPError as e:
            return RawResponse(e.code, dict(e.headers.items()), e.read())


class RawResponse:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = {k.lower(): v for k, v in headers.items()}
        self.body = body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def xml(self) -> ET.Element:
        return ET.fromstring(self.body)

    def find(self, path: str) -> str | None:
        """Text at a namespace-agnostic slash path below the root, e.g. 'Error/Code'."""
        node = strip_ns(self.xml())
        for part in path.split("/"):
            node = node.find(part) if node is not None else None
        return None if node is None else (node.text or "")

    def __repr__(self) -> str:
        return f"RawResponse({self.status}, {self.text[:500]!r})"


def strip_ns(root: ET.Element) -> ET.Element:
    for el in root.iter():
        if isinstance(el.tag, str) and "}" in el.tag:
            el.tag = el.tag.split("}", 1)[1]
    return root


def vm_hwm_mb(pid: int) -> float:
    """A process's peak resident set size (VmHWM of /proc/PID/status), in MB."""
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmHWM in /proc/{pid}/status")


def now_utc() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


def assert_recent(ts: _dt.datetime, slack_s: float = 600) -> None:
    assert isinstance(ts, _dt.datetime), ts
    assert ts.tzinfo is not None, f"timestamp without timezone: {ts!r}"
    delta = abs((now_utc() - ts).total_seconds())
    assert delta < slack_s, f"timestamp {ts} is {delta:.0f}s away from now"


IAM_ID_RE = {
    "user": re.compile(r"^AIDA[A-Z0-9]{17}$"),
    "group": re.compile(r"^AGPA[A-Z0-9]{17}$"),
    "role": re.compile(r"^AROA[A-Z0-9]{17}$"),
    "policy": re.compile(r"^ANPA[A-Z0-9]{17}$"),
    "instance-profile": re.compile(r"^AIPA[A-Z0-9]{17}$"),
}
ACCESS_KEY_ID_RE = re.compile(r"^AKIA[A-Z0-9]{16}$")
SECRET_RE = re.compile(r"^[A-Za-z0-9/+]{40}$")


def collect_pages(call, result_key: str, page_size: int, **kwargs) -> tuple[list, list[dict]]:
    """Walk Marker/MaxItems pages by hand. Returns (all items, raw pages) and checks the
    IsTruncated / Marker contract on every page."""
    items: list = []
    pages: list[dict] = []
    marker = None
    for _ in range(10_000):
        kw = dict(kwargs, MaxItems=page_size)
        if marker is not None:
            kw["Marker"] = marker
        page = call(**kw)
        pages.append(page)
        got = page.get(result_key, [])
        assert len(got) <= page_size, f"{result_key}: page of {len(got)} > MaxItems {page_size}"
        items.extend(got)
        if page.get("IsTruncated"):
            assert page.get("Marker"), f"{result_key}: IsTruncated without Marker"
            assert got, f"{result_key}: truncated page with no items"
            marker = page["Marker"]
        else:
            assert not page.get("Marker"), f"{result_key}: Marker on the last page"
            break
    else:  # pragma: no cover
        raise AssertionError("pagination did not terminate")
    return items, pages
