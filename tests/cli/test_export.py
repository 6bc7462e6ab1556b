"""`flask users export`: both formats, to stdout or a file, and back through import unchanged."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import delete

from gapfind.extensions import db
from gapfind.persistence.models import utc_now
from gapfind.persistence.repository import students
from tests.support.flask_command import FlaskCommand
from tests.support.student_table import StudentTable
from tests.support.weeks import EMPTY, EVERY_OTHER, FULL, MONDAYS

REGISTERED = datetime(2024, 8, 5, 14, 30, 15, 250000, tzinfo=timezone.utc)


@pytest.fixture
def three_students(student_table: StudentTable) -> None:
    student_table.add("carl", FULL, updated_at=REGISTERED, token_hash="c" * 64)
    student_table.add("ana", MONDAYS)
    student_table.add("bob", EVERY_OTHER)


def empty_table(app: Flask) -> None:
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(delete(students))


@pytest.mark.usefixtures("three_students")
def test_json_export_is_the_username_object_sorted_by_name(flask_command: FlaskCommand, app: Flask):
    app.config["SCHEDULE_RETENTION_DAYS"] = 0  # carl was last updated long ago

    result = flask_command("users", "export")

    assert result.exit_code == 0, result.output
    assert list(json.loads(result.stdout).items()) == [
        ("ana", MONDAYS),
        ("bob", EVERY_OTHER),
        ("carl", FULL),
    ]


@pytest.mark.usefixtures("three_students")
def test_expired_students_are_not_exported(flask_command: FlaskCommand):
    result = flask_command("users", "export", "--format", "csv")

    assert [row["username"] for row in csv.DictReader(io.StringIO(result.stdout))] == ["ana", "bob"]


@pytest.mark.usefixtures("three_students")
def test_csv_export_carries_registration_dates_and_never_tokens(
    flask_command: FlaskCommand, app: Flask
):
    app.config["SCHEDULE_RETENTION_DAYS"] = 0

    result = flask_command("users", "export", "--format", "csv")

    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["username", "schedule", "created_at"]
    assert rows[3] == ["carl", FULL, "2024-08-05T14:30:15.250000+00:00"]
    assert "c" * 64 not in result.stdout


@pytest.mark.parametrize("export_format", ["json", "csv"])
@pytest.mark.usefixtures("three_students")
def test_export_import_round_trip_loses_nothing(
    flask_command: FlaskCommand,
    app: Flask,
    student_table: StudentTable,
    tmp_path: Path,
    export_format: str,
):
    app.config["SCHEDULE_RETENTION_DAYS"] = 0
    exported = tmp_path / f"students.{export_format}"
    before = student_table.rows()

    first = flask_command("users", "export", "--format", export_format, "--output", str(exported))
    empty_table(app)
    imported = flask_command("users", "import", str(exported))
    again = flask_command("users", "export", "--format", export_format)

    assert first.exit_code == 0, first.output
    assert "exported 3 students" in first.stderr
    assert imported.exit_code == 0, imported.output
    assert "imported: 3" in imported.stdout
    assert again.stdout == exported.read_text(encoding="utf-8")
    after = student_table.rows()
    assert {name: row.schedule for name, row in after.items()} == {
        name: row.schedule for name, row in before.items()
    }
    if export_format == "csv":
        assert {name: row.created_at for name, row in after.items()} == {
            name: row.created_at for name, row in before.items()
        }


def test_export_of_an_empty_table(flask_command: FlaskCommand):
    as_json = flask_command("users", "export")
    as_csv = flask_command("users", "export", "--format", "csv")

    assert json.loads(as_json.stdout) == {}
    assert as_csv.stdout == "username,schedule,created_at\n"


def test_export_replaces_the_output_file_whole(
    flask_command: FlaskCommand, student_table: StudentTable, tmp_path
):
    output = tmp_path / "students.json"
    output.write_text("x" * 10_000, encoding="utf-8")
    student_table.add("ana", EMPTY, updated_at=utc_now() - timedelta(days=1))

    result = flask_command("users", "export", "--output", str(output))

    assert result.exit_code == 0, result.output
    assert json.loads(output.read_text(encoding="utf-8")) == {"ana": EMPTY}
    assert result.stdout == ""
