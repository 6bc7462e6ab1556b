"""Which databases `flask db-backup` can copy itself, told from the engine URL alone (the copy
itself is tested through the command in tests/cli/test_backup.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from gapfind.persistence.backup import BackupError, sqlite_file


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:////srv/app/instance/gapfind.sqlite", "/srv/app/instance/gapfind.sqlite"),
        ("sqlite:///relative/gapfind.sqlite", "relative/gapfind.sqlite"),
    ],
)
def test_a_sqlite_file_is_named_as_the_url_names_it(url: str, expected: str) -> None:
    assert sqlite_file(make_url(url), Path("copy.sqlite")) == expected


@pytest.mark.parametrize(
    "url", ["sqlite://", "sqlite:///:memory:", "sqlite:///file:db?mode=memory&uri=true"]
)
def test_an_in_memory_database_has_no_file(url: str) -> None:
    with pytest.raises(BackupError, match="in memory"):
        sqlite_file(make_url(url), Path("copy.sqlite"))


def test_postgresql_gets_the_pg_dump_command_without_the_password() -> None:
    url = make_url("postgresql+psycopg://gapfind:s3cret@db.example:5432/gapfind")

    with pytest.raises(BackupError) as raised:
        sqlite_file(url, Path("/backups/gapfind.dump"))

    message = str(raised.value)
    assert "this app uses postgresql" in message
    assert (
        "pg_dump --format=custom --file /backups/gapfind.dump "
        "'postgresql://gapfind:***@db.example:5432/gapfind'"
    ) in message
    assert "s3cret" not in message
