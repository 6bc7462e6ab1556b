"""HTTP API events (payload format 2.0) as API Gateway sends them to the function, for the
$default route of the $default stage, and the request a WSGI server would see for the same call.

What the HTTP API does to a request before the function sees it, and so what these events do:
header names lower-cased, repeated headers joined with commas, host / content-length /
x-amzn-trace-id / x-forwarded-for / -port / -proto added (the client address appended to any
X-Forwarded-For the client sent), cookies moved out of the headers into a `cookies` list (absent
when there are none, as here), the path raw and the query string raw, the body as text unless
its type is not text, then base64 with isBase64Encoded true.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl

HOST = "abc123.execute-api.us-east-1.amazonaws.com"
SOURCE_IP = "203.0.113.7"
USER_AGENT = "gapfind-tests/1.0"
# Media types the HTTP API hands over as text; any other body arrives base64-encoded.
TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript")

Headers = Mapping[str, str] | Iterable[tuple[str, str]]


def is_text(content_type: str | None) -> bool:
    return content_type is not None and content_type.lower().startswith(TEXT_TYPES)


def header_pairs(headers: Headers | None) -> list[tuple[str, str]]:
    if headers is None:
        return []
    items = headers.items() if isinstance(headers, Mapping) else headers
    return [(name, value) for name, value in items]


def client_headers(
    headers: Headers | None, source_ip: str = SOURCE_IP, body_length: int = 0
) -> list[tuple[str, str]]:
    """The request's headers after the HTTP API: the client's plus the ones it adds."""
    pairs = header_pairs(headers)
    sent_for = [value for name, value in pairs if name.lower() == "x-forwarded-for"]
    kept = [
        (name, value)
        for name, value in pairs
        if name.lower() not in {"x-forwarded-for", "host", "content-length"}
    ]
    return [
        ("Host", HOST),
        ("User-Agent", USER_AGENT),
        *kept,
        ("Content-Length", str(body_length)),
        ("X-Amzn-Trace-Id", "Root=1-67891233-abcdef012345678912345678"),
        ("X-Forwarded-For", ", ".join([*sent_for, source_ip])),
        ("X-Forwarded-Port", "443"),
        ("X-Forwarded-Proto", "https"),
    ]


def http_api_event(
    method: str,
    path: str,
    headers: Headers | None = None,
    body: bytes = b"",
    *,
    base64_body: bool | None = None,
    source_ip: str = SOURCE_IP,
) -> dict[str, Any]:
    """The event for `method path` (path as on the wire: percent-encoding and query string kept).

    `base64_body` None means what the HTTP API does for the body's Content-Type; True or False
    forces it (API Gateway base64-encodes some text types too, depending on the setup).
    """
    raw_path, _, raw_query = path.partition("?")
    joined: dict[str, str] = {}
    for name, value in client_headers(headers, source_ip, len(body)):
        key = name.lower()
        joined[key] = f"{joined[key]},{value}" if key in joined else value
    if base64_body is None:
        base64_body = bool(body) and not is_text(joined.get("content-type"))
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": joined,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": HOST,
            "domainPrefix": "abc123",
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": joined["user-agent"],
            },
            "requestId": "JKJaXmPLvHcESHA=",
            "routeKey": "$default",
            "stage": "$default",
            "time": "01/Dec/2026:10:00:00 +0000",
            "timeEpoch": 1796119200000,
        },
        "isBase64Encoded": base64_body,
    }
    if raw_query:
        # Also sent by the HTTP API (repeated names joined with commas); apig-wsgi reads the raw
        # string, as the app must, since a comma inside a value cannot be told apart here.
        event["queryStringParameters"] = _query_parameters(raw_query)
    if body:
        event["body"] = base64.b64encode(body).decode() if base64_body else body.decode()
    return event


def _query_parameters(raw_query: str) -> dict[str, str]:
    joined: dict[str, str] = {}
    for name, value in parse_qsl(raw_query, keep_blank_values=True):
        joined[name] = f"{joined[name]},{value}" if name in joined else value
    return joined


def answer_body(answer: Mapping[str, Any]) -> bytes:
    """The bytes the HTTP API sends the client for a function's answer."""
    body = answer.get("body", "")
    return base64.b64decode(body) if answer.get("isBase64Encoded") else body.encode()
