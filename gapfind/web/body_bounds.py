"""Every request body reaches the app whole and within MAX_CONTENT_LENGTH, whatever its framing.

werkzeug enforces MAX_CONTENT_LENGTH against a Content-Length header. A chunked body has none:
the server de-chunks it and werkzeug then reads at most the limit and stops quietly, so a body
past the limit was processed cut short, as if complete. And a malformed chunk raised the
server's own parse error inside the view, a 500 with a traceback. Here a body without a length
is read once, up to one byte past the limit, and handed on as an ordinary Content-Length body;
what went wrong is answered by the app (413, or 400) through the normal error handlers, so the
answer is the contract's JSON with the usual headers.
"""

from __future__ import annotations

import io
from typing import Any

from flask import Flask, request
from werkzeug.exceptions import RequestEntityTooLarge

from gapfind import messages
from gapfind.errors import ApiError
from gapfind.web.types import StartResponse, WSGIApp, WSGIEnviron

PROBLEM_KEY = "gapfind.body_problem"
TOO_LARGE = "too_large"
BROKEN = "broken"
_READ_SIZE = 64 * 1024


def _is_chunked(environ: WSGIEnviron) -> bool:
    # Only chunked framing carries a request body without a length, and it overrides any
    # Content-Length (RFC 9112 6.3); werkzeug then ignores the length too. A body with a length
    # is werkzeug's to bound (413 above the limit). gunicorn sets wsgi.input_terminated on every
    # request, so that flag alone says nothing.
    return "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()


def read_bounded(stream: Any, limit: int) -> bytes | str:
    """The whole body, or TOO_LARGE once it passes `limit`, or BROKEN if it cannot be read.

    BROKEN covers a malformed chunk, a client gone mid-body, a timeout: whatever the server's
    reader raises (each server has its own exception types), the body is simply not usable.
    """
    parts: list[bytes] = []
    size = 0
    try:
        while True:
            part = stream.read(min(_READ_SIZE, limit + 1 - size))
            if not part:
                return b"".join(parts)
            parts.append(part)
            size += len(part)
            if size > limit:
                return TOO_LARGE
    except Exception:
        return BROKEN


class BoundedBody:
    """WSGI layer: a chunked (length-less) body is read here, bounded, and re-framed."""

    def __init__(self, app: WSGIApp, limit: int | None) -> None:
        self.app = app
        self.limit = limit

    def __call__(self, environ: WSGIEnviron, start_response: StartResponse) -> Any:
        if self.limit is not None and _is_chunked(environ):
            body = read_bounded(environ["wsgi.input"], self.limit)
            if isinstance(body, str):
                environ[PROBLEM_KEY] = body
                body = b""
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            # From here on the body is an ordinary one with a length, for werkzeug too.
            environ["gapfind.transfer_encoding"] = environ.pop("HTTP_TRANSFER_ENCODING")
            environ.pop("wsgi.input_terminated", None)
        return self.app(environ, start_response)


def _refuse_unusable_body() -> None:
    problem = request.environ.get(PROBLEM_KEY)
    if problem == TOO_LARGE:
        raise RequestEntityTooLarge()
    if problem == BROKEN:
        raise ApiError.body(messages.BODY_INCOMPLETE)


def install_body_bounds(app: Flask, wsgi_app: WSGIApp) -> WSGIApp:
    """Bound length-less bodies and refuse, before any view or limiter, what could not be read."""
    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_unusable_body)
    return BoundedBody(wsgi_app, app.config["MAX_CONTENT_LENGTH"])
