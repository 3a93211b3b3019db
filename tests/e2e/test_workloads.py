"""Workloads: `castellan workload run|serve` hand an instance profile's role (through an
IMDSv2-compatible metadata service) or a task role (through the container credentials
endpoint) to programs that have no credentials of their own: boto3 and the aws CLI here;
the AWS SDKs for Rust and JavaScript in tests/sdk-rust and tests/sdk-js.

Sources: EC2 User Guide, "Use IAM roles to grant permissions to applications running on EC2"
(trust policy naming ec2.amazonaws.com, iam:PassRole to launch with a profile, session named
after the instance, ec2:SourceInstanceARN and ec2:RoleDelivery condition keys), "Use the
Instance Metadata Service" (IMDSv2 token PUT, TTL header 1-21600, 401 without a token when
tokens are required, X-Forwarded-For refused), "Retrieve security credentials from instance
metadata" (the JSON); Amazon ECS Developer Guide, "Task IAM role" (ecs-tasks.amazonaws.com);
the SDKs' container credential provider (AWS_CONTAINER_CREDENTIALS_FULL_URI with
AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE])."""

import json
import re
import subprocess
import sys
import textwrap

import pytest

from castellan_e2e import ACCOUNT_ID, EC2_TRUST_POLICY, REPO_ROOT, castellan_bin, dumps

ECS_TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}

# The program run as the workload: calls GetCallerIdentity with boto3's default chain until it
# has seen `want` distinct sets of credentials (or a deadline), then prints what it saw.
BOTO3_CHILD = textwrap.dedent("""
    import json, os, sys, time
    import boto3
    leaked = [k for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE") if k in os.environ]
    want, deadline = int(sys.argv[1]), time.time() + float(sys.argv[2])
    session = boto3.session.Session()
    sts = session.client("sts")
    arns, keys = set(), []
    while True:
        arns.add(sts.get_caller_identity()["Arn"])
        creds = session.get_credentials()
        key = creds.get_frozen_credentials().access_key
        if key not in keys:
            keys.append(key)
        if len(keys) >= want or time.time() > deadline:
            break
        time.sleep(2)
    print(json.dumps({"arns": sorted(arns), "keys": len(keys), "method": creds.method, "leaked": leaked}))
""")


def workload(server, *args, env_extra=None, access_key=None, secret_key=None, timeout=240):
    """Runs `castellan workload ARGS…` as the root user (or the given key) of `server`."""
    env = server.cli_env(*(k for k in (access_key, secret_key) if k))
    env.update(env_extra or {})
    return subprocess.run([str(castellan_bin()), "workload", *args], env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout)


def boto3_child(want=1, seconds=5):
    return ["--", sys.executable, "-c", BOTO3_CHILD, str(want), str(seconds)]


def last_json(res):
    assert res.returncode == 0, f"exit {res.returncode}\nstdout: {res.stdout}\nstderr: {res.stderr}"
    try:
        return json.loads(res.stdout)
    except json.JSONDecodeError:
        return json.loads(res.stdout.strip().splitlines()[-1])


@pytest.fixture
def ec2_profile(iam, name):
    role, profile = name("ec2role"), name("profile")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=dumps(EC2_TRUST_POLICY))
    iam.create_instance_profile(InstanceProfileName=profile)
    iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=role)
    return role, profile


@pytest.fixture
def task_role(iam, name):
    role = name("taskrole")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=dumps(ECS_TRUST_POLICY))
    return role


def test_boto3_under_an_instance_profile_is_the_role_session_named_after_the_instance(server, ec2_profile):
    role, profile = ec2_profile
    out = last_json(workload(server, "run", "--instance-profile", profile, *boto3_child()))
    assert out["leaked"] == []
    assert out["method"] == "iam-role"  # botocore's InstanceMetadataProvider
    [arn] = out["arns"]
    prefix = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role}/i-"
    assert arn.startswith(prefix) and len(arn) == len(prefix) + 17, arn


