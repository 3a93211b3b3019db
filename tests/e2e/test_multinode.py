"""Several nodes on one PostgreSQL database: three `castellan serve --database-url …` processes
with the same master key and root credentials. A change made through one node is used by
the others, for reads, authentication and authorization, within one second; temporary
credentials minted by one node work on every node; and when one node is killed (`kill -9`)
during a load run the others keep answering without a single error.

Castellan-specific behaviour (no AWS doc page): the README's "Several nodes on PostgreSQL" and
ARCHITECTURE.md (every node keeps IAM in memory and follows the database's change feed every
200 ms). The AWS-side rules relied on (IAM users need a policy; a trust policy naming a user
lets it assume the role) are those test_enforcement.py and test_sts.py follow.

Needs CASTELLAN_TEST_DATABASE_URL (./scripts/test.sh creates a fresh database for each run);
without it the module is skipped, except under CI=true, where it fails.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any, Callable

import pytest
from botocore.exceptions import ClientError

from castellan_e2e import (
    ACCOUNT_ID,
    EC2_TRUST_POLICY,
    SHARED_MASTER_KEY,
    Server,
    dumps,
    policy_doc,
    postgres_url,
    unique,
)

# How long a test waits for a change made through one node to be in use on the others: a
# generous bound, so that a slow machine does not fail a test of behaviour. The delay itself
# (about 200 ms, the follow interval) is measured by bench/visibility.py, never asserted here.
PROPAGATION_S = 20.0


def eventually(check: Callable[[], Any], deadline: float, what: str) -> float:
    """Polls `check` (every 20 ms) until it returns a true value without raising, before the
    monotonic `deadline`. Returns how long past the start it took."""
    start = time.monotonic()
    last: Any = None
    while True:
        try:
            if check():
                return time.monotonic() - start
            last = "check returned false"
        except (ClientError, AssertionError, KeyError) as exc:
            last = exc
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what}: not seen within the deadline; last: {last!r}")
        time.sleep(0.02)


def code_of(exc: ClientError) -> str:
    return exc.response.get("Error", {}).get("Code", "")


@pytest.fixture(scope="module")
def nodes(server_factory) -> list[Server]:
    url = postgres_url()
    started = [server_factory(database_url=url, master_key=SHARED_MASTER_KEY) for _ in range(3)]
    yield started
    for node in started:
        node.stop()


def user_with_key(iam, prefix: str) -> tuple[str, dict]:
    name = unique(prefix)
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return name, key


# ---------------------------------------------------------------------------------------
# Write through one node, read through the others
# ---------------------------------------------------------------------------------------


def test_writes_through_one_node_are_read_through_the_others(nodes):
    a, b, c = (n.iam() for n in nodes)
    user, group, role, policy = unique("mn-u"), unique("mn-g"), unique("mn-r"), unique("mn-p")

    def everywhere(check: Callable[[Any], Any], what: str) -> None:
        deadline = time.monotonic() + PROPAGATION_S
        for name, reader in (("B", b), ("C", c)):
            eventually(lambda: check(reader), deadline, f"{what} on node {name}")

    a.create_user(UserName=user, Path="/mn/", Tags=[{"Key": "team", "Value": "blue"}])
    everywhere(lambda r: r.get_user(UserName=user)["User"]["Path"] == "/mn/", "CreateUser")

    a.create_group(GroupName=group)
    a.add_user_to_group(GroupName=group, UserName=user)
    everywhere(
        lambda r: [g["GroupName"] for g in r.list_groups_for_user(UserName=user)["Groups"]] == [group],
        "AddUserToGroup",
    )

    a.create_role(RoleName=role, AssumeRolePolicyDocument=dumps(EC2_TRUST_POLICY))
    arn = a.create_policy(PolicyName=policy, PolicyDocument=dumps(policy_doc("s3:GetObject")))["Policy"]["Arn"]
    a.attach_role_policy(RoleName=role, PolicyArn=arn)
    everywhere(
        lambda r: [p["PolicyArn"] for p in r.list_attached_role_policies(RoleName=role)["AttachedPolicies"]] == [arn],
        "CreateRole, CreatePolicy, AttachRolePolicy",
    )

    a.put_user_policy(UserName=user, PolicyName="inline", PolicyDocument=dumps(policy_doc("sqs:*")))
    everywhere(lambda r: r.list_user_policies(UserName=user)["PolicyNames"] == ["inline"], "PutUserPolicy")

    # Changes made through B and C come back to A (and to each other) the same way.
    b.tag_user(UserName=user, Tags=[{"Key": "team", "Value": "red"}])
    everywhere(lambda r: r.list_user_tags(UserName=user)["Tags"] == [{"Key": "team", "Value": "red"}], "TagUser")
    eventually(
        lambda: a.list_user_tags(UserName=user)["Tags"] == [{"Key": "team", "Value": "red"}],
        time.monotonic() + PROPAGATION_S,
        "TagUser on node A",
    )

    # Deletions: every node forgets the entity (the change feed carries tombstones).
    c.delete_user_policy(UserName=user, PolicyName="inline")
    c.remove_user_from_group(GroupName=group, UserName=user)
    c.delete_user(UserName=user)
    c.detach_role_policy(RoleName=role, PolicyArn=arn)
    c.delete_policy(PolicyArn=arn)
    c.delete_role(RoleName=role)
    c.delete_group(GroupName=group)
    deadline = time.monotonic() + PROPAGATION_S
    for name, reader in (("A", a), ("B", b)):

        def gone(r=reader) -> bool:
            for call in (
                lambda: r.get_user(UserName=user),
                lambda: r.get_role(RoleName=role),
                lambda: r.get_group(GroupName=group),
                lambda: r.get_policy(PolicyArn=arn),
            ):
                try:
                    call()
                    return False
                except ClientError as exc:
                    assert code_of(exc) == "NoSuchEntity", exc
            return True

        eventually(gone, deadline, f"deletions on node {name}")

    # And the name is free again on every node.
    b.create_user(UserName=user)
    eventually(lambda: a.get_user(UserName=user), time.monotonic() + PROPAGATION_S, "re-created user on node A")


# ---------------------------------------------------------------------------------------
# Authentication and authorization follow changes made on another node
# ---------------------------------------------------------------------------------------


def test_an_access_key_made_on_one_node_authenticates_on_every_node(nodes):
    a = nodes[0].iam()
    user, key = user_with_key(a, "mn-key")
    made = time.monotonic()
    for node, name in ((nodes[1], "B"), (nodes[2], "C")):
        sts = node.sts(access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
        eventually(
            lambda: sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/{user}",
            made + PROPAGATION_S,
            f"the new key on node {name}",
        )

    # Deactivated on A: refused on B and C within the same bound.
    a.update_access_key(UserName=user, AccessKeyId=key["AccessKeyId"], Status="Inactive")
    changed = time.monotonic()
    for node, name in ((nodes[1], "B"), (nodes[2], "C")):
        sts = node.sts(access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])

        def refused() -> bool:
            try:
                sts.get_caller_identity()
                return False
            except ClientError as exc:
                assert code_of(exc) == "InvalidClientTokenId", exc
                return True

        eventually(refused, changed + PROPAGATION_S, f"the deactivated key on node {name}")


def test_policy_changes_made_on_one_node_decide_requests_on_the_others(nodes):
    a = nodes[0].iam()
    user, key = user_with_key(a, "mn-authz")
    as_user = [n.iam(access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"]) for n in nodes[1:]]

    def denied(client) -> bool:
        try:
            client.list_users(MaxItems=1)
            return False
        except ClientError as exc:
            assert code_of(exc) == "AccessDenied", exc
            return True

    deadline = time.monotonic() + PROPAGATION_S
    for i, client in enumerate(as_user):
        eventually(lambda: denied(client), deadline, f"no policy yet: denied on node {'BC'[i]}")

    a.put_user_policy(UserName=user, PolicyName="list", PolicyDocument=dumps(policy_doc("iam:ListUsers")))
    deadline = time.monotonic() + PROPAGATION_S
    for i, client in enumerate(as_user):
        eventually(lambda: client.list_users(MaxItems=1), deadline, f"allowed on node {'BC'[i]}")

    a.put_user_policy(
        UserName=user,
        PolicyName="deny",
        PolicyDocument=dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "iam:*", "Resource": "*"}]}),
    )
    deadline = time.monotonic() + PROPAGATION_S
    for i, client in enumerate(as_user):
        eventually(lambda: denied(client), deadline, f"explicit deny on node {'BC'[i]}")


def test_temporary_credentials_minted_by_one_node_work_on_every_node(nodes):
    a = nodes[0].iam()
    user, key = user_with_key(a, "mn-sts")
    user_arn = f"arn:aws:iam::{ACCOUNT_ID}:user/{user}"
    role = unique("mn-role")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": user_arn}, "Action": "sts:AssumeRole"}]}
    a.create_role(RoleName=role, AssumeRolePolicyDocument=dumps(trust))
    a.put_role_policy(RoleName=role, PolicyName="list", PolicyDocument=dumps(policy_doc("iam:ListRoles")))

    sts_a = nodes[0].sts(access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    creds = sts_a.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/{role}", RoleSessionName="everywhere")["Credentials"]
    for node in nodes:
        session = dict(
            access_key=creds["AccessKeyId"], secret_key=creds["SecretAccessKey"], session_token=creds["SessionToken"]
        )
        deadline = time.monotonic() + PROPAGATION_S
        eventually(
            lambda: node.sts(**session).get_caller_identity()["Arn"]
            == f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role}/everywhere",
            deadline,
            f"the session on node {node.endpoint}",
        )
        eventually(
            lambda: node.iam(**session).list_roles(MaxItems=1) is not None,
            deadline,
            f"the role's policy on node {node.endpoint}",
        )


# ---------------------------------------------------------------------------------------
# One node killed under load
# ---------------------------------------------------------------------------------------


def test_the_other_nodes_keep_answering_when_one_is_killed_under_load(server_factory, nodes):
    """Three nodes; a bounded load of signed GetUser/ListUsers calls spread over all of them
    (plus CreateUser on the two that stay) for 3 s; node C is killed with SIGKILL one second in.
    Every call to A and B succeeds; C is then restarted and catches up with what it missed."""
    a_iam = nodes[0].iam()
    probe = unique("mn-load")
    a_iam.create_user(UserName=probe)
    eventually(lambda: all(n.iam().get_user(UserName=probe) for n in nodes), time.monotonic() + PROPAGATION_S, "probe user")

    duration_s, kill_at_s = 3.0, 1.0
    victim = nodes[2]
    results: Counter = Counter()
    errors: list[str] = []
    created: list[str] = []
    lock = threading.Lock()
    killed = threading.Event()
    # Clients are made before the clock starts (making one takes a while).
    reader_clients = [[n.iam() for n in nodes] for _ in range(4)]
    writer_clients = [nodes[0].iam(), nodes[1].iam()]
    go = threading.Barrier(len(reader_clients) + 2)
    start = 0.0

    def reader(worker: int) -> None:
        clients = reader_clients[worker]
        go.wait()
        i = worker
        while time.monotonic() - start < duration_s:
            target = i % len(nodes)
            i += 1
            if target == 2 and killed.is_set():
                continue  # a load balancer would stop sending to the dead node
            was_killed = killed.is_set()
            try:
                if i % 2:
                    clients[target].get_user(UserName=probe)
                else:
                    clients[target].list_users(MaxItems=5)
                outcome = "ok"
            except Exception as exc:  # noqa: BLE001 - every failure is recorded
                outcome = "error"
                if target != 2:
                    with lock:
                        errors.append(f"node {'ABC'[target]}: {exc!r}")
            with lock:
                results[("ABC"[target], "after" if was_killed else "before", outcome)] += 1

    def writer() -> None:
        clients = writer_clients
        go.wait()
        i = 0
        while time.monotonic() - start < duration_s:
            name = unique("mn-w")
            try:
                clients[i % 2].create_user(UserName=name)
                with lock:
                    created.append(name)
            except Exception as exc:  # noqa: BLE001
                with lock:
                    errors.append(f"CreateUser on node {'AB'[i % 2]}: {exc!r}")
            i += 1

    threads = [threading.Thread(target=reader, args=(w,)) for w in range(4)] + [threading.Thread(target=writer)]
    for t in threads:
        t.start()
    start = time.monotonic()
    go.wait()
    time.sleep(kill_at_s)
    victim.kill()
    killed.set()
    for t in threads:
        t.join(timeout=duration_s + 60)
    assert not any(t.is_alive() for t in threads)

    assert errors == [], f"{len(errors)} failed calls to the surviving nodes: {errors[:5]}"
    for node in "AB":
        # Behaviour, not throughput: the survivors answered after the kill (counts vary with the machine).
        assert results[(node, "after", "ok")] > 0, f"node {node} kept answering: {dict(results)}"
    assert results[("C", "before", "ok")] > 0, dict(results)
    assert len(created) > 0, created

    # Both survivors agree on everything written during the run.
    deadline = time.monotonic() + PROPAGATION_S
    for node in nodes[:2]:
        client = node.iam()
        eventually(lambda: all(client.get_user(UserName=n) for n in created[-5:]), deadline, "writes on survivors")

    # The killed node comes back and catches up from the database.
    revived = server_factory(database_url=postgres_url(), master_key=SHARED_MASTER_KEY)
    nodes[2] = revived
    client = revived.iam()
    for name in created:
        client.get_user(UserName=name)
