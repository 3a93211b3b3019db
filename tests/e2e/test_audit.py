"""The audit trail (issue 16): every request becomes a CloudTrail-format event; CloudTrail's
LookupEvents on the same endpoint finds them (`aws cloudtrail lookup-events`, boto3).

Event fields: AWS CloudTrail User Guide, "CloudTrail record contents for management, data,
and network activity events"; secrets: CloudTrail hides passwords in requestParameters
(HIDDEN_DUE_TO_SECURITY_REASONS) and leaves secret access keys out of responseElements.
LookupEvents: CloudTrail API Reference, LookupEvents (one lookup attribute at most,
MaxResults 1-50, InvalidLookupAttributesException, InvalidMaxResultsException,
InvalidTimeRangeException)."""

from __future__ import annotations

import datetime as dt
import json
import time

import botocore.exceptions
import pytest

import castellan_e2e as e2e
from castellan_e2e import ACCOUNT_ID, ROOT_ACCESS_KEY_ID, ROOT_SECRET_ACCESS_KEY, dumps, unique

pytestmark = pytest.mark.skipif(bool(e2e.EXTERNAL_ENDPOINT), reason="needs its own castellan process")


def trail(srv, **kw):
    return srv.client("cloudtrail", **kw)


def wait_for(srv, attribute: tuple[str, str], count: int = 1, **kw) -> list[dict]:
    """Events matching one lookup attribute, once `count` are there (the writer is asynchronous)."""
    ct = trail(srv, **kw)
    deadline = time.monotonic() + 30
    while True:
        events = ct.lookup_events(LookupAttributes=[{"AttributeKey": attribute[0], "AttributeValue": attribute[1]}])["Events"]
        if len(events) >= count or time.monotonic() > deadline:
            return events
        time.sleep(0.1)


@pytest.fixture(scope="module")
def audited(server_factory):
    return server_factory()


