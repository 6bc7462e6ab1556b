"""What GET /health checks: that a write would succeed now, not only that a query answers.

Hosts poll /health and take an instance out of rotation on a 503, so it must fail whenever
registrations would, and stay cheap. A write probe (BEGIN IMMEDIATE + ROLLBACK on SQLite) was
considered and rejected: it takes the write lock, so every poll would queue behind a busy writer
for up to SQLITE_BUSY_TIMEOUT and make writers queue behind it, and it would still pass with the
database's folder deleted (a pooled connection locks the deleted file just fine), which is the
failure that made /health lie. Instead:

- SQLite: the database file exists and is writable, and so is its folder, unless the journal
  mode keeps its journal files and they exist and are writable (a rollback journal is created and
  removed in the folder on every write under DELETE; PERSIST and TRUNCATE keep it; WAL keeps
  -wal/-shm while connections are open; MEMORY needs none) - a handful of stat/access calls,
  made before connecting, so the check never creates a missing file; then, on a pooled
  connection, that the file it has open is still the one at the path (gapfind.persistence.database
  records it at connect: a connection keeps a deleted or replaced file open, and its writes fail),
  and a statement on the students table (a new connection creates an empty file where the old one
  was: "no such table" is a 503 too).
- PostgreSQL: one round trip, `SHOW transaction_read_only`: "on" for a hot standby and for
  `default_transaction_read_only`, where every write fails.

As root, file modes do not stop writes, and os.access() says so too; a read-only filesystem
stops root as well, and os.access() reports that.
"""

from __future__ import annotations

import os

from flask import current_app

from gapfind.extensions import db
from gapfind.persistence.database import SQLITE_FILE_ID, sqlite_file_id, sqlite_file_path

# Journal files SQLite keeps between writes, per journal mode; None: it creates and deletes them
# in the database's folder, so that folder must be writable.
_KEPT_JOURNAL_FILES: dict[str, tuple[str, ...] | None] = {
    "DELETE": None,
    "TRUNCATE": ("-journal",),
    "PERSIST": ("-journal",),
    "WAL": ("-wal", "-shm"),
    "MEMORY": (),
}


class DatabaseNotWritable(Exception):
    """A write would fail now; the subclass names why (errors.unavailable logs the name)."""


class DatabaseFileMissing(DatabaseNotWritable):
    """The SQLite file (or its folder) is gone: writes fail, or go to a deleted file."""


class DatabaseFileReplaced(DatabaseNotWritable):
    """The pooled connection has a file open that is no longer the one at the path."""


class DatabaseFileReadOnly(DatabaseNotWritable):
    """The SQLite file, its folder or the filesystem cannot be written."""


class DatabaseReadOnly(DatabaseNotWritable):
    """PostgreSQL runs every transaction read-only (a standby, or default_transaction_read_only)."""


def check_database() -> None:
    """Raise if a write would fail now (DatabaseNotWritable, or the driver's error when the
    database does not answer at all)."""
    engine = db.engine
    if engine.dialect.name == "sqlite":
        path = sqlite_file_path(engine.url.database)
        if path is not None:  # a file, not an in-memory database
            check_sqlite_files(path, current_app.config["SQLITE_JOURNAL_MODE"])
        with engine.connect() as connection:
            opened = connection.info.get(SQLITE_FILE_ID)
            if opened is not None and opened != sqlite_file_id(path):
                raise DatabaseFileReplaced(str(path))
            connection.exec_driver_sql("SELECT 1 FROM students LIMIT 0")
        return
    with engine.connect() as connection:
        if connection.exec_driver_sql("SHOW transaction_read_only").scalar() != "off":
            raise DatabaseReadOnly("transactions are read-only")


def check_sqlite_files(path: str, journal_mode: str) -> None:
    """Raise if SQLite could not write `path` in `journal_mode` now."""
    if not os.path.isfile(path):
        raise DatabaseFileMissing(path)
    if not os.access(path, os.W_OK):
        raise DatabaseFileReadOnly(path)
    folder = os.path.dirname(os.path.abspath(path))
    if os.access(folder, os.W_OK | os.X_OK):
        return
    kept = _KEPT_JOURNAL_FILES.get(journal_mode.upper())
    if kept is None or not all(os.access(path + suffix, os.W_OK) for suffix in kept):
        raise DatabaseFileReadOnly(folder)
