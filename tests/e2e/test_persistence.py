"""Persistent mode (`--data-dir`): state survives `kill -9`, the first start writes the root
credentials and the master key (mode 0600), and secrets are not stored in plaintext.

Castellan-specific behaviour (no AWS doc page): see the repository README ("Run the server")
and ARCHITECTURE.md (secret access keys encrypted under the master key, passwords argon2id).
The only AWS-side rule relied on: a secret access key can be retrieved only when it is created
(https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html), so nothing
needs it in plaintext at rest."""

import configparser
import os
import re
import stat
from pathlib import Path

import pytest

from castellan_e2e import (
    ACCESS_KEY_ID_RE,
    EC2_TRUST_POLICY,
    ROOT_ARN,
    ROOT_SECRET_ACCESS_KEY,
    SECRET_RE,
    as_doc,
    dumps,
    policy_doc,
)

pytestmark = pytest.mark.persistence

PASSWORD = "Persist3nt-Passw0rd!"


def mode_of(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def all_files(root: Path):
    return [p for p in root.rglob("*") if p.is_file()]


def db_files(root: Path):
    return [p for p in all_files(root) if p.name.startswith("castellan.db")]


def assert_not_in_files(files, needle: str, what: str):
    raw = needle.encode()
    for f in files:
        data = f.read_bytes()
        assert raw not in data, f"{what} found in plaintext in {f}"


def test_state_survives_kill_9(server_factory, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    srv = server_factory(data_dir=data)

    # First start: root credentials file and master key, both 0600.
    creds, master = data / "root-credentials", data / "master.key"
    assert creds.is_file(), sorted(p.name for p in data.iterdir())
    assert master.is_file(), sorted(p.name for p in data.iterdir())
    assert mode_of(creds) == 0o600, oct(mode_of(creds))
    assert mode_of(master) == 0o600, oct(mode_of(master))
    assert (data / "castellan.db").is_file(), sorted(p.name for p in data.iterdir())

    iam = srv.iam()
    iam.create_user(UserName="persisted", Path="/p/", Tags=[{"Key": "k", "Value": "v"}])
    uid = iam.get_user(UserName="persisted")["User"]["UserId"]
    iam.create_group(GroupName="pgroup")
    iam.add_user_to_group(GroupName="pgroup", UserName="persisted")
    iam.create_role(RoleName="prole", AssumeRolePolicyDocument=dumps(EC2_TRUST_POLICY), MaxSessionDuration=7200)
    arn = iam.create_policy(PolicyName="ppolicy", PolicyDocument=dumps(policy_doc("s3:Get1")))["Policy"]["Arn"]
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=dumps(policy_doc("s3:Get2")), SetAsDefault=True)
    iam.attach_user_policy(UserName="persisted", PolicyArn=arn)
    iam.attach_role_policy(RoleName="prole", PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
    iam.put_user_policy(UserName="persisted", PolicyName="inline", PolicyDocument=dumps(policy_doc("sqs:*")))
    iam.create_login_profile(UserName="persisted", Password=PASSWORD, PasswordResetRequired=True)
    iam.create_instance_profile(InstanceProfileName="pprofile")
    iam.add_role_to_instance_profile(InstanceProfileName="pprofile", RoleName="prole")
    key = iam.create_access_key(UserName="persisted")["AccessKey"]
    iam.update_access_key(UserName="persisted", AccessKeyId=key["AccessKeyId"], Status="Inactive")
    iam.create_account_alias(AccountAlias="persisted-alias")

    srv.kill()  # kill -9: no graceful shutdown

    # Secrets never reach the database in plaintext, even in the WAL of a killed process.
    assert_not_in_files(db_files(data), key["SecretAccessKey"], "the user's secret access key")
    assert_not_in_files(db_files(data), ROOT_SECRET_ACCESS_KEY, "the root secret access key")
    assert_not_in_files(all_files(data), PASSWORD, "the console password")

    srv2 = server_factory(data_dir=data)
    iam = srv2.iam()
    user = iam.get_user(UserName="persisted")["User"]
    assert user["UserId"] == uid
    assert user["Path"] == "/p/"
    assert {t["Key"]: t["Value"] for t in user["Tags"]} == {"k": "v"}
    assert [u["UserName"] for u in iam.get_group(GroupName="pgroup")["Users"]] == ["persisted"]
    role = iam.get_role(RoleName="prole")["Role"]
    assert role["MaxSessionDuration"] == 7200
    assert as_doc(role["AssumeRolePolicyDocument"]) == EC2_TRUST_POLICY
    pol = iam.get_policy(PolicyArn=arn)["Policy"]
    assert pol["DefaultVersionId"] == "v2"
    assert pol["AttachmentCount"] == 1
    assert as_doc(iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]["Document"]) == policy_doc("s3:Get1")
    assert [p["PolicyArn"] for p in iam.list_attached_user_policies(UserName="persisted")["AttachedPolicies"]] == [arn]
    assert iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")["Policy"]["AttachmentCount"] == 1
    assert as_doc(iam.get_user_policy(UserName="persisted", PolicyName="inline")["PolicyDocument"]) == policy_doc("sqs:*")
    assert iam.get_login_profile(UserName="persisted")["LoginProfile"]["PasswordResetRequired"] is True
    assert [r["RoleName"] for r in iam.get_instance_profile(InstanceProfileName="pprofile")["InstanceProfile"]["Roles"]] == ["prole"]
    keys = iam.list_access_keys(UserName="persisted")["AccessKeyMetadata"]
    assert [(k["AccessKeyId"], k["Status"]) for k in keys] == [(key["AccessKeyId"], "Inactive")]
    assert iam.list_account_aliases()["AccountAliases"] == ["persisted-alias"]
    assert iam.get_user()["User"]["Arn"] == ROOT_ARN
    # Ids keep growing after a restart: nothing is reissued.
    v3 = iam.create_policy_version(PolicyArn=arn, PolicyDocument=dumps(policy_doc("s3:Get3")))["PolicyVersion"]
    assert v3["VersionId"] == "v3"

    # Deletions persist too.
    iam.delete_access_key(UserName="persisted", AccessKeyId=key["AccessKeyId"])
    srv2.kill()
    srv3 = server_factory(data_dir=data)
    assert srv3.iam().list_access_keys(UserName="persisted")["AccessKeyMetadata"] == []
    srv3.stop()
    assert_not_in_files(db_files(data), key["SecretAccessKey"], "the user's secret access key")


def read_root_credentials(path: Path) -> tuple[str, str]:
    """The file is in AWS credentials-file format (README); fall back to a loose scan."""
    text = path.read_text()
    cp = configparser.ConfigParser()
    try:
        cp.read_string(text)
        for section in cp.sections():
            s = cp[section]
            if "aws_access_key_id" in s and "aws_secret_access_key" in s:
                return s["aws_access_key_id"].strip(), s["aws_secret_access_key"].strip()
    except configparser.Error:
        pass
    kid = re.search(r"AKIA[A-Z0-9]{16}", text)
    secret = re.search(r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])", text)
    assert kid and secret, f"no credentials found in {path}"
    return kid.group(0), secret.group(0)


