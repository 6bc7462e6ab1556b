"""What every request passes through: the client address, a request id, the access log,
security headers and the once-a-day retention purge.

Kept out of the views so that an endpoint only loads, computes, stores and dumps.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import secrets
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, Response, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

access_log = logging.getLogger("gapfind.access")
log = logging.getLogger("gapfind")

REQUEST_ID_HEADER = "X-Request-ID"
_CLIENT_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")

JSON_CSP = "default-src 'none'; frame-ancestors 'none'"
# The docs page is one self-contained HTML document with inline styles and no scripts.
DOCS_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"
DOCS_PATHS = ("/docs", "/openapi.json")

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class RealIpMiddleware:
    """Take the client address from one header set by a trusted proxy (X-Real-IP on
    PythonAnywhere). Installed only when the operator names the header: otherwise any client
    could forge it and dodge its rate limit."""

    def __init__(self, app: WSGIApp, header: str) -> None:
        self.app = app
        self.environ_key = "HTTP_" + header.upper().replace("-", "_")

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        value = environ.get(self.environ_key, "").strip()
        if value:
            try:
                ipaddress.ip_address(value)
            except ValueError:
                pass  # a garbled header keeps the socket address rather than a bogus key
            else:
                environ["gapfind.proxy_addr"] = environ.get("REMOTE_ADDR")
                environ["REMOTE_ADDR"] = value
        return self.app(environ, start_response)


def install_proxy_support(app: Flask) -> None:
    """Trust the proxy headers the operator configured, and nothing else."""
    header = app.config["REAL_IP_HEADER"].strip()
    hops = app.config["TRUSTED_PROXY_HOPS"]
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    if header:
        app.wsgi_app = RealIpMiddleware(app.wsgi_app, header)  # type: ignore[method-assign]


# Flask-Limiter reports a dead storage (fail-open) on its own logger, which has no handler.
LOGGERS = ("gapfind", "flask-limiter")


def configure_logging(app: Flask) -> None:
    """Send GapFind's and the limiter's logs to stderr (the host's error log) unless logging is
    already set up (a test's capture, an operator's dictConfig)."""
    handler: logging.Handler | None = None
    for name in LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(app.config["LOG_LEVEL"])
        has_stream = any(isinstance(h, logging.StreamHandler) for h in logger.handlers)
        if has_stream or logging.getLogger().handlers:
            continue
        if handler is None:
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(
                logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")
            )
        logger.addHandler(handler)


def _start_request() -> None:
    g.started = time.perf_counter()
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = incoming if _CLIENT_REQUEST_ID.fullmatch(incoming) else secrets.token_hex(8)


# Appended in one call (no view or extension sets these): cheaper than one replace per header.
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


def _finish_request(response: Response) -> Response:
    headers = response.headers
    request_id = g.get("request_id", "-")
    path = request.path
    headers.extend(_DOCS_HEADERS if path in DOCS_PATHS else _API_HEADERS)
    headers.add(REQUEST_ID_HEADER, request_id)
    if request.is_secure:
        headers["Strict-Transport-Security"] = "max-age=31536000"
    elapsed_ms = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
    # The path only: query strings and headers (Authorization) never reach the log.
    access_log.info(
        "%s %s %s %.1fms ip=%s id=%s",
        request.method,
        path,
        response.status_code,
        elapsed_ms,
        request.remote_addr,
        request_id,
    )
    return response


def register_request_hooks(app: Flask) -> None:
    """Request id, access log and security headers on every response, errors included."""
    app.before_request(_start_request)
    app.after_request(_finish_request)


def register_retention(app: Flask, purge: Callable[[int], int]) -> None:
    """Purge expired students at most once a day, after a response has been sent.

    Free hosts may have no scheduled tasks; the reads already treat expired students as
    absent, so this only reclaims space, and it runs once the WSGI server has finished sending
    the response (Response.call_on_close), so no client waits for it. The next due time is
    moved forward first, so concurrent requests in the same process do not all purge at once.
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
