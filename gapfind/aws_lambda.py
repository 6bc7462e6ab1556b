"""GapFind as one AWS Lambda function behind an API Gateway HTTP API (payload format 2.0).

apig-wsgi turns each HTTP API event into a WSGI request for the unchanged Flask app, and the
app's answer into the event's response: bodies that are not text (a multipart upload, any
binary answer) travel base64-encoded both ways. Two of its choices are corrected for the HTTP
API (`HttpApiCorrections`). The scheduled EventBridge rule of deploy/aws/template.yaml invokes
the same function with the constant event {"gapfind": "purge"}, which goes to the retention
purge and never reaches the HTTP adapter; no HTTP API event has a top-level "gapfind" key, and
only principals allowed to invoke the function (that rule) can send anything else.

Imported by lambda_handler.py only: apig-wsgi is not on a WSGI server's start-up path.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from apig_wsgi import make_lambda_handler
from flask import Flask

from gapfind.persistence import repository

log = logging.getLogger("gapfind")

TASK_KEY = "gapfind"
PURGE_TASK = "purge"
PURGE_EVENT = {TASK_KEY: PURGE_TASK}

Event = dict[str, Any]
Handler = Callable[[Event, Any], dict[str, Any]]
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def make_handler(app: Flask) -> Handler:
    """The Lambda handler for `app`: scheduled tasks first, every other event is HTTP."""
    # binary_support: answers whose type is not text go back base64-encoded (the HTTP API
    # decodes them for the client). apig-wsgi always does so for payload 2.0; set for 1.0 too.
    http = make_lambda_handler(HttpApiCorrections(app), binary_support=True)

    def handler(event: Event, context: Any) -> dict[str, Any]:
        if TASK_KEY in event:
            return run_task(app, event)
        return http(event, context)

    return handler


def run_task(app: Flask, event: Event) -> dict[str, Any]:
    """A scheduled task named by the event; an unknown one fails the invocation, loudly."""
    task = event.get(TASK_KEY)
    if task == PURGE_TASK:
        return purge_expired_students(app)
    raise ValueError(f"unknown GapFind task {task!r}: the only one is {PURGE_EVENT}")


def purge_expired_students(app: Flask) -> dict[str, Any]:
    """The daily retention purge, answered with what it did (shown in the invocation's log).

    A failure propagates: the invocation fails and EventBridge retries it (RetryPolicy).
    """
    days = app.config["SCHEDULE_RETENTION_DAYS"]
    if days <= 0:
        log.info("retention purge skipped: SCHEDULE_RETENTION_DAYS=%d keeps every student", days)
        return {"task": PURGE_TASK, "removed": 0, "retention_days": days}
    with app.app_context():
        removed = repository.purge_expired(days)
    log.info("retention purge removed %d students older than %d days", removed, days)
    return {"task": PURGE_TASK, "removed": removed, "retention_days": days}


class HttpApiCorrections:
    """Two of apig-wsgi's (2.20) choices, corrected so that an answer on Lambda is the answer the
    WSGI server gives; tests/lambda_/test_corrections.py runs apig-wsgi alone beside this.

    * Request Content-Type: apig-wsgi keeps only what follows the value's last comma, as if the
      HTTP API had joined several Content-Type headers. A single one may hold a comma (RFC 2046
      allows one in a multipart boundary, quoted), and that upload would lose its boundary on
      Lambda only.
      Content-Type is a singleton field: the value as received is the one the client sent.
    * Response headers: apig-wsgi keeps them in a dict by name, so of two fields with one name
      (two Vary, two Link) the client would get the last. They are joined with ", " instead
      (RFC 9110, 5.3); Set-Cookie is left alone (apig-wsgi sends each as a cookie of its own).
    """

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        event = environ.get("apig_wsgi.full_event") or {}
        for name, value in (event.get("headers") or {}).items():
            if name.lower() == "content-type":
                environ["CONTENT_TYPE"] = value

        def start_with_joined_headers(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            return start_response(status, join_repeated_headers(headers), exc_info)

        return self.app(environ, start_with_joined_headers)


def join_repeated_headers(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """One field per name, repeated values joined with ", " in order; Set-Cookie untouched."""
    position: dict[str, int] = {}
    joined: list[tuple[str, str]] = []
    for name, value in headers:
        key = name.lower()
        if key == "set-cookie":
            joined.append((name, value))
        elif key in position:
            index = position[key]
            joined[index] = (joined[index][0], f"{joined[index][1]}, {value}")
        else:
            position[key] = len(joined)
            joined.append((name, value))
    return joined
