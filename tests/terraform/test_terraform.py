"""Terraform with the hashicorp/aws provider against a real `castellan serve`.

main.tf (users with force_destroy, groups and memberships, roles with trust policies,
customer managed policies, user/group/role attachments, inline policies, an instance profile
and access keys) is applied, read back with boto3, planned again (`-detailed-exitcode`: a
diff right after apply means Castellan answers differently from AWS), destroyed, and checked
gone.

The provider is never downloaded: a CLI config (TF_CLI_CONFIG_FILE, written into a temporary
directory) installs hashicorp/aws from a local filesystem mirror, CASTELLAN_TF_PLUGIN_MIRROR
(default /opt/tf-plugins, laid out as registry.terraform.io/hashicorp/aws/<version>/<os_arch>/).
The suite skips when terraform (TERRAFORM, default `terraform` on PATH) or the mirror is
missing. The binary is CASTELLAN_BIN, default <repo>/target/debug/castellan, as in tests/e2e.

    python3 -m pytest -q tests/terraform
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "e2e"))

import castellan_e2e as e2e  # noqa: E402  (the e2e harness: Server, root keys, as_doc)
from castellan_e2e import Server, ServerStartError  # noqa: E402

TERRAFORM = shutil.which(os.environ.get("TERRAFORM") or "terraform")
PLUGIN_MIRROR = Path(os.environ.get("CASTELLAN_TF_PLUGIN_MIRROR") or "/opt/tf-plugins")
PROVIDER = "registry.terraform.io/hashicorp/aws"
PREFIX = "tf"
TF_TIMEOUT_S = 600

# Marks, not a module-level skip: the tests are collected and reported skipped (exit 0).
pytestmark = [
    pytest.mark.skipif(
        not TERRAFORM,
        reason=f"terraform is not installed ({os.environ.get('TERRAFORM') or 'terraform'} not found): skipping the Terraform suite",
    ),
    pytest.mark.skipif(
        not (PLUGIN_MIRROR / PROVIDER).is_dir(),
        reason=f"no {PROVIDER} provider in the filesystem mirror {PLUGIN_MIRROR} (set CASTELLAN_TF_PLUGIN_MIRROR): "
        "skipping the Terraform suite, which never downloads providers",
    ),
]

CLI_CONFIG = f"""
provider_installation {{
  filesystem_mirror {{
    path    = {json.dumps(str(PLUGIN_MIRROR))}
    include = ["{PROVIDER}"]
  }}
  direct {{
    exclude = ["{PROVIDER}"]
  }}
}}
"""

class Terraform:
    """terraform in a scratch copy of this directory, isolated from the machine's config."""

    def __init__(self, workdir: Path, endpoint: str) -> None:
        self.workdir = workdir
        shutil.copy(HERE / "main.tf", workdir / "main.tf")
        (workdir / "cli.tfrc").write_text(CLI_CONFIG)
        (workdir / "aws-config").write_text("")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_", "CASTELLAN_"))}
        env.update(
            TF_CLI_CONFIG_FILE=str(workdir / "cli.tfrc"),
            TF_IN_AUTOMATION="1",
            TF_INPUT="0",
            CHECKPOINT_DISABLE="1",
            # Nothing from the machine's AWS config, no instance metadata service.
            AWS_CONFIG_FILE=str(workdir / "aws-config"),
            AWS_SHARED_CREDENTIALS_FILE=str(workdir / "aws-config"),
            AWS_EC2_METADATA_DISABLED="true",
            TF_VAR_endpoint=endpoint,
            TF_VAR_access_key=e2e.ROOT_ACCESS_KEY_ID,
            TF_VAR_secret_key=e2e.ROOT_SECRET_ACCESS_KEY,
            TF_VAR_prefix=PREFIX,
        )
        self.env = env

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            [TERRAFORM, *args],
            cwd=self.workdir,
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=TF_TIMEOUT_S,
        )
        if check and proc.returncode != 0:
            pytest.fail(f"terraform {' '.join(args)} exited {proc.returncode}\n{proc.stdout[-6000:]}\n{proc.stderr[-6000:]}", pytrace=False)
        return proc

    def outputs(self) -> dict:
        out = self.run("output", "-json", "-no-color").stdout
        return {k: v["value"] for k, v in json.loads(out).items()}

    def state(self) -> list[str]:
        return self.run("state", "list", "-no-color").stdout.split()


@pytest.fixture(scope="module")
def server():
    srv = Server()
    try:
        srv.start()
    except ServerStartError as exc:
        pytest.fail(str(exc), pytrace=False)
    yield srv
    srv.stop()
    srv.cleanup_logs()


