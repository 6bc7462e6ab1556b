"""`flask users show / reset-token / delete / stats`: one student at a time, and the totals."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from flask import Flask

from gapfind.core import render_grid
from gapfind.persistence.models import utc_now
from gapfind.persistence.repository import hash_token
from tests.support.flask_command import FlaskCommand
from tests.support.student_table import StudentTable
from tests.support.students import Students
from tests.support.weeks import EMPTY, FULL, MONDAYS

EXPIRED = timedelta(days=181)  # SCHEDULE_RETENTION_DAYS is 180 by default


# --------------------------------------------------------------------------- show


def test_show_prints_the_labelled_grid(flask_command: FlaskCommand, student_table: StudentTable):
    student_table.add("ana", MONDAYS)

    result = flask_command("users", "show", "ANA")

    assert result.exit_code == 0, result.output
    header, grid = result.stdout.rstrip("\n").split("\n", 1)
    assert header.startswith("ana  registered ")
    assert "edit token: none (run users reset-token)" in header
    assert grid == render_grid(MONDAYS)
    assert "Lunes" in grid and "6:30 AM" in grid


@pytest.mark.parametrize("name", ["nobody", "not a name", ""])
def test_show_of_an_unknown_name_fails(flask_command: FlaskCommand, name: str):
    result = flask_command("users", "show", name)

    assert result.exit_code == 1
    assert f"no student named {name!r}" in result.stderr


def test_show_treats_an_expired_student_as_absent(
    flask_command: FlaskCommand, student_table: StudentTable
):
    student_table.add("ana", MONDAYS, updated_at=utc_now() - EXPIRED)

    assert flask_command("users", "show", "ana").exit_code == 1


# --------------------------------------------------------------------------- reset-token


def test_reset_token_lets_an_imported_student_edit_through_the_api(
    flask_command: FlaskCommand, app: Flask, student_table: StudentTable, write_json
):
    flask_command("users", "import", str(write_json("a.json", {"ana": MONDAYS})))
    client = app.test_client()
    body = {"list_of_indices": [[2, 0], [3, 0]]}
    refused = client.put("/users/ana", json=body, headers={"Authorization": "Bearer guess"})
    before = student_table.rows()["ana"]

    result = flask_command("users", "reset-token", "Ana")
    token = result.stdout.strip()
    accepted = client.put("/users/ana", json=body, headers={"Authorization": f"Bearer {token}"})

    assert refused.status_code == 403
    assert result.exit_code == 0, result.output
    assert len(token) >= 40 and "\n" not in token
    assert "New edit token for ana" in result.stderr
    assert student_table.rows()["ana"].edit_token_hash == hash_token(token)
    assert token not in str(student_table.rows())
    assert accepted.status_code == 200, accepted.get_json()
    assert accepted.get_json()["schedule"][14] == "1"
    assert student_table.rows()["ana"].updated_at > before.updated_at


def test_reset_token_revokes_the_old_token_and_leaves_updated_at(
    flask_command: FlaskCommand, app: Flask, student_table: StudentTable
):
    client = app.test_client()
    old_token = Students(client).register("bob")["edit_token"]
    before = student_table.rows()["bob"]

    result = flask_command("users", "reset-token", "bob")
    response = client.delete("/users/bob", headers={"Authorization": f"Bearer {old_token}"})

    assert result.exit_code == 0
    assert response.status_code == 403
    assert student_table.rows()["bob"].updated_at == before.updated_at
    assert student_table.rows()["bob"].schedule == before.schedule


@pytest.mark.parametrize("name", ["nobody", "bad name"])
def test_reset_token_for_an_unknown_name_fails(
    flask_command: FlaskCommand, student_table: StudentTable, name: str
):
    student_table.add("ana", EMPTY)

    result = flask_command("users", "reset-token", name)

    assert result.exit_code == 1
    assert result.stdout == ""
    assert student_table.rows()["ana"].edit_token_hash is None


def test_reset_token_for_an_expired_student_fails(
    flask_command: FlaskCommand, student_table: StudentTable
):
    student_table.add("ana", EMPTY, updated_at=utc_now() - EXPIRED)

    result = flask_command("users", "reset-token", "ana")

    assert result.exit_code == 1
    assert student_table.rows()["ana"].edit_token_hash is None


# --------------------------------------------------------------------------- delete


def test_delete_frees_the_name(
    flask_command: FlaskCommand, app: Flask, student_table: StudentTable
):
    student_table.add("ana", MONDAYS)
    student_table.add("bob", FULL)

    result = flask_command("users", "delete", "ANA")
    registered = app.test_client().post(
        "/manual", json={"username": "ana", "list_of_indices": [[0, 0]]}
    )

    assert result.exit_code == 0
    assert "deleted ana" in result.stdout
    assert registered.status_code == 201
    assert set(student_table.rows()) == {"ana", "bob"}


def test_delete_of_an_unknown_name_fails(flask_command: FlaskCommand, student_table: StudentTable):
    student_table.add("ana", MONDAYS)

    result = flask_command("users", "delete", "bob")

    assert result.exit_code == 1
    assert "no student named 'bob'" in result.stderr
    assert set(student_table.rows()) == {"ana"}


# --------------------------------------------------------------------------- stats


def _week(when: datetime) -> str:
    year, week, _ = when.isocalendar()
    return f"{year}-W{week:02d}"


def test_stats_counts_students_and_registrations_per_week(
    flask_command: FlaskCommand, student_table: StudentTable
):
    now = utc_now()
    student_table.add("ana", EMPTY, updated_at=now)
    student_table.add("bob", EMPTY, updated_at=now, token_hash="b" * 64)
    student_table.add("carl", EMPTY, updated_at=now - timedelta(weeks=2))
    student_table.add("dora", EMPTY, updated_at=now - EXPIRED)

    result = flask_command("users", "stats", "--weeks", "3")

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[:4] == [
        "students: 3",
        "  expired, awaiting purge: 1",
        "  without an edit token: 3",
        "registrations per ISO week (last 3):",
    ]
    weeks = dict(line.split() for line in lines[4:])
    assert list(weeks) == [
        _week(now - timedelta(weeks=2)),
        _week(now - timedelta(weeks=1)),
        _week(now),
    ]
    assert list(weeks.values()) == ["1", "0", "2"]


def test_stats_on_an_empty_table(flask_command: FlaskCommand):
    result = flask_command("users", "stats")

    assert result.exit_code == 0
    assert result.stdout.startswith("students: 0\n")
    assert len(result.stdout.splitlines()) == 4 + 8


def test_stats_weeks_start_on_monday(flask_command: FlaskCommand, student_table: StudentTable):
    now = utc_now()
    monday = datetime.combine(now.date() - timedelta(days=now.weekday()), datetime.min.time())
    student_table.add("ana", EMPTY, updated_at=monday.replace(tzinfo=timezone.utc))
    student_table.add(
        "bob", EMPTY, updated_at=monday.replace(tzinfo=timezone.utc) - timedelta(seconds=1)
    )

    result = flask_command("users", "stats", "--weeks", "2")

    assert result.stdout.splitlines()[-2:] == [
        f"  {_week(monday - timedelta(days=1))}       1",
        f"  {_week(monday)}       1",
    ]
