"""Every account sees the 1,452 AWS managed policies at their real ARNs, paths, ids and default
versions, with attachment counts of its own.

https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html#aws-managed-policies
https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListPolicies.html
https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetPolicy.html
https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetPolicyVersion.html
"""

import datetime as dt

import pytest
from botocore.exceptions import ClientError

from castellan_e2e import (
    EC2_TRUST_POLICY,
    as_doc,
    assert_error,
    aws_managed_policies,
    aws_managed_policy,
    collect_pages,
    dumps,
)


def _ts(s: str) -> dt.datetime:
    return dt.datetime.fromisoformat(s)


def test_reference_data_has_1452_policies():
    assert len(aws_managed_policies()) == 1452


@pytest.mark.parametrize(
    "arn, policy_id, path, version",
    [
        ("arn:aws:iam::aws:policy/AdministratorAccess", "ANPAIWMBCKSKIEE64ZLYK", "/", "v1"),
        ("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess", "ANPAIZTJ4DXE7G6AGAE6M", "/", "v3"),
        ("arn:aws:iam::aws:policy/service-role/AmazonEC2RoleforSSM", "ANPAI6TL3SMY22S4KMMX6", "/service-role/", "v8"),
    ],
)
def test_well_known_policies(iam, arn, policy_id, path, version):
    p = iam.get_policy(PolicyArn=arn)["Policy"]
    assert p["Arn"] == arn
    assert p["PolicyId"] == policy_id
    assert p["Path"] == path
    assert p["DefaultVersionId"] == version
    assert p["PolicyName"] == arn.rsplit("/", 1)[1]
    assert p["IsAttachable"] is True
    ref = aws_managed_policy(arn)
    assert p["CreateDate"] == _ts(ref["CreateDate"])
    assert p["UpdateDate"] == _ts(ref["UpdateDate"])

    v = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]
    assert v["VersionId"] == version
    assert v["IsDefaultVersion"] is True
    assert as_doc(v["Document"]) == ref["Document"]


def test_administrator_access_document(iam):
    v = iam.get_policy_version(PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess", VersionId="v1")["PolicyVersion"]
    assert as_doc(v["Document"]) == {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    }


# ListPolicies Scope=AWS: all 1,452 over pages (default page size 100), each matching the
# reference data.
def test_list_aws_managed_policies_over_pages(iam):
    items, pages = collect_pages(iam.list_policies, "Policies", 100, Scope="AWS")
    assert len(pages) >= 15
    arns = [p["Arn"] for p in items]
    assert len(arns) == len(set(arns)) == 1452
    ref = {p["Arn"]: p for p in aws_managed_policies()}
    assert set(arns) == set(ref)
    for p in items:
        r = ref[p["Arn"]]
        assert (p["PolicyName"], p["PolicyId"], p["Path"], p["DefaultVersionId"], p["IsAttachable"]) == (
            r["PolicyName"],
            r["PolicyId"],
            r["Path"],
            r["DefaultVersionId"],
            r["IsAttachable"],
        ), p["Arn"]


def test_boto3_paginator_lists_all_aws_policies(iam):
    full = iam.get_paginator("list_policies").paginate(Scope="AWS", PaginationConfig={"PageSize": 500}).build_full_result()
    assert len(full["Policies"]) == 1452


# Every account sees them, with AttachmentCount counting that account's attachments.
@pytest.mark.fresh
def test_attachment_count(fresh_server):
    iam = fresh_server.iam()
    arn = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 0
    iam.create_user(UserName="u1")
    iam.create_group(GroupName="g1")
    iam.create_role(RoleName="r1", AssumeRolePolicyDocument=dumps(EC2_TRUST_POLICY))
    iam.attach_user_policy(UserName="u1", PolicyArn=arn)
    iam.attach_group_policy(GroupName="g1", PolicyArn=arn)
    iam.attach_role_policy(RoleName="r1", PolicyArn=arn)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 3

    listed = [p for p in iam.list_policies(Scope="AWS", OnlyAttached=True)["Policies"]]
    assert [p["Arn"] for p in listed] == [arn]
    assert listed[0]["AttachmentCount"] == 3

    ents = iam.list_entities_for_policy(PolicyArn=arn)
    assert [u["UserName"] for u in ents["PolicyUsers"]] == ["u1"]
    assert [g["GroupName"] for g in ents["PolicyGroups"]] == ["g1"]
    assert [r["RoleName"] for r in ents["PolicyRoles"]] == ["r1"]

    iam.detach_group_policy(GroupName="g1", PolicyArn=arn)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 2


def test_aws_managed_policies_are_read_only(iam):
    arn = "arn:aws:iam::aws:policy/AdministratorAccess"
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html
    # "You cannot change the permissions defined in AWS managed policies."
    with pytest.raises(ClientError) as e:
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=dumps(EC2_TRUST_POLICY))
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] in (400, 403, 404)
    with pytest.raises(ClientError) as e:
        iam.delete_policy(PolicyArn=arn)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] in (400, 403, 404, 409)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v1"


def test_missing_aws_policy(iam):
    arn = "arn:aws:iam::aws:policy/NoSuchAwsManagedPolicyXyz"
    with pytest.raises(ClientError) as e:
        iam.get_policy(PolicyArn=arn)
    assert_error(e, "NoSuchEntity", 404, f"Policy {arn} was not found.")
