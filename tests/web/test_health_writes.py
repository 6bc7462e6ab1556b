"""GET /health answers 503 whenever a registration would (issue 9, item 8): an SQLite file or
folder deleted under the running app, a read-only file, folder or filesystem, a PostgreSQL that
runs read-only; and 200 where a write does work, such as a read-only folder whose kept journal
is writable. Each case checks /health beside a real write in the same state.

Read-only cases run gunicorn on a migrated database. As root, file modes stop nobody (root
writes a 0444 file), so the server runs in a mount namespace of its own (`unshare --mount`) where
the paths are bind-mounted read-only: what the server sees is a read-only filesystem, which
stops root too, and the host's mounts are untouched. As another user, `chmod` does the same.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import subprocess
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient

from gapfind import create_app
from gapfind.extensions import db
from gapfind.messages import HTTP_MESSAGES
from tests.integration import REPO_ROOT, WSGI_APP, Reply, app_env, call, migrate
from tests.support.servers import PostgresServer, ServiceUnavailable, gunicorn_server

UNAVAILABLE = {"non_field_errors": [HTTP_MESSAGES[503]]}
ANA = {"username": "ana", "list_of_indices": [[0, 0]]}
BEA = {"username": "bea", "list_of_indices": [[1, 1]]}


def assert_unavailable(response: Any) -> None:
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.get_json() == UNAVAILABLE
    assert response.headers["Retry-After"].isdigit()


# --------------------------------------------------------------------------- under a running app


@pytest.fixture
def sqlite_app(tmp_path: Path) -> Iterator[tuple[Flask, Path]]:
    """A running app on an SQLite file in a folder of its own, with a student registered."""
    path = tmp_path / "data" / "gapfind.sqlite"
    path.parent.mkdir()
    app = create_app({"DATABASE_URL": f"sqlite:///{path}"})
    with app.app_context():
        db.create_all()
    client = app.test_client()
    assert client.post("/manual", json=ANA).status_code == 201
    assert client.get("/health").get_json() == {"status": "ok"}
    yield app, path
    with app.app_context():
        db.engine.dispose()


def journal_files(path: Path) -> list[Path]:
    return [Path(f"{path}{suffix}") for suffix in ("-journal", "-wal", "-shm")]


def delete_folder(path: Path) -> None:
    shutil.rmtree(path.parent)


def delete_file(path: Path) -> None:
    for file in [path, *journal_files(path)]:
        file.unlink(missing_ok=True)


def replace_with_an_empty_file(path: Path) -> None:
    """What a new connection does after the file was deleted: SQLite creates an empty one."""
    delete_file(path)
    sqlite3.connect(path).close()


@pytest.mark.parametrize(
    "break_it", [delete_folder, delete_file, replace_with_an_empty_file], ids=lambda f: f.__name__
)
def test_health_is_503_when_the_sqlite_file_is_gone_under_a_running_app(
    sqlite_app: tuple[Flask, Path], break_it: Callable[[Path], None]
) -> None:
    app, path = sqlite_app
    client = app.test_client()
    break_it(path)
    assert_unavailable(client.get("/health"))
    assert_unavailable(client.post("/manual", json=BEA))  # what a write meets
    assert_unavailable(client.get("/health"))  # and the check created nothing meanwhile
    if break_it is delete_folder:
        assert not path.parent.exists()


# --------------------------------------------------------------------------- PostgreSQL read-only


@pytest.fixture
def read_only_database(postgres: PostgresServer) -> Iterator[tuple[Flask, Callable[[bool], None]]]:
    """An app on a database of its own, and a switch for default_transaction_read_only (applied
    to new sessions, as after a fail-over to a standby: the app's pool is emptied)."""
    name = "gapfind_read_only"
    postgres.drop_database(name)
    app = create_app({"DATABASE_URL": postgres.create_database(name)})
    with app.app_context():
        db.create_all()

    def read_only(on: bool) -> None:
        value = "on" if on else "off"
        with psycopg.connect(postgres.conninfo("postgres"), autocommit=True) as admin:
            admin.execute(f"ALTER DATABASE {name} SET default_transaction_read_only = {value}")
        with app.app_context():
            db.engine.dispose()

    try:
        yield app, read_only
    finally:
        with app.app_context():
            db.engine.dispose()
        postgres.drop_database(name)


@pytest.mark.postgresql
def test_health_is_503_while_postgresql_runs_read_only(
    read_only_database: tuple[Flask, Callable[[bool], None]],
) -> None:
    app, read_only = read_only_database
    client: FlaskClient = app.test_client()
    assert client.post("/manual", json=ANA).status_code == 201
    read_only(True)
    assert_unavailable(client.get("/health"))
    assert_unavailable(client.post("/manual", json=BEA))  # a 503 too, never a 500
    assert client.get("/users/ana").status_code == 200  # reads still work
    read_only(False)
    assert client.get("/health").get_json() == {"status": "ok"}
    assert client.post("/manual", json=BEA).status_code == 201


# --------------------------------------------------------------------------- read-only files


@contextmanager
def read_only_paths(read_only: Sequence[Path], writable: Sequence[Path]) -> Iterator[list[str]]:
    """Yield the command a server must run under to see `read_only` paths read-only and
    `writable` ones (inside them) writable."""
    if os.geteuid() != 0:
        modes = {path: path.stat().st_mode for path in read_only}
        for path in read_only:
            path.chmod(stat.S_IMODE(modes[path]) & ~0o222)
        try:
            yield []
        finally:
            for path, mode in modes.items():
                path.chmod(stat.S_IMODE(mode))
        return
    unshare = shutil.which("unshare")
    probe = [unshare or "unshare", "--mount", "--propagation", "private", "true"]
    if unshare is None or subprocess.run(probe, capture_output=True, check=False).returncode:
        pytest.skip("as root a read-only filesystem needs unshare --mount, unavailable here")
    script = " && ".join(
        f'mount --bind "${n}" "${n}" && mount -o remount,bind,{mode} "${n}"'
        for n, mode in enumerate(["ro"] * len(read_only) + ["rw"] * len(writable), start=1)
    )
    count = len(read_only) + len(writable)
    paths = [str(path) for path in [*read_only, *writable]]
    yield [
        unshare,
        "--mount",
        "--propagation",
        "private",
        "--",
        "sh",
        "-c",
        f'{script} && shift {count} && exec "$@"',
        "sh",
        *paths,
    ]


def migrated(tmp_path: Path, journal_mode: str) -> tuple[Path, dict[str, str]]:
    """A migrated SQLite database with ana registered, and the served app's environment."""
    path = tmp_path / "data" / "gapfind.sqlite"
    path.parent.mkdir()
    env = app_env(f"sqlite:///{path}", SQLITE_JOURNAL_MODE=journal_mode)
    migrate(env)
    with sqlite3.connect(path) as connection:  # a write, as the app makes them
        connection.execute(f"PRAGMA journal_mode = {journal_mode}")
        connection.execute(
            "INSERT INTO students (username, schedule, created_at, updated_at)"
            " VALUES ('ana', ?, datetime('now'), datetime('now'))",
            ("0" * 98,),
        )
    return path, env


@contextmanager
def served(env: dict[str, str], wrapper: Sequence[str]) -> Iterator[str]:
    manager = gunicorn_server(WSGI_APP, env=env, cwd=REPO_ROOT, wrapper=wrapper)
    try:
        server = manager.__enter__()
    except ServiceUnavailable as error:
        pytest.skip(str(error))
    try:
        yield server.base_url
    finally:
        manager.__exit__(None, None, None)


CASES = {
    # name: (journal mode, read-only paths, writable paths inside them, /health and write work)
    "read-only filesystem": ("PERSIST", ["folder", "file", "journal"], [], False),
    "read-only file": ("PERSIST", ["file"], [], False),
    "read-only folder, DELETE journal": ("DELETE", ["folder"], ["file"], False),
    "read-only folder, kept journal writable": ("PERSIST", ["folder"], ["file", "journal"], True),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_health_tells_what_a_write_meets_on_read_only_files(tmp_path: Path, case: str) -> None:
    journal_mode, read_only, writable, works = CASES[case]
    path, env = migrated(tmp_path, journal_mode)
    named = {"folder": path.parent, "file": path, "journal": Path(f"{path}-journal")}
    with (
        read_only_paths([named[n] for n in read_only], [named[n] for n in writable]) as wrapper,
        served(env, wrapper) as url,
    ):
        health = call(url, "GET", "/health")
        write = call(url, "POST", "/manual", BEA)
        assert call(url, "GET", "/users/ana").status == 200  # reads work in every case
        if works:
            assert health.status == 200, health.body
            assert health.json() == {"status": "ok"}
            assert write.status == 201, write.body
            assert call(url, "GET", "/users/bea").status == 200
        else:
            assert_reply_unavailable(health)
            assert_reply_unavailable(write)


def assert_reply_unavailable(reply: Reply) -> None:
    assert reply.status == 503, reply.body
    assert reply.json() == UNAVAILABLE
    assert (reply.header("Retry-After") or "").isdigit()
