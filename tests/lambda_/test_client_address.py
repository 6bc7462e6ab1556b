"""The client address on Lambda: apig-wsgi puts requestContext.http.sourceIp in REMOTE_ADDR, and
nothing a client can send moves a request to another rate-limit bucket; behind Cloudflare the
operator names CF-Connecting-IP in REAL_IP_HEADER. Limits counted in a real redis-server, shared
by execution environments as on Lambda.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
import redis as redis_client
from flask import Flask

from gapfind.aws_lambda import make_handler
from tests.lambda_.events import http_api_event
from tests.support.servers import RedisServer
from tests.web import LIMIT, limited

pytestmark = pytest.mark.redis

CLIENT_A = "203.0.113.7"
CLIENT_B = "198.51.100.9"
CLOUDFLARE_EDGE = "162.158.118.190"  # the HTTP API's peer when Cloudflare proxies the domain
FORGED = ("X-Forwarded-For", "X-Real-IP", "CF-Connecting-IP", "Forwarded")


def forged_headers(n: int) -> dict[str, str]:
    address = f"192.0.2.{n}"
    return {name: address if name != "Forwarded" else f"for={address}" for name in FORGED}


def statuses(handler: Callable, events: list[dict]) -> list[int]:
    return [handler(event, None)["statusCode"] for event in events]


def stored_keys(server: RedisServer) -> list[str]:
    connection = redis_client.Redis.from_url(server.url, decode_responses=True)
    try:
        return [str(key) for key in connection.keys("*")]
    finally:
        connection.close()


def test_forged_headers_do_not_change_the_bucket(
    lambda_app_factory: Callable[..., Flask], redis: RedisServer
) -> None:
    handler = make_handler(lambda_app_factory(**limited(redis.url)))
    forged = [
        http_api_event("GET", "/users/nadie", forged_headers(n), source_ip=CLIENT_A)
        for n in range(1, LIMIT + 4)
    ]
    assert statuses(handler, forged) == [404] * LIMIT + [429] * 3
    # Another source address has its own bucket, whatever it claims.
    other = http_api_event("GET", "/users/nadie", forged_headers(1), source_ip=CLIENT_B)
    assert statuses(handler, [other]) == [404]
    keys = stored_keys(redis)
    assert any(CLIENT_A in key for key in keys) and any(CLIENT_B in key for key in keys), keys
    assert not any("192.0.2." in key for key in keys), "a forged address became a bucket"


def test_execution_environments_share_the_limits_in_redis(
    lambda_app_factory: Callable[..., Flask], redis: RedisServer
) -> None:
    """Two execution environments are two apps of one function; with Redis they count as one."""
    first = make_handler(lambda_app_factory(**limited(redis.url)))
    second = make_handler(lambda_app_factory(**limited(redis.url)))
    event = http_api_event("GET", "/users/nadie", source_ip=CLIENT_A)
    assert statuses(first, [event] * 3) == [404] * 3
    assert statuses(second, [event] * (LIMIT - 3)) == [404] * (LIMIT - 3)
    assert statuses(first, [event]) == statuses(second, [event]) == [429]


def test_cloudflare_header_identifies_the_client_through_the_handler(
    lambda_app_factory: Callable[..., Flask],
    redis: RedisServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = lambda_app_factory(**limited(redis.url, REAL_IP_HEADER="CF-Connecting-IP"))
    handler = make_handler(app)
    caplog.set_level(logging.INFO, logger="gapfind")

    def via_cloudflare(client: str, **extra: str) -> dict:
        headers = {"CF-Connecting-IP": client, **extra}
        return http_api_event("GET", "/users/nadie", headers, source_ip=CLOUDFLARE_EDGE)

    assert statuses(handler, [via_cloudflare(CLIENT_A)] * LIMIT) == [404] * LIMIT
    assert statuses(handler, [via_cloudflare(CLIENT_A)]) == [429]
    assert statuses(handler, [via_cloudflare(CLIENT_B)]) == [404], "a bucket per client"
    # Cloudflare overwrites CF-Connecting-IP; the other headers stay the client's own words.
    spoof = via_cloudflare(CLIENT_A, **{"X-Forwarded-For": CLIENT_B, "X-Real-IP": CLIENT_B})
    assert statuses(handler, [spoof]) == [429]
    access = [r.getMessage() for r in caplog.records if r.name == "gapfind.access"]
    assert any(f"ip={CLIENT_A} " in line for line in access)
    assert not any(f"ip={CLOUDFLARE_EDGE} " in line for line in access)


@pytest.mark.parametrize("storage", ["memory", "redis"])
def test_cloudflare_header_identifies_the_client_on_a_wsgi_server(
    app_factory: Callable[..., Flask], request: pytest.FixtureRequest, storage: str
) -> None:
    """The same setting outside Lambda (a WSGI server behind Cloudflare)."""
    uri = "memory://" if storage == "memory" else request.getfixturevalue("redis").url
    app = app_factory(**limited(uri, REAL_IP_HEADER="CF-Connecting-IP"))
    client = app.test_client()

    def status(client_ip: str, **extra: str) -> int:
        headers = {"CF-Connecting-IP": client_ip, **extra}
        environ = {"REMOTE_ADDR": CLOUDFLARE_EDGE}
        return client.get("/users/nadie", headers=headers, environ_base=environ).status_code

    assert [status(CLIENT_A) for _ in range(LIMIT)] == [404] * LIMIT
    assert status(CLIENT_A) == 429
    assert status(CLIENT_B) == 404
    assert status(CLIENT_A, **{"X-Forwarded-For": CLIENT_B}) == 429
    assert status("not-an-address") == 404, "a garbled header falls back to the edge's bucket"
