"""Queries and writes on the students table, shared by the API, the CLI and `flask shell`.

The two hot paths (reading schedules, registering) are SQL written once per supported database
and run on the pooled driver connection; the rest uses SQLAlchemy Core. Every read treats a
student not updated within SCHEDULE_RETENTION_DAYS as absent, so retention holds even on hosts
that cannot schedule the purge.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any, NamedTuple, cast

import orjson
from flask import current_app
from sqlalchemy import ColumnElement, Table, delete, select, true
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from gapfind.extensions import db
from gapfind.persistence.database import WRITE_TRANSACTION
from gapfind.persistence.models import Student, utc_now

# A declarative class with __tablename__ maps a Table; SQLAlchemy types __table__ as the more
# general FromClause.
students = cast(Table, Student.__table__)


class UsernameTaken(Exception):
    """A live student already holds this username."""


class StudentNotFound(Exception):
    """No live student has this username."""


class TokenMismatch(Exception):
    """The edit token does not belong to this student (or the student has none yet)."""


def new_edit_token() -> str:
    """A URL-safe secret with 256 bits of entropy."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """SHA-256 is enough: the token is random, so there is nothing to brute-force slowly."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def days_ago(days: int, now: datetime | None = None) -> datetime:
    """The instant `days` days before `now` (default: the current time)."""
    return (now or utc_now()) - timedelta(days=days)


def retention_cutoff(now: datetime | None = None) -> datetime | None:
    """Oldest updated_at still counted as live, or None when retention is off."""
    days = current_app.config["SCHEDULE_RETENTION_DAYS"]
    return days_ago(days, now) if days > 0 else None


def is_live(cutoff: datetime | None) -> ColumnElement[bool]:
    """The "expired means absent" rule as a WHERE clause, for every Core query."""
    return true() if cutoff is None else students.c.updated_at >= cutoff


@contextmanager
def write_transaction() -> Iterator[Connection]:
    """A transaction that takes SQLite's write lock at BEGIN (see gapfind.persistence.database)."""
    with db.engine.connect() as connection:
        connection.execution_options(**{WRITE_TRANSACTION: True})
        with connection.begin():
            yield connection


# The hot paths (reading schedules, registering) run on the pooled driver connection with SQL
# written once per dialect: no statement to build, hash and compile per request, and on SQLite,
# which is in autocommit outside explicit write transactions, no BEGIN/ROLLBACK around a single
# statement. SQL is written with "?" placeholders and converted for psycopg. One bound parameter
# carries a whole list of names: a JSON array on SQLite, an array on PostgreSQL.
_SCHEDULES_SQL = {
    "sqlite": (
        "SELECT username, schedule FROM students"
        " WHERE username IN (SELECT value FROM json_each(?)) AND updated_at >= ?"
    ),
    "postgresql": (
        "SELECT username, schedule FROM students WHERE username = ANY(?) AND updated_at >= ?"
    ),
}
# A large group (POST /analyze) comes back as one row: how many of the names are live students
# and all their schedules back to back (gapfind.core counts them in that form), not thousands of
# row objects. The order of the concatenation does not matter to the counts.
_GROUP_SQL = {
    "sqlite": (
        "SELECT count(*), group_concat(schedule, '') FROM students"
        " WHERE username IN (SELECT value FROM json_each(?)) AND updated_at >= ?"
    ),
    "postgresql": (
        "SELECT count(*), string_agg(schedule, '') FROM students"
        " WHERE username = ANY(?) AND updated_at >= ?"
    ),
}
# Which of the names are not live students, in the order given (one index lookup per name).
_MISSING_SQL = {
    "sqlite": (
        "SELECT value FROM json_each(?) AS name WHERE NOT EXISTS (SELECT 1 FROM students"
        " WHERE username = name.value AND updated_at >= ?) ORDER BY name.key"
    ),
    "postgresql": (
        "SELECT name.value FROM unnest(CAST(? AS text[])) WITH ORDINALITY AS name(value, key)"
        " WHERE NOT EXISTS (SELECT 1 FROM students"
        " WHERE username = name.value AND updated_at >= ?) ORDER BY name.key"
    ),
}
# One atomic statement: a new name is inserted, an expired row under the name is replaced (to
# every endpoint it is already absent), a live one is left alone and 0 rows change.
_REGISTER_SQL = (
    "INSERT INTO students (username, schedule, edit_token_hash, created_at, updated_at)"
    " VALUES (?, ?, ?, ?, ?) ON CONFLICT (username) DO UPDATE SET"
    " schedule = excluded.schedule, edit_token_hash = excluded.edit_token_hash,"
    " created_at = excluded.created_at, updated_at = excluded.updated_at"
    " WHERE students.updated_at < ?"
)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _driver_value(dialect: str, value: Any) -> Any:
    if dialect == "sqlite" and isinstance(value, datetime):
        # Exactly how SQLAlchemy's DateTime stores values in SQLite ("YYYY-MM-DD HH:MM:SS.ffffff",
        # UTC wall time, no offset), so rows written here read back through the ORM as usual.
        return value.astimezone(timezone.utc).replace(tzinfo=None).isoformat(" ", "microseconds")
    if dialect == "sqlite" and isinstance(value, list):
        # Usernames only (validated ASCII letters): orjson is ~10x the standard library here.
        return orjson.dumps(value).decode()
    return value


