"""The daily retention purge on Lambda: the scheduled event {"gapfind": "purge"} deletes the
expired students before any HTTP adapter sees it, and the after-response purge of a long-running
server is off there (the schedule does it; an invocation would otherwise wait for it).

Expiry is simulated as in tests/api/test_retention.py: rows whose updated_at lies in the past.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from gapfind import create_app
from gapfind.aws_lambda import PURGE_EVENT, make_handler
from gapfind.extensions import db
from gapfind.persistence.repository import students
from tests.lambda_.events import http_api_event
from tests.web import unreachable_database_url

DAYS = 180


def seed_old_and_new(app: Flask) -> None:
    """ "old" last updated a month past the retention, "new" just now."""
    now = datetime.now(timezone.utc)
    old = now - timedelta(days=DAYS + 30)
    rows = [("old", old), ("new", now)]
    with app.app_context():
        db.session.execute(
            students.insert(),
            [
                {"username": name, "schedule": "1" + "0" * 97, "created_at": at, "updated_at": at}
                for name, at in rows
            ],
        )
        db.session.commit()


def stored(app: Flask) -> set[str]:
    with app.app_context():
        return set(db.session.execute(select(students.c.username)).scalars())


def test_the_purge_event_deletes_the_expired_students(
    lambda_app_factory: Callable[..., Flask],
) -> None:
    app = lambda_app_factory(SCHEDULE_RETENTION_DAYS=DAYS)
    seed_old_and_new(app)
    handler = make_handler(app)

    answer = handler(dict(PURGE_EVENT), None)
    assert answer == {"task": "purge", "removed": 1, "retention_days": DAYS}
    assert json.loads(json.dumps(answer)) == answer, "EventBridge records the answer as JSON"
    assert stored(app) == {"new"}
    assert handler(dict(PURGE_EVENT), None)["removed"] == 0, "nothing more to remove"
    assert stored(app) == {"new"}


def test_with_retention_off_the_purge_event_keeps_everyone(
    lambda_app_factory: Callable[..., Flask],
) -> None:
    app = lambda_app_factory(SCHEDULE_RETENTION_DAYS=0)
    seed_old_and_new(app)
    assert make_handler(app)(dict(PURGE_EVENT), None) == {
        "task": "purge",
        "removed": 0,
        "retention_days": 0,
    }
    assert stored(app) == {"old", "new"}


def test_an_unknown_task_fails_the_invocation(lambda_app_factory: Callable[..., Flask]) -> None:
    app = lambda_app_factory(SCHEDULE_RETENTION_DAYS=DAYS)
    seed_old_and_new(app)
    with pytest.raises(ValueError, match="unknown GapFind task 'vacuum'"):
        make_handler(app)({"gapfind": "vacuum"}, None)
    assert stored(app) == {"old", "new"}


def test_a_failed_purge_fails_the_invocation(on_lambda: None, tmp_path: Path) -> None:
    """So that EventBridge retries it, instead of recording a success that removed nothing."""
    app = create_app(
        {
            "DATABASE_URL": unreachable_database_url("postgresql", tmp_path),
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    with pytest.raises(OperationalError):
        make_handler(app)(dict(PURGE_EVENT), None)


def test_on_lambda_no_answer_purges(lambda_app_factory: Callable[..., Flask]) -> None:
    """A long-running server purges after its first response of the day; inside Lambda the
    response is closed before the invocation returns, so that purge is off there."""
    app = lambda_app_factory(SCHEDULE_RETENTION_DAYS=DAYS)
    seed_old_and_new(app)
    app.test_client().get("/health").close()  # what a WSGI server does after sending it
    handler = make_handler(app)
    assert handler(http_api_event("GET", "/health"), None)["statusCode"] == 200
    assert handler(http_api_event("GET", "/users/new"), None)["statusCode"] == 200
    assert stored(app) == {"old", "new"}, "only the schedule purges on Lambda"
    handler(dict(PURGE_EVENT), None)
    assert stored(app) == {"new"}


def test_off_lambda_the_first_answer_of_the_day_purges(
    app_factory: Callable[..., Flask],
) -> None:
    """The same steps on a long-running server: the test above can tell the two apart."""
    app = app_factory(SCHEDULE_RETENTION_DAYS=DAYS)
    seed_old_and_new(app)
    app.test_client().get("/health").close()
    assert stored(app) == {"new"}