def test_aws_cli_under_an_instance_profile_and_a_task_role(server, ec2_profile, task_role):
    role, profile = ec2_profile
    cli = ["--", sys.executable, "-m", "awscli", "sts", "get-caller-identity", "--output", "json"]
    out = last_json(workload(server, "run", "--instance-profile", profile, *cli))
    assert out["Arn"].startswith(f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role}/i-")
    assert out["UserId"].split(":")[1] == out["Arn"].rsplit("/", 1)[1]
    out = last_json(workload(server, "run", "--task-role", task_role, *cli))
    session = out["Arn"].rsplit("/", 1)[1]
    assert out["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{task_role}/{session}"
    assert len(session) == 32 and int(session, 16) >= 0  # an ECS task id


def test_boto3_task_role_keeps_working_across_a_refresh(server, task_role):
    # 60-second credentials: the endpoint serves new ones halfway; boto3 refreshes them.
    res = workload(server, "run", "--task-role", task_role, "--duration-seconds", "60", *boto3_child(want=2, seconds=150))
    out = last_json(res)
    assert out["keys"] == 2, out
    assert out["method"] == "container-role"
    assert len(out["arns"]) == 1 and f"assumed-role/{task_role}/" in out["arns"][0]


# IMDS itself: IMDSv2 only, X-Forwarded-For refused, AWS's JSON, and new credentials before
# the old ones expire. (boto3 keeps instance credentials that expire within 12-25 minutes
# past their expiry, so the refresh is checked on the endpoint here and with the Rust and
# JavaScript SDKs, whose instance providers refresh short credentials.)
IMDS_PROBE = textwrap.dedent("""
    import json, os, sys, time, urllib.request, urllib.error
    base = os.environ["AWS_EC2_METADATA_SERVICE_ENDPOINT"].rstrip("/")
    def call(path, method="GET", headers=None):
        req = urllib.request.Request(base + path, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.read().decode(), dict(r.headers)
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(), dict(e.headers)
    out = {}
    out["v1"] = call("/latest/meta-data/iam/security-credentials/")[0]
    out["no_ttl"] = call("/latest/api/token", "PUT")[0]
    out["bad_ttl"] = call("/latest/api/token", "PUT", {"X-aws-ec2-metadata-token-ttl-seconds": "21601"})[0]
    out["xff"] = call("/latest/api/token", "PUT", {"X-aws-ec2-metadata-token-ttl-seconds": "60", "X-Forwarded-For": "10.0.0.1"})[0]
    status, token, headers = call("/latest/api/token", "PUT", {"X-aws-ec2-metadata-token-ttl-seconds": "60"})
    out["token_status"], out["ttl_header"] = status, {k.lower(): v for k, v in headers.items()}.get("x-aws-ec2-metadata-token-ttl-seconds")
    out["wrong_token"] = call("/latest/meta-data/iam/security-credentials/", headers={"X-aws-ec2-metadata-token": "x" + token})[0]
    short = call("/latest/api/token", "PUT", {"X-aws-ec2-metadata-token-ttl-seconds": "1"})[1]
    time.sleep(2)
    out["expired_token"] = call("/latest/meta-data/iam/security-credentials/", headers={"X-aws-ec2-metadata-token": short})[0]
    h = {"X-aws-ec2-metadata-token": token}
    out["instance_id"] = call("/latest/meta-data/instance-id", headers=h)[1]
    out["info"] = json.loads(call("/latest/meta-data/iam/info", headers=h)[1])
    role = call("/latest/meta-data/iam/security-credentials/", headers=h)[1]
    out["role"] = role
    out["other_role"] = call("/latest/meta-data/iam/security-credentials/Other", headers=h)[0]
    first = json.loads(call("/latest/meta-data/iam/security-credentials/" + role, headers=h)[1])
    out["first"] = first
    deadline = time.time() + float(sys.argv[1])
    second = first
    while second["AccessKeyId"] == first["AccessKeyId"] and time.time() < deadline:
        time.sleep(2)
        second = json.loads(call("/latest/meta-data/iam/security-credentials/" + role, headers=h)[1])
    out["second"] = second
    print(json.dumps(out))
""")


def test_imds_is_v2_only_refuses_forwarded_token_requests_and_rotates_credentials(server, iam, ec2_profile):
    role, profile = ec2_profile
    res = workload(server, "run", "--instance-profile", profile, "--duration-seconds", "60", "--",
                   sys.executable, "-c", IMDS_PROBE, "120")
    out = last_json(res)
    assert out["v1"] == 401  # IMDSv1 (no token) refused
    assert out["no_ttl"] == 400 and out["bad_ttl"] == 400
    assert out["xff"] == 403
    assert out["token_status"] == 200 and out["ttl_header"] == "60"
    assert out["wrong_token"] == 401 and out["expired_token"] == 401
    assert out["instance_id"].startswith("i-")
    info = out["info"]
    assert info["Code"] == "Success"
    assert info["InstanceProfileArn"] == f"arn:aws:iam::{ACCOUNT_ID}:instance-profile/{profile}"
    assert info["InstanceProfileId"] == iam.get_instance_profile(InstanceProfileName=profile)["InstanceProfile"]["InstanceProfileId"]
    assert out["role"] == role and out["other_role"] == 404
    first, second = out["first"], out["second"]
    assert set(first) == {"Code", "LastUpdated", "Type", "AccessKeyId", "SecretAccessKey", "Token", "Expiration"}
    assert first["Code"] == "Success" and first["Type"] == "AWS-HMAC"
    assert first["AccessKeyId"].startswith("ASIA")
    assert second["AccessKeyId"] != first["AccessKeyId"], "new credentials before the old ones expire"
    assert second["Expiration"] > first["Expiration"]
    # Both sets work, each as the instance's session.
    for c in (first, second):
        sts = server.client("sts", access_key=c["AccessKeyId"], secret_key=c["SecretAccessKey"], session_token=c["Token"])
        assert sts.get_caller_identity()["Arn"].endswith(f"assumed-role/{role}/{out['instance_id']}")


def test_session_carries_ec2_condition_keys(server, iam, name):
    # A policy conditioned on ec2:SourceInstanceARN and ec2:RoleDelivery (EC2 User Guide:
    # "condition keys for instance credentials") lets the instance's session do what it says.
    role, profile = name("keys"), name("keysprof")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=dumps(EC2_TRUST_POLICY))
    iam.put_role_policy(RoleName=role, PolicyName="p", PolicyDocument=dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow", "Action": "iam:GetRole", "Resource": "*",
            "Condition": {"ArnLike": {"ec2:SourceInstanceARN": f"arn:aws:ec2:*:{ACCOUNT_ID}:instance/i-*"},
                          "NumericGreaterThanEquals": {"ec2:RoleDelivery": "2.0"}},
        }],
    }))
    iam.create_instance_profile(InstanceProfileName=profile)
    iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=role)
    child = f"import boto3; print(boto3.client('iam').get_role(RoleName='{role}')['Role']['RoleName'])"
    res = workload(server, "run", "--instance-profile", profile, "--", sys.executable, "-c", child)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == role


