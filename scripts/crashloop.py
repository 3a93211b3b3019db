#!/usr/bin/env python3
"""Crash loop: `kill -9` a `castellan serve` under write load, again and again, and prove after
every restart that every acknowledged write is there.

Each cycle: writers send CreateUser (and DeleteUser of users they created earlier), signed by
boto3, to the running server and record every write the server acknowledged; after a random
moment the server is killed with SIGKILL mid-load; it is started again on the same data (the
data directory's SQLite file, or a PostgreSQL database), and every acknowledged user must be
listed and every acknowledged deletion must have stayed deleted. A write whose answer was lost
with the kill may or may not have happened: it is not counted either way.

Not part of the default test run (it takes a while). Examples:

    cargo build --bin castellan
    scripts/crashloop.py --backend sqlite --cycles 1000
    scripts/crashloop.py --backend postgres --cycles 1000 \
        --database-url postgres://postgres@127.0.0.1:5432/castellan_crashloop --reset-database

Prints one line per cycle with --verbose, and a summary at the end (also as JSON with --json);
exits non-zero if any acknowledged write was lost or the server failed to start.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import boto3
from botocore.config import Config

ACCOUNT_ID = "123456789012"
ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
LISTEN_RE = re.compile(r"listening on http://127\.0\.0\.1:(\d+)")
REPO = Path(__file__).resolve().parents[1]


class StartFailed(Exception):
    pass


class Server:
    def __init__(self, binary: Path, data_dir: Path, database_url: str | None, log: Path) -> None:
        self.binary, self.data_dir, self.database_url, self.log = binary, data_dir, database_url, log
        self.proc: subprocess.Popen | None = None
        self.port = 0

    def start(self, timeout: float = 60) -> None:
        cmd = [str(self.binary), "serve", "--data-dir", str(self.data_dir), "--listen", "127.0.0.1:0"]
        if self.database_url:
            cmd += ["--database-url", self.database_url]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CASTELLAN_"))}
        env.update(
            CASTELLAN_ACCOUNT_ID=ACCOUNT_ID,
            CASTELLAN_ROOT_ACCESS_KEY_ID=ACCESS_KEY_ID,
            CASTELLAN_ROOT_SECRET_ACCESS_KEY=SECRET_ACCESS_KEY,
            CASTELLAN_LOG="warn",
        )
        with open(self.log, "ab") as err:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err, env=env)
        lines: queue.Queue[str | None] = queue.Queue()

        def pump() -> None:
            assert self.proc and self.proc.stdout
            for raw in iter(self.proc.stdout.readline, b""):
                lines.put(raw.decode("utf-8", "replace"))
            lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                self.kill()
                raise StartFailed(f"no 'listening' line within {timeout}s")
            if line is None:
                self.proc.wait()
                tail = self.log.read_text(errors="replace")[-2000:]
                raise StartFailed(f"exited with {self.proc.returncode} before listening:\n{tail}")
            m = LISTEN_RE.search(line)
            if m:
                self.port = int(m.group(1))
                return

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def client(self):
        return boto3.client(
            "iam",
            endpoint_url=f"http://127.0.0.1:{self.port}",
            region_name="us-east-1",
            aws_access_key_id=ACCESS_KEY_ID,
            aws_secret_access_key=SECRET_ACCESS_KEY,
            config=Config(retries={"max_attempts": 1}, connect_timeout=3, read_timeout=30),
        )


class Ledger:
    """What the server acknowledged."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.present: set[str] = set()  # created, acknowledged, not deleted since
        self.deleted: set[str] = set()  # deletion acknowledged
        self.acknowledged = 0
        self.pool: list[str] = []  # present users no writer is deleting: candidates for deletion

    def take(self, rng: random.Random) -> str | None:
        """A present user to delete (no longer counted as present: the outcome is uncertain
        until acknowledged)."""
        with self.lock:
            if not self.pool:
                return None
            i = rng.randrange(len(self.pool))
            self.pool[i], self.pool[-1] = self.pool[-1], self.pool[i]
            name = self.pool.pop()
            self.present.discard(name)
            return name


def writer(
    server: Server, ledger: Ledger, stop: threading.Event, prefix: str, budget: int, max_users: int, rng: random.Random
) -> None:
    iam = server.client()
    for i in range(budget):
        if stop.is_set():
            return
        # One write in five deletes; past --max-users, as many delete as create.
        name = ledger.take(rng) if rng.random() < (0.2 if len(ledger.present) < max_users else 0.5) else None
        if name is not None:
            try:
                iam.delete_user(UserName=name)
            except Exception:
                return  # the server is gone (or going): the outcome is unknown
            with ledger.lock:
                ledger.deleted.add(name)
                ledger.acknowledged += 1
        else:
            name = f"{prefix}-{i}"
            try:
                iam.create_user(UserName=name)
            except Exception:
                return
            with ledger.lock:
                ledger.present.add(name)
                ledger.pool.append(name)
                ledger.acknowledged += 1


