"""OpenID Connect identity providers: Create/Get/List/Delete, client ids, thumbprints, tags,
quotas and authorization (resource type oidc-provider)."""

import json

import pytest
from botocore.exceptions import ClientError

from castellan_e2e import ACCOUNT_ID, assert_error, assert_recent, dumps, unique

THUMB = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"


def url(prefix="idp"):
    return f"https://{unique(prefix)}.example.com/id"


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateOpenIDConnectProvider.html
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetOpenIDConnectProvider.html
# The ARN is arn:aws:iam::ACCOUNT:oidc-provider/<URL without https://>; Get returns the URL
# without the scheme.
def test_create_get_list_delete(iam):
    u = url()
    arn = iam.create_open_id_connect_provider(Url=u, ClientIDList=["sts.amazonaws.com"], ThumbprintList=[THUMB.upper()],
                                              Tags=[{"Key": "team", "Value": "ci"}])
    assert arn["OpenIDConnectProviderArn"] == f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{u[len('https://'):]}"
    assert arn["Tags"] == [{"Key": "team", "Value": "ci"}]
    arn = arn["OpenIDConnectProviderArn"]
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["Url"] == u[len("https://"):]
    assert got["ClientIDList"] == ["sts.amazonaws.com"]
    assert got["ThumbprintList"] == [THUMB]
    assert got["Tags"] == [{"Key": "team", "Value": "ci"}]
    assert_recent(got["CreateDate"])
    listed = [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]]
    assert arn in listed

    # The same URL twice: EntityAlreadyExists.
    with pytest.raises(ClientError) as e:
        iam.create_open_id_connect_provider(Url=u, ThumbprintList=[THUMB])
    assert_error(e, "EntityAlreadyExists", 409, f"Provider with url {u} already exists.")

    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    with pytest.raises(ClientError) as e:
        iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert_error(e, "NoSuchEntity", 404, f"OpenIDConnect Provider not found for arn {arn}")
    assert arn not in [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]]
    # Idempotent (DeleteOpenIDConnectProvider: "does not fail or return an error if you call
    # the operation for a provider that does not exist").
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)


# CreateOpenIDConnectProvider: "The URL must begin with https:// ... query parameters are not"
# allowed; thumbprints are 40 hex characters (thumbprintType, min = max = 40).
@pytest.mark.parametrize("bad", ["http://insecure.example.com", "https://q.example.com/?a=b", "https://", "example.com"])
def test_bad_urls_are_refused(iam, bad):
    with pytest.raises(ClientError) as e:
        iam.create_open_id_connect_provider(Url=bad, ThumbprintList=[THUMB])
    # ValidationError, as recorded from AWS in LocalStack's tests/aws/services/iam/test_iam_oidc.snapshot.json
    # ("invalid-url").
    assert_error(e, "ValidationError", 400, "Invalid Open ID Connect Provider URL")


def test_thumbprints(iam_nv):
    with pytest.raises(ClientError) as e:
        iam_nv.create_open_id_connect_provider(Url=url(), ThumbprintList=["z" * 40])
    assert_error(e, "InvalidInput", 400, startswith="Thumbprint")
    with pytest.raises(ClientError) as e:
        iam_nv.create_open_id_connect_provider(Url=url(), ThumbprintList=["a" * 39])
    assert_error(e, "ValidationError", 400, contains="thumbprint")
    # "IAM lets you have up to five thumbprints for an OIDC provider."
    with pytest.raises(ClientError) as e:
        iam_nv.create_open_id_connect_provider(Url=url(), ThumbprintList=[f"{i:040x}" for i in range(6)])
    # Recorded from AWS: LocalStack's tests/aws/services/iam/test_iam_oidc.snapshot.json, "too-many-thumbprints".
    assert_error(e, "InvalidInput", 400, "Thumbprint list must contain fewer than 5 entries.")
    # Thumbprints are optional now (CreateOpenIDConnectProvider: ThumbprintList not required).
    arn = iam_nv.create_open_id_connect_provider(Url=url())["OpenIDConnectProviderArn"]
    iam_nv.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=arn, ThumbprintList=[THUMB, "1" * 40])
    assert iam_nv.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ThumbprintList"] == [THUMB, "1" * 40]
    # The list replaces the old one (UpdateOpenIDConnectProviderThumbprint: "not merged").
    iam_nv.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=arn, ThumbprintList=["2" * 40])
    assert iam_nv.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ThumbprintList"] == ["2" * 40]


