"""The client address behind a proxy (issue 3, item 1).

By default nothing is trusted: the socket address is the client, so a forged X-Forwarded-For or
X-Real-IP cannot buy a fresh bucket. With TRUSTED_PROXY_HOPS=1 the last X-Forwarded-For hop (the
one the proxy itself appended) is the client; with REAL_IP_HEADER=X-Real-IP (PythonAnywhere)
that header is. In the tests every request comes from the same socket address, as it does
behind a real proxy.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from flask import Flask

from tests.web import LIMIT, limited

PROXY = {"REMOTE_ADDR": "10.0.0.1"}  # the socket peer: the host's proxy
CLIENT_A = "203.0.113.7"
CLIENT_B = "198.51.100.9"


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def storage_uri(request: pytest.FixtureRequest) -> str:
    if request.param == "memory":
        return "memory://"
    return str(request.getfixturevalue("redis").url)


def statuses(app: Flask, headers_list: list[dict[str, str]]) -> list[int]:
    client = app.test_client()
    return [
        client.get("/users/nadie", headers=headers, environ_base=PROXY).status_code
        for headers in headers_list
    ]


def test_forged_forwarded_for_does_not_reset_the_limit_by_default(
    app_factory: Callable[..., Flask], storage_uri: str
) -> None:
    app = app_factory(**limited(storage_uri))
    assert app.config["TRUSTED_PROXY_HOPS"] == 0
    assert app.config["REAL_IP_HEADER"] == ""
    forged = [
        {"X-Forwarded-For": f"192.0.2.{n}", "X-Real-IP": f"192.0.2.{n}"}
        for n in range(1, LIMIT + 4)
    ]
    assert statuses(app, forged) == [404] * LIMIT + [429] * 3


def test_one_trusted_hop_identifies_the_client_by_the_last_forwarded_for(
    app_factory: Callable[..., Flask], storage_uri: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = app_factory(**limited(storage_uri, TRUSTED_PROXY_HOPS=1))
    caplog.set_level(logging.INFO, logger="gapfind")
    as_a = {"X-Forwarded-For": CLIENT_A}
    as_b = {"X-Forwarded-For": CLIENT_B}
    assert statuses(app, [as_a] * LIMIT) == [404] * LIMIT
    assert statuses(app, [as_a]) == [429]
    # Another client behind the same proxy has its own bucket...
    assert statuses(app, [as_b]) == [404]
    # ...and client A cannot pass for someone else by prepending addresses: the proxy appends
    # the real peer last, and only that hop is trusted.
    spoofed = [
        {"X-Forwarded-For": f"{CLIENT_B}, {CLIENT_A}"},
        {"X-Forwarded-For": f"1.1.1.1, 8.8.8.8, {CLIENT_A}"},
        {"X-Forwarded-For": f"{CLIENT_A}", "X-Real-IP": CLIENT_B},
    ]
    assert statuses(app, spoofed) == [429, 429, 429]
    # The access log names the client, not the proxy.
    access = [r.getMessage() for r in caplog.records if r.name == "gapfind.access"]
    assert any(f"ip={CLIENT_A} " in line for line in access)
    assert any(f"ip={CLIENT_B} " in line for line in access)
    assert not any("ip=10.0.0.1 " in line for line in access)


def test_real_ip_header_identifies_the_client(
    app_factory: Callable[..., Flask], storage_uri: str
) -> None:
    app = app_factory(**limited(storage_uri, REAL_IP_HEADER="X-Real-IP"))
    as_a = {"X-Real-IP": CLIENT_A}
    assert statuses(app, [as_a] * LIMIT) == [404] * LIMIT
    assert statuses(app, [as_a]) == [429]
    assert statuses(app, [{"X-Real-IP": CLIENT_B}]) == [404]
    # X-Forwarded-For is not trusted in this mode: it cannot move A to another bucket.
    assert statuses(app, [{"X-Real-IP": CLIENT_A, "X-Forwarded-For": CLIENT_B}]) == [429]


GARBAGE = [
    "",
    "not-an-ip",
    ",,,",
    " , ",
    "999.999.999.999",
    "1.2.3.4.5",
    "unknown, <script>alert(1)</script>",
    "::ffff:zzzz",
    "a" * 2000,
]


@pytest.mark.parametrize(
    "settings,header",
    [
        ({"TRUSTED_PROXY_HOPS": 1}, "X-Forwarded-For"),
        ({"REAL_IP_HEADER": "X-Real-IP"}, "X-Real-IP"),
        ({}, "X-Forwarded-For"),
    ],
    ids=["trusted-hop", "real-ip-header", "nothing-trusted"],
)
def test_garbage_in_the_address_headers_is_never_a_500(
    app_factory: Callable[..., Flask], settings: dict[str, object], header: str
) -> None:
    app = app_factory(**limited(**settings))
    client = app.test_client()
    for value in GARBAGE:
        response = client.get("/users/nadie", headers={header: value}, environ_base=PROXY)
        assert response.status_code in (404, 429), (value, response.status_code)
        assert response.is_json
        assert "X-Request-ID" in response.headers


def test_garbage_real_ip_falls_back_to_the_socket_address(
    app_factory: Callable[..., Flask],
) -> None:
    """A garbled X-Real-IP must not become a bucket key a client can vary at will."""
    app = app_factory(**limited(REAL_IP_HEADER="X-Real-IP"))
    garbage = [{"X-Real-IP": f"garbage-{n}"} for n in range(LIMIT + 1)]
    assert statuses(app, garbage) == [404] * LIMIT + [429]
