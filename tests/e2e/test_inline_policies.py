"""Inline policies: Put/Get/List/Delete for users, groups and roles.

boto3 (botocore) URL-decodes and JSON-parses PolicyDocument, so documents are compared as dicts;
over raw HTTP the document is URL-encoded (RFC 3986), as AWS returns it.

https://docs.aws.amazon.com/IAM/latest/APIReference/API_PutUserPolicy.html
https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetUserPolicy.html
https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListUserPolicies.html
https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteUserPolicy.html
(and the Group / Role counterparts)
"""

import json
import urllib.parse

import pytest
from botocore.exceptions import ClientError

from castellan_e2e import EC2_TRUST_POLICY, as_doc, assert_error, dumps, policy_doc


def _make(iam, kind, n):
    if kind == "user":
        iam.create_user(UserName=n)
    elif kind == "group":
        iam.create_group(GroupName=n)
    else:
        iam.create_role(RoleName=n, AssumeRolePolicyDocument=dumps(EC2_TRUST_POLICY))


def _ops(iam, kind):
    key = {"user": "UserName", "group": "GroupName", "role": "RoleName"}[kind]
    cap = kind.capitalize()
    return (
        key,
        getattr(iam, f"put_{kind}_policy"),
        getattr(iam, f"get_{kind}_policy"),
        getattr(iam, f"list_{kind}_policies"),
        getattr(iam, f"delete_{kind}_policy"),
        cap,
    )


KINDS = ["user", "group", "role"]


@pytest.mark.parametrize("kind", KINDS)
def test_inline_policy_lifecycle(iam, name, kind):
    n = name(kind)
    _make(iam, kind, n)
    key, put, get, lst, delete, _ = _ops(iam, kind)

    doc_a = policy_doc("s3:GetObject", "arn:aws:s3:::bucket/*", sid="ReadObjects")
    doc_b = policy_doc("sqs:SendMessage", "*")
    put(**{key: n}, PolicyName="alpha", PolicyDocument=dumps(doc_a))
    put(**{key: n}, PolicyName="beta", PolicyDocument=json.dumps(doc_b, indent=2))

    got = get(**{key: n}, PolicyName="alpha")
    assert got[key] == n
    assert got["PolicyName"] == "alpha"
    assert as_doc(got["PolicyDocument"]) == doc_a

    listed = lst(**{key: n})
    assert sorted(listed["PolicyNames"]) == ["alpha", "beta"]
    assert listed["IsTruncated"] is False

    # Putting the same name again replaces the document.
    put(**{key: n}, PolicyName="alpha", PolicyDocument=dumps(doc_b))
    assert as_doc(get(**{key: n}, PolicyName="alpha")["PolicyDocument"]) == doc_b
    assert sorted(lst(**{key: n})["PolicyNames"]) == ["alpha", "beta"]

    delete(**{key: n}, PolicyName="alpha")
    assert lst(**{key: n})["PolicyNames"] == ["beta"]
    with pytest.raises(ClientError) as e:
        get(**{key: n}, PolicyName="alpha")
    assert_error(e, "NoSuchEntity", 404, f"The {kind} policy with name alpha cannot be found.")
    with pytest.raises(ClientError) as e:
        delete(**{key: n}, PolicyName="alpha")
    assert_error(e, "NoSuchEntity", 404, f"The {kind} policy with name alpha cannot be found.")


@pytest.mark.parametrize("kind", KINDS)
def test_inline_policy_on_missing_entity(iam, name, kind):
    n = name("ghost")
    key, put, get, lst, delete, _ = _ops(iam, kind)
    msg = f"The {kind} with name {n} cannot be found."
    with pytest.raises(ClientError) as e:
        put(**{key: n}, PolicyName="p", PolicyDocument=dumps(policy_doc()))
    assert_error(e, "NoSuchEntity", 404, msg)
    with pytest.raises(ClientError) as e:
        lst(**{key: n})
    assert_error(e, "NoSuchEntity", 404, msg)


@pytest.mark.parametrize("kind", KINDS)
def test_inline_policy_malformed(iam, name, kind):
    n = name(kind)
    _make(iam, kind, n)
    key, put, *_ = _ops(iam, kind)
    with pytest.raises(ClientError) as e:
        put(**{key: n}, PolicyName="p", PolicyDocument="this is not json")
    assert_error(e, "MalformedPolicyDocument", 400, "Syntax errors in policy.")


# Identity-based policies must not name a Principal.
def test_inline_policy_with_principal(iam, name):
    n = name("u")
    iam.create_user(UserName=n)
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}]}
    with pytest.raises(ClientError) as e:
        iam.put_user_policy(UserName=n, PolicyName="p", PolicyDocument=dumps(doc))
    assert_error(e, "MalformedPolicyDocument", 400, "Policy document should not specify a principal.")


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetUserPolicy.html
# "Policies returned by this operation are URL-encoded compliant with RFC 3986."
def test_raw_get_user_policy_is_url_encoded(server, iam, name):
    n = name("raw")
    iam.create_user(UserName=n)
    doc = policy_doc("s3:GetObject", "arn:aws:s3:::my bucket/*")
    iam.put_user_policy(UserName=n, PolicyName="p", PolicyDocument=dumps(doc))
    resp = server.raw({"Action": "GetUserPolicy", "Version": "2010-05-08", "UserName": n, "PolicyName": "p"})
    assert resp.status == 200, resp
    text = resp.find("GetUserPolicyResult/PolicyDocument")
    assert text is not None, resp
    assert "{" not in text and "%7B" in text, f"document not URL-encoded: {text[:80]!r}"
    assert json.loads(urllib.parse.unquote(text)) == doc


# The raw CLI prints the document; with the aws CLI (botocore) it is decoded JSON.
def test_cli_get_role_policy(server, iam, name):
    r = name("clirole")
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=dumps(EC2_TRUST_POLICY))
    doc = policy_doc("dynamodb:GetItem", "*")
    server.aws("iam", "put-role-policy", "--role-name", r, "--policy-name", "ddb", "--policy-document", dumps(doc))
    out = server.aws("iam", "get-role-policy", "--role-name", r, "--policy-name", "ddb")
    assert out["RoleName"] == r and out["PolicyName"] == "ddb"
    assert as_doc(out["PolicyDocument"]) == doc
    assert server.aws("iam", "list-role-policies", "--role-name", r)["PolicyNames"] == ["ddb"]
