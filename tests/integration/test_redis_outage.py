"""A redis-server that dies under a running app (issue 3, item 1 and "Done means").

The app runs under gunicorn exactly as deployed (one process, one app, settings from the
environment), with Redis as the limiter storage. The redis-server is stopped mid-test and
started again on the same port (empty: it has no persistence).

- fail-open (the default): requests keep being served, never a 500;
- RATELIMIT_FAIL_OPEN=false: 503 in the contract's shape, never a 500;
- either way, once Redis is back the limits apply again without restarting the app;
- either way the outage is logged once when it starts and once when it ends, with the number of
  requests it touched, and no traceback (issue 9, item 8), also with requests on several
  threads at once (gthread).
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from gapfind.errors import HTTP_MESSAGES, NON_FIELD
from tests.integration import app_env, call, served_gapfind, wait_for_log
from tests.support.servers import GunicornServer, RedisServer

pytestmark = [pytest.mark.slow, pytest.mark.redis]

LIMIT = 3
PATH = "/users/nadie"
STARTED = re.compile(r"(?m)^.* WARNING gapfind\.ratelimit rate-limit storage outage started .*$")
ENDED = re.compile(
    r"(?m)^.* INFO gapfind\.ratelimit rate-limit storage outage ended after [0-9.]+ s;"
    r" requests (.+) during it: (\d+)$"
)


def env_for(redis: RedisServer, tmp_path: Path, fail_open: bool) -> dict[str, str]:
    return app_env(
        f"sqlite:///{tmp_path / 'gapfind.sqlite'}",
        RATELIMIT_ENABLED="true",
        RATELIMIT_DEFAULT=f"{LIMIT} per hour",
        RATELIMIT_STORAGE_URI=redis.url,
        RATELIMIT_FAIL_OPEN="true" if fail_open else "false",
    )


def statuses(server: GunicornServer, count: int) -> list[int]:
    return [call(server.base_url, "GET", PATH).status for _ in range(count)]


def assert_limits_apply_again(server: GunicornServer, redis: RedisServer) -> None:
    redis.start()
    assert redis.ping()
    # The restarted Redis is empty: a fresh window of LIMIT requests, then 429.
    assert statuses(server, LIMIT + 2) == [404] * LIMIT + [429, 429]


def test_fail_open_keeps_serving_while_redis_is_down(redis: RedisServer, tmp_path: Path) -> None:
    with served_gapfind(env_for(redis, tmp_path, fail_open=True)) as server:
        assert statuses(server, LIMIT + 1) == [404] * LIMIT + [429]

        redis.stop()
        assert not redis.ping()
        during = statuses(server, 3 * LIMIT)
        # Unlimited, not refused and not broken: the API keeps answering.
        assert during == [404] * (3 * LIMIT)
        registered = call(
            server.base_url,
            "POST",
            "/manual",
            {"username": "ana", "list_of_indices": [[0, 0]]},
        )
        assert registered.status == 201
        assert call(server.base_url, "GET", "/health").json() == {"status": "ok"}

        assert_limits_apply_again(server, redis)


def outage_log(server: GunicornServer, redis: RedisServer, during: int) -> tuple[list[int], str]:
    """Stop Redis, send `during` requests from four threads at once (the server has four),
    start Redis, send one more; the statuses met during the outage and the server's log once
    the outage's end is in it."""
    redis.stop()
    with ThreadPoolExecutor(max_workers=4) as pool:
        met = list(pool.map(lambda _: call(server.base_url, "GET", PATH).status, range(during)))
    redis.start()
    assert call(server.base_url, "GET", PATH).status in (404, 429)
    return met, wait_for_log(server, lambda text: ENDED.search(text) is not None)


@pytest.mark.parametrize(
    "fail_open,status,what",
    [(True, 404, "served without rate limits"), (False, 503, "refused with 503")],
)
def test_an_outage_is_logged_once_when_it_starts_and_once_when_it_ends(
    redis: RedisServer, tmp_path: Path, fail_open: bool, status: int, what: str
) -> None:
    during = 12
    with served_gapfind(env_for(redis, tmp_path, fail_open), threads=4) as server:
        assert statuses(server, 1) == [404]
        met, log = outage_log(server, redis, during)
    assert met == [status] * during
    assert len(STARTED.findall(log)) == 1, log
    assert [match.groups() for match in ENDED.finditer(log)] == [(what, str(during))], log
    assert "Traceback" not in log
    assert "Failed to rate limit" not in log
    assert "rate-limit storage unavailable" not in log  # errors.py's line per refused request


def test_fail_closed_answers_503_while_redis_is_down(redis: RedisServer, tmp_path: Path) -> None:
    with served_gapfind(env_for(redis, tmp_path, fail_open=False)) as server:
        assert statuses(server, 1) == [404]

        redis.stop()
        for _ in range(3):
            reply = call(
                server.base_url, "GET", PATH, headers={"Origin": "https://gfind.pages.dev"}
            )
            assert reply.status == 503
            assert reply.json() == {NON_FIELD: [HTTP_MESSAGES[503]]}
            assert reply.header("Retry-After") and reply.header("Retry-After").isdigit()
            assert reply.header("Access-Control-Allow-Origin") == "https://gfind.pages.dev"
            assert reply.header("X-Request-ID")
        write = call(
            server.base_url, "POST", "/manual", {"username": "ana", "list_of_indices": [[0, 0]]}
        )
        assert write.status == 503
        # Exempt endpoints never touch the limiter's storage.
        assert call(server.base_url, "GET", "/health").status == 200

        assert_limits_apply_again(server, redis)

    # The refused registration was not stored.
    with contextlib.closing(sqlite3.connect(tmp_path / "gapfind.sqlite")) as conn:
        assert conn.execute("SELECT count(*) FROM students").fetchone() == (0,)
