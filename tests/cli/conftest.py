"""Helpers for the operator-command tests: data files on disk and direct looks at the table.

The commands are judged by what they leave in the database, so the tests read and shape rows
with plain SQL on the app's engine instead of going through the code under test.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import insert, select, update

from gapfind.extensions import db
from gapfind.models import utc_now
from gapfind.repository import students, utc

# Distinct, valid weeks; MONDAYS has a class on Monday 6:30 only, and so on.
EMPTY = "0" * 98
MONDAYS = "1" + "0" * 97
EVERY_OTHER = "01" * 49
FULL = "1" * 98


@dataclass(frozen=True)
class Row:
    """A stored student as the table holds it."""

    schedule: str
    edit_token_hash: str | None
    created_at: datetime
    updated_at: datetime


def table(app: Flask) -> dict[str, Row]:
    """Every row of the students table, by username."""
    with app.app_context(), db.engine.connect() as connection:
        result = connection.execute(select(students))
        return {
            row.username: Row(
                row.schedule, row.edit_token_hash, utc(row.created_at), utc(row.updated_at)
            )
            for row in result
        }


def add_student(
    app: Flask,
    username: str,
    schedule: str,
    *,
    updated_at: datetime | None = None,
    token_hash: str | None = None,
) -> None:
    """Insert a row directly, e.g. one whose last update lies in the past."""
    when = updated_at or utc_now()
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(
            insert(students).values(
                username=username,
                schedule=schedule,
                edit_token_hash=token_hash,
                created_at=when,
                updated_at=when,
            )
        )


def set_updated_at(app: Flask, username: str, when: datetime) -> None:
    """Age a student without touching anything else."""
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(
            update(students).where(students.c.username == username).values(updated_at=when)
        )


def write_json(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def invoke(runner: FlaskCliRunner, *args: str, stdin: str | bytes | None = None) -> Result:
    """Run `flask <args>`; exceptions other than exits propagate so a crash fails loudly."""
    return runner.invoke(args=list(args), input=stdin, catch_exceptions=False)


@pytest.fixture
def import_file(runner: FlaskCliRunner, tmp_path: Path) -> Any:
    """Write `document` as JSON and import it with extra options; returns the Result."""

    def run(document: Any, *options: str) -> Result:
        source = write_json(tmp_path / "source.json", document)
        return invoke(runner, "users", "import", str(source), *options)

    return run
