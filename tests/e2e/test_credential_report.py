"""The credential report (GenerateCredentialReport, GetCredentialReport), through boto3 and the
aws CLI.

AWS documentation these tests follow:
  * IAM User Guide, "Generate credential reports for your AWS account": the CSV columns and
    their order (user … cert_2_last_rotated), the root user's row (<root_account>, password
    columns not_supported), N/A and no_information, true/false, dates in ISO 8601; a report is
    reused for four hours.
  * IAM API Reference: GenerateCredentialReport (State STARTED | INPROGRESS | COMPLETE),
    GetCredentialReport (Content, ReportFormat text/csv, GeneratedTime; errors ReportNotPresent
    410, ReportInProgress 404, ReportExpired 410 in the IAM model).
  * (mfa_active: "When a multi-factor authentication (MFA) device has been enabled for the
    user, this value is TRUE".)
  * AWS Tools for PowerShell, Request-IAMCredentialReport example: the description "No report
    exists. Starting a new report generation task" with State STARTED.
The last test runs the README's walk-through of these operations as written.
"""

from __future__ import annotations

import base64
import csv
import io
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from castellan_e2e import ACCOUNT_ID, assert_error, unique
from test_mfa import enabled_device
from test_server_certificates import key_pem, make
from test_signing_certificates import make_cert

COLUMNS = (
    "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,"
    "mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,"
    "access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
    "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,"
    "cert_2_last_rotated"
).split(",")


def wait_complete(iam) -> None:
    for _ in range(120):
        if iam.generate_credential_report()["State"] == "COMPLETE":
            return
        time.sleep(0.5)
    raise AssertionError("the credential report never completed")


def rows(iam) -> dict[str, dict[str, str]]:
    r = iam.get_credential_report()
    assert r["ReportFormat"] == "text/csv" and "GeneratedTime" in r
    reader = csv.DictReader(io.StringIO(r["Content"].decode()))
    assert reader.fieldnames == COLUMNS
    return {row["user"]: row for row in reader}


