"""GapFind settings: the defaults here, overridden by the environment when the app is created.

Every setting can come from an environment variable of the same name or from a `.env` file beside
wsgi.py, because shared hosts (PythonAnywhere) give a web app no shell environment of its own:
the `.env` file is the one place an operator can put DATABASE_URL or CORS_ORIGINS there.
Real environment variables win over `.env`. Nothing is read when this module is imported:
`load_settings` reads them when `create_app` runs, and the testing settings read neither the
environment nor `.env` (a developer's `.env` must not point the test suite at a real database).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent
DOTENV_PATH = BASE_DIR / ".env"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class Config:
    """Production-safe defaults; the subclasses only relax what their purpose needs."""

    DEBUG = False
    TESTING = False

    # None means "an SQLite file in the instance folder", resolved to an absolute path by the
    # factory: a WSGI host may start the app from any working directory.
    DATABASE_URL: str | None = None
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    # A rollback journal (DELETE, TRUNCATE, PERSIST) is what is safe on a network filesystem
    # (PythonAnywhere's home directories are one). PERSIST keeps the journal file between writes
    # instead of creating and deleting it each time: the same locking and durability as SQLite's
    # DELETE default, at half the CPU per write (bench/README.md). WAL is faster still but needs
    # shared memory, so it is for a local disk only.
    SQLITE_JOURNAL_MODE = "PERSIST"
    SQLITE_BUSY_TIMEOUT = 15
    # Bounded waits on the database, in seconds (gapfind.persistence.database): a stopped (not
    # crashed) PostgreSQL leaves connections open that never answer; each wait has a bound, after
    # which the request gets a 503 and the connection is dropped. A statement timeout of 0 keeps the
    # server's own setting.
    DATABASE_CONNECT_TIMEOUT = 3
    DATABASE_STATEMENT_TIMEOUT = 5
    DATABASE_POOL_TIMEOUT = 5

    MAX_CONTENT_LENGTH = 1024 * 1024
    ANALYZE_MAX_FILE_BYTES = 64 * 1024
    ANALYZE_MAX_USERNAMES = 20000
    RESULTS_MAX_USERNAMES = 500
    # Schedules go stale each semester; 0 keeps them forever.
    SCHEDULE_RETENTION_DAYS = 180

    RATELIMIT_ENABLED = True
    RATELIMIT_DEFAULT = "20 per minute"
    RATELIMIT_WRITES = "150 per hour"
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_STRATEGY = "sliding-window-counter"
    RATELIMIT_FAIL_OPEN = True
    RATELIMIT_HEADERS_ENABLED = True
    # IPv6 clients are counted per network of this prefix: one device or home usually owns a
    # whole /64 (the assumption of the big CDNs' rate limiters). 128 counts each address.
    RATELIMIT_IPV6_PREFIX = 64

    # Client address: trust nothing by default, so a forged header cannot dodge a limit.
    TRUSTED_PROXY_HOPS = 0
    REAL_IP_HEADER = ""

    CORS_ORIGINS: list[str] = []

    LOG_LEVEL = "INFO"

    # The campus's IANA time zone: a timetable's hours are campus wall-clock hours, and so are
    # the calendar files GapFind writes and reads. A typo stops the app at start-up.
    TIMEZONE = "America/Bogota"

    # Timetables imported from calendar files (.ics):
    # The largest calendar file accepted, and how many occurrences its recurrence rules may
    # expand to in the weeks examined (a bound on the CPU one hostile file can cost).
    ICS_MAX_FILE_BYTES = 256 * 1024
    ICS_MAX_OCCURRENCES = 5000


class ProductionConfig(Config):
    """What a public deployment runs; DEBUG is pinned off and cannot be enabled by env."""


class DevelopmentConfig(Config):
    """Local work: the interactive debugger and relaxed limits."""

    DEBUG = True
    RATELIMIT_ENABLED = False
    CORS_ORIGINS = ["http://localhost:5173", "http://127.0.0.1:5173"]
    LOG_LEVEL = "DEBUG"


class TestingConfig(Config):
    """The test suite: an in-memory database unless TEST_DATABASE_URL names another.

    It reads TEST_DATABASE_URL and nothing else from the environment: the fixtures drop and
    create tables, and an exported DATABASE_URL must not point them at a real database."""

    TESTING = True
    DATABASE_URL = "sqlite://"
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    CORS_ORIGINS = ["https://gfind.pages.dev"]
    LOG_LEVEL = "WARNING"


CONFIGS: dict[str, type[Config]] = {
    "production": ProductionConfig,
    "development": DevelopmentConfig,
    "testing": TestingConfig,
}
# Settings that are code, not deployment choices: never read from the environment.
FIXED = frozenset(
    {"DEBUG", "TESTING", "SQLALCHEMY_TRACK_MODIFICATIONS", "RATELIMIT_HEADERS_ENABLED"}
)
# Text settings whose case or spacing carries no meaning.
_NORMALIZE: dict[str, Callable[[str], str]] = {
    "SQLITE_JOURNAL_MODE": str.upper,
    "LOG_LEVEL": str.upper,
    "TIMEZONE": str.strip,
}


def parse_bool(name: str, raw: str) -> bool:
    """A boolean setting; a typo must not silently flip a security switch."""
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{name} must be a boolean (true/false), got {raw!r}")


def parse_int(name: str, raw: str) -> int | None:
    """An integer setting (None when blank: the default stays), failing at start-up rather than
    on the first request."""
    if not raw.strip():
        return None
    try:
        return int(raw.strip())
    except ValueError as error:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from error


def parse_list(_name: str, raw: str) -> list[str]:
    """A comma-separated setting such as CORS_ORIGINS."""
    return [item.strip() for item in raw.split(",") if item.strip()]


def _parse(name: str, default: Any, raw: str) -> Any:
    if isinstance(default, bool):
        return parse_bool(name, raw)
    if isinstance(default, int):
        number = parse_int(name, raw)
        return default if number is None else number
    if isinstance(default, list):
        return parse_list(name, raw)
    if default is None:  # DATABASE_URL: empty means the default SQLite file
        return raw or None
    return _NORMALIZE.get(name, str)(raw)


def settings_of(config_class: type[Config]) -> dict[str, Any]:
    """The class's settings (its upper-case attributes, inherited ones included)."""
    return {name: getattr(config_class, name) for name in dir(config_class) if name.isupper()}


