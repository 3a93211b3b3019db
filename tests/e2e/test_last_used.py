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


def test_service_last_accessed_report_after_some_calls(server):
    """GenerateServiceLastAccessedDetails / GetServiceLastAccessedDetails(WithEntities): the
    services the permissions policies allow, the last attempt (allowed or denied) per service
    and, at ACTION_LEVEL, per IAM action (GetServiceLastAccessedDetails documentation)."""
    iam = server.iam()
    user, group = unique("sla-user"), unique("sla-group")
    arn = iam.create_user(UserName=user)["User"]["Arn"]
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["iam:ListUsers", "iam:GetUser"], "Resource": "*"},
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
    ]}))
    iam.put_group_policy(GroupName=group, PolicyName="g", PolicyDocument=dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:ListGroups", "Resource": "*"}]}))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    as_user = server.iam(access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    as_user.list_users()
    with pytest.raises(as_user.exceptions.ClientError):
        as_user.list_roles()  # denied: still an attempt at IAM

    job = iam.generate_service_last_accessed_details(Arn=arn)["JobId"]
    report = iam.get_service_last_accessed_details(JobId=job)
    assert report["JobStatus"] == "COMPLETED" and report["JobType"] == "SERVICE_LEVEL" and report["IsTruncated"] is False
    services = {s["ServiceNamespace"]: s for s in report["ServicesLastAccessed"]}
    assert set(services) == {"iam", "s3"}
    assert services["iam"]["LastAuthenticatedEntity"] == arn and services["iam"]["LastAuthenticatedRegion"] == "us-east-1"
    assert services["iam"]["TotalAuthenticatedEntities"] == 1 and "LastAuthenticated" in services["iam"]
    assert services["s3"]["TotalAuthenticatedEntities"] == 0 and "LastAuthenticated" not in services["s3"]

    job = iam.generate_service_last_accessed_details(Arn=arn, Granularity="ACTION_LEVEL")["JobId"]
    report = iam.get_service_last_accessed_details(JobId=job)
    assert report["JobType"] == "ACTION_LEVEL"
    actions = {a["ActionName"]: a for a in next(s for s in report["ServicesLastAccessed"] if s["ServiceNamespace"] == "iam")["TrackedActionsLastAccessed"]}
    assert set(actions) == {"ListUsers", "GetUser", "ListGroups"}
    assert actions["ListUsers"]["LastAccessedEntity"] == arn and "LastAccessedTime" in actions["ListUsers"]
    assert "LastAccessedTime" not in actions["GetUser"]

    # A group: its members' attempts; WithEntities names them.
    group_arn = iam.get_group(GroupName=group)["Group"]["Arn"]
    job = server.aws("iam", "generate-service-last-accessed-details", "--arn", group_arn)["JobId"]
    report = server.aws("iam", "get-service-last-accessed-details", "--job-id", job)
    assert [s["ServiceNamespace"] for s in report["ServicesLastAccessed"]] == ["iam"]
    entities = iam.get_service_last_accessed_details_with_entities(JobId=job, ServiceNamespace="iam")["EntityDetailsList"]
    assert [(e["EntityInfo"]["Arn"], e["EntityInfo"]["Type"]) for e in entities] == [(arn, "USER")]
    assert "LastAuthenticated" in entities[0]

    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_service_last_accessed_details(JobId="00000000-0000-0000-0000-000000000000")
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.generate_service_last_accessed_details(Arn=f"arn:aws:iam::{ACCOUNT_ID}:user/{unique('nobody')}")
    with pytest.raises(iam.exceptions.ClientError) as exc:
        iam.generate_service_last_accessed_details(Arn="arn:aws:iam::123456789012:thing")
    assert exc.value.response["Error"]["Code"] in ("InvalidInput", "ValidationError")


# The last accessed data is stored (flushed with the keys' and roles' last use, and at
# shutdown): a restarted server, or another node, reports the attempts it did not see.
def test_service_last_accessed_data_survives_a_restart(server_factory, tmp_path):
    srv = server_factory(data_dir=tmp_path / "data")
    iam = srv.iam()
    user = unique("sla-keep")
    arn = iam.create_user(UserName=user)["User"]["Arn"]
    iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}]}))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    srv.iam(access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"]).list_users()
    srv.stop()
    again = server_factory(data_dir=tmp_path / "data").iam()
    job = again.generate_service_last_accessed_details(Arn=arn, Granularity="ACTION_LEVEL")["JobId"]
    report = again.get_service_last_accessed_details(JobId=job)
    iam_service = next(s for s in report["ServicesLastAccessed"] if s["ServiceNamespace"] == "iam")
    assert iam_service["LastAuthenticatedEntity"] == arn and "LastAuthenticated" in iam_service
    listed = next(a for a in iam_service["TrackedActionsLastAccessed"] if a["ActionName"] == "ListUsers")
    assert "LastAccessedTime" in listed
