"""SSH public keys of IAM users (the keys CodeCommit authenticates with), through boto3 and the
aws CLI.

AWS documentation these tests follow:
  * IAM API Reference: UploadSSHPublicKey ("The public key must be encoded in ssh-rsa format or
    PEM format. The minimum bit-length of the public key is 2048 bits"; errors
    DuplicateSSHPublicKey, InvalidPublicKey, UnrecognizedPublicKeyEncoding, LimitExceeded,
    NoSuchEntity), GetSSHPublicKey (Encoding SSH or PEM), ListSSHPublicKeys,
    UpdateSSHPublicKey, DeleteSSHPublicKey, DeleteUser (DeleteConflict).
  * IAM User Guide, "IAM and AWS STS quotas": SSH public keys per IAM user, 5.
  * CodeCommit User Guide, "Setup steps for SSH connections to AWS CodeCommit repositories on
    Linux": the fingerprint IAM shows is the key's MD5 fingerprint (`ssh-keygen -l -E md5`).
Where AWS's exact message text is not published, the message is the IAM model's description of
the error (botocore iam-2010-05-08.json) and the tests check the code and HTTP status.
"""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from castellan_e2e import assert_error, unique


def rsa_key(bits: int = 2048):
    return rsa.generate_private_key(public_exponent=65537, key_size=bits).public_key()


def openssh(pub) -> str:
    return pub.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()


def pem(pub) -> str:
    return pub.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def md5_fingerprint(ssh_line: str) -> str:
    digest = hashlib.md5(base64.b64decode(ssh_line.split()[1])).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, 32, 2))


@pytest.fixture
def user(iam):
    name = unique("sshu")
    iam.create_user(UserName=name)
    return name


def test_upload_get_list_update_delete_round_trip(iam, user):
    pub = rsa_key()
    line = openssh(pub) + " alice@laptop"
    key = iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=line)["SSHPublicKey"]
    assert key["UserName"] == user
    assert key["SSHPublicKeyId"].startswith("APKA") and len(key["SSHPublicKeyId"]) == 20
    assert key["Fingerprint"] == md5_fingerprint(line)
    assert key["SSHPublicKeyBody"] == line
    assert key["Status"] == "Active"
    assert "UploadDate" in key
    kid = key["SSHPublicKeyId"]

    got = iam.get_ssh_public_key(UserName=user, SSHPublicKeyId=kid, Encoding="SSH")["SSHPublicKey"]
    assert got["SSHPublicKeyBody"] == line and got["Fingerprint"] == key["Fingerprint"]
    # PEM: the same key as an X.509 SubjectPublicKeyInfo block.
    got_pem = iam.get_ssh_public_key(UserName=user, SSHPublicKeyId=kid, Encoding="PEM")["SSHPublicKey"]
    assert serialization.load_pem_public_key(got_pem["SSHPublicKeyBody"].encode()).public_numbers() == pub.public_numbers()

    listed = iam.list_ssh_public_keys(UserName=user)
    assert [(k["SSHPublicKeyId"], k["Status"], k["UserName"]) for k in listed["SSHPublicKeys"]] == [(kid, "Active", user)]
    assert listed["IsTruncated"] is False

    iam.update_ssh_public_key(UserName=user, SSHPublicKeyId=kid, Status="Inactive")
    assert iam.list_ssh_public_keys(UserName=user)["SSHPublicKeys"][0]["Status"] == "Inactive"
    assert iam.get_ssh_public_key(UserName=user, SSHPublicKeyId=kid, Encoding="SSH")["SSHPublicKey"]["Status"] == "Inactive"

    iam.delete_ssh_public_key(UserName=user, SSHPublicKeyId=kid)
    assert iam.list_ssh_public_keys(UserName=user)["SSHPublicKeys"] == []
    with pytest.raises(ClientError) as e:
        iam.get_ssh_public_key(UserName=user, SSHPublicKeyId=kid, Encoding="SSH")
    assert_error(e, "NoSuchEntity", 404, f"The Public Key with id {kid} cannot be found.")


