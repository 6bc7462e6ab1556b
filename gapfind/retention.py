"""Retention: students not updated for SCHEDULE_RETENTION_DAYS are purged once a day.

Free hosts may have no scheduled tasks, so a serving worker schedules the purge itself; the
reads already treat expired students as absent, so the purge only reclaims space.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from flask import Flask, Response

log = logging.getLogger("gapfind")


def register_retention(app: Flask, purge: Callable[[int], int]) -> None:
    """Purge expired students at most once a day, after a response has been sent.

    It runs once the WSGI server has finished sending the response (Response.call_on_close), so
    no client waits for it. The next due time is moved forward first, so concurrent requests in
    the same process do not all purge at once.
    """
    days = app.config["SCHEDULE_RETENTION_DAYS"]
    if days <= 0:
        return
    state = {"due": 0.0}

    def _purge() -> None:
        try:
            with app.app_context():
                removed = purge(days)
        except Exception:  # a failed purge is retried in an hour; it never fails a request
            log.exception("daily retention purge failed")
            state["due"] = time.monotonic() + 3600
        else:
            log.info("retention purge removed %d students older than %d days", removed, days)

    def _schedule_purge(response: Response) -> Response:
        now = time.monotonic()
        if now >= state["due"]:
            state["due"] = now + 24 * 3600
            response.call_on_close(_purge)
        return response

    app.after_request(_schedule_purge)
