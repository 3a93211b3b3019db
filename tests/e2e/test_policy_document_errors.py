"""MalformedPolicyDocument texts as IAM words them, through the API.

Every case is a response recorded from IAM itself (February 2026) in LocalStack's parity
snapshots; each names its snapshot file and key. The documents are sent as the recording test
sent them (`json.dumps` with Python's default separators). The full set of recorded documents
runs against the parser in crates/policy/tests/validation/*.json.

CP = tests/aws/services/iam/test_iam_policies.snapshot.json,
     key tests/aws/services/iam/test_iam_policies.py::TestPolicyDocumentValidity::
         test_create_policy_invalid_document[invalid-N]
UARP = tests/aws/services/iam/test_iam_roles.snapshot.json,
       key tests/aws/services/iam/test_iam_roles.py::TestRoleLifecycle::
           test_update_assume_role_policy_errors, entry NAME
CR = tests/aws/services/iam/test_iam.snapshot.json,
     key tests/aws/services/iam/test_iam.py::TestIAMExtensions::
         test_create_role_with_malformed_assume_role_policy_document, entry invalid-json
"""

import json

import pytest
from botocore.exceptions import ClientError

from castellan_e2e import EC2_TRUST_POLICY, dumps

BUCKET = "arn:aws:s3:::example_bucket"


def _stmt(**fields):
    return {"Version": "2012-10-17", "Statement": fields}


# (recorded key, document, IAM's message)
CREATE_POLICY_CASES = [
    # CP invalid-0
    ("invalid-0", "This is not a json document", "Syntax errors in policy."),
    # CP invalid-1: no Version is the 2008 language, which IAM refuses for new policies.
    (
        "invalid-1",
        {"Statement": {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET}},
        "Policy document must be version 2012-10-17 or greater.",
    ),
    # CP invalid-13
    (
        "invalid-13",
        _stmt(Effect="Allow", Action="a a:ListBucket", Resource=BUCKET),
        "Vendor a a is not valid",
    ),
    # CP invalid-21
    (
        "invalid-21",
        _stmt(Effect="Allow", NotAction="s3s:ListBucket", Resource="a:bsdfdsafsad"),
        'Partition "bsdfdsafsad" is not valid for resource "arn:bsdfdsafsad:*:*:*:*".',
    ),
    # CP invalid-29: IAM asks for resources before it looks at the action's vendor.
    (
        "invalid-29",
        _stmt(Effect="Allow", Action="invalid"),
        "Policy statement must contain resources.",
    ),
    # CP invalid-55
    (
        "invalid-55",
        _stmt(Effect="Allow", Action="s3:ListBucket", Resource="arn:aws:iam:us-east-1::example_bucket"),
        "IAM resource arn:aws:iam:us-east-1::example_bucket cannot contain region information.",
    ),
    # CP invalid-59
    (
        "invalid-59",
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "sdf", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET},
                {"Sid": "sdf", "Effect": "Allow"},
            ],
        },
        "Statement IDs (SID) in a single policy must be unique.",
    ),
    # CP invalid-63
    (
        "invalid-63",
        _stmt(Effect="denY", Action="s3:ListBucket", Resource=BUCKET),
        "The policy failed legacy parsing",
    ),
]


def _text(doc):
    return doc if isinstance(doc, str) else json.dumps(doc)


@pytest.mark.parametrize("key,doc,message", CREATE_POLICY_CASES, ids=[c[0] for c in CREATE_POLICY_CASES])
def test_create_policy_recorded_errors(iam, name, assert_error, key, doc, message):
    with pytest.raises(ClientError) as e:
        iam.create_policy(PolicyName=name("p"), PolicyDocument=_text(doc))
    assert_error(e, "MalformedPolicyDocument", 400, message)


def test_create_policy_version_gets_the_same_texts(iam, name, assert_error):
    # CP invalid-35, sent as a new version of an existing policy: CreatePolicyVersion checks the
    # document as CreatePolicy does (the recording is from CreatePolicy).
    arn = iam.create_policy(
        PolicyName=name("p"), PolicyDocument=json.dumps(_stmt(Effect="Allow", Action="s3:ListBucket", Resource=BUCKET))
    )["Policy"]["Arn"]
    doc = _stmt(Effect="Allow", Action="s3:ListBucket", Resource="arn:aws:iam:::example_bucket")
    with pytest.raises(ClientError) as e:
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(doc))
    assert_error(
        e,
        "MalformedPolicyDocument",
        400,
        'IAM resource path must either be "*", root, or start with user/, federated-user/, role/, '
        "group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, "
        "oidc-provider/, report/, access-report/.",
    )


def test_put_user_policy_gets_the_same_texts(iam, name, assert_error):
    # CP invalid-56, sent as an inline user policy. The recording is from CreatePolicy; that
    # PutUserPolicy validates identity documents the same way is Castellan's assumption.
    user = name("u")
    iam.create_user(UserName=user)
    doc = _stmt(Effect="Allow", Action="s3:ListBucket", Resource="arn:aws:s3:us-east-1::example_bucket")
    with pytest.raises(ClientError) as e:
        iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=json.dumps(doc))
    assert_error(
        e,
        "MalformedPolicyDocument",
        400,
        "Resource arn:aws:s3:us-east-1::example_bucket can not contain region information.",
    )


def test_recorded_valid_document_is_accepted(iam, name):
    # CP test_create_policy_valid_document[valid-36]: a lower-case "t" and a one-digit hour
    # with a two-digit zone are a date IAM accepts.
    doc = _stmt(
        Effect="Allow",
        Action="s3:ListBucket",
        Resource=BUCKET,
        Condition={"DateLessThanEquals": {"a": "2016-12-13t2:00:00.593194+23"}},
    )
    iam.create_policy(PolicyName=name("p"), PolicyDocument=json.dumps(doc))


# (UARP entry, document, IAM's message)
TRUST_CASES = [
    ("invalid-json-error", "not valid json", "This policy contains invalid Json"),
    (
        "invalid-action-error",
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:InvalidAction"}
            ],
        },
        "AssumeRole policy may only specify STS AssumeRole actions.",
    ),
    (
        "resource-field-error",
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "ec2.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                    "Resource": BUCKET,
                }
            ],
        },
        "Has prohibited field Resource",
    ),
]


@pytest.mark.parametrize("entry,doc,message", TRUST_CASES, ids=[c[0] for c in TRUST_CASES])
def test_update_assume_role_policy_recorded_errors(iam, name, assert_error, entry, doc, message):
    role = name("r")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=dumps(EC2_TRUST_POLICY))
    with pytest.raises(ClientError) as e:
        iam.update_assume_role_policy(RoleName=role, PolicyDocument=_text(doc))
    assert_error(e, "MalformedPolicyDocument", 400, message)


def test_create_role_trailing_comma_is_invalid_json(iam, name, assert_error):
    # CR: the fault is the trailing comma after "Effect": "Allow"; the text is sent as recorded.
    doc = """
        {
          "Version": "2012-10-17",
          "Statement": [
            {
              "Action": "sts:AssumeRole",
              "Principal": "*",
              "Effect": "Allow",
            }
          ]
        }
        """
    with pytest.raises(ClientError) as e:
        iam.create_role(RoleName=name("r"), AssumeRolePolicyDocument=doc)
    assert_error(e, "MalformedPolicyDocument", 400, "This policy contains invalid Json")
