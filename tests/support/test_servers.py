"""Tests of the real-server helpers in tests/support/servers.py (no mocks)."""

from __future__ import annotations

import http.client
import os
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, ExitStack
from pathlib import Path
from typing import NoReturn, TypeVar

import psycopg
import pytest
import redis

from .servers import (
    REQUIRE_SERVICES_ENV,
    PostgresServer,
    RedisServer,
    ServerStartError,
    ServiceUnavailable,
    free_port,
    gunicorn_server,
    postgres_server,
    redis_server,
)

T = TypeVar("T")
HERE = Path(__file__).resolve().parent
TINY_APP = "tiny_wsgi:app"  # importable with cwd=HERE


def _unavailable(exc: ServiceUnavailable) -> NoReturn:
    if os.environ.get(REQUIRE_SERVICES_ENV) == "1":
        pytest.fail(f"{exc} ({REQUIRE_SERVICES_ENV}=1 requires every service)")
    pytest.skip(str(exc))


def _enter(stack: ExitStack, cm: AbstractContextManager[T]) -> T:
    try:
        return stack.enter_context(cm)
    except ServiceUnavailable as exc:
        _unavailable(exc)


def _get(port: int, path: str, timeout: float = 10.0) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def _refuses_connections(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return False
    except OSError:
        return True


def _listen_addresses(port: int) -> set[str]:
    """Local addresses (hex, as in /proc/net/tcp*) of TCP sockets listening on ``port``."""
    found: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            address, _, hex_port = fields[1].partition(":")
            if fields[3] == "0A" and int(hex_port, 16) == port:  # 0A = LISTEN
                found.add(address)
    return found


def _assert_loopback_only(port: int) -> None:
    if not Path("/proc/net/tcp").exists():
        return  # not Linux: nothing to inspect
    assert _listen_addresses(port) == {"0100007F"}  # 127.0.0.1, and nothing else


def test_free_port_is_bindable_on_loopback() -> None:
    port = free_port()
    assert 1024 <= port <= 65535
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", port))


# --------------------------------------------------------------------------- redis


@pytest.fixture
def redis_srv() -> Iterator[RedisServer]:
    with ExitStack() as stack:
        yield _enter(stack, redis_server())


def _redis_client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


@pytest.mark.redis
@pytest.mark.slow
def test_redis_answers_ping_on_loopback(redis_srv: RedisServer) -> None:
    assert redis_srv.url == f"redis://127.0.0.1:{redis_srv.port}/0"
    with _redis_client(redis_srv.url) as client:
        assert client.ping() is True
        client.set("k", "v")
        assert client.get("k") == b"v"
    _assert_loopback_only(redis_srv.port)


@pytest.mark.redis
@pytest.mark.slow
def test_redis_stop_and_start_on_the_same_port(redis_srv: RedisServer) -> None:
    port, url = redis_srv.port, redis_srv.url
    with _redis_client(url) as client:
        client.set("k", "v")

    redis_srv.stop()
    redis_srv.stop()  # idempotent
    assert not redis_srv.running
    assert _refuses_connections(port)
    with _redis_client(url) as client, pytest.raises(redis.ConnectionError):
        client.ping()

    redis_srv.start()
    assert (redis_srv.port, redis_srv.url) == (port, url)
    with _redis_client(url) as client:
        assert client.ping() is True
        assert client.get("k") is None  # no persistence: a restart loses everything


@pytest.mark.redis
@pytest.mark.slow
def test_redis_is_killed_and_cleaned_up_at_exit() -> None:
    with ExitStack() as stack:
        server = _enter(stack, redis_server())
        port, directory = server.port, server.directory
        assert server.ping()
    assert not server.running
    assert _refuses_connections(port)
    assert not directory.exists()


# --------------------------------------------------------------------------- postgresql


@pytest.fixture(scope="module")
def pg_srv() -> Iterator[PostgresServer]:
    with ExitStack() as stack:
        yield _enter(stack, postgres_server())


def _user_tables(conninfo: str) -> list[str]:
    with psycopg.connect(conninfo) as conn:
        rows = conn.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables "
            "WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
        ).fetchall()
    return [row[0] for row in rows]


