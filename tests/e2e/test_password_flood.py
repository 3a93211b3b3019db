"""Password work is bounded: a ChangePassword flood cannot exhaust memory or stall others.

The finding: 150 concurrent ChangePassword calls with a wrong old password, from a user holding
only the AWS managed policy IAMUserChangePassword, drove the server from 0.10 to 2.95 GB (one
argon2id computation, 19 MiB, per request) and stalled every other client for 6 s. Now argon2
runs on a small fixed pool behind a bounded queue (beyond it: Throttling, "Rate exceeded", 400,
as IAM answers when throttling: https://repost.aws/knowledge-center/iam-sts-throttling-error),
and after 5 wrong passwords the user's password is not checked at all for a while
(LimitExceeded, one of ChangePassword's modeled errors:
https://docs.aws.amazon.com/IAM/latest/APIReference/API_ChangePassword.html).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from castellan_e2e import ACCOUNT_ID, REGION, assert_error, dumps, policy_doc, vm_hwm_mb

PASSWORD = "Corr3ct-Horse-Battery-Staple!"
FLOOD = 200
# A behaviour bound, not a measurement: unbounded, 200 argon2 computations hold ~4 GB.
MAX_HWM_MB = 500


def wide_client(server, key: dict, connections: int):
    """A boto3 IAM client with a connection per concurrent call and no retries."""
    cfg = Config(
        region_name=REGION,
        retries={"total_max_attempts": 1, "mode": "standard"},
        max_pool_connections=connections,
        connect_timeout=10,
        read_timeout=120,
    )
    return boto3.session.Session().client(
        "iam",
        endpoint_url=server.endpoint,
        region_name=REGION,
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
        config=cfg,
    )


@pytest.mark.fresh
def test_change_password_flood_from_a_narrow_user_is_bounded(fresh_server):
    if fresh_server.proc is None:
        pytest.skip("needs the server's process (CASTELLAN_E2E_ENDPOINT is set)")
    iam = fresh_server.iam()
    iam.create_user(UserName="mallory")
    iam.attach_user_policy(UserName="mallory", PolicyArn="arn:aws:iam::aws:policy/IAMUserChangePassword")
    iam.create_login_profile(UserName="mallory", Password=PASSWORD)
    mallory = wide_client(fresh_server, iam.create_access_key(UserName="mallory")["AccessKey"], FLOOD)

    iam.create_user(UserName="bystander")
    arn = f"arn:aws:iam::{ACCOUNT_ID}:user/bystander"
    iam.put_user_policy(UserName="bystander", PolicyName="self", PolicyDocument=dumps(policy_doc("iam:GetUser", arn)))
    bystander = wide_client(fresh_server, iam.create_access_key(UserName="bystander")["AccessKey"], 2)

    start = threading.Barrier(FLOOD + 1)

    def wrong_guess(i: int) -> str:
        start.wait()
        try:
            mallory.change_password(OldPassword=f"Wr0ng-Guess-{i}!", NewPassword="N3w-Passw0rd-Here!")
        except ClientError as e:
            return e.response["Error"]["Code"]
        return "ok"

    with ThreadPoolExecutor(max_workers=FLOOD) as pool:
        calls = [pool.submit(wrong_guess, i) for i in range(FLOOD)]
        start.wait()
        # Another client's signed request is served during the flood.
        assert bystander.get_user()["User"]["UserName"] == "bystander"
        codes = [c.result() for c in calls]

    assert set(codes) <= {"InvalidInput", "LimitExceeded", "Throttling"}, set(codes)
    # At most 5 wrong passwords were checked; every other guess was refused unchecked.
    assert codes.count("InvalidInput") <= 5, codes.count("InvalidInput")
    assert "LimitExceeded" in codes
    # The user stays locked, even with the right password, and the refusal is AWS-shaped.
    with pytest.raises(ClientError) as e:
        mallory.change_password(OldPassword=PASSWORD, NewPassword="N3w-Passw0rd-Here!")
    assert_error(e, "LimitExceeded", 409, contains="mallory")
    assert bystander.get_user()["User"]["UserName"] == "bystander"
    hwm = vm_hwm_mb(fresh_server.proc.pid)
    assert hwm < MAX_HWM_MB, f"server VmHWM {hwm:.0f} MB"
