"""Rate limiting: one Flask-Limiter per app, views marked by cheap decorators.

Each app gets its own Limiter, built in the factory after the blueprints: Flask-Limiter keeps
its settings (storage, strategy, default limits, enabled) on the Limiter object, so one
module-level object would let the first app's settings win for every later app of the process.
Views only carry markers (`write_limited`, `exempt`); `init_limiter` applies them.

The in-memory storage is replaced too: limits' MemoryStorage expires entries from a
threading.Timer that it restarts on the first hit after each 10 ms pause, so a lightly loaded
one-worker site starts a new thread for nearly every request and the server thread then waits
for the GIL behind it. Expiring inline, at most once a second, gives the same limits (a moving
window never depends on expiry to count correctly; expiry only frees memory) at a fraction of
the cost. It registers under "memory", so the default RATELIMIT_STORAGE_URI stays "memory://".
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits.storage import MemoryStorage

View = TypeVar("View", bound=Callable[..., Any])

EXPIRY_INTERVAL_S = 1.0
WRITES_SCOPE = "writes"
_MARK = "gapfind_rate_limit"


class InlineExpiryMemoryStorage(MemoryStorage):
    """memory:// storage that sweeps expired entries inline instead of from a Timer thread."""

    STORAGE_SCHEME = ["memory"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: Any):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.timer.cancel()
        self._next_sweep = 0.0

    # Overrides the parent's name-mangled private hook (limits is pinned in requirements.txt;
    # tests/web/test_rate_limits.py proves no thread is started per request).
    def _MemoryStorage__schedule_expiry(self) -> None:
        now = time.monotonic()
        if now >= self._next_sweep:
            self._next_sweep = now + EXPIRY_INTERVAL_S
            self._MemoryStorage__expire_events()  # type: ignore[attr-defined]


def write_limited(view: View) -> View:
    """Mark a registration write: it also spends the client's shared RATELIMIT_WRITES bucket."""
    setattr(view, _MARK, WRITES_SCOPE)
    return view


def exempt(view: View) -> View:
    """Mark a view that no limit applies to (health checks, documentation)."""
    setattr(view, _MARK, "exempt")
    return view


def _writes_limit() -> str:
    return str(current_app.config["RATELIMIT_WRITES"])


def _is_preflight() -> bool:
    # A CORS preflight that spent the bucket would be answered 429, which the browser reports
    # as a CORS failure and hides the real answer from the user.
    return request.method == "OPTIONS"


def storage_options(storage_uri: str) -> dict[str, Any]:
    """Wrap storage errors in limits' StorageError (errors.py maps it to 503 when failing
    closed), and give Redis short timeouts: a dead Redis must cost a request milliseconds."""
    options: dict[str, Any] = {"wrap_exceptions": True}
    if storage_uri.startswith(("redis", "rediss", "valkey")):
        options.update(socket_connect_timeout=0.5, socket_timeout=0.5)
    return options


def init_limiter(app: Flask) -> Limiter:
    """Bind a new Limiter to `app` and apply the views' markers (call after the blueprints)."""
    app.config.setdefault(
        "RATELIMIT_STORAGE_OPTIONS", storage_options(app.config["RATELIMIT_STORAGE_URI"])
    )
    app.config["RATELIMIT_SWALLOW_ERRORS"] = app.config["RATELIMIT_FAIL_OPEN"]
    limiter = Limiter(key_func=get_remote_address)
    limiter.init_app(app)
    limiter.request_filter(_is_preflight)
    writes = limiter.shared_limit(_writes_limit, scope=WRITES_SCOPE, override_defaults=False)
    for endpoint, view in list(app.view_functions.items()):
        mark = getattr(view, _MARK, None)
        if mark == WRITES_SCOPE:
            app.view_functions[endpoint] = writes(view)
        elif mark == "exempt":
            app.view_functions[endpoint] = limiter.exempt(view)
    app.extensions["gapfind.limiter"] = limiter
    return limiter
