"""MFA end to end: virtual MFA devices, real TOTP codes, MFA in STS, MFA-conditioned policies,
and the aws CLI / boto3 with `mfa_serial`.

Codes are computed by pyotp, an independent RFC 6238 implementation, from the seed
CreateVirtualMFADevice returns.

AWS documentation these tests follow (each test names its page):
  * IAM API Reference: CreateVirtualMFADevice, EnableMFADevice, ResyncMFADevice,
    DeactivateMFADevice, DeleteVirtualMFADevice, GetMFADevice, ListMFADevices,
    ListVirtualMFADevices, TagMFADevice, UntagMFADevice, ListMFADeviceTags, GetAccountSummary.
  * STS API Reference: GetSessionToken and AssumeRole (SerialNumber, TokenCode).
  * IAM User Guide: "Configuring MFA-protected API access" (id_credentials_mfa_configure-api-require.html),
    "AWS: Allows MFA-authenticated IAM users to manage their own MFA device"
    (reference_policies_examples_aws_my-sec-creds-self-manage-mfa-only.html),
    "AWS global condition context keys" (aws:MultiFactorAuthPresent, aws:MultiFactorAuthAge).
  * AWS CLI User Guide, "Use an IAM role in the AWS CLI" (mfa_serial).
Messages seen from AWS in public issues: DeleteUser "Cannot delete entity, must delete MFA
device first." (aws-nuke #281); STS "MultiFactorAuthentication failed with invalid MFA one time
pass code." (aws-mfa PR #21) and "MultiFactorAuthentication failed, unable to validate MFA code.
Please verify your MFA serial number is valid and associated with this user." (aws-cli #6325).
"""

from __future__ import annotations

import base64
import configparser
import os
import subprocess
import sys
import time

import boto3
import pyotp
import pytest
from botocore.exceptions import ClientError

from castellan_e2e import ACCOUNT_ID, REGION, assert_error, dumps, unique

INVALID_CODE = "MultiFactorAuthentication failed with invalid MFA one time pass code."
UNABLE = (
    "MultiFactorAuthentication failed, unable to validate MFA code.  "
    "Please verify your MFA serial number is valid and associated with this user."
)
NOT_VALID = "Authentication code for device is not valid."


class Device:
    """A virtual MFA app: the seed and the codes it shows, never one step twice."""

    def __init__(self, serial: str, seed: str) -> None:
        self.serial = serial
        self.totp = pyotp.TOTP(seed)
        self.last: int | None = None

    @staticmethod
    def step_now() -> int:
        return int(time.time()) // 30

    def at(self, step: int) -> str:
        return self.totp.at(step * 30)

    def enable_codes(self) -> tuple[str, str]:
        now = self.step_now()
        self.last = now
        return self.at(now - 1), self.at(now)

    def next_code(self) -> str:
        """The code of the next unused step; waits while that step is more than two ahead."""
        step = self.step_now() if self.last is None else max(self.step_now(), self.last + 1)
        while step > self.step_now() + 2:
            time.sleep(1)
        self.last = step
        return self.at(step)


def make_user(iam, managed=(), inline: str | None = None):
    name = unique("mfau")
    iam.create_user(UserName=name)
    for arn in managed:
        iam.attach_user_policy(UserName=name, PolicyArn=arn)
    if inline:
        iam.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=inline)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return name, key["AccessKeyId"], key["SecretAccessKey"]


def new_device(iam, name: str | None = None, **kw) -> Device:
    out = iam.create_virtual_mfa_device(VirtualMFADeviceName=name or unique("mfad"), **kw)["VirtualMFADevice"]
    return Device(out["SerialNumber"], out["Base32StringSeed"].decode())


def enabled_device(iam, user: str) -> Device:
    dev = new_device(iam)
    c1, c2 = dev.enable_codes()
    iam.enable_mfa_device(UserName=user, SerialNumber=dev.serial, AuthenticationCode1=c1, AuthenticationCode2=c2)
    return dev


