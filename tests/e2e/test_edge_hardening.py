"""Attacks on the HTTP edge, each test named after the attack it stops.

* Region spoofing: `aws:RequestedRegion` is the region of the endpoint called, not the
  region a client chose to sign with.
* Connection exhaustion: idle sockets, half-sent headers, trickled bodies and too many
  connections must neither exhaust the server nor stall signed requests.
* Oversized bodies are refused with an AWS error envelope, not plain text.
"""

from __future__ import annotations

import json
import socket
import time
import xml.etree.ElementTree as ET

import pytest
from botocore.exceptions import ClientError

from castellan_e2e import ACCOUNT_ID, assert_error, dumps, strip_ns, unique


# ---------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------


def user_with_policy(iam, statements: list[dict]) -> tuple[str, str, str]:
    """A new user whose only (inline) policy has `statements`; (name, key id, secret)."""
    name = unique("edge")
    iam.create_user(UserName=name)
    iam.put_user_policy(
        UserName=name,
        PolicyName="p",
        PolicyDocument=dumps({"Version": "2012-10-17", "Statement": statements}),
    )
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return name, key["AccessKeyId"], key["SecretAccessKey"]


ALLOW_ALL = {"Effect": "Allow", "Action": "*", "Resource": "*"}


def deny_all_when(operator: str, region: str) -> dict:
    return {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {operator: {"aws:RequestedRegion": region}}}


# ---------------------------------------------------------------------------------------
# (5) aws:RequestedRegion
# ---------------------------------------------------------------------------------------


def test_region_spoofing_iam_call_signed_for_other_region_is_requested_in_us_east_1(server, iam):
    """Signing an IAM call for another region does not change `aws:RequestedRegion`.

    IAM User Guide, "AWS global condition context keys", aws:RequestedRegion: "Some global
    services, such as IAM, have a single endpoint. Because this endpoint is physically located
    in the US East (N. Virginia) Region, IAM calls are always made to the us-east-1 Region."
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html).

    So a Deny on "not us-east-1" never fires for IAM, a Deny on "eu-west-1" does not fire for
    an IAM call signed for eu-west-1, and a Deny on "us-east-1" does (the key is present: "This
    key is always included in the request context").
    """
    for region in ("eu-west-1", "ap-southeast-2", "us-east-1"):
        # Deny unless us-east-1: IAM is always us-east-1, so the Allow stands.
        _, key, secret = user_with_policy(iam, [ALLOW_ALL, deny_all_when("StringNotEquals", "us-east-1")])
        assert "Users" in server.iam(region=region, access_key=key, secret_key=secret).list_users(MaxItems=1)
        resp = server.raw({"Action": "ListUsers", "Version": "2010-05-08", "MaxItems": "1"}, region=region, access_key=key, secret_key=secret)
        assert resp.status == 200, resp

    # Deny in eu-west-1: an IAM call signed for eu-west-1 was still made to us-east-1.
    _, key, secret = user_with_policy(iam, [ALLOW_ALL, deny_all_when("StringEquals", "eu-west-1")])
    assert "Users" in server.iam(region="eu-west-1", access_key=key, secret_key=secret).list_users(MaxItems=1)
    resp = server.raw({"Action": "ListUsers", "Version": "2010-05-08", "MaxItems": "1"}, region="eu-west-1", access_key=key, secret_key=secret)
    assert resp.status == 200, resp

    # Deny in us-east-1: fires whatever region the IAM call was signed for.
    name, key, secret = user_with_policy(iam, [ALLOW_ALL, deny_all_when("StringEquals", "us-east-1")])
    with pytest.raises(ClientError) as err:
        server.iam(region="eu-west-1", access_key=key, secret_key=secret).list_users(MaxItems=1)
    assert_error(err, "AccessDenied", 403, contains="with an explicit deny in an identity-based policy")


def test_region_spoofing_sts_call_is_requested_in_the_region_signed_for(server, iam):
    """STS has regional endpoints; Castellan's endpoint stands for the one the client chose,
    the region it signed for. A Deny on eu-west-1 fires for STS signed for eu-west-1 only."""
    role = unique("edge-role")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}, "Action": "sts:AssumeRole"}]}
    arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    _, key, secret = user_with_policy(iam, [ALLOW_ALL, deny_all_when("StringEquals", "eu-west-1")])
    with pytest.raises(ClientError) as err:
        server.sts(region="eu-west-1", access_key=key, secret_key=secret).assume_role(RoleArn=arn, RoleSessionName="edge")
    assert_error(err, "AccessDenied", 403)
    creds = server.sts(region="eu-central-1", access_key=key, secret_key=secret).assume_role(RoleArn=arn, RoleSessionName="edge")
    assert creds["Credentials"]["AccessKeyId"].startswith("ASIA")


