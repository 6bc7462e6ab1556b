"""Rate limiting: one Flask-Limiter per app, views marked by cheap decorators.

Each app gets its own Limiter, built in the factory after the blueprints: Flask-Limiter keeps
its settings (storage, strategy, default limits, enabled) on the Limiter object, so one
module-level object would let the first app's settings win for every later app of the process.
Views only carry markers (`write_limited`, `exempt`); `init_limiter` turns them into a table.

Two parts of Flask-Limiter are replaced, both for their cost on a one-worker host:

* Its per-request resolution. For every request Flask-Limiter works out again which limits
  apply to the endpoint (defaults, decorated, blueprint, exemptions, hints), parsing the limit
  strings anew each time: about 40 % of the CPU of a small GapFind request (profiled under
  gunicorn, see README "Performance"). GapFind's limits are fixed when the app is built
  (RATELIMIT_DEFAULT per endpoint, RATELIMIT_WRITES shared by the writes, none on the exempt
  views), so `GapFindLimiter` resolves them once per endpoint. Each request then makes the same
  storage calls Flask-Limiter makes (one hit per limit, same keys, same order, first breach
  stops), and the rest stays Flask-Limiter's: storage and strategy from RATELIMIT_*, the
  X-RateLimit-*/Retry-After headers, RateLimitExceeded, swallowing storage errors.
* limits' in-memory storage, which expires entries from a threading.Timer that it restarts on
  the first hit after each 10 ms pause: a lightly loaded one-worker site starts a new thread for
  nearly every request, and the server thread then waits for the GIL behind it. Expiring inline,
  at most every few seconds, gives the same limits (a moving window never depends on expiry to
  count correctly; expiry only frees memory). `init_limiter` registers it under its own scheme,
  "gapfind-memory", and gives it to GapFind's limiter when RATELIMIT_STORAGE_URI says
  "memory://"; limits' own "memory://" stays limits' MemoryStorage for anyone else in the
  process (a stock Limiter, the differential test).

Both replacements read private parts of Flask-Limiter and limits (listed in PRIVATE_PARTS), so
`check_library_versions` stops the app at start-up when other versions than the ones this was
written for are installed, and tests/web/test_limiter_differential.py sends the same requests
through a stock `flask_limiter.Limiter` and compares keys, statuses and headers.

A storage that fails (Redis down) is one outage, not one traceback per request:
`StorageOutage` logs when it starts and when it ends, with the count of requests served
without limits (RATELIMIT_FAIL_OPEN) or refused with 503 meanwhile.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple, TypeVar

import flask_limiter
import limits
from flask import Flask, Response, request
from flask_limiter import HeaderNames, Limiter, RateLimitExceeded
from flask_limiter._limits import RuntimeLimit
from limits import RateLimitItem, parse_many
from limits._storage_scheme import SCHEMES
from limits.errors import StorageError
from limits.storage import MemoryStorage
from werkzeug.http import http_date

from gapfind.web.client_address import rate_limit_key

View = TypeVar("View", bound=Callable[..., Any])

log = logging.getLogger("gapfind.ratelimit")

# Each sweep copies every key's list of hits: every 5 s rather than every second keeps it off
# the profile, and expired hits never count (a moving window only looks inside the window).
EXPIRY_INTERVAL_S = 5.0
WRITES_SCOPE = "writes"
MEMORY_SCHEME = "gapfind-memory"
_MARK = "gapfind_rate_limit"

# The versions whose private parts this module reads (pinned in requirements.txt). Another
# version may rename or reshape any of them without notice, so the app refuses to start on
# one until this file has been checked against it.
WRITTEN_FOR = {"Flask-Limiter": "4.1.1", "limits": "5.8.0"}
PRIVATE_PARTS = (
    "flask_limiter._limits.RuntimeLimit",
    "Limiter._check_request_limit (overridden: Flask-Limiter registers it as before_request)",
    "Limiter's after_request/teardown hooks (bound to the Limiter, replaced in init_app)",
    "Limiter._key_func, _request_filters, _key_prefix, _swallow_errors, _header_mapping,"
    " _retry_after, _headers_enabled, limiter",
    "MemoryStorage._MemoryStorage__schedule_expiry, _MemoryStorage__expire_events, timer",
    "limits._storage_scheme.SCHEMES (the storage registry)",
)


def installed_versions() -> dict[str, str]:
    """The installed versions, from the packages themselves (no metadata scan at start-up)."""
    return {"Flask-Limiter": flask_limiter.__version__, "limits": limits.__version__}


def check_library_versions() -> None:
    """Stop at start-up if Flask-Limiter or limits is not the version this module was written
    for: it reads their private parts, which a new version may change silently."""
    installed = installed_versions()
    if installed == WRITTEN_FOR:
        return
    found = ", ".join(f"{name} {version}" for name, version in installed.items())
    expected = ", ".join(f"{name} {version}" for name, version in WRITTEN_FOR.items())
    parts = "; ".join(PRIVATE_PARTS)
    raise RuntimeError(
        f"gapfind/ratelimit.py was written for {expected} but {found} is installed. It reads"
        f" private parts of these libraries ({parts}): revisit gapfind/ratelimit.py against the"
        " installed versions, run tests/web/test_limiter_differential.py and"
        " tests/web/test_rate_limits.py, then update WRITTEN_FOR (or pin the versions above"
        " in requirements.txt again)."
    )


class StorageOutage:
    """The limiter's storage being unreachable, logged once when it starts and once when it
    ends instead of once per request.

    Flask-Limiter logs every request that meets a dead Redis with a chained traceback (three
    per request). Here the first failure logs one warning and the first success after it one
    line with the outage's duration and the number of requests it touched: served without
    limits when failing open, refused with 503 when failing closed. Requests on several threads
    (gunicorn gthread) meet the same outage: the lock makes exactly one of them log its start
    and one its end, in that order, and counts every request in between.
    """

    def __init__(self) -> None:
        self.fail_open = True
        self.active = False  # read without the lock by every request: one attribute load
        self._lock = threading.Lock()
        self._started = 0.0
        self._requests = 0

    def failed(self, error: Exception, *, request_touched: bool = True) -> None:
        """The storage failed; `request_touched` is False when the request was limited anyway
        (the failure came after its check, while reading the headers)."""
        with self._lock:
            if not self.active:
                self.active = True
                self._started = time.monotonic()
                self._requests = 0
                self._log_start(error)
            if request_touched:
                self._requests += 1

    def recovered(self) -> None:
        """The storage answered; ends the outage if there was one."""
        with self._lock:
            if not self.active:
                return
            self.active = False
            duration = time.monotonic() - self._started
            what = "served without rate limits" if self.fail_open else "refused with 503"
            log.info(
                "rate-limit storage outage ended after %.1f s; requests %s during it: %d",
                duration,
                what,
                self._requests,
            )

    def _log_start(self, error: Exception) -> None:
        cause = error.storage_error if isinstance(error, StorageError) else error
        what = (
            "serving requests without rate limits (RATELIMIT_FAIL_OPEN=true)"
            if self.fail_open
            else "refusing rate-limited requests with 503 (RATELIMIT_FAIL_OPEN=false)"
        )
        # A storage error is the expected kind: one line. Anything else is a bug in the
        # limiting itself, whose traceback is needed (once).
        log.warning(
            "rate-limit storage outage started (%s: %s): %s until it answers again",
            cause.__class__.__name__,
            " ".join(str(cause).split()),  # one line, whatever the driver's message holds
            what,
            exc_info=None if isinstance(error, StorageError) else error,
        )


class EndpointLimit(NamedTuple):
    """One limit of an endpoint with its bucket: the endpoint's own, or a shared scope."""

    rule: RuntimeLimit
    scope: str


