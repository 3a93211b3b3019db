#!/usr/bin/env python3
"""Running Castellan (issue 16): start-up time, idle memory, and request throughput with and
without the audit trail. A benchmark, not a test: it measures and prints, it asserts nothing.

    cargo build --release --bin castellan --bin castellan-loadgen
    python3 bench/ops.py [--bin target/release/castellan] [--loadgen target/release/castellan-loadgen]
                         [--starts 20] [--duration 5] [--rounds 3] [--concurrency 16]

- start-up: from spawning `castellan serve --in-memory` to the first answered request
  (`GET /healthz` polled every millisecond), and to the first answered signed request
  (`GetCallerIdentity`, sent as soon as /healthz answered), over --starts runs;
- idle RSS: VmRSS of an empty in-memory server 2 s after it answered, and after a request
  that loads the AWS managed policies (ListPolicies);
- throughput: castellan-loadgen against a server with a data directory, the audit trail on
  (JSON lines on disk, fsync per batch) and off (--no-audit), alternating, --rounds each, for
  GetUser (IAM: authorization) and GetCallerIdentity (STS).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
KEY, SECRET = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env() -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CASTELLAN_"))}
    e.update(CASTELLAN_ACCOUNT_ID="123456789012", CASTELLAN_ROOT_ACCESS_KEY_ID=KEY, CASTELLAN_ROOT_SECRET_ACCESS_KEY=SECRET)
    return e


def start(binary: str, args: list[str], port: int) -> subprocess.Popen:
    return subprocess.Popen([binary, "serve", "--listen", f"127.0.0.1:{port}", *args], env=env(),
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def healthz(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            return s.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def signed_call(port: int) -> bool:
    import botocore.auth
    import botocore.awsrequest
    import botocore.credentials

    req = botocore.awsrequest.AWSRequest(method="POST", url=f"http://127.0.0.1:{port}/",
                                         data=b"Action=GetCallerIdentity&Version=2011-06-15",
                                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(KEY, SECRET), "sts", "us-east-1").add_auth(req)
    p = req.prepare()
    r = urllib.request.Request(p.url, data=p.body, method="POST", headers=dict(p.headers.items()))
    with urllib.request.urlopen(r, timeout=10) as resp:
        return resp.status == 200


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def startup(binary: str, runs: int) -> None:
    to_health, to_signed = [], []
    import botocore.auth  # noqa: F401  (imported before timing)

    for _ in range(runs):
        port = free_port()
        t0 = time.perf_counter()
        proc = start(binary, ["--in-memory"], port)
        try:
            while not healthz(port):
                if proc.poll() is not None:
                    raise SystemExit("the server exited")
                time.sleep(0.001)
            t1 = time.perf_counter()
            signed_call(port)
            t2 = time.perf_counter()
            to_health.append((t1 - t0) * 1e3)
            to_signed.append((t2 - t0) * 1e3)
        finally:
            proc.terminate()
            proc.wait()
    print(f"start-up to first answer (/healthz), {runs} runs: median {statistics.median(to_health):.0f} ms, "
          f"min {min(to_health):.0f} ms, max {max(to_health):.0f} ms")
    print(f"start-up to first signed answer (GetCallerIdentity): median {statistics.median(to_signed):.0f} ms, "
          f"min {min(to_signed):.0f} ms, max {max(to_signed):.0f} ms")


def idle_memory(binary: str) -> None:
    port = free_port()
    proc = start(binary, ["--in-memory"], port)
    try:
        while not healthz(port):
            time.sleep(0.01)
        time.sleep(2)
        idle = rss_kib(proc.pid)
        signed_call(port)
        time.sleep(0.5)
        after_call = rss_kib(proc.pid)
        import boto3

        iam = boto3.client("iam", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                           aws_access_key_id=KEY, aws_secret_access_key=SECRET)
        iam.list_policies(Scope="AWS", MaxItems=10)
        time.sleep(0.5)
        managed = rss_kib(proc.pid)
    finally:
        proc.terminate()
        proc.wait()
    print(f"idle RSS of an empty server: {idle / 1024:.1f} MiB; after a signed request {after_call / 1024:.1f} MiB; "
          f"after the AWS managed policies are loaded (ListPolicies) {managed / 1024:.1f} MiB")


def writer_cpu_s(pid: int) -> float:
    """CPU seconds of the audit writer thread (`castellan-audit`), from /proc."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            if (task / "comm").read_text().strip() == "castellan-audit":
                fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
                return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except OSError:
            continue
    return 0.0


