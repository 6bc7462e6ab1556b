"""Settings are read when an app is created, never when config.py is imported (issue 10, item
6), and the testing settings read neither the environment nor a `.env` file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from config import (
    DevelopmentConfig,
    ProductionConfig,
    TestingConfig,
    config_from_env,
    load_settings,
    read_environment,
)
from gapfind import create_app

REPO_ROOT = Path(__file__).resolve().parents[1]


def test_values_are_parsed_by_the_type_of_their_default() -> None:
    settings = load_settings(
        ProductionConfig,
        {
            "MAX_CONTENT_LENGTH": " 2048 ",
            "RATELIMIT_ENABLED": "off",
            "CORS_ORIGINS": "https://a.example, https://b.example,",
            "LOG_LEVEL": "debug",
            "SQLITE_JOURNAL_MODE": "wal",
            "TIMEZONE": " Europe/Madrid ",
            "DATABASE_URL": "",
            "SCHEDULE_RETENTION_DAYS": "",
        },
    )
    assert settings["MAX_CONTENT_LENGTH"] == 2048
    assert settings["RATELIMIT_ENABLED"] is False
    assert settings["CORS_ORIGINS"] == ["https://a.example", "https://b.example"]
    assert settings["LOG_LEVEL"] == "DEBUG"
    assert settings["SQLITE_JOURNAL_MODE"] == "WAL"
    assert settings["TIMEZONE"] == "Europe/Madrid"
    assert settings["DATABASE_URL"] is None  # empty: the default SQLite file
    assert settings["SCHEDULE_RETENTION_DAYS"] == 180  # blank keeps the default


@pytest.mark.parametrize(
    "name, raw", [("MAX_CONTENT_LENGTH", "1MB"), ("RATELIMIT_ENABLED", "yes please")]
)
def test_a_typo_stops_start_up_naming_the_setting(name: str, raw: str) -> None:
    with pytest.raises(ValueError, match=name):
        load_settings(ProductionConfig, {name: raw})


def test_code_settings_are_never_read_from_the_environment() -> None:
    settings = load_settings(ProductionConfig, {"DEBUG": "true", "TESTING": "true"})
    assert settings["DEBUG"] is False and settings["TESTING"] is False


def test_development_defaults_can_still_be_overridden() -> None:
    assert load_settings(DevelopmentConfig, {})["RATELIMIT_ENABLED"] is False
    assert load_settings(DevelopmentConfig, {"RATELIMIT_ENABLED": "1"})["RATELIMIT_ENABLED"]


def test_testing_settings_ignore_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://prod.example/gapfind")
    monkeypatch.delenv("TEST_DATABASE_URL", raising=False)
    settings = load_settings(TestingConfig, {"DATABASE_URL": "postgresql://prod/x"})
    assert settings["DATABASE_URL"] == "sqlite://"
    monkeypatch.setenv("TEST_DATABASE_URL", "sqlite:////tmp/t.sqlite")
    assert load_settings(TestingConfig)["DATABASE_URL"] == "sqlite:////tmp/t.sqlite"


def test_the_environment_is_read_when_the_app_is_created(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RESULTS_MAX_USERNAMES", "7")
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    assert create_app(ProductionConfig).config["RESULTS_MAX_USERNAMES"] == 7
    monkeypatch.setenv("RESULTS_MAX_USERNAMES", "9")
    assert create_app(ProductionConfig).config["RESULTS_MAX_USERNAMES"] == 9


def test_dotenv_values_lose_to_real_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("CORS_ORIGINS=https://from-dotenv.example\nLOG_LEVEL=debug\n")
    monkeypatch.setenv("LOG_LEVEL", "warning")
    values = read_environment(dotenv)
    assert values["CORS_ORIGINS"] == "https://from-dotenv.example"
    assert values["LOG_LEVEL"] == "warning"
    assert config_from_env({"GAPFIND_CONFIG": " Development "}) is DevelopmentConfig


def test_importing_config_reads_nothing_and_changes_nothing(tmp_path: Path) -> None:
    """In a fresh interpreter: importing config leaves os.environ as it was (the old module
    loaded `.env` into it) and the classes hold plain defaults, whatever the environment says."""
    code = (
        "import os, sys; before = dict(os.environ); import config; "
        "assert dict(os.environ) == before, 'environ changed'; "
        "assert config.Config.MAX_CONTENT_LENGTH == 1024 * 1024; "
        "assert config.Config.DATABASE_URL is None; "
        "assert 'dotenv' not in sys.modules"
    )
    env = {"PATH": "/usr/bin:/bin", "MAX_CONTENT_LENGTH": "5", "DATABASE_URL": "sqlite://x"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
