"""lambda_handler.py itself: the module Lambda imports, its app built once from the environment.

In a fresh interpreter with the environment the SAM template gives the function (production
settings, AWS_LAMBDA_FUNCTION_NAME, PostgreSQL, limits in Redis), and in this process, where
the suite's testing settings make the import harmless.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

import lambda_handler
from gapfind import create_app
from gapfind.aws_lambda import PURGE_EVENT
from gapfind.extensions import db
from gapfind.platform import LAMBDA_MARKER
from tests.lambda_.events import answer_body, http_api_event
from tests.support.servers import PostgresServer, RedisServer

ROOT = Path(__file__).resolve().parents[2]
# Runs in the fresh interpreter: each event of argv[1] (a JSON list) through the handler.
INVOKE = """\
import json, sys
import lambda_handler
for event in json.loads(sys.argv[1]):
    print(json.dumps(lambda_handler.handler(event, None)))
"""


def test_the_module_builds_one_app_and_its_handler() -> None:
    assert isinstance(lambda_handler.application, Flask)
    with lambda_handler.application.app_context():
        db.create_all()  # /health answers 200 only where a write would succeed
    answer = lambda_handler.handler(http_api_event("GET", "/health"), None)
    assert answer["statusCode"] == 200
    assert json.loads(answer_body(answer)) == {"status": "ok"}


def test_off_lambda_the_module_runs_on_the_sqlite_file_it_is_given(tmp_path: Path) -> None:
    """How the benchmark and a developer import it: settings from the environment, SQLite."""
    database = tmp_path / "gapfind.sqlite"
    env = {k: v for k, v in os.environ.items() if k != LAMBDA_MARKER}
    env.update({"GAPFIND_CONFIG": "production", "DATABASE_URL": f"sqlite:///{database}"})

    def health() -> int:
        done = subprocess.run(
            [sys.executable, "-c", INVOKE, json.dumps([http_api_event("GET", "/health")])],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return int(json.loads(done.stdout)["statusCode"])

    assert health() == 503  # no such file yet: no write could succeed
    app = create_app({"DATABASE_URL": f"sqlite:///{database}"})
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    assert health() == 200  # the very file DATABASE_URL names


@pytest.fixture
def schema(postgres: PostgresServer) -> Iterator[str]:
    """The students table on the suite's PostgreSQL (`flask db upgrade` does it for a deploy)."""
    app = create_app({"DATABASE_URL": postgres.url})
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield postgres.url
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


@pytest.mark.redis
def test_a_fresh_execution_environment_serves_http_and_the_schedule(
    schema: str, redis: RedisServer
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RATELIMIT_", "TEST_"))}
    env.update(
        {
            LAMBDA_MARKER: "gapfind",
            "GAPFIND_CONFIG": "production",
            "DATABASE_URL": schema,
            "RATELIMIT_STORAGE_URI": redis.url,
            "RATELIMIT_DEFAULT": "7 per hour",
            "CORS_ORIGINS": "https://gfind.pages.dev",
        }
    )
    register = {"username": "ana", "list_of_indices": [[0, 0]]}
    events = [
        http_api_event("GET", "/health"),
        http_api_event(
            "POST", "/manual", {"Content-Type": "application/json"}, json.dumps(register).encode()
        ),
        http_api_event("GET", "/users/ana", {"Origin": "https://gfind.pages.dev"}),
        dict(PURGE_EVENT),
    ]
    done = subprocess.run(
        [sys.executable, "-c", INVOKE, json.dumps(events)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    health, registered, read, purge = [json.loads(line) for line in done.stdout.splitlines()]
    assert health["statusCode"] == 200
    assert registered["statusCode"] == 201, registered["body"]
    assert read["statusCode"] == 200
    assert json.loads(read["body"])["username"] == "ana"
    assert read["headers"]["access-control-allow-origin"] == "https://gfind.pages.dev"
    assert read["headers"]["x-ratelimit-limit"] == "7", "settings come from the environment"
    assert purge == {"task": "purge", "removed": 0, "retention_days": 180}