class Spent(NamedTuple):
    """The limit a response's headers describe, kept from before_request to after_request."""

    limit: RateLimitItem
    args: list[str]


_SPENT = "gapfind.rate_limit"  # request.environ key


class GapFindLimiter(Limiter):
    """Flask-Limiter with each endpoint's limits resolved once, when the app is built.

    Flask-Limiter's own request hooks are swapped for three small ones here (see the module
    docstring); its configuration, storage, strategy, exception and header names are used
    as they are.
    """

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.endpoint_limits: dict[str, list[EndpointLimit]] = {}
        self.outage = StorageOutage()

    def init_app(self, app: Flask) -> None:
        super().init_app(app)
        if not self.enabled:
            return  # Flask-Limiter registered nothing
        self.outage.fail_open = bool(self._swallow_errors)
        # Flask-Limiter's before_request is `self._check_request_limit`, overridden below. Its
        # after_request and teardown hooks keep per-request state for the generic resolution;
        # ours keeps one small tuple in the WSGI environ instead, so theirs are replaced in place
        # (same position, same order relative to the other hooks).
        after = app.after_request_funcs.setdefault(None, [])
        after[:] = [self._add_headers if self._owns(hook) else hook for hook in after]
        teardown = app.teardown_request_funcs.setdefault(None, [])
        teardown[:] = [hook for hook in teardown if not self._owns(hook)]

    def _owns(self, hook: Callable[..., Any]) -> bool:
        """Whether `hook` is one of the after_request/teardown hooks Flask-Limiter bound."""
        bound_to = getattr(hook, "__self__", None)
        if isinstance(hook, partial):
            bound_to = hook.args[0] if hook.args else None
        return bound_to is self

    def plan(self, app: Flask, default: str, writes: str) -> None:
        """Resolve every endpoint's limits from its marker (see `write_limited`, `exempt`)."""
        defaults = _limits_setting("RATELIMIT_DEFAULT", default)
        shared = _limits_setting("RATELIMIT_WRITES", writes)
        for endpoint, view in app.view_functions.items():
            mark = getattr(view, _MARK, None)
            if mark == "exempt" or endpoint == "static":
                continue
            limits = [self._rule(item, endpoint, shared=False) for item in defaults]
            if mark == WRITES_SCOPE:
                limits += [self._rule(item, WRITES_SCOPE, shared=True) for item in shared]
            # Flask-Limiter's order: the shortest window first; the first breach stops.
            self.endpoint_limits[endpoint] = sorted(limits, key=lambda limit: limit.rule.limit)

    def _rule(self, item: RateLimitItem, scope: str, *, shared: bool) -> EndpointLimit:
        rule = RuntimeLimit(item, self._key_func, WRITES_SCOPE if shared else None, shared=shared)
        return EndpointLimit(rule, scope)

    def _check_request_limit(
        self, callable_name: str | None = None, in_middleware: bool = True
    ) -> None:
        """before_request: spend one hit of each of the endpoint's limits, in its bucket.

        The headers then describe the endpoint's own limit, or on a refusal the breached one.
        """
        limits = self.endpoint_limits.get(request.endpoint or "")
        if not limits or any(is_exempt() for is_exempt in self._request_filters):
            return
        key = self._key_func()
        environ = request.environ
        described: EndpointLimit | None = None
        breached: EndpointLimit | None = None
        try:
            for limit in limits:
                item = limit.rule.limit
                args = [key, limit.scope]
                if self._key_prefix:
                    args.insert(0, self._key_prefix)
                if not self.limiter.hit(item, *args):
                    environ[_SPENT] = Spent(item, args)
                    breached = limit
                    break
                if described is None or (described.rule.shared and not limit.rule.shared):
                    described = limit
                    environ[_SPENT] = Spent(item, args)
        except Exception as error:
            environ.pop(_SPENT, None)
            self.outage.failed(error)
            if not self._swallow_errors:
                raise  # errors.py answers 503; the outage is logged, not each request
            return
        if self.outage.active:
            self.outage.recovered()
        if breached is not None:
            self.logger.info(
                "ratelimit %s (%s) exceeded at endpoint: %s",
                breached.rule.limit,
                key,
                breached.scope,
            )
            raise RateLimitExceeded(breached.rule)

    def _add_headers(self, response: Response) -> Response:
        """after_request: X-RateLimit-Limit/-Remaining/-Reset and Retry-After, as Flask-Limiter
        writes them (an earlier Retry-After, e.g. a 503's, is kept if it is later).

        The limit was enforced before the view ran; if the storage fails now, the answer goes
        out without these headers, whatever RATELIMIT_FAIL_OPEN says: failing it would turn a
        served request into a 500. The failure starts an outage (logged once) if none is on.
        """
        spent: Spent | None = request.environ.get(_SPENT)
        if spent is None or not self._headers_enabled:
            return response
        try:
            reset, remaining = self.limiter.get_window_stats(spent.limit, *spent.args)
        except Exception as error:
            self.outage.failed(error, request_touched=False)
            return response
        reset_at = int(reset + 1)
        names = self._header_mapping
        headers = response.headers
        headers.add(names[HeaderNames.LIMIT], str(spent.limit.amount))
        headers.add(names[HeaderNames.REMAINING], str(remaining))
        headers.add(names[HeaderNames.RESET], str(reset_at))
        # Only error answers (a 503) set their own Retry-After before this hook.
        earlier = headers.get("Retry-After") if response.status_code >= 400 else None
        if earlier is not None and earlier.isdigit():
            reset_at = max(reset_at, int(time.time()) + int(earlier))
        retry_after = (
            http_date(reset_at)
            if self._retry_after == "http-date"
            else str(int(reset_at - time.time()))
        )
        headers.set(names[HeaderNames.RETRY_AFTER], retry_after)
        return response