def test_allowed_call_is_recorded_with_identity_parameters_and_response(audited):
    iam = audited.iam()
    name = unique("audit")
    iam.create_user(UserName=name, Tags=[{"Key": "team", "Value": "blue"}])
    key = iam.create_access_key(UserName=name)["AccessKey"]
    events = wait_for(audited, ("ResourceName", name), 2)
    by_name = {e["EventName"]: e for e in events}
    assert set(by_name) == {"CreateUser", "CreateAccessKey"}
    summary = by_name["CreateAccessKey"]
    assert summary["Username"] == "root" and summary["AccessKeyId"] == ROOT_ACCESS_KEY_ID
    assert summary["ReadOnly"] == "false" and summary["EventSource"] == "iam.amazonaws.com"
    assert {"ResourceType": "AWS::IAM::User", "ResourceName": name} in summary["Resources"]
    event = json.loads(summary["CloudTrailEvent"])
    assert event["eventVersion"] and event["eventType"] == "AwsApiCall" and event["managementEvent"] is True
    assert event["userIdentity"] == {
        "type": "Root", "principalId": ACCOUNT_ID, "arn": f"arn:aws:iam::{ACCOUNT_ID}:root",
        "accountId": ACCOUNT_ID, "accessKeyId": ROOT_ACCESS_KEY_ID,
    }
    assert event["eventSource"] == "iam.amazonaws.com" and event["awsRegion"] == "us-east-1"
    assert event["sourceIPAddress"] == "127.0.0.1" and "Botocore" in event["userAgent"]
    assert event["requestParameters"] == {"userName": name}
    assert event["responseElements"]["accessKey"]["accessKeyId"] == key["AccessKeyId"]
    assert "secretAccessKey" not in event["responseElements"]["accessKey"]
    assert key["SecretAccessKey"] not in summary["CloudTrailEvent"]
    assert event["recipientAccountId"] == ACCOUNT_ID and event["readOnly"] is False
    assert "errorCode" not in event
    created = json.loads(by_name["CreateUser"]["CloudTrailEvent"])
    assert created["requestParameters"]["tags"] == [{"key": "team", "value": "blue"}]
    assert created["responseElements"]["user"]["userName"] == name
    # The event's time is the request's.
    assert abs(dt.datetime.strptime(event["eventTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc).timestamp() - time.time()) < 600


def test_denied_and_failed_calls_carry_the_error_and_the_callers_identity(audited):
    iam = audited.iam()
    name = unique("audit-denied")
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    user = audited.iam(access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    with pytest.raises(botocore.exceptions.ClientError):
        user.list_roles()
    missing = unique("nobody")
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_user(UserName=missing)
    denied = json.loads(wait_for(audited, ("AccessKeyId", key["AccessKeyId"]))[0]["CloudTrailEvent"])
    assert denied["eventName"] == "ListRoles" and denied["errorCode"] == "AccessDenied"
    assert f"user/{name} is not authorized to perform: iam:ListRoles" in denied["errorMessage"]
    ident = denied["userIdentity"]
    assert ident["type"] == "IAMUser" and ident["userName"] == name and ident["accessKeyId"] == key["AccessKeyId"]
    assert ident["arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/{name}" and ident["principalId"].startswith("AIDA")
    failed = json.loads(wait_for(audited, ("ResourceName", missing))[0]["CloudTrailEvent"])
    assert failed["errorCode"] == "NoSuchEntity" and missing in failed["errorMessage"]
    assert failed["readOnly"] is True and failed["responseElements"] is None


def test_a_refused_signature_is_recorded_in_the_keys_account(audited):
    bad = audited.iam(secret_key="not-the-secret")
    with pytest.raises(botocore.exceptions.ClientError):
        bad.list_groups()
    events = [json.loads(e["CloudTrailEvent"]) for e in wait_for(audited, ("EventName", "ListGroups"))]
    refused = [e for e in events if e.get("errorCode") == "SignatureDoesNotMatch"]
    assert refused
    assert refused[0]["userIdentity"]["type"] == "Unknown"
    assert refused[0]["userIdentity"]["accessKeyId"] == ROOT_ACCESS_KEY_ID


def test_no_secret_reaches_the_trail(audited):
    iam = audited.iam()
    name = unique("audit-secret")
    iam.create_user(UserName=name)
    password = "Sup3r-secret-Passw0rd!"
    iam.create_login_profile(UserName=name, Password=password)
    role = unique("audit-role")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}, "Action": "sts:AssumeRole"}]}
    arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=dumps(trust))["Role"]["Arn"]
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": arn}]}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    creds = audited.sts(access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"]).assume_role(RoleArn=arn, RoleSessionName="audit")["Credentials"]
    # A call with the session: its identity is the assumed role.
    session = audited.sts(access_key=creds["AccessKeyId"], secret_key=creds["SecretAccessKey"], session_token=creds["SessionToken"])
    session.get_caller_identity()
    login = json.loads(wait_for(audited, ("EventName", "CreateLoginProfile"))[0]["CloudTrailEvent"])
    assert login["requestParameters"]["password"] == "HIDDEN_DUE_TO_SECURITY_REASONS"
    assumed = wait_for(audited, ("EventName", "AssumeRole"))
    event = json.loads(assumed[0]["CloudTrailEvent"])
    assert event["eventSource"] == "sts.amazonaws.com" and event["requestParameters"]["roleSessionName"] == "audit"
    assert event["responseElements"]["credentials"]["accessKeyId"] == creds["AccessKeyId"]
    assert "sessionToken" not in event["responseElements"]["credentials"]
    whoami = json.loads(wait_for(audited, ("AccessKeyId", creds["AccessKeyId"]))[0]["CloudTrailEvent"])
    ident = whoami["userIdentity"]
    assert ident["type"] == "AssumedRole" and ident["arn"] == f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role}/audit"
    assert ident["sessionContext"]["sessionIssuer"]["arn"] == arn
    assert ident["sessionContext"]["attributes"]["mfaAuthenticated"] == "false"
    everything = "".join(e["CloudTrailEvent"] for e in trail(audited).lookup_events(MaxResults=50)["Events"])
    for secret in (password, key["SecretAccessKey"], creds["SecretAccessKey"], creds["SessionToken"], ROOT_SECRET_ACCESS_KEY):
        assert secret not in everything


