"""The fence around HttpApiCorrections (gapfind/aws_lambda.py): apig-wsgi alone beside apig-wsgi
with the corrections, on the same events, so that a release of apig-wsgi that changes either
behaviour shows here (and the correction can go)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from apig_wsgi import make_lambda_handler

from gapfind.aws_lambda import HttpApiCorrections, join_repeated_headers
from tests.lambda_.events import answer_body, http_api_event

# RFC 2046 allows "," in a boundary (bcharsnospace), quoted in the header (RFC 2045 tspecials).
COMMA_BOUNDARY = 'multipart/form-data; boundary="gap,find-42"'


def echo_content_type(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps({"content_type": environ.get("CONTENT_TYPE")}).encode()]


def repeated_headers(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    start_response(
        "200 OK",
        [
            ("Content-Type", "text/plain"),
            ("Vary", "Origin"),
            ("Set-Cookie", "a=1"),
            ("vary", "Accept-Encoding"),
            ("Set-Cookie", "b=2"),
            ("Link", "</a>; rel=preload"),
            ("Link", "</b>; rel=preload"),
        ],
    )
    return [b"ok"]


def both(app: Callable[..., Iterable[bytes]], event: dict[str, Any]) -> tuple[dict, dict]:
    """(apig-wsgi alone, apig-wsgi with the corrections) on the same event."""
    alone = make_lambda_handler(app, binary_support=True)(event, None)
    corrected = make_lambda_handler(HttpApiCorrections(app), binary_support=True)(event, None)
    return alone, corrected


def test_a_comma_in_the_content_type_is_kept() -> None:
    event = http_api_event("POST", "/", {"Content-Type": COMMA_BOUNDARY}, b"--x--")
    alone, corrected = both(echo_content_type, event)
    assert json.loads(answer_body(alone)) == {"content_type": 'find-42"'}, "apig-wsgi's choice"
    assert json.loads(answer_body(corrected)) == {"content_type": COMMA_BOUNDARY}


@pytest.mark.parametrize(
    "content_type", ["application/json", "multipart/form-data; boundary=----WebKitFormBoundary7"]
)
def test_a_content_type_without_a_comma_is_what_apig_wsgi_passes(content_type: str) -> None:
    event = http_api_event("POST", "/", {"Content-Type": content_type}, b"{}")
    alone, corrected = both(echo_content_type, event)
    assert answer_body(alone) == answer_body(corrected)
    assert json.loads(answer_body(corrected)) == {"content_type": content_type}


def test_repeated_response_headers_are_joined_not_dropped() -> None:
    alone, corrected = both(repeated_headers, http_api_event("GET", "/"))
    assert alone["headers"]["vary"] == "Accept-Encoding", "apig-wsgi keeps the last only"
    assert alone["headers"]["link"] == "</b>; rel=preload"
    assert corrected["headers"]["vary"] == "Origin, Accept-Encoding"
    assert corrected["headers"]["link"] == "</a>; rel=preload, </b>; rel=preload"
    # Cookies are apig-wsgi's business either way: one entry each, in order.
    assert alone["cookies"] == corrected["cookies"] == ["a=1", "b=2"]
    assert "set-cookie" not in corrected["headers"]


@pytest.mark.parametrize(
    "headers, expected",
    [
        ([], []),
        ([("A", "1"), ("B", "2")], [("A", "1"), ("B", "2")]),
        ([("A", "1"), ("a", "2"), ("B", "3"), ("A", "4")], [("A", "1, 2, 4"), ("B", "3")]),
        (
            [("Set-Cookie", "x=1"), ("set-cookie", "y=2")],
            [("Set-Cookie", "x=1"), ("set-cookie", "y=2")],
        ),
        ([("B", "1"), ("Set-Cookie", "x"), ("B", "2")], [("B", "1, 2"), ("Set-Cookie", "x")]),
    ],
)
def test_join_repeated_headers(
    headers: list[tuple[str, str]], expected: list[tuple[str, str]]
) -> None:
    assert join_repeated_headers(headers) == expected
