"""The fences around what gapfind.ratelimit borrows from Flask-Limiter and limits (issue 10,
item 4): a start-up check of their versions, and GapFind's memory storage under a scheme of
its own instead of limits' memory://.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import flask_limiter
import limits
import pytest
from flask import Flask
from flask_limiter import Limiter
from limits.storage import MemoryStorage, storage_from_string

from gapfind.ratelimit import (
    MEMORY_SCHEME,
    WRITTEN_FOR,
    InlineExpiryMemoryStorage,
    gapfind_storage_uri,
    installed_versions,
)
from tests.web import limited

REPO_ROOT = Path(__file__).resolve().parents[2]


# ----------------------------------------------------------------- versions


@pytest.mark.parametrize(
    "module,name", [(flask_limiter, "Flask-Limiter"), (limits, "limits")], ids=lambda v: str(v)
)
def test_another_library_version_stops_the_app_naming_the_file_to_revisit(
    app_factory: Callable[..., Flask],
    monkeypatch: pytest.MonkeyPatch,
    module: object,
    name: str,
) -> None:
    monkeypatch.setattr(module, "__version__", "99.0.0")
    with pytest.raises(RuntimeError) as stopped:
        app_factory(**limited())
    message = str(stopped.value)
    assert "gapfind/ratelimit.py" in message
    assert f"{name} 99.0.0" in message
    assert f"{name} {WRITTEN_FOR[name]}" in message


def test_the_check_also_runs_with_limits_off(
    app_factory: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The private imports happen whatever RATELIMIT_ENABLED says; so does the check."""
    monkeypatch.setattr(limits, "__version__", "0.1")
    with pytest.raises(RuntimeError, match="gapfind/ratelimit.py"):
        app_factory(RATELIMIT_ENABLED=False)


def test_the_installed_versions_are_the_ones_it_was_written_for() -> None:
    assert installed_versions() == WRITTEN_FOR


def test_requirements_pin_the_versions_it_was_written_for() -> None:
    pins = {}
    for line in (REPO_ROOT / "requirements.txt").read_text().splitlines():
        name, _, version = line.partition("==")
        if version:
            pins[name.strip().lower()] = version.strip()
    for name, version in WRITTEN_FOR.items():
        assert pins[name.lower()] == version, f"requirements.txt pins another {name}"


def test_the_private_parts_it_reads_exist_in_the_installed_versions() -> None:
    """What PRIVATE_PARTS lists, looked up: a version where one is gone fails here too."""
    from flask_limiter._limits import RuntimeLimit  # noqa: F401
    from limits._storage_scheme import SCHEMES

    limiter = Limiter(key_func=lambda: "client", storage_uri="memory://")
    app = Flask(__name__)
    limiter.init_app(app)
    try:
        for name in (
            "_check_request_limit",
            "_key_func",
            "_request_filters",
            "_key_prefix",
            "_swallow_errors",
            "_header_mapping",
            "_retry_after",
            "_headers_enabled",
            "limiter",
        ):
            assert hasattr(limiter, name), name
        # The hooks GapFindLimiter.init_app swaps are bound to the limiter.
        assert app.before_request_funcs[None] == [limiter._check_request_limit]
        assert len(app.after_request_funcs[None]) == 1
        assert len(app.teardown_request_funcs[None]) == 1
        for name in ("_MemoryStorage__schedule_expiry", "_MemoryStorage__expire_events"):
            assert callable(getattr(limiter.storage, name)), name
        assert hasattr(limiter.storage, "timer")
        assert SCHEMES["memory"] is MemoryStorage
    finally:
        limiter.storage.timer.cancel()


# ----------------------------------------------------------------- the memory scheme


def test_gapfinds_limiter_gets_its_own_storage_and_memory_stays_limits(
    app_factory: Callable[..., Flask],
) -> None:
    app = app_factory(**limited("memory://"))
    assert type(app.extensions["gapfind.limiter"].storage) is InlineExpiryMemoryStorage
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"  # the setting is left alone
    stock = storage_from_string("memory://")
    try:
        assert type(stock) is MemoryStorage
    finally:
        stock.timer.cancel()  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "configured,opened",
    [
        ("memory://", f"{MEMORY_SCHEME}://"),
        ("memory:///", f"{MEMORY_SCHEME}:///"),
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
        ("memcached://127.0.0.1:11211", "memcached://127.0.0.1:11211"),
        ("memoryless://x", "memoryless://x"),
    ],
)
def test_only_memory_is_mapped_to_gapfinds_storage(configured: str, opened: str) -> None:
    assert gapfind_storage_uri(configured) == opened


PROBE = """
import json
from limits._storage_scheme import SCHEMES
from limits.storage import MemoryStorage
seen = {"memory before": SCHEMES["memory"].__name__}
import gapfind.ratelimit
seen["memory after import"] = SCHEMES["memory"].__name__
seen["own scheme after import"] = "gapfind-memory" in SCHEMES
from gapfind import create_app
create_app({"DATABASE_URL": "sqlite://", "RATELIMIT_ENABLED": True})
seen["memory after create_app"] = SCHEMES["memory"].__name__
seen["own scheme after create_app"] = SCHEMES.get("gapfind-memory").__name__
print(json.dumps(seen))
"""


def test_importing_gapfind_registers_nothing_and_the_factory_only_its_own_scheme() -> None:
    """In a fresh interpreter, where nothing has imported gapfind yet."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=REPO_ROOT,
        env={**os.environ, "GAPFIND_CONFIG": "testing", "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen == {
        "memory before": "MemoryStorage",
        "memory after import": "MemoryStorage",
        "own scheme after import": False,
        "memory after create_app": "MemoryStorage",
        "own scheme after create_app": "InlineExpiryMemoryStorage",
    }