def read_environment(dotenv_path: Path = DOTENV_PATH) -> dict[str, str]:
    """The process environment over the `.env` file's values (real variables win)."""
    values: dict[str, str] = {}
    if dotenv_path.is_file():
        from dotenv import dotenv_values  # only hosts that ship a .env pay for the parser

        values.update({k: v for k, v in dotenv_values(dotenv_path).items() if v is not None})
    values.update(os.environ)
    return values


def load_settings(
    config_class: type[Config], environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The settings an app is built with: the class's defaults, then the environment's values.

    Called by create_app, so the environment is read when an app is created, not at import.
    """
    settings = settings_of(config_class)
    if config_class.TESTING:
        test_url = os.environ.get("TEST_DATABASE_URL")  # never from .env
        if test_url:
            settings["DATABASE_URL"] = test_url
        return settings
    env = read_environment() if environ is None else environ
    for name, default in settings.items():
        if name not in FIXED and name in env:
            settings[name] = _parse(name, default, env[name])
    return settings


def config_from_env(environ: Mapping[str, str] | None = None) -> type[Config]:
    """Pick the settings class named by GAPFIND_CONFIG (production when unset)."""
    env = read_environment() if environ is None else environ
    name = env.get("GAPFIND_CONFIG", "production").strip().lower()
    try:
        return CONFIGS[name]
    except KeyError as error:
        raise ValueError(
            f"GAPFIND_CONFIG must be one of {sorted(CONFIGS)}, got {name!r}"
        ) from error
