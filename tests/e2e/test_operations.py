"""Running Castellan: --version, /healthz, /readyz, Prometheus /metrics and the JSON request log
(issue 16, "Health and metrics")."""

from __future__ import annotations

import json
import re
import subprocess
import time
import urllib.error
import urllib.request

import pytest

import castellan_e2e as e2e
from castellan_e2e import ACCOUNT_ID, ROOT_ACCESS_KEY_ID, ROOT_SECRET_ACCESS_KEY, castellan_bin, dumps, unique

pytestmark = pytest.mark.skipif(bool(e2e.EXTERNAL_ENDPOINT), reason="needs its own castellan process")


def get(url: str) -> tuple[int, str, dict[str, str]]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read().decode(), dict(r.headers.items())
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), dict(e.headers.items())


def metrics(server) -> dict[str, float]:
    """The samples of /metrics, by their full name with labels."""
    status, text, headers = get(server.endpoint + "/metrics")
    assert status == 200
    assert headers["content-type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    return samples


def sample(samples: dict[str, float], name: str) -> float:
    return samples.get(name, 0.0)


def test_version_names_the_binary_and_its_version():
    out = subprocess.run([str(castellan_bin()), "--version"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0
    assert re.fullmatch(r"castellan \d+\.\d+\.\d+\n", out.stdout)


def test_healthz_and_readyz_answer_without_a_signature(server):
    status, body, _ = get(server.endpoint + "/healthz")
    assert (status, body) == (200, "ok\n")
    status, body, _ = get(server.endpoint + "/readyz")
    assert (status, body) == (200, "ready\n")


def test_metrics_count_requests_by_operation_and_outcome(server_factory):
    srv = server_factory()
    iam = srv.iam()
    name = unique("metrics")
    iam.create_user(UserName=name)
    iam.list_users()
    iam.list_users()
    before = metrics(srv)
    # allowed
    iam.list_users()
    # an error code
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_user(UserName=unique("missing"))
    # a denial: a user with no policy
    key = iam.create_access_key(UserName=name)["AccessKey"]
    denied = srv.iam(access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    for _ in range(20):  # the key is usable as soon as CreateAccessKey answers; no wait needed
        try:
            denied.list_users()
        except denied.exceptions.ClientError as e:
            if e.response["Error"]["Code"] == "AccessDenied":
                break
            raise
    # an authentication failure
    bad = srv.iam(secret_key="not-the-secret")
    with pytest.raises(bad.exceptions.ClientError) as exc:
        bad.list_roles()
    assert exc.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    after = metrics(srv)

    def delta(key: str) -> float:
        return sample(after, key) - sample(before, key)

    assert delta('castellan_requests_total{operation="ListUsers",outcome="allowed"}') == 1
    assert delta('castellan_requests_total{operation="GetUser",outcome="NoSuchEntity"}') == 1
    assert delta('castellan_requests_total{operation="ListUsers",outcome="AccessDenied"}') == 1
    assert delta('castellan_requests_total{operation="ListRoles",outcome="SignatureDoesNotMatch"}') == 1
    assert delta('castellan_authentication_failures_total{reason="SignatureDoesNotMatch"}') == 1
    assert delta('castellan_request_duration_seconds_count{operation="ListUsers"}') == 2
    assert delta('castellan_request_duration_seconds_bucket{operation="ListUsers",le="+Inf"}') == 2
    # CreateUser and CreateAccessKey committed to the store
    assert sample(after, "castellan_store_commit_duration_seconds_count") >= 2
    # CreateAccessKey (and perhaps the periodic write of access keys' last use)
    assert delta("castellan_store_commit_duration_seconds_count") >= 1
    assert sample(after, "castellan_change_feed_lag_seconds") >= 0
    assert sample(after, 'castellan_build_info{version="0.1.0"}') == 1
    assert sample(after, "process_resident_memory_bytes") > 0


def test_metrics_count_sessions_issued_and_live(server_factory):
    srv = server_factory()
    iam = srv.iam()
    role = unique("metrics-role")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}, "Action": "sts:AssumeRole"}]}
    arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=dumps(trust))["Role"]["Arn"]
    user = unique("metrics-user")
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="assume", PolicyDocument=dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": arn}]}))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    sts = srv.sts(access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    sts.assume_role(RoleArn=arn, RoleSessionName="one")
    sts.assume_role(RoleArn=arn, RoleSessionName="two")
    after = metrics(srv)
    assert sample(after, 'castellan_sessions_issued_total{operation="AssumeRole"}') == 2
    assert sample(after, "castellan_sessions_live") == 2


def test_json_log_has_one_line_per_request_with_the_response_request_id(server_factory):
    srv = server_factory(env_extra={"CASTELLAN_LOG_FORMAT": "json"})
    ok = srv.raw({"Action": "ListUsers", "Version": "2010-05-08"})
    assert ok.status == 200
    bad = srv.raw({"Action": "GetUser", "Version": "2010-05-08", "UserName": unique("nobody")})
    assert bad.status == 404
    ids = {ok.headers["x-amzn-requestid"]: ("ListUsers", 200, "-"), bad.headers["x-amzn-requestid"]: ("GetUser", 404, "NoSuchEntity")}
    deadline = time.monotonic() + 30
    found: dict[str, dict] = {}
    while time.monotonic() < deadline and len(found) < 2:
        for line in srv.stderr_path.read_text().splitlines():
            event = json.loads(line)  # every line is JSON
            if event.get("target") == "castellan::request" and event.get("request_id") in ids:
                found[event["request_id"]] = event
        time.sleep(0.05)
    assert set(found) == set(ids)
    for rid, (op, status, code) in ids.items():
        event = found[rid]
        assert (event["operation"], event["status"], event["error_code"]) == (op, status, code)
        assert event["caller"] == f"arn:aws:iam::{ACCOUNT_ID}:root"
        assert event["access_key_id"] == ROOT_ACCESS_KEY_ID
        assert event["source_ip"] == "127.0.0.1"
    assert ROOT_SECRET_ACCESS_KEY not in srv.stderr_path.read_text()