def test_pem_upload_has_the_same_fingerprint_and_comes_back_as_ssh_rsa(iam, user):
    pub = rsa_key(3072)
    key = iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=pem(pub))["SSHPublicKey"]
    assert key["Fingerprint"] == md5_fingerprint(openssh(pub))
    got = iam.get_ssh_public_key(UserName=user, SSHPublicKeyId=key["SSHPublicKeyId"], Encoding="SSH")["SSHPublicKey"]
    assert got["SSHPublicKeyBody"] == openssh(pub)


def test_bad_short_and_unsupported_keys_are_refused(iam, user):
    # UploadSSHPublicKey: minimum 2048 bits; ssh-rsa or PEM only.
    cases = [
        (openssh(rsa_key(1024)), "InvalidPublicKey"),
        ("ssh-rsa not-base64!", "InvalidPublicKey"),
        ("ssh-rsa AAAAB3NzaC1yc2EAAAADAQAB", "InvalidPublicKey"),
        (openssh(ed25519.Ed25519PrivateKey.generate().public_key()), "UnrecognizedPublicKeyEncoding"),
        ("hello world", "UnrecognizedPublicKeyEncoding"),
    ]
    for body, code in cases:
        with pytest.raises(ClientError) as e:
            iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=body)
        assert_error(e, code, 400)
    assert iam.list_ssh_public_keys(UserName=user)["SSHPublicKeys"] == []


def test_duplicate_quota_of_five_and_missing_user(iam, user):
    line = openssh(rsa_key())
    iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=line)
    with pytest.raises(ClientError) as e:
        iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=line + " another-comment")
    assert_error(e, "DuplicateSSHPublicKey", 400)
    for _ in range(4):
        iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=openssh(rsa_key()))
    with pytest.raises(ClientError) as e:
        iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=openssh(rsa_key()))
    assert_error(e, "LimitExceeded", 409, "Cannot exceed quota for SSHPublicKeysPerUser: 5")
    assert len(iam.list_ssh_public_keys(UserName=user)["SSHPublicKeys"]) == 5
    # Another user may hold the same key.
    other = unique("sshu")
    iam.create_user(UserName=other)
    iam.upload_ssh_public_key(UserName=other, SSHPublicKeyBody=line)

    nobody = unique("nobody")
    with pytest.raises(ClientError) as e:
        iam.upload_ssh_public_key(UserName=nobody, SSHPublicKeyBody=line)
    assert_error(e, "NoSuchEntity", 404, f"The user with name {nobody} cannot be found.")
    for call in (iam.update_ssh_public_key, iam.delete_ssh_public_key):
        kw = {"Status": "Active"} if call == iam.update_ssh_public_key else {}
        with pytest.raises(ClientError) as e:
            call(UserName=user, SSHPublicKeyId="APKAAAAAAAAAAAAAAAAA", **kw)
        assert_error(e, "NoSuchEntity", 404, "The Public Key with id APKAAAAAAAAAAAAAAAAA cannot be found.")


def test_key_belongs_to_its_user_follows_renames_and_blocks_delete_user(iam, user):
    key = iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=openssh(rsa_key()))["SSHPublicKey"]
    kid = key["SSHPublicKeyId"]
    other = unique("sshu")
    iam.create_user(UserName=other)
    with pytest.raises(ClientError) as e:
        iam.get_ssh_public_key(UserName=other, SSHPublicKeyId=kid, Encoding="SSH")
    assert_error(e, "NoSuchEntity", 404)
    # DeleteUser: the SSH key must go first.
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName=user)
    assert_error(e, "DeleteConflict", 409, "Cannot delete entity, must delete SSH public keys first.")
    # UpdateUser: the key follows the rename; the old name holds nothing when re-created.
    renamed = unique("sshr")
    iam.update_user(UserName=user, NewUserName=renamed)
    got = iam.get_ssh_public_key(UserName=renamed, SSHPublicKeyId=kid, Encoding="SSH")["SSHPublicKey"]
    assert got["UserName"] == renamed
    iam.create_user(UserName=user)
    assert iam.list_ssh_public_keys(UserName=user)["SSHPublicKeys"] == []
    iam.delete_ssh_public_key(UserName=renamed, SSHPublicKeyId=kid)
    iam.delete_user(UserName=renamed)


