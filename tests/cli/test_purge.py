"""`flask users purge`: which students go, at the day boundary, and --dry-run."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from gapfind import repository
from gapfind.models import utc_now
from tests.cli.conftest import EMPTY, add_student, invoke, set_updated_at, table

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc)


@pytest.fixture
def at_the_boundary(app: Flask) -> None:
    """For 30 days before NOW: "edge" exactly at the cutoff, "older" one second before it."""
    add_student(app, "fresh", EMPTY, updated_at=NOW)
    add_student(app, "edge", EMPTY)
    add_student(app, "older", EMPTY)
    add_student(app, "oldest", EMPTY)
    set_updated_at(app, "edge", NOW - timedelta(days=30))
    set_updated_at(app, "older", NOW - timedelta(days=30, seconds=1))
    set_updated_at(app, "oldest", NOW - timedelta(days=400))


@pytest.mark.usefixtures("at_the_boundary")
def test_the_cutoff_itself_is_kept_and_one_second_older_goes(app: Flask):
    """The purge commands delegate to these; pinning `now` makes the boundary exact."""
    with app.app_context():
        listed = repository.expired_usernames(30, now=NOW)
        removed = repository.purge_expired(30, now=NOW)

    assert listed == ["oldest", "older"]
    assert removed == 2
    assert set(table(app)) == {"fresh", "edge"}


def test_purge_deletes_only_students_past_the_given_days(runner: FlaskCliRunner, app: Flask):
    now = utc_now()
    add_student(app, "kept", EMPTY, updated_at=now - timedelta(days=10, seconds=-60))
    add_student(app, "gone", EMPTY, updated_at=now - timedelta(days=10, seconds=1))

    result = invoke(runner, "users", "purge", "--older-than", "10")

    assert result.exit_code == 0, result.output
    assert "purged 1 students not updated for 10 days" in result.stdout
    assert set(table(app)) == {"kept"}


def test_dry_run_lists_oldest_first_and_deletes_nothing(runner: FlaskCliRunner, app: Flask):
    now = utc_now()
    for name, age in (("recent", 1), ("stale", 50), ("ancient", 400), ("old", 31)):
        add_student(app, name, EMPTY, updated_at=now - timedelta(days=age))
    before = table(app)

    result = invoke(runner, "users", "purge", "--older-than", "30", "--dry-run")

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["ancient", "stale", "old"]
    assert "3 students would be purged (not updated for 30 days)" in result.stderr
    assert table(app) == before


def test_purge_defaults_to_the_retention_setting(runner: FlaskCliRunner, app: Flask):
    app.config["SCHEDULE_RETENTION_DAYS"] = 20
    now = utc_now()
    add_student(app, "kept", EMPTY, updated_at=now - timedelta(days=19))
    add_student(app, "gone", EMPTY, updated_at=now - timedelta(days=21))

    dry = invoke(runner, "users", "purge", "--dry-run")
    real = invoke(runner, "users", "purge")

    assert dry.stdout.splitlines() == ["gone"]
    assert "not updated for 20 days" in real.stdout
    assert set(table(app)) == {"kept"}


def test_purge_without_days_does_nothing_when_retention_is_off(runner: FlaskCliRunner, app: Flask):
    app.config["SCHEDULE_RETENTION_DAYS"] = 0
    add_student(app, "ancient", EMPTY, updated_at=utc_now() - timedelta(days=4000))

    result = invoke(runner, "users", "purge")

    assert result.exit_code == 0
    assert "retention is off" in result.stdout
    assert set(table(app)) == {"ancient"}


@pytest.mark.parametrize("days", ["0", "-3", "soon"])
def test_purge_refuses_a_day_count_that_would_empty_the_table(
    runner: FlaskCliRunner, app: Flask, days: str
):
    add_student(app, "ana", EMPTY)

    result = invoke(runner, "users", "purge", "--older-than", days)

    assert result.exit_code == 2
    assert set(table(app)) == {"ana"}
