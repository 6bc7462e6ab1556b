"""Rate limits (issue 3, item 1): the N+1-th request is a 429 in the contract's shape, writes
share a stricter bucket, the service endpoints are exempt, and the switch turns it all off.

Every limit test runs with the in-process memory storage and with Redis storage against a real
redis-server, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from limits import parse
from limits.errors import StorageError
from limits.strategies import MovingWindowRateLimiter

from config import Config
from gapfind.errors import HTTP_MESSAGES
from gapfind.ratelimit import InlineExpiryMemoryStorage
from tests.support.students import Students
from tests.web import DEFAULT_LIMIT, LIMIT, WRITES, WRITES_LIMIT, error_body, limited

RATE_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def storage_uri(request: pytest.FixtureRequest) -> str:
    """RATELIMIT_STORAGE_URI: in-process memory, or a real redis-server started for the test."""
    if request.param == "memory":
        return "memory://"
    return str(request.getfixturevalue("redis").url)


@pytest.fixture(params=["sliding-window-counter", "moving-window"])
def limited_app(
    app_factory: Callable[..., Flask], storage_uri: str, request: pytest.FixtureRequest
) -> Flask:
    """Both strategies an operator may choose (RATELIMIT_STRATEGY), on both storages."""
    return app_factory(**limited(storage_uri, RATELIMIT_STRATEGY=request.param))


def assert_rate_limited(response: Any, limit: int) -> None:
    """A 429 with the contract's body, Retry-After and the X-RateLimit-* headers."""
    assert response.status_code == 429
    assert response.is_json
    assert response.get_json() == error_body(429)
    assert response.get_json()["non_field_errors"] == [
        "Demasiadas solicitudes. Espera un momento antes de intentar de nuevo."
    ]
    retry_after = response.headers.get("Retry-After")
    assert retry_after is not None and retry_after.isdigit() and int(retry_after) > 0
    assert response.headers["X-RateLimit-Limit"] == str(limit)
    assert response.headers["X-RateLimit-Remaining"] == "0"
    assert response.headers["X-RateLimit-Reset"].isdigit()


def test_the_request_after_the_limit_is_a_429_in_the_contract_shape(limited_app: Flask) -> None:
    client = limited_app.test_client()
    for used in range(1, LIMIT + 1):
        response = client.get("/users/nadie")
        assert response.status_code == 404, f"request {used} of {LIMIT} was refused"
        assert response.headers["X-RateLimit-Limit"] == str(LIMIT)
        assert response.headers["X-RateLimit-Remaining"] == str(LIMIT - used)

    assert_rate_limited(client.get("/users/nadie"), LIMIT)
    # Still limited: the refused request did not open a new window.
    assert_rate_limited(client.get("/users/nadie"), LIMIT)


def test_the_limit_counts_each_client_separately(limited_app: Flask) -> None:
    client = limited_app.test_client()
    first = {"REMOTE_ADDR": "192.0.2.10"}
    second = {"REMOTE_ADDR": "192.0.2.20"}
    for _ in range(LIMIT):
        assert client.get("/users/nadie", environ_base=first).status_code == 404
    assert_rate_limited(client.get("/users/nadie", environ_base=first), LIMIT)

    response = client.get("/users/nadie", environ_base=second)
    assert response.status_code == 404
    assert response.headers["X-RateLimit-Remaining"] == str(LIMIT - 1)


def test_writes_share_one_stricter_bucket(limited_app: Flask) -> None:
    """POST /manual, PUT and DELETE /users/<name> together get RATELIMIT_WRITES (3 here), fewer
    than the default limit of each endpoint, so only the shared bucket can refuse the 4th."""
    assert WRITES < LIMIT
    client = limited_app.test_client()
    token = Students(client).register("ana")["edit_token"]
    auth = {"Authorization": f"Bearer {token}"}
    replaced = client.put("/users/ana", json={"list_of_indices": [[1, 1]]}, headers=auth)
    assert replaced.status_code == 200
    assert client.delete("/users/ana", headers=auth).status_code == 204

    refused = [
        client.post("/manual", json={"username": "bob", "list_of_indices": [[0, 0]]}),
        client.put("/users/ana", json={"list_of_indices": [[2, 2]]}, headers=auth),
        client.delete("/users/ana", headers=auth),
    ]
    for response in refused:
        assert_rate_limited(response, WRITES)
    assert client.get("/users/bob").status_code == 404, "bob must not have been registered"

    # Reads are not writes: GET /users/<name> still has its own default bucket.
    assert client.get("/users/ana").status_code == 404