# CreateVirtualMFADevice: the serial number is the device ARN, the seed 64 Base32 characters
# (boto3 decodes the blob), the QR code a PNG; both only in this answer.
def test_create_returns_seed_and_qr_png_once(server, iam):
    name = unique("mfad")
    out = iam.create_virtual_mfa_device(VirtualMFADeviceName=name, Path="/team/", Tags=[{"Key": "k", "Value": "v"}])["VirtualMFADevice"]
    assert out["SerialNumber"] == f"arn:aws:iam::{ACCOUNT_ID}:mfa/team/{name}"
    seed = out["Base32StringSeed"].decode()
    assert len(seed) == 64 and set(seed) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    assert base64.b32decode(seed) and len(base64.b32decode(seed)) == 40
    png = out["QRCodePNG"]
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and b"IHDR" in png[:16] and png.endswith(b"IEND\xaeB`\x82")
    assert out["Tags"] == [{"Key": "k", "Value": "v"}]
    listed = [d for d in iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"] if d["SerialNumber"] == out["SerialNumber"]]
    assert len(listed) == 1
    assert "Base32StringSeed" not in listed[0] and "QRCodePNG" not in listed[0] and "User" not in listed[0]
    # Recorded from AWS: LocalStack's tests/aws/services/iam/test_iam_mfa.snapshot.json, "create-duplicate-error".
    with pytest.raises(ClientError) as e:
        iam.create_virtual_mfa_device(VirtualMFADeviceName=name.upper(), Path="/team/")
    assert_error(e, "EntityAlreadyExists", 409, "MFA device already exists.")
    # The same name on another path is another device.
    iam.create_virtual_mfa_device(VirtualMFADeviceName=name)


# EnableMFADevice: two consecutive codes; then ListMFADevices, GetMFADevice,
# ListVirtualMFADevices (Assigned, with the user), GetAccountSummary count it.
def test_enable_list_get_and_summary(server, iam):
    user, _, _ = make_user(iam)
    before = iam.get_account_summary()["SummaryMap"]
    dev = new_device(iam)
    now = Device.step_now()
    # Two codes that are not consecutive, a wrong code, a malformed one: nothing changes.
    for c1, c2 in [(dev.at(now - 2), dev.at(now)), (dev.at(now), dev.at(now - 1)), ("000000", dev.at(now))]:
        if c1 == c2:
            continue
        with pytest.raises(ClientError) as e:
            iam.enable_mfa_device(UserName=user, SerialNumber=dev.serial, AuthenticationCode1=c1, AuthenticationCode2=c2)
        assert_error(e, "InvalidAuthenticationCode", 403, NOT_VALID)
    assert iam.list_mfa_devices(UserName=user)["MFADevices"] == []
    with pytest.raises(ClientError) as e:
        server.iam(validate=False).enable_mfa_device(UserName=user, SerialNumber=dev.serial, AuthenticationCode1="12345", AuthenticationCode2="123456")
    assert_error(e, "ValidationError", 400)
    c1, c2 = dev.enable_codes()
    iam.enable_mfa_device(UserName=user, SerialNumber=dev.serial, AuthenticationCode1=c1, AuthenticationCode2=c2)
    devices = iam.list_mfa_devices(UserName=user)["MFADevices"]
    assert [(d["UserName"], d["SerialNumber"]) for d in devices] == [(user, dev.serial)]
    got = iam.get_mfa_device(SerialNumber=dev.serial, UserName=user)
    assert got["UserName"] == user and got["SerialNumber"] == dev.serial and "EnableDate" in got
    assigned = [d for d in iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"] if d["SerialNumber"] == dev.serial]
    assert len(assigned) == 1 and assigned[0]["User"]["UserName"] == user and "EnableDate" in assigned[0]
    assert dev.serial not in [d["SerialNumber"] for d in iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"]]
    # Without AssignmentStatus the listing is Any (ListVirtualMFADevices documentation).
    assert dev.serial in [d["SerialNumber"] for d in iam.list_virtual_mfa_devices()["VirtualMFADevices"]]
    after = iam.get_account_summary()["SummaryMap"]
    assert after["MFADevices"] == before["MFADevices"] + 1
    assert after["MFADevicesInUse"] == before["MFADevicesInUse"] + 1
    # Enabling an enabled device again, or a device that does not exist.
    other, _, _ = make_user(iam)
    with pytest.raises(ClientError) as e:
        iam.enable_mfa_device(UserName=other, SerialNumber=dev.serial, AuthenticationCode1=c1, AuthenticationCode2=c2)
    assert_error(e, "EntityAlreadyExists", 409)
    with pytest.raises(ClientError) as e:
        iam.enable_mfa_device(UserName=other, SerialNumber=dev.serial + "x", AuthenticationCode1=c1, AuthenticationCode2=c2)
    assert_error(e, "NoSuchEntity", 404)
    with pytest.raises(ClientError) as e:
        iam.get_mfa_device(SerialNumber=dev.serial, UserName=other)
    assert_error(e, "NoSuchEntity", 404)


# ResyncMFADevice re-learns a device whose clock runs ahead; DeactivateMFADevice and
# DeleteVirtualMFADevice; a device in use cannot be deleted, nor can its user.
def test_resync_deactivate_delete(server, iam):
    user, _, _ = make_user(iam)
    dev = enabled_device(iam, user)
    with pytest.raises(ClientError) as e:
        iam.delete_virtual_mfa_device(SerialNumber=dev.serial)
    assert_error(e, "DeleteConflict", 409)
    iam.delete_access_key(UserName=user, AccessKeyId=iam.list_access_keys(UserName=user)["AccessKeyMetadata"][0]["AccessKeyId"])
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName=user)
    assert_error(e, "DeleteConflict", 409, "Cannot delete entity, must delete MFA device first.")
    # The device's clock is ten minutes ahead: a resync with two consecutive codes of its time.
    ahead = Device.step_now() + 20
    with pytest.raises(ClientError) as e:
        iam.resync_mfa_device(UserName=user, SerialNumber=dev.serial, AuthenticationCode1=dev.at(ahead), AuthenticationCode2=dev.at(ahead + 2))
    assert_error(e, "InvalidAuthenticationCode", 403, NOT_VALID)
    iam.resync_mfa_device(UserName=user, SerialNumber=dev.serial, AuthenticationCode1=dev.at(ahead), AuthenticationCode2=dev.at(ahead + 1))
    iam.deactivate_mfa_device(UserName=user, SerialNumber=dev.serial)
    assert iam.list_mfa_devices(UserName=user)["MFADevices"] == []
    with pytest.raises(ClientError) as e:
        iam.deactivate_mfa_device(UserName=user, SerialNumber=dev.serial)
    assert_error(e, "NoSuchEntity", 404)
    iam.delete_virtual_mfa_device(SerialNumber=dev.serial)
    with pytest.raises(ClientError) as e:
        iam.delete_virtual_mfa_device(SerialNumber=dev.serial)
    assert_error(e, "NoSuchEntity", 404)
    iam.delete_user(UserName=user)


# A renamed user keeps its devices (UpdateUser keeps the user's id and credentials).
def test_rename_carries_the_device(server, iam):
    user, key, secret = make_user(iam)
    dev = enabled_device(iam, user)
    renamed = unique("mfar")
    iam.update_user(UserName=user, NewUserName=renamed)
    assert [d["UserName"] for d in iam.list_mfa_devices(UserName=renamed)["MFADevices"]] == [renamed]
    sts = server.sts(access_key=key, secret_key=secret)
    creds = sts.get_session_token(SerialNumber=dev.serial, TokenCode=dev.next_code())["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")


def test_device_tags(server, iam):
    dev = new_device(iam)
    iam.tag_mfa_device(SerialNumber=dev.serial, Tags=[{"Key": "team", "Value": "a"}, {"Key": "env", "Value": "b"}])
    iam.untag_mfa_device(SerialNumber=dev.serial, TagKeys=["env"])
    assert iam.list_mfa_device_tags(SerialNumber=dev.serial)["Tags"] == [{"Key": "team", "Value": "a"}]
    with pytest.raises(ClientError) as e:
        iam.tag_mfa_device(SerialNumber=dev.serial, Tags=[{"Key": "aws:x", "Value": "a"}])
    assert_error(e, "InvalidInput", 400)
    with pytest.raises(ClientError) as e:
        iam.list_mfa_device_tags(SerialNumber=dev.serial + "-gone")
    assert_error(e, "NoSuchEntity", 404)


# GetSessionToken with SerialNumber and TokenCode (STS API Reference); such credentials may
# call IAM, those without MFA may not ("Configuring MFA-protected API access").
def test_session_token_with_mfa_and_code_reuse(server, iam):
    user, key, secret = make_user(iam, managed=("arn:aws:iam::aws:policy/IAMReadOnlyAccess",))
    dev = enabled_device(iam, user)
    sts = server.sts(access_key=key, secret_key=secret)
    plain = sts.get_session_token()["Credentials"]
    with pytest.raises(ClientError) as e:
        server.iam(access_key=plain["AccessKeyId"], secret_key=plain["SecretAccessKey"], session_token=plain["SessionToken"]).get_user()
    assert_error(e, "InvalidClientTokenId", 403)
    code = dev.next_code()
    creds = sts.get_session_token(SerialNumber=dev.serial, TokenCode=code, DurationSeconds=900)["Credentials"]
    mfa_iam = server.iam(access_key=creds["AccessKeyId"], secret_key=creds["SecretAccessKey"], session_token=creds["SessionToken"])
    assert mfa_iam.get_user()["User"]["UserName"] == user
    # The same code again: refused, as AWS refuses a code used before.
    with pytest.raises(ClientError) as e:
        sts.get_session_token(SerialNumber=dev.serial, TokenCode=code)
    assert_error(e, "AccessDenied", 403, INVALID_CODE)
    # A wrong code, a code of a long-gone step, a malformed code.
    with pytest.raises(ClientError) as e:
        sts.get_session_token(SerialNumber=dev.serial, TokenCode="000000" if dev.at(Device.step_now()) != "000000" else "111111")
    assert_error(e, "AccessDenied", 403, INVALID_CODE)
    with pytest.raises(ClientError) as e:
        sts.get_session_token(SerialNumber=dev.serial, TokenCode=dev.at(Device.step_now() - 40))
    assert_error(e, "AccessDenied", 403, INVALID_CODE)
    with pytest.raises(ClientError) as e:
        sts.get_session_token(SerialNumber=dev.serial, TokenCode="12ab56")
    assert_error(e, "ValidationError", 400)


# Another user's device, an unassigned device, a serial that names nothing: never accepted.
def test_devices_of_others_are_refused(server, iam):
    alice, _, _ = make_user(iam)
    bob, bkey, bsecret = make_user(iam)
    alices = enabled_device(iam, alice)
    loose = new_device(iam)
    sts = server.sts(access_key=bkey, secret_key=bsecret)
    for serial, code in [(alices.serial, alices.next_code()), (loose.serial, loose.at(Device.step_now())), (f"arn:aws:iam::{ACCOUNT_ID}:mfa/nothing", "123456")]:
        with pytest.raises(ClientError) as e:
            sts.get_session_token(SerialNumber=serial, TokenCode=code)
        assert_error(e, "AccessDenied", 403, UNABLE)
    # Alice's code was not used up by Bob's attempt.
    key = iam.create_access_key(UserName=alice)["AccessKey"]
    alice_sts = server.sts(access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    alice_sts.get_session_token(SerialNumber=alices.serial, TokenCode=alices.at(alices.last))
    # The root user has no MFA device through the API.
    with pytest.raises(ClientError) as e:
        server.sts().get_session_token(SerialNumber=alices.serial, TokenCode=alices.next_code())
    assert_error(e, "AccessDenied", 403, UNABLE)


def mfa_role(iam, user_arn: str, condition: dict) -> str:
    name = unique("mfarole")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": user_arn}, "Action": "sts:AssumeRole", "Condition": condition}]}
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=dumps(trust))["Role"]["Arn"]
    iam.attach_role_policy(RoleName=name, PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    return arn


# "Configuring MFA-protected API access": a trust policy with Bool aws:MultiFactorAuthPresent
# lets the role be assumed only with MFA; NumericLessThan aws:MultiFactorAuthAge bounds its age.
def test_mfa_protected_role(server, iam):
    user, key, secret = make_user(iam)
    user_arn = iam.get_user(UserName=user)["User"]["Arn"]
    dev = enabled_device(iam, user)
    role = mfa_role(iam, user_arn, {"Bool": {"aws:MultiFactorAuthPresent": "true"}, "NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}})
    sts = server.sts(access_key=key, secret_key=secret)
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=role, RoleSessionName="no-mfa")
    assert_error(e, "AccessDenied", 403, contains="sts:AssumeRole")
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=role, RoleSessionName="bad", SerialNumber=dev.serial, TokenCode="000000" if dev.at(Device.step_now()) != "000000" else "111111")
    assert_error(e, "AccessDenied", 403, INVALID_CODE)
    out = sts.assume_role(RoleArn=role, RoleSessionName="with-mfa", SerialNumber=dev.serial, TokenCode=dev.next_code())
    c = out["Credentials"]
    role_iam = server.iam(access_key=c["AccessKeyId"], secret_key=c["SecretAccessKey"], session_token=c["SessionToken"])
    assert role_iam.get_role(RoleName=role.rsplit("/", 1)[1])["Role"]["Arn"] == role
    # GetSessionToken with MFA, then AssumeRole: the MFA context is carried to the role session.
    s = sts.get_session_token(SerialNumber=dev.serial, TokenCode=dev.next_code())["Credentials"]
    via = server.sts(access_key=s["AccessKeyId"], secret_key=s["SecretAccessKey"], session_token=s["SessionToken"])
    assert via.assume_role(RoleArn=role, RoleSessionName="chained")["AssumedRoleUser"]["Arn"].endswith("/chained")
    # A role whose MFA must be younger than zero seconds is never assumable.
    stale = mfa_role(iam, user_arn, {"NumericLessThan": {"aws:MultiFactorAuthAge": "0"}})
    with pytest.raises(ClientError) as e:
        via.assume_role(RoleArn=stale, RoleSessionName="stale")
    assert_error(e, "AccessDenied", 403)


# "AWS: Allows MFA-authenticated IAM users to manage their own MFA device": everything is
# denied without MFA (BoolIfExists aws:MultiFactorAuthPresent false), allowed with it.
def test_deny_without_mfa_policy(server, iam):
    deny = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "iam:*", "Resource": "*"},
            {
                "Sid": "DenyAllExceptListedIfNoMFA",
                "Effect": "Deny",
                "NotAction": ["iam:ListMFADevices", "iam:ListVirtualMFADevices", "sts:GetSessionToken"],
                "Resource": "*",
                "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
            },
        ],
    }
    user, key, secret = make_user(iam, inline=dumps(deny))
    dev = enabled_device(iam, user)
    long_term = server.iam(access_key=key, secret_key=secret)
    assert long_term.list_mfa_devices()["MFADevices"][0]["SerialNumber"] == dev.serial
    with pytest.raises(ClientError) as e:
        long_term.list_users()
    assert_error(e, "AccessDenied", 403, contains="explicit deny")
    c = server.sts(access_key=key, secret_key=secret).get_session_token(SerialNumber=dev.serial, TokenCode=dev.next_code())["Credentials"]
    with_mfa = server.iam(access_key=c["AccessKeyId"], secret_key=c["SecretAccessKey"], session_token=c["SessionToken"])
    assert with_mfa.get_user(UserName=user)["User"]["UserName"] == user
    with_mfa.list_users()


