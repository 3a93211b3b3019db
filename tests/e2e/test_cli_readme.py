"""The issue's four commands, verbatim, through the real aws CLI, then reading the result back.

AWS docs followed:
  https://docs.aws.amazon.com/cli/latest/reference/iam/create-user.html
  https://docs.aws.amazon.com/cli/latest/reference/iam/attach-user-policy.html
  https://docs.aws.amazon.com/cli/latest/reference/iam/create-role.html
  https://docs.aws.amazon.com/cli/latest/reference/iam/attach-role-policy.html
  https://docs.aws.amazon.com/cli/latest/reference/iam/get-policy-version.html
"""

import datetime as dt
import json
import shlex

import pytest

from castellan_e2e import ACCOUNT_ID, IAM_ID_RE, as_doc, aws_managed_policy

README_COMMANDS = r"""
aws iam create-user --user-name ExampleUser
aws iam attach-user-policy --user-name ExampleUser --policy-arn arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess
aws iam create-role --role-name ExampleRole --assume-role-policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
aws iam attach-role-policy --role-name ExampleRole --policy-arn arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess
"""

S3_RO_ARN = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"


@pytest.mark.fresh
def test_readme_commands_verbatim(fresh_server):
    outputs = []
    for line in README_COMMANDS.strip().splitlines():
        argv = shlex.split(line)
        assert argv[0] == "aws"
        outputs.append(fresh_server.aws(*argv[1:]))

    create_user, attach_user, create_role, attach_role = outputs

    # CreateUser returns the new user.
    user = create_user["User"]
    assert user["UserName"] == "ExampleUser"
    assert user["Path"] == "/"
    assert user["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/ExampleUser"
    assert IAM_ID_RE["user"].match(user["UserId"]), user["UserId"]

    # Attach* have no output (the CLI prints nothing for an empty result).
    assert attach_user is None
    assert attach_role is None

    role = create_role["Role"]
    assert role["RoleName"] == "ExampleRole"
    assert role["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:role/ExampleRole"
    assert IAM_ID_RE["role"].match(role["RoleId"]), role["RoleId"]
    assert as_doc(role["AssumeRolePolicyDocument"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }

    # ... and the result, read back.
    got_user = fresh_server.aws("iam", "get-user", "--user-name", "ExampleUser")["User"]
    assert got_user["UserName"] == "ExampleUser"
    assert got_user["UserId"] == user["UserId"]
    assert got_user["Arn"] == user["Arn"]
    created = dt.datetime.fromisoformat(got_user["CreateDate"].replace("Z", "+00:00"))
    assert created.tzinfo is not None

    attached = fresh_server.aws("iam", "list-attached-role-policies", "--role-name", "ExampleRole")
    assert attached["AttachedPolicies"] == [{"PolicyName": "AmazonS3ReadOnlyAccess", "PolicyArn": S3_RO_ARN}]

    attached_u = fresh_server.aws("iam", "list-attached-user-policies", "--user-name", "ExampleUser")
    assert attached_u["AttachedPolicies"] == [{"PolicyName": "AmazonS3ReadOnlyAccess", "PolicyArn": S3_RO_ARN}]

    ref = aws_managed_policy(S3_RO_ARN)
    policy = fresh_server.aws("iam", "get-policy", "--policy-arn", S3_RO_ARN)["Policy"]
    default_version = policy["DefaultVersionId"]
    assert default_version == ref["DefaultVersionId"]
    assert policy["PolicyId"] == ref["PolicyId"]
    # One user and one role use it now.
    assert policy["AttachmentCount"] == 2

    version = fresh_server.aws(
        "iam", "get-policy-version", "--policy-arn", S3_RO_ARN, "--version-id", default_version
    )["PolicyVersion"]
    assert version["VersionId"] == default_version
    assert version["IsDefaultVersion"] is True
    assert as_doc(version["Document"]) == ref["Document"]


def test_cli_error_exit_code_and_message(server):
    """The CLI exits non-zero (254/255 in v1/v2 for service errors) and prints AWS's text.
    https://docs.aws.amazon.com/cli/latest/userguide/cli-usage-returncodes.html"""
    res = server.aws_run("iam", "get-user", "--user-name", "NoSuchUserForCli")
    assert res.returncode != 0
    assert "NoSuchEntity" in res.stderr
    assert "The user with name NoSuchUserForCli cannot be found." in res.stderr


# https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-endpoints.html
# AWS_ENDPOINT_URL alone (no --endpoint-url) points the CLI at Castellan.
def test_cli_endpoint_from_environment(server):
    res = server.aws_run("iam", "get-user", endpoint_flag=False)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["User"]["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:root"


def test_cli_paginates_list_policies(server):
    """The CLI follows Marker pages by itself: all 1,452 AWS managed policies come back."""
    out = server.aws("iam", "list-policies", "--scope", "AWS", "--query", "Policies[].Arn")
    assert len(out) == len(set(out)) == 1452


# README: "export AWS_ENDPOINT_URL_IAM=… / AWS_ENDPOINT_URL_STS=…" — the per-service variables
# (AWS CLI User Guide, "Service-specific endpoints") point just IAM and STS at Castellan.
def test_cli_service_specific_endpoints_from_environment(server):
    import subprocess
    import sys

    env = {k: v for k, v in server.cli_env().items() if not k.startswith("AWS_ENDPOINT_URL")}
    env.update(AWS_ENDPOINT_URL_IAM=server.endpoint, AWS_ENDPOINT_URL_STS=server.endpoint)
    for args, key in ((["iam", "get-user"], "User"), (["sts", "get-caller-identity"], "Arn")):
        res = subprocess.run([sys.executable, "-m", "awscli", *args, "--output", "json"], env=env,
                             stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
        assert res.returncode == 0, res.stderr
        assert key in json.loads(res.stdout)


# With AWS_ENDPOINT_URL sending every service here, a call to another service is answered with
# an error that names it and says Castellan serves IAM and STS, in the form its client reads
# (REST-XML for S3, query XML for EC2, JSON for DynamoDB and Lambda) — not a signature error.
@pytest.mark.parametrize(
    "args,service",
    [(("s3", "ls"), "s3"), (("ec2", "describe-vpcs"), "ec2"), (("dynamodb", "list-tables"), "dynamodb"), (("lambda", "list-functions"), "lambda")],
)
def test_other_services_are_refused_by_name(server, args, service):
    res = server.aws_run(*args, endpoint_flag=False)
    assert res.returncode != 0
    assert "(NotImplemented)" in res.stderr, res.stderr
    assert f"Castellan serves IAM and STS only, and this request is signed for the service '{service}'" in res.stderr, res.stderr
