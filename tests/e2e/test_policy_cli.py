"""`castellan policy validate` and `castellan policy evaluate`, the offline policy tools."""

from __future__ import annotations

import json
import subprocess

from castellan_e2e import castellan_bin


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(castellan_bin()), "policy", *args], capture_output=True, text=True, timeout=60)


def write(tmp_path, name: str, doc) -> str:
    p = tmp_path / name
    p.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return str(p)


def test_validate_reports_aws_messages(tmp_path):
    ok = write(tmp_path, "ok.json", {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
    res = run("validate", ok)
    assert res.returncode == 0 and res.stdout.strip() == "valid"
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_policies.html
    principal = write(
        tmp_path,
        "p.json",
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}]},
    )
    res = run("validate", principal)
    assert res.returncode == 1
    assert res.stdout.strip() == "MalformedPolicyDocument: Policy document should not specify a principal."
    assert run("validate", principal, "--kind", "resource").returncode == 0
    assert run("validate", write(tmp_path, "bad.json", "{not json")).stdout.strip() == "MalformedPolicyDocument: Syntax errors in policy."


def test_evaluate_prints_the_decision_and_deciding_statements(tmp_path):
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
    identity = write(
        tmp_path,
        "id.json",
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "Read", "Effect": "Allow", "Action": "iam:Get*", "Resource": "*"},
                {"Sid": "NoAlice", "Effect": "Deny", "Action": "iam:*", "Resource": "arn:aws:iam::111122223333:user/alice"},
            ],
        },
    )
    base = ["evaluate", "--identity", identity, "--principal", "arn:aws:iam::111122223333:user/bob", "--action", "iam:GetUser"]
    res = run(*base, "--resource", "arn:aws:iam::111122223333:user/carol")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["decision"] == "Allow" and out["statements"][0]["sid"] == "Read"

    res = run(*base, "--resource", "arn:aws:iam::111122223333:user/alice")
    assert res.returncode == 1
    out = json.loads(res.stdout)
    assert out["decision"] == "ExplicitDeny" and out["statements"][0]["sid"] == "NoAlice"
    assert out["message"].endswith("with an explicit deny in an identity-based policy")

    res = run("evaluate", "--identity", identity, "--principal", "arn:aws:iam::111122223333:user/bob", "--action", "iam:CreateUser")
    out = json.loads(res.stdout)
    assert out["decision"] == "ImplicitDeny"
    assert out["message"].endswith("because no identity-based policy allows the iam:CreateUser action")


def test_evaluate_conditions_from_flags(tmp_path):
    identity = write(
        tmp_path,
        "ip.json",
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}],
        },
    )
    base = ["evaluate", "--identity", identity, "--principal", "arn:aws:iam::111122223333:user/bob", "--action", "s3:GetObject"]
    assert run(*base, "--context", "aws:SourceIp=10.1.2.3").returncode == 0
    assert run(*base, "--context", "aws:SourceIp=192.168.1.1").returncode == 1
    assert run(*base).returncode == 1