def mfa_profiles(server, iam, tmp_path):
    user, key, secret = make_user(iam)
    user_arn = iam.get_user(UserName=user)["User"]["Arn"]
    dev = enabled_device(iam, user)
    role = mfa_role(iam, user_arn, {"Bool": {"aws:MultiFactorAuthPresent": "true"}})
    cfg = configparser.ConfigParser()
    cfg["profile base"] = {"region": REGION}
    cfg["profile admin"] = {"role_arn": role, "source_profile": "base", "mfa_serial": dev.serial, "region": REGION}
    creds = configparser.ConfigParser()
    creds["base"] = {"aws_access_key_id": key, "aws_secret_access_key": secret}
    (tmp_path / "config").write_text("")
    (tmp_path / "credentials").write_text("")
    with open(tmp_path / "config", "w") as fh:
        cfg.write(fh)
    with open(tmp_path / "credentials", "w") as fh:
        creds.write(fh)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_CONFIG_FILE=str(tmp_path / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "credentials"),
        AWS_ENDPOINT_URL=server.endpoint,
        AWS_PAGER="",
        AWS_MAX_ATTEMPTS="1",
        AWS_EC2_METADATA_DISABLED="true",
        # The CLI caches assumed-role credentials under ~/.aws/cli/cache: a home of the test's own.
        HOME=str(tmp_path),
    )
    return role, dev, env


