"""Shared fixtures: an app per test on a fresh database, on SQLite and on a real PostgreSQL.

Every API test runs once per backend named in GAPFIND_TEST_BACKENDS (default
"sqlite,postgresql"). The PostgreSQL server is started once per session by the suite itself; on a
machine without its binaries those runs are skipped, unless GAPFIND_REQUIRE_SERVICES=1 (CI), where
a missing service is a failure.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

os.environ["GAPFIND_CONFIG"] = "testing"  # what create_app() picks when a test passes no class

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from gapfind import create_app
from gapfind.extensions import db
from tests.support.servers import (
    PostgresServer,
    RedisServer,
    postgres_server,
    redis_server,
)
from tests.support.services import BACKENDS, start_service
from tests.support.students import Students


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One PostgreSQL cluster for the whole session (starting one costs seconds)."""
    server, stop = start_service(postgres_server())
    yield server
    stop()


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    """A fresh redis-server per test: tests stop and restart it."""
    server, stop = start_service(redis_server())
    yield server
    stop()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    """An empty database of the backend under test."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'gapfind.sqlite'}"
    if request.param == "postgresql":
        server: PostgresServer = request.getfixturevalue("postgres")
        return server.url
    raise ValueError(f"unknown backend {request.param!r}")


def make_app(database_url: str, **overrides: Any) -> Flask:
    """An app on `database_url` with the schema created (the migration test covers Alembic)."""
    app = create_app({"DATABASE_URL": database_url, **overrides})
    with app.app_context():
        db.drop_all()
        db.create_all()
    return app


def dispose(app: Flask) -> None:
    """Drop the schema (PostgreSQL is shared by the session) and close every connection."""
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture
def app(database_url: str) -> Iterator[Flask]:
    application = make_app(database_url)
    yield application
    dispose(application)


@pytest.fixture
def app_factory(database_url: str) -> Iterator[Callable[..., Flask]]:
    """Build apps with settings overrides (rate limits, CORS, proxies...) on a fresh database."""
    built: list[Flask] = []

    def build(**overrides: Any) -> Flask:
        application = make_app(database_url, **overrides)
        built.append(application)
        return application

    yield build
    for application in built:
        dispose(application)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def students(client: FlaskClient) -> Students:
    """Register students through the test's client (flaskr's `auth` fixture)."""
    return Students(client)