@pytest.fixture(scope="module")
def tf(server):
    workdir = Path(tempfile.mkdtemp(prefix="castellan-terraform-"))
    try:
        tf = Terraform(workdir, server.endpoint)
        tf.run("init", "-input=false", "-no-color")
        yield tf
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="module")
def iam(server):
    return server.iam()


def names(items: list[dict], key: str) -> set[str]:
    return {item[key] for item in items}


def test_apply_creates_everything(tf, server, iam):
    tf.run("apply", "-auto-approve", "-input=false", "-no-color")
    out = tf.outputs()
    account = e2e.ACCOUNT_ID

    # The provider's sts:GetCallerIdentity, answered by Castellan.
    assert out["account_id"] == account
    assert out["caller_arn"] == f"arn:aws:iam::{account}:root"

    # Users: path, tags, ids as Terraform recorded them.
    alice = iam.get_user(UserName=f"{PREFIX}-alice")["User"]
    bob = iam.get_user(UserName=f"{PREFIX}-bob")["User"]
    assert [alice["Arn"], bob["Arn"]] == out["user_arns"]
    assert [alice["UserId"], bob["UserId"]] == out["user_unique_ids"]
    assert alice["Path"] == "/engineering/"
    assert {t["Key"]: t["Value"] for t in alice.get("Tags", [])} == {"team": "platform"}

    # Groups and memberships (aws_iam_group_membership and aws_iam_user_group_membership).
    developers = iam.get_group(GroupName=f"{PREFIX}-developers")
    assert developers["Group"]["Arn"] == out["group_arns"][0]
    assert names(developers["Users"], "UserName") == {f"{PREFIX}-alice", f"{PREFIX}-bob"}
    readers = iam.get_group(GroupName=f"{PREFIX}-readers")
    assert names(readers["Users"], "UserName") == {f"{PREFIX}-bob"}
    assert names(iam.list_groups_for_user(UserName=f"{PREFIX}-bob")["Groups"], "GroupName") == {
        f"{PREFIX}-developers",
        f"{PREFIX}-readers",
    }

    # Roles and their trust policies.
    app = iam.get_role(RoleName=f"{PREFIX}-app")["Role"]
    admin = iam.get_role(RoleName=f"{PREFIX}-admin")["Role"]
    assert [app["Arn"], admin["Arn"]] == out["role_arns"]
    assert [app["RoleId"], admin["RoleId"]] == out["role_unique_ids"]
    assert app["Path"] == "/service/"
    assert app["Description"] == "EC2 application role"
    assert app["MaxSessionDuration"] == 7200
    assert {t["Key"]: t["Value"] for t in app.get("Tags", [])} == {"app": "web"}
    app_trust = e2e.as_doc(app["AssumeRolePolicyDocument"])["Statement"]
    assert [s["Principal"] for s in app_trust] == [{"Service": "ec2.amazonaws.com"}]
    admin_trust = e2e.as_doc(admin["AssumeRolePolicyDocument"])["Statement"]
    assert [s["Principal"] for s in admin_trust] == [{"AWS": f"arn:aws:iam::{account}:root"}]

    # Customer managed policies: documents, paths, attachments of every kind.
    s3_arn, logs_arn, audit_arn = out["policy_arns"]
    s3 = iam.get_policy(PolicyArn=s3_arn)["Policy"]
    assert s3["Path"] == "/engineering/"
    assert s3["Description"] == "Read the example bucket"
    assert [s3["PolicyId"]] == out["policy_ids"][:1]
    doc = e2e.as_doc(iam.get_policy_version(PolicyArn=s3_arn, VersionId=s3["DefaultVersionId"])["PolicyVersion"]["Document"])
    assert doc["Statement"][0]["Sid"] == "ReadBucket"
    assert sorted(doc["Statement"][0]["Action"]) == ["s3:GetObject", "s3:ListBucket"]

    def attached(kind: str, name: str) -> set[str]:
        call = getattr(iam, f"list_attached_{kind}_policies")
        return names(call(**{f"{kind.capitalize()}Name": name})["AttachedPolicies"], "PolicyArn")

    assert attached("user", f"{PREFIX}-alice") == {s3_arn}
    assert attached("user", f"{PREFIX}-bob") == {audit_arn}
    assert attached("group", f"{PREFIX}-developers") == {logs_arn}
    assert attached("group", f"{PREFIX}-readers") == {audit_arn, "arn:aws:iam::aws:policy/ReadOnlyAccess"}
    assert attached("role", f"{PREFIX}-app") == {s3_arn}
    assert attached("role", f"{PREFIX}-admin") == {audit_arn}
    entities = iam.list_entities_for_policy(PolicyArn=audit_arn)
    assert names(entities["PolicyUsers"], "UserName") == {f"{PREFIX}-bob"}
    assert names(entities["PolicyGroups"], "GroupName") == {f"{PREFIX}-readers"}
    assert names(entities["PolicyRoles"], "RoleName") == {f"{PREFIX}-admin"}

    # Inline policies.
    user_inline = iam.get_user_policy(UserName=f"{PREFIX}-alice", PolicyName="alice-sqs")
    statements = e2e.as_doc(user_inline["PolicyDocument"])["Statement"]
    assert [(s["Action"], s["Resource"]) for s in statements] == [("sqs:SendMessage", "*"), ("sts:AssumeRole", admin["Arn"])]
    group_inline = iam.get_group_policy(GroupName=f"{PREFIX}-readers", PolicyName="readers-dynamodb")
    assert e2e.as_doc(group_inline["PolicyDocument"])["Statement"][0]["Action"] == ["dynamodb:GetItem", "dynamodb:Query"]
    role_inline = iam.get_role_policy(RoleName=f"{PREFIX}-app", PolicyName="app-sns")
    assert e2e.as_doc(role_inline["PolicyDocument"])["Statement"][0]["Action"] == "sns:Publish"

    # The instance profile holds the role.
    profile = iam.get_instance_profile(InstanceProfileName=f"{PREFIX}-app-profile")["InstanceProfile"]
    assert profile["Arn"] == out["instance_profile_arn"]
    assert [r["RoleName"] for r in profile["Roles"]] == [f"{PREFIX}-app"]

    # Access keys: alice's works (signs as alice), bob's was created Inactive.
    keys = {k["AccessKeyId"]: k["Status"] for k in iam.list_access_keys(UserName=f"{PREFIX}-alice")["AccessKeyMetadata"]}
    assert keys == {out["alice_access_key_id"]: "Active"}
    keys = {k["AccessKeyId"]: k["Status"] for k in iam.list_access_keys(UserName=f"{PREFIX}-bob")["AccessKeyMetadata"]}
    assert keys == {out["bob_access_key_id"]: "Inactive"}
    alice_sts = server.sts(access_key=out["alice_access_key_id"], secret_key=out["alice_secret_access_key"])
    assert alice_sts.get_caller_identity()["Arn"] == alice["Arn"]

    # The account-trusting role, assumed by alice (her inline policy allows it; AWS refuses
    # AssumeRole to the root user).
    assumed = alice_sts.assume_role(RoleArn=admin["Arn"], RoleSessionName="terraform-e2e")
    assert assumed["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{account}:assumed-role/{PREFIX}-admin/terraform-e2e"


def test_plan_after_apply_shows_no_changes(tf):
    """`plan -detailed-exitcode` exits 0 for no changes, 2 for a diff: a diff right after
    apply means some read returned something other than what was written (what AWS does)."""
    proc = tf.run("plan", "-detailed-exitcode", "-input=false", "-no-color", check=False)
    assert proc.returncode == 0, f"plan exited {proc.returncode} (2: perpetual diff)\n{proc.stdout[-6000:]}\n{proc.stderr[-4000:]}"


def _gone(call, **kw) -> bool:
    try:
        call(**kw)
    except ClientError as exc:
        assert exc.response["Error"]["Code"] == "NoSuchEntity", exc.response
        return True
    return False


def test_destroy_removes_everything(tf, iam):
    """aws_iam_user's force_destroy first lists and removes what a user may own outside
    Terraform (access keys, SSH public keys, virtual and other MFA devices, login profile,
    signing certificates, service-specific credentials), then deletes the user."""
    tf.run("destroy", "-auto-approve", "-input=false", "-no-color")
    assert tf.state() == []
    for user in ("alice", "bob"):
        assert _gone(iam.get_user, UserName=f"{PREFIX}-{user}")
    for group in ("developers", "readers"):
        assert _gone(iam.get_group, GroupName=f"{PREFIX}-{group}")
    for role in ("app", "admin"):
        assert _gone(iam.get_role, RoleName=f"{PREFIX}-{role}")
    assert _gone(iam.get_instance_profile, InstanceProfileName=f"{PREFIX}-app-profile")
    local = [p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"]]
    assert [n for n in local if n.startswith(f"{PREFIX}-")] == []
    # The account is as empty as it started (the root user's keys aside).
    summary = iam.get_account_summary()["SummaryMap"]
    assert {k: summary[k] for k in ("Users", "Groups", "Roles", "Policies", "InstanceProfiles")} == {
        "Users": 0,
        "Groups": 0,
        "Roles": 0,
        "Policies": 0,
        "InstanceProfiles": 0,
    }