def test_refused_writes_do_not_touch_the_database(limited_app: Flask) -> None:
    client = limited_app.test_client()
    for name in ("ana", "bob", "carla"):
        Students(client).register(name)
    response = client.post("/manual", json={"username": "dora", "list_of_indices": [[0, 0]]})
    assert_rate_limited(response, WRITES)
    assert client.get("/users/dora").status_code == 404
    assert client.get("/users/carla").status_code == 200


@pytest.mark.parametrize("path", ["/health", "/docs", "/openapi.json"])
def test_service_endpoints_are_exempt(limited_app: Flask, path: str) -> None:
    client = limited_app.test_client()
    # Exhaust this client's bucket on a limited endpoint first: it must not spill over.
    for _ in range(LIMIT):
        client.get("/users/nadie")
    assert client.get("/users/nadie").status_code == 429

    for _ in range(3 * LIMIT):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "X-RateLimit-Remaining" not in response.headers


def test_ratelimit_enabled_false_turns_limits_off(
    app_factory: Callable[..., Flask], storage_uri: str
) -> None:
    app = app_factory(**limited(storage_uri, RATELIMIT_ENABLED=False))
    client = app.test_client()
    for _ in range(3 * LIMIT):
        response = client.get("/users/nadie")
        assert response.status_code == 404
        for name in RATE_HEADERS:
            assert name not in response.headers
    for index in range(2 * WRITES):
        body = {"username": "estudiante" + "abcdefghij"[index], "list_of_indices": [[0, 0]]}
        assert client.post("/manual", json=body).status_code == 201


def test_configured_defaults_are_the_safe_ones() -> None:
    """Limits on by default, a moving/sliding window (a fixed window lets 2x bursts through at
    the window edge), and fail-open so a dead Redis does not take the API down."""
    assert Config.RATELIMIT_ENABLED is True
    assert Config.RATELIMIT_STRATEGY in {"moving-window", "sliding-window-counter"}
    assert Config.RATELIMIT_FAIL_OPEN is True
    assert Config.RATELIMIT_STORAGE_URI == "memory://"
    assert HTTP_MESSAGES[429].startswith("Demasiadas solicitudes")


# ----------------------------------------------------------------- one limiter per app
#
# Flask-Limiter keeps RATELIMIT_DEFAULT, the strategy, the fail-open switch and
# RATELIMIT_ENABLED on the Limiter object, so create_app builds one per app
# (gapfind.ratelimit.init_limiter). These tests fail if a limiter is ever shared again.


def test_each_app_gets_its_own_default_limit(app_factory: Callable[..., Flask]) -> None:
    first = app_factory(**limited())  # DEFAULT_LIMIT, the value every test here uses
    assert first.config["RATELIMIT_DEFAULT"] == DEFAULT_LIMIT
    stricter = app_factory(**limited(RATELIMIT_DEFAULT="2 per hour"))
    client = stricter.test_client()
    statuses = [client.get("/users/nadie").status_code for _ in range(3)]
    assert statuses == [404, 404, 429]


def test_disabling_limits_in_one_app_leaves_another_limited(
    app_factory: Callable[..., Flask],
) -> None:
    guarded = app_factory(**limited())
    app_factory(**limited(RATELIMIT_ENABLED=False))
    client: FlaskClient = guarded.test_client()
    statuses = [client.get("/users/nadie").status_code for _ in range(LIMIT + 1)]
    assert statuses == [404] * LIMIT + [429]