@pytest.mark.postgresql
@pytest.mark.slow
def test_postgres_accepts_connections_with_test_settings(pg_srv: PostgresServer) -> None:
    assert pg_srv.url == f"postgresql+psycopg://postgres@127.0.0.1:{pg_srv.port}/gapfind_test"
    with psycopg.connect(pg_srv.conninfo()) as conn:
        assert conn.execute("SELECT current_database()").fetchone() == ("gapfind_test",)
        for setting, expected in [
            ("listen_addresses", "127.0.0.1"),
            ("fsync", "off"),
            ("synchronous_commit", "off"),
            ("full_page_writes", "off"),
            ("max_connections", "100"),
            ("server_encoding", "UTF8"),
        ]:
            row = conn.execute("SELECT current_setting(%s)", [setting]).fetchone()
            assert row == (expected,), setting
    _assert_loopback_only(pg_srv.port)


@pytest.mark.postgresql
@pytest.mark.slow
def test_postgres_create_database_is_empty_and_drop_removes_it(pg_srv: PostgresServer) -> None:
    with psycopg.connect(pg_srv.conninfo()) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS leftover (id int)")

    url = pg_srv.create_database("clean_db")
    try:
        assert url == f"postgresql+psycopg://postgres@127.0.0.1:{pg_srv.port}/clean_db"
        assert _user_tables(pg_srv.conninfo("clean_db")) == []
        assert "public.leftover" in _user_tables(pg_srv.conninfo())
        with psycopg.connect(pg_srv.conninfo("clean_db")) as conn:
            conn.execute("CREATE TABLE t (id int)")
            conn.commit()
        # A session still open on the database does not prevent the drop: it is ended.
        open_conn = psycopg.connect(pg_srv.conninfo("clean_db"))
        try:
            pg_srv.drop_database("clean_db")
            with pytest.raises(psycopg.OperationalError):
                open_conn.execute("SELECT 1")
        finally:
            open_conn.close()
    finally:
        pg_srv.drop_database("clean_db")  # idempotent
    with pytest.raises(psycopg.OperationalError, match="does not exist"):
        psycopg.connect(pg_srv.conninfo("clean_db")).close()


@pytest.mark.postgresql
@pytest.mark.slow
def test_postgres_rejects_unsafe_database_names(pg_srv: PostgresServer) -> None:
    for name in ["", "a-b", 'x"; DROP DATABASE postgres; --', "a/b", "1abc"]:
        with pytest.raises(ValueError):
            pg_srv.create_database(name)


# --------------------------------------------------------------------------- gunicorn


@pytest.mark.slow
def test_gunicorn_serves_a_wsgi_app() -> None:
    with ExitStack() as stack:
        server = _enter(
            stack,
            gunicorn_server(
                TINY_APP, cwd=str(HERE), env={"GAPFIND_PROBE": "merged"}, ready_path="/"
            ),
        )
        assert server.base_url == f"http://127.0.0.1:{server.port}"
        assert _get(server.port, "/") == (200, "ok")
        assert _get(server.port, "/health") == (200, "ok")
        assert _get(server.port, "/env/GAPFIND_PROBE") == (200, "merged")
        assert _get(server.port, "/env/PATH")[1] == os.environ.get("PATH", "")
        status, worker_pid = _get(server.port, "/pid")
        assert status == 200 and int(worker_pid) != server.pid
        _assert_loopback_only(server.port)
        port, master = server.port, server.process
    assert master.returncode is not None
    assert _refuses_connections(port)


@pytest.mark.slow
def test_gunicorn_workers_are_separate_processes() -> None:
    with ExitStack() as stack:
        server = _enter(stack, gunicorn_server(TINY_APP, cwd=str(HERE), workers=2))
        pids: set[str] = set()
        deadline = time.monotonic() + 20
        with ThreadPoolExecutor(max_workers=2) as pool:
            # Two requests at once, each holding its (single-threaded) worker for a moment,
            # must be served by the two different workers once both have booted.
            while len(pids) < 2 and time.monotonic() < deadline:
                results = list(pool.map(lambda _: _get(server.port, "/pid?sleep=0.3"), range(2)))
                pids.update(body for status, body in results if status == 200)
        assert len(pids) == 2, server.read_log()
        assert str(server.pid) not in pids


@pytest.mark.slow
def test_gunicorn_startup_error_includes_the_log() -> None:
    started = time.monotonic()
    with pytest.raises(ServerStartError) as info, ExitStack() as stack:
        _enter(stack, gunicorn_server("no_such_module_xyz:app", cwd=str(HERE), timeout=20))
    assert "No module named 'no_such_module_xyz'" in str(info.value)
    assert time.monotonic() - started < 20
