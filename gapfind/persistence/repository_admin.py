"""Queries and writes on the students table that only the operator's commands make.

gapfind.persistence.repository holds what the API needs; this module holds what `flask users ...`
does beside it: looking one student up with dates, issuing an edit token without the old one,
deleting without a token, counting the table, writing imported records in batches and reading
the rows to export. They use SQLAlchemy Core like the API's cold paths, and keep the same rule:
an expired student is absent to every lookup, so an operator never sees (or exports, or resets
the token of) someone the API would answer 404 for.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, NamedTuple

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.engine import Connection, Row

from gapfind.extensions import db
from gapfind.persistence.models import utc_now
from gapfind.persistence.repository import (
    hash_token,
    is_live,
    new_edit_token,
    retention_cutoff,
    students,
    utc,
    write_transaction,
)
from gapfind.transfer.records import Record

# Records written per transaction by import_records.
BATCH_SIZE = 500


# --------------------------------------------------------------------------- one student


class StudentDetails(NamedTuple):
    """What `users show` tells about a live student: the week, both dates in UTC, and
    whether an edit token exists (never the token or its hash)."""

    schedule: str
    created_at: datetime
    updated_at: datetime
    has_edit_token: bool


def find_student_details(username: str) -> StudentDetails | None:
    """One live student by stored key; None when there is none (or it has expired)."""
    with db.engine.connect() as connection:
        row = connection.execute(
            select(
                students.c.schedule,
                students.c.created_at,
                students.c.updated_at,
                students.c.edit_token_hash.is_not(None),
            ).where(students.c.username == username, is_live(retention_cutoff()))
        ).one_or_none()
    if row is None:
        return None
    schedule, created_at, updated_at, has_token = row
    return StudentDetails(schedule, utc(created_at), utc(updated_at), bool(has_token))


def reset_edit_token(username: str) -> str | None:
    """Give a live student a new edit token and return it; None when there is no such student.

    Imported students have none until this runs, and a student who lost theirs has no other
    way back. Only the hash is stored, and updated_at is left alone: retention counts schedule
    changes, not token resets.
    """
    token = new_edit_token()
    with write_transaction() as connection:
        result = connection.execute(
            update(students)
            .where(students.c.username == username, is_live(retention_cutoff()))
            .values(edit_token_hash=hash_token(token), updated_at=students.c.updated_at)
        )
    return token if result.rowcount else None


def delete_student_row(username: str) -> bool:
    """Delete a student without its edit token, expired or not; False when there was none.

    The operator's way to free a name at once, where the API's delete_student needs the token
    and purges wait for retention.
    """
    with write_transaction() as connection:
        result = connection.execute(delete(students).where(students.c.username == username))
    return bool(result.rowcount)


# --------------------------------------------------------------------------- the whole table


@dataclass(frozen=True, slots=True)
class StudentStats:
    """The table at a glance: who is served, who awaits the purge, who cannot edit yet, and
    registrations per ISO week as (Monday, count), oldest week first, empty weeks included."""

    live: int
    expired: int
    tokenless: int
    registrations_per_week: list[tuple[date, int]]


def student_stats(weeks: int, now: datetime | None = None) -> StudentStats:
    """StudentStats over the last `weeks` ISO weeks, this one included, in one connection."""
    now = now or utc_now()
    first_week = _monday(now.date()) - timedelta(weeks=weeks - 1)
    since = datetime.combine(first_week, time(), tzinfo=timezone.utc)
    with db.engine.connect() as connection:
        total, live, tokenless = connection.execute(
            select(
                func.count(),
                func.count().filter(is_live(retention_cutoff(now))),
                func.count().filter(students.c.edit_token_hash.is_(None)),
            ).select_from(students)
        ).one()
        created = connection.execute(
            select(students.c.created_at).where(students.c.created_at >= since)
        ).scalars()
        per_week = Counter(_monday(utc(value).date()) for value in created)
    mondays = [first_week + timedelta(weeks=offset) for offset in range(weeks)]
    return StudentStats(
        live, total - live, tokenless, [(monday, per_week[monday]) for monday in mondays]
    )


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


# --------------------------------------------------------------------------- export


@dataclass(frozen=True, slots=True)
class ExportRow:
    """What an export carries per student; the edit token hash never leaves the database."""

    username: str
    schedule: str
    created_at: datetime


def live_students() -> list[ExportRow]:
    """Every student the API would still serve, by name, so exports diff cleanly."""
    query = select(students.c.username, students.c.schedule, students.c.created_at)
    with db.engine.connect() as connection:
        rows = connection.execute(
            query.where(is_live(retention_cutoff())).order_by(students.c.username)
        )
        return [
            ExportRow(username, schedule, utc(created_at).astimezone(timezone.utc))
            for username, schedule, created_at in rows
        ]


# --------------------------------------------------------------------------- import


@dataclass(slots=True)
class BatchOutcome:
    """What writing records did to the table, by category of the import summary.

    `conflicts` are valid records left unwritten: a live student holds the name with another
    week and the import was not told to overwrite.
    """

    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    conflicts: list[Record] = field(default_factory=list)

    @property
    def records(self) -> int:
        """How many records were handled: each lands in exactly one category."""
        return self.imported + self.updated + self.unchanged + len(self.conflicts)

    def add(self, other: BatchOutcome) -> None:
        """Accumulate batches into the whole import's totals."""
        self.imported += other.imported
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.conflicts.extend(other.conflicts)


