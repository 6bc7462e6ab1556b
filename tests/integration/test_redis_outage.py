"""A redis-server that dies under a running app (issue 3, item 1 and "Done means").

The app runs under gunicorn exactly as deployed (one process, one app, settings from the
environment), with Redis as the limiter storage. The redis-server is stopped mid-test and
started again on the same port (empty: it has no persistence).

- fail-open (the default): requests keep being served, never a 500, and the outage is logged;
- RATELIMIT_FAIL_OPEN=false: 503 in the contract's shape, never a 500;
- either way, once Redis is back the limits apply again without restarting the app.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from pathlib import Path

import pytest

from gapfind.errors import HTTP_MESSAGES, NON_FIELD
from tests.integration import app_env, call, served_gapfind, wait_for_log
from tests.support.servers import GunicornServer, RedisServer

pytestmark = [pytest.mark.slow, pytest.mark.redis]

LIMIT = 3
PATH = "/users/nadie"
# An application log line about the limiter's storage (not an access-log line).
OUTAGE_LINE = re.compile(r"(?im)^(?!.*gapfind\.access)(?!gapfind-access).*rate[- _]?limit.*$")


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


def test_fail_open_logs_the_outage(redis: RedisServer, tmp_path: Path) -> None:
    with served_gapfind(env_for(redis, tmp_path, fail_open=True)) as server:
        assert statuses(server, 1) == [404]
        redis.stop()
        assert statuses(server, 2) == [404, 404]
        # The access lines of both requests are written after the outage was met.
        log = wait_for_log(server, lambda text: text.count(f"GET {PATH} 404") >= 3)
        assert log.count(f"GET {PATH} 404") >= 3
        assert OUTAGE_LINE.search(log), log


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
