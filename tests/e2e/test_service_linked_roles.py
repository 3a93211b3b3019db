"""Service-linked roles: CreateServiceLinkedRole, DeleteServiceLinkedRole,
GetServiceLinkedRoleDeletionStatus, and their protection from edits (boto3 and the aws CLI).

Sources: https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateServiceLinkedRole.html,
API_DeleteServiceLinkedRole.html, API_GetServiceLinkedRoleDeletionStatus.html,
https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html; the error
texts are AWS's as quoted in public reports (cited at each test)."""

import re
import time

import pytest
from botocore.exceptions import ClientError

from castellan_e2e import ACCOUNT_ID, EC2_TRUST_POLICY, as_doc, assert_error, dumps

ES = "es.amazonaws.com"
AUTOSCALING = "autoscaling.amazonaws.com"


STATUSES = {"SUCCEEDED", "IN_PROGRESS", "FAILED", "NOT_STARTED"}


def final_status(iam, task):
    """Polls GetServiceLinkedRoleDeletionStatus until the task is decided, as clients do
    (Terraform's provider waits the same way); the server decides tasks about once a second."""
    deadline = time.time() + 60
    while True:
        status = iam.get_service_linked_role_deletion_status(DeletionTaskId=task)
        assert status["Status"] in STATUSES
        if status["Status"] not in ("NOT_STARTED", "IN_PROGRESS") or time.time() > deadline:
            return status
        time.sleep(0.5)


@pytest.fixture
def fresh_iam(fresh_server):
    return fresh_server.iam()


