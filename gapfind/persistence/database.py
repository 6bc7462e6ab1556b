"""Engine settings that depend on which database DATABASE_URL names.

SQLite needs three things to stay correct under a multi-threaded server: a busy timeout (so a
writer waits for the lock instead of failing), a journal mode chosen by the operator (WAL is
faster but unsafe on network filesystems), and write transactions that take the write lock at
BEGIN. Without the last, two requests that both read and then write can deadlock, and SQLite
answers one of them "database is locked" at once, whatever the timeout.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url

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
    # The hot-path SQL (gapfind.persistence.repository) is written for these two and tested on both.
    if not url.startswith(("sqlite:", "postgresql+psycopg:")):
        raise ValueError(
            "DATABASE_URL must name SQLite (sqlite:///...) or PostgreSQL (postgresql://...)"
        )
    return url


def engine_options(uri: str, app: Flask) -> dict[str, Any]:
    """Pool and driver options suited to the backend, with every wait on the database bounded
    (the DATABASE_*_TIMEOUT settings, in seconds)."""
    timeouts = DatabaseTimeouts.from_config(app.config)
    if uri.startswith("sqlite"):
        options: dict[str, Any] = {"connect_args": {"timeout": app.config["SQLITE_BUSY_TIMEOUT"]}}
        if not _sqlite_in_memory(uri):  # in-memory SQLite has one connection per thread, no queue
            options["pool_timeout"] = timeouts.pool
        return options
    # pre_ping turns a connection the server dropped (restart, idle timeout) into a reconnect
    # instead of an error on the next request.
    return {
        "pool_pre_ping": True,
        "pool_recycle": 1800,
        "pool_timeout": timeouts.pool,
        "connect_args": postgresql_connect_args(uri, timeouts),
    }


# ---- bounded waits on the database ------------------------------------------------------------
class DatabaseTimeouts(NamedTuple):
    """Seconds a request may wait on the database before it gets a 503.

    connect: to open a connection (libpq's connect_timeout, which rounds 1 up to 2).
    statement: for one statement, enforced by PostgreSQL; 0 leaves the server's own setting.
    pool: for a free connection from the pool, on every backend.
    """

    connect: int
    statement: int
    pool: int

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> DatabaseTimeouts:
        timeouts = cls(
            connect=int(config["DATABASE_CONNECT_TIMEOUT"]),
            statement=int(config["DATABASE_STATEMENT_TIMEOUT"]),
            pool=int(config["DATABASE_POOL_TIMEOUT"]),
        )
        for name, value, least in (
            ("DATABASE_CONNECT_TIMEOUT", timeouts.connect, 1),
            ("DATABASE_STATEMENT_TIMEOUT", timeouts.statement, 0),
            ("DATABASE_POOL_TIMEOUT", timeouts.pool, 1),
        ):
            if value < least:
                raise ValueError(f"{name} must be at least {least} (seconds), got {value}")
        return timeouts

    @property
    def reply(self) -> float | None:
        """How long psycopg waits for any answer (gapfind.persistence.postgres): the statement
        timeout plus a second for the server's own timeout error to arrive. A reply that has not
        come by then will not come: the server is not running statements at all. None when
        unbounded."""
        return self.statement + 1.0 if self.statement > 0 else None


def postgresql_connect_args(uri: str, timeouts: DatabaseTimeouts) -> dict[str, Any]:
    """libpq parameters: the connect timeout, and the statement timeout as a session option
    (after any `options` the URL already carries, so that the setting wins)."""
    args: dict[str, Any] = {"connect_timeout": timeouts.connect}
    if timeouts.statement > 0:
        given = make_url(uri).query.get("options")
        ours = f"-c statement_timeout={timeouts.statement * 1000}"
        args["options"] = f"{given} {ours}" if isinstance(given, str) and given else ours
    return args


def configure_postgresql(engine: Engine, timeouts: DatabaseTimeouts) -> None:
    """Open every connection as a BoundedConnection, so that no reply is awaited forever."""
    from gapfind.persistence.postgres import (
        BoundedConnection,  # psycopg: only for PostgreSQL deployments
    )

    reply = timeouts.reply

    @event.listens_for(engine, "do_connect")
    def _connect(_dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
        connection = BoundedConnection.connect(*cargs, **cparams)
        connection.reply_timeout = reply
        return connection


def _sqlite_in_memory(uri: str) -> bool:
    """As SQLAlchemy decides between a queue of connections and one per thread (pysqlite's
    _is_url_file_db)."""
    url = make_url(uri)
    return url.database in (None, "", ":memory:") or url.query.get("mode") == "memory"


def configure_sqlite(engine: Engine, journal_mode: str, busy_timeout_s: int) -> None:
    """Install the connection hooks that make SQLite safe for concurrent requests."""
    if journal_mode not in SQLITE_JOURNAL_MODES:
        raise ValueError(f"SQLITE_JOURNAL_MODE must be one of {sorted(SQLITE_JOURNAL_MODES)}")

    path = sqlite_file_path(engine.url.database)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, record: Any) -> None:
        # Let SQLAlchemy's "begin" event emit BEGIN instead of the driver's implicit one.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
        cursor.execute(f"PRAGMA journal_mode = {journal_mode}")
        cursor.close()
        record.info[SQLITE_FILE_ID] = sqlite_file_id(path)  # for /health

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        writing = connection.get_execution_options().get(WRITE_TRANSACTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")


# ---- which file a pooled SQLite connection has open -----------------------------------------
# A connection keeps the file it opened even after that file is deleted or replaced at its path;
# its writes then fail (SQLite: "readonly database", the file moved). /health compares.
SQLITE_FILE_ID = "gapfind_sqlite_file_id"


def sqlite_file_path(database: str | None) -> str | None:
    """The file an SQLite URL's database part names; None for an in-memory database and for
    the `file:` URI form, whose options the checks do not interpret."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return database


def sqlite_file_id(path: str | None) -> tuple[int, int] | None:
    """(device, inode) of the SQLite file at `path` now; None when there is none."""
    if path is None:
        return None
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_dev, info.st_ino
