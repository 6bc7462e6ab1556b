"""Every wait on the database is bounded and ends in the contract's 503 (issue 9, item 2): the
settings, the statement timeout PostgreSQL enforces, and the wait for a pooled connection.

A frozen server, where only the client-side deadline helps, is in
tests/integration/test_frozen_postgres.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.exc import TimeoutError as PoolTimeout

from gapfind import create_app
from gapfind.extensions import db
from gapfind.messages import HTTP_MESSAGES
from tests.support.servers import PostgresServer

UNAVAILABLE = {"non_field_errors": [HTTP_MESSAGES[503]]}
MOST_CONNECTIONS = 100  # bound of the loop that empties a pool


def assert_unavailable(response: Any) -> None:
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.get_json() == UNAVAILABLE
    assert response.headers["Retry-After"].isdigit()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def register(client: FlaskClient, name: str) -> str:
    response = client.post("/manual", json={"username": name, "list_of_indices": [[0, 0]]})
    assert response.status_code == 201, response.get_json()
    return str(response.get_json()["edit_token"])


@pytest.mark.parametrize(
    "name, value",
    [
        ("DATABASE_CONNECT_TIMEOUT", 0),
        ("DATABASE_STATEMENT_TIMEOUT", -1),
        ("DATABASE_POOL_TIMEOUT", 0),
    ],
)
@pytest.mark.parametrize("url", ["sqlite:////tmp/gapfind-never-opened.sqlite", "postgresql://h/db"])
def test_timeouts_out_of_range_stop_the_app_at_start_up(name: str, value: int, url: str) -> None:
    with pytest.raises(ValueError, match=name):
        create_app({"DATABASE_URL": url, name: value})


@pytest.fixture
def pg_app_factory(postgres: PostgresServer) -> Iterator[Callable[..., Flask]]:
    """Apps on the session's PostgreSQL with settings overrides; tables dropped afterwards."""
    built: list[Flask] = []

    def build(url: str = postgres.url, **settings: Any) -> Flask:
        app = create_app({"DATABASE_URL": url, **settings})
        with app.app_context():
            db.drop_all()
            db.create_all()
        built.append(app)
        return app

    yield build
    for app in built:
        with app.app_context():
            db.drop_all()
            db.engine.dispose()


def session_setting(app: Flask, name: str) -> str:
    with app.app_context(), db.engine.connect() as connection:
        return str(connection.exec_driver_sql(f"SHOW {name}").scalar())


@pytest.mark.postgresql
@pytest.mark.parametrize("seconds, shown", [(None, "5s"), (7, "7s"), (0, "0")])
def test_sessions_get_the_statement_timeout_beside_the_urls_own_options(
    pg_app_factory: Callable[..., Flask], postgres: PostgresServer, seconds: int | None, shown: str
) -> None:
    """The default is 5 s; 0 leaves the server's setting (0, none, on the test cluster); an
    `options` parameter in DATABASE_URL is kept."""
    url = postgres.url + "?options=-capplication_name%3Dgapfind_probe"
    settings = {} if seconds is None else {"DATABASE_STATEMENT_TIMEOUT": seconds}
    app = pg_app_factory(url, **settings)
    assert session_setting(app, "statement_timeout") == shown
    assert session_setting(app, "application_name") == "gapfind_probe"


@pytest.mark.postgresql
def test_a_statement_past_the_statement_timeout_gets_503_and_leaves_the_pool_usable(
    pg_app_factory: Callable[..., Flask], postgres: PostgresServer
) -> None:
    app = pg_app_factory(DATABASE_STATEMENT_TIMEOUT=1)
    client = app.test_client()
    token = register(client, "ana")
    holder = psycopg.connect(postgres.conninfo())
    try:
        holder.execute("LOCK TABLE students IN ACCESS EXCLUSIVE MODE")
        # PostgreSQL cancels each statement after 1 s of waiting for the lock
        assert_unavailable(client.get("/users/ana"))
        assert_unavailable(client.post("/results", json={"usernames": ["ana", "bea"]}))
        assert_unavailable(
            client.put("/users/ana", json={"list_of_indices": [[3, 3]]}, headers=bearer(token))
        )
        assert_unavailable(
            client.post("/manual", json={"username": "bea", "list_of_indices": [[0, 0]]})
        )
    finally:
        holder.rollback()
        holder.close()
    # the same pooled connections, cancelled statements behind them, serve the next requests
    assert client.get("/users/ana").status_code == 200
    edited = client.put("/users/ana", json={"list_of_indices": [[3, 3]]}, headers=bearer(token))
    assert edited.status_code == 200
    assert register(client, "bea")


def test_a_request_that_waits_too_long_for_a_pooled_connection_gets_503(
    app_factory: Callable[..., Flask],
) -> None:
    app = app_factory(DATABASE_POOL_TIMEOUT=1)
    client = app.test_client()
    token = register(client, "ana")
    held: list[Any] = []
    with app.app_context():
        try:
            for _ in range(MOST_CONNECTIONS):  # take every connection the pool will give
                try:
                    held.append(db.engine.raw_connection())
                except PoolTimeout:
                    break
            else:
                pytest.fail(f"the pool gave out {MOST_CONNECTIONS} connections")
            assert_unavailable(client.get("/users/ana"))
            assert_unavailable(client.get("/health"))
            assert_unavailable(
                client.put("/users/ana", json={"list_of_indices": [[3, 3]]}, headers=bearer(token))
            )
            assert_unavailable(
                client.post("/manual", json={"username": "bea", "list_of_indices": [[0, 0]]})
            )
            held.pop().close()  # one connection back
            assert client.get("/users/ana").status_code == 200
            assert register(client, "bea")
        finally:
            for connection in held:
                connection.close()
