"""Platform settings checked at start-up (gapfind/platform.py): inside Lambda, SQLite is refused,
RATELIMIT_STORAGE_URI must be written out and no X-Forwarded-For hop is trusted; each refusal
names the setting, before anything of the app is built. Outside Lambda nothing changes.

The apps here are only built, never asked anything: a PostgreSQL URL nobody listens on is enough
(SQLAlchemy connects on first use).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gapfind import create_app
from gapfind.platform import LAMBDA_MARKER, check_platform, on_aws_lambda

ROOT = Path(__file__).resolve().parents[2]
POSTGRES = "postgresql://gapfind:hunter2@127.0.0.1:9/gapfind"  # built, never connected
LAMBDA_ENV = {LAMBDA_MARKER: "gapfind"}


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Inside Lambda, with none of the checked settings in the environment."""
    monkeypatch.setenv(LAMBDA_MARKER, "gapfind-tests")
    for name in ("RATELIMIT_STORAGE_URI", "DATABASE_URL", "TRUSTED_PROXY_HOPS"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.mark.parametrize(
    "environ, expected",
    [({}, False), ({LAMBDA_MARKER: ""}, False), ({LAMBDA_MARKER: " "}, False), (LAMBDA_ENV, True)],
)
def test_lambda_is_recognised_by_the_runtime_variable(
    environ: dict[str, str], expected: bool
) -> None:
    assert on_aws_lambda(environ) is expected


@pytest.mark.parametrize("url", [None, "", "sqlite://", "sqlite:////var/task/gapfind.sqlite"])
def test_sqlite_is_refused_naming_database_url(clean_env: pytest.MonkeyPatch, url: str) -> None:
    with pytest.raises(ValueError, match="DATABASE_URL") as refused:
        create_app({"DATABASE_URL": url, "RATELIMIT_STORAGE_URI": "memory://"})
    assert "PostgreSQL" in str(refused.value)
    assert "RATELIMIT_STORAGE_URI" not in str(refused.value)


def test_refused_before_anything_is_built(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The SQLite file would be opened (and created) while the app is built; it never is."""
    database = tmp_path / "gapfind.sqlite"
    with pytest.raises(ValueError, match="DATABASE_URL"):
        create_app({"DATABASE_URL": f"sqlite:///{database}", "RATELIMIT_STORAGE_URI": "memory://"})
    assert not database.exists()


def test_an_unset_storage_uri_is_refused_even_though_it_has_a_default(
    clean_env: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(ValueError, match="RATELIMIT_STORAGE_URI must be set") as refused:
        create_app({"DATABASE_URL": POSTGRES})
    assert "memory://" in str(refused.value)
    assert "hunter2" not in str(refused.value), "the database password never reaches the log"


@pytest.mark.parametrize("blank", ["", "   "])
def test_a_blank_storage_uri_is_refused(clean_env: pytest.MonkeyPatch, blank: str) -> None:
    clean_env.setenv("RATELIMIT_STORAGE_URI", blank)
    with pytest.raises(ValueError, match="RATELIMIT_STORAGE_URI"):
        create_app({"DATABASE_URL": POSTGRES})


@pytest.mark.parametrize("uri", ["memory://", "redis://127.0.0.1:9/0"])
def test_a_storage_uri_written_in_the_environment_is_accepted(
    clean_env: pytest.MonkeyPatch, uri: str
) -> None:
    clean_env.setenv("RATELIMIT_STORAGE_URI", uri)
    app = create_app({"DATABASE_URL": POSTGRES, "RATELIMIT_STORAGE_URI": uri})
    assert app.config["RATELIMIT_STORAGE_URI"] == uri


def test_a_storage_uri_passed_to_the_factory_is_written_out_too(
    clean_env: pytest.MonkeyPatch,
) -> None:
    app = create_app({"DATABASE_URL": POSTGRES, "RATELIMIT_STORAGE_URI": "memory://"})
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")


def test_trusted_proxy_hops_are_refused(clean_env: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="TRUSTED_PROXY_HOPS must be 0") as refused:
        create_app(
            {
                "DATABASE_URL": POSTGRES,
                "RATELIMIT_STORAGE_URI": "memory://",
                "TRUSTED_PROXY_HOPS": 1,
            }
        )
    assert "REAL_IP_HEADER" in str(refused.value)
    assert "CF-Connecting-IP" in str(refused.value)


def test_every_problem_is_named_at_once(clean_env: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError) as refused:
        create_app({"DATABASE_URL": None, "TRUSTED_PROXY_HOPS": 2})
    message = str(refused.value)
    assert LAMBDA_MARKER in message
    for setting in ("DATABASE_URL", "RATELIMIT_STORAGE_URI", "TRUSTED_PROXY_HOPS"):
        assert f"- {setting}" in message


def test_outside_lambda_nothing_is_refused() -> None:
    check_platform({"DATABASE_URL": None, "TRUSTED_PROXY_HOPS": 3}, None, environ={})


def test_outside_lambda_the_factory_keeps_sqlite(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(LAMBDA_MARKER, raising=False)
    app = create_app({"DATABASE_URL": "sqlite://", "TRUSTED_PROXY_HOPS": 1})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite://"


def test_the_handler_module_stops_naming_the_settings() -> None:
    """What an operator sees in the function's log when the template's settings are missing:
    the module itself fails to import (Lambda reports an init error), naming each setting."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_URL", "TEST_DATABASE_URL", "RATELIMIT_"))
    }
    env.update({LAMBDA_MARKER: "gapfind", "GAPFIND_CONFIG": "production"})
    done = subprocess.run(
        [sys.executable, "-c", "import lambda_handler"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "GapFind cannot start on AWS Lambda" in done.stderr
    assert "- DATABASE_URL is not set" in done.stderr
    assert "- RATELIMIT_STORAGE_URI must be set" in done.stderr