# --- bad input: each refused, nothing issued ---

def test_role_whose_trust_does_not_name_the_service_is_refused(server, iam, name, task_role):
    role, profile = name("notec2"), name("notec2prof")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=dumps(ECS_TRUST_POLICY))
    iam.create_instance_profile(InstanceProfileName=profile)
    iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=role)
    res = workload(server, "run", "--instance-profile", profile, "--", "true")
    assert res.returncode == 1
    assert "AccessDenied: ec2.amazonaws.com was unable to assume the role" in res.stderr
    # And a task role that trusts only EC2 is no task role.
    res = workload(server, "run", "--task-role", role.replace("notec2", "missing"), "--", "true")
    assert res.returncode == 1 and "NoSuchEntity" in res.stderr


def test_binding_needs_pass_role(server, iam, name, ec2_profile):
    role, profile = ec2_profile
    user = name("launcher")
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    k, s = key["AccessKeyId"], key["SecretAccessKey"]
    res = workload(server, "run", "--instance-profile", profile, "--", "true", access_key=k, secret_key=s)
    assert res.returncode == 1
    assert f"is not authorized to perform: iam:PassRole on resource: arn:aws:iam::{ACCOUNT_ID}:role/{role}" in res.stderr
    # PassRole only to ECS does not let the user hand the role to an instance.
    iam.put_user_policy(UserName=user, PolicyName="pass", PolicyDocument=dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "iam:PassRole", "Resource": f"arn:aws:iam::{ACCOUNT_ID}:role/{role}",
                       "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}}],
    }))
    res = workload(server, "run", "--instance-profile", profile, "--", "true", access_key=k, secret_key=s)
    assert res.returncode == 1 and "iam:PassRole" in res.stderr
    iam.put_user_policy(UserName=user, PolicyName="pass", PolicyDocument=dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "iam:PassRole", "Resource": f"arn:aws:iam::{ACCOUNT_ID}:role/{role}",
                       "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}}],
    }))
    out = last_json(workload(server, "run", "--instance-profile", profile, *boto3_child(), access_key=k, secret_key=s))
    assert f"assumed-role/{role}/i-" in out["arns"][0]


