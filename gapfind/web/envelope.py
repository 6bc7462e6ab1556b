"""The request envelope: a request id, the security headers and one access-log line, around
every response the app sends (error pages included).

At the WSGI level rather than in Flask hooks: every response passes here, and the constant
headers join the header list as plain tuples, where werkzeug's Headers would check each one
again on every request (measured: README "Performance").
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from typing import Any

from flask import request

from gapfind.web.types import StartResponse, WSGIApp, WSGIEnviron, environ_key

access_log = logging.getLogger("gapfind.access")

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_KEY = "gapfind.request_id"
_CLIENT_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
_REQUEST_ID_ENVIRON = environ_key(REQUEST_ID_HEADER)

JSON_CSP = "default-src 'none'; frame-ancestors 'none'"
# The docs page is one self-contained HTML document with inline styles and no scripts.
DOCS_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"
DOCS_PATHS = ("/docs", "/openapi.json")

_SECURITY_HEADERS = [
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
    ("Server", "GapFind"),
]
_API_HEADERS = [
    *_SECURITY_HEADERS,
    ("Content-Security-Policy", JSON_CSP),
    # Answers carry edit tokens and schedules that change: no shared cache may keep them.
    ("Cache-Control", "no-store"),
]
_DOCS_HEADERS = [
    *_SECURITY_HEADERS,
    ("Content-Security-Policy", DOCS_CSP),
    ("Cache-Control", "public, max-age=300"),
]
_HSTS = ("Strict-Transport-Security", "max-age=31536000")


def request_id() -> str:
    """The id of the current request, as the client sees it in X-Request-ID."""
    return str(request.environ.get(REQUEST_ID_KEY, "-"))


class RequestEnvelope:
    """Request id, security headers and the access log, around the whole Flask app."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnviron, start_response: StartResponse) -> Any:
        started = time.perf_counter()
        incoming = environ.get(_REQUEST_ID_ENVIRON, "")
        request_id = incoming if _CLIENT_REQUEST_ID.fullmatch(incoming) else secrets.token_hex(8)
        environ[REQUEST_ID_KEY] = request_id
        path = environ.get("PATH_INFO", "")
        extra = [
            *(_DOCS_HEADERS if path in DOCS_PATHS else _API_HEADERS),
            (REQUEST_ID_HEADER, request_id),
        ]
        if environ.get("wsgi.url_scheme") == "https":
            extra.append(_HSTS)
        statuses: list[str] = []

        def start_with_headers(status: str, headers: list[Any], exc_info: Any = None) -> Any:
            statuses.append(status)
            return start_response(status, headers + extra, exc_info)

        try:
            return self.app(environ, start_with_headers)
        finally:
            if access_log.isEnabledFor(logging.INFO):
                _log_access(environ, path, statuses, started, request_id)


# Everything that is not printable text, and the backslash that starts an escape: a logged field
# can then never break a line, forge another record or move a terminal's cursor.
_UNSAFE_FOR_LOG = re.compile(r"[^\x20-\x5b\x5d-\x7e]")


def _escape_char(match: re.Match[str]) -> str:
    char = match.group()
    if char == "\\":
        return "\\\\"
    code = ord(char)
    if char.isprintable():  # letters beyond ASCII (a path may be "/users/josé"): kept
        return char
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def log_safe(text: str) -> str:
    """`text` with control characters (CR, LF, ESC, C1, Unicode line separators...) escaped
    as \\xNN / \\uNNNN and backslashes doubled, so every access record stays one honest line."""
    if text.isascii() and text.isprintable() and "\\" not in text:
        return text  # the usual path, checked in C
    return _UNSAFE_FOR_LOG.sub(_escape_char, text)


def _log_access(
    environ: WSGIEnviron, path: str, statuses: list[str], started: float, request_id: str
) -> None:
    # The path only: query strings and headers (Authorization) never reach the log. The client
    # address is canonical (gapfind.web.client_address) and the request id is validated.
    access_log.info(
        "%s %s %s %.1fms ip=%s id=%s",
        log_safe(environ.get("REQUEST_METHOD", "-")),
        log_safe(path.encode("latin-1", "replace").decode("utf-8", "replace")),  # PEP 3333
        statuses[-1][:3] if statuses else "500",
        (time.perf_counter() - started) * 1000,
        log_safe(str(environ.get("REMOTE_ADDR", "-"))),
        request_id,
    )