def test_states_and_contents(fresh_server):
    iam = fresh_server.iam()
    with pytest.raises(ClientError) as e:
        iam.get_credential_report()
    assert_error(e, "ReportNotPresent", 410)

    plain, rich = unique("plain"), unique("rich")
    iam.create_user(UserName=plain)
    iam.create_user(UserName=rich, Path="/team/")
    iam.create_login_profile(UserName=rich, Password="Correct-Horse-9")
    k1 = iam.create_access_key(UserName=rich)["AccessKey"]
    k2 = iam.create_access_key(UserName=rich)["AccessKey"]
    iam.update_access_key(UserName=rich, AccessKeyId=k2["AccessKeyId"], Status="Inactive")
    # Use the first key once, so its last use is known.
    iam.attach_user_policy(UserName=rich, PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    fresh_server.iam(access_key=k1["AccessKeyId"], secret_key=k1["SecretAccessKey"]).get_user()
    iam.upload_signing_certificate(UserName=rich, CertificateBody=make_cert())
    iam.update_account_password_policy(MaxPasswordAge=90)
    enabled_device(iam, rich)  # a virtual MFA device with real TOTP codes (test_mfa.py)

    first = iam.generate_credential_report()
    assert first["State"] == "STARTED"
    assert first["Description"] == "No report exists. Starting a new report generation task"
    wait_complete(iam)
    report = rows(iam)

    root = report["<root_account>"]
    assert root["arn"] == f"arn:aws:iam::{ACCOUNT_ID}:root"
    assert (root["password_enabled"], root["password_last_changed"], root["password_next_rotation"]) == ("not_supported",) * 3
    assert root["access_key_1_active"] == "true"  # the root key the suite signs with

    p = report[plain]
    assert p["arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/{plain}"
    assert p["user_creation_time"].endswith("+00:00")
    assert (p["password_enabled"], p["password_last_used"], p["password_last_changed"], p["password_next_rotation"]) == ("false", "N/A", "N/A", "N/A")
    assert p["mfa_active"] == "false"
    for n in ("1", "2"):
        assert p[f"access_key_{n}_active"] == "false"
        for col in ("last_rotated", "last_used_date", "last_used_region", "last_used_service"):
            assert p[f"access_key_{n}_{col}"] == "N/A"
        assert (p[f"cert_{n}_active"], p[f"cert_{n}_last_rotated"]) == ("false", "N/A")

    r = report[rich]
    assert r["mfa_active"] == "true"
    assert r["arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/team/{rich}"
    assert r["password_enabled"] == "true" and r["password_last_used"] == "no_information"
    assert r["password_last_changed"].endswith("+00:00") and r["password_next_rotation"].endswith("+00:00")
    # The two keys were made in the same second: which is access_key_1 is not fixed.
    slots = sorted(
        (r[f"access_key_{n}_active"], r[f"access_key_{n}_last_used_service"], r[f"access_key_{n}_last_used_region"], r[f"access_key_{n}_last_used_date"] != "N/A")
        for n in ("1", "2")
    )
    assert slots == [("false", "N/A", "N/A", False), ("true", "iam", "us-east-1", True)]
    assert r["access_key_1_last_rotated"].endswith("+00:00") and r["access_key_2_last_rotated"].endswith("+00:00")
    assert r["cert_1_active"] == "true" and r["cert_1_last_rotated"].endswith("+00:00")
    assert r["cert_2_active"] == "false"

    # Within four hours the same report is served: a new user is not in it.
    iam.create_user(UserName=unique("late"))
    assert iam.generate_credential_report()["State"] == "COMPLETE"
    assert set(rows(iam)) == set(report)


def test_aws_cli(fresh_server):
    res = fresh_server.aws_run("iam", "get-credential-report")
    assert res.returncode != 0 and "ReportNotPresent" in res.stderr
    out = fresh_server.aws("iam", "generate-credential-report")
    assert out["State"] in ("STARTED", "INPROGRESS", "COMPLETE")
    wait_complete(fresh_server.iam())
    got = fresh_server.aws("iam", "get-credential-report")
    assert got["ReportFormat"] == "text/csv"
    text = base64.b64decode(got["Content"]).decode()
    assert text.splitlines()[0].split(",") == COLUMNS


def test_readme_walk_through_verbatim_in_shape(fresh_server, tmp_path):
    """README, "Certificates, SSH keys and the credential report": every `aws` command of its
    block runs as written, with the placeholders filled in (files, the key id)."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("## Certificates, SSH keys and the credential report", 1)[1]
    block = section.split("```sh", 1)[1].split("```", 1)[0]
    commands = [c.strip() for c in block.replace("\\\n", " ").splitlines() if c.strip().startswith("aws ")]
    assert len(commands) == 7

    iam = fresh_server.iam()
    iam.create_user(UserName="alice")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (tmp_path / "id_rsa.pub").write_text(key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode())
    ca_pem, ca_key, ca = make(cn="README CA")
    body, server_key, _ = make(issuer_key=ca_key, issuer_name=ca.subject)
    (tmp_path / "cert.pem").write_text(body)
    (tmp_path / "chain.pem").write_text(ca_pem)
    (tmp_path / "key.pem").write_text(key_pem(server_key))
    key_id = None
    for command in commands:
        command = command.replace("~/.ssh/id_rsa.pub", str(tmp_path / "id_rsa.pub"))
        for f in ("cert.pem", "chain.pem", "key.pem"):
            command = command.replace(f"file://{f}", f"file://{tmp_path / f}")
        if key_id:
            command = command.replace("APKA…", key_id)
        args = command.split()[1:]
        if "|" in args:  # `… --output text | base64 -d`: the CLI part, JSON output
            args = args[: args.index("|")]
            args = [a for a in args if a not in ("--query", "Content", "--output", "text")]
        if args[:2] == ["iam", "get-credential-report"]:
            wait_complete(iam)
        out = fresh_server.aws(*args)
        if args[:2] == ["iam", "upload-ssh-public-key"]:
            key_id = out["SSHPublicKey"]["SSHPublicKeyId"]
    assert base64.b64decode(out["Content"]).decode().splitlines()[0].split(",") == COLUMNS
