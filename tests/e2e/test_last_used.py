"""RoleLastUsed (issue 16): set when a session of the role signs a request, with the Region the
request was made to; kept across a restart. GetRole documentation: RoleLastUsed "contains
information about the last time that an IAM role was used. This includes the date and time and
the Region in which the role was last used"; ListRoles leaves it out."""

from __future__ import annotations

import datetime as dt

import pytest

import castellan_e2e as e2e
from castellan_e2e import ACCOUNT_ID, dumps, unique

pytestmark = pytest.mark.skipif(bool(e2e.EXTERNAL_ENDPOINT), reason="needs its own castellan process")


def role_and_assumer(srv):
    iam = srv.iam()
    user, role = unique("lu-user"), unique("lu-role")
    iam.create_user(UserName=user)
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:user/{user}"}, "Action": "sts:AssumeRole"}]}
    arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=dumps(trust))["Role"]["Arn"]
    iam.put_user_policy(UserName=user, PolicyName="assume", PolicyDocument=dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": arn}]}))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    return role, arn, key


def test_role_last_used_after_a_session_of_the_role_is_used(server_factory, tmp_path):
    srv = server_factory(data_dir=tmp_path / "data")
    iam = srv.iam()
    role, arn, key = role_and_assumer(srv)
    assert iam.get_role(RoleName=role)["Role"]["RoleLastUsed"] == {}
    creds = srv.sts(access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"]).assume_role(RoleArn=arn, RoleSessionName="lastused")["Credentials"]
    session = srv.client("sts", access_key=creds["AccessKeyId"], secret_key=creds["SecretAccessKey"], session_token=creds["SessionToken"], region="eu-west-1")
    session.get_caller_identity()
    used = iam.get_role(RoleName=role)["Role"]["RoleLastUsed"]
    assert used["Region"] == "eu-west-1"
    assert abs((dt.datetime.now(dt.timezone.utc) - used["LastUsedDate"]).total_seconds()) < 600
    assert "RoleLastUsed" not in next(r for r in iam.list_roles()["Roles"] if r["RoleName"] == role)
    # Written at shutdown at the latest: there after a restart.
    srv.stop()
    again = server_factory(data_dir=tmp_path / "data")
    assert again.iam().get_role(RoleName=role)["Role"]["RoleLastUsed"]["Region"] == "eu-west-1"
