"""CORS (issue 3, item 2).

The web client's JSON requests are preflighted; the preflight must be a 2xx that allows the
methods and headers the client sends. Every response to an allowed origin must carry
Access-Control-Allow-Origin, errors included, or the browser hides the API's Spanish message
from the user. No cookies are used, so credentials stay off.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gapfind import create_app
from gapfind.extensions import db
from tests.support.students import Students
from tests.web import LIMIT, ORIGIN, OTHER_ORIGIN, error_body, limited, unreachable_database_url

Call = Callable[[FlaskClient, dict[str, str]], Any]


def _tokens(value: str | None) -> set[str]:
    return {part.strip().lower() for part in (value or "").split(",") if part.strip()}


def preflight(client: FlaskClient, path: str, method: str, origin: str = ORIGIN) -> Any:
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "content-type, authorization",
        },
    )


def assert_cors_allowed(response: Any) -> None:
    assert response.headers.get("Access-Control-Allow-Origin") == ORIGIN
    assert "Access-Control-Allow-Credentials" not in response.headers


def assert_no_cors(response: Any) -> None:
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Access-Control-Allow-Credentials" not in response.headers


@pytest.mark.parametrize(
    "path,method",
    [("/manual", "POST"), ("/users/ana", "PUT"), ("/users/ana", "DELETE"), ("/results", "POST")],
)
def test_preflight_from_an_allowed_origin_allows_the_client(
    client: FlaskClient, path: str, method: str
) -> None:
    response = preflight(client, path, method)
    assert 200 <= response.status_code < 300
    assert_cors_allowed(response)
    assert {"post", "put", "delete"} <= _tokens(response.headers["Access-Control-Allow-Methods"])
    assert {"content-type", "authorization"} <= _tokens(
        response.headers["Access-Control-Allow-Headers"]
    )


def test_preflight_from_another_origin_is_not_allowed(client: FlaskClient) -> None:
    response = preflight(client, "/manual", "POST", origin=OTHER_ORIGIN)
    assert_no_cors(response)
    assert "Access-Control-Allow-Methods" not in response.headers


def _get_health(client: FlaskClient, headers: dict[str, str]) -> Any:
    return client.get("/health", headers=headers)


def _register(client: FlaskClient, headers: dict[str, str]) -> Any:
    body = {"username": "ana", "list_of_indices": [[0, 0]]}
    return client.post("/manual", json=body, headers=headers)


def _bad_body(client: FlaskClient, headers: dict[str, str]) -> Any:
    return client.post(
        "/manual", data="{not json", content_type="application/json", headers=headers
    )


def _unknown_user(client: FlaskClient, headers: dict[str, str]) -> Any:
    return client.get("/users/nadie", headers=headers)


def _unknown_url(client: FlaskClient, headers: dict[str, str]) -> Any:
    return client.get("/no/such/page", headers=headers)


def _wrong_method(client: FlaskClient, headers: dict[str, str]) -> Any:
    return client.patch("/users/ana", headers=headers)


def _too_large(client: FlaskClient, headers: dict[str, str]) -> Any:
    return client.post(
        "/analyze", data=b"x" * (1024 * 1024 + 1), content_type="application/json", headers=headers
    )


def _missing_token(client: FlaskClient, headers: dict[str, str]) -> Any:
    return client.delete("/users/ana", headers=headers)


RESPONSES: list[tuple[str, Call, int]] = [
    ("200", _get_health, 200),
    ("201", _register, 201),
    ("400", _bad_body, 400),
    ("401", _missing_token, 401),
    ("404-user", _unknown_user, 404),
    ("404-url", _unknown_url, 404),
    ("405", _wrong_method, 405),
    ("413", _too_large, 413),
]


@pytest.mark.parametrize(
    "call,status", [(c, s) for _, c, s in RESPONSES], ids=[i for i, *_ in RESPONSES]
)
def test_every_response_to_an_allowed_origin_is_readable(
    client: FlaskClient, call: Call, status: int
) -> None:
    response = call(client, {"Origin": ORIGIN})
    assert response.status_code == status
    assert_cors_allowed(response)
    exposed = _tokens(response.headers.get("Access-Control-Expose-Headers"))
    assert {"retry-after", "x-request-id"} <= exposed


@pytest.mark.parametrize(
    "call,status", [(c, s) for _, c, s in RESPONSES], ids=[i for i, *_ in RESPONSES]
)
def test_another_origin_gets_no_cors_headers(client: FlaskClient, call: Call, status: int) -> None:
    response = call(client, {"Origin": OTHER_ORIGIN})
    assert response.status_code == status
    assert_no_cors(response)


def test_a_429_is_readable_by_the_allowed_origin(app_factory: Callable[..., Flask]) -> None:
    client = app_factory(**limited()).test_client()
    for _ in range(LIMIT):
        assert _unknown_user(client, {"Origin": ORIGIN}).status_code == 404
    response = _unknown_user(client, {"Origin": ORIGIN})
    assert response.status_code == 429
    assert response.get_json() == error_body(429)
    assert_cors_allowed(response)
    exposed = _tokens(response.headers.get("Access-Control-Expose-Headers"))
    assert {"retry-after", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"} <= (
        exposed
    )
    assert_no_cors(_unknown_user(client, {"Origin": OTHER_ORIGIN}))


def test_preflights_are_not_rate_limited(app_factory: Callable[..., Flask]) -> None:
    client = app_factory(**limited()).test_client()
    body = {"usernames": ["ana", "bob"]}
    # A browser preflights every uncached request: the preflights must not use up the bucket.
    for _ in range(LIMIT):
        assert 200 <= preflight(client, "/results", "POST").status_code < 300
    for _ in range(LIMIT):
        assert client.post("/results", json=body, headers={"Origin": ORIGIN}).status_code == 400
    assert client.post("/results", json=body, headers={"Origin": ORIGIN}).status_code == 429
    # Once limited, the preflight still succeeds, so the browser lets the client read the 429.
    response = preflight(client, "/results", "POST")
    assert 200 <= response.status_code < 300
    assert_cors_allowed(response)


@pytest.fixture(params=["sqlite", "postgresql"])
def unreachable_app(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    app = create_app({"DATABASE_URL": unreachable_database_url(request.param, tmp_path)})
    yield app
    with app.app_context():
        db.engine.dispose()


def test_a_503_is_readable_by_the_allowed_origin(unreachable_app: Flask) -> None:
    client = unreachable_app.test_client()
    for call in (_get_health, _unknown_user, _register):
        response = call(client, {"Origin": ORIGIN})
        assert response.status_code == 503
        assert response.get_json() == error_body(503)
        assert_cors_allowed(response)
        assert_no_cors(call(client, {"Origin": OTHER_ORIGIN}))


def test_cors_origins_setting_lists_the_allowed_origins(
    app_factory: Callable[..., Flask],
    students: Students,
) -> None:
    app = app_factory(CORS_ORIGINS=["https://a.example", "https://b.example"])
    client = app.test_client()
    for origin in ("https://a.example", "https://b.example"):
        response = client.get("/users/nadie", headers={"Origin": origin})
        assert response.headers.get("Access-Control-Allow-Origin") == origin
    assert_no_cors(client.get("/users/nadie", headers={"Origin": ORIGIN}))
    students.register("ana")  # a plain request without Origin still works
