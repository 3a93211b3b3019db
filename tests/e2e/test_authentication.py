"""SigV4 authentication end to end: every request must carry a valid signature of a live key.

AWS documents the checks in "Signature Version 4 signing process" and "Elements of an AWS API
request signature" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html)
and the error codes in "Common Errors" (https://docs.aws.amazon.com/IAM/latest/APIReference/CommonErrors.html).
"""

from __future__ import annotations

import datetime as dt
import urllib.error
import urllib.parse
import urllib.request

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import pytest
from botocore.exceptions import ClientError

from castellan_e2e import REGION, ROOT_ACCESS_KEY_ID, ROOT_SECRET_ACCESS_KEY, assert_error, unique

INVALID_TOKEN = "The security token included in the request is invalid."
MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS "
    "Secret Access Key and signing method. Consult the service documentation for details."
)


def send(server, req: botocore.awsrequest.AWSRequest):
    prepared = req.prepare()
    ureq = urllib.request.Request(prepared.url, data=prepared.body, method=prepared.method, headers=dict(prepared.headers.items()))
    try:
        with urllib.request.urlopen(ureq, timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def signed(server, params, *, key=ROOT_ACCESS_KEY_ID, secret=ROOT_SECRET_ACCESS_KEY, when: dt.datetime | None = None):
    body = urllib.parse.urlencode(params)
    req = botocore.awsrequest.AWSRequest(
        method="POST",
        url=f"{server.endpoint}/",
        data=body.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    auth = botocore.auth.SigV4Auth(botocore.credentials.Credentials(key, secret), "iam", REGION)
    if when is not None:
        # botocore takes the signing time from datetime.now(); sign "in the past" by patching it.
        import unittest.mock

        with unittest.mock.patch("botocore.auth.get_current_datetime", return_value=when.replace(tzinfo=None)):
            auth.add_auth(req)
    else:
        auth.add_auth(req)
    return req


LIST_USERS = {"Action": "ListUsers", "Version": "2010-05-08"}


def test_correct_keys_succeed(server):
    status, body = send(server, signed(server, LIST_USERS))
    assert status == 200, body
    assert "<ListUsersResponse" in body


def test_wrong_secret_is_signature_does_not_match(server):
    iam = server.iam(secret_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEX")
    with pytest.raises(ClientError) as e:
        iam.list_users()
    assert_error(e, "SignatureDoesNotMatch", 403, MISMATCH)


def test_unknown_key_is_invalid_client_token_id(server):
    iam = server.iam(access_key="AKIAIOSFODNN7NOTAKEY", secret_key="x" * 40)
    with pytest.raises(ClientError) as e:
        iam.list_users()
    assert_error(e, "InvalidClientTokenId", 403, INVALID_TOKEN)


def test_unsigned_request_is_refused(server):
    res = server.raw(LIST_USERS, sign=False)
    assert res.status == 403
    assert res.find("Error/Code") == "MissingAuthenticationToken"
    assert res.find("Error/Message") == "Request is missing Authentication Token"


def test_inactive_key_and_deleted_users_key_are_refused(server, iam):
    user = unique("auth")
    iam.create_user(UserName=user)
    iam.attach_user_policy(UserName=user, PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    key = iam.create_access_key(UserName=user)["AccessKey"]
    as_user = server.iam(access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    assert as_user.get_user()["User"]["UserName"] == user

    iam.update_access_key(UserName=user, AccessKeyId=key["AccessKeyId"], Status="Inactive")
    with pytest.raises(ClientError) as e:
        as_user.get_user()
    assert_error(e, "InvalidClientTokenId", 403, INVALID_TOKEN)

    iam.update_access_key(UserName=user, AccessKeyId=key["AccessKeyId"], Status="Active")
    assert as_user.get_user()["User"]["UserName"] == user
    iam.delete_access_key(UserName=user, AccessKeyId=key["AccessKeyId"])
    iam.detach_user_policy(UserName=user, PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    iam.delete_user(UserName=user)
    with pytest.raises(ClientError) as e:
        as_user.get_user()
    assert_error(e, "InvalidClientTokenId", 403, INVALID_TOKEN)


def test_request_signed_30_minutes_ago_is_refused(server):
    past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=30)
    status, body = send(server, signed(server, LIST_USERS, when=past))
    assert status == 403, body
    assert "<Code>SignatureDoesNotMatch</Code>" in body
    assert "Signature expired" in body


def test_body_changed_after_signing_is_refused(server):
    req = signed(server, LIST_USERS)
    req.data = urllib.parse.urlencode({"Action": "ListUsers", "Version": "2010-05-08", "MaxItems": "1"}).encode()
    status, body = send(server, req)
    assert status == 403 and "<Code>SignatureDoesNotMatch</Code>" in body, body


def test_header_changed_after_signing_is_refused(server):
    req = signed(server, LIST_USERS)
    req.headers.replace_header("X-Amz-Date", "20200101T000000Z")
    status, body = send(server, req)
    assert status == 403 and "<Code>SignatureDoesNotMatch</Code>" in body, body


def test_unsigned_amz_header_added_after_signing_is_refused(server):
    req = signed(server, LIST_USERS)
    req.headers["X-Amz-Security-Token"] = "forged"
    status, body = send(server, req)
    assert status == 403, body


def presigned_url(server, expires: int, when: dt.datetime | None = None) -> str:
    url = f"{server.endpoint}/?{urllib.parse.urlencode(LIST_USERS)}"
    req = botocore.awsrequest.AWSRequest(method="GET", url=url)
    auth = botocore.auth.SigV4QueryAuth(
        botocore.credentials.Credentials(ROOT_ACCESS_KEY_ID, ROOT_SECRET_ACCESS_KEY), "iam", REGION, expires=expires
    )
    if when is not None:
        import unittest.mock

        with unittest.mock.patch("botocore.auth.get_current_datetime", return_value=when.replace(tzinfo=None)):
            auth.add_auth(req)
    else:
        auth.add_auth(req)
    return req.url


def get(url: str):
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_presigned_url_works_until_it_expires(server):
    status, body = get(presigned_url(server, 300))
    assert status == 200, body
    past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=10)
    status, body = get(presigned_url(server, 60, when=past))
    assert status in (400, 403), body
    assert "<Code>" in body and "<ListUsersResponse" not in body


def test_duplicated_query_parameter_is_refused(server):
    url = presigned_url(server, 300) + "&Action=CreateUser"
    status, body = get(url)
    assert status in (400, 403), body
    assert "<ListUsersResponse" not in body and "<CreateUserResponse" not in body


def test_get_access_key_last_used_after_signed_use(server, iam):
    user = unique("lu")
    iam.create_user(UserName=user)
    iam.attach_user_policy(UserName=user, PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    key = iam.create_access_key(UserName=user)["AccessKey"]
    server.iam(access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"]).list_users(MaxItems=1)
    last = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])
    assert last["UserName"] == user
    assert last["AccessKeyLastUsed"]["ServiceName"] == "iam"
    assert last["AccessKeyLastUsed"]["Region"] == REGION
    assert "LastUsedDate" in last["AccessKeyLastUsed"]