@pytest.mark.parametrize("service,version", [("iam", "2010-05-08"), ("sts", "2011-06-15")])
def test_region_spoofing_credential_scoped_to_a_region_that_does_not_exist_is_refused(server, service, version):
    """A credential scope must name a real region of AWS's commercial partition. AWS answers a
    scope naming a region it does not serve with `SignatureDoesNotMatch` (403) "Credential
    should be scoped to a valid region, not 'REGION'. " (as quoted in aws/aws-sdk-go#156,
    JuliaCloud/AWS.jl#565 for IAM; cognitect-labs/aws-api#27 for STS, with the status 403 in
    namecheap/node-vault-client#25)."""
    action = "ListUsers" if service == "iam" else "GetCallerIdentity"
    resp = server.raw({"Action": action, "Version": version}, region="xx-fake-9", service=service)
    assert resp.status == 403, resp
    assert resp.find("Error/Code") == "SignatureDoesNotMatch", resp
    assert resp.find("Error/Message") == "Credential should be scoped to a valid region, not 'xx-fake-9'. ", resp
    # boto3 configured for the fake region is refused the same way.
    with pytest.raises(ClientError) as err:
        c = server.client(service, region="xx-fake-9")
        c.list_users() if service == "iam" else c.get_caller_identity()
    assert_error(err, "SignatureDoesNotMatch", 403, "Credential should be scoped to a valid region, not 'xx-fake-9'. ")


# ---------------------------------------------------------------------------------------
# (7) Connection exhaustion: header, body and idle timeouts; a cap on open connections
# ---------------------------------------------------------------------------------------

# Generous bounds: the tests assert what happens, not how fast.
EVENTUALLY_S = 30


def connect(server) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=EVENTUALLY_S)
    sock.settimeout(EVENTUALLY_S)
    return sock


