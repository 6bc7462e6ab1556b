"""Logs (issue 3, items 5 and 6): one access line per request with method, path, status,
duration in ms, client IP and request id; errors logged with the request id the client got in
X-Request-ID; edit tokens never logged."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from gapfind import create_app
from gapfind.extensions import db
from gapfind.web.log_setup import SecondCachedFormatter
from tests.support.students import Students
from tests.web import unreachable_database_url

ACCESS_LINE = re.compile(
    r"(?P<method>[A-Z]+) (?P<path>\S+) (?P<status>\d{3}) (?P<ms>\d+\.\d)ms "
    r"ip=(?P<ip>\S+) id=(?P<id>\S+)"
)


def access_lines(caplog: pytest.LogCaptureFixture) -> list[re.Match[str]]:
    lines = []
    for record in caplog.records:
        if record.name == "gapfind.access":
            match = ACCESS_LINE.fullmatch(record.getMessage())
            assert match, record.getMessage()
            lines.append(match)
    return lines


def test_one_access_line_per_request(
    app_factory: Callable[..., Flask], caplog: pytest.LogCaptureFixture
) -> None:
    app = app_factory(LOG_LEVEL="INFO")
    caplog.set_level(logging.INFO, logger="gapfind")
    client = app.test_client()
    client.get("/health", environ_base={"REMOTE_ADDR": "192.0.2.44"})
    missing = client.get(
        "/users/nadie?utm=x",
        headers={"X-Request-ID": "report-12345"},
        environ_base={"REMOTE_ADDR": "192.0.2.44"},
    )
    client.post("/manual", json={"username": "ana", "list_of_indices": [[0, 0]]})

    lines = access_lines(caplog)
    assert [(m["method"], m["path"], m["status"]) for m in lines] == [
        ("GET", "/health", "200"),
        ("GET", "/users/nadie", "404"),
        ("POST", "/manual", "201"),
    ]
    line = lines[1]
    assert line["ip"] == "192.0.2.44"
    assert line["id"] == "report-12345" == missing.headers["X-Request-ID"]
    assert float(line["ms"]) >= 0
    assert lines[2]["ip"] == "127.0.0.1"  # the test client's default socket address


def test_errors_are_logged_with_the_request_id_of_the_response(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app({"DATABASE_URL": unreachable_database_url("sqlite", tmp_path)})
    caplog.set_level(logging.INFO, logger="gapfind")
    response = app.test_client().get("/users/ana")
    assert response.status_code == 503
    request_id = response.headers["X-Request-ID"]
    errors = [
        r for r in caplog.records if r.levelno >= logging.ERROR and r.name == "gapfind.errors"
    ]
    assert errors, "the 503 must leave an error line"
    assert any(request_id in record.getMessage() for record in errors)
    access = access_lines(caplog)
    assert [(m["path"], m["status"], m["id"]) for m in access] == [
        ("/users/ana", "503", request_id)
    ]


def test_edit_tokens_never_reach_the_logs(
    app_factory: Callable[..., Flask],
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
    students: Students,
) -> None:
    app = app_factory(LOG_LEVEL="DEBUG")
    caplog.set_level(logging.DEBUG)  # every logger, not only gapfind's
    caplog.set_level(logging.DEBUG, logger="gapfind")
    client = app.test_client()
    token = students.register("ana")["edit_token"]
    auth = {"Authorization": f"Bearer {token}"}
    # Tokens wherever a careless log line could pick them up: header, query string, body.
    client.put(f"/users/ana?token={token}", json={"list_of_indices": [[1, 1]]}, headers=auth)
    client.put("/users/ana", json={"list_of_indices": [[1, 1]], "edit_token": token})
    client.get("/users/ana", headers=auth)
    client.delete("/users/bob", headers=auth)
    client.delete("/users/ana", headers={"Authorization": f"Bearer {token}x"})
    client.post("/results", data=token, content_type="application/json", headers=auth)
    client.delete("/users/ana", headers=auth)

    # And while the database is down, when the error handlers log.
    down = create_app({"DATABASE_URL": unreachable_database_url("sqlite", tmp_path)})
    caplog.set_level(logging.DEBUG, logger="gapfind")  # create_app set the configured level
    down_client = down.test_client()
    assert (
        down_client.put("/users/ana", json={"list_of_indices": [[0, 0]]}, headers=auth).status_code
        == 503
    )
    assert down_client.get(f"/health?token={token}", headers=auth).status_code == 503
    with down.app_context():
        db.engine.dispose()

    assert len(access_lines(caplog)) == 10  # every request above was logged
    for record in caplog.records:
        assert token not in record.getMessage(), record.getMessage()
        assert token not in (record.exc_text or "")
    assert token not in caplog.text


@pytest.mark.parametrize(
    "instants",
    [
        [1764325905.689, 1764325905.001, 1764325906.999, 1764325906.0, 1764325905.5],
        [0.25, 0.75, 59.999, 60.0, 3600.5],
    ],
)
def test_the_cached_timestamp_formats_like_logging(instants: list[float]) -> None:
    """The access log's formatter caches the date-time text per second; each line must still
    read exactly as logging.Formatter writes it, across second boundaries and back."""
    plain = logging.Formatter("%(asctime)s %(levelname)s %(message)s")
    cached = SecondCachedFormatter("%(asctime)s %(levelname)s %(message)s")
    for instant in instants:
        record = logging.LogRecord("gapfind.access", logging.INFO, "", 0, "GET /", (), None)
        record.created = instant
        record.msecs = (instant - int(instant)) * 1000
        assert cached.format(record) == plain.format(record)


# --------------------------------------------------------------------------- log injection


@pytest.mark.parametrize(
    "text, logged",
    [
        ("/users/ana", "/users/ana"),
        ("/users/josé", "/users/josé"),  # printable text beyond ASCII stays readable
        (
            "/a\r\n2026-12-01 INFO gapfind.access GET / 200",
            "/a\\x0d\\x0a2026-12-01 INFO gapfind.access GET / 200",
        ),
        ("/\x1b[2J\x1b[31mred", "/\\x1b[2J\\x1b[31mred"),  # terminal escapes
        ("/\u2028x\u2029\x85", "/\\u2028x\\u2029\\x85"),  # Unicode line breaks, C1 NEL
        ("/back\\x0aslash", "/back\\\\x0aslash"),  # a literal backslash cannot fake an escape
        ("/\x00\x7f", "/\\x00\\x7f"),
    ],
)
def test_log_safe_escapes_what_could_forge_a_line(text: str, logged: str) -> None:
    from gapfind.web.envelope import log_safe

    assert log_safe(text) == logged
    assert log_safe(text).isprintable()


@pytest.mark.parametrize(
    "path",
    [
        "/users/a%0d%0a2026-12-01%2010:00:00,000%20INFO%20gapfind.access%20GET%20/admin%20200",
        "/users/%1b%5b2J%1b%5b31m",
        "/users/%e2%80%a8forged",
    ],
)
def test_no_request_can_write_a_forged_or_raw_line(
    app_factory: Callable[..., Flask], caplog: pytest.LogCaptureFixture, path: str
) -> None:
    app = app_factory(LOG_LEVEL="INFO")
    caplog.set_level(logging.INFO, logger="gapfind")
    client = app.test_client()
    client.get(path)
    client.get("/health", environ_base={"REQUEST_METHOD": "GET", "REMOTE_ADDR": "192.0.2.1\r\nx"})
    messages = [r.getMessage() for r in caplog.records if r.name == "gapfind.access"]
    assert len(messages) == 2
    for message in messages:
        assert message.isprintable(), repr(message)
        assert "\x1b" not in message and "\n" not in message and "\u2028" not in message
