"""A dependency-free WSGI app for testing the gunicorn helper.

- ``/pid``: the serving worker's pid (``?sleep=S`` holds the worker S seconds, at most 5),
- ``/env/NAME``: the value of environment variable NAME in the worker ("" when unset),
- anything else: 200 "ok".
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    path: str = environ.get("PATH_INFO", "") or "/"
    if path == "/pid":
        query = parse_qs(environ.get("QUERY_STRING", ""))
        delay = float(query.get("sleep", ["0"])[0])
        time.sleep(max(0.0, min(delay, 5.0)))
        body = str(os.getpid()).encode()
    elif path.startswith("/env/"):
        body = os.environ.get(path[len("/env/") :], "").encode()
    else:
        body = b"ok"
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