def closed_by_server(sock: socket.socket) -> bool:
    """Reads until the server closes the connection (within EVENTUALLY_S); whatever the
    server sent before closing is discarded. False if it is still open then."""
    deadline = time.monotonic() + EVENTUALLY_S
    while time.monotonic() < deadline:
        try:
            if sock.recv(65536) == b"":
                return True
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False
    return False


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 response with a Content-Length body: (status, headers, body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before a response head: {data!r}"
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        assert chunk, "connection closed inside the response body"
        rest += chunk
    return status, headers, rest[:length]


def error_of(body: bytes) -> tuple[str, str, str]:
    """(Type, Code, Message) of an AWS ErrorResponse."""
    root = strip_ns(ET.fromstring(body))
    assert root.tag == "ErrorResponse", body
    return root.findtext("Error/Type"), root.findtext("Error/Code"), root.findtext("Error/Message")


def request_bytes(body: bytes = b"Action=ListUsers&Version=2010-05-08", headers: str = "") -> bytes:
    return (
        b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        + headers.encode()
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )


def served(server) -> bool:
    """A signed request on a new connection succeeds."""
    return "Users" in server.iam().list_users(MaxItems=1)


def test_connection_exhaustion_half_sent_headers_are_closed_and_do_not_stall_signed_requests(server_factory):
    """Clients that open sockets and send half a request head (slowloris) neither stall a
    signed request nor keep their sockets: each is closed after the header timeout."""
    srv = server_factory(env_extra={"CASTELLAN_HEADER_TIMEOUT": "1"})
    half_sent = []
    for _ in range(64):
        sock = connect(srv)
        sock.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le")
        half_sent.append(sock)
    idle = [connect(srv) for _ in range(64)]  # connect and send nothing at all
    assert served(srv)
    for sock in half_sent + idle:
        assert closed_by_server(sock), "a half-sent or silent connection was never closed"
        sock.close()
    assert served(srv)


def test_connection_exhaustion_silent_and_idle_holders_make_room_for_signed_requests(server_factory):
    """Slots held by clients that send nothing, or that keep an answered connection idle, are
    taken back when the cap is reached: the one waiting longest is closed and a signed
    request is served at once, well before any timeout would have freed a slot."""
    srv = server_factory(env_extra={"CASTELLAN_MAX_CONNECTIONS": "4", "CASTELLAN_HEADER_TIMEOUT": "600", "CASTELLAN_IDLE_TIMEOUT": "600"})
    silent = [connect(srv) for _ in range(2)]
    idle = []
    for _ in range(2):
        sock = connect(srv)
        sock.sendall(request_bytes())  # unsigned: answered, then kept alive and idle
        assert read_response(sock)[0] == 403
        idle.append(sock)
    # A connection becomes a candidate only after waiting a moment (a client that has just
    # connected is still sending its head): let the holders age past that.
    time.sleep(2)
    for _ in range(3):
        assert served(srv)
    # At least one of the waiting holders was closed to make room (the server may also have
    # closed the clients' own idle connections): poll them all until one reports EOF.
    import select

    waiting = silent + idle
    deadline = time.monotonic() + EVENTUALLY_S
    closed = False
    while not closed and time.monotonic() < deadline:
        readable, _, _ = select.select(waiting, [], [], 0.5)
        for sock in readable:
            try:
                closed = closed or sock.recv(65536) == b""
            except ConnectionResetError:
                closed = True
    assert closed, "no waiting connection made room"
    for sock in waiting:
        sock.close()


def test_connection_exhaustion_over_the_cap_is_answered_503_service_unavailable(server_factory):
    """With every connection slot handling a request (here: bodies still arriving), one more
    connection is answered at once with a 503 in AWS's error envelope (code
    ServiceUnavailable, AWS's "Common Errors" text) and closed, not left hanging; once the
    holders are cut off (body timeout), requests are served."""
    srv = server_factory(env_extra={"CASTELLAN_MAX_CONNECTIONS": "4", "CASTELLAN_BODY_TIMEOUT": "3"})
    holders = []
    body = b"Action=ListUsers&Version=2010-05-08"
    for _ in range(4):
        sock = connect(srv)
        sock.sendall(request_bytes(body)[: -len(body) + 5])  # the head and 5 bytes of the body
        holders.append(sock)
    time.sleep(0.5)  # let the server read the heads (ordering, not timing: no bound asserted)
    extra = connect(srv)
    extra.sendall(request_bytes())
    status, headers, body = read_response(extra)
    assert status == 503, body
    assert headers.get("content-type") == "text/xml"
    assert error_of(body) == ("Receiver", "ServiceUnavailable", "The request has failed due to a temporary failure of the server.")
    assert strip_ns(ET.fromstring(body)).findtext("RequestId") == headers.get("x-amzn-requestid")
    assert closed_by_server(extra)
    extra.close()
    for sock in holders:
        assert closed_by_server(sock)
        sock.close()
    deadline = time.monotonic() + EVENTUALLY_S
    while True:
        try:
            if served(srv):
                break
        except ClientError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_connection_exhaustion_trickled_body_is_cut_off_by_the_body_timeout(server_factory):
    """A body that does not arrive in full within the body timeout is answered 400
    RequestTimeout (S3's code and text: IAM and STS publish none) and the connection closed."""
    srv = server_factory(env_extra={"CASTELLAN_BODY_TIMEOUT": "1"})
    sock = connect(srv)
    body = b"Action=ListUsers&Version=2010-05-08"
    sock.sendall(request_bytes(body)[: -len(body) + 5])  # the head and 5 bytes of the body
    status, headers, answer = read_response(sock)
    assert status == 400, answer
    assert error_of(answer)[:2] == ("Sender", "RequestTimeout")
    assert headers.get("connection") == "close"
    assert closed_by_server(sock)
    sock.close()
    assert served(srv)


def test_connection_exhaustion_idle_keep_alive_connection_is_closed_after_the_idle_timeout(server_factory):
    """A kept-alive connection that sends no further request is closed after the idle
    timeout; while it is within it, it serves the next request."""
    srv = server_factory(env_extra={"CASTELLAN_IDLE_TIMEOUT": "2", "CASTELLAN_HEADER_TIMEOUT": "30"})
    sock = connect(srv)
    sock.sendall(request_bytes())  # unsigned: answered MissingAuthenticationToken, kept alive
    status, headers, body = read_response(sock)
    assert status == 403 and error_of(body)[1] == "MissingAuthenticationToken", body
    assert headers.get("connection") != "close"
    sock.sendall(request_bytes())  # the same connection carries a second request
    assert read_response(sock)[0] == 403
    assert closed_by_server(sock)
    sock.close()


# ---------------------------------------------------------------------------------------
# (12) Oversized bodies
# ---------------------------------------------------------------------------------------

MAX_BODY = 1 << 20


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_oversized_body_is_refused_with_an_aws_error_envelope(server, declared):
    """A body over the 1 MiB limit is answered 413 with AWS's ErrorResponse envelope (code
    RequestEntityTooLarge; AWS publishes no answer for IAM/STS), whether its Content-Length
    says so up front or it is sent chunked; the client, which sends its whole body before
    reading, gets to read the answer."""
    body = b"Action=ListUsers&Version=2010-05-08&Pad=" + b"x" * MAX_BODY
    sock = connect(server)
    if declared:
        sock.sendall(request_bytes(body))
    else:
        head = b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n"
        chunks = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (body[i : i + 65536] for i in range(0, len(body), 65536)))
        sock.sendall(head + chunks + b"0\r\n\r\n")
    status, headers, answer = read_response(sock)
    assert status == 413, answer
    assert headers.get("content-type") == "text/xml"
    kind, code, message = error_of(answer)
    assert (kind, code) == ("Sender", "RequestEntityTooLarge")
    assert str(MAX_BODY) in message
    sock.close()


def test_oversized_body_is_refused_through_boto3(server, iam):
    """The SDK's view: a policy document far over any limit, in a body over 1 MiB, is an
    ordinary ClientError with the code and status, not a parse failure of plain text."""
    with pytest.raises(ClientError) as err:
        iam.create_policy(PolicyName=unique("big"), PolicyDocument="x" * (MAX_BODY + 1))
    assert_error(err, "RequestEntityTooLarge", 413)