def _limits_setting(name: str, value: str) -> list[RateLimitItem]:
    """The limits a setting names ("20 per minute", "5/minute;100/hour"); an empty one means
    none. A typo stops the app at start-up rather than leaving an endpoint unlimited."""
    if not value.strip():
        return []
    try:
        return parse_many(value)
    except ValueError as error:
        raise ValueError(f"{name}={value!r} is not a rate limit like '20 per minute'") from error


class InlineExpiryMemoryStorage(MemoryStorage):
    """In-memory storage that sweeps expired entries inline instead of from a Timer thread."""

    # No STORAGE_SCHEME in this body: limits' storage registry (the StorageRegistry metaclass
    # in limits/_storage_scheme.py) registers a class under every scheme its own body names,
    # the moment the class is defined (the inherited value is not looked at). Naming "memory"
    # here took limits' memory:// over for the whole process on import;
    # `register_memory_storage` registers it under its own scheme when an app is built.

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: Any):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.timer.cancel()
        self._next_sweep = 0.0

    # Overrides the parent's name-mangled private hook (limits is pinned in requirements.txt
    # and checked by `check_library_versions`; tests/web/test_rate_limits.py proves no thread
    # is started per request).
    def _MemoryStorage__schedule_expiry(self) -> None:
        now = time.monotonic()
        if now >= self._next_sweep:
            self._next_sweep = now + EXPIRY_INTERVAL_S
            self._MemoryStorage__expire_events()  # type: ignore[attr-defined]


