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

from flask import Flask, Response, request
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


def environ_key(header: str) -> str:
    """Where a WSGI server puts a request header in the environ (PEP 3333)."""
    return "HTTP_" + header.upper().replace("-", "_")


class RealIpMiddleware:
    """Take the client address from one header set by a trusted proxy (X-Real-IP on
    PythonAnywhere). Installed only when the operator names the header: otherwise any client
    could forge it and dodge its rate limit."""

    def __init__(self, app: WSGIApp, header: str) -> None:
        self.app = app
        self.environ_key = environ_key(header)

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
            skip_unused_record_fields()
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(
                SecondCachedFormatter("%(asctime)s %(levelname)s %(name)s %(message)s")
            )
        logger.addHandler(handler)


class SecondCachedFormatter(logging.Formatter):
    """logging.Formatter whose timestamp text is built once per second, not once per line.

    Same output ("2026-11-28 10:31:45,689"): the date and time part changes once a second,
    and localtime + strftime were a quarter of the access line's cost.
    """

    _cached: tuple[int, str] = (-1, "")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        if datefmt is not None:
            return super().formatTime(record, datefmt)
        second = int(record.created)
        cached_second, text = self._cached
        if second != cached_second:
            text = time.strftime(self.default_time_format, self.converter(record.created))
            self._cached = (second, text)
        return self.default_msec_format % (text, record.msecs)


def skip_unused_record_fields() -> None:
    """Stop the logging module from computing record fields our format never prints.

    The switches of the logging HOWTO's "Optimization" section: the caller's file and line (a
    stack walk per record), thread and multiprocessing names (the process id stays: gunicorn
    prints it). Only applied when GapFind sets up logging itself, not over an operator's own.
    """
    logging._srcfile = None  # type: ignore[attr-defined]
    logging.logThreads = False
    logging.logMultiprocessing = False


# Appended to every response by `RequestEnvelope`; no view or extension sets these.
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
REQUEST_ID_KEY = "gapfind.request_id"
_REQUEST_ID_ENVIRON = environ_key(REQUEST_ID_HEADER)
_ORIGIN_ENVIRON = environ_key("Origin")


def request_id() -> str:
    """The id of the current request, as the client sees it in X-Request-ID."""
    return str(request.environ.get(REQUEST_ID_KEY, "-"))


class RequestEnvelope:
    """Request id, security headers and the access log, around the whole Flask app.

    At the WSGI level rather than in Flask hooks: every response passes here, error pages
    included, and the constant headers join the header list as plain tuples, where werkzeug's
    Headers would check each one again on every request (measured: README "Performance").
    """

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
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


def _log_access(
    environ: dict[str, Any], path: str, statuses: list[str], started: float, request_id: str
) -> None:
    # The path only: query strings and headers (Authorization) never reach the log.
    access_log.info(
        "%s %s %s %.1fms ip=%s id=%s",
        environ.get("REQUEST_METHOD", "-"),
        path.encode("latin-1", "replace").decode("utf-8", "replace"),  # PEP 3333 str -> text
        statuses[-1][:3] if statuses else "500",
        (time.perf_counter() - started) * 1000,
        environ.get("REMOTE_ADDR", "-"),
        request_id,
    )


def install_request_envelope(app: Flask) -> None:
    """Request id, access log and security headers on every response, errors included.

    Install before the proxy support, so that it sees the client address and scheme the
    trusted proxy reported."""
    app.wsgi_app = RequestEnvelope(app.wsgi_app)  # type: ignore[method-assign]


def only_for_cross_origin_requests(app: Flask) -> None:
    """Run flask-cors's after_request hook only when the request carries an Origin header.

    Without one, flask-cors adds nothing (CORS_ORIGINS lists origins, always_send is off), yet
    matching its resources and logging at debug level cost ~5 % of a small request. Browsers
    send Origin on every cross-origin request, so those are answered exactly as before.
    """
    hooks = app.after_request_funcs.setdefault(None, [])
    cors_hook = hooks[-1] if hooks else None
    if cors_hook is None or cors_hook.__name__ != "cors_after_request":
        raise RuntimeError("call right after flask-cors's init_app")

    def cors_after_request_with_origin(response: Response) -> Response:
        if _ORIGIN_ENVIRON in request.environ:
            return cors_hook(response)  # type: ignore[no-any-return]
        return response

    hooks[-1] = cors_after_request_with_origin


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