def list_users(server: Server) -> set[str]:
    iam = server.client()
    names: set[str] = set()
    for page in iam.get_paginator("list_users").paginate(PaginationConfig={"PageSize": 1000}):
        names.update(u["UserName"] for u in page["Users"])
    return names


def reset_database(url: str) -> None:
    base, _, name = url.rpartition("/")
    name = name.split("?")[0]
    admin = base + "/postgres"
    subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], check=True)
    subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {name}"], check=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--cycles", type=int, default=1000)
    ap.add_argument("--bin", type=Path, default=Path(os.environ.get("CASTELLAN_BIN", REPO / "target/debug/castellan")))
    ap.add_argument("--database-url", default=os.environ.get("CASTELLAN_CRASHLOOP_DATABASE_URL"))
    ap.add_argument("--reset-database", action="store_true", help="drop and create the PostgreSQL database first")
    ap.add_argument("--work-dir", type=Path, help="where the data directory and logs go (default: a new temporary one)")
    ap.add_argument("--writers", type=int, default=3)
    ap.add_argument("--writes-per-cycle", type=int, default=15, help="at most this many writes per writer per cycle")
    ap.add_argument(
        "--max-users", type=int, default=3000, help="past this many users, deletions balance creations (bounds each check)"
    )
    ap.add_argument("--min-run", type=float, default=0.1, help="seconds of load before the kill, at least")
    ap.add_argument("--max-run", type=float, default=0.8, help="seconds of load before the kill, at most")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--json", type=Path, help="also write the summary here")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    if args.backend == "postgres" and not args.database_url:
        ap.error("--backend postgres needs --database-url (or CASTELLAN_CRASHLOOP_DATABASE_URL)")
    if args.backend == "postgres" and args.reset_database:
        reset_database(args.database_url)

    work = args.work_dir or Path(tempfile.mkdtemp(prefix=f"castellan-crashloop-{args.backend}-"))
    work.mkdir(parents=True, exist_ok=True)
    data = work / "data"
    # A copy: rebuilding while the loop runs must not change the binary under test.
    binary = work / "castellan"
    shutil.copy2(args.bin, binary)
    rng = random.Random(args.seed)
    server = Server(binary, data, args.database_url if args.backend == "postgres" else None, work / "server.log")
    ledger = Ledger()
    lost: list[str] = []
    resurrected: list[str] = []
    failure = None
    started = time.monotonic()
    cycles = 0
    # SIGTERM ends the loop as Ctrl-C does: with the summary of the cycles done.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    server.start()
    try:
        for cycle in range(args.cycles):
            stop = threading.Event()
            threads = [
                threading.Thread(
                    target=writer,
                    args=(
                        server, ledger, stop, f"c{cycle}-w{w}", args.writes_per_cycle, args.max_users,
                        random.Random(rng.random()),
                    ),
                    daemon=True,
                )
                for w in range(args.writers)
            ]
            for t in threads:
                t.start()
            time.sleep(rng.uniform(args.min_run, args.max_run))
            server.kill()
            stop.set()
            for t in threads:
                t.join()
            try:
                server.start()
            except StartFailed as e:
                failure = f"cycle {cycle + 1}: the server did not restart: {e}"
                break
            cycles += 1
            names = list_users(server)
            with ledger.lock:
                missing = sorted(ledger.present - names)
                back = sorted(ledger.deleted & names)
            lost += missing
            resurrected += back
            if args.verbose or missing or back:
                print(
                    f"cycle {cycle + 1}: {ledger.acknowledged} acknowledged, {len(names)} users listed, "
                    f"{len(missing)} lost, {len(back)} deletions undone",
                    flush=True,
                )
            if (cycle + 1) % 50 == 0 and not args.verbose:
                print(f"{cycle + 1} cycles, {ledger.acknowledged} acknowledged writes, "
                      f"{len(lost) + len(resurrected)} lost, {time.monotonic() - started:.0f} s", flush=True)
    except KeyboardInterrupt:
        failure = f"interrupted after {cycles} cycles"
    finally:
        server.kill()
    summary = {
        "backend": args.backend,
        "cycles": cycles,
        "acknowledged_writes": ledger.acknowledged,
        "users_expected_at_end": len(ledger.present),
        "acknowledged_deletions": len(ledger.deleted),
        "lost_writes": len(lost) + len(resurrected),
        "lost_creates": lost[:20],
        "undone_deletions": resurrected[:20],
        "seconds": round(time.monotonic() - started, 1),
        "failure": failure,
        "work_dir": str(work),
    }
    print(
        f"crash loop ({args.backend}): {cycles} kill -9 cycles, {ledger.acknowledged} acknowledged writes, "
        f"{summary['lost_writes']} lost, {summary['seconds']} s" + (f"; {failure}" if failure else "")
    )
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2) + "\n")
    interrupted = failure is not None and failure.startswith("interrupted")
    return 0 if summary["lost_writes"] == 0 and (failure is None or interrupted) else 1


if __name__ == "__main__":
    sys.exit(main())
