"""Direct looks at the students table, bound to one app (flaskr's `auth` fixture, for rows).

The operator commands are judged by what they leave in the database, so the tests read and shape
rows with plain SQL on the app's engine instead of going through the code under test. Tests get it
as the `student_table` fixture (tests/cli/conftest.py), or build `StudentTable(other_app)` for an
app of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import Flask
from sqlalchemy import insert, select, update

from gapfind.extensions import db
from gapfind.persistence.models import utc_now
from gapfind.persistence.repository import students, utc


@dataclass(frozen=True)
class Row:
    """A stored student as the table holds it."""

    schedule: str
    edit_token_hash: str | None
    created_at: datetime
    updated_at: datetime


class StudentTable:
    """The students table of one app, read and written with plain SQL."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def rows(self) -> dict[str, Row]:
        """Every row of the students table, by username."""
        with self.app.app_context(), db.engine.connect() as connection:
            result = connection.execute(select(students))
            return {
                row.username: Row(
                    row.schedule, row.edit_token_hash, utc(row.created_at), utc(row.updated_at)
                )
                for row in result
            }

    def add(
        self,
        username: str,
        schedule: str,
        *,
        updated_at: datetime | None = None,
        token_hash: str | None = None,
    ) -> None:
        """Insert a row directly, e.g. one whose last update lies in the past."""
        when = updated_at or utc_now()
        with self.app.app_context(), db.engine.begin() as connection:
            connection.execute(
                insert(students).values(
                    username=username,
                    schedule=schedule,
                    edit_token_hash=token_hash,
                    created_at=when,
                    updated_at=when,
                )
            )

    def age(self, username: str, when: datetime) -> None:
        """Age a student without touching anything else."""
        with self.app.app_context(), db.engine.begin() as connection:
            connection.execute(
                update(students).where(students.c.username == username).values(updated_at=when)
            )