# Credentials stop at the next refresh when the role goes away, is taken out of the profile,
# or its trust stops naming the service.
STOP_CHILD = textwrap.dedent("""
    import json, os, sys, time, urllib.request, urllib.error
    uri, token = os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"], open(os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"]).read()
    def get():
        try:
            with urllib.request.urlopen(urllib.request.Request(uri, headers={"Authorization": token}), timeout=10) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())
    first = get()
    print(json.dumps({"first": first[0]}), flush=True)
    sys.stdin.readline()  # the test changes the role, then says go
    deadline = time.time() + 120
    while time.time() < deadline:
        status, body = get()
        if status != 200:
            break
        time.sleep(2)
    print(json.dumps({"after": status, "body": body}), flush=True)
""")


@pytest.mark.parametrize("change", ["trust", "delete"])
def test_credentials_stop_at_the_next_refresh_when_the_role_changes(server, iam, name, change):
    role = name("stop")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=dumps(ECS_TRUST_POLICY))
    env = server.cli_env()
    proc = subprocess.Popen([str(castellan_bin()), "workload", "run", "--task-role", role, "--duration-seconds", "60", "--",
                             sys.executable, "-c", STOP_CHILD], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert json.loads(proc.stdout.readline())["first"] == 200
        if change == "trust":
            iam.update_assume_role_policy(RoleName=role, PolicyDocument=dumps(EC2_TRUST_POLICY))
        else:
            iam.delete_role(RoleName=role)
        proc.stdin.write("go\n")
        proc.stdin.flush()
        after = json.loads(proc.stdout.readline())
        assert after["after"] == 403, after
        assert after["body"]["code"] == "AccessDenied"
    finally:
        proc.kill()
        proc.wait(timeout=10)


def test_container_endpoint_refuses_missing_and_unknown_tokens(server, task_role):
    child = textwrap.dedent("""
        import json, os, urllib.request, urllib.error
        uri = os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
        def get(headers):
            try:
                with urllib.request.urlopen(urllib.request.Request(uri, headers=headers), timeout=10) as r:
                    return r.status
            except urllib.error.HTTPError as e:
                return e.code
        token = open(os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"]).read()
        print(json.dumps([get({}), get({"Authorization": "not-the-token"}), get({"Authorization": token}),
                          oct(os.stat(os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"]).st_mode & 0o777)]))
    """)
    out = last_json(workload(server, "run", "--task-role", task_role, "--", sys.executable, "-c", child))
    assert out == [401, 403, 200, "0o600"]


def test_trust_conditions_see_the_source_account_and_arn(server, iam, name):
    # Confused-deputy conditions in a trust policy (IAM User Guide, "The confused deputy
    # problem": aws:SourceAccount, aws:SourceArn) are evaluated with the workload's values.
    def role_for(condition):
        role, profile = name("deputy"), name("deputyprof")
        trust = {"Version": "2012-10-17", "Statement": [dict(EC2_TRUST_POLICY["Statement"][0], Condition=condition)]}
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=dumps(trust))
        iam.create_instance_profile(InstanceProfileName=profile)
        iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=role)
        return profile
    ok = role_for({"StringEquals": {"aws:SourceAccount": ACCOUNT_ID},
                   "ArnLike": {"aws:SourceArn": f"arn:aws:ec2:*:{ACCOUNT_ID}:instance/*"}})
    assert last_json(workload(server, "run", "--instance-profile", ok, *boto3_child()))["arns"]
    other = role_for({"StringEquals": {"aws:SourceAccount": "111122223333"}})
    res = workload(server, "run", "--instance-profile", other, "--", "true")
    assert res.returncode == 1 and "was unable to assume the role" in res.stderr


