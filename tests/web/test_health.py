"""Health and an unreachable database (issue 3, item 4).

GET /health answers 200 {"status": "ok"} only after a real round-trip to the database, and 503
in the contract's shape when the database cannot be reached. Every other endpoint then answers
503 JSON too, never a 500 with a traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient

from gapfind import create_app
from gapfind.extensions import db
from tests.support.servers import ServiceUnavailable, postgres_server
from tests.support.services import service_missing
from tests.support.students import Students
from tests.web import error_body, unreachable_database_url


def test_health_is_ok_with_a_database(client: FlaskClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.is_json
    assert response.get_json() == {"status": "ok"}


@pytest.fixture(params=["sqlite", "postgresql"])
def unreachable(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    """An app whose DATABASE_URL names a database nobody can reach."""
    app = create_app({"DATABASE_URL": unreachable_database_url(request.param, tmp_path)})
    yield app
    with app.app_context():
        db.engine.dispose()


def assert_unavailable(response: Any) -> None:
    assert response.status_code == 503
    assert response.is_json
    assert response.get_json() == error_body(503)
    assert response.headers["Retry-After"].isdigit()
    text = response.get_data(as_text=True)
    for leak in ("Traceback", "OperationalError", "sqlite", "psycopg", "SELECT"):
        assert leak not in text


def test_health_is_503_when_the_database_is_unreachable(unreachable: Flask) -> None:
    client = unreachable.test_client()
    for _ in range(2):  # the first response's close also runs (and survives) the daily purge
        response = client.get("/health")
        assert_unavailable(response)
        response.close()


REQUESTS = [
    ("GET", "/users/ana", None, {}),
    ("POST", "/manual", {"username": "ana", "list_of_indices": [[0, 0]]}, {}),
    ("PUT", "/users/ana", {"list_of_indices": [[0, 0]]}, {"Authorization": "Bearer x"}),
    ("DELETE", "/users/ana", None, {"Authorization": "Bearer x"}),
    ("POST", "/results", {"usernames": ["ana", "bob"]}, {}),
    ("POST", "/analyze", {"usernames": ["ana", "bob"]}, {}),
]


@pytest.mark.parametrize(
    "method,path,body,headers", REQUESTS, ids=[f"{m} {p}" for m, p, *_ in REQUESTS]
)
def test_endpoints_answer_503_json_when_the_database_is_unreachable(
    unreachable: Flask, method: str, path: str, body: Any, headers: dict[str, str]
) -> None:
    client = unreachable.test_client()
    assert_unavailable(client.open(path, method=method, json=body, headers=headers))


def test_requests_that_need_no_database_still_work(unreachable: Flask) -> None:
    """Validation and the docs do not depend on the database being up."""
    client = unreachable.test_client()
    bad = client.post("/manual", json={"username": "a1", "list_of_indices": [[0, 0]]})
    assert bad.status_code == 400
    assert client.get("/openapi.json").status_code == 200
    assert client.get("/docs").status_code == 200


@pytest.mark.slow
@pytest.mark.postgresql
def test_a_database_that_goes_away_and_comes_back(tmp_path: Path) -> None:
    """A PostgreSQL restart under a running app: pooled connections die with the server, the
    app answers 503 (never 500) meanwhile, and recovers without a restart of its own."""
    manager = postgres_server()
    try:
        server = manager.__enter__()
    except ServiceUnavailable as error:
        service_missing(str(error))
        raise
    try:
        app = create_app({"DATABASE_URL": server.url})
        with app.app_context():
            db.create_all()
        client = app.test_client()
        token = Students(client).register("ana")["edit_token"]
        assert client.get("/health").status_code == 200
        # The test cluster runs without durability (synchronous_commit off) and stops in
        # immediate mode: flush what the app wrote so that it survives the restart.
        with psycopg.connect(server.conninfo(), autocommit=True) as admin:
            admin.execute("CHECKPOINT")

        server.stop()
        assert_unavailable(client.get("/health"))
        assert_unavailable(client.get("/users/ana"))
        assert_unavailable(
            client.put(
                "/users/ana",
                json={"list_of_indices": [[1, 1]]},
                headers={"Authorization": f"Bearer {token}"},
            )
        )

        server.start()
        assert client.get("/health").get_json() == {"status": "ok"}
        assert client.get("/users/ana").status_code == 200
        replaced = client.put(
            "/users/ana",
            json={"list_of_indices": [[1, 1]]},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert replaced.status_code == 200
        with app.app_context():
            db.engine.dispose()
    finally:
        manager.__exit__(None, None, None)