# AWS CLI User Guide, "Use an IAM role in the AWS CLI": with mfa_serial the CLI asks for the
# code on its prompt and passes it to AssumeRole. (No controlling terminal, so the prompt reads
# the code from standard input.)
def test_aws_cli_profile_with_mfa_serial(server, iam, tmp_path):
    role, dev, env = mfa_profiles(server, iam, tmp_path)
    res = subprocess.run(
        [sys.executable, "-m", "awscli", "sts", "get-caller-identity", "--profile", "admin", "--output", "json"],
        env=env,
        input=dev.next_code() + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        start_new_session=True,
    )
    assert res.returncode == 0, res.stderr
    assert f"assumed-role/{role.rsplit('/', 1)[1]}/" in res.stdout
    assert "Enter MFA code" in res.stderr + res.stdout
    # A wrong code at the prompt (with an empty credential cache): AWS's error, no credentials.
    (tmp_path / "fresh-home").mkdir()
    res = subprocess.run(
        [sys.executable, "-m", "awscli", "sts", "get-caller-identity", "--profile", "admin", "--output", "json"],
        env=dict(env, HOME=str(tmp_path / "fresh-home")),
        input="000000\n" if dev.at(Device.step_now()) != "000000" else "111111\n",
        capture_output=True,
        text=True,
        timeout=120,
        start_new_session=True,
    )
    assert res.returncode != 0 and INVALID_CODE in res.stderr


