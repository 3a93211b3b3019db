#!/usr/bin/env python3
"""Memory high-water mark of the server under a flood of ChangePassword calls with a wrong old
password (the security finding: 150 such calls took a server from 0.10 to 2.95 GB).

Starts `castellan serve --in-memory`, creates USERS users that each hold only the AWS managed
policy IAMUserChangePassword and a console password, then fires CALLS concurrent
ChangePassword calls (spread round-robin over the users) with a wrong old password, all
released at once. While they run, another user's signed GetUser is timed. Prints the server's
VmHWM (peak resident set, /proc/PID/status) before and after, the answers by error code, and
the wall time of the flood and of the GetUser.

    python3 bench/password_flood.py --bin target/debug/castellan --calls 500 --users 1
    python3 bench/password_flood.py --bin target/debug/castellan --calls 500 --users 100
"""

from __future__ import annotations

import argparse
import collections
import os
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ROOT = ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
PASSWORD = "Corr3ct-Horse-Battery-Staple!"


def start(bin_path: str) -> tuple[subprocess.Popen, str]:
    env = dict(
        os.environ,
        CASTELLAN_ACCOUNT_ID="123456789012",
        CASTELLAN_ROOT_ACCESS_KEY_ID=ROOT[0],
        CASTELLAN_ROOT_SECRET_ACCESS_KEY=ROOT[1],
        CASTELLAN_LOG="warn",
    )
    proc = subprocess.Popen(
        [bin_path, "serve", "--listen", "127.0.0.1:0", "--in-memory"], env=env, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if "listening on " in line:
            return proc, line.split("listening on ", 1)[1].strip()
    raise SystemExit("server did not start")


def client(endpoint: str, key: tuple[str, str], connections: int = 10):
    cfg = Config(
        region_name="us-east-1",
        retries={"total_max_attempts": 1, "mode": "standard"},
        max_pool_connections=connections,
        connect_timeout=30,
        read_timeout=600,
    )
    return boto3.session.Session().client(
        "iam", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=key[0], aws_secret_access_key=key[1], config=cfg
    )


def vm_hwm_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default="target/debug/castellan")
    ap.add_argument("--calls", type=int, default=500)
    ap.add_argument("--users", type=int, default=1)
    args = ap.parse_args()

    proc, endpoint = start(args.bin)
    try:
        root = client(endpoint, ROOT)
        users = []
        for i in range(args.users):
            name = f"flood-{i}"
            root.create_user(UserName=name)
            root.attach_user_policy(UserName=name, PolicyArn="arn:aws:iam::aws:policy/IAMUserChangePassword")
            root.create_login_profile(UserName=name, Password=PASSWORD)
            k = root.create_access_key(UserName=name)["AccessKey"]
            users.append(client(endpoint, (k["AccessKeyId"], k["SecretAccessKey"]), args.calls))
        root.create_user(UserName="bystander")
        root.attach_user_policy(UserName="bystander", PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
        k = root.create_access_key(UserName="bystander")["AccessKey"]
        bystander = client(endpoint, (k["AccessKeyId"], k["SecretAccessKey"]))
        bystander.get_user()

        before = vm_hwm_mb(proc.pid)
        start_all = threading.Barrier(args.calls + 1)

        def guess(i: int) -> str:
            start_all.wait()
            try:
                users[i % len(users)].change_password(OldPassword=f"Wr0ng-{i}!", NewPassword="N3w-Passw0rd-Here!")
                return "ok"
            except ClientError as e:
                return e.response["Error"]["Code"]
            except Exception as e:  # transport failure
                return type(e).__name__

        with ThreadPoolExecutor(max_workers=args.calls) as pool:
            calls = [pool.submit(guess, i) for i in range(args.calls)]
            start_all.wait()
            t0 = time.monotonic()
            bystander.get_user()
            get_user_s = time.monotonic() - t0
            codes = collections.Counter(c.result() for c in calls)
            flood_s = time.monotonic() - t0
        after = vm_hwm_mb(proc.pid)
        print(f"binary       {args.bin}")
        print(f"flood        {args.calls} concurrent ChangePassword (wrong old password), {args.users} user(s)")
        print(f"answers      {dict(sorted(codes.items()))}")
        print(f"VmHWM        {before:.0f} MB before, {after:.0f} MB after")
        print(f"wall time    flood {flood_s:.2f} s; another client's GetUser during it {get_user_s:.3f} s")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
