"""`flask db-backup PATH`: a consistent copy of the live SQLite file; PostgreSQL points to
pg_dump."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest
from flask import Flask

from tests.support.flask_command import FlaskCommand
from tests.support.student_table import StudentTable
from tests.support.weeks import EMPTY, FULL, MONDAYS

SQLITE_ONLY = "db-backup copies SQLite files; PostgreSQL is backed up with pg_dump"


@pytest.fixture
def sqlite_file(database_url: str) -> Path:
    if not database_url.startswith("sqlite:///"):
        pytest.skip(SQLITE_ONLY)
    return Path(database_url.removeprefix("sqlite:///"))


def backup_rows(path: Path) -> dict[str, str]:
    with closing(sqlite3.connect(path)) as copy:
        return dict(copy.execute("SELECT username, schedule FROM students"))


def pragma(path: Path, name: str) -> str:
    with closing(sqlite3.connect(path)) as copy:
        return str(copy.execute(f"PRAGMA {name}").fetchone()[0])


def test_backup_is_a_standalone_database_with_the_rows(
    flask_command: FlaskCommand, student_table: StudentTable, sqlite_file: Path, tmp_path: Path
):
    student_table.add("ana", MONDAYS)
    student_table.add("bob", FULL)
    target = tmp_path / "backups" / "gapfind-2026-11-28.sqlite"
    target.parent.mkdir()

    result = flask_command("db-backup", str(target))

    assert result.exit_code == 0, result.output
    assert f"backed up 2 students from {sqlite_file} to {target}" in result.stdout
    assert backup_rows(target) == {"ana": MONDAYS, "bob": FULL}
    assert pragma(target, "integrity_check") == "ok"
    assert pragma(target, "journal_mode") == "delete"
    assert sorted(path.name for path in target.parent.iterdir()) == [target.name]


def test_backup_while_a_writer_holds_the_lock_copies_only_committed_rows(
    flask_command: FlaskCommand, student_table: StudentTable, sqlite_file: Path, tmp_path: Path
):
    student_table.add("ana", MONDAYS)
    target = tmp_path / "copy.sqlite"
    with closing(sqlite3.connect(sqlite_file, isolation_level=None)) as writer:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute(
            "INSERT INTO students VALUES ('bob', ?, NULL, '2026-01-01', '2026-01-01')", (EMPTY,)
        )

        result = flask_command("db-backup", str(target))

        writer.execute("COMMIT")

    assert result.exit_code == 0, result.output
    assert backup_rows(target) == {"ana": MONDAYS}


def test_backup_of_a_wal_database_includes_what_is_still_in_the_wal(
    app_factory: Callable[..., Flask], sqlite_file: Path, tmp_path: Path
):
    wal_app = app_factory(SQLITE_JOURNAL_MODE="WAL")
    StudentTable(wal_app).add("ana", MONDAYS)
    assert pragma(sqlite_file, "journal_mode") == "wal"
    target = tmp_path / "copy.sqlite"

    result = FlaskCommand(wal_app.test_cli_runner())("db-backup", str(target))

    assert result.exit_code == 0, result.output
    assert backup_rows(target) == {"ana": MONDAYS}
    assert pragma(target, "journal_mode") == "delete"
    assert not Path(f"{target}-wal").exists()


def test_backup_never_replaces_an_existing_file(
    flask_command: FlaskCommand, student_table: StudentTable, sqlite_file: Path, tmp_path: Path
):
    student_table.add("ana", MONDAYS)
    earlier = tmp_path / "earlier.sqlite"
    earlier.write_bytes(b"an older backup")

    onto_backup = flask_command("db-backup", str(earlier))
    onto_database = flask_command("db-backup", str(sqlite_file))

    assert (onto_backup.exit_code, onto_database.exit_code) == (1, 1)
    assert "already exists" in onto_backup.stderr
    assert earlier.read_bytes() == b"an older backup"
    assert backup_rows(sqlite_file) == {"ana": MONDAYS}


def test_backup_into_a_missing_directory_fails_cleanly(
    flask_command: FlaskCommand, sqlite_file: Path, tmp_path: Path
):
    result = flask_command("db-backup", str(tmp_path / "missing" / "copy.sqlite"))

    assert result.exit_code == 1
    assert "cannot back up" in result.stderr
    assert not (tmp_path / "missing").exists()


def test_an_in_memory_database_has_nothing_to_back_up(
    app_factory: Callable[..., Flask], sqlite_file: Path, tmp_path: Path
):
    memory_app = app_factory(DATABASE_URL="sqlite://")

    result = FlaskCommand(memory_app.test_cli_runner())("db-backup", str(tmp_path / "copy.sqlite"))

    assert result.exit_code == 1
    assert "in memory" in result.stderr
    assert not (tmp_path / "copy.sqlite").exists()


def test_postgresql_is_pointed_to_pg_dump(
    flask_command: FlaskCommand, database_url: str, tmp_path: Path
):
    if database_url.startswith("sqlite"):
        pytest.skip("only PostgreSQL answers with the pg_dump command")
    target = tmp_path / "gapfind.dump"

    result = flask_command("db-backup", str(target))

    assert result.exit_code == 1
    assert f"pg_dump --format=custom --file {target} 'postgresql://" in result.stderr
    assert "+psycopg" not in result.stderr
    assert not target.exists()
