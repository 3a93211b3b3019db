"""Fixtures of the Castellan end-to-end suite (see castellan_e2e.py for the harness)."""

from __future__ import annotations

import pytest

import castellan_e2e as e2e
from castellan_e2e import Server, ServerStartError


class _Factory:
    """Starts servers and stops every one of them at the end of the session."""

    def __init__(self) -> None:
        self.servers: list[Server] = []

    def __call__(self, **kw) -> Server:
        if e2e.EXTERNAL_ENDPOINT:
            if kw.get("data_dir") is not None or kw.get("root_keys") is False or kw.get("database_url"):
                pytest.skip("needs its own castellan process (CASTELLAN_E2E_ENDPOINT is set)")
            srv = Server(external=e2e.EXTERNAL_ENDPOINT)
            srv.reset()
            self.servers.append(srv)
            return srv
        srv = Server(**kw)
        try:
            srv.start()
        except ServerStartError as exc:
            pytest.fail(str(exc), pytrace=False)
        self.servers.append(srv)
        return srv

    def close(self) -> None:
        for srv in self.servers:
            try:
                srv.stop()
            finally:
                srv.cleanup_logs()


@pytest.fixture(scope="session")
def server_factory():
    """Call it to start a server: `server_factory()` (in-memory) or
    `server_factory(data_dir=path)`. All are stopped at the end of the session."""
    factory = _Factory()
    yield factory
    factory.close()


@pytest.fixture(scope="session")
def server(server_factory) -> Server:
    """The shared in-memory server most tests use. Tests must use unique names."""
    if e2e.EXTERNAL_ENDPOINT:
        srv = Server(external=e2e.EXTERNAL_ENDPOINT)
        server_factory.servers.append(srv)
        return srv
    return server_factory()


@pytest.fixture
def fresh_server(server_factory) -> Server:
    """A server of its own, for tests that need an empty account."""
    srv = server_factory()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def iam(server):
    """boto3 IAM client of the account's root user on the shared server."""
    return server.iam()


@pytest.fixture(scope="session")
def iam_nv(server):
    """IAM client with botocore's client-side parameter validation off, to exercise the
    server's own validation (botocore rejects e.g. integers under a shape's `min`)."""
    return server.iam(validate=False)


@pytest.fixture(scope="session")
def sts(server):
    return server.sts()


@pytest.fixture(scope="session")
def aws(server):
    """`aws(*args)` runs the aws CLI against the shared server and returns parsed JSON."""
    return server.aws


@pytest.fixture
def name():
    """`name("alice")` -> a unique name such as `alice-1a2b3c4d5e6f`."""
    return e2e.unique


@pytest.fixture
def assert_error():
    return e2e.assert_error


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On failure, attach the tail of every server's stderr to the report."""
    outcome = yield
    rep = outcome.get_result()
    if rep.when == "call" and rep.failed:
        factory = item.funcargs.get("server_factory") if hasattr(item, "funcargs") else None
        srv_list = []
        for key in ("fresh_server", "server"):
            srv = item.funcargs.get(key) if hasattr(item, "funcargs") else None
            if isinstance(srv, Server) and not srv.external:
                srv_list.append(srv)
        if factory is not None:
            srv_list.extend(s for s in factory.servers if s not in srv_list and not s.external)
        for srv in srv_list[:3]:
            if srv._log_dir_path is None:
                continue
            try:
                tail = srv.stderr_path.read_text("utf-8", "replace")[-3000:]
            except OSError:
                continue
            if tail.strip():
                rep.sections.append((f"castellan stderr ({srv.endpoint if srv.port else '?'})", tail))