def test_lookup_events_with_the_aws_cli_filters_pages_and_time_range(audited):
    iam = audited.iam()
    names = [unique("audit-page") for _ in range(5)]
    for n in names:
        iam.create_user(UserName=n)
    for n in names:
        wait_for(audited, ("ResourceName", n))
    out = audited.aws("cloudtrail", "lookup-events", "--lookup-attributes", f"AttributeKey=ResourceName,AttributeValue={names[2]}")
    assert [e["EventName"] for e in out["Events"]] == ["CreateUser"]
    # Paging: MaxResults per page, NextToken onwards, newest first, no repeats.
    ct = trail(audited)
    seen, token = [], None
    while True:
        kw = {"NextToken": token} if token else {}
        page = ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateUser"}], MaxResults=2, **kw)
        assert len(page["Events"]) <= 2
        seen += page["Events"]
        token = page.get("NextToken")
        if not token:
            break
    ids = [e["EventId"] for e in seen]
    assert len(ids) == len(set(ids))
    mine = [e for e in seen if e["Resources"] and e["Resources"][0]["ResourceName"] in names]
    assert [e["Resources"][0]["ResourceName"] for e in mine] == list(reversed(names))
    # The CLI pages by itself.
    all_created = audited.aws("cloudtrail", "lookup-events", "--lookup-attributes", "AttributeKey=EventName,AttributeValue=CreateUser", "--page-size", "2")
    assert len(all_created["Events"]) == len(seen)
    # A time range in the past holds none of them; ReadOnly and EventSource filters.
    past = ct.lookup_events(StartTime=dt.datetime(2020, 1, 1), EndTime=dt.datetime(2020, 1, 2))
    assert past["Events"] == []
    writes = ct.lookup_events(LookupAttributes=[{"AttributeKey": "ReadOnly", "AttributeValue": "false"}], MaxResults=50)["Events"]
    assert writes and all(e["ReadOnly"] == "false" for e in writes)
    sts_events = ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventSource", "AttributeValue": "sts.amazonaws.com"}])["Events"]
    assert all(e["EventSource"] == "sts.amazonaws.com" for e in sts_events)


def test_lookup_events_errors_are_cloudtrails(audited):
    ct = trail(audited, validate=False)
    for kw, code in [
        ({"MaxResults": 51}, "InvalidMaxResultsException"),
        ({"LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "A"}, {"AttributeKey": "EventName", "AttributeValue": "B"}]}, "InvalidLookupAttributesException"),
        ({"StartTime": dt.datetime(2025, 1, 2), "EndTime": dt.datetime(2025, 1, 1)}, "InvalidTimeRangeException"),
        ({"NextToken": "not-a-token-we-gave"}, "InvalidNextTokenException"),
    ]:
        with pytest.raises(botocore.exceptions.ClientError) as exc:
            ct.lookup_events(**kw)
        assert exc.value.response["Error"]["Code"] == code, kw


def test_lookup_events_needs_permission_and_shows_only_the_callers_account(audited):
    iam = audited.iam()
    name = unique("audit-reader")
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    reader = trail(audited, access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        reader.lookup_events()
    assert exc.value.response["Error"]["Code"] == "AccessDeniedException"
    iam.put_user_policy(UserName=name, PolicyName="trail", PolicyDocument=dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "cloudtrail:LookupEvents", "Resource": "*"}]}))
    events = reader.lookup_events(MaxResults=50)["Events"]
    assert events
    assert all(json.loads(e["CloudTrailEvent"])["recipientAccountId"] == ACCOUNT_ID for e in events)


def test_the_trail_is_json_lines_under_the_data_directory_and_survives_a_restart(server_factory, tmp_path):
    srv = server_factory(data_dir=tmp_path / "data")
    name = unique("audit-disk")
    srv.iam().create_user(UserName=name)
    srv.stop()
    files = sorted((tmp_path / "data" / "audit").glob("events-*.jsonl"))
    assert files and all(f.stat().st_mode & 0o077 == 0 for f in files)
    lines = [json.loads(line) for f in files for line in f.read_text().splitlines()]
    assert any(e["eventName"] == "CreateUser" and e["requestParameters"] == {"userName": name} for e in lines)
    again = server_factory(data_dir=tmp_path / "data")
    assert wait_for(again, ("ResourceName", name))[0]["EventName"] == "CreateUser"


