"""Policy size quotas.

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
  "Managed policy size: 6,144 characters"; "Role trust policy length: 2,048 characters";
  inline policies: "the total aggregate policy size (the sum size of all inline policies) per
  entity cannot exceed the following quotas: User policy size cannot exceed 2,048 characters.
  Role policy size cannot exceed 10,240 characters. Group policy size cannot exceed 5,120
  characters." -- "IAM does not count white space when calculating the size of a policy
  against these quotas."

AWS's texts, as quoted from real responses:
  "Cannot exceed quota for PolicySize: 6144"              (ministryofjustice/cloud-platform-environments#14473)
  "Cannot exceed quota for ACLSizePerRole: 2048"          (kubeflow/kubeflow#6687, apache/airflow#27331)
  "Maximum policy size of 2048 bytes exceeded for user X" (danvk/mapsnap#483)
  "Maximum policy size of 10240 bytes exceeded for role X" (aws-amplify/amplify-backend#2615)
"""

import json

import pytest
from botocore.exceptions import ClientError

from castellan_e2e import EC2_TRUST_POLICY, assert_error, dumps


def doc_of_size(chars: int) -> dict:
    """An identity policy whose compact JSON (no white space) is exactly `chars` long."""

    def make(resources):
        return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": resources}]}

    resources: list[str] = []
    filler = "arn:aws:s3:::bucket-%04d-" + "x" * 30
    while len(dumps(make(resources + [filler % 0]))) < chars - 60:
        resources.append(filler % len(resources))
    base = len(dumps(make(resources + ["arn:aws:s3:::"])))
    resources.append("arn:aws:s3:::" + "p" * (chars - base))
    doc = make(resources)
    assert len(dumps(doc)) == chars, (len(dumps(doc)), chars)
    return doc


def test_doc_of_size_helper():
    for n in (500, 2048, 2049, 6144, 6145):
        assert len(dumps(doc_of_size(n))) == n


def test_managed_policy_size(iam, name):
    with pytest.raises(ClientError) as e:
        iam.create_policy(PolicyName=name("big"), PolicyDocument=dumps(doc_of_size(6145)))
    assert_error(e, "LimitExceeded", 409, "Cannot exceed quota for PolicySize: 6144")
    # Exactly at the quota is fine; white space does not count.
    iam.create_policy(PolicyName=name("max"), PolicyDocument=dumps(doc_of_size(6144)))
    pretty = json.dumps(doc_of_size(6000), indent=8)
    assert len(pretty) > 6144
    arn = iam.create_policy(PolicyName=name("pretty"), PolicyDocument=pretty)["Policy"]["Arn"]
    # New versions are held to the same quota.
    with pytest.raises(ClientError) as e:
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=dumps(doc_of_size(7000)))
    assert_error(e, "LimitExceeded", 409, "Cannot exceed quota for PolicySize: 6144")


def trust_of_size_over(limit: int) -> dict:
    ids = [f"external-id-{i:05d}" for i in range(limit // 20 + 10)]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": ids}},
            }
        ],
    }


def test_trust_policy_size(iam, name):
    big = trust_of_size_over(2048)
    assert len(dumps(big)) > 2048
    r = name("bigtrust")
    with pytest.raises(ClientError) as e:
        iam.create_role(RoleName=r, AssumeRolePolicyDocument=dumps(big))
    assert_error(e, "LimitExceeded", 409, "Cannot exceed quota for ACLSizePerRole: 2048")
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=dumps(EC2_TRUST_POLICY))
    with pytest.raises(ClientError) as e:
        iam.update_assume_role_policy(RoleName=r, PolicyDocument=dumps(big))
    assert_error(e, "LimitExceeded", 409, "Cannot exceed quota for ACLSizePerRole: 2048")


@pytest.mark.parametrize("kind, limit", [("user", 2048), ("group", 5120), ("role", 10240)])
def test_inline_policies_aggregate_size(iam, name, kind, limit):
    n = name(kind)
    if kind == "user":
        iam.create_user(UserName=n)
        put = lambda pn, doc: iam.put_user_policy(UserName=n, PolicyName=pn, PolicyDocument=doc)  # noqa: E731
    elif kind == "group":
        iam.create_group(GroupName=n)
        put = lambda pn, doc: iam.put_group_policy(GroupName=n, PolicyName=pn, PolicyDocument=doc)  # noqa: E731
    else:
        iam.create_role(RoleName=n, AssumeRolePolicyDocument=dumps(EC2_TRUST_POLICY))
        put = lambda pn, doc: iam.put_role_policy(RoleName=n, PolicyName=pn, PolicyDocument=doc)  # noqa: E731

    part = limit * 6 // 10
    put("first", dumps(doc_of_size(part)))
    # Replacing a policy counts the new document instead of the old one.
    put("first", dumps(doc_of_size(part)))
    with pytest.raises(ClientError) as e:
        put("second", dumps(doc_of_size(part)))
    assert_error(e, "LimitExceeded", 409, f"Maximum policy size of {limit} bytes exceeded for {kind} {n}")
    # White space does not count.
    put("second", json.dumps(doc_of_size(limit - part - 200), indent=12))
