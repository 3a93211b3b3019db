"""The policy simulator API, decided by the same engine as every request.

https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html
https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulateCustomPolicy.html
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError

from castellan_e2e import dumps, unique, vm_hwm_mb


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


SIM_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["s3:Get*", "s3:List*"], "Resource": "arn:aws:s3:::b/*"},
        {"Effect": "Deny", "Action": "s3:GetObjectAcl", "Resource": "*"},
    ],
}


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulateCustomPolicy.html
# "Each API in the ActionNames parameter is evaluated for each resource in this list";
# MaxItems/Marker page the results. Pages are computed one at a time from the marker.
def test_simulation_pages_walked_in_order_equal_the_whole_result(iam):
    actions = ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:GetObjectAcl", "iam:GetUser", "s3:DeleteObject"]
    resources = ["arn:aws:s3:::b/k1", "arn:aws:s3:::c/k", "*", "arn:aws:s3:::b/k2", "arn:aws:s3:::bb/k"]
    kw = dict(PolicyInputList=[dumps(SIM_POLICY)], ActionNames=actions, ResourceArns=resources)
    whole = iam.simulate_custom_policy(MaxItems=1000, **kw)
    assert whole["IsTruncated"] is False
    assert [(r["EvalActionName"], r["EvalResourceName"]) for r in whole["EvaluationResults"]] == [
        (a, r) for a in actions for r in resources
    ]
    walked, marker = [], None
    while True:
        page = iam.simulate_custom_policy(MaxItems=7, **kw, **({"Marker": marker} if marker else {}))
        assert len(page["EvaluationResults"]) <= 7
        walked += page["EvaluationResults"]
        if not page["IsTruncated"]:
            break
        marker = page["Marker"]
    assert walked == whole["EvaluationResults"]


# The cartesian bomb: 2,000 actions x 2,000 resources took 28 s and 1.6 GB when every pair
# was computed before paging. AWS documents no limit on the number of actions or resources
# (botocore's model gives neither list a maximum), so Castellan's is its own: at most
# 1,000,000 results per simulation, else InvalidInput (the simulator's modeled error).
@pytest.mark.fresh
def test_simulation_of_2000_actions_on_2000_resources_is_bounded(fresh_server):
    if fresh_server.proc is None:
        pytest.skip("needs the server's process (CASTELLAN_E2E_ENDPOINT is set)")
    iam = fresh_server.iam()
    doc = [dumps(SIM_POLICY)]
    with pytest.raises(ClientError) as e:
        iam.simulate_custom_policy(
            PolicyInputList=doc,
            ActionNames=[f"s3:GetObject{i}" for i in range(2000)],
            ResourceArns=[f"arn:aws:s3:::b/k{i}" for i in range(2000)],
        )
    assert e.value.response["Error"]["Code"] == "InvalidInput"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # A million results, at the limit: the first page comes back alone, for two callers at once.
    kw = dict(
        PolicyInputList=doc,
        ActionNames=[f"s3:GetObject{i}" for i in range(1000)],
        ResourceArns=[f"arn:aws:s3:::b/k{i}" for i in range(1000)],
        MaxItems=1000,
    )
    with ThreadPoolExecutor(max_workers=2) as pool:
        pages = list(pool.map(lambda _: fresh_server.iam().simulate_custom_policy(**kw), range(2)))
    for page in pages:
        assert page["IsTruncated"] is True
        assert len(page["EvaluationResults"]) == 1000
        assert {r["EvalActionName"] for r in page["EvaluationResults"]} == {"s3:GetObject0"}
    last = iam.simulate_custom_policy(Marker=pages[0]["Marker"], **kw)
    assert last["EvaluationResults"][0]["EvalActionName"] == "s3:GetObject1"
    hwm = vm_hwm_mb(fresh_server.proc.pid)
    assert hwm < 500, f"server VmHWM {hwm:.0f} MB"