def _driver_execute(
    engine: Engine, sql: str, parameters: Sequence[Any], *, commit: bool = False
) -> tuple[list[Any], int]:
    """Run one statement on a pooled driver connection: (rows, rowcount)."""
    dialect = engine.dialect.name
    if engine.dialect.paramstyle != "qmark":
        sql = sql.replace("?", "%s")
    values = tuple(_driver_value(dialect, value) for value in parameters)
    dbapi_error = engine.dialect.loaded_dbapi.Error
    invalidated = False
    try:
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(sql, values)
                rows = list(cursor.fetchall()) if cursor.description else []
                count = cursor.rowcount
            finally:
                cursor.close()
            if commit:
                connection.commit()
        except dbapi_error as error:
            # A lost connection (server gone, or no reply in time: gapfind.persistence.postgres)
            # must not go back to the pool, as SQLAlchemy's own execute() would not let it.
            if engine.dialect.is_disconnect(error, connection.dbapi_connection, None):
                connection.invalidate(error)
                invalidated = True
            raise
        finally:
            connection.close()  # back to the pool, which rolls back anything left open
    except dbapi_error as error:
        # The same exception family as every other query: errors.py answers 503, not 500.
        raise DBAPIError.instance(
            sql, values, error, dbapi_error, connection_invalidated=invalidated
        ) from error
    return rows, count


def _query_live(statements: dict[str, str], names: list[str]) -> list[Any]:
    """Rows of the dialect's statement for a list of names among the live students (the
    statement takes the names, then the retention cutoff)."""
    engine = db.engine
    sql = statements[engine.dialect.name]  # SQLite or PostgreSQL (gapfind.persistence.database)
    rows, _ = _driver_execute(engine, sql, (names, retention_cutoff() or _EPOCH))
    return rows


def find_schedules(usernames: Sequence[str]) -> dict[str, str]:
    """Schedules of the live students among `usernames`, in one query."""
    if not usernames:
        return {}
    return dict(_query_live(_SCHEDULES_SQL, list(usernames)))


class GroupSchedules(NamedTuple):
    """The live students among a group's names: how many, their schedules back to back (98
    characters each, in no particular order) and the names that are not live students."""

    live_count: int
    joined: str
    missing: list[str]


def find_group(usernames: Sequence[str]) -> GroupSchedules:
    """GroupSchedules of distinct `usernames`: one query, two when some names are unknown."""
    names = list(usernames)
    if not names:
        return GroupSchedules(0, "", [])
    [(count, joined)] = _query_live(_GROUP_SQL, names)
    missing: list[str] = []
    if count < len(names):
        missing = [name for (name,) in _query_live(_MISSING_SQL, names)]
    return GroupSchedules(count, joined or "", missing)


