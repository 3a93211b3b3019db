"""The server refuses to start rather than serve silently older or unreadable data.

Castellan-specific behaviour (no AWS doc page): see ARCHITECTURE.md ("Several nodes: the store
and its change feed", damage and the revision marker) and the README's data directory notes.
Findings 13 and 16 of the security-hardening review."""

import os
import subprocess
from pathlib import Path

import pytest

from castellan_e2e import SHARED_MASTER_KEY, Server, castellan_bin, postgres_url

pytestmark = pytest.mark.persistence

USERS = 30


def run_serve(args: list[str], env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    """Runs `castellan serve` expecting it to refuse; one that starts instead is killed and
    reported as started."""
    proc = subprocess.Popen(
        [str(castellan_bin()), "serve", "--listen", "127.0.0.1:0", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"the server started instead of refusing: {out.decode()} {err.decode()}")
    return subprocess.CompletedProcess(proc.args, proc.returncode, out.decode(), err.decode())


def users_then_kill_9(server_factory, data: Path) -> None:
    srv = server_factory(data_dir=data)
    iam = srv.iam()
    for i in range(USERS):
        iam.create_user(UserName=f"acked-{i}")
    srv.kill()  # SIGKILL: the commits stay in the write-ahead log
    assert (data / "castellan.db-wal").stat().st_size > 0


def test_flipped_bytes_in_the_wal_refuse_to_start_instead_of_losing_acknowledged_users(server_factory, tmp_path):
    """Bytes flipped in the middle of the WAL made SQLite drop every later frame: the server
    started with 14 of 30 acknowledged users. Now it exits non-zero and says why."""
    data = tmp_path / "data"
    users_then_kill_9(server_factory, data)
    wal = data / "castellan.db-wal"
    raw = bytearray(wal.read_bytes())
    middle = len(raw) // 2
    for i in range(middle, middle + 64):
        raw[i] ^= 0xA5
    wal.write_bytes(bytes(raw))

    env = Server(data_dir=data).env()
    done = run_serve(["--data-dir", str(data)], env)
    assert done.returncode != 0, done
    assert "castellan: storage corrupt:" in done.stderr, done.stderr
    assert "were acknowledged" in done.stderr and "castellan.db-wal" in done.stderr, done.stderr
    assert "listening" not in done.stdout
    # And again: the refusal did not fold the damaged log into the database.
    assert run_serve(["--data-dir", str(data)], env).returncode != 0


def test_a_clean_restart_after_kill_9_keeps_every_acknowledged_user(server_factory, tmp_path):
    data = tmp_path / "data"
    users_then_kill_9(server_factory, data)
    srv = server_factory(data_dir=data)
    names = {u["UserName"] for u in srv.iam().list_users()["Users"]}
    assert names == {f"acked-{i}" for i in range(USERS)}
    srv.stop()


def test_missing_master_key_next_to_postgres_data_is_not_replaced(server_factory, tmp_path):
    """A node started on a PostgreSQL database that holds data, without the master key,
    refuses, naming the file, and writes no new key there."""
    url = postgres_url()
    srv = server_factory(database_url=url, master_key=SHARED_MASTER_KEY, data_dir=tmp_path / "node-a")
    srv.iam().create_user(UserName=f"sealed-{os.getpid()}-{tmp_path.name}"[:64])
    srv.stop()

    fresh = tmp_path / "node-b"
    fresh.mkdir()
    env = {k: v for k, v in Server(data_dir=fresh).env().items() if k != "CASTELLAN_MASTER_KEY"}
    done = run_serve(["--data-dir", str(fresh), "--database-url", url], env)
    assert done.returncode != 0, done
    assert f"{fresh / 'master.key'} is missing" in done.stderr, done.stderr
    assert not (fresh / "master.key").exists()
