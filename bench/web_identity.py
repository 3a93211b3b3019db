#!/usr/bin/env python3
"""AssumeRoleWithWebIdentity latency: the first call for an issuer (discovery and JWKS fetched
over HTTPS from a loopback issuer) and then calls verified with the cached keys.

Starts the loopback issuer of the e2e suite (tests/e2e/oidc_issuer.py) and one `castellan
serve --in-memory` trusting its CA, registers the provider and a role, then makes `--calls`
sequential calls with boto3 (unsigned, as on AWS) and prints p50, p90, p99 and the rate.
Needs the e2e suite's Python (boto3, PyJWT, cryptography):

    tests/e2e/.venv/bin/python bench/web_identity.py --bin target/release/castellan --calls 500
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))

import boto3  # noqa: E402
from botocore import UNSIGNED  # noqa: E402
from botocore.config import Config  # noqa: E402
from oidc_issuer import IssuerServer  # noqa: E402

ROOT = ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100 * len(xs)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", default="target/release/castellan")
    ap.add_argument("--calls", type=int, default=500)
    args = ap.parse_args()

    issuers = IssuerServer()
    issuer = issuers.issuer()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CASTELLAN_"))}
    env.update(CASTELLAN_ACCOUNT_ID="123456789012", CASTELLAN_ROOT_ACCESS_KEY_ID=ROOT[0],
               CASTELLAN_ROOT_SECRET_ACCESS_KEY=ROOT[1], CASTELLAN_CA_BUNDLE=issuers.ca_bundle, CASTELLAN_LOG="warn")
    proc = subprocess.Popen([args.bin, "serve", "--in-memory", "--listen", "127.0.0.1:0"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        endpoint = None
        while endpoint is None:
            line = proc.stdout.readline()
            if not line:
                raise SystemExit("castellan exited")
            if "listening on " in line:
                endpoint = line.split("listening on ")[1].strip()
        cfg = dict(endpoint_url=endpoint, region_name="us-east-1")
        iam = boto3.client("iam", aws_access_key_id=ROOT[0], aws_secret_access_key=ROOT[1], **cfg)
        provider = iam.create_open_id_connect_provider(Url=issuer.url, ClientIDList=["sts.amazonaws.com"])["OpenIDConnectProviderArn"]
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": provider},
                                                          "Action": "sts:AssumeRoleWithWebIdentity"}]}
        role = iam.create_role(RoleName="bench", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        sts = boto3.client("sts", config=Config(signature_version=UNSIGNED, retries={"total_max_attempts": 1}), **cfg)
        token = issuer.token(exp=int(time.time()) + 3600)

        def call() -> float:
            t = time.perf_counter()
            sts.assume_role_with_web_identity(RoleArn=role, RoleSessionName="bench", WebIdentityToken=token)
            return time.perf_counter() - t

        first = call()
        times = [call() for _ in range(args.calls)]
        total = sum(times)
        print(f"first call (discovery + JWKS over HTTPS): {first * 1000:.1f} ms; JWKS fetches: {issuer.fetches}")
        print(f"cached keys, {args.calls} sequential calls: p50 {pct(times, 50) * 1000:.2f} ms, "
              f"p90 {pct(times, 90) * 1000:.2f} ms, p99 {pct(times, 99) * 1000:.2f} ms, {args.calls / total:.0f} calls/s")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        issuers.stop()


if __name__ == "__main__":
    main()
