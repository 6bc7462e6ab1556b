"""Requests that carry secrets where a server might log them, and the check of the log after.

The README promises one access line per request (GapFind's own, gapfind/middleware.py) and that
query strings and credentials are never logged. A WSGI server's own access log breaks both:
gunicorn's default format writes the request line with its query string and the user part of
Basic credentials.
"""

from __future__ import annotations

import base64
import json
import re

from tests.serving.slowclients import Exchange, request

SECRET = "SeCrEtQueryToken7"
BASIC_USER = "qzxoddvuser"  # an unusual user part: it can only be in a log by leaking there
BASIC_PASSWORD = "hunter2-Pw"
BASIC = base64.b64encode(f"{BASIC_USER}:{BASIC_PASSWORD}".encode()).decode()
ACCESS = " gapfind.access "
HANG = 20.0  # a hang detector, never a performance threshold
OTHER = "other lines naming the student"


def send_secret_requests(port: int, name: str) -> tuple[list[Exchange], list[str]]:
    """Register `name` and read and edit it, every request with a token in its query string
    and credentials in Authorization. Returns the exchanges and every secret sent."""
    basic = {"Authorization": f"Basic {BASIC}"}
    made = request(
        port,
        "POST",
        f"/manual?token={SECRET}",
        {"username": name, "list_of_indices": [[0, 0]]},
        headers=basic,
        timeout=HANG,
    )
    assert made.status == 201, made
    edit_token = json.loads(made.body)["edit_token"]
    exchanges = [
        made,
        request(port, "GET", f"/users/{name}?token={SECRET}", headers=basic, timeout=HANG),
        request(
            port,
            "PUT",
            f"/users/{name}?access_token={SECRET}&x=1",
            {"list_of_indices": [[1, 1]]},
            headers={"Authorization": f"Bearer {edit_token}"},
            timeout=HANG,
        ),
        request(port, "GET", f"/users/{name}?{SECRET}", headers=basic, timeout=HANG),
    ]
    assert [e.status for e in exchanges] == [201, 200, 200, 200], exchanges
    return exchanges, [SECRET, BASIC_USER, BASIC_PASSWORD, BASIC, edit_token]


def request_lines(log: str, name: str) -> dict[str, list[str]]:
    """The log lines about the requests of `send_secret_requests`, keyed by request; any other
    line that names the student (another logger's line about the same request) is counted too."""
    keys = {
        "POST /manual": re.compile(r"\bPOST /manual\b"),
        f"GET /users/{name}": re.compile(rf"\bGET /users/{name}\b"),
        f"PUT /users/{name}": re.compile(rf"\bPUT /users/{name}\b"),
    }
    found: dict[str, list[str]] = {key: [] for key in [*keys, OTHER]}
    for line in log.splitlines():
        matched = [key for key, pattern in keys.items() if pattern.search(line)]
        for key in matched:
            found[key].append(line)
        if not matched and name in line:
            found[OTHER].append(line)
    return found


def assert_one_line_per_request_and_no_secret(log: str, name: str, secrets: list[str]) -> None:
    lines = request_lines(log, name)
    counts = {key: len(value) for key, value in lines.items()}
    expected = {
        "POST /manual": 1,
        f"GET /users/{name}": 2,
        f"PUT /users/{name}": 1,
        OTHER: 0,
    }
    assert counts == expected, "\n".join(line for found in lines.values() for line in found)
    for key in ("POST /manual", f"GET /users/{name}", f"PUT /users/{name}"):
        for line in lines[key]:
            assert ACCESS in line, f"not GapFind's access line: {line!r}"
    leaked = [secret for secret in secrets if secret in log]
    assert not leaked, f"secrets in the server log: {leaked}\n{log}"