def register_memory_storage() -> None:
    """Make "gapfind-memory://" name `InlineExpiryMemoryStorage`, as limits' registry does for
    a class that names its scheme (idempotent; "memory://" stays limits' MemoryStorage)."""
    SCHEMES.setdefault(MEMORY_SCHEME, InlineExpiryMemoryStorage)


def gapfind_storage_uri(storage_uri: str) -> str:
    """The URI GapFind's limiter opens: its own memory storage for "memory://", any other
    storage (Redis...) as configured."""
    scheme, separator, rest = storage_uri.partition("://")
    if separator and scheme == "memory":
        return f"{MEMORY_SCHEME}://{rest}"
    return storage_uri


def write_limited(view: View) -> View:
    """Mark a registration write: it also spends the client's shared RATELIMIT_WRITES bucket."""
    setattr(view, _MARK, WRITES_SCOPE)
    return view


def exempt(view: View) -> View:
    """Mark a view that no limit applies to (health checks, documentation)."""
    setattr(view, _MARK, "exempt")
    return view


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


def init_limiter(app: Flask) -> GapFindLimiter:
    """Bind a new limiter to `app` and resolve the views' markers (call after the blueprints)."""
    check_library_versions()
    register_memory_storage()
    storage_uri = app.config["RATELIMIT_STORAGE_URI"]
    app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", storage_options(storage_uri))
    app.config["RATELIMIT_SWALLOW_ERRORS"] = app.config["RATELIMIT_FAIL_OPEN"]
    limiter = GapFindLimiter(key_func=rate_limit_key, storage_uri=gapfind_storage_uri(storage_uri))
    limiter.init_app(app)
    limiter.request_filter(_is_preflight)
    limiter.plan(app, app.config["RATELIMIT_DEFAULT"], app.config["RATELIMIT_WRITES"])
    app.extensions["gapfind.limiter"] = limiter
    return limiter
