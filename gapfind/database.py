"""Engine settings that depend on which database DATABASE_URL names.

SQLite needs three things to stay correct under a multi-threaded server: a busy timeout (so a
writer waits for the lock instead of failing), a journal mode chosen by the operator (WAL is
faster but unsafe on network filesystems), and write transactions that take the write lock at
BEGIN. Without the last, two requests that both read and then write can deadlock, and SQLite
answers one of them "database is locked" at once, whatever the timeout.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

SQLITE_JOURNAL_MODES = {"DELETE", "TRUNCATE", "PERSIST", "WAL", "MEMORY"}
# Passed as an execution option by write transactions, read by the "begin" hook below.
WRITE_TRANSACTION = "gapfind_write"


def resolve_database_uri(app: Flask) -> str:
    """Turn DATABASE_URL (or its absence) into the URI SQLAlchemy should open.

    The default SQLite file lives in the instance folder at an absolute path, because shared
    hosts start WSGI apps from arbitrary working directories. Heroku-style `postgres://` and
    driver-less `postgresql://` URLs are pointed at psycopg 3, the driver requirements.txt ships.
    """
    url: str | None = app.config.get("DATABASE_URL")
    if not url:
        instance = Path(app.instance_path)
        instance.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{instance / 'gapfind.sqlite'}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    # The hot-path SQL (gapfind.repository) is written for these two and tested on both.
    if not url.startswith(("sqlite:", "postgresql+psycopg:")):
        raise ValueError(
            "DATABASE_URL must name SQLite (sqlite:///...) or PostgreSQL (postgresql://...)"
        )
    return url


def engine_options(uri: str, app: Flask) -> dict[str, Any]:
    """Pool and driver options suited to the backend."""
    if uri.startswith("sqlite"):
        return {"connect_args": {"timeout": app.config["SQLITE_BUSY_TIMEOUT"]}}
    # pre_ping turns a connection the server dropped (restart, idle timeout) into a reconnect
    # instead of an error on the next request.
    return {"pool_pre_ping": True, "pool_recycle": 1800}


def configure_sqlite(engine: Engine, journal_mode: str, busy_timeout_s: int) -> None:
    """Install the connection hooks that make SQLite safe for concurrent requests."""
    if journal_mode not in SQLITE_JOURNAL_MODES:
        raise ValueError(f"SQLITE_JOURNAL_MODE must be one of {sorted(SQLITE_JOURNAL_MODES)}")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event emit BEGIN instead of the driver's implicit one.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
        cursor.execute(f"PRAGMA journal_mode = {journal_mode}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        writing = connection.get_execution_options().get(WRITE_TRANSACTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")
