"""`flask users purge`: which students go, at the day boundary, and --dry-run."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from flask import Flask

from gapfind.persistence import repository
from gapfind.persistence.models import utc_now
from tests.support.flask_command import FlaskCommand
from tests.support.student_table import StudentTable
from tests.support.weeks import EMPTY

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc)


@pytest.fixture
def at_the_boundary(student_table: StudentTable) -> None:
    """For 30 days before NOW: "edge" exactly at the cutoff, "older" one second before it."""
    student_table.add("fresh", EMPTY, updated_at=NOW)
    student_table.add("edge", EMPTY)
    student_table.add("older", EMPTY)
    student_table.add("oldest", EMPTY)
    student_table.age("edge", NOW - timedelta(days=30))
    student_table.age("older", NOW - timedelta(days=30, seconds=1))
    student_table.age("oldest", NOW - timedelta(days=400))


@pytest.mark.usefixtures("at_the_boundary")
def test_the_cutoff_itself_is_kept_and_one_second_older_goes(
    app: Flask, student_table: StudentTable
):
    """The purge commands delegate to these; pinning `now` makes the boundary exact."""
    with app.app_context():
        listed = repository.expired_usernames(30, now=NOW)
        removed = repository.purge_expired(30, now=NOW)

    assert listed == ["oldest", "older"]
    assert removed == 2
    assert set(student_table.rows()) == {"fresh", "edge"}


def test_purge_deletes_only_students_past_the_given_days(
    flask_command: FlaskCommand, student_table: StudentTable
):
    now = utc_now()
    student_table.add("kept", EMPTY, updated_at=now - timedelta(days=10, seconds=-60))
    student_table.add("gone", EMPTY, updated_at=now - timedelta(days=10, seconds=1))

    result = flask_command("users", "purge", "--older-than", "10")

    assert result.exit_code == 0, result.output
    assert "purged 1 students not updated for 10 days" in result.stdout
    assert set(student_table.rows()) == {"kept"}


def test_dry_run_lists_oldest_first_and_deletes_nothing(
    flask_command: FlaskCommand, student_table: StudentTable
):
    now = utc_now()
    for name, age in (("recent", 1), ("stale", 50), ("ancient", 400), ("old", 31)):
        student_table.add(name, EMPTY, updated_at=now - timedelta(days=age))
    before = student_table.rows()

    result = flask_command("users", "purge", "--older-than", "30", "--dry-run")

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["ancient", "stale", "old"]
    assert "3 students would be purged (not updated for 30 days)" in result.stderr
    assert student_table.rows() == before


def test_purge_defaults_to_the_retention_setting(
    flask_command: FlaskCommand, app: Flask, student_table: StudentTable
):
    app.config["SCHEDULE_RETENTION_DAYS"] = 20
    now = utc_now()
    student_table.add("kept", EMPTY, updated_at=now - timedelta(days=19))
    student_table.add("gone", EMPTY, updated_at=now - timedelta(days=21))

    dry = flask_command("users", "purge", "--dry-run")
    real = flask_command("users", "purge")

    assert dry.stdout.splitlines() == ["gone"]
    assert "not updated for 20 days" in real.stdout
    assert set(student_table.rows()) == {"kept"}


def test_purge_without_days_does_nothing_when_retention_is_off(
    flask_command: FlaskCommand, app: Flask, student_table: StudentTable
):
    app.config["SCHEDULE_RETENTION_DAYS"] = 0
    student_table.add("ancient", EMPTY, updated_at=utc_now() - timedelta(days=4000))

    result = flask_command("users", "purge")

    assert result.exit_code == 0
    assert "retention is off" in result.stdout
    assert set(student_table.rows()) == {"ancient"}


@pytest.mark.parametrize("days", ["0", "-3", "soon"])
def test_purge_refuses_a_day_count_that_would_empty_the_table(
    flask_command: FlaskCommand, student_table: StudentTable, days: str
):
    student_table.add("ana", EMPTY)

    result = flask_command("users", "purge", "--older-than", days)

    assert result.exit_code == 2
    assert set(student_table.rows()) == {"ana"}
