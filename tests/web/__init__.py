"""Public-internet readiness through the app (issue 3): rate limits, client IP behind a proxy,
CORS, size limits, health, security headers and logs.

Shared constants and small helpers for the tests in this package.

Rate-limited apps use `DEFAULT_LIMIT` unless a test needs another one; each app has its own
limiter (test_rate_limits.py proves it), so tests hold whatever order they run in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gapfind.errors import HTTP_MESSAGES, NON_FIELD
from tests.support.servers import free_port

ORIGIN = "https://gfind.pages.dev"
OTHER_ORIGIN = "https://evil.example"

LIMIT = 5
DEFAULT_LIMIT = f"{LIMIT} per hour"  # an hour: no window can roll over during a test
WRITES = 3
WRITES_LIMIT = f"{WRITES} per hour"


def limited(storage_uri: str = "memory://", **overrides: Any) -> dict[str, Any]:
    """Settings of an app with rate limits on (the Testing config turns them off)."""
    return {
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_DEFAULT": DEFAULT_LIMIT,
        "RATELIMIT_WRITES": WRITES_LIMIT,
        "RATELIMIT_STORAGE_URI": storage_uri,
        **overrides,
    }


def error_body(status: int) -> dict[str, list[str]]:
    """The contract's body for an HTTP-level error: the Spanish message under non_field_errors."""
    return {NON_FIELD: [HTTP_MESSAGES[status]]}


def unreachable_database_url(kind: str, tmp_path: Path) -> str:
    """A database nobody can reach: PostgreSQL on a port nobody listens on, or an SQLite file
    in a directory that does not exist."""
    if kind == "postgresql":
        return f"postgresql+psycopg://gapfind@127.0.0.1:{free_port()}/gapfind?connect_timeout=5"
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'missing' / 'dir' / 'gapfind.sqlite'}"
    raise ValueError(kind)
