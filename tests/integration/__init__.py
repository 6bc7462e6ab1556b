"""Tests against real server processes: gunicorn serving wsgi.py, redis-server, PostgreSQL.

`served_gapfind` runs the app the way a deployment does: `flask --app wsgi db upgrade` creates the
schema, then gunicorn imports `application` from wsgi.py with GAPFIND_CONFIG=production. The
Testing settings cannot be used there (they pin RATELIMIT_ENABLED off and memory storage), so
every setting the tests rely on is passed explicitly in the environment; nothing is left to the
class defaults or to a developer's `.env` file.

The HTTP helpers use http.client with one connection per request and close every response.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.servers import HOST, GunicornServer, ServiceUnavailable, gunicorn_server
from tests.support.services import service_missing

REPO_ROOT = Path(__file__).resolve().parents[2]
WSGI_APP = "wsgi:application"
MIGRATE_TIMEOUT = 120.0
REQUEST_TIMEOUT = 30.0
LOG_WAIT = 15.0

#: Settings every served app gets unless a test overrides them.
BASE_ENV = {
    "GAPFIND_CONFIG": "production",
    "FLASK_DEBUG": "0",
    "LOG_LEVEL": "INFO",
    "RATELIMIT_ENABLED": "false",
    "RATELIMIT_DEFAULT": "1000 per hour",
    "RATELIMIT_WRITES": "1000 per hour",
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_STRATEGY": "moving-window",
    "RATELIMIT_FAIL_OPEN": "true",
    "TRUSTED_PROXY_HOPS": "0",
    "REAL_IP_HEADER": "",
    "CORS_ORIGINS": "https://gfind.pages.dev",
    "SQLITE_JOURNAL_MODE": "PERSIST",
    "SQLITE_BUSY_TIMEOUT": "15",
    "SCHEDULE_RETENTION_DAYS": "180",
}


def app_env(database_url: str, **settings: str) -> dict[str, str]:
    """The environment of a served app: BASE_ENV, the database and the test's settings."""
    return {**BASE_ENV, "DATABASE_URL": database_url, **settings}


def migrate(env: Mapping[str, str]) -> None:
    """Create the schema exactly as an operator would: `flask --app wsgi db upgrade`."""
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
        cwd=REPO_ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=MIGRATE_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, f"db upgrade failed:\n{result.stdout}\n{result.stderr}"


@contextlib.contextmanager
def served_gapfind(
    env: Mapping[str, str],
    *,
    workers: int = 1,
    threads: int = 1,
    access_log: bool = False,
) -> Iterator[GunicornServer]:
    """Migrate, then serve wsgi.py with gunicorn until the context exits.

    With `access_log`, gunicorn writes one line per request to its log as
    `gapfind-access pid=<PID> status=<STATUS> <REQUEST LINE>`, which is how a test learns which
    worker process served a request without any endpoint for it.
    """
    migrate(env)
    extra: list[str] = []
    if access_log:
        extra += [
            "--access-logfile",
            "-",
            "--access-logformat",
            'gapfind-access pid=%(p)s status=%(s)s "%(r)s"',
        ]
    manager = gunicorn_server(
        WSGI_APP, workers=workers, threads=threads, env=dict(env), cwd=REPO_ROOT, extra_args=extra
    )
    try:
        server = manager.__enter__()
    except ServiceUnavailable as error:  # gunicorn not installed: skip here, fail in CI
        service_missing(str(error))
        raise
    try:
        yield server
    finally:
        manager.__exit__(None, None, None)


@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    _lower: dict[str, str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._lower = {name.lower(): value for name, value in self.headers}

    def header(self, name: str) -> str | None:
        return self._lower.get(name.lower())

    def header_values(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]

    def json(self) -> Any:
        return json.loads(self.body)


def call(
    base_url: str,
    method: str,
    path: str,
    body: Any = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = REQUEST_TIMEOUT,
) -> Reply:
    """One request on a fresh connection (JSON body when given); the connection is closed."""
    port = int(base_url.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        sent_headers = dict(headers or {})
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            sent_headers.setdefault("Content-Type", "application/json")
        conn.request(method, path, body=payload, headers=sent_headers)
        response = conn.getresponse()
        try:
            data = response.read()
        finally:
            response.close()
        return Reply(response.status, response.getheaders(), data)
    finally:
        conn.close()


def wait_for_log(
    server: GunicornServer, predicate: Callable[[str], bool], timeout: float = LOG_WAIT
) -> str:
    """The server's log once `predicate(log)` holds; gunicorn writes a line after it answers,
    so a test that just got its response may have to wait a moment for the line. Bounded."""
    deadline = time.monotonic() + timeout
    while True:
        log = server.read_log()
        if predicate(log) or time.monotonic() >= deadline:
            return log
        time.sleep(0.05)