# README: "On first start it creates an account and its root user's access key, prints them once
# and saves them to castellan-data/root-credentials (mode 0600, in AWS credentials-file format)."
def test_first_start_generates_root_credentials(server_factory, tmp_path):
    data = tmp_path / "fresh-data"
    srv = server_factory(data_dir=data, root_keys=False)
    creds = data / "root-credentials"
    assert creds.is_file()
    assert mode_of(creds) == 0o600
    assert mode_of(data / "master.key") == 0o600
    kid, secret = read_root_credentials(creds)
    assert ACCESS_KEY_ID_RE.match(kid), kid
    assert SECRET_RE.match(secret)

    iam = srv.iam(access_key=kid, secret_key=secret)
    root = iam.get_user()["User"]
    assert root["Arn"].startswith("arn:aws:iam::") and root["Arn"].endswith(":root")
    account = root["Arn"].split(":")[4]
    assert re.fullmatch(r"\d{12}", account)
    iam.create_user(UserName="u")

    before = creds.read_bytes()
    srv.kill()
    assert_not_in_files(db_files(data), secret, "the root secret access key")

    # The second start reuses the account and credentials; the file is not rewritten.
    srv2 = server_factory(data_dir=data, root_keys=False)
    assert creds.read_bytes() == before
    iam = srv2.iam(access_key=kid, secret_key=secret)
    assert iam.get_user()["User"]["Arn"] == f"arn:aws:iam::{account}:root"
    assert iam.get_user(UserName="u")["User"]["UserName"] == "u"
    srv2.stop()


# The saved root profile works with the aws CLI as it is, without AWS_DEFAULT_REGION (it names
# IAM's region), and the data directory keeps itself out of git (a `.gitignore` of `*`).
def test_saved_root_profile_has_a_region_and_the_data_dir_ignores_itself(server_factory, tmp_path):
    import subprocess
    import sys

    data = tmp_path / "fresh-data"
    srv = server_factory(data_dir=data, root_keys=False)
    creds = data / "root-credentials"
    assert "region = us-east-1" in creds.read_text()
    assert (data / ".gitignore").read_text().splitlines()[-1] == "*"
    account = re.search(r"\[castellan-(\d{12})\]", creds.read_text()).group(1)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_SHARED_CREDENTIALS_FILE=str(creds), AWS_CONFIG_FILE=str(tmp_path / "no-config"))
    out = subprocess.run(
        [sys.executable, "-m", "awscli", "--profile", f"castellan-{account}", "--endpoint-url", srv.endpoint, "iam", "list-users"],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert out.returncode == 0, out.stderr
    srv.stop()


def test_in_memory_mode_writes_nothing(server_factory):
    """--in-memory keeps nothing on disk (the process runs in a scratch directory)."""
    srv = server_factory()
    srv.iam().create_user(UserName="ephemeral")
    cwd = srv._log_dir
    leftovers = [p.name for p in cwd.iterdir() if p.name not in ("stderr.log", "aws-config")]
    assert not any(n.startswith("castellan") for n in leftovers), leftovers
    srv.stop()
