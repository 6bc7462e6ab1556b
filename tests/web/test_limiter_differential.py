"""GapFind's limiter beside stock Flask-Limiter (issue 10, item 4): the same requests give the
same storage keys, statuses and X-RateLimit-*/Retry-After headers.

gapfind.ratelimit replaces Flask-Limiter's per-request resolution with a table built once per
endpoint (`GapFindLimiter.plan` and its request hooks). The twin here is the same factory with
the binding GapFind used before that replacement, through Flask-Limiter's public API only: a
stock `flask_limiter.Limiter` with RATELIMIT_DEFAULT as its default limits,
`shared_limit(RATELIMIT_WRITES, scope="writes", override_defaults=False)` on the write views,
`exempt` on the exempt views and a request filter for CORS preflights. Each step sends one
request to each app; after it the test compares status, rate headers and the whole content of
each app's own storage (limits' memory storage's dicts, or every key and value of a Redis
database), for each strategy an operator may choose, with memory storage and with a real
redis-server.

Time is frozen: `time.time()` returns one instant in every module of limits and Flask-Limiter
and in gapfind.ratelimit, so windows, the sliding-window counter's keys and Reset/Retry-After
cannot move between the two apps' requests. Redis has its own clock: its TTLs age in real time
and cannot be frozen from here. The values limits derives from them (Reset of the fixed window
and of the sliding-window counter on Redis) therefore depend on the milliseconds each request
took, and are compared through what does not: Reset minus Retry-After (the frozen clock's part,
the same formula in both limiters) and Reset lying inside the longest window. Everything else,
and every header of the moving window (whose entries carry the client's timestamp) and of the
memory storage, is compared exactly.

The database plays no part in rate limiting, so these run on SQLite only; each app has its own
file, so both see the same answers (201, 404...) to the same requests.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import redis as redis_client
from flask import Flask, request
from flask.testing import FlaskClient
from flask_limiter import Limiter
from limits.storage import MemoryStorage, RedisStorage
from werkzeug.http import parse_date

import gapfind
from gapfind.ratelimit import (
    _MARK,
    WRITES_SCOPE,
    GapFindLimiter,
    InlineExpiryMemoryStorage,
    storage_options,
)
from gapfind.web.client_address import rate_limit_key
from tests.support.servers import RedisServer
from tests.web import ORIGIN

RATE_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After")
STRATEGIES = ["fixed-window", "moving-window", "sliding-window-counter"]
# An instant in 2027 with a fraction: int() of a header value never sits on a boundary.
FROZEN_NOW = 1_800_001_234.5
FIRST = {"REMOTE_ADDR": "192.0.2.10"}
SECOND = {"REMOTE_ADDR": "192.0.2.20"}


@dataclass(frozen=True)
class Case:
    """Limit settings of one comparison, and the longest window they name (seconds)."""

    default: str
    writes: str
    longest_window: int
    extra: tuple[tuple[str, str], ...] = ()


CASES = {
    "one-default": Case("5 per hour", "3 per hour", 3600),
    "two-defaults": Case("5 per hour;2 per minute", "3 per hour", 3600),
    "writes-checked-first": Case("5 per hour", "2 per minute", 3600),
    "no-default": Case("", "3 per hour", 3600),
    "key-prefix-http-date": Case(
        "4 per day",
        "3 per hour",
        86400,
        (("RATELIMIT_KEY_PREFIX", "gf"), ("RATELIMIT_HEADER_RETRY_AFTER_VALUE", "http-date")),
    ),
}


# ----------------------------------------------------------------- the stock twin


def bind_stock_limiter(app: Flask) -> Limiter:
    """GapFind's limits through stock Flask-Limiter, with the settings `init_limiter` uses."""
    app.config.setdefault(
        "RATELIMIT_STORAGE_OPTIONS", storage_options(app.config["RATELIMIT_STORAGE_URI"])
    )
    app.config["RATELIMIT_SWALLOW_ERRORS"] = app.config["RATELIMIT_FAIL_OPEN"]
    limiter = Limiter(key_func=rate_limit_key)  # the key function is not what is fenced here
    limiter.init_app(app)
    limiter.request_filter(lambda: request.method == "OPTIONS")
    writes = limiter.shared_limit(
        lambda: str(app.config["RATELIMIT_WRITES"]), scope=WRITES_SCOPE, override_defaults=False
    )
    for endpoint, view in list(app.view_functions.items()):
        mark = getattr(view, _MARK, None)
        if mark == WRITES_SCOPE:
            app.view_functions[endpoint] = writes(view)
        elif mark == "exempt":
            app.view_functions[endpoint] = limiter.exempt(view)
    app.extensions["stock.limiter"] = limiter
    return limiter


