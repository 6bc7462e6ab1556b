"""Concurrent registrations, reads and edits through a real multi-threaded server (issue 4,
item 3), on SQLite (the default PERSIST journal and WAL) and on PostgreSQL.

gunicorn serves wsgi.py with 2 worker processes of 8 threads each; 8 client threads hit it at
once (http.client, one connection per request). Rate limits are off. The workload:

1. 300 students registered and read back while other threads read them too;
2. the same names registered by all 8 threads at the same moment: exactly one 201 per name,
   the others 400 "El usuario ingresado ya fue registrado";
3. PUTs of different schedules racing on the same students, with reads in between;
4. afterwards every record is checked through the API and in the database: nothing lost or
   duplicated, every schedule is one a client sent (never a mix), every edit token works, and no
   response of the whole run was other than the one expected (no 500, no 503 "database is
   locked").
"""

from __future__ import annotations

import contextlib
import random
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
import sqlalchemy

from gapfind.messages import TOKEN_WRONG, USERNAME_TAKEN
from tests.integration import Reply, app_env, call, served_gapfind
from tests.support.servers import GunicornServer, PostgresServer
from tests.support.students import pairs_for

pytestmark = pytest.mark.slow

CLIENTS = 8
SERVER_WORKERS = 2
SERVER_THREADS = 8
STUDENTS = 300
RACED_NAMES = 24
RACED_EDITS = 40
BARRIER_TIMEOUT = 120.0
T = TypeVar("T")


def letters(number: int, width: int = 3) -> str:
    """A letters-only suffix (usernames may only contain letters)."""
    out = ""
    for _ in range(width):
        number, digit = divmod(number, 26)
        out = chr(ord("a") + digit) + out
    return out


def student(index: int) -> str:
    return "alumno" + letters(index)


def raced(index: int) -> str:
    return "carrera" + letters(index)


def schedule_for(*seed: object) -> str:
    """A deterministic, non-empty schedule, different for every seed."""
    rng = random.Random(repr(seed))
    cells = ["1" if rng.random() < 0.3 else "0" for _ in range(98)]
    cells[rng.randrange(98)] = "1"
    return "".join(cells)


@dataclass
class Served:
    url: str
    settings: dict[str, str]


@pytest.fixture(
    params=[
        "sqlite-persist",
        "sqlite-wal",
        pytest.param("postgresql", marks=pytest.mark.postgresql),
    ]
)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Served]:
    if request.param.startswith("sqlite"):
        mode = request.param.split("-", 1)[1].upper()
        yield Served(f"sqlite:///{tmp_path / 'gapfind.sqlite'}", {"SQLITE_JOURNAL_MODE": mode})
        return
    postgres: PostgresServer = request.getfixturevalue("postgres")
    name = f"concurrency_{uuid.uuid4().hex[:12]}"
    url = postgres.create_database(name)
    try:
        yield Served(url, {})
    finally:
        postgres.drop_database(name)


class Clients:
    """CLIENTS threads running the same function at once, with a shared barrier; a failure in
    one thread breaks the barrier so the others stop instead of waiting."""

    def __init__(self, server: GunicornServer) -> None:
        self.server = server
        self.barrier = threading.Barrier(CLIENTS)
        self.lock = threading.Lock()
        self.statuses: dict[int, int] = {}

    def request(self, method: str, path: str, body: Any = None, token: str | None = None) -> Reply:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        reply = call(self.server.base_url, method, path, body, headers)
        with self.lock:
            self.statuses[reply.status] = self.statuses.get(reply.status, 0) + 1
        return reply

    def together(self) -> None:
        self.barrier.wait(timeout=BARRIER_TIMEOUT)

    def run(self, work: Callable[[int], T]) -> list[T]:
        def guarded(thread: int) -> T:
            try:
                return work(thread)
            except BaseException:
                self.barrier.abort()
                raise

        self.barrier.reset()
        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            futures = [pool.submit(guarded, thread) for thread in range(CLIENTS)]
            return [future.result() for future in futures]


def expect(reply: Reply, status: int, what: str) -> Any:
    assert reply.status == status, f"{what}: {reply.status} {reply.body[:300]!r}"
    return reply.json() if reply.body else None


