"""Access keys: Create, List, Update (Active/Inactive), Delete, GetAccessKeyLastUsed, quota,
and authentication with them."""

import pytest
from botocore.exceptions import ClientError

from castellan_e2e import ACCESS_KEY_ID_RE, ROOT_ACCESS_KEY_ID, SECRET_RE, assert_error, assert_recent


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateAccessKey.html
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_AccessKey.html
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-unique-ids
# ("AKIA" prefix = access key); IAM access key ids are 20 characters, secrets 40.
def test_create_access_key(iam, name):
    u = name("keys")
    iam.create_user(UserName=u)
    key = iam.create_access_key(UserName=u)["AccessKey"]
    assert key["UserName"] == u
    assert ACCESS_KEY_ID_RE.match(key["AccessKeyId"]), key["AccessKeyId"]
    assert len(key["AccessKeyId"]) == 20
    assert SECRET_RE.match(key["SecretAccessKey"]), "secret must be 40 base64-ish characters"
    assert key["Status"] == "Active"
    assert_recent(key["CreateDate"])


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListAccessKeys.html
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateAccessKey.html
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteAccessKey.html
def test_list_update_delete_access_keys(iam, name):
    u = name("keys")
    iam.create_user(UserName=u)
    k1 = iam.create_access_key(UserName=u)["AccessKey"]
    k2 = iam.create_access_key(UserName=u)["AccessKey"]
    assert k1["AccessKeyId"] != k2["AccessKeyId"]
    assert k1["SecretAccessKey"] != k2["SecretAccessKey"]

    listed = iam.list_access_keys(UserName=u)
    assert listed["IsTruncated"] is False
    meta = {m["AccessKeyId"]: m for m in listed["AccessKeyMetadata"]}
    assert set(meta) == {k1["AccessKeyId"], k2["AccessKeyId"]}
    for m in meta.values():
        assert m["UserName"] == u
        assert m["Status"] == "Active"
        assert "SecretAccessKey" not in m  # the secret is only shown once

    iam.update_access_key(UserName=u, AccessKeyId=k1["AccessKeyId"], Status="Inactive")
    status = {m["AccessKeyId"]: m["Status"] for m in iam.list_access_keys(UserName=u)["AccessKeyMetadata"]}
    assert status == {k1["AccessKeyId"]: "Inactive", k2["AccessKeyId"]: "Active"}
    iam.update_access_key(UserName=u, AccessKeyId=k1["AccessKeyId"], Status="Active")
    assert {m["Status"] for m in iam.list_access_keys(UserName=u)["AccessKeyMetadata"]} == {"Active"}

    iam.delete_access_key(UserName=u, AccessKeyId=k1["AccessKeyId"])
    assert [m["AccessKeyId"] for m in iam.list_access_keys(UserName=u)["AccessKeyMetadata"]] == [k2["AccessKeyId"]]


# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
# "Access keys assigned to an IAM user: 2"
def test_access_key_quota(iam, name):
    u = name("quota")
    iam.create_user(UserName=u)
    iam.create_access_key(UserName=u)
    iam.create_access_key(UserName=u)
    with pytest.raises(ClientError) as e:
        iam.create_access_key(UserName=u)
    assert_error(e, "LimitExceeded", 409, "Cannot exceed quota for AccessKeysPerUser: 2")
    assert len(iam.list_access_keys(UserName=u)["AccessKeyMetadata"]) == 2


def test_access_key_missing(iam, name):
    u = name("nokey")
    iam.create_user(UserName=u)
    kid = "AKIAZZZZZZZZZZZZZZZZ"
    with pytest.raises(ClientError) as e:
        iam.delete_access_key(UserName=u, AccessKeyId=kid)
    assert_error(e, "NoSuchEntity", 404, f"The Access Key with id {kid} cannot be found.")
    with pytest.raises(ClientError) as e:
        iam.update_access_key(UserName=u, AccessKeyId=kid, Status="Inactive")
    assert_error(e, "NoSuchEntity", 404, f"The Access Key with id {kid} cannot be found.")


