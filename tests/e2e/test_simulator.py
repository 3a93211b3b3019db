"""The policy simulator API, decided by the same engine as every request.

https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html
https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulateCustomPolicy.html
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from castellan_e2e import dumps, unique


def decisions(resp):
    return {(r["EvalActionName"], r.get("EvalResourceName")): r["EvalDecision"] for r in resp["EvaluationResults"]}


def test_simulate_principal_policy_reports_the_deciding_statements(iam):
    user, group = unique("sim"), unique("simg")
    iam.create_user(UserName=user)
    iam.attach_user_policy(UserName=user, PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    iam.create_group(GroupName=group)
    iam.put_group_policy(
        GroupName=group,
        PolicyName="deny-keys",
        PolicyDocument=dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "iam:ListAccessKeys", "Resource": "*"}]}),
    )
    iam.add_user_to_group(GroupName=group, UserName=user)
    arn = iam.get_user(UserName=user)["User"]["Arn"]
    resp = iam.simulate_principal_policy(PolicySourceArn=arn, ActionNames=["iam:ListUsers", "iam:CreateUser", "iam:ListAccessKeys"])
    got = {r["EvalActionName"]: r for r in resp["EvaluationResults"]}
    assert got["iam:ListUsers"]["EvalDecision"] == "allowed"
    assert got["iam:ListUsers"]["MatchedStatements"][0]["SourcePolicyId"] == "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
    assert got["iam:ListUsers"]["MatchedStatements"][0]["SourcePolicyType"] == "aws-managed"
    assert got["iam:CreateUser"]["EvalDecision"] == "implicitDeny"
    assert got["iam:ListAccessKeys"]["EvalDecision"] == "explicitDeny"
    assert got["iam:ListAccessKeys"]["MatchedStatements"][0]["SourcePolicyType"] == "group"


def test_simulate_principal_policy_with_a_boundary(iam):
    user = unique("simb")
    iam.create_user(UserName=user, PermissionsBoundary="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    iam.attach_user_policy(UserName=user, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    arn = iam.get_user(UserName=user)["User"]["Arn"]
    resp = iam.simulate_principal_policy(PolicySourceArn=arn, ActionNames=["iam:GetUser", "iam:CreateUser"])
    got = {r["EvalActionName"]: r for r in resp["EvaluationResults"]}
    assert got["iam:GetUser"]["EvalDecision"] == "allowed"
    assert got["iam:CreateUser"]["EvalDecision"] == "implicitDeny"
    assert got["iam:CreateUser"]["PermissionsBoundaryDecisionDetail"]["AllowedByPermissionsBoundary"] is False


def test_simulate_custom_policy_with_context_and_resources(iam):
    doc = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*", "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}
        ],
    }
    ctx = [{"ContextKeyName": "aws:SourceIp", "ContextKeyValues": ["10.1.1.1"], "ContextKeyType": "ip"}]
    resp = iam.simulate_custom_policy(
        PolicyInputList=[dumps(doc)], ActionNames=["s3:GetObject"], ResourceArns=["arn:aws:s3:::b/k", "arn:aws:s3:::c/k"], ContextEntries=ctx
    )
    assert decisions(resp) == {("s3:GetObject", "arn:aws:s3:::b/k"): "allowed", ("s3:GetObject", "arn:aws:s3:::c/k"): "implicitDeny"}
    resp = iam.simulate_custom_policy(PolicyInputList=[dumps(doc)], ActionNames=["s3:GetObject"], ResourceArns=["arn:aws:s3:::b/k"])
    assert decisions(resp) == {("s3:GetObject", "arn:aws:s3:::b/k"): "implicitDeny"}


def test_simulator_refuses_malformed_and_unknown(iam):
    with pytest.raises(ClientError) as e:
        iam.simulate_custom_policy(PolicyInputList=["{not json"], ActionNames=["s3:GetObject"])
    assert e.value.response["Error"]["Code"] == "MalformedPolicyDocument"
    with pytest.raises(ClientError) as e:
        iam.simulate_principal_policy(PolicySourceArn="arn:aws:iam::123456789012:user/nobody-" + unique(), ActionNames=["iam:GetUser"])
    assert e.value.response["Error"]["Code"] == "NoSuchEntity"
