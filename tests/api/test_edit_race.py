"""An old edit token must not edit a name deleted and registered again by someone else (issue 9,
item 6).

The race: the old owner's PUT or DELETE checks its token, the name is deleted and registered again
with a new token, and only then the old request writes. The tests widen that window the way a
real race would, with a lock held by a second connection: it deletes the row and registers the
name again with a new owner's token and schedule, and keeps its transaction open; the old owner's
request is started and the test waits until the database itself reports it blocked on that lock
(PostgreSQL: `pg_stat_activity`; SQLite: the request's connection has issued its first write
statement, traced with sqlite3's own trace callback); then the second connection commits. The
old token must then get 403 or 404, and the new owner's schedule must be untouched.

- On PostgreSQL with the *row* lock (the delete's), a separate check and write lets the old
  request answer 200/204 although nothing happened, since its write found the row gone.
- On PostgreSQL with a *table* lock (`SHARE ROW EXCLUSIVE`, which reads pass but writes wait for,
  at the start of their statement, before it takes its snapshot), the separate write sees the
  committed new row and overwrites or deletes the new owner: the bug of the issue.
- On SQLite a writer holds the whole database, and the edit's check and write both happen under
  that lock, so the old code already passed there; the test holds the new code to it too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import delete, event, insert, text, update

from gapfind import create_app
from gapfind.core.grid import schedule_from_indices
from gapfind.extensions import db
from gapfind.messages import TOKEN_WRONG, USER_NOT_FOUND
from gapfind.persistence import repository
from tests.support.servers import PostgresServer

HANG = 30.0  # a hang detector, not a performance threshold
OLD_PAIRS = [[0, 0], [1, 1]]
NEW_PAIRS = [[5, 3], [6, 3], [7, 4]]
EDIT_PAIRS = [[13, 6]]
REFUSED = [{"non_field_errors": [TOKEN_WRONG]}, {"non_field_errors": [USER_NOT_FOUND]}]
# A statement timeout far beyond the test's own waits: the blocked request must wait for the
# commit, however slow the machine is.
SETTINGS = {"DATABASE_STATEMENT_TIMEOUT": 120}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def register(app: Flask, name: str, pairs: list[list[int]]) -> str:
    response = app.test_client().post("/manual", json={"username": name, "list_of_indices": pairs})
    assert response.status_code == 201, response.get_json()
    return str(response.get_json()["edit_token"])


def send_edit(app: Flask, method: str, token: str) -> Any:
    client = app.test_client()
    if method == "PUT":
        return client.put("/users/ana", json={"list_of_indices": EDIT_PAIRS}, headers=bearer(token))
    return client.delete("/users/ana", headers=bearer(token))


class Request(threading.Thread):
    """The old owner's request, in its own thread (it blocks on the second connection's lock)."""

    def __init__(self, app: Flask, method: str, token: str) -> None:
        super().__init__(daemon=True)
        self.app, self.method, self.token = app, method, token
        self.response: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.response = send_edit(self.app, self.method, self.token)
        except BaseException as error:  # reported by the test thread
            self.error = error


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + HANG
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting: {what}"
        time.sleep(0.01)


class SqliteWriteTracer:
    """Records which threads issued a write statement on the app's SQLite connections (sqlite3's
    trace callback runs in the thread that executes the statement, right before it runs)."""

    WRITES = ("BEGIN IMMEDIATE", "UPDATE", "DELETE", "INSERT")

    def __init__(self, app: Flask) -> None:
        self.writers: set[int] = set()
        with app.app_context():
            engine = db.engine
            event.listen(engine, "connect", self._on_connect)
            engine.dispose()  # every connection from now on is traced

    def _on_connect(self, dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.set_trace_callback(self._trace)

    def _trace(self, statement: str) -> None:
        if statement.lstrip().upper().startswith(self.WRITES):
            self.writers.add(threading.get_ident())


def lock_waiters(app: Flask) -> int:
    """PostgreSQL sessions of this database waiting for a lock right now."""
    with app.app_context(), db.engine.connect() as connection:
        return int(
            connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
        )


def reregister(second: Any, new_token: str) -> None:
    """Delete "ana" and register the name again for a new owner (inside `second`'s transaction)."""
    students = repository.students
    second.execute(delete(students).where(students.c.username == "ana"))
    second.execute(
        insert(students).values(
            username="ana",
            schedule=schedule_from_indices(NEW_PAIRS),
            edit_token_hash=repository.hash_token(new_token),
        )
    )


def race(
    app: Flask, method: str, token: str, work: Callable[[Any], None], *, table_lock: bool = False
) -> Any:
    """Do `work` in a second connection's transaction, start `method` with `token` and commit the
    transaction once the request waits for it; return the request's response."""
    backend = app.config["SQLALCHEMY_DATABASE_URI"].split(":", 1)[0]
    tracer = SqliteWriteTracer(app) if backend == "sqlite" else None
    request = Request(app, method, token)
    with app.app_context(), repository.write_transaction() as second:
        if table_lock:
            second.execute(text("LOCK TABLE students IN SHARE ROW EXCLUSIVE MODE"))
        work(second)
        request.start()
        if tracer is not None:
            wait_for(lambda: request.ident in tracer.writers, "the edit's first write statement")
        else:
            wait_for(lambda: lock_waiters(app) >= 1, "the edit blocked on the lock")
        assert request.is_alive(), "the edit finished while the lock was held"
    # committed: what the second connection wrote is now visible
    request.join(HANG)
    assert not request.is_alive(), "the edit still hangs after the commit"
    if request.error is not None:
        raise request.error
    return request.response


def assert_new_owner_intact(app: Flask, new_token: str) -> None:
    client = app.test_client()
    response = client.get("/users/ana")
    assert response.status_code == 200
    assert response.get_json()["schedule"] == schedule_from_indices(NEW_PAIRS)
    # and the new owner's token is the one that works
    edited = client.put(
        "/users/ana", json={"list_of_indices": EDIT_PAIRS}, headers=bearer(new_token)
    )
    assert edited.status_code == 200, edited.get_json()


@pytest.fixture
def race_app(app_factory: Callable[..., Flask]) -> Flask:
    return app_factory(**SETTINGS)


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_an_old_token_waiting_on_the_new_owners_registration_is_refused(
    race_app: Flask, method: str
) -> None:
    old_token = register(race_app, "ana", OLD_PAIRS)
    new_token = repository.new_edit_token()
    response = race(race_app, method, old_token, lambda second: reregister(second, new_token))
    assert response.status_code in (403, 404), response.get_data(as_text=True)
    assert response.get_json() in REFUSED
    assert_new_owner_intact(race_app, new_token)


@pytest.fixture
def postgres_app(postgres: PostgresServer) -> Iterator[Flask]:
    app = create_app({"DATABASE_URL": postgres.url, **SETTINGS})
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


@pytest.mark.postgresql
@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_an_old_token_cannot_write_over_a_name_registered_again_before_its_write(
    postgres_app: Flask, method: str
) -> None:
    """The issue's bug: the token check passes on the old row, the re-registration commits, and
    then the old request's write runs on the new row."""
    old_token = register(postgres_app, "ana", OLD_PAIRS)
    new_token = repository.new_edit_token()
    response = race(
        postgres_app,
        method,
        old_token,
        lambda second: reregister(second, new_token),
        table_lock=True,
    )
    assert response.status_code in (403, 404), response.get_data(as_text=True)
    assert response.get_json() in REFUSED
    assert_new_owner_intact(postgres_app, new_token)


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_the_owners_own_edit_still_works_after_waiting_for_a_lock(
    race_app: Flask, method: str
) -> None:
    """The conditional write must not refuse a right token that merely had to wait: here for the
    same owner's edit from another device, which holds the row (and on SQLite the database)."""
    token = register(race_app, "ana", OLD_PAIRS)
    students = repository.students

    def other_device(second: Any) -> None:
        second.execute(
            update(students)
            .where(students.c.username == "ana")
            .values(schedule=schedule_from_indices(NEW_PAIRS))
        )

    response = race(race_app, method, token, other_device)
    assert response.status_code == (200 if method == "PUT" else 204), response.get_json()
    after = race_app.test_client().get("/users/ana")
    if method == "PUT":  # the later edit wins, whole
        assert after.get_json()["schedule"] == schedule_from_indices(EDIT_PAIRS)
    else:
        assert after.status_code == 404
