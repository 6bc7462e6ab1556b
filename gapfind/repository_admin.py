"""Queries and writes on the students table that only the operator's commands make.

gapfind.repository holds what the API needs; this module holds what `flask users ...` does
beside it: looking one student up with dates, issuing an edit token without the old one,
deleting without a token, counting the table. They use SQLAlchemy Core like the API's cold
paths, and keep the same rule: an expired student is absent to every lookup, so an operator
never sees (or resets the token of) someone the API would answer 404 for.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import NamedTuple

from sqlalchemy import delete, func, select, update

from gapfind.extensions import db
from gapfind.models import utc_now
from gapfind.repository import (
    hash_token,
    is_live,
    new_edit_token,
    retention_cutoff,
    students,
    utc,
    write_transaction,
)


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
