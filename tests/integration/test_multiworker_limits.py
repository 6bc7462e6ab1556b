"""Rate limits across the worker processes of a real gunicorn (issue 3, "Done means").

gunicorn runs wsgi.py with two sync workers. The app has no endpoint that says which process
answered, so gunicorn's own access log does: every line carries the worker's pid. Requests are
sent concurrently, each on its own connection, so that both workers accept some of them (a sync
worker busy with one request cannot accept the next); the loop stops once the log shows each
worker served enough of them, and is bounded.
"""

from __future__ import annotations

import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.integration import app_env, call, served_gapfind, wait_for_log
from tests.support.servers import GunicornServer, RedisServer

pytestmark = pytest.mark.slow

LIMIT = 5
WORKERS = 2
BATCH = 8
MAX_BATCHES = 40
PATH = "/users/nadie"
ACCESS = re.compile(r'gapfind-access pid=<(\d+)> status=(\d{3}) "GET /users/nadie ')


def served_by(log: str) -> dict[str, Counter[str]]:
    """pid -> Counter of statuses, from gunicorn's access log lines for PATH."""
    per_pid: dict[str, Counter[str]] = {}
    for pid, status in ACCESS.findall(log):
        per_pid.setdefault(pid, Counter())[status] += 1
    return per_pid


def hammer(server: GunicornServer, enough: int) -> tuple[Counter[int], dict[str, Counter[str]]]:
    """Send batches of concurrent requests until each of the workers has served at least
    `enough` of them. Returns the statuses the client saw and the per-worker log counts."""
    seen: Counter[int] = Counter()
    per_pid: dict[str, Counter[str]] = {}
    with ThreadPoolExecutor(max_workers=BATCH) as pool:
        for _ in range(MAX_BATCHES):
            replies = list(pool.map(lambda _: call(server.base_url, "GET", PATH), range(BATCH)))
            seen.update(reply.status for reply in replies)
            sent = sum(seen.values())
            log = wait_for_log(server, lambda text, sent=sent: len(ACCESS.findall(text)) >= sent)
            per_pid = served_by(log)
            if len(per_pid) == WORKERS and all(sum(c.values()) >= enough for c in per_pid.values()):
                break
    assert sum(sum(c.values()) for c in per_pid.values()) == sum(seen.values())
    assert len(per_pid) == WORKERS, f"one worker served everything: {per_pid}"
    assert all(sum(c.values()) >= enough for c in per_pid.values()), per_pid
    return seen, per_pid


def test_redis_storage_shares_the_limit_across_workers(redis: RedisServer, tmp_path: Path) -> None:
    env = app_env(
        f"sqlite:///{tmp_path / 'gapfind.sqlite'}",
        RATELIMIT_ENABLED="true",
        RATELIMIT_DEFAULT=f"{LIMIT} per hour",
        RATELIMIT_STORAGE_URI=redis.url,
    )
    with served_gapfind(env, workers=WORKERS, access_log=True) as server:
        seen, per_pid = hammer(server, enough=LIMIT + 1)
    assert set(seen) <= {404, 429}, seen
    # Each worker served more than LIMIT requests, yet only LIMIT succeeded in total.
    assert seen[404] == LIMIT
    assert sum(c["404"] for c in per_pid.values()) == LIMIT


def test_memory_storage_limits_each_worker_separately(tmp_path: Path) -> None:
    """The free-host caveat, pinned down.

    memory:// keeps the counters inside each worker process, so with N workers a client gets up
    to N x the limit, depending on which worker accepts each connection. A free PythonAnywhere
    web app runs a single worker, where memory storage is exact and needs no Redis; with several
    workers (or hosts) set RATELIMIT_STORAGE_URI=redis://... so they share one count.
    """
    env = app_env(
        f"sqlite:///{tmp_path / 'gapfind.sqlite'}",
        RATELIMIT_ENABLED="true",
        RATELIMIT_DEFAULT=f"{LIMIT} per hour",
        RATELIMIT_STORAGE_URI="memory://",
    )
    with served_gapfind(env, workers=WORKERS, access_log=True) as server:
        seen, per_pid = hammer(server, enough=LIMIT + 1)
    assert set(seen) <= {404, 429}, seen
    for pid, statuses in per_pid.items():
        assert statuses["404"] == LIMIT, (pid, statuses)  # each worker counts on its own
    assert seen[404] == WORKERS * LIMIT > LIMIT