# AddClientIDToOpenIDConnectProvider: idempotent; "You cannot register more than 100 client IDs".
def test_client_ids(iam):
    arn = iam.create_open_id_connect_provider(Url=url(), ClientIDList=["a"], ThumbprintList=[THUMB])["OpenIDConnectProviderArn"]
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="b")
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="b")
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ClientIDList"] == ["a", "b"]
    iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="a")
    iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="never")
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ClientIDList"] == ["b"]
    for i in range(99):
        iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID=f"c{i}")
    with pytest.raises(ClientError) as e:
        iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="one-too-many")
    assert_error(e, "LimitExceeded", 409, "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100")
    missing = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/missing.example.com"
    with pytest.raises(ClientError) as e:
        iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=missing, ClientID="x")
    assert_error(e, "NoSuchEntity", 404, f"OpenIDConnect Provider not found for arn {missing}")


# TagOpenIDConnectProvider / UntagOpenIDConnectProvider / ListOpenIDConnectProviderTags.
def test_tags(iam):
    arn = iam.create_open_id_connect_provider(Url=url(), ThumbprintList=[THUMB])["OpenIDConnectProviderArn"]
    iam.tag_open_id_connect_provider(OpenIDConnectProviderArn=arn, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    iam.untag_open_id_connect_provider(OpenIDConnectProviderArn=arn, TagKeys=["a"])
    assert iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn)["Tags"] == [{"Key": "b", "Value": "2"}]
    with pytest.raises(ClientError) as e:
        iam.tag_open_id_connect_provider(OpenIDConnectProviderArn=arn, Tags=[{"Key": "aws:x", "Value": "1"}])
    assert_error(e, "InvalidInput", 400)


# Authorization: resource type oidc-provider, arn:aws:iam::${Account}:oidc-provider/${OidcProviderName}
# (Service Authorization Reference, IAM); aws:ResourceTag from the provider's tags.
def test_authorization_by_provider_arn_and_tag(server, iam, name):
    user = name("oidcadmin")
    iam.create_user(UserName=user)
    keep = iam.create_open_id_connect_provider(Url=url("keep"), ThumbprintList=[THUMB], Tags=[{"Key": "locked", "Value": "yes"}])["OpenIDConnectProviderArn"]
    mine = iam.create_open_id_connect_provider(Url=url("mine"), ThumbprintList=[THUMB])["OpenIDConnectProviderArn"]
    iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=dumps({
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "iam:*OpenIDConnectProvider*", "Resource": f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/*"},
            {"Effect": "Deny", "Action": "iam:*", "Resource": "*", "Condition": {"StringEquals": {"aws:ResourceTag/locked": "yes"}}},
        ],
    }))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    client = server.iam(access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    client.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=mine, ClientID="x")
    with pytest.raises(ClientError) as e:
        client.delete_open_id_connect_provider(OpenIDConnectProviderArn=keep)
    assert_error(e, "AccessDenied", 403, contains=[f"iam:DeleteOpenIDConnectProvider on resource: {keep}"])
    created = client.create_open_id_connect_provider(Url=url("byuser"), ThumbprintList=[THUMB])["OpenIDConnectProviderArn"]
    client.delete_open_id_connect_provider(OpenIDConnectProviderArn=created)


def test_the_aws_cli(server):
    u = url("cli")
    out = server.aws("iam", "create-open-id-connect-provider", "--url", u, "--client-id-list", "sts.amazonaws.com",
                     "--thumbprint-list", THUMB)
    arn = out["OpenIDConnectProviderArn"]
    got = server.aws("iam", "get-open-id-connect-provider", "--open-id-connect-provider-arn", arn)
    assert got["ClientIDList"] == ["sts.amazonaws.com"]
    listed = server.aws("iam", "list-open-id-connect-providers")["OpenIDConnectProviderList"]
    assert {"Arn": arn} in listed
    server.aws("iam", "delete-open-id-connect-provider", "--open-id-connect-provider-arn", arn)


def test_survives_restart(server_factory, tmp_path):
    srv = server_factory(data_dir=tmp_path / "data")
    arn = srv.iam().create_open_id_connect_provider(Url=url("persist"), ClientIDList=["aud"], ThumbprintList=[THUMB])["OpenIDConnectProviderArn"]
    srv.stop()
    srv.start()
    assert srv.iam().get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ClientIDList"] == ["aud"]
    assert srv.iam().get_account_summary()["SummaryMap"]["Providers"] == 1
