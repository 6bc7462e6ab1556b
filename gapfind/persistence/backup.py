"""Copies of the SQLite database file (`flask db-backup`): the other way data leaves the app.

PostgreSQL has pg_dump for this; SQLite, the shared hosts' database, has no server to ask, so
the copy is made here through SQLite's own backup API on the file the app's engine opens.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path

from sqlalchemy.engine import URL


class BackupError(RuntimeError):
    """The database could not be copied; no file is left under the target's name."""


def sqlite_file(url: URL, target: Path) -> str:
    """The file behind a SQLite engine URL, as the URL names it; BackupError when there is none
    to copy.

    Other databases are told the command that does back them up into `target`, with the
    password hidden and the scheme pg_dump understands.
    """
    if url.get_backend_name() != "sqlite":
        shown = url.set(drivername="postgresql").render_as_string(hide_password=True)
        raise BackupError(
            f"db-backup copies SQLite databases; this app uses {url.get_backend_name()}. "
            f"Back it up with pg_dump instead, e.g.\n"
            f"  pg_dump --format=custom --file {target} '{shown}'"
        )
    database = url.database
    if not database or database == ":memory:" or url.query.get("mode") == "memory":
        raise BackupError("the database is in memory: there is no file to back up")
    return database


def backup_sqlite(source: Path, target: Path, busy_timeout: float) -> int:
    """Copy a live SQLite database page by page with SQLite's backup API; returns the students.

    Unlike copying the file, the backup API reads under SQLite's own locks, so the copy is a
    consistent snapshot even while the app writes. It is written beside the target and renamed
    into place, so a failed backup never leaves a truncated file under the target's name; the
    copy is switched to the DELETE journal so it is one self-contained file.
    """
    partial = target.with_name(target.name + ".partial")
    try:
        # mode=rw: never create an empty database where the operator mistyped a path.
        with closing(
            sqlite3.connect(f"{source.resolve().as_uri()}?mode=rw", uri=True, timeout=busy_timeout)
        ) as src:
            with closing(sqlite3.connect(partial)) as copy:
                src.backup(copy)
                copy.execute("PRAGMA journal_mode = DELETE").fetchone()
                (check,) = copy.execute("PRAGMA quick_check").fetchone()
                if check != "ok":
                    raise BackupError(f"the copy fails SQLite's integrity check: {check}")
                (count,) = copy.execute("SELECT count(*) FROM students").fetchone()
        os.replace(partial, target)
    except sqlite3.Error as error:
        raise BackupError(f"cannot back up {source}: {error}") from error
    finally:
        partial.unlink(missing_ok=True)
    return int(count)