def find_schedule(username: str) -> str | None:
    """One live student's schedule."""
    return find_schedules([username]).get(username)


def register_student(username: str, schedule: str) -> str:
    """Store a new student and return the edit token, which is never stored in clear.

    An expired row under the same name is replaced: to every endpoint it is already absent.
    """
    token = new_edit_token()
    now = utc_now()
    values = (username, schedule, hash_token(token), now, now, retention_cutoff(now) or _EPOCH)
    _, changed = _driver_execute(db.engine, _REGISTER_SQL, values, commit=True)
    if changed != 1:
        raise UsernameTaken(username)
    return token


# Editing with a token is ONE conditional statement: the token check is part of the write's WHERE,
# so no other transaction can delete the name and register it again between a check and the
# write (on PostgreSQL the write re-evaluates its WHERE on the row it waited for, and a row
# committed while it waited for a table lock is checked like any other). Only when nothing
# changed does a second read tell "no such student" (404) from "wrong token" (403); what it
# answers is true at that instant, and nothing was written either way.
#
# Comparing in SQL instead of hmac.compare_digest is safe: what is compared is SHA-256 of the
# presented token against the stored SHA-256 of a 256-bit random token. A timing difference
# could at best tell an attacker how many leading hash characters match, but the attacker
# chooses tokens, not hashes: each further matching character multiplies the guessing needed,
# and even the whole stored hash would not reveal a token that hashes to it. NULL (imported students
# without a token) equals nothing, so they are refused like a wrong token.
_REPLACE_SQL = (
    "UPDATE students SET schedule = ?, updated_at = ?"
    " WHERE username = ? AND edit_token_hash = ? AND updated_at >= ?"
)
_DELETE_SQL = "DELETE FROM students WHERE username = ? AND edit_token_hash = ? AND updated_at >= ?"
_LIVE_SQL = "SELECT 1 FROM students WHERE username = ? AND updated_at >= ?"


def _write_with_token(sql: str, head: tuple[Any, ...], username: str, token: str) -> None:
    """Run an edit whose WHERE checks the token; raise what the refusal was when 0 rows changed."""
    engine = db.engine
    cutoff = retention_cutoff() or _EPOCH
    values = (*head, username, hash_token(token), cutoff)
    _, changed = _driver_execute(engine, sql, values, commit=True)
    if changed == 1:
        return
    rows, _ = _driver_execute(engine, _LIVE_SQL, (username, cutoff))
    raise TokenMismatch(username) if rows else StudentNotFound(username)


def replace_schedule(username: str, token: str, schedule: str) -> None:
    """Overwrite a student's schedule if `token` is theirs, in one atomic statement."""
    _write_with_token(_REPLACE_SQL, (schedule, utc_now()), username, token)


def delete_student(username: str, token: str) -> None:
    """Remove a student if `token` is theirs (one atomic statement); the name becomes free."""
    _write_with_token(_DELETE_SQL, (), username, token)


def expired_usernames(older_than_days: int, now: datetime | None = None) -> list[str]:
    """Students not updated for `older_than_days` days, oldest first."""
    cutoff = days_ago(older_than_days, now)
    with db.engine.connect() as connection:
        rows = connection.execute(
            select(students.c.username)
            .where(students.c.updated_at < cutoff)
            .order_by(students.c.updated_at, students.c.username)
        )
        return list(rows.scalars())


def purge_expired(older_than_days: int, now: datetime | None = None) -> int:
    """Delete students not updated for `older_than_days` days; returns how many went."""
    cutoff = days_ago(older_than_days, now)
    with write_transaction() as connection:
        result = connection.execute(delete(students).where(students.c.updated_at < cutoff))
        return int(result.rowcount or 0)


def utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored timestamp is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
