"""GapFind settings.

Every key can come from an environment variable of the same name or from a `.env` file beside
wsgi.py, because shared hosts (PythonAnywhere) give a web app no shell environment of its own:
the `.env` file is the one place an operator can put DATABASE_URL or CORS_ORIGINS there.
Real environment variables win over `.env`, so a test or a one-off command can override a key.
"""

from __future__ import annotations

import os
from pathlib import Path

from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent
load_dotenv(BASE_DIR / ".env", override=False)

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str) -> str:
    """Read a string setting; an unset variable keeps the class default."""
    return os.environ.get(name, default)


def env_int(name: str, default: int) -> int:
    """Read an integer setting, failing at start-up rather than on the first request."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw.strip())
    except ValueError as error:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from error


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean setting; a typo must not silently flip a security switch."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{name} must be a boolean (true/false), got {raw!r}")


def env_list(name: str, default: str) -> list[str]:
    """Read a comma-separated setting such as CORS_ORIGINS."""
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


class Config:
    """Production-safe defaults; the subclasses only relax what their purpose needs."""

    DEBUG = False
    TESTING = False

    # None means "an SQLite file in the instance folder", resolved to an absolute path by the
    # factory: a WSGI host may start the app from any working directory.
    DATABASE_URL: str | None = os.environ.get("DATABASE_URL") or None
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    # A rollback journal (DELETE, TRUNCATE, PERSIST) is what is safe on a network filesystem
    # (PythonAnywhere's home directories are one). PERSIST keeps the journal file between writes
    # instead of creating and deleting it each time: the same locking and durability as SQLite's
    # DELETE default, at half the CPU per write (bench/README.md). WAL is faster still but needs
    # shared memory, so it is for a local disk only.
    SQLITE_JOURNAL_MODE = env_str("SQLITE_JOURNAL_MODE", "PERSIST").upper()
    SQLITE_BUSY_TIMEOUT = env_int("SQLITE_BUSY_TIMEOUT", 15)
    # --- issue 9: bounded waits on the database, in seconds (gapfind.database) ---
    # A stopped (not crashed) PostgreSQL leaves connections open that never answer: each wait has
    # a bound, after which the request gets a 503 and the connection is dropped.
    DATABASE_CONNECT_TIMEOUT = env_int("DATABASE_CONNECT_TIMEOUT", 3)
    DATABASE_STATEMENT_TIMEOUT = env_int("DATABASE_STATEMENT_TIMEOUT", 5)  # 0: server default
    DATABASE_POOL_TIMEOUT = env_int("DATABASE_POOL_TIMEOUT", 5)
    # --- end issue 9 ---

    MAX_CONTENT_LENGTH = env_int("MAX_CONTENT_LENGTH", 1024 * 1024)
    ANALYZE_MAX_FILE_BYTES = env_int("ANALYZE_MAX_FILE_BYTES", 64 * 1024)
    ANALYZE_MAX_USERNAMES = env_int("ANALYZE_MAX_USERNAMES", 20000)
    RESULTS_MAX_USERNAMES = env_int("RESULTS_MAX_USERNAMES", 500)
    # Schedules go stale each semester; 0 keeps them forever.
    SCHEDULE_RETENTION_DAYS = env_int("SCHEDULE_RETENTION_DAYS", 180)

    RATELIMIT_ENABLED = env_bool("RATELIMIT_ENABLED", True)
    RATELIMIT_DEFAULT = env_str("RATELIMIT_DEFAULT", "20 per minute")
    RATELIMIT_WRITES = env_str("RATELIMIT_WRITES", "150 per hour")
    RATELIMIT_STORAGE_URI = env_str("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_STRATEGY = env_str("RATELIMIT_STRATEGY", "sliding-window-counter")
    RATELIMIT_FAIL_OPEN = env_bool("RATELIMIT_FAIL_OPEN", True)
    RATELIMIT_HEADERS_ENABLED = True

    # Client address: trust nothing by default, so a forged header cannot dodge a limit.
    TRUSTED_PROXY_HOPS = env_int("TRUSTED_PROXY_HOPS", 0)
    REAL_IP_HEADER = env_str("REAL_IP_HEADER", "")

    CORS_ORIGINS = env_list("CORS_ORIGINS", "")

    LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()

    # The campus's IANA time zone: a timetable's hours are campus wall-clock hours, and so are
    # the calendar files GapFind writes and reads. A typo stops the app at start-up.
    TIMEZONE = env_str("TIMEZONE", "America/Bogota").strip()


class ProductionConfig(Config):
    """What a public deployment runs; DEBUG is pinned off and cannot be enabled by env."""


class DevelopmentConfig(Config):
    """Local work: the interactive debugger and relaxed limits."""

    DEBUG = True
    RATELIMIT_ENABLED = env_bool("RATELIMIT_ENABLED", False)
    CORS_ORIGINS = env_list("CORS_ORIGINS", "http://localhost:5173,http://127.0.0.1:5173")
    LOG_LEVEL = env_str("LOG_LEVEL", "DEBUG").upper()


class TestingConfig(Config):
    """The test suite: an in-memory database unless a test names another.

    It reads TEST_DATABASE_URL and never DATABASE_URL: the fixtures drop and create tables, and
    an exported DATABASE_URL must not point them at a real database."""

    TESTING = True
    DATABASE_URL = os.environ.get("TEST_DATABASE_URL") or "sqlite://"
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    CORS_ORIGINS = ["https://gfind.pages.dev"]
    LOG_LEVEL = "WARNING"


CONFIGS: dict[str, type[Config]] = {
    "production": ProductionConfig,
    "development": DevelopmentConfig,
    "testing": TestingConfig,
}


def config_from_env() -> type[Config]:
    """Pick the settings class named by GAPFIND_CONFIG (production when unset)."""
    name = env_str("GAPFIND_CONFIG", "production").strip().lower()
    try:
        return CONFIGS[name]
    except KeyError as error:
        raise ValueError(
            f"GAPFIND_CONFIG must be one of {sorted(CONFIGS)}, got {name!r}"
        ) from error
