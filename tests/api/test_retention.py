"""Retention without a scheduler: a student not updated for SCHEDULE_RETENTION_DAYS is absent to
every endpoint, and the app itself purges such rows at most once a day."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from gapfind import messages
from gapfind.extensions import db
from gapfind.persistence.repository import students
from tests.support.students import Students

DAYS = 180


def age(app: Flask, username: str, days: float) -> None:
    """Pretend the student was last updated `days` ago."""
    when = datetime.now(timezone.utc) - timedelta(days=days)
    with app.app_context():
        db.session.execute(
            update(students).where(students.c.username == username).values(updated_at=when)
        )
        db.session.commit()


def stored(app: Flask) -> set[str]:
    with app.app_context():
        return set(db.session.execute(select(students.c.username)).scalars())


@pytest.fixture
def aged(app_factory, students: Students):
    """An app whose first request (the daily purge) has already run, with ana expired and bob
    just inside the window."""
    app = app_factory(SCHEDULE_RETENTION_DAYS=DAYS)
    client = app.test_client()
    # The day's purge is scheduled by the first request and runs when its response is closed,
    # as a WSGI server does after sending it (the test client leaves closing to the caller).
    client.get("/health").close()
    tokens = {name: students.register(name)["edit_token"] for name in ("ana", "bob", "cy")}
    age(app, "ana", DAYS + 1)
    age(app, "bob", DAYS - 1)
    return app, client, tokens


def test_an_expired_student_is_absent_everywhere(aged):
    app, client, tokens = aged
    assert client.get("/users/ana").status_code == 404
    assert client.get("/users/bob").status_code == 200

    results = client.post("/results", json={"usernames": ["ana", "bob"]})
    assert results.status_code == 400
    assert results.get_json() == {"usernames": [messages.USERS_NOT_FOUND.format(names="ana")]}

    analyze = client.post("/analyze", json={"usernames": ["ana", "bob", "cy"]})
    assert analyze.status_code == 200
    assert analyze.get_json()["users_not_found"] == ["ana"]
    assert analyze.get_json()["total_students"] == 2

    auth = {"Authorization": f"Bearer {tokens['ana']}"}
    assert (
        client.put("/users/ana", json={"list_of_indices": [[1, 1]]}, headers=auth).status_code
        == 404
    )
    assert client.delete("/users/ana", headers=auth).status_code == 404
    assert "ana" in stored(app), "the row itself waits for the next daily purge"


def test_an_expired_name_can_be_registered_again(aged):
    app, client, _ = aged
    again = client.post("/manual", json={"username": "ana", "list_of_indices": [[5, 5]]})
    assert again.status_code == 201
    assert client.get("/users/ana").get_json()["schedule"][5 * 7 + 5] == "1"
    taken = client.post("/manual", json={"username": "bob", "list_of_indices": [[5, 5]]})
    assert taken.get_json() == {"username": [messages.USERNAME_TAKEN]}


def test_updating_a_schedule_renews_it(aged):
    app, client, tokens = aged
    auth = {"Authorization": f"Bearer {tokens['bob']}"}
    assert (
        client.put("/users/bob", json={"list_of_indices": [[2, 2]]}, headers=auth).status_code
        == 200
    )
    age_after = datetime.now(timezone.utc) - timedelta(days=2)
    with app.app_context():
        updated = db.session.execute(
            select(students.c.updated_at).where(students.c.username == "bob")
        ).scalar_one()
    assert updated.replace(tzinfo=updated.tzinfo or timezone.utc) > age_after


def test_retention_zero_keeps_everyone(app_factory, students: Students):
    app = app_factory(SCHEDULE_RETENTION_DAYS=0)
    client = app.test_client()
    students.register("ana")
    age(app, "ana", 10 * 365)
    assert client.get("/users/ana").status_code == 200
    assert stored(app) == {"ana"}


def test_the_app_purges_expired_rows_at_most_once_a_day(app_factory):
    app = app_factory(SCHEDULE_RETENTION_DAYS=DAYS)
    client = app.test_client()
    with app.app_context():
        now = datetime.now(timezone.utc)
        old = now - timedelta(days=DAYS + 30)
        db.session.execute(
            students.insert(),
            [
                {
                    "username": "old",
                    "schedule": "1" + "0" * 97,
                    "created_at": old,
                    "updated_at": old,
                },
                {
                    "username": "new",
                    "schedule": "1" + "0" * 97,
                    "created_at": now,
                    "updated_at": now,
                },
            ],
        )
        db.session.commit()
    first = client.get("/health")  # first request of the process: the purge is scheduled
    assert stored(app) == {"old", "new"}, "the client's answer never waits for the purge"
    first.close()  # what the WSGI server does once the response is sent: the purge runs
    assert stored(app) == {"new"}

    age(app, "new", DAYS + 1)
    client.get("/health").close()  # same day: no second purge
    assert stored(app) == {"new"}
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(students)).scalar_one() == 1
