"""First run and everyday use: what a new user meets besides the API.

  * `castellan serve --help` names every environment variable the binary reads.
  * Logs written to a file carry no colour codes.
  * An `--in-memory` server gets more accounts from `--account` / CASTELLAN_ACCOUNTS, so
    cross-account work needs no data directory (IAM User Guide, "Cross-account policy
    evaluation logic": a role trusting another account's root is assumable from there).
"""

from __future__ import annotations

import json
import subprocess

from castellan_e2e import ACCOUNT_ID, castellan_bin, unique

OTHER = "111122223333"
OTHER_KEY = "AKIAOTHERACCOUNT0001"
OTHER_SECRET = "otherAccountSecretKey0000000000000000000"


def test_help_names_every_environment_variable():
    out = subprocess.run([str(castellan_bin()), "serve", "--help"], capture_output=True, text=True, timeout=30).stdout
    for var in (
        "CASTELLAN_ACCOUNT_ID",
        "CASTELLAN_ROOT_ACCESS_KEY_ID",
        "CASTELLAN_ROOT_SECRET_ACCESS_KEY",
        "CASTELLAN_MASTER_KEY",
        "CASTELLAN_LOG",
        "CASTELLAN_ACCOUNTS",
        "CASTELLAN_DATA_DIR",
        "CASTELLAN_DATABASE_URL",
        "CASTELLAN_LISTEN",
    ):
        assert var in out, var
    out = subprocess.run([str(castellan_bin()), "account", "create", "--help"], capture_output=True, text=True, timeout=30).stdout
    assert "CASTELLAN_MASTER_KEY" in out and "CASTELLAN_DATA_DIR" in out


def test_logs_to_a_file_have_no_colour_codes(server_factory):
    srv = server_factory()
    srv.iam().list_users()
    srv.stop()
    text = srv.stderr_path.read_text(errors="replace")
    assert "serving IAM and STS" in text
    assert "\x1b[" not in text


def test_in_memory_server_with_another_account_for_cross_account_roles(server_factory):
    srv = server_factory(env_extra={"CASTELLAN_ACCOUNTS": f"{OTHER}:{OTHER_KEY}:{OTHER_SECRET},444455556666"})
    other = srv.iam(access_key=OTHER_KEY, secret_key=OTHER_SECRET)
    assert other.get_user()["User"]["Arn"] == f"arn:aws:iam::{OTHER}:root"
    # A role in the other account that trusts the first one, assumed by a user of the first.
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}, "Action": "sts:AssumeRole"}]}
    role = other.create_role(RoleName="cross", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam = srv.iam()
    name = unique("crosser")
    iam.create_user(UserName=name)
    allow = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role}]}
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(allow))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    sts = srv.sts(access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    arn = sts.assume_role(RoleArn=role, RoleSessionName="x-acct")["AssumedRoleUser"]["Arn"]
    assert arn == f"arn:aws:sts::{OTHER}:assumed-role/cross/x-acct"
    # An account given by id alone gets a generated key, printed once.
    assert any("444455556666" in line for line in srv.stdout_lines), srv.stdout_lines
    srv.stop()