def test_create_service_linked_role_has_aws_name_path_trust_and_policy(fresh_iam):
    role = fresh_iam.create_service_linked_role(AWSServiceName=ES, Description="for search")["Role"]
    assert role["RoleName"] == "AWSServiceRoleForAmazonElasticsearchService"
    assert role["Path"] == f"/aws-service-role/{ES}/"
    assert role["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:role/aws-service-role/{ES}/AWSServiceRoleForAmazonElasticsearchService"
    assert role["RoleId"].startswith("AROA")
    assert as_doc(role["AssumeRolePolicyDocument"]) == {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": ES}, "Action": "sts:AssumeRole"}],
    }
    got = fresh_iam.get_role(RoleName=role["RoleName"])["Role"]
    assert got["Description"] == "for search"
    attached = fresh_iam.list_attached_role_policies(RoleName=role["RoleName"])["AttachedPolicies"]
    assert attached == [{
        "PolicyName": "AmazonElasticsearchServiceRolePolicy",
        "PolicyArn": "arn:aws:iam::aws:policy/aws-service-role/AmazonElasticsearchServiceRolePolicy",
    }]


# "InvalidInput: Service role name AWSServiceRoleForAmazonElasticsearchService has been taken
# in this account, please try a different suffix." and "InvalidInput: Custom suffix is not
# allowed for es.amazonaws.com" (AWS, quoted in terraform-community-modules/tf_aws_elasticsearch#23).
def test_second_create_and_a_suffix_where_aws_allows_none_are_refused(fresh_iam):
    fresh_iam.create_service_linked_role(AWSServiceName=ES)
    with pytest.raises(ClientError) as e:
        fresh_iam.create_service_linked_role(AWSServiceName=ES)
    assert_error(e, "InvalidInput", 400,
                 "Service role name AWSServiceRoleForAmazonElasticsearchService has been taken in this account, please try a different suffix.")
    with pytest.raises(ClientError) as e:
        fresh_iam.create_service_linked_role(AWSServiceName=ES, CustomSuffix="two")
    assert_error(e, "InvalidInput", 400, "Custom suffix is not allowed for es.amazonaws.com")


# Auto Scaling accepts a suffix: AWSServiceRoleForAutoScaling_SUFFIX (Amazon EC2 Auto Scaling
# User Guide, "Service-linked roles": custom suffix).
def test_custom_suffix_where_aws_allows_it(fresh_iam):
    plain = fresh_iam.create_service_linked_role(AWSServiceName=AUTOSCALING)["Role"]
    custom = fresh_iam.create_service_linked_role(AWSServiceName=AUTOSCALING, CustomSuffix="fleet")["Role"]
    assert plain["RoleName"] == "AWSServiceRoleForAutoScaling"
    assert custom["RoleName"] == "AWSServiceRoleForAutoScaling_fleet"
    assert custom["Path"] == f"/aws-service-role/{AUTOSCALING}/"


# AWS refuses a service without a service-linked role with InvalidInput (the API reference's
# errors); its exact text is not known to us: Castellan says "Invalid service name: NAME".
def test_unknown_service_is_refused(fresh_iam):
    with pytest.raises(ClientError) as e:
        fresh_iam.create_service_linked_role(AWSServiceName="nosuchservice.amazonaws.com")
    assert_error(e, "InvalidInput", 400, contains="nosuchservice.amazonaws.com")
    assert not [r for r in fresh_iam.list_roles()["Roles"] if r["Path"].startswith("/aws-service-role/")]


# "UnmodifiableEntity: Cannot perform the operation on the protected role
# 'AWSServiceRoleForAmazonGuardDuty' - this role is only modifiable by AWS" (AWS, quoted in
# rebuy-de/aws-nuke#331; DetachRolePolicy in gruntwork-io/cloud-nuke#880).
def test_service_linked_role_is_protected_from_edits(fresh_iam):
    name = fresh_iam.create_service_linked_role(AWSServiceName=ES)["Role"]["RoleName"]
    msg = f"Cannot perform the operation on the protected role '{name}' - this role is only modifiable by AWS"
    policy = dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
    edits = [
        lambda: fresh_iam.update_assume_role_policy(RoleName=name, PolicyDocument=dumps(EC2_TRUST_POLICY)),
        lambda: fresh_iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=policy),
        lambda: fresh_iam.delete_role_policy(RoleName=name, PolicyName="p"),
        lambda: fresh_iam.attach_role_policy(RoleName=name, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess"),
        lambda: fresh_iam.detach_role_policy(RoleName=name, PolicyArn="arn:aws:iam::aws:policy/aws-service-role/AmazonElasticsearchServiceRolePolicy"),
        lambda: fresh_iam.put_role_permissions_boundary(RoleName=name, PermissionsBoundary="arn:aws:iam::aws:policy/ReadOnlyAccess"),
        lambda: fresh_iam.delete_role_permissions_boundary(RoleName=name),
        lambda: fresh_iam.delete_role(RoleName=name),
    ]
    for edit in edits:
        with pytest.raises(ClientError) as e:
            edit()
        assert_error(e, "UnmodifiableEntity", 400, msg)
    role = fresh_iam.get_role(RoleName=name)["Role"]
    assert as_doc(role["AssumeRolePolicyDocument"])["Statement"][0]["Principal"] == {"Service": ES}
    assert fresh_iam.list_role_policies(RoleName=name)["PolicyNames"] == []
    # The description stays editable (IAM User Guide: "Editing a service-linked role").
    fresh_iam.update_role_description(RoleName=name, Description="edited")
    assert fresh_iam.get_role(RoleName=name)["Role"]["Description"] == "edited"


# "Path prefix '/aws-service-role/' can only be used for AWS Service linked Roles" (AWS,
# quoted in tilfin/aws-iam-policy-tool#9).
def test_create_role_cannot_use_the_service_linked_path(fresh_iam):
    with pytest.raises(ClientError) as e:
        fresh_iam.create_role(RoleName="Fake", Path=f"/aws-service-role/{ES}/", AssumeRolePolicyDocument=dumps(EC2_TRUST_POLICY))
    assert_error(e, "InvalidInput", 400, "Path prefix '/aws-service-role/' can only be used for AWS Service linked Roles")


# DeletionTaskId: task/aws-service-role/<service-principal-name>/<role-name>/<task-uuid>
# (API_DeleteServiceLinkedRole); Status SUCCEEDED | IN_PROGRESS | FAILED | NOT_STARTED
# (API_GetServiceLinkedRoleDeletionStatus).
def test_deletion_is_a_task_with_aws_statuses(fresh_iam):
    name = fresh_iam.create_service_linked_role(AWSServiceName=ES)["Role"]["RoleName"]
    task = fresh_iam.delete_service_linked_role(RoleName=name)["DeletionTaskId"]
    assert re.fullmatch(rf"task/aws-service-role/{re.escape(ES)}/{name}/[0-9a-f-]{{36}}", task), task
    # Asked again while pending, the same task comes back (API_DeleteServiceLinkedRole); once
    # decided, the role is gone.
    try:
        again = fresh_iam.delete_service_linked_role(RoleName=name)["DeletionTaskId"]
        assert again == task
    except ClientError as e:
        assert_error(e, "NoSuchEntity", 404)
    assert final_status(fresh_iam, task)["Status"] == "SUCCEEDED"
    with pytest.raises(ClientError) as e:
        fresh_iam.get_role(RoleName=name)
    assert_error(e, "NoSuchEntity", 404)
    # The role can be created again after its deletion (the service would re-create it).
    fresh_iam.create_service_linked_role(AWSServiceName=ES)


def test_deletion_fails_while_the_role_is_in_use(fresh_iam):
    name = fresh_iam.create_service_linked_role(AWSServiceName=AUTOSCALING)["Role"]["RoleName"]
    fresh_iam.create_instance_profile(InstanceProfileName="uses-slr")
    fresh_iam.add_role_to_instance_profile(InstanceProfileName="uses-slr", RoleName=name)
    task = fresh_iam.delete_service_linked_role(RoleName=name)["DeletionTaskId"]
    status = final_status(fresh_iam, task)
    assert status["Status"] == "FAILED"
    assert status["Reason"]["RoleUsageList"][0]["Resources"] == [f"arn:aws:iam::{ACCOUNT_ID}:instance-profile/uses-slr"]
    assert fresh_iam.get_role(RoleName=name)["Role"]["RoleName"] == name


def test_delete_service_linked_role_refuses_other_roles_and_unknown_tasks(fresh_iam):
    fresh_iam.create_role(RoleName="Ordinary", AssumeRolePolicyDocument=dumps(EC2_TRUST_POLICY))
    with pytest.raises(ClientError) as e:
        fresh_iam.delete_service_linked_role(RoleName="Ordinary")
    assert_error(e, "InvalidInput", 400)
    with pytest.raises(ClientError) as e:
        fresh_iam.delete_service_linked_role(RoleName="Missing")
    assert_error(e, "NoSuchEntity", 404)
    with pytest.raises(ClientError) as e:
        fresh_iam.get_service_linked_role_deletion_status(
            DeletionTaskId=f"task/aws-service-role/{ES}/AWSServiceRoleForAmazonElasticsearchService/00000000-0000-4000-a000-000000000000")
    assert_error(e, "NoSuchEntity", 404)
    with pytest.raises(ClientError) as e:
        fresh_iam.get_service_linked_role_deletion_status(DeletionTaskId="not-a-task")
    assert_error(e, "InvalidInput", 400)


# Creating one needs iam:CreateServiceLinkedRole on the role's ARN, and policies can narrow
# it with iam:AWSServiceName (IAM User Guide, "Service-linked role permissions").
def test_create_is_authorized_on_the_role_arn_with_aws_service_name(fresh_server, fresh_iam):
    fresh_iam.create_user(UserName="ops")
    fresh_iam.put_user_policy(UserName="ops", PolicyName="slr", PolicyDocument=dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow", "Action": "iam:CreateServiceLinkedRole",
            "Resource": f"arn:aws:iam::*:role/aws-service-role/{AUTOSCALING}/*",
            "Condition": {"StringLike": {"iam:AWSServiceName": AUTOSCALING}},
        }],
    }))
    key = fresh_iam.create_access_key(UserName="ops")["AccessKey"]
    ops = fresh_server.iam(access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    assert ops.create_service_linked_role(AWSServiceName=AUTOSCALING)["Role"]["RoleName"] == "AWSServiceRoleForAutoScaling"
    with pytest.raises(ClientError) as e:
        ops.create_service_linked_role(AWSServiceName=ES)
    assert_error(e, "AccessDenied", 403)


def test_aws_cli_create_and_delete_service_linked_role(fresh_server):
    out = fresh_server.aws("iam", "create-service-linked-role", "--aws-service-name", "elasticloadbalancing.amazonaws.com")
    assert out["Role"]["RoleName"] == "AWSServiceRoleForElasticLoadBalancing"
    task = fresh_server.aws("iam", "delete-service-linked-role", "--role-name", "AWSServiceRoleForElasticLoadBalancing")["DeletionTaskId"]
    deadline = time.time() + 60
    status = fresh_server.aws("iam", "get-service-linked-role-deletion-status", "--deletion-task-id", task)
    while status["Status"] in ("NOT_STARTED", "IN_PROGRESS") and time.time() < deadline:
        time.sleep(0.5)
        status = fresh_server.aws("iam", "get-service-linked-role-deletion-status", "--deletion-task-id", task)
    assert status["Status"] == "SUCCEEDED"
