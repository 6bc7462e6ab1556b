"""Differential: every endpoint of the contract through HTTP API v2 events into the Lambda handler
gives what the same request gives through the WSGI test client: status, every header (content
type, CORS, rate-limit headers, request id, security headers), cookies (none) and body.

Each case runs on two apps built alike, each on its own copy of one seeded SQLite file and with
its own in-memory rate limiter, so that both answer from the same state: one through the Flask
test client, one through `make_handler` (what lambda_handler.handler is). Adding a case is one
line in CASES; `test_every_route_has_a_case` fails for a route of app.url_map that has none.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from flask import Flask
from werkzeug.exceptions import HTTPException
from werkzeug.test import TestResponse

from config import Config
from gapfind import create_app
from gapfind.aws_lambda import make_handler
from gapfind.extensions import db
from tests.ics_fixtures import GOOGLE
from tests.lambda_.events import HOST, SOURCE_IP, answer_body, client_headers, http_api_event

ORIGIN = "https://gfind.pages.dev"
REQUEST_ID = "lambda-differential-0001"
SETTINGS: dict[str, Any] = {
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_DEFAULT": "100 per hour",
    "RATELIMIT_WRITES": "50 per hour",
    "RATELIMIT_STORAGE_URI": "memory://",
    "CORS_ORIGINS": [ORIGIN],
}
# Seconds-based: the two requests of a case may straddle a second.
CLOCK_HEADERS = {"x-ratelimit-reset", "retry-after"}
STUDENTS = {"ana": [[0, 0], [1, 1], [2, 4]], "bob": [[0, 0], [3, 2]], "cy": [[5, 5]]}
TOO_BIG = Config.MAX_CONTENT_LENGTH + 1
_NO_JSON = object()


@dataclass(frozen=True)
class Case:
    """One request; `path` as on the wire (percent-encoding and query string kept).

    auth="ana" sends ana's edit token (any other value is sent as the token); origin=True sends
    the allowed Origin; base64 None lets the event encode the body as the HTTP API does for its
    type; volatile names body fields that differ between two apps by design (a new token), or
    for a calendar file the properties that do (DTSTAMP, the moment it was written).
    """

    method: str
    path: str
    status: int
    json: Any = _NO_JSON
    body: bytes = b""
    content_type: str | None = None
    auth: str | None = None
    origin: bool = False
    headers: tuple[tuple[str, str], ...] = ()
    base64: bool | None = None
    volatile: tuple[str, ...] = ()
    note: str = field(default="", compare=False)

    @property
    def id(self) -> str:
        return f"{self.method} {self.path[:60]} {self.status} {self.note}".strip()

    def request(self, token: str) -> tuple[list[tuple[str, str]], bytes]:
        """The client's headers and body."""
        body = self.body
        content_type = self.content_type
        if self.json is not _NO_JSON:
            body, content_type = json.dumps(self.json).encode(), "application/json"
        headers = [("X-Request-ID", REQUEST_ID), *self.headers]
        if content_type:
            headers.append(("Content-Type", content_type))
        if self.auth:
            headers.append(
                ("Authorization", f"Bearer {token if self.auth == 'ana' else self.auth}")
            )
        if self.origin:
            headers.append(("Origin", ORIGIN))
        return headers, body