def test_writes_limit_setting_is_read_per_app(app_factory: Callable[..., Flask]) -> None:
    """RATELIMIT_WRITES is read from each app's own config."""
    app = app_factory(**limited(RATELIMIT_WRITES="1 per hour"))
    client = app.test_client()
    Students(client).register("ana")
    response = client.post("/manual", json={"username": "bob", "list_of_indices": [[0, 0]]})
    assert_rate_limited(response, 1)
    assert WRITES_LIMIT != "1 per hour"


# ----------------------------------------------------------------- the per-endpoint table
#
# gapfind.ratelimit resolves each endpoint's limits once instead of per request; these pin
# down what Flask-Limiter's own resolution did, so the table cannot drift from it.


def test_every_limit_of_a_multi_limit_default_is_enforced(
    app_factory: Callable[..., Flask], storage_uri: str
) -> None:
    """RATELIMIT_DEFAULT "5 per hour;2 per minute": the minute refuses the 3rd request, and the
    headers describe the limit with the shortest window, as Flask-Limiter orders them."""
    app = app_factory(**limited(storage_uri, RATELIMIT_DEFAULT="5 per hour;2 per minute"))
    client = app.test_client()
    first = client.get("/users/nadie")
    assert first.headers["X-RateLimit-Limit"] == "2"
    assert first.headers["X-RateLimit-Remaining"] == "1"
    assert client.get("/users/nadie").status_code == 404
    assert_rate_limited(client.get("/users/nadie"), 2)


def test_a_write_reports_its_endpoint_limit_until_the_shared_bucket_refuses(
    limited_app: Flask,
) -> None:
    client = limited_app.test_client()
    response = client.post("/manual", json={"username": "ana", "list_of_indices": [[0, 0]]})
    assert response.status_code == 201
    # Both buckets were spent; the headers describe the endpoint's own one.
    assert response.headers["X-RateLimit-Limit"] == str(LIMIT)
    assert response.headers["X-RateLimit-Remaining"] == str(LIMIT - 1)


def test_the_endpoint_limit_is_described_even_when_the_shared_one_is_checked_first(
    app_factory: Callable[..., Flask],
) -> None:
    """With RATELIMIT_WRITES on a shorter window it is checked first; the headers of an
    accepted write still describe the endpoint's own limit, as Flask-Limiter's do."""
    app = app_factory(**limited(RATELIMIT_WRITES="2 per minute"))
    client = app.test_client()
    response = client.post("/manual", json={"username": "ana", "list_of_indices": [[0, 0]]})
    assert response.status_code == 201
    assert response.headers["X-RateLimit-Limit"] == str(LIMIT)
    Students(client).register("bob")
    assert_rate_limited(
        client.post("/manual", json={"username": "carla", "list_of_indices": [[0, 0]]}), 2
    )


def test_limits_are_counted_per_endpoint_except_the_shared_writes(limited_app: Flask) -> None:
    client = limited_app.test_client()
    for _ in range(LIMIT):
        client.get("/users/nadie")
    assert client.get("/users/nadie").status_code == 429
    # Another endpoint has its own bucket for the same client.
    response = client.post("/results", json={"usernames": ["nadie"]})
    assert response.status_code == 400  # answered (nobody by that name), not refused
    assert response.headers["X-RateLimit-Remaining"] == str(LIMIT - 1)


def test_an_empty_default_leaves_only_the_writes_limited(
    app_factory: Callable[..., Flask],
) -> None:
    app = app_factory(**limited(RATELIMIT_DEFAULT=""))
    client = app.test_client()
    for _ in range(3 * LIMIT):
        response = client.get("/users/nadie")
        assert response.status_code == 404
        assert "X-RateLimit-Limit" not in response.headers
    Students(client).register("ana")
    Students(client).register("bob")
    Students(client).register("carla")
    refused = client.post("/manual", json={"username": "dora", "list_of_indices": [[0, 0]]})
    assert_rate_limited(refused, WRITES)