def test_no_audit_records_nothing(server_factory):
    srv = server_factory(env_extra={"CASTELLAN_NO_AUDIT": "true"})
    srv.iam().list_users()
    assert trail(srv).lookup_events()["Events"] == []


def test_nodes_on_postgresql_share_the_trail():
    """On PostgreSQL the events go to a table every node reads: a call answered by one node
    is found by LookupEvents on another."""
    url = e2e.postgres_url()
    nodes = [e2e.Server(database_url=url, master_key=e2e.SHARED_MASTER_KEY).start() for _ in range(2)]
    try:
        name = unique("audit-pg")
        nodes[0].iam().create_user(UserName=name)
        events = wait_for(nodes[1], ("ResourceName", name))
        assert [e["EventName"] for e in events] == ["CreateUser"]
        assert json.loads(events[0]["CloudTrailEvent"])["requestParameters"] == {"userName": name}
    finally:
        for n in nodes:
            n.stop()
            n.cleanup_logs()


# CloudTrail records AssumeRoleWithSAML under the SAML user (userIdentity type SAMLUser,
# principalId "namequalifier:subject", identityProvider the NameQualifier) and the role's
# account as recipient (CloudTrail User Guide, "CloudTrail userIdentity element").
def test_saml_sign_in_is_recorded_as_a_saml_user(audited):
    from saml_idp import Idp, b64
    from test_saml import assume, setup, signed

    idp = Idp()
    role_arn, provider, _ = setup(audited, idp)
    xml = signed(idp, role_arn, provider)
    out = assume(audited, role_arn, provider, xml)
    events = wait_for(audited, ("EventName", "AssumeRoleWithSAML"))
    assert events, "no AssumeRoleWithSAML event"
    event = json.loads(events[0]["CloudTrailEvent"])
    assert event["userIdentity"] == {
        "type": "SAMLUser",
        "principalId": f"{out['NameQualifier']}:{out['Subject']}",
        "userName": out["Subject"],
        "identityProvider": out["NameQualifier"],
    }
    assert event["recipientAccountId"] == ACCOUNT_ID
    assert b64(xml)[:64] not in json.dumps(event)  # the assertion never reaches the trail


# What a console page does is an IAM request like any other, and the trail records it with
# the signed-in identity (user agent `castellan-console`).
def test_console_calls_are_recorded(audited):
    import urllib.parse
    import urllib.request

    iam = audited.iam()
    admin = unique("auditcons")
    iam.create_user(UserName=admin)
    iam.attach_user_policy(UserName=admin, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    iam.create_login_profile(UserName=admin, Password="Passw0rd-Example-1!")

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    jar: dict[str, str] = {}

    def call(path: str, form: dict | None = None) -> int:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())} if jar else {}
        req = urllib.request.Request(f"{audited.endpoint}{path}", data=data, headers=headers)
        try:
            resp = opener.open(req, timeout=30)
        except urllib.error.HTTPError as e:
            resp = e
        for c in resp.headers.get_all("Set-Cookie") or []:
            k, v = c.split(";", 1)[0].split("=", 1)
            jar[k] = v
        return resp.status

    assert call("/console/") == 200
    csrf = jar["castellan-csrf"]
    assert call("/console/signin", {"account": ACCOUNT_ID, "username": admin, "password": "Passw0rd-Example-1!", "csrf": csrf}) == 303
    made = unique("bycons")
    assert call("/console/users", {"username": made, "csrf": csrf}) == 303
    events = wait_for(audited, ("ResourceName", made))
    created = [json.loads(e["CloudTrailEvent"]) for e in events if e["EventName"] == "CreateUser"]
    assert created, events
    assert created[0]["userAgent"] == "castellan-console"
    assert created[0]["userIdentity"]["type"] == "IAMUser" and created[0]["userIdentity"]["userName"] == admin