def test_federated_sessions_cannot_register_workloads(server, iam, name, task_role):
    # GetFederationToken credentials cannot call IAM (GetFederationToken documentation).
    user = name("fed")
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="all", PolicyDocument=dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    sts = server.client("sts", access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    c = sts.get_federation_token(Name="fed", Policy=dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))["Credentials"]
    res = workload(server, "run", "--task-role", task_role, "--", "true",
                   access_key=c["AccessKeyId"], secret_key=c["SecretAccessKey"], env_extra={"AWS_SESSION_TOKEN": c["SessionToken"]})
    assert res.returncode == 1 and "InvalidClientTokenId" in res.stderr


def test_workload_tokens_are_refused_when_forged(server):
    # CastellanGetWorkloadCredentials with a token the server did not seal.
    res = server.raw({"Action": "CastellanGetWorkloadCredentials", "Version": "2010-05-08", "WorkloadToken": "Zm9yZ2Vk"})
    assert res.status == 403 and "The workload token is not valid." in res.text
    res = server.raw({"Action": "CastellanRegisterWorkload", "Version": "2010-05-08"})
    assert res.status == 400 and "Exactly one of InstanceProfileName and RoleName" in res.text


def test_workload_serve_serves_several_workloads(server, ec2_profile, task_role, tmp_path):
    role, profile = ec2_profile
    env = server.cli_env()
    proc = subprocess.Popen([str(castellan_bin()), "workload", "serve", "--instance-profile", profile, "--task-role", task_role,
                             "--token-dir", str(tmp_path)], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        lines = [json.loads(proc.stdout.readline()) for _ in range(2)]
        instance = next(x for x in lines if "instance_profile" in x)
        task = next(x for x in lines if "task_role" in x)
        child_env = {k: v for k, v in server.cli_env().items() if not k.startswith("AWS_ACCESS") and not k.startswith("AWS_SECRET")}
        child_env.pop("AWS_EC2_METADATA_DISABLED")
        child_env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = instance["AWS_EC2_METADATA_SERVICE_ENDPOINT"]
        out = json.loads(subprocess.run([sys.executable, "-c", BOTO3_CHILD, "1", "5"], env=child_env, capture_output=True,
                                        text=True, timeout=120, check=True).stdout)
        assert f"assumed-role/{role}/{instance['workload']}" in out["arns"][0]
        child_env = dict(child_env, AWS_EC2_METADATA_DISABLED="true")
        child_env.pop("AWS_EC2_METADATA_SERVICE_ENDPOINT")
        child_env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = task["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
        child_env["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = task["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"]
        out = json.loads(subprocess.run([sys.executable, "-c", BOTO3_CHILD, "1", "5"], env=child_env, capture_output=True,
                                        text=True, timeout=120, check=True).stdout)
        assert f"assumed-role/{task_role}/{task['workload']}" in out["arns"][0]
        # The token in the environment instead of a file works the same.
        token = open(child_env.pop("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")).read()
        child_env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = token
        out = json.loads(subprocess.run([sys.executable, "-c", BOTO3_CHILD, "1", "5"], env=child_env, capture_output=True,
                                        text=True, timeout=120, check=True).stdout)
        assert f"assumed-role/{task_role}/{task['workload']}" in out["arns"][0]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_readme_ec2_service_role_walkthrough_verbatim(fresh_server, tmp_path):
    # The README's walk-through, its shell block run as written, `aws` and `castellan` on PATH.
    text = (REPO_ROOT / "README.md").read_text()
    section = text[text.index("## Give a program a role instead of keys"):]
    block = section[section.index("```sh\n") + len("```sh\n"):]
    block = block[:block.index("```")]
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "aws").write_text(f"#!/bin/sh\nexec {sys.executable} -m awscli \"$@\"\n")
    (bindir / "castellan").write_text(f"#!/bin/sh\nexec {castellan_bin()} \"$@\"\n")
    for f in bindir.iterdir():
        f.chmod(0o755)
    env = fresh_server.cli_env()
    env["PATH"] = f"{bindir}:{env.get('PATH', '')}"
    res = subprocess.run(["bash", "-euc", block], env=env, capture_output=True, text=True, timeout=240)
    assert res.returncode == 0, res.stderr
    ident = json.loads(res.stdout[res.stdout.rindex("{\n"):])
    assert re.fullmatch(rf"arn:aws:sts::{ACCOUNT_ID}:assumed-role/S3Reader/i-[0-9a-f]{{17}}", ident["Arn"]), ident
