#!/usr/bin/env python3
"""Cross-node visibility delay: how long a change made through one node takes to be used by
another node's authentication.

Starts two `castellan serve` nodes on one PostgreSQL database, then repeatedly creates an
access key through node A and measures the time until node B accepts a request signed with it
(polling every 5 ms). Prints p50, p90, p99 and max over the trials.

    python3 bench/visibility.py --bin target/release/castellan \
        --database-url postgres://postgres@127.0.0.1:5432/castellan_bench --trials 200
"""

from __future__ import annotations

import argparse
import base64
import os
import random
import subprocess
import time

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ROOT = ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")


def start(bin_path: str, url: str, key: str, data_dir: str) -> tuple[subprocess.Popen, str]:
    env = dict(
        os.environ,
        CASTELLAN_ACCOUNT_ID="123456789012",
        CASTELLAN_ROOT_ACCESS_KEY_ID=ROOT[0],
        CASTELLAN_ROOT_SECRET_ACCESS_KEY=ROOT[1],
        CASTELLAN_MASTER_KEY=key,
        CASTELLAN_LOG="warn",
    )
    proc = subprocess.Popen(
        [bin_path, "serve", "--listen", "127.0.0.1:0", "--database-url", url, "--data-dir", data_dir],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if "listening on " in line:
            return proc, line.split("listening on ", 1)[1].strip()
    raise SystemExit("node did not start")


def client(endpoint: str, key: str, secret: str):
    cfg = Config(retries={"total_max_attempts": 1}, region_name="us-east-1")
    return boto3.client("iam", endpoint_url=endpoint, aws_access_key_id=key, aws_secret_access_key=secret, config=cfg)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/release/castellan")
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--trials", type=int, default=200)
    args = ap.parse_args()
    master = os.environ.get("CASTELLAN_MASTER_KEY") or base64.b64encode(os.urandom(32)).decode()
    a, ea = start(args.bin, args.database_url, master, "/tmp/castellan-vis-a")
    b, eb = start(args.bin, args.database_url, master, "/tmp/castellan-vis-b")
    try:
        root_a = client(ea, *ROOT)
        user = f"vis-{os.getpid()}"
        root_a.create_user(UserName=user)
        root_a.attach_user_policy(UserName=user, PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
        delays = []
        for _ in range(args.trials):
            # Arrive at a random point of node B's follow interval, not in step with it.
            time.sleep(random.uniform(0, 0.25))
            k = root_a.create_access_key(UserName=user)["AccessKey"]
            t0 = time.perf_counter()
            on_b = client(eb, k["AccessKeyId"], k["SecretAccessKey"])
            while True:
                try:
                    on_b.get_user(UserName=user)
                    break
                except ClientError:
                    if time.perf_counter() - t0 > 5:
                        raise SystemExit("not visible after 5 s")
                    time.sleep(0.005)
            delays.append(time.perf_counter() - t0)
            root_a.delete_access_key(UserName=user, AccessKeyId=k["AccessKeyId"])
        delays.sort()
        pct = lambda p: delays[min(len(delays) - 1, int(p / 100 * len(delays)))] * 1000  # noqa: E731
        print(f"cross-node visibility over {len(delays)} trials: p50 {pct(50):.0f} ms, p90 {pct(90):.0f} ms, p99 {pct(99):.0f} ms, max {delays[-1] * 1000:.0f} ms")
    finally:
        for p in (a, b):
            p.terminate()
            p.wait(timeout=10)


if __name__ == "__main__":
    main()