def test_concurrent_registrations_reads_and_edits_keep_every_record(
    database: Served, tmp_path: Path
) -> None:
    env = app_env(database.url, RATELIMIT_ENABLED="false", **database.settings)
    with served_gapfind(env, workers=SERVER_WORKERS, threads=SERVER_THREADS) as server:
        clients = Clients(server)
        original = {student(i): schedule_for("register", i) for i in range(STUDENTS)}
        tokens: dict[str, str] = {}

        # 1. register and read hundreds of students at once --------------------------------
        def register_and_read(thread: int) -> dict[str, str]:
            rng = random.Random(thread)
            mine: dict[str, str] = {}
            clients.together()
            for index in range(thread, STUDENTS, CLIENTS):
                name = student(index)
                body = {"username": name, "list_of_indices": pairs_for(original[name])}
                created = expect(clients.request("POST", "/manual", body), 201, f"register {name}")
                assert created["username"] == name
                assert created["schedule"] == original[name]
                mine[name] = created["edit_token"]
                read = expect(clients.request("GET", f"/users/{name}"), 200, f"read {name}")
                assert read == {"username": name, "schedule": original[name]}
                other = student(rng.randrange(STUDENTS))
                reply = clients.request("GET", f"/users/{other}")
                if reply.status != 404:  # not registered yet by its thread
                    assert expect(reply, 200, f"read {other}")["schedule"] == original[other]
            return mine

        for mine in clients.run(register_and_read):
            tokens.update(mine)
        assert len(tokens) == STUDENTS

        # 2. the same names registered by every thread at the same moment -------------------
        def race_registrations(thread: int) -> list[tuple[str, int, Any]]:
            outcomes = []
            for index in range(RACED_NAMES):
                name = raced(index)
                body = {"username": name, "list_of_indices": pairs_for(schedule_for(name, thread))}
                clients.together()
                reply = clients.request("POST", "/manual", body)
                assert reply.status in (201, 400), f"race {name}: {reply.status} {reply.body!r}"
                outcomes.append((name, thread, reply.status, reply.json()))
            return outcomes

        winners: dict[str, tuple[int, str]] = {}
        for outcomes in clients.run(race_registrations):
            for name, thread, status, body in outcomes:
                if status == 201:
                    assert name not in winners, f"{name} was registered twice"
                    assert body["schedule"] == schedule_for(name, thread)
                    winners[name] = (thread, body["edit_token"])
                else:
                    assert body == {"username": [USERNAME_TAKEN]}, body
        assert sorted(winners) == [raced(i) for i in range(RACED_NAMES)]
        expected = dict(original)
        for name, (thread, token) in winners.items():
            expected[name] = schedule_for(name, thread)
            tokens[name] = token

        # 3. PUTs racing on the same students, reads in between, a wrong token refused ----
        edited = [student(i) for i in range(0, STUDENTS, STUDENTS // RACED_EDITS)][:RACED_EDITS]
        candidates = {
            name: {schedule_for("edit", name, thread) for thread in range(CLIENTS)}
            for name in edited
        }

        def race_edits(thread: int) -> None:
            for position, name in enumerate(edited):
                mine = schedule_for("edit", name, thread)
                clients.together()
                if thread == position % CLIENTS:
                    stranger = tokens[student((STUDENTS - 1) - position)]
                    refused = clients.request(
                        "PUT", f"/users/{name}", {"list_of_indices": [[0, 0]]}, stranger
                    )
                    assert expect(refused, 403, f"stranger edits {name}") == {
                        "non_field_errors": [TOKEN_WRONG]
                    }
                body = {"list_of_indices": pairs_for(mine)}
                replaced = clients.request("PUT", f"/users/{name}", body, tokens[name])
                assert expect(replaced, 200, f"edit {name}")["schedule"] == mine
                now = expect(clients.request("GET", f"/users/{name}"), 200, f"read {name}")
                assert now["schedule"] in candidates[name], f"{name}: a schedule nobody sent"

        clients.run(race_edits)

        # 4. every record intact -------------------------------------------------------------
        everyone = sorted(expected)
        final: dict[str, str] = {}
        for name in everyone:
            schedule = expect(clients.request("GET", f"/users/{name}"), 200, name)["schedule"]
            if name in candidates:
                assert schedule in candidates[name], f"{name}: a schedule nobody sent"
            else:
                assert schedule == expected[name], f"{name} changed"
            final[name] = schedule

        analysis = expect(
            clients.request("POST", "/analyze", {"usernames": everyone}), 200, "analyze"
        )
        assert analysis["total_students"] == len(everyone) == STUDENTS + RACED_NAMES
        assert analysis["users_not_found"] == []

        # Every edit token still works (in parallel, once more).
        def confirm_tokens(thread: int) -> None:
            for name in everyone[thread::CLIENTS]:
                schedule = schedule_for("confirm", name)
                body = {"list_of_indices": pairs_for(schedule)}
                replaced = clients.request("PUT", f"/users/{name}", body, tokens[name])
                assert expect(replaced, 200, f"confirm {name}")["schedule"] == schedule
                final[name] = schedule

        clients.run(confirm_tokens)
        for index in range(RACED_NAMES):
            name = raced(index)
            expect(clients.request("DELETE", f"/users/{name}", token=tokens[name]), 204, name)
            expect(clients.request("GET", f"/users/{name}"), 404, f"deleted {name}")
            del final[name]

        log = server.read_log()

    allowed = {200, 201, 204, 400, 403, 404}
    assert set(clients.statuses) <= allowed, clients.statuses
    assert "Traceback" not in log, log[-5000:]

    # The database itself: one row per student, exactly what the API last confirmed.
    engine = sqlalchemy.create_engine(database.url)
    try:
        with contextlib.closing(engine.connect()) as connection:
            rows = connection.execute(
                sqlalchemy.text("SELECT username, schedule, edit_token_hash FROM students")
            ).all()
    finally:
        engine.dispose()
    assert len(rows) == len({row.username for row in rows}) == STUDENTS
    assert {row.username: row.schedule for row in rows} == final
    assert all(row.edit_token_hash for row in rows)