# boto3's assume-role provider with an MFA prompter (boto3 credentials guide, "Assume role
# provider": mfa_serial in the profile, the code from the prompter).
def test_boto3_profile_with_mfa_prompter(server, iam, tmp_path, monkeypatch):
    role, dev, env = mfa_profiles(server, iam, tmp_path)
    for k in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_ENDPOINT_URL"):
        monkeypatch.setenv(k, env[k])
    session = boto3.Session(profile_name="admin")
    prompts: list[str] = []
    provider = session._session.get_component("credential_provider").get_provider("assume-role")
    provider._prompter = lambda prompt: prompts.append(prompt) or dev.next_code()
    ident = session.client("sts", region_name=REGION).get_caller_identity()
    assert f"assumed-role/{role.rsplit('/', 1)[1]}/" in ident["Arn"]
    assert prompts and dev.serial in prompts[0]


# The README's walk-through ("An MFA-protected role"), through the aws CLI: the seed saved with
# --bootstrap-method Base32StringSeed, two codes from it, the role only MFA may assume.
def test_readme_walkthrough_with_the_aws_cli(server, iam, tmp_path):
    user, key, secret = make_user(iam)
    seed_file = tmp_path / "seed.txt"
    out = server.aws("iam", "create-virtual-mfa-device", "--virtual-mfa-device-name", user, "--outfile", str(seed_file), "--bootstrap-method", "Base32StringSeed")
    serial = out["VirtualMFADevice"]["SerialNumber"]
    assert serial == f"arn:aws:iam::{ACCOUNT_ID}:mfa/{user}"
    dev = Device(serial, seed_file.read_text().strip())
    c1, c2 = dev.enable_codes()
    server.aws("iam", "enable-mfa-device", "--user-name", user, "--serial-number", serial, "--authentication-code1", c1, "--authentication-code2", c2)
    qr = tmp_path / "qr.png"
    server.aws("iam", "create-virtual-mfa-device", "--virtual-mfa-device-name", unique("mfaq"), "--outfile", str(qr), "--bootstrap-method", "QRCodePNG")
    assert qr.read_bytes().startswith(b"\x89PNG")
    role = mfa_role(iam, f"arn:aws:iam::{ACCOUNT_ID}:user/{user}", {"Bool": {"aws:MultiFactorAuthPresent": "true"}})
    res = server.aws_run("sts", "assume-role", "--role-arn", role, "--role-session-name", "alice", access_key=key, secret_key=secret)
    assert res.returncode != 0 and "AccessDenied" in res.stderr
    out = server.aws("sts", "assume-role", "--role-arn", role, "--role-session-name", "alice", "--serial-number", serial, "--token-code", dev.next_code(), access_key=key, secret_key=secret)
    assert out["AssumedRoleUser"]["Arn"].endswith(f":assumed-role/{role.rsplit('/', 1)[1]}/alice")


