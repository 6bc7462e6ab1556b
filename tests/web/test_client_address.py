"""Client addresses are parsed, not compared as text (issue 9, item 7): every spelling of one
address is one rate-limit bucket, IPv6 clients are counted per /64 by default, and what lands
in the log is the canonical address, never the header's raw text."""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable

import pytest
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st

from gapfind.web.client_address import client_key, parse_address
from tests.web import LIMIT, limited

PROXY = {"REMOTE_ADDR": "10.0.0.1"}


@pytest.mark.parametrize(
    "text, canonical",
    [
        ("203.0.113.7", "203.0.113.7"),
        (" 203.0.113.7 ", "203.0.113.7"),
        ("::ffff:203.0.113.7", "203.0.113.7"),  # IPv4-mapped
        ("::FFFF:cb00:7107", "203.0.113.7"),
        ("2001:DB8::1", "2001:db8::1"),
        ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("2001:db8::1%eth0", "2001:db8::1"),  # zone id dropped
        ("fe80::1%25", "fe80::1"),
        ("::1", "::1"),
    ],
)
def test_parse_address_is_canonical(text: str, canonical: str) -> None:
    address = parse_address(text)
    assert address is not None and str(address) == canonical


@pytest.mark.parametrize(
    "text",
    ["", "unknown", "203.0.113", "203.0.113.7, 10.0.0.1", "1.2.3.4\r\nX: y", "::g", "[::1]", "%"],
)
def test_garbage_is_no_address(text: str) -> None:
    assert parse_address(text) is None


@pytest.mark.parametrize(
    "text, prefix, key",
    [
        ("203.0.113.7", 64, "203.0.113.7"),
        ("2001:db8:1:2:aaaa::1", 64, "2001:db8:1:2::/64"),
        ("2001:db8:1:2:bbbb::9", 64, "2001:db8:1:2::/64"),
        ("2001:db8:1:2:aaaa::1", 56, "2001:db8:1::/56"),
        ("2001:db8:1:2:aaaa::1", 128, "2001:db8:1:2:aaaa::1"),
    ],
)
def test_client_key(text: str, prefix: int, key: str) -> None:
    address = parse_address(text)
    assert address is not None
    assert client_key(address, prefix) == key


@given(st.ip_addresses(v=6), st.integers(0, 128))
def test_every_address_of_a_network_shares_its_key(
    address: ipaddress.IPv6Address, prefix: int
) -> None:
    network = ipaddress.IPv6Network((int(address), prefix), strict=False)
    last = network.broadcast_address
    assert client_key(network.network_address, prefix) == client_key(address, prefix)
    assert client_key(last, prefix) == client_key(address, prefix)


# --------------------------------------------------------------------------- through the app


def statuses(app: Flask, real_ips: list[str]) -> list[int]:
    client = app.test_client()
    return [
        client.get("/users/nadie", headers={"X-Real-IP": ip}, environ_base=PROXY).status_code
        for ip in real_ips
    ]


def test_every_spelling_of_one_address_is_one_bucket(app_factory: Callable[..., Flask]) -> None:
    app = app_factory(**limited(REAL_IP_HEADER="X-Real-IP"))
    spellings = [
        "2001:DB8::1",
        "2001:db8::1",
        "2001:0db8:0000:0000:0000:0000:0000:0001",
        "2001:db8::1%eth0",
        " 2001:db8::1 ",
    ]
    assert len(spellings) == LIMIT
    assert statuses(app, spellings + ["2001:db8::1"]) == [404] * LIMIT + [429]
    mapped = ["::ffff:203.0.113.7", "203.0.113.7", " 203.0.113.7"]
    assert statuses(app, mapped * 2) == [404] * LIMIT + [429]


def test_ipv6_clients_share_their_64_by_default(app_factory: Callable[..., Flask]) -> None:
    app = app_factory(**limited(REAL_IP_HEADER="X-Real-IP"))
    same_64 = [f"2001:db8:0:7::{n:x}" for n in range(1, LIMIT + 2)]
    assert statuses(app, same_64) == [404] * LIMIT + [429]
    assert statuses(app, ["2001:db8:0:8::1"]) == [404]  # the next /64 is another client


def test_the_ipv6_prefix_is_a_setting(app_factory: Callable[..., Flask]) -> None:
    app = app_factory(**limited(REAL_IP_HEADER="X-Real-IP", RATELIMIT_IPV6_PREFIX=128))
    each_address = [f"2001:db8:0:7::{n:x}" for n in range(1, LIMIT + 2)]
    assert statuses(app, each_address) == [404] * (LIMIT + 1)


def test_garbage_falls_back_to_the_socket_address(app_factory: Callable[..., Flask]) -> None:
    app = app_factory(**limited(REAL_IP_HEADER="X-Real-IP"))
    garbage = [f"not-an-ip-{n}" for n in range(LIMIT)] + ["10.0.0.1"]
    # Each garbled header counts against the proxy's own address, the last request too.
    assert statuses(app, garbage + ["also garbage"]) == [404] * LIMIT + [429, 429]


def test_the_log_shows_the_canonical_address(
    app_factory: Callable[..., Flask], caplog: pytest.LogCaptureFixture
) -> None:
    app = app_factory(REAL_IP_HEADER="X-Real-IP", LOG_LEVEL="INFO")
    caplog.set_level(logging.INFO, logger="gapfind")
    client = app.test_client()
    for header in ["  2001:DB8::1%eth0 ", "::ffff:203.0.113.7", "x\r\nforged line"]:
        client.get("/health", environ_base={**PROXY, "HTTP_X_REAL_IP": header})
    addresses = [
        record.getMessage().split(" ip=")[1].split(" ")[0]
        for record in caplog.records
        if record.name == "gapfind.access"
    ]
    assert addresses == ["2001:db8::1", "203.0.113.7", "10.0.0.1"]


@pytest.mark.parametrize("prefix", [-1, 129])
def test_an_impossible_prefix_stops_start_up(prefix: int) -> None:
    from gapfind import create_app

    with pytest.raises(ValueError, match="RATELIMIT_IPV6_PREFIX"):
        create_app({"DATABASE_URL": "sqlite://", "RATELIMIT_IPV6_PREFIX": prefix})
