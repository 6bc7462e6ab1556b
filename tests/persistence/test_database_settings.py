"""Which database DATABASE_URL may name, and where the default SQLite file goes."""

from __future__ import annotations

from pathlib import Path

import pytest

from gapfind import create_app
from gapfind.persistence.database import resolve_database_uri


@pytest.mark.parametrize(
    "url, expected",
    [
        ("postgres://u:p@h/db", "postgresql+psycopg://u:p@h/db"),  # Heroku-style
        ("postgresql://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:////srv/gapfind.sqlite", "sqlite:////srv/gapfind.sqlite"),
        ("sqlite://", "sqlite://"),
    ],
)
def test_supported_urls_point_at_the_shipped_drivers(url: str, expected: str) -> None:
    app = create_app({"DATABASE_URL": url})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == expected


@pytest.mark.parametrize("url", ["mysql://u@h/db", "oracle://h/db", "postgresql+psycopg2://h/db"])
def test_other_databases_are_refused_at_start_up(url: str) -> None:
    """The hot-path SQL is written for SQLite and PostgreSQL only: fail loudly, not per request."""
    with pytest.raises(ValueError, match="DATABASE_URL"):
        create_app({"DATABASE_URL": url})


def test_the_default_sqlite_file_is_absolute_in_the_instance_folder() -> None:
    app = create_app({"DATABASE_URL": None})
    uri = resolve_database_uri(app)
    path = Path(uri.removeprefix("sqlite:///"))
    assert path.is_absolute()
    assert path == Path(app.instance_path) / "gapfind.sqlite"
