"""`make run`: GapFind under waitress, one process, safe to face slow and idle clients.

waitress reads every request in full -- head and body -- on its event loop before one of its
threads runs the app, closes connections that stay silent for `--idle-timeout` seconds, and
holds at most `--connection-limit` of them. So a client that sends one byte and stops costs a
socket, never a thread; gunicorn's gthread worker, which `make run` used before, gives each
connection a thread from its first byte on, and four such clients stopped every request
(the measurements behind this choice: README "Serving: slow clients, limits, logs").

Settings that differ from waitress's defaults, and why:

* connection_limit 1000 (waitress: 100): hundreds of slow clients must not fill it; the open
  file limit is raised to fit it where the hard limit allows;
* asyncore_use_poll: select() cannot watch more than 1024 descriptors;
* channel_timeout 30 s (waitress: 120 s), checked every 10 s: an idle connection is given up
  sooner; a request being answered is never cut;
* max_request_header_size 64 KiB (waitress: 256 KiB): a thousand connections times the
  default would be 256 MB of buffered heads;
* max_request_body_size twice the app's MAX_CONTENT_LENGTH (waitress: 1 GB): bodies a little
  over the limit still reach the app, which answers its JSON 413; waitress answers larger ones
  itself (a plain-text 413) without buffering gigabytes to disk first.

waitress writes no access log: the one line per request is GapFind's (gapfind/middleware.py),
which never carries the query string or credentials.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
from collections.abc import Sequence
from typing import Any

DEFAULT_CONNECTION_LIMIT = 1000
DEFAULT_IDLE_TIMEOUT = 30
CLEANUP_INTERVAL = 10
MAX_HEADER_BYTES = 64 * 1024
#: Descriptors beside the client connections: stdio, the listening socket, waitress's wake-up
#: pipe, SQLite files and journals, a PostgreSQL or Redis connection per thread.
SPARE_FILES = 64
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class EscapingFormatter(logging.Formatter):
    """GapFind's log format, with control characters escaped.

    waitress names the request path in a few of its messages ("Client disconnected while
    serving /a%0Ab" arrives decoded), so a path could otherwise write a forged line or a
    terminal escape into the server's log."""

    def format(self, record: logging.LogRecord) -> str:
        return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", super().format(record))


def log_waitress_to_stderr() -> None:
    """waitress's own messages (where it listens, connection limit reached) on stderr in
    GapFind's format; waitress sets a level for its logger but attaches no handler."""
    logger = logging.getLogger("waitress")
    if logger.handlers or logging.getLogger().handlers:
        return  # an operator's logging configuration wins
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(EscapingFormatter(LOG_FORMAT))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def fit_open_files(connection_limit: int) -> int:
    """Raise the soft open-file limit to hold `connection_limit` connections where the hard
    limit allows, and return the connection limit that fits (lowered, with a warning, if
    the hard limit is too small)."""
    try:
        import resource
    except ImportError:  # not POSIX: nothing to raise
        return connection_limit
    wanted = connection_limit + SPARE_FILES
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    if soft != resource.RLIM_INFINITY and soft < wanted:
        fitted = max(1, soft - SPARE_FILES)
        logging.getLogger("waitress").warning(
            "open file limit %d holds %d connections, not %d", soft, fitted, connection_limit
        )
        return fitted
    return connection_limit


def waitress_settings(args: argparse.Namespace, max_content_length: int | None) -> dict[str, Any]:
    """The keyword arguments for waitress.serve (see the module docstring for each one)."""
    body_limit = 2 * max_content_length if max_content_length else 2 * 1024 * 1024
    return {
        "host": args.host,
        "port": args.port,
        "threads": args.threads,
        "connection_limit": fit_open_files(args.connection_limit),
        "asyncore_use_poll": True,
        "channel_timeout": args.idle_timeout,
        "cleanup_interval": min(CLEANUP_INTERVAL, args.idle_timeout),
        "max_request_header_size": MAX_HEADER_BYTES,
        "max_request_body_size": max(body_limit, 64 * 1024),
        "expose_tracebacks": False,
        # The app sends "Server: GapFind"; waitress then adds "Via: <ident>" (no version).
        "ident": "GapFind",
    }


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m deploy.serve", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--connection-limit", type=int, default=DEFAULT_CONNECTION_LIMIT)
    parser.add_argument("--idle-timeout", type=int, default=DEFAULT_IDLE_TIMEOUT)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    log_waitress_to_stderr()
    # create_server + run, which is waitress.serve without its logging.basicConfig(): that
    # would hang a second handler on the root logger and print every GapFind line twice
    # (tests/serving/test_server_log.py runs waitress-serve beside this to show it).
    from waitress.server import create_server

    from wsgi import application

    settings = waitress_settings(args, application.config["MAX_CONTENT_LENGTH"])
    server = create_server(application, **settings)
    server.print_listen("Serving on http://{}:{}")
    server.run()


if __name__ == "__main__":
    main()
