"""A PostgreSQL that is stopped, not down (issue 9, item 2).

The cluster (a separate one: the session's is shared by other tests) is frozen with SIGSTOP,
postmaster and every backend: TCP connections stay open and the kernel still accepts new ones,
but nothing answers. gunicorn serves wsgi.py on it with short DATABASE_*_TIMEOUT settings:
/health, a read and writes must each answer the contract's 503 (no hang: the client's 30 s
timeout is a hang detector, not a performance threshold), and once the cluster runs again
(SIGCONT, always, in a finally) the same requests answer 200/201 without a restart of the app.

The fence: stock psycopg, even with TCP keepalives and tcp_user_timeout as tight as libpq allows,
waits for the frozen server for as long as it stays frozen, which is why
gapfind.persistence.postgres gives every wait a deadline of its own.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
import pytest

from gapfind.messages import HTTP_MESSAGES
from gapfind.persistence.postgres import BoundedConnection
from tests.integration import Reply, app_env, call, served_gapfind
from tests.support.servers import (
    REQUIRE_SERVICES_ENV,
    PostgresServer,
    ServiceUnavailable,
    postgres_server,
)

pytestmark = [pytest.mark.slow, pytest.mark.postgresql]

HANG = 30.0  # hang detector for every wait of these tests
UNAVAILABLE = {"non_field_errors": [HTTP_MESSAGES[503]]}
TIMEOUTS = {
    "DATABASE_CONNECT_TIMEOUT": "2",  # libpq's minimum
    "DATABASE_STATEMENT_TIMEOUT": "1",
    "DATABASE_POOL_TIMEOUT": "2",
}


@pytest.fixture(scope="module")
def cluster() -> Iterator[PostgresServer]:
    """A PostgreSQL cluster of this module's own, to freeze."""
    manager = postgres_server()
    try:
        server = manager.__enter__()
    except ServiceUnavailable as error:
        if os.environ.get(REQUIRE_SERVICES_ENV) == "1":
            pytest.fail(f"required service unavailable: {error}")
        pytest.skip(f"service unavailable: {error}")
    try:
        yield server
    finally:
        manager.__exit__(None, None, None)


def wait_until_answering(cluster: PostgresServer) -> None:
    """Block until the thawed cluster runs queries again (bounded)."""
    deadline = time.monotonic() + HANG
    while True:
        try:
            with psycopg.connect(cluster.conninfo(), connect_timeout=2) as connection:
                connection.execute("SELECT 1")
                return
        except psycopg.OperationalError:
            assert time.monotonic() < deadline, "the cluster did not answer after SIGCONT"
            time.sleep(0.1)


def test_fence_stock_psycopg_waits_for_a_frozen_server_and_ours_does_not(
    cluster: PostgresServer,
) -> None:
    stock = psycopg.connect(
        cluster.conninfo(),
        keepalives=1,
        keepalives_idle=1,
        keepalives_interval=1,
        keepalives_count=1,
        tcp_user_timeout=500,
    )
    bounded = BoundedConnection.connect(cluster.conninfo())
    bounded.reply_timeout = 1.0
    outcome: dict[str, Any] = {}

    def stock_query() -> None:
        try:
            outcome["rows"] = stock.execute("SELECT 1").fetchall()
        except BaseException as error:
            outcome["error"] = error

    stock_thread = threading.Thread(target=stock_query, daemon=True)
    try:
        with cluster.frozen():
            stock_thread.start()
            with pytest.raises(psycopg.OperationalError, match="no reply"):
                bounded.execute("SELECT 1")
            assert bounded.closed  # never reused: its state was unknown
            # Ours gave up (after its 1 s) while stock psycopg, keepalives and
            # tcp_user_timeout notwithstanding, is still waiting: the kernel of a stopped
            # server acknowledges every packet.
            assert stock_thread.is_alive()
            assert outcome == {}
        stock_thread.join(HANG)
        assert outcome == {"rows": [(1,)]}  # it was waiting, not broken
    finally:
        stock.close()
        bounded.close()


def test_bounded_connection_keeps_psycopgs_own_timeouts(cluster: PostgresServer) -> None:
    """A caller that sets a timeout (psycopg's notifies()) still gets psycopg's behaviour, and
    the connection survives it."""
    with BoundedConnection.connect(cluster.conninfo(), autocommit=True) as connection:
        connection.reply_timeout = 0.2
        assert list(connection.notifies(timeout=0.5)) == []
        assert not connection.closed
        assert connection.execute("SELECT 2").fetchall() == [(2,)]


def requests_for(token: str, name: str) -> list[tuple[str, str, Any, dict[str, str]]]:
    """/health, a read and two writes (a registration of `name`, an edit of ana)."""
    return [
        ("GET", "/health", None, {}),
        ("GET", "/users/ana", None, {}),
        ("POST", "/manual", {"username": name, "list_of_indices": [[1, 1]]}, {}),
        (
            "PUT",
            "/users/ana",
            {"list_of_indices": [[2, 2]]},
            {"Authorization": f"Bearer {token}"},
        ),
    ]


def assert_unavailable(reply: Reply, what: str) -> None:
    assert reply.status == 503, (what, reply.status, reply.body)
    assert reply.json() == UNAVAILABLE, what
    assert (reply.header("Retry-After") or "").isdigit(), what


def test_a_frozen_database_gets_503_and_the_app_recovers_by_itself(
    cluster: PostgresServer,
) -> None:
    env = app_env(cluster.url, **TIMEOUTS)
    with served_gapfind(env, threads=4) as server:
        url = server.base_url
        registered = call(url, "POST", "/manual", {"username": "ana", "list_of_indices": [[0, 0]]})
        assert registered.status == 201
        token = registered.json()["edit_token"]
        assert call(url, "GET", "/health").json() == {"status": "ok"}
        assert call(url, "GET", "/users/ana").status == 200

        with cluster.frozen():
            # one at a time: the first meets a pooled connection (its pre-ping times out), the
            # next ones a pool that was invalidated and has to connect
            for method, path, body, headers in requests_for(token, "bea"):
                reply = call(url, method, path, body, headers, timeout=HANG)
                assert_unavailable(reply, f"{method} {path}")
            # and eight at once, more than the worker's threads
            burst = requests_for(token, "bea") * 2
            with ThreadPoolExecutor(len(burst)) as pool:
                replies = list(pool.map(lambda request: call(url, *request, timeout=HANG), burst))
            for (method, path, *_), reply in zip(burst, replies, strict=True):
                assert_unavailable(reply, f"{method} {path} (concurrent)")

        wait_until_answering(cluster)
        # the same requests, first try each: nothing stuck or dead was left in the pool
        assert call(url, "GET", "/health", timeout=HANG).json() == {"status": "ok"}
        assert call(url, "GET", "/users/ana", timeout=HANG).status == 200
        created = call(
            url,
            "POST",
            "/manual",
            {"username": "bea", "list_of_indices": [[1, 1]]},
            timeout=HANG,
        )
        assert created.status == 201, created.body  # none of the 503 registrations was stored
        edited = call(
            url,
            "PUT",
            "/users/ana",
            {"list_of_indices": [[2, 2]]},
            {"Authorization": f"Bearer {token}"},
            timeout=HANG,
        )
        assert edited.status == 200, edited.body
        assert "Traceback" not in server.read_log()