def test_pagination(iam, user):
    ids = [iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=openssh(rsa_key()))["SSHPublicKey"]["SSHPublicKeyId"] for _ in range(3)]
    first = iam.list_ssh_public_keys(UserName=user, MaxItems=2)
    assert first["IsTruncated"] is True and len(first["SSHPublicKeys"]) == 2
    rest = iam.list_ssh_public_keys(UserName=user, Marker=first["Marker"])
    assert [k["SSHPublicKeyId"] for k in first["SSHPublicKeys"] + rest["SSHPublicKeys"]] == ids


def test_aws_cli_round_trip_and_error(server, iam, user, tmp_path):
    pub = rsa_key()
    path = tmp_path / "id_rsa.pub"
    path.write_text(openssh(pub) + "\n")
    out = server.aws("iam", "upload-ssh-public-key", "--user-name", user, "--ssh-public-key-body", f"file://{path}")
    kid = out["SSHPublicKey"]["SSHPublicKeyId"]
    assert out["SSHPublicKey"]["Fingerprint"] == md5_fingerprint(openssh(pub))
    got = server.aws("iam", "get-ssh-public-key", "--user-name", user, "--ssh-public-key-id", kid, "--encoding", "PEM")
    assert got["SSHPublicKey"]["SSHPublicKeyBody"].startswith("-----BEGIN PUBLIC KEY-----")
    server.aws("iam", "update-ssh-public-key", "--user-name", user, "--ssh-public-key-id", kid, "--status", "Inactive")
    listed = server.aws("iam", "list-ssh-public-keys", "--user-name", user)
    assert [(k["SSHPublicKeyId"], k["Status"]) for k in listed["SSHPublicKeys"]] == [(kid, "Inactive")]
    server.aws("iam", "delete-ssh-public-key", "--user-name", user, "--ssh-public-key-id", kid)
    res = server.aws_run("iam", "upload-ssh-public-key", "--user-name", user, "--ssh-public-key-body", "ssh-ed25519 AAAA")
    assert res.returncode != 0 and "UnrecognizedPublicKeyEncoding" in res.stderr


# IAM User Guide, "AWS: Allows MFA-authenticated IAM users to manage their own credentials on
# the Security credentials page" (the AllowManageOwnSSHPublicKeys statement, here without the
# MFA part): a user manages its own SSH keys and no one else's.
def test_users_manage_their_own_keys_only(server, iam, user):
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowManageOwnSSHPublicKeys",
                "Effect": "Allow",
                "Action": ["iam:DeleteSSHPublicKey", "iam:GetSSHPublicKey", "iam:ListSSHPublicKeys", "iam:UpdateSSHPublicKey", "iam:UploadSSHPublicKey"],
                "Resource": "arn:aws:iam::*:user/${aws:username}",
            }
        ],
    }
    iam.put_user_policy(UserName=user, PolicyName="own-ssh-keys", PolicyDocument=json.dumps(policy))
    k = iam.create_access_key(UserName=user)["AccessKey"]
    own = server.iam(access_key=k["AccessKeyId"], secret_key=k["SecretAccessKey"])
    kid = own.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=openssh(rsa_key()))["SSHPublicKey"]["SSHPublicKeyId"]
    # No UserName: the caller's own keys.
    assert [x["SSHPublicKeyId"] for x in own.list_ssh_public_keys()["SSHPublicKeys"]] == [kid]
    other = unique("sshu")
    iam.create_user(UserName=other)
    with pytest.raises(ClientError) as e:
        own.upload_ssh_public_key(UserName=other, SSHPublicKeyBody=openssh(rsa_key()))
    # IAM names an existing user "user NAME" (castellan_e2e.iam_resource_label).
    assert_error(e, "AccessDenied", 403, contains=["iam:UploadSSHPublicKey", f"on resource: user {other}"])