def batches(records: Sequence[Record], size: int = BATCH_SIZE) -> Iterator[Sequence[Record]]:
    """Slices written one transaction each: big enough to be fast, small enough to hold locks
    briefly while the app keeps serving."""
    for start in range(0, len(records), size):
        yield records[start : start + size]


def import_records(records: Sequence[Record], *, overwrite: bool) -> Iterator[BatchOutcome]:
    """Write validated records one batch per transaction, yielding each batch's outcome after
    its commit (the CLI's progress bar moves with it).

    An interruption loses at most the batch being written, and never half of a student. Every
    batch is judged against the same instant, so retention cannot move under a long import.
    """
    now = utc_now()
    cutoff = retention_cutoff(now)
    for batch in batches(records):
        with write_transaction() as connection:
            outcome = write_batch(connection, batch, overwrite=overwrite, now=now, cutoff=cutoff)
        yield outcome


def write_batch(
    connection: Connection,
    batch: Sequence[Record],
    *,
    overwrite: bool,
    now: datetime,
    cutoff: datetime | None,
) -> BatchOutcome:
    """Write one batch inside the caller's transaction, with one read of what already exists.

    A row older than `cutoff` is expired, hence absent to every endpoint: it is replaced as a
    new import, as registration would. Imported rows carry no edit token; updated ones keep
    theirs, so the student can go on editing.
    """
    existing = _existing(connection, [record.username for record in batch])
    outcome = BatchOutcome()
    fresh: list[Record] = []
    changed: list[Record] = []
    expired: list[str] = []
    for record in batch:
        stored = existing.get(record.username)
        if stored is not None and cutoff is not None and utc(stored.updated_at) < cutoff:
            expired.append(record.username)
            stored = None
        if stored is None:
            fresh.append(record)
        elif stored.schedule == record.schedule:
            outcome.unchanged += 1
        elif overwrite:
            changed.append(record)
        else:
            outcome.conflicts.append(record)
    _delete(connection, expired)
    outcome.imported = _insert(connection, fresh, now)
    outcome.updated = _update(connection, changed, now)
    return outcome


def _existing(connection: Connection, usernames: list[str]) -> dict[str, Row[Any]]:
    rows = connection.execute(
        select(students.c.username, students.c.schedule, students.c.updated_at).where(
            students.c.username.in_(usernames)
        )
    )
    return {row.username: row for row in rows}


def _delete(connection: Connection, usernames: list[str]) -> None:
    if usernames:
        connection.execute(delete(students).where(students.c.username.in_(usernames)))


def _insert(connection: Connection, records: list[Record], now: datetime) -> int:
    if records:
        connection.execute(
            insert(students),
            [
                {
                    "username": record.username,
                    "schedule": record.schedule,
                    "edit_token_hash": None,
                    "created_at": record.created_at or now,
                    "updated_at": now,
                }
                for record in records
            ],
        )
    return len(records)


def _update(connection: Connection, records: list[Record], now: datetime) -> int:
    if records:
        connection.execute(
            update(students)
            .where(students.c.username == bindparam("name"))
            .values(schedule=bindparam("new_schedule"), updated_at=now),
            [{"name": record.username, "new_schedule": record.schedule} for record in records],
        )
    return len(records)