@pytest.mark.parametrize("setting", ["RATELIMIT_DEFAULT", "RATELIMIT_WRITES"])
def test_a_mistyped_limit_stops_the_app_at_start_up(
    app_factory: Callable[..., Flask], setting: str
) -> None:
    with pytest.raises(ValueError, match=setting):
        app_factory(**limited(**{setting: "20 per fortnight"}))


def test_a_storage_failure_after_the_check_still_serves_the_answer(
    app_factory: Callable[..., Flask],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Fault injection: the storage dies between the limit check (passed) and the headers.
    Even failing closed, the request was already allowed: it is answered, without the headers,
    and the failure starts an outage (logged once, as in test_limiter_outage_log.py) — never
    a 500."""
    app = app_factory(**limited(RATELIMIT_FAIL_OPEN=False))
    strategy = app.extensions["gapfind.limiter"].limiter

    def storage_down(*_: Any) -> None:
        raise StorageError(ConnectionError("storage went away"))

    monkeypatch.setattr(strategy, "get_window_stats", storage_down)
    response = app.test_client().get("/users/nadie")
    assert response.status_code == 404
    assert "X-RateLimit-Limit" not in response.headers
    started = [r for r in caplog.records if "outage started" in r.getMessage()]
    assert len(started) == 1, caplog.text
    assert "storage went away" in started[0].getMessage()


def test_the_table_uses_flask_limiters_keys(app_factory: Callable[..., Flask]) -> None:
    """Same storage keys as Flask-Limiter's own resolution ("LIMITER/<client>/<endpoint>/..."
    and the shared "writes" scope), so counts survive an upgrade that drops the table, and a
    Redis shared with an older deployment keeps counting the same buckets. (The moving window
    keeps one list per key, which makes the keys easy to read back.)"""
    app = app_factory(**limited(RATELIMIT_STRATEGY="moving-window"))
    limiter = app.extensions["gapfind.limiter"]
    client = app.test_client()
    client.post("/manual", json={"username": "ana", "list_of_indices": [[0, 0]]})
    keys = set(limiter.storage.events)
    assert keys == {
        f"LIMITER/127.0.0.1/schedules.register/{LIMIT}/1/hour",
        f"LIMITER/127.0.0.1/writes/{WRITES}/1/hour",
    }
    assert "meta.health" not in limiter.endpoint_limits
    assert [limit.scope for limit in limiter.endpoint_limits["schedules.register"]] == [
        "schedules.register",
        "writes",
    ]


# ----------------------------------------------------------------- memory storage


def test_memory_storage_starts_no_thread_per_request(app_factory: Callable[..., Flask]) -> None:
    """limits' own MemoryStorage restarts a 10 ms threading.Timer on the first hit after each
    pause, i.e. a thread for nearly every request on a quiet site; gapfind.ratelimit's
    replacement expires inline. A Timer started by a request is still asleep when it returns."""
    app = app_factory(**limited(RATELIMIT_DEFAULT="1000 per hour"))
    limiter = app.extensions["gapfind.limiter"]
    assert isinstance(limiter.storage, InlineExpiryMemoryStorage)
    client = app.test_client()
    for _ in range(20):
        assert client.get("/users/nadie").status_code == 404
        timers = [t for t in threading.enumerate() if isinstance(t, threading.Timer)]
        assert timers == [], f"a request left {timers} running"


def test_memory_storage_still_expires_old_windows() -> None:
    """The inline sweep frees what the Timer used to: a key whose window has passed goes."""
    storage = InlineExpiryMemoryStorage("memory://")
    limit = parse("1 per second")
    strategy = MovingWindowRateLimiter(storage)
    assert strategy.hit(limit, "client")
    assert not strategy.hit(limit, "client")
    # Age the entry past its window instead of sleeping; then the next sweep must drop it.
    for entry in storage.events["LIMITER/client/1/1/second"]:
        entry.expiry -= 5
        entry.atime -= 5
    storage._next_sweep = 0.0
    assert strategy.hit(limit, "other")  # any hit runs the due sweep
    assert storage.events.get("LIMITER/client/1/1/second", []) == []
    assert strategy.hit(limit, "client")
