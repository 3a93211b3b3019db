"""Service-specific credentials (CodeCommit Git credentials, Amazon Keyspaces, Amazon Bedrock
and CloudWatch Logs API keys), through boto3 and the aws CLI.

AWS documentation these tests follow:
  * IAM API Reference: CreateServiceSpecificCredential ("You can have a maximum of two sets of
    service-specific credentials for each supported service per user"; CredentialAgeDays "only
    valid for Bedrock and CloudWatch Logs API keys"; errors LimitExceeded, NoSuchEntity,
    ServiceNotSupported — code NotSupportedService, HTTP 404 in the IAM model),
    ResetServiceSpecificCredential, UpdateServiceSpecificCredential,
    DeleteServiceSpecificCredential, ListServiceSpecificCredentials (ServiceName, AllUsers);
    ServiceSpecificCredential (ServiceUserName "as in jane-at-123456789012"; ServicePassword;
    ServiceCredentialAlias and ServiceCredentialSecret for API keys; ExpirationDate; status
    Expired).
  * IAM User Guide, "Service-specific credentials for IAM users" and "API keys for Amazon Bedrock".
Where AWS's exact message text is not published, the tests check the code and HTTP status.
"""

from __future__ import annotations

import base64

import pytest
from botocore.exceptions import ClientError

from castellan_e2e import ACCOUNT_ID, assert_error, unique


@pytest.fixture
def user(iam):
    name = unique("sscu")
    iam.create_user(UserName=name)
    return name


def test_codecommit_create_list_reset_update_delete(iam, user):
    c = iam.create_service_specific_credential(UserName=user, ServiceName="codecommit.amazonaws.com")["ServiceSpecificCredential"]
    assert c["UserName"] == user and c["ServiceName"] == "codecommit.amazonaws.com"
    assert c["ServiceUserName"] == f"{user}-at-{ACCOUNT_ID}"
    assert len(c["ServicePassword"]) == 44 and base64.b64decode(c["ServicePassword"])
    assert c["ServiceSpecificCredentialId"].startswith("ACCA") and len(c["ServiceSpecificCredentialId"]) == 21
    assert c["Status"] == "Active" and "CreateDate" in c
    assert "ServiceCredentialSecret" not in c and "ExpirationDate" not in c
    cid = c["ServiceSpecificCredentialId"]

    listed = iam.list_service_specific_credentials(UserName=user)["ServiceSpecificCredentials"]
    assert [(m["ServiceSpecificCredentialId"], m["ServiceUserName"], m["Status"]) for m in listed] == [(cid, c["ServiceUserName"], "Active")]
    assert "ServicePassword" not in listed[0]

    reset = iam.reset_service_specific_credential(UserName=user, ServiceSpecificCredentialId=cid)["ServiceSpecificCredential"]
    assert reset["ServiceSpecificCredentialId"] == cid and reset["ServiceUserName"] == c["ServiceUserName"]
    assert reset["ServicePassword"] != c["ServicePassword"]

    iam.update_service_specific_credential(UserName=user, ServiceSpecificCredentialId=cid, Status="Inactive")
    assert iam.list_service_specific_credentials(UserName=user)["ServiceSpecificCredentials"][0]["Status"] == "Inactive"

    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName=user)
    assert_error(e, "DeleteConflict", 409, "Cannot delete entity, must delete service specific credentials first.")
    iam.delete_service_specific_credential(UserName=user, ServiceSpecificCredentialId=cid)
    assert iam.list_service_specific_credentials(UserName=user)["ServiceSpecificCredentials"] == []
    for call in (iam.reset_service_specific_credential, iam.delete_service_specific_credential):
        with pytest.raises(ClientError) as e:
            call(UserName=user, ServiceSpecificCredentialId=cid)
        assert_error(e, "NoSuchEntity", 404)
    iam.delete_user(UserName=user)


