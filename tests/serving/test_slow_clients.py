"""Slow and idle clients must not take the service down (issue 9, item 1).

`make run` used to be gunicorn with one gthread worker of four threads: a thread per connection
from its first byte until the request was complete, so four clients that sent one byte and
stopped made every other request wait forever. Here the real `make run` command, and the
README's scale-out recipe (gunicorn behind nginx, PostgreSQL, limits in Redis), hold 300 slow
connections -- one byte and silence, a header a second that never ends (slowloris), a body
a byte a second -- while a client registers and reads students as usual.

Timeouts are hang detectors only (a request without an answer in 20 s), never performance
thresholds; each test is bounded in connections and time and stops its processes as a group.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.serving.servers import available, make_run, migrate, production_env, scale_out
from tests.serving.slowclients import Exchange, SlowClients, letters_name, register_and_read
from tests.support.servers import PostgresServer, RedisServer

pytestmark = pytest.mark.slow

HANG = 20.0
SLOW_CLIENTS = {"idle": 100, "headers": 100, "body": 100}
#: The dribbling kinds send a byte a second, so no idle timeout may close them: at least this
#: many are still connected once the normal requests have been answered.
HELD = 200
ROUNDS = 5  # register + read pairs: 10 requests, inside the default 20/minute limits


def normal_traffic_under_slow_clients(
    port: int, prefix: str, *, until_closed: tuple[str, ...] = ()
) -> tuple[list[Exchange], dict[str, int], dict[str, int]]:
    """Open the slow clients, then ROUNDS of POST /manual + GET /users/<name> (stopping at the
    first request without an answer). Returns the exchanges, the slow connections still open
    right after them, and -- when `until_closed` names kinds the server must give up on --
    the connections still open once those are closed (waited for at most 3 x HANG)."""
    exchanges: list[Exchange] = []
    with SlowClients(port, SLOW_CLIENTS, interval=1.0) as slow:
        assert slow.refused == 0
        for number in range(ROUNDS):
            pair = register_and_read(port, number, timeout=HANG, prefix=prefix)
            exchanges += pair
            if any(e.status is None for e in pair):
                break
        held = slow.still_open()
        later = held
        deadline = time.monotonic() + 3 * HANG
        while any(later[kind] for kind in until_closed) and time.monotonic() < deadline:
            time.sleep(0.5)
            later = slow.still_open()
    return exchanges, held, later


def assert_served(exchanges: list[Exchange], held: dict[str, int], prefix: str) -> None:
    statuses = [(e.method, e.path.split("/")[1], e.status) for e in exchanges]
    assert statuses == [("POST", "manual", 201), ("GET", "users", 200)] * ROUNDS, [
        (e.method, e.path, e.status, e.error) for e in exchanges
    ]
    for number, read in enumerate(exchanges[1::2]):
        assert json.loads(read.body) == {
            "username": letters_name(number, prefix),
            "schedule": "1" + "0" * 97,
        }
    assert held["headers"] + held["body"] >= HELD, held


def test_make_run_answers_while_hundreds_of_slow_clients_hold_connections(
    tmp_path: Path,
) -> None:
    """The README's `make run`, SQLite, production settings (rate limits on, defaults)."""
    env = production_env(DATABASE_URL=f"sqlite:///{tmp_path / 'gapfind.sqlite'}")
    with available(make_run(env, tmp_path)) as served:
        exchanges, held, _ = normal_traffic_under_slow_clients(served.port, "slow")
    assert_served(exchanges, held, "slow")


def test_scale_out_recipe_behind_nginx_answers_and_drops_stalled_heads(
    postgres: PostgresServer, redis: RedisServer, tmp_path: Path
) -> None:
    """README "Scaling out": two gunicorn workers with deploy/gunicorn.conf.py on PostgreSQL,
    limits in Redis, nginx in front with deploy/nginx/gapfind.conf. nginx must also close the
    connections whose request head never ends (client_header_timeout), while the ones that
    keep sending a body stay (client_body_timeout is per pause, and they pause 1 s)."""
    database = "gapfind_scale_out_slow"
    url = postgres.create_database(database)
    try:
        env = production_env(
            DATABASE_URL=url, RATELIMIT_STORAGE_URI=redis.url, REAL_IP_HEADER="X-Real-IP"
        )
        migrate(env)
        with available(scale_out(env, tmp_path)) as served:
            exchanges, held, later = normal_traffic_under_slow_clients(
                served.port, "scaled", until_closed=("idle", "headers")
            )
    finally:
        postgres.drop_database(database)
    assert_served(exchanges, held, "scaled")
    assert later == {"idle": 0, "headers": 0, "body": SLOW_CLIENTS["body"]}, later
