"""Input validation the server does itself (botocore's client-side checks are off where needed):
names, paths, lengths, required parameters.

Name patterns and lengths are those of the IAM API reference, e.g.
https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateUser.html
  UserName: Length Constraints: Minimum length of 1. Maximum length of 64.
            Pattern: [\\w+=,.@-]+
  Path:     Length Constraints: Minimum length of 1. Maximum length of 512.
            Pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)

For a name that breaks the pattern IAM answers with its own sentence ("The specified value for
roleName is invalid. It must contain only alphanumeric characters and/or the following:
+=,.@_-", quoted from real AWS in aws/aws-cli#2631 and hashicorp/terraform-provider-aws#3087);
for lengths, with the generic "1 validation error detected: ... Member must have length less
than or equal to N".
"""

import pytest
from botocore.exceptions import ClientError

from castellan_e2e import EC2_TRUST_POLICY, assert_error, dumps, policy_doc

TRUST = dumps(EC2_TRUST_POLICY)


def invalid_name_msg(field: str) -> str:
    return (
        f"The specified value for {field} is invalid. "
        "It must contain only alphanumeric characters and/or the following: +=,.@_-"
    )


PATH_MSG = (
    "The specified value for path is invalid. "
    "It must begin and end with / and contain only alphanumeric characters and/or / characters."
)


CREATORS = {
    "userName": lambda iam, n, **kw: iam.create_user(UserName=n, **kw),
    "groupName": lambda iam, n, **kw: iam.create_group(GroupName=n, **kw),
    "roleName": lambda iam, n, **kw: iam.create_role(RoleName=n, AssumeRolePolicyDocument=TRUST, **kw),
    "policyName": lambda iam, n, **kw: iam.create_policy(PolicyName=n, PolicyDocument=dumps(policy_doc()), **kw),
    "instanceProfileName": lambda iam, n, **kw: iam.create_instance_profile(InstanceProfileName=n, **kw),
}


@pytest.mark.parametrize("field", list(CREATORS))
@pytest.mark.parametrize("bad", ["bad name!", "slash/inside", "colon:x", "tab\tx"])
def test_invalid_names(iam, field, bad):
    with pytest.raises(ClientError) as e:
        CREATORS[field](iam, bad)
    assert_error(e, "ValidationError", 400, invalid_name_msg(field))


@pytest.mark.parametrize(
    "field, limit",
    [("userName", 64), ("roleName", 64), ("groupName", 128), ("policyName", 128), ("instanceProfileName", 128)],
)
def test_name_too_long(iam, field, limit):
    with pytest.raises(ClientError) as e:
        CREATORS[field](iam, "a" * (limit + 1))
    # AWS: "1 validation error detected: Value at 'userName' failed to satisfy
    # constraint: Member must have length less than or equal to 64"
    assert_error(
        e,
        "ValidationError",
        400,
        startswith="1 validation error detected",
        contains=[f"'{field}'", f"Member must have length less than or equal to {limit}"],
    )


@pytest.mark.parametrize("field", list(CREATORS))
def test_longest_names_are_accepted(iam, name, field):
    limit = 64 if field in ("userName", "roleName") else 128
    n = (name("max").replace("-", "_") + "_" * limit)[:limit]
    CREATORS[field](iam, n)


@pytest.mark.parametrize("field", list(CREATORS))
@pytest.mark.parametrize("bad_path", ["no-slashes", "/no-trailing", "no-leading/"])
def test_invalid_paths(iam, name, field, bad_path):
    with pytest.raises(ClientError) as e:
        CREATORS[field](iam, name("p"), Path=bad_path)
    assert_error(e, "ValidationError", 400, PATH_MSG)


def test_path_too_long(iam, name):
    with pytest.raises(ClientError) as e:
        iam.create_user(UserName=name("u"), Path="/" + "a" * 511 + "/")
    assert_error(e, "ValidationError", 400, contains=["'path'", "Member must have length less than or equal to 512"])


# Required parameters (botocore would refuse to send these; the server must refuse too).
@pytest.mark.parametrize(
    "op, kwargs, field",
    [
        ("create_user", {}, "userName"),
        ("create_group", {}, "groupName"),
        ("create_policy", {"PolicyName": "x"}, "policyDocument"),
        ("attach_user_policy", {"UserName": "x"}, "policyArn"),
        ("get_role", {}, "roleName"),
    ],
)
def test_missing_required_parameter(iam_nv, op, kwargs, field):
    with pytest.raises(ClientError) as e:
        getattr(iam_nv, op)(**kwargs)
    # AWS: "1 validation error detected: Value null at 'userName' failed to satisfy constraint:
    # Member must not be null"
    assert_error(e, "ValidationError", 400, contains=[f"'{field}'", "Member must not be null"])


# Empty name: "Minimum length of 1".
def test_empty_name(iam_nv):
    with pytest.raises(ClientError) as e:
        iam_nv.create_user(UserName="")
    assert_error(e, "ValidationError", 400, contains="userName")


# Policy documents must be JSON objects with a supported Version.
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_version.html
@pytest.mark.parametrize(
    "doc",
    [
        '["not", "an", "object"]',
        '{"Version": "2012-10-17"}',
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Action": "s3:*", "Resource": "*"}]}',
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "not-a-vendor-action", "Resource": "*"}]}',
    ],
    ids=["array", "no-statement", "bad-effect", "action-without-vendor"],
)
def test_invalid_policy_documents(iam, name, doc):
    with pytest.raises(ClientError) as e:
        iam.create_policy(PolicyName=name("bad"), PolicyDocument=doc)
    assert_error(e, "MalformedPolicyDocument", 400)


def test_valid_policy_document_variants(iam, name):
    """Single statement object, NotAction/NotResource, Condition."""
    docs = [
        {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}},
        {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "NotAction": "iam:*", "NotResource": "arn:aws:s3:::x"}]},
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "WithCondition",
                    "Effect": "Allow",
                    "Action": ["s3:GetObject", "s3:PutObject"],
                    "Resource": ["arn:aws:s3:::b/${aws:username}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "true"}},
                }
            ],
        },
    ]
    for doc in docs:
        iam.create_policy(PolicyName=name("ok"), PolicyDocument=dumps(doc))