@dataclass
class Pair:
    gapfind: Flask
    stock: Flask

    @property
    def limiters(self) -> tuple[GapFindLimiter, Limiter]:
        return self.gapfind.extensions["gapfind.limiter"], self.stock.extensions["stock.limiter"]


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only (overrides the suite's backend parametrisation): limits never touch it."""
    return f"sqlite:///{tmp_path / 'gapfind.sqlite'}"


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> float:
    """time.time() stands still for limits, Flask-Limiter and gapfind.ratelimit."""

    class FrozenTime(ModuleType):
        def __getattr__(self, name: str) -> Any:
            return getattr(time, name)

    frozen = FrozenTime("time")
    frozen.time = lambda: FROZEN_NOW  # type: ignore[attr-defined]
    patched = []
    for name, module in list(sys.modules.items()):
        if name.startswith(("limits", "flask_limiter")) or name == "gapfind.ratelimit":
            if getattr(module, "time", None) is time:
                monkeypatch.setattr(module, "time", frozen)
                patched.append(name)
    assert {"limits.strategies", "limits.storage.memory", "gapfind.ratelimit"} <= set(patched)
    return FROZEN_NOW


@pytest.fixture
def make_pair(
    app_factory: Callable[..., Flask],
    tmp_path: Path,
    frozen_clock: float,
) -> Iterator[Callable[..., Pair]]:
    """Build GapFind's app and its stock twin from the same factory and settings."""
    built: list[Pair] = []

    def build(gapfind_storage: str, stock_storage: str, **settings: Any) -> Pair:
        base = {"RATELIMIT_ENABLED": True, "RATELIMIT_FAIL_OPEN": True, **settings}
        ours = app_factory(**base, RATELIMIT_STORAGE_URI=gapfind_storage)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(gapfind, "init_limiter", bind_stock_limiter)
            twin = app_factory(
                **base,
                RATELIMIT_STORAGE_URI=stock_storage,
                DATABASE_URL=f"sqlite:///{tmp_path / f'stock-{len(built)}.sqlite'}",
            )
        pair = Pair(ours, twin)
        mine, theirs = pair.limiters
        assert isinstance(mine, GapFindLimiter) and type(theirs) is Limiter
        # Same client key, or the comparison would compare nothing.
        assert mine._key_func is theirs._key_func is rate_limit_key
        built.append(pair)
        return pair

    yield build
    for pair in built:
        for limiter in pair.limiters:
            storage = limiter.storage
            if isinstance(storage, MemoryStorage):
                storage.timer.cancel()  # limits' own expiry thread
            if isinstance(storage, RedisStorage):
                storage.storage.connection_pool.disconnect()


# ----------------------------------------------------------------- what is compared


def memory_state(storage: Any) -> dict[str, Any]:
    """Everything limits' memory storage holds: counters, their expiry, moving-window entries."""
    assert isinstance(storage, MemoryStorage)
    return {
        "counters": dict(storage.storage),
        "expirations": dict(storage.expirations),
        "events": {
            key: [(entry.atime, entry.expiry) for entry in entries]
            for key, entries in storage.events.items()
        },
    }


def redis_state(client: redis_client.Redis) -> dict[bytes, Any]:
    """Every key of a Redis database with its value (counters are strings, windows lists)."""
    state: dict[bytes, Any] = {}
    for key in sorted(client.keys("*")):
        kind = client.type(key)
        if kind == b"string":
            state[key] = client.get(key)
        elif kind == b"list":
            state[key] = client.lrange(key, 0, -1)
        else:
            state[key] = kind
    return state


def retry_after_seconds(value: str) -> int:
    if value.isdigit():
        return int(value)
    moment = parse_date(value)
    assert moment is not None, value
    return int(moment.timestamp() - FROZEN_NOW)


def rate_headers(response: Any, *, exact: bool, longest_window: int) -> dict[str, Any]:
    """The rate headers as compared: all of them exactly, or with the values derived from
    Redis's TTLs reduced to what the frozen clock decides (see the module docstring)."""
    headers = {name: response.headers.getlist(name) for name in RATE_HEADERS}
    if exact or not headers["X-RateLimit-Reset"]:
        return headers
    [reset] = headers.pop("X-RateLimit-Reset")
    [retry_after] = headers.pop("Retry-After")
    seconds = retry_after_seconds(retry_after)
    headers["Reset - Retry-After"] = int(reset) - seconds
    headers["Retry-After inside the window"] = 0 <= seconds <= longest_window
    return headers


# ----------------------------------------------------------------- the requests

Step = Callable[[FlaskClient, dict[str, str]], Any]


def get(path: str, client: dict[str, str] = FIRST) -> Step:
    return lambda http, _tokens: http.get(path, environ_base=client)


def register(name: str, client: dict[str, str] = FIRST) -> Step:
    def step(http: FlaskClient, tokens: dict[str, str]) -> Any:
        body = {"username": name, "list_of_indices": [[0, 0]]}
        response = http.post("/manual", json=body, environ_base=client)
        if response.status_code == 201:
            tokens[name] = response.get_json()["edit_token"]
        return response

    return step


def with_token(method: str, name: str) -> Step:
    def step(http: FlaskClient, tokens: dict[str, str]) -> Any:
        auth = {"Authorization": f"Bearer {tokens.get(name, 'none')}"}
        body = {"list_of_indices": [[1, 1]]} if method == "PUT" else None
        return http.open(
            f"/users/{name}", method=method, json=body, headers=auth, environ_base=FIRST
        )

    return step


def preflight(path: str, method: str) -> Step:
    headers = {"Origin": ORIGIN, "Access-Control-Request-Method": method}
    return lambda http, _tokens: http.options(path, headers=headers, environ_base=FIRST)


def post_results() -> Step:
    return lambda http, _tokens: http.post(
        "/results", json={"usernames": ["nadie"]}, environ_base=FIRST
    )


SCRIPT: list[tuple[str, Step]] = [
    *[(f"GET /users/nadie #{n}", get("/users/nadie")) for n in range(1, 8)],
    ("GET /users/nadie, second client", get("/users/nadie", SECOND)),
    ("GET /users/nadie, second client again", get("/users/nadie", SECOND)),
    ("POST /results (its own bucket)", post_results()),
    ("POST /results again", post_results()),
    ("OPTIONS /manual preflight", preflight("/manual", "POST")),
    ("OPTIONS /users/nadie preflight after its limit", preflight("/users/nadie", "PUT")),
    ("GET /health (exempt)", get("/health")),
    ("GET /openapi.json (exempt)", get("/openapi.json")),
    ("GET /docs (exempt)", get("/docs")),
    ("POST /manual ana", register("ana")),
    ("PUT /users/ana", with_token("PUT", "ana")),
    ("DELETE /users/ana", with_token("DELETE", "ana")),
    ("POST /manual bob", register("bob")),
    ("PUT /users/ana again", with_token("PUT", "ana")),
    ("GET /users/ana (a read, not a write)", get("/users/ana")),
    ("POST /manual carla, second client", register("carla", SECOND)),
    ("POST /manual dora, second client", register("dora", SECOND)),
    ("POST /manual eva, second client", register("eva", SECOND)),
    ("POST /manual flor, second client", register("flor", SECOND)),
    ("POST /manual gala (still refused)", register("gala")),
]


def run_side_by_side(
    pair: Pair, states: Callable[[], tuple[Any, Any]], *, exact: bool, longest_window: int
) -> list[int]:
    """Send SCRIPT to both apps, comparing after each step; return GapFind's statuses."""
    clients = pair.gapfind.test_client(), pair.stock.test_client()
    tokens: tuple[dict[str, str], dict[str, str]] = ({}, {})
    statuses = []
    for label, step in SCRIPT:
        ours, theirs = (step(client, memo) for client, memo in zip(clients, tokens, strict=True))
        assert ours.status_code == theirs.status_code, label
        assert rate_headers(ours, exact=exact, longest_window=longest_window) == rate_headers(
            theirs, exact=exact, longest_window=longest_window
        ), label
        mine, stock = states()
        assert mine == stock, label
        statuses.append(ours.status_code)
    return statuses


def assert_the_script_met_the_limits(statuses: list[int]) -> None:
    """Guard against a vacuous comparison: some requests were refused, some answered."""
    assert 429 in statuses
    assert {200, 201, 404} <= set(statuses)


# ----------------------------------------------------------------- the comparisons


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("case", list(CASES))
def test_memory_storage_gets_the_same_keys_statuses_and_headers(
    make_pair: Callable[..., Pair], strategy: str, case: str
) -> None:
    limits = CASES[case]
    pair = make_pair(
        "memory://",
        "memory://",
        RATELIMIT_STRATEGY=strategy,
        RATELIMIT_DEFAULT=limits.default,
        RATELIMIT_WRITES=limits.writes,
        **dict(limits.extra),
    )
    mine, theirs = pair.limiters
    # GapFind's own storage (no Timer thread) against limits' own, side by side in one process.
    assert type(mine.storage) is InlineExpiryMemoryStorage
    assert type(theirs.storage) is MemoryStorage

    statuses = run_side_by_side(
        pair,
        lambda: (memory_state(mine.storage), memory_state(theirs.storage)),
        exact=True,
        longest_window=limits.longest_window,
    )
    assert_the_script_met_the_limits(statuses)


@pytest.mark.redis
@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("case", ["one-default", "two-defaults", "key-prefix-http-date"])
def test_redis_storage_gets_the_same_keys_statuses_and_headers(
    make_pair: Callable[..., Pair], redis: RedisServer, strategy: str, case: str
) -> None:
    limits = CASES[case]
    ours_url, stock_url = redis.url, redis.url.rsplit("/", 1)[0] + "/1"
    pair = make_pair(
        ours_url,
        stock_url,
        RATELIMIT_STRATEGY=strategy,
        RATELIMIT_DEFAULT=limits.default,
        RATELIMIT_WRITES=limits.writes,
        **dict(limits.extra),
    )
    ours_db, stock_db = (
        redis_client.Redis.from_url(ours_url),
        redis_client.Redis.from_url(stock_url),
    )
    try:
        statuses = run_side_by_side(
            pair,
            lambda: (redis_state(ours_db), redis_state(stock_db)),
            exact=strategy == "moving-window",
            longest_window=limits.longest_window,
        )
        assert redis_state(ours_db), "nothing was written to Redis"
    finally:
        ours_db.close()
        stock_db.close()
    assert_the_script_met_the_limits(statuses)


@pytest.mark.redis
@pytest.mark.parametrize("fail_open", [True, False])
def test_a_dead_redis_gets_the_same_answers(
    make_pair: Callable[..., Pair], redis: RedisServer, fail_open: bool
) -> None:
    """Redis stopped under both apps: the same statuses (served, or 503 when failing closed)
    and no rate headers from either; started again, both count from an empty window."""
    pair = make_pair(
        redis.url,
        redis.url.rsplit("/", 1)[0] + "/1",
        RATELIMIT_STRATEGY="sliding-window-counter",
        RATELIMIT_DEFAULT="2 per hour",
        RATELIMIT_WRITES="3 per hour",
        RATELIMIT_FAIL_OPEN=fail_open,
    )
    clients = pair.gapfind.test_client(), pair.stock.test_client()

    def both(path: str) -> list[tuple[int, dict[str, list[str]]]]:
        answers = [client.get(path, environ_base=FIRST) for client in clients]
        return [
            (answer.status_code, {name: answer.headers.getlist(name) for name in RATE_HEADERS})
            for answer in answers
        ]

    redis.stop()
    for _ in range(3):
        ours, theirs = both("/users/nadie")
        assert ours == theirs
        assert ours[0] == (404 if fail_open else 503)
        assert ours[1]["X-RateLimit-Limit"] == []
    redis.start()
    statuses = []
    for _ in range(3):
        ours, theirs = both("/users/nadie")
        assert (
            ours[0] == theirs[0]
            and ours[1]["X-RateLimit-Remaining"] == theirs[1]["X-RateLimit-Remaining"]
        )
        statuses.append(ours[0])
    assert statuses == [404, 404, 429]


@pytest.mark.parametrize("default", ["5 per second", "5 per hour"])
def test_an_answer_with_its_own_retry_after_gets_the_same_headers(
    frozen_clock: float, tmp_path: Path, default: str
) -> None:
    """A 503 from an unreachable database carries Retry-After: 30; both limiters keep the later
    of it and the rate limit's reset (the second's window ends first, the hour's last)."""
    unreachable = f"sqlite:///{tmp_path / 'missing' / 'gapfind.sqlite'}"
    settings = {
        "DATABASE_URL": unreachable,
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_DEFAULT": default,
        "RATELIMIT_STORAGE_URI": "memory://",
    }
    ours = gapfind.create_app(settings)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(gapfind, "init_limiter", bind_stock_limiter)
        twin = gapfind.create_app(settings)
    try:
        answers = [
            app.test_client().get("/users/nadie", environ_base=FIRST) for app in (ours, twin)
        ]
        assert [answer.status_code for answer in answers] == [503, 503]
        mine, theirs = (rate_headers(answer, exact=True, longest_window=3600) for answer in answers)
        assert mine == theirs
        assert mine["X-RateLimit-Limit"] == ["5"]
    finally:
        twin.extensions["stock.limiter"].storage.timer.cancel()
