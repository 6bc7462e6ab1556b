"""`flask db upgrade` on an empty database creates everything, and the migrations match the
models (issue 2, "Shape": Flask-Migrate migrations in migrations/).

The commands run in a subprocess exactly as `make migrate` runs them (`flask --app wsgi db
upgrade`, the production settings, DATABASE_URL from the environment), once on an empty SQLite
file and once on an empty PostgreSQL database.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from gapfind import create_app
from gapfind.extensions import db
from tests.support.servers import PostgresServer
from tests.support.services import BACKENDS
from tests.support.students import Students

REPO = Path(__file__).resolve().parents[2]
HEAD = "0001_create_students"
# Variables of the test process that must not leak into the command under test.
SCRUBBED = ("DATABASE_URL", "TEST_DATABASE_URL", "GAPFIND_CONFIG", "FLASK_APP", "FLASK_DEBUG")


@pytest.fixture(params=BACKENDS)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The SQLAlchemy URL of a brand-new, empty database."""
    if request.param == "sqlite":
        path = tmp_path / "migrated.sqlite"
        path.touch()  # an empty file is an empty SQLite database
        yield f"sqlite:///{path}"
        return
    if request.param != "postgresql":
        raise ValueError(f"unknown backend {request.param!r}")
    server: PostgresServer = request.getfixturevalue("postgres")
    name = f"gapfind_migrations_{uuid.uuid4().hex[:12]}"
    url = server.create_database(name)
    try:
        yield url
    finally:
        server.drop_database(name)


def flask_db(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `flask --app wsgi db ...` from the repository root against `url`."""
    env = {key: value for key, value in os.environ.items() if key not in SCRUBBED}
    env.update(DATABASE_URL=url, GAPFIND_CONFIG="production")
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def upgraded(url: str) -> None:
    result = flask_db(url, "upgrade")
    assert result.returncode == 0, result.stdout + result.stderr


def inspect(url: str) -> Any:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            inspector = sa.inspect(connection)
            columns = {column["name"]: column for column in inspector.get_columns("students")}
            return {
                "tables": set(inspector.get_table_names()),
                "columns": columns,
                "pk": inspector.get_pk_constraint("students")["constrained_columns"],
                "indexes": [
                    (index["name"], index["column_names"], bool(index["unique"]))
                    for index in inspector.get_indexes("students")
                ],
                "checks": {check["name"] for check in inspector.get_check_constraints("students")},
                "version": connection.execute(
                    sa.text("SELECT version_num FROM alembic_version")
                ).scalar_one(),
            }
    finally:
        engine.dispose()


def test_upgrade_creates_the_students_table(empty_database: str) -> None:
    result = flask_db(empty_database, "upgrade")
    assert result.returncode == 0, result.stdout + result.stderr
    schema = inspect(empty_database)
    assert schema["tables"] == {"students", "alembic_version"}
    assert schema["version"] == HEAD
    columns = schema["columns"]
    assert list(columns) == [
        "username",
        "schedule",
        "edit_token_hash",
        "created_at",
        "updated_at",
    ]
    expected = {
        # name: (type, length, nullable)
        "username": (sa.String, 30, False),
        "schedule": (sa.String, 98, False),
        "edit_token_hash": (sa.String, 64, True),
        "created_at": (sa.DateTime, None, False),
        "updated_at": (sa.DateTime, None, False),
    }
    for name, (kind, length, nullable) in expected.items():
        column = columns[name]
        assert isinstance(column["type"], kind), (name, column["type"])
        assert getattr(column["type"], "length", None) == length, name
        assert column["nullable"] is nullable, name
    assert schema["pk"] == ["username"]
    assert schema["indexes"] == [("ix_students_updated_at", ["updated_at"], False)]
    assert schema["checks"] == {"ck_students_schedule_length", "ck_students_username_lowercase"}
    if empty_database.startswith("postgresql"):  # SQLite has no time-zone-aware type
        assert columns["created_at"]["type"].timezone is True
        assert columns["updated_at"]["type"].timezone is True


def test_models_match_the_migrations(empty_database: str) -> None:
    upgraded(empty_database)
    result = flask_db(empty_database, "check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No new upgrade operations detected" in result.stdout + result.stderr
    current = flask_db(empty_database, "current")
    assert current.returncode == 0, current.stderr
    assert f"{HEAD} (head)" in current.stdout


def test_check_fails_when_the_schema_drifts_from_the_models(empty_database: str) -> None:
    # The check above must be able to fail: drop something the model declares.
    upgraded(empty_database)
    engine = sa.create_engine(empty_database)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("DROP INDEX ix_students_updated_at"))
    finally:
        engine.dispose()
    result = flask_db(empty_database, "check")
    assert result.returncode != 0
    assert "New upgrade operations detected" in result.stdout + result.stderr


def test_check_fails_on_an_unmigrated_database(empty_database: str) -> None:
    result = flask_db(empty_database, "check")
    assert result.returncode != 0


def test_upgrade_is_idempotent_and_downgrade_round_trips(empty_database: str) -> None:
    upgraded(empty_database)
    upgraded(empty_database)
    result = flask_db(empty_database, "downgrade", "base")
    assert result.returncode == 0, result.stdout + result.stderr
    engine = sa.create_engine(empty_database)
    try:
        with engine.connect() as connection:
            assert "students" not in sa.inspect(connection).get_table_names()
    finally:
        engine.dispose()
    upgraded(empty_database)
    assert inspect(empty_database)["version"] == HEAD


def test_migrated_database_serves_the_api_and_enforces_the_constraints(
    empty_database: str,
) -> None:
    upgraded(empty_database)
    app = create_app({"DATABASE_URL": empty_database})  # no create_all: the migration's schema
    try:
        client = app.test_client()
        students = Students(client)
        created = students.register("Ana", [[0, 1]])
        assert created["username"] == "ana"
        students.register("bob", [[0, 2]])
        assert client.get("/users/ana").get_json() == {
            "username": "ana",
            "schedule": created["schedule"],
        }
        assert client.post("/results", json={"usernames": ["ana", "bob"]}).status_code == 200
        with app.app_context():
            now = sa.func.now()
            students = sa.table(
                "students",
                sa.column("username"),
                sa.column("schedule"),
                sa.column("created_at"),
                sa.column("updated_at"),
            )
            for username, schedule in (("Carla", "0" * 98), ("carla", "0" * 97)):
                with pytest.raises(IntegrityError):
                    with db.engine.begin() as connection:
                        connection.execute(
                            sa.insert(students).values(
                                username=username,
                                schedule=schedule,
                                created_at=now,
                                updated_at=now,
                            )
                        )
    finally:
        with app.app_context():
            db.engine.dispose()