def test_two_per_service_and_unsupported_services(iam, user):
    first = iam.create_service_specific_credential(UserName=user, ServiceName="cassandra.amazonaws.com")["ServiceSpecificCredential"]
    second = iam.create_service_specific_credential(UserName=user, ServiceName="cassandra.amazonaws.com")["ServiceSpecificCredential"]
    assert first["ServiceUserName"] != second["ServiceUserName"]
    assert second["ServiceUserName"].endswith(f"-at-{ACCOUNT_ID}")
    with pytest.raises(ClientError) as e:
        iam.create_service_specific_credential(UserName=user, ServiceName="cassandra.amazonaws.com")
    assert_error(e, "LimitExceeded", 409)
    # Another service has its own two.
    iam.create_service_specific_credential(UserName=user, ServiceName="codecommit.amazonaws.com")
    only = iam.list_service_specific_credentials(UserName=user, ServiceName="cassandra.amazonaws.com")["ServiceSpecificCredentials"]
    assert {m["ServiceSpecificCredentialId"] for m in only} == {first["ServiceSpecificCredentialId"], second["ServiceSpecificCredentialId"]}

    for service in ("s3.amazonaws.com", "codecommit"):
        with pytest.raises(ClientError) as e:
            iam.create_service_specific_credential(UserName=user, ServiceName=service)
        assert_error(e, "NotSupportedService", 404)
    with pytest.raises(ClientError) as e:
        iam.list_service_specific_credentials(UserName=user, ServiceName="s3.amazonaws.com")
    assert_error(e, "NotSupportedService", 404)
    nobody = unique("nobody")
    with pytest.raises(ClientError) as e:
        iam.create_service_specific_credential(UserName=nobody, ServiceName="codecommit.amazonaws.com")
    assert_error(e, "NoSuchEntity", 404, f"The user with name {nobody} cannot be found.")


def test_bedrock_api_key_with_expiry(iam, user):
    c = iam.create_service_specific_credential(UserName=user, ServiceName="bedrock.amazonaws.com", CredentialAgeDays=30)["ServiceSpecificCredential"]
    assert c["ServiceCredentialAlias"].startswith(user) and "ServiceUserName" not in c and "ServicePassword" not in c
    assert c["ServiceCredentialSecret"].startswith("ABSK")
    assert (c["ExpirationDate"] - c["CreateDate"]).days == 30
    listed = iam.list_service_specific_credentials(UserName=user, ServiceName="bedrock.amazonaws.com")["ServiceSpecificCredentials"]
    assert listed[0]["ServiceCredentialAlias"] == c["ServiceCredentialAlias"] and "ExpirationDate" in listed[0]
    # CredentialAgeDays is for API keys only.
    with pytest.raises(ClientError) as e:
        iam.create_service_specific_credential(UserName=user, ServiceName="codecommit.amazonaws.com", CredentialAgeDays=30)
    assert_error(e, "InvalidInput", 400)


def test_all_users_listing_and_renames(iam):
    a, b = unique("sscu"), unique("sscu")
    for n in (a, b):
        iam.create_user(UserName=n)
        iam.create_service_specific_credential(UserName=n, ServiceName="logs.amazonaws.com")
    every = iam.list_service_specific_credentials(AllUsers=True, ServiceName="logs.amazonaws.com")["ServiceSpecificCredentials"]
    assert {a, b} <= {m["UserName"] for m in every}
    renamed = unique("sscr")
    iam.update_user(UserName=a, NewUserName=renamed)
    mine = iam.list_service_specific_credentials(UserName=renamed)["ServiceSpecificCredentials"]
    assert len(mine) == 1 and mine[0]["UserName"] == renamed
    iam.create_user(UserName=a)
    assert iam.list_service_specific_credentials(UserName=a)["ServiceSpecificCredentials"] == []


def test_aws_cli_round_trip_and_error(server, user):
    out = server.aws("iam", "create-service-specific-credential", "--user-name", user, "--service-name", "codecommit.amazonaws.com")
    cid = out["ServiceSpecificCredential"]["ServiceSpecificCredentialId"]
    server.aws("iam", "reset-service-specific-credential", "--user-name", user, "--service-specific-credential-id", cid)
    server.aws("iam", "update-service-specific-credential", "--user-name", user, "--service-specific-credential-id", cid, "--status", "Inactive")
    listed = server.aws("iam", "list-service-specific-credentials", "--user-name", user)
    assert [(m["ServiceSpecificCredentialId"], m["Status"]) for m in listed["ServiceSpecificCredentials"]] == [(cid, "Inactive")]
    server.aws("iam", "delete-service-specific-credential", "--user-name", user, "--service-specific-credential-id", cid)
    res = server.aws_run("iam", "create-service-specific-credential", "--user-name", user, "--service-name", "ec2.amazonaws.com")
    assert res.returncode != 0 and "NotSupportedService" in res.stderr