# The seed is sealed at rest: the database file never holds it in the clear.
def test_seed_is_sealed_at_rest(server_factory, tmp_path):
    data = tmp_path / "data"
    srv = server_factory(data_dir=data)
    seed = srv.iam().create_virtual_mfa_device(VirtualMFADeviceName=unique("sealed"))["VirtualMFADevice"]["Base32StringSeed"]
    srv.stop()
    blob = b"".join(p.read_bytes() for p in data.rglob("*") if p.is_file())
    assert seed not in blob and base64.b64encode(seed) not in blob


# Wrong codes count per user (review finding: a stolen key or password must not let anyone
# guess codes at will): after five wrong codes even the right one is refused for a while.
def test_wrong_codes_lock_the_users_codes(server, iam):
    user, key, secret = make_user(iam)
    dev = enabled_device(iam, user)
    sts = server.sts(access_key=key, secret_key=secret)
    good = dev.at(Device.step_now() + 1)
    wrong = [c for c in ("000000", "111111", "222222", "333333", "444444", "555555", "666666") if c != good and c not in {dev.at(Device.step_now() + d) for d in range(-3, 4)}][:5]
    for code in wrong:
        with pytest.raises(ClientError) as e:
            sts.get_session_token(SerialNumber=dev.serial, TokenCode=code)
        assert_error(e, "AccessDenied", 403, INVALID_CODE)
    with pytest.raises(ClientError) as e:
        sts.get_session_token(SerialNumber=dev.serial, TokenCode=good)
    assert_error(e, "AccessDenied", 403, INVALID_CODE)
