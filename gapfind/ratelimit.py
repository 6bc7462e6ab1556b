"""Rate-limit plumbing: the client key and a thread-free in-memory storage.

limits' MemoryStorage expires entries from a threading.Timer that it restarts on the first hit
after each 10 ms pause, so a lightly loaded one-worker site starts a new thread for nearly every
request, and the server thread then waits for the GIL behind it. Expiring inline, at most once a
second, gives the same limits (a moving window never depends on expiry to count correctly; it
only frees memory) at a fraction of the cost. Registering under "memory" keeps the contract's
default RATELIMIT_STORAGE_URI ("memory://").
"""

from __future__ import annotations

import time
from typing import Any

from limits.storage import MemoryStorage

EXPIRY_INTERVAL_S = 1.0


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
