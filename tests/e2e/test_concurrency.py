"""Quotas and uniqueness under concurrent requests, 100 rounds each: on PostgreSQL with the two
requests sent to two different nodes, and on SQLite with both sent to one node.

  * Two CreateAccessKey calls at once for a user that has one key: exactly one succeeds, the
    other gets LimitExceeded ("Cannot exceed quota for AccessKeysPerUser: 2", 409). IAM User
    Guide, "IAM and AWS STS quotas": access keys per user, 2.
  * Two CreateUser calls at once for the same name (alternately in the same and in different
    letter case: names are unique case-insensitively): exactly one succeeds, the other gets
    EntityAlreadyExists ("User with name … already exists.", 409). IAM API Reference,
    CreateUser: EntityAlreadyExists.

Each round fires both requests from two threads released by one barrier. The PostgreSQL
variant needs CASTELLAN_TEST_DATABASE_URL (skipped without it locally, failing under CI=true).
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable

import pytest
from botocore.exceptions import ClientError

from castellan_e2e import SHARED_MASTER_KEY, Server, assert_error, postgres_url, unique

ROUNDS = 100
QUOTA_MESSAGE = "Cannot exceed quota for AccessKeysPerUser: 2"


@pytest.fixture(scope="module", params=["postgres", "sqlite"])
def backend(request, server_factory, tmp_path_factory) -> tuple[str, list[Server]]:
    """The servers the two racing requests go to: two nodes on one PostgreSQL database, or a
    single node on SQLite (both requests to it)."""
    if request.param == "postgres":
        url = postgres_url()
        servers = [server_factory(database_url=url, master_key=SHARED_MASTER_KEY) for _ in range(2)]
    else:
        servers = [server_factory(data_dir=tmp_path_factory.mktemp("sqlite-concurrency"))]
    yield request.param, servers
    for srv in servers:
        srv.stop()


class Race:
    """Two clients (one per target server) that fire one call each at the same instant."""

    def __init__(self, servers: list[Server]) -> None:
        targets = servers if len(servers) > 1 else servers * 2
        self.clients = [srv.iam() for srv in targets[:2]]
        self.barrier = threading.Barrier(2)

    def run(self, call: Callable[[Any, int], Any]) -> list[Any]:
        """Runs `call(client, i)` for i in 0, 1 at once; returns each result or ClientError."""
        out: list[Any] = [None, None]

        def fire(i: int) -> None:
            self.barrier.wait()
            try:
                out[i] = call(self.clients[i], i)
            except ClientError as exc:
                out[i] = exc

        threads = [threading.Thread(target=fire, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not any(t.is_alive() for t in threads)
        return out


def split(results: list[Any]) -> tuple[list[Any], list[ClientError]]:
    ok = [r for r in results if not isinstance(r, ClientError)]
    failed = [r for r in results if isinstance(r, ClientError)]
    return ok, failed


def eventually_equal(get: Callable[[], Any], want: Any, within_s: float = 20.0) -> None:
    """Polls until `get()` equals `want`; the bound is generous (behaviour, not timing)."""
    deadline = time.monotonic() + within_s
    while True:
        try:
            got = get()
        except ClientError as exc:  # not there yet on this node
            got = exc
        if got == want or time.monotonic() >= deadline:
            assert got == want
            return
        time.sleep(0.02)


def test_two_concurrent_create_access_key_calls_on_a_user_with_one_key(backend):
    kind, servers = backend
    race = Race(servers)
    admin = race.clients[0]
    # Every round's user, with its first key, made up front; then wait until the other node
    # has them all (it follows the change feed in commit order, so the last one will do).
    users = [unique(f"race-key-{i}") for i in range(ROUNDS)]
    for user in users:
        admin.create_user(UserName=user)
        admin.create_access_key(UserName=user)
    eventually_equal(lambda: len(race.clients[1].list_access_keys(UserName=users[-1])["AccessKeyMetadata"]), 1)

    started = time.monotonic()
    for round_, user in enumerate(users):
        results = race.run(lambda client, i: client.create_access_key(UserName=user)["AccessKey"])
        ok, failed = split(results)
        assert len(ok) == 1, f"{kind} round {round_}: {results}"
        assert len(failed) == 1
        assert_error(failed[0], "LimitExceeded", 409, QUOTA_MESSAGE)

        # Every node then holds exactly two keys for the user, never three.
        for client in race.clients:
            eventually_equal(lambda: len(client.list_access_keys(UserName=user)["AccessKeyMetadata"]), 2)
    print(f"{kind}: {ROUNDS} CreateAccessKey races in {time.monotonic() - started:.1f}s")


def test_the_same_user_name_created_twice_at_once(backend):
    kind, servers = backend
    race = Race(servers)
    started = time.monotonic()
    for round_ in range(ROUNDS):
        name = unique(f"race-user-{round_}")
        # Odd rounds race two spellings of one name: uniqueness ignores case.
        names = [name, name.upper() if round_ % 2 else name]

        results = race.run(lambda client, i: client.create_user(UserName=names[i])["User"])
        ok, failed = split(results)
        assert len(ok) == 1, f"{kind} round {round_}: {results}"
        assert len(failed) == 1
        loser = results.index(failed[0])
        assert_error(failed[0], "EntityAlreadyExists", 409, f"User with name {names[loser]} already exists.")

        # Every node agrees on the one user that exists, and its id.
        winner = ok[0]
        for client in race.clients:
            eventually_equal(lambda: client.get_user(UserName=name)["User"]["UserId"], winner["UserId"])
    print(f"{kind}: {ROUNDS} CreateUser races in {time.monotonic() - started:.1f}s")