def multipart(
    fields: dict[str, str] | None = None,
    files: dict[str, bytes] | None = None,
    boundary: str = "----GapFindBoundary7MA4YWxkTrZu0gW",
) -> dict[str, Any]:
    """Case(...) keyword arguments for a multipart/form-data body (files named <field>.txt)."""
    parts = []
    for name, value in (fields or {}).items():
        head = f'Content-Disposition: form-data; name="{name}"'
        parts.append(f"--{boundary}\r\n{head}\r\n\r\n".encode() + value.encode() + b"\r\n")
    for name, content in (files or {}).items():
        head = f'Content-Disposition: form-data; name="{name}"; filename="{name}.txt"'
        kind = "Content-Type: text/plain"
        parts.append(f"--{boundary}\r\n{head}\r\n{kind}\r\n\r\n".encode() + content + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    # A boundary with a character that is not a token's (RFC 2045 tspecials: a comma) is quoted.
    quoted = boundary if boundary.replace("-", "").isalnum() else f'"{boundary}"'
    return {"body": body, "content_type": f"multipart/form-data; boundary={quoted}"}


NAMES_FILE = {"usernames_file": b"ana\nbob\ncy\nnadie\n"}
REGISTER = {"username": "dan", "list_of_indices": [[0, 1], [1, 1]]}
TAKEN = {"username": "ana", "list_of_indices": [[0, 0]]}
NEW_TOKEN = ("edit_token",)
JSON = "application/json"
PAIR = {"usernames": ["ana", "bob"]}
MOVE = {"list_of_indices": [[4, 4]]}
CALENDAR = {"calendar": GOOGLE.encode()}
MEETING = "/calendar.ics?day_index=0&start_hour_index=2&duration=2&title=A%2C%20b&from=2026-03-02"
PREFLIGHT = (
    ("Access-Control-Request-Method", "POST"),
    ("Access-Control-Request-Headers", "content-type,x-request-id"),
)

CASES = [
    Case("GET", "/health", 200),
    Case("GET", "/openapi.json", 200),
    Case("GET", "/docs", 200),
    Case("GET", "/static/missing.css", 404),
    Case("GET", "/users/ana", 200),
    Case("HEAD", "/users/ana", 200),
    Case("GET", "/users/%61na", 200, note="percent-encoded path"),
    Case("GET", "/users/%C3%B1and%C3%BA", 404, note="percent-encoded UTF-8"),
    Case("GET", "/users/ana?fields=all&q=a%20b&q=c,d", 200, note="query string"),
    Case("GET", "/users/ana", 200, origin=True, note="cross-origin"),
    Case("POST", "/manual", 201, json=REGISTER, base64=False, volatile=NEW_TOKEN, note="text"),
    Case("POST", "/manual", 201, json=REGISTER, base64=True, volatile=NEW_TOKEN, note="base64"),
    Case("POST", "/manual", 400, json=TAKEN, note="taken"),
    Case("POST", "/manual", 400, body=b"{not json", content_type=JSON, note="bad JSON"),
    Case("POST", "/manual", 400, body=b"username=dan", content_type="text/plain"),
    Case("POST", "/manual", 413, body=b"x" * TOO_BIG, content_type=JSON),
    Case("PUT", "/users/ana", 200, json=MOVE, auth="ana"),
    Case("PUT", "/users/ana", 401, json=MOVE),
    Case("PUT", "/users/ana", 403, json=MOVE, auth="not-her-token"),
    Case("DELETE", "/users/ana", 204, auth="ana"),
    Case("DELETE", "/users/nadie", 404, auth="ana"),
    Case("POST", "/results", 200, json=PAIR, base64=False, note="text"),
    Case("POST", "/results", 200, json={**PAIR, "compute_sd": True}, base64=True, note="base64"),
    Case("POST", "/results", 400, json={"usernames": ["ana", "nadie"]}),
    Case("POST", "/results", 200, json=PAIR, origin=True, note="cross-origin"),
    Case("POST", "/analyze", 200, json={"usernames": ["ana", "bob", "cy", "nadie"]}, note="JSON"),
    Case("POST", "/analyze", 200, **multipart(files=NAMES_FILE), note="multipart, base64"),
    Case("POST", "/analyze", 200, **multipart({"usernames": "ana,bob"}, NAMES_FILE, "gap,find-1"),
         note="comma in the boundary"),
    Case("POST", "/analyze", 200, body=b"usernames=ana&usernames=bob",
         content_type="application/x-www-form-urlencoded", note="urlencoded"),
    Case("POST", "/analyze", 400, **multipart(files={"usernames_file": b"\xff\xfe\x00"}),
         note="binary file"),
    Case("POST", "/blocks", 200, json={**PAIR, "duration": 2, "quorum": 2}, base64=True),
    Case("POST", "/blocks", 400, json={**PAIR, "duration": 15}),
    Case("GET", MEETING, 200, volatile=("DTSTAMP",), note="calendar file"),
    Case("GET", "/calendar.ics?day_index=9", 400),
    Case("POST", "/ics/preview", 200, **multipart(files=CALENDAR), note="calendar, base64"),
    Case("POST", "/ics/preview", 400, **multipart({"week_of": "2025-13-01"}, CALENDAR)),
    Case("POST", "/register/ics", 201, **multipart({"username": "eva"}, CALENDAR),
         volatile=NEW_TOKEN),
    Case("POST", "/register/ics", 400, **multipart({"username": "ana"}, CALENDAR), note="taken"),
    Case("PUT", "/users/ana", 200, **multipart(files=CALENDAR), auth="ana", note="calendar"),
    Case("OPTIONS", "/manual", 200, origin=True, headers=PREFLIGHT, note="preflight"),
    Case("GET", "/nowhere", 404),
    Case("PUT", "/manual", 405),
    Case("PATCH", "/users/ana", 405),
]  # fmt: skip


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One SQLite file with ana, bob and cy registered through the API, and ana's edit token."""
    path = tmp_path_factory.mktemp("differential") / "seeded.sqlite"
    app = create_app({"DATABASE_URL": f"sqlite:///{path}"})
    with app.app_context():
        db.create_all()
    client = app.test_client()
    tokens = {}
    for name, pairs in STUDENTS.items():
        answer = client.post("/manual", json={"username": name, "list_of_indices": pairs})
        assert answer.status_code == 201, answer.get_json()
        tokens[name] = answer.get_json()["edit_token"]
    with app.app_context():
        db.engine.dispose()
    return path, tokens["ana"]


@pytest.fixture
def twin_apps(seeded: tuple[Path, str], tmp_path: Path) -> Iterator[Callable[[], Flask]]:
    """Build apps alike, each on its own copy of the seeded file."""
    built: list[Flask] = []

    def build() -> Flask:
        copy = tmp_path / f"copy-{len(built)}.sqlite"
        shutil.copyfile(seeded[0], copy)
        app = create_app({**SETTINGS, "DATABASE_URL": f"sqlite:///{copy}"})
        built.append(app)
        return app

    yield build
    for app in built:
        with app.app_context():
            db.engine.dispose()


def through_wsgi(app: Flask, method: str, path: str, headers: list, body: bytes) -> TestResponse:
    """The request as a WSGI server behind the HTTP API gets it (same headers, same peer)."""
    sent = [(k, v) for k, v in client_headers(headers, SOURCE_IP, len(body)) if k != "Host"]
    return app.test_client().open(
        path,
        method=method,
        headers=[(k, v) for k, v in sent if k != "Content-Length"],
        data=body,
        base_url=f"https://{HOST}",
        environ_base={"REMOTE_ADDR": SOURCE_IP},
    )


def folded(response: TestResponse) -> dict[str, str]:
    """The response's headers as one field per name (what an HTTP API answer carries)."""
    headers: dict[str, str] = {}
    for name, value in response.headers.items():
        key = name.lower()
        if key != "set-cookie":
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return headers


def assert_same_headers(lambda_headers: dict[str, str], wsgi_headers: dict[str, str]) -> None:
    assert sorted(lambda_headers) == sorted(wsgi_headers)
    for name, value in wsgi_headers.items():
        if name in CLOCK_HEADERS:
            assert abs(int(lambda_headers[name]) - int(value)) <= 1, name
        else:
            assert lambda_headers[name] == value, name


def assert_same_body(case: Case, lambda_body: bytes, wsgi_body: bytes) -> None:
    if not case.volatile:
        assert lambda_body == wsgi_body
        return
    if not lambda_body.startswith(b"{"):  # a calendar file: volatile names its properties

        def kept(body: bytes) -> list[bytes]:
            return [
                line
                for line in body.split(b"\r\n")
                if not line.startswith(tuple(name.encode() for name in case.volatile))
            ]

        assert kept(lambda_body) == kept(wsgi_body)
        assert len(kept(lambda_body)) < len(lambda_body.split(b"\r\n"))
        return
    from_lambda, from_wsgi = json.loads(lambda_body), json.loads(wsgi_body)
    for name in case.volatile:
        assert type(from_lambda.pop(name)) is type(from_wsgi.pop(name)), name
    assert from_lambda == from_wsgi


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_the_handler_answers_as_the_wsgi_app(
    case: Case, twin_apps: Callable[[], Flask], seeded: tuple[Path, str]
) -> None:
    headers, body = case.request(token=seeded[1])
    wsgi = through_wsgi(twin_apps(), case.method, case.path, headers, body)
    event = http_api_event(case.method, case.path, headers, body, base64_body=case.base64)
    answer = make_handler(twin_apps())(event, None)

    assert wsgi.status_code == case.status, wsgi.get_data(as_text=True)[:300]
    assert answer["statusCode"] == wsgi.status_code
    assert_same_headers(answer["headers"], folded(wsgi))
    assert answer["cookies"] == wsgi.headers.getlist("Set-Cookie") == []
    assert_same_body(case, answer_body(answer), wsgi.get_data())
    # Text answers go back as text, the HTTP API passing them through; others base64-encoded.
    text = (wsgi.content_type or "").startswith(("text/", "application/json"))
    assert answer["isBase64Encoded"] is not text


def test_the_compared_headers_are_there(
    twin_apps: Callable[[], Flask], seeded: tuple[Path, str]
) -> None:
    """The settings of the table turn on what it compares: a differential of two answers that
    both lack the CORS or rate-limit headers would prove nothing about them."""
    case = Case("GET", "/users/ana", 200, origin=True)
    headers, body = case.request(token=seeded[1])
    answer = make_handler(twin_apps())(http_api_event("GET", case.path, headers, body), None)
    got = answer["headers"]
    assert got["content-type"] == "application/json"
    assert got["access-control-allow-origin"] == ORIGIN
    assert "X-RateLimit-Remaining" in got["access-control-expose-headers"]
    assert (got["x-ratelimit-limit"], got["x-ratelimit-remaining"]) == ("100", "99")
    assert got["x-request-id"] == REQUEST_ID
    assert got["strict-transport-security"].startswith("max-age=")  # X-Forwarded-Proto: https


def test_a_binary_answer_goes_back_base64_encoded() -> None:
    """binary_support: an answer whose type is not text round-trips byte for byte (GapFind has
    none yet; a calendar or an export may)."""
    app = Flask(__name__)
    payload = bytes(range(256))
    app.add_url_rule("/blob", "blob", lambda: (payload, 200, {"Content-Type": "image/png"}))
    answer = make_handler(app)(http_api_event("GET", "/blob"), None)
    assert answer["isBase64Encoded"] is True
    assert answer_body(answer) == payload


def rule_of(app: Flask, case: Case) -> str | None:
    """The url_map rule the case's request reaches, if any."""
    adapter = app.url_map.bind(HOST)
    try:
        rule, _ = adapter.match(unquote(case.path.partition("?")[0]), case.method, return_rule=True)
    except HTTPException:
        return None
    return str(rule.rule)


def test_every_route_has_a_case(twin_apps: Callable[[], Flask]) -> None:
    """Endpoints are being added on other branches: each method of each rule needs a case."""
    app = twin_apps()
    covered = {(rule_of(app, case), case.method) for case in CASES}
    missing = [
        f"{method} {rule.rule}"
        for rule in app.url_map.iter_rules()
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        if (rule.rule, method) not in covered
    ]
    assert not missing, f"add a Case to CASES in {__name__} for: {', '.join(missing)}"
