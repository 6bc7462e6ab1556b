"""Apps built as inside a Lambda execution environment (AWS_LAMBDA_FUNCTION_NAME set), which
refuses SQLite: they run on the suite's PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from gapfind import create_app
from gapfind.extensions import db
from gapfind.platform import LAMBDA_MARKER
from tests.support.servers import PostgresServer


@pytest.fixture
def on_lambda(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the Lambda runtime sets in every execution environment."""
    monkeypatch.setenv(LAMBDA_MARKER, "gapfind-tests")


@pytest.fixture
def lambda_app_factory(postgres: PostgresServer, on_lambda: None) -> Iterator[Callable[..., Flask]]:
    """Build Lambda apps with settings overrides on a fresh PostgreSQL schema (one app at a
    time: each build starts the schema again)."""
    built: list[Flask] = []

    def build(**overrides: Any) -> Flask:
        settings = {"DATABASE_URL": postgres.url, "RATELIMIT_STORAGE_URI": "memory://"}
        app = create_app({**settings, **overrides})
        with app.app_context():
            db.drop_all()
            db.create_all()
        built.append(app)
        return app

    yield build
    for app in built:
        with app.app_context():
            db.session.remove()
            db.drop_all()
            db.engine.dispose()