def events_on_disk(data: Path) -> int:
    return sum(len(f.read_bytes().splitlines()) for f in (data / "audit").glob("*.jsonl")) if (data / "audit").exists() else 0


def loadgen(tool: str, port: int, pid: int, operation: str, duration: float, concurrency: int) -> dict:
    out = subprocess.run([tool, "--endpoint", f"http://127.0.0.1:{port}", "--access-key-id", KEY, "--secret-access-key", SECRET,
                          "--operation", operation, "--concurrency", str(concurrency), "--duration", str(duration),
                          "--warmup", "1", "--server-pid", str(pid), "--json"],
                         capture_output=True, text=True, timeout=duration + 120)
    if out.returncode not in (0, 1):
        raise SystemExit(f"loadgen failed: {out.stderr}")
    return json.loads(out.stdout)


def throughput(binary: str, tool: str, duration: float, rounds: int, concurrency: int) -> None:
    results: dict[tuple[str, str], list[dict]] = {}
    for r in range(rounds):
        for mode, args in (("audit on", []), ("audit off", ["--no-audit"])):
            data = Path(tempfile.mkdtemp(prefix="castellan-bench-ops-"))
            port = free_port()
            proc = start(binary, ["--data-dir", str(data), *args], port)
            try:
                while not healthz(port):
                    time.sleep(0.01)
                for op in ("get-user", "get-caller-identity"):
                    cpu0, events0 = writer_cpu_s(proc.pid), events_on_disk(data)
                    run = loadgen(tool, port, proc.pid, op, duration, concurrency)
                    time.sleep(0.2)  # the writer's last batch
                    events = events_on_disk(data) - events0
                    run["writer_us_per_event"] = (writer_cpu_s(proc.pid) - cpu0) * 1e6 / events if events else 0.0
                    results.setdefault((op, mode), []).append(run)
            finally:
                proc.terminate()
                proc.wait()
                events = events_on_disk(data)
                shutil.rmtree(data, ignore_errors=True)
            print(f"round {r + 1} {mode}: {events} audit events written")
    print(f"\nthroughput, {concurrency} connections, {duration:.0f} s x {rounds} rounds (median; server CPU per request):")
    for op in ("get-user", "get-caller-identity"):
        line = []
        for mode in ("audit off", "audit on"):
            runs = results[(op, mode)]
            rps = statistics.median(x["throughput_rps"] for x in runs)
            cpu = statistics.median(x.get("server_cpu_us_per_request") or 0 for x in runs)
            writer = statistics.median(x["writer_us_per_event"] for x in runs)
            p99 = statistics.median(x["latency_ms"]["p99"] for x in runs)
            line.append((mode, rps, cpu, writer, p99))
        off, on = line[0], line[1]
        cells = "; ".join(f"{m}: {rps:,.0f} req/s, {cpu:.1f} µs CPU/req (writer {w:.1f}), p99 {p99:.2f} ms" for m, rps, cpu, w, p99 in line)
        path_off, path_on = off[2] - off[3], on[2] - on[3]
        print(f"  {op:20} {cells}")
        print(f"  {'':20} throughput {100 * (on[1] - off[1]) / off[1]:+.1f}% with the trail; CPU on the request path "
              f"(all but the writer thread) {path_off:.1f} -> {path_on:.1f} µs/req ({100 * (path_on - path_off) / path_off:+.1f}%)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=str(REPO / "target/release/castellan"))
    ap.add_argument("--loadgen", default=str(REPO / "target/release/castellan-loadgen"))
    ap.add_argument("--starts", type=int, default=20)
    ap.add_argument("--duration", type=float, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--skip-throughput", action="store_true")
    a = ap.parse_args()
    startup(a.bin, a.starts)
    idle_memory(a.bin)
    if not a.skip_throughput:
        throughput(a.bin, a.loadgen, a.duration, a.rounds, a.concurrency)


if __name__ == "__main__":
    main()