def test_access_key_for_missing_user(iam, name):
    u = name("ghost")
    with pytest.raises(ClientError) as e:
        iam.create_access_key(UserName=u)
    assert_error(e, "NoSuchEntity", 404, f"The user with name {u} cannot be found.")
    with pytest.raises(ClientError) as e:
        iam.list_access_keys(UserName=u)
    assert_error(e, "NoSuchEntity", 404, f"The user with name {u} cannot be found.")


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateAccessKey.html
# Status: "Valid Values: Active | Inactive | Expired"
def test_update_access_key_bad_status(iam_nv, name):
    u = name("badstatus")
    iam_nv.create_user(UserName=u)
    kid = iam_nv.create_access_key(UserName=u)["AccessKey"]["AccessKeyId"]
    with pytest.raises(ClientError) as e:
        iam_nv.update_access_key(UserName=u, AccessKeyId=kid, Status="Bogus")
    # AWS: "1 validation error detected: Value at 'status' failed to satisfy constraint:
    # Member must satisfy enum value set: [Active, Inactive, Expired]"
    assert_error(e, "ValidationError", 400, contains="status")


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccessKeyLastUsed.html
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_AccessKeyLastUsed.html
# A key that has never been used: no LastUsedDate, ServiceName "N/A", Region "N/A".
def test_get_access_key_last_used_never_used(iam, name):
    u = name("lastused")
    iam.create_user(UserName=u)
    kid = iam.create_access_key(UserName=u)["AccessKey"]["AccessKeyId"]
    resp = iam.get_access_key_last_used(AccessKeyId=kid)
    assert resp["UserName"] == u
    last = resp["AccessKeyLastUsed"]
    assert "LastUsedDate" not in last
    assert last["ServiceName"] == "N/A"
    assert last["Region"] == "N/A"


# A new user has no keys (the root user's key is the account's, not an IAM user's).
def test_new_user_has_no_keys(iam, name):
    u = name("u")
    iam.create_user(UserName=u)
    assert iam.list_access_keys(UserName=u)["AccessKeyMetadata"] == []


# https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html
# InvalidClientTokenId (403): "The X.509 certificate or AWS access key ID provided does not exist
# in our records." -- IAM's text is "The security token included in the request is invalid."
def test_unknown_access_key_is_rejected(server):
    client = server.iam(access_key="AKIAXXXXXXXXXXXXXXXX", secret_key="x" * 40)
    with pytest.raises(ClientError) as e:
        client.list_users()
    assert_error(e, "InvalidClientTokenId", 403, "The security token included in the request is invalid.")


# https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html#Using_RotateAccessKey
# "Inactive keys cannot be used to make requests"; deleted keys stop working immediately.
def test_inactive_and_deleted_keys_are_rejected(server, iam, name):
    u = name("inactive")
    iam.create_user(UserName=u)
    key = iam.create_access_key(UserName=u)["AccessKey"]
    client = server.iam(access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    iam.update_access_key(UserName=u, AccessKeyId=key["AccessKeyId"], Status="Inactive")
    with pytest.raises(ClientError) as e:
        client.list_users()
    assert_error(e, "InvalidClientTokenId", 403, "The security token included in the request is invalid.")
    iam.delete_access_key(UserName=u, AccessKeyId=key["AccessKeyId"])
    with pytest.raises(ClientError) as e:
        client.list_users()
    assert_error(e, "InvalidClientTokenId", 403, "The security token included in the request is invalid.")


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccessKeyLastUsed.html
# "Retrieves information about when the specified access key was last used. The information
# includes the date and time of last use, along with the AWS service and Region that were
# specified in the last request made with that key."
def test_get_access_key_last_used_after_use(iam):
    iam.list_users(MaxItems=1)  # a request signed with the root key, for service iam
    last = iam.get_access_key_last_used(AccessKeyId=ROOT_ACCESS_KEY_ID)["AccessKeyLastUsed"]
    assert_recent(last["LastUsedDate"])
    assert last["ServiceName"] == "iam"
    assert last["Region"] == "us-east-1"
