#!/usr/bin/env python3
"""Checks castellan-api's wire format against botocore (the library under boto3 and the aws CLI).

Run by tests/botocore.rs when botocore is importable, or by hand:

    python3 crates/api/tests/botocore_check.py serialize
        prints one request per line, `Service<TAB>Operation<TAB>body`, as botocore's query
        serializer writes them (the Rust test decodes each);
    python3 crates/api/tests/botocore_check.py parse CASES.json
        parses each case's XML with botocore's query response parser and compares the result
        with the case's expected value (timestamps as ISO 8601 with +00:00, blobs as base64).
"""

import base64
import datetime
import json
import sys

import botocore.model
import botocore.parsers
import botocore.serialize
import botocore.session

SESSION = botocore.session.get_session()
MODELS = {
    "iam": botocore.model.ServiceModel(SESSION.get_service_data("iam"), "iam"),
    "sts": botocore.model.ServiceModel(SESSION.get_service_data("sts"), "sts"),
}

REQUESTS = [
    ("iam", "CreateUser", {"UserName": "alice", "Path": "/dev/",
                           "Tags": [{"Key": "team", "Value": "a b+c"}, {"Key": "k2", "Value": ""}]}),
    ("iam", "CreateUser", {"UserName": "bob", "Tags": []}),
    ("iam", "ListUsers", {"MaxItems": 10, "PathPrefix": "/"}),
    ("iam", "UpdateAccessKey", {"AccessKeyId": "AKIAIOSFODNN7EXAMPLE", "Status": "Inactive"}),
    ("iam", "CreateLoginProfile", {"UserName": "alice", "Password": "p@ss w0rdé", "PasswordResetRequired": True}),
    ("iam", "AddClientIDToOpenIDConnectProvider",
     {"OpenIDConnectProviderArn": "arn:aws:iam::123456789012:oidc-provider/example.com", "ClientID": "c1"}),
    ("iam", "SimulateCustomPolicy", {"PolicyInputList": ["{}"], "ActionNames": ["s3:GetObject", "s3:PutObject"],
                                     "ContextEntries": [{"ContextKeyName": "aws:SourceIp",
                                                         "ContextKeyValues": ["10.0.0.1"],
                                                         "ContextKeyType": "ip"}]}),
    ("iam", "GetAccountSummary", {}),
    ("sts", "AssumeRole", {"RoleArn": "arn:aws:iam::123456789012:role/r", "RoleSessionName": "s1",
                           "DurationSeconds": 900,
                           "PolicyArns": [{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}],
                           "TransitiveTagKeys": ["a", "b"]}),
    ("sts", "GetCallerIdentity", {}),
]


def serialize():
    serializer = botocore.serialize.create_serializer("query")
    for service, op, params in REQUESTS:
        request = serializer.serialize_to_request(params, MODELS[service].operation_model(op))
        body = request["body"]
        if isinstance(body, dict):
            # botocore leaves the encoding to the HTTP layer; do what it does there.
            from urllib.parse import urlencode
            body = urlencode(body, doseq=True)
        print(f"{service}\t{op}\t{body}")


def normalize(value):
    if isinstance(value, dict):
        return {k: normalize(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list):
        return [normalize(v) for v in value]
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def parse(path):
    with open(path, encoding="utf-8") as f:
        cases = json.load(f)
    parser = botocore.parsers.create_parser("query")
    failures = 0
    for case in cases:
        op = MODELS[case["service"]].operation_model(case["operation"])
        parsed = parser.parse(
            {"body": case["xml"].encode(), "headers": {}, "status_code": 200}, op.output_shape)
        request_id = parsed.get("ResponseMetadata", {}).get("RequestId")
        got = normalize(parsed)
        if got != case["expected"] or request_id != case["request_id"]:
            failures += 1
            print(f"{case['operation']}: botocore parsed {json.dumps(got, sort_keys=True)} "
                  f"(request id {request_id!r}), expected {json.dumps(case['expected'], sort_keys=True)}")
    errors = [c for c in cases if "error_xml" in c]
    for case in errors:
        parsed = parser.parse(
            {"body": case["error_xml"].encode(), "headers": {}, "status_code": 404}, None)
        if parsed.get("Error") != case["expected_error"]:
            failures += 1
            print(f"error document: botocore parsed {parsed.get('Error')!r}")
    if failures:
        sys.exit(1)
    print(f"botocore parsed {len(cases)} responses as expected")


if __name__ == "__main__":
    if sys.argv[1:] == ["serialize"]:
        serialize()
    elif len(sys.argv) == 3 and sys.argv[1] == "parse":
        parse(sys.argv[2])
    else:
        sys.exit(__doc__)
