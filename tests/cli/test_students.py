"""`flask users show / reset-token / delete / stats`: one student at a time, and the totals."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from gapfind.core import render_grid
from gapfind.models import utc_now
from gapfind.repository import hash_token
from tests.cli.conftest import EMPTY, FULL, MONDAYS, add_student, invoke, table, write_json
from tests.support.students import Students

EXPIRED = timedelta(days=181)  # SCHEDULE_RETENTION_DAYS is 180 by default


# --------------------------------------------------------------------------- show


def test_show_prints_the_labelled_grid(runner: FlaskCliRunner, app: Flask):
    add_student(app, "ana", MONDAYS)

    result = invoke(runner, "users", "show", "ANA")

    assert result.exit_code == 0, result.output
    header, grid = result.stdout.rstrip("\n").split("\n", 1)
    assert header.startswith("ana  registered ")
    assert "edit token: none (run users reset-token)" in header
    assert grid == render_grid(MONDAYS)
    assert "Lunes" in grid and "6:30 AM" in grid


@pytest.mark.parametrize("name", ["nobody", "not a name", ""])
def test_show_of_an_unknown_name_fails(runner: FlaskCliRunner, app: Flask, name: str):
    result = invoke(runner, "users", "show", name)

    assert result.exit_code == 1
    assert f"no student named {name!r}" in result.stderr


def test_show_treats_an_expired_student_as_absent(runner: FlaskCliRunner, app: Flask):
    add_student(app, "ana", MONDAYS, updated_at=utc_now() - EXPIRED)

    assert invoke(runner, "users", "show", "ana").exit_code == 1


# --------------------------------------------------------------------------- reset-token


def test_reset_token_lets_an_imported_student_edit_through_the_api(
    runner: FlaskCliRunner, app: Flask, tmp_path
):
    invoke(runner, "users", "import", str(write_json(tmp_path / "a.json", {"ana": MONDAYS})))
    client = app.test_client()
    body = {"list_of_indices": [[2, 0], [3, 0]]}
    refused = client.put("/users/ana", json=body, headers={"Authorization": "Bearer guess"})
    before = table(app)["ana"]

    result = invoke(runner, "users", "reset-token", "Ana")
    token = result.stdout.strip()
    accepted = client.put("/users/ana", json=body, headers={"Authorization": f"Bearer {token}"})

    assert refused.status_code == 403
    assert result.exit_code == 0, result.output
    assert len(token) >= 40 and "\n" not in token
    assert "New edit token for ana" in result.stderr
    assert table(app)["ana"].edit_token_hash == hash_token(token)
    assert token not in str(table(app))
    assert accepted.status_code == 200, accepted.get_json()
    assert accepted.get_json()["schedule"][14] == "1"
    assert table(app)["ana"].updated_at > before.updated_at


def test_reset_token_revokes_the_old_token_and_leaves_updated_at(
    runner: FlaskCliRunner, app: Flask
):
    client = app.test_client()
    old_token = Students(client).register("bob")["edit_token"]
    before = table(app)["bob"]

    result = invoke(runner, "users", "reset-token", "bob")
    response = client.delete("/users/bob", headers={"Authorization": f"Bearer {old_token}"})

    assert result.exit_code == 0
    assert response.status_code == 403
    assert table(app)["bob"].updated_at == before.updated_at
    assert table(app)["bob"].schedule == before.schedule


@pytest.mark.parametrize("name", ["nobody", "bad name"])
def test_reset_token_for_an_unknown_name_fails(runner: FlaskCliRunner, app: Flask, name: str):
    add_student(app, "ana", EMPTY)

    result = invoke(runner, "users", "reset-token", name)

    assert result.exit_code == 1
    assert result.stdout == ""
    assert table(app)["ana"].edit_token_hash is None


def test_reset_token_for_an_expired_student_fails(runner: FlaskCliRunner, app: Flask):
    add_student(app, "ana", EMPTY, updated_at=utc_now() - EXPIRED)

    result = invoke(runner, "users", "reset-token", "ana")

    assert result.exit_code == 1
    assert table(app)["ana"].edit_token_hash is None


# --------------------------------------------------------------------------- delete


def test_delete_frees_the_name(runner: FlaskCliRunner, app: Flask):
    add_student(app, "ana", MONDAYS)
    add_student(app, "bob", FULL)

    result = invoke(runner, "users", "delete", "ANA")
    registered = app.test_client().post(
        "/manual", json={"username": "ana", "list_of_indices": [[0, 0]]}
    )

    assert result.exit_code == 0
    assert "deleted ana" in result.stdout
    assert registered.status_code == 201
    assert set(table(app)) == {"ana", "bob"}


def test_delete_of_an_unknown_name_fails(runner: FlaskCliRunner, app: Flask):
    add_student(app, "ana", MONDAYS)

    result = invoke(runner, "users", "delete", "bob")

    assert result.exit_code == 1
    assert "no student named 'bob'" in result.stderr
    assert set(table(app)) == {"ana"}


# --------------------------------------------------------------------------- stats


def _week(when: datetime) -> str:
    year, week, _ = when.isocalendar()
    return f"{year}-W{week:02d}"


def test_stats_counts_students_and_registrations_per_week(runner: FlaskCliRunner, app: Flask):
    now = utc_now()
    add_student(app, "ana", EMPTY, updated_at=now)
    add_student(app, "bob", EMPTY, updated_at=now, token_hash="b" * 64)
    add_student(app, "carl", EMPTY, updated_at=now - timedelta(weeks=2))
    add_student(app, "dora", EMPTY, updated_at=now - EXPIRED)

    result = invoke(runner, "users", "stats", "--weeks", "3")

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


def test_stats_on_an_empty_table(runner: FlaskCliRunner):
    result = invoke(runner, "users", "stats")

    assert result.exit_code == 0
    assert result.stdout.startswith("students: 0\n")
    assert len(result.stdout.splitlines()) == 4 + 8


def test_stats_weeks_start_on_monday(runner: FlaskCliRunner, app: Flask):
    now = utc_now()
    monday = datetime.combine(now.date() - timedelta(days=now.weekday()), datetime.min.time())
    add_student(app, "ana", EMPTY, updated_at=monday.replace(tzinfo=timezone.utc))
    add_student(
        app, "bob", EMPTY, updated_at=monday.replace(tzinfo=timezone.utc) - timedelta(seconds=1)
    )

    result = invoke(runner, "users", "stats", "--weeks", "2")

    assert result.stdout.splitlines()[-2:] == [
        f"  {_week(monday - timedelta(days=1))}       1",
        f"  {_week(monday)}       1",
    ]
