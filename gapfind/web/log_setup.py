"""Where GapFind's log records go, and what they cost.

The host's error log is stderr; GapFind writes there unless logging is already set up (a test's
capture, an operator's dictConfig).
"""

from __future__ import annotations

import logging
import sys
import time

from flask import Flask

# Flask-Limiter reports a dead storage (fail-open) on its own logger, which has no handler.
LOGGERS = ("gapfind", "flask-limiter")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def configure_logging(app: Flask) -> None:
    """Send GapFind's and the limiter's logs to stderr unless logging is already set up."""
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
            handler.setFormatter(SecondCachedFormatter(LOG_FORMAT))
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
        return f"{text},{int(record.msecs):03d}"  # logging.Formatter.default_msec_format


def skip_unused_record_fields() -> None:
    """Stop the logging module from computing record fields our format never prints.

    The switches of the logging HOWTO's "Optimization" section: the caller's file and line (a
    stack walk per record), thread and multiprocessing names (the process id stays: gunicorn
    prints it). Only applied when GapFind sets up logging itself, not over an operator's own.
    """
    logging._srcfile = None
    logging.logThreads = False
    logging.logMultiprocessing = False
