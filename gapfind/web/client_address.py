"""Who the client is: its canonical address, and the bucket the rate limiter counts it in.

Addresses are parsed, never compared as text: "::ffff:203.0.113.7", "2001:DB8::1", its long form
and "2001:db8::1%eth0" are each one client. A header can only name the client when the operator
says a trusted proxy sets it (REAL_IP_HEADER, TRUSTED_PROXY_HOPS); anything unparsable falls back
to the socket's address, so a garbled or forged header cannot make a new bucket.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix

from gapfind.web.types import StartResponse, WSGIApp, WSGIEnviron, environ_key

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
CLIENT_KEY = "gapfind.client_key"  # environ key: the rate-limit bucket of this request
UNKNOWN = "unknown"


def parse_address(text: str) -> IPAddress | None:
    """The address `text` names, canonical: IPv4-mapped IPv6 as IPv4, zone id dropped."""
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.scope_id is not None:
            return ipaddress.IPv6Address(int(address))
    return address


def client_key(address: IPAddress, ipv6_prefix: int) -> str:
    """The rate-limit bucket of an address: itself for IPv4, its /`ipv6_prefix` network for
    IPv6 (one device or home usually owns a whole /64, so a per-address bucket would let it
    take 2**64 of them)."""
    if isinstance(address, ipaddress.IPv6Address) and ipv6_prefix < 128:
        network = ipaddress.IPv6Network((int(address), ipv6_prefix), strict=False)
        return str(network)
    return str(address)


class ClientAddress:
    """Innermost proxy layer: REMOTE_ADDR made canonical and the bucket key computed once.

    With REAL_IP_HEADER set, that header (set by the operator's proxy) names the client; with
    TRUSTED_PROXY_HOPS, ProxyFix has already replaced REMOTE_ADDR from X-Forwarded-For. Either
    may carry text that is no address: then the socket's own address is kept.
    """

    def __init__(self, app: WSGIApp, header: str, ipv6_prefix: int) -> None:
        self.app = app
        self.header_key = environ_key(header) if header else None
        self.ipv6_prefix = ipv6_prefix

    def __call__(self, environ: WSGIEnviron, start_response: StartResponse) -> Any:
        socket_addr = _socket_address(environ)
        claimed = environ.get(self.header_key, "") if self.header_key else ""
        address = parse_address(claimed) if claimed else None
        if address is not None:
            environ["gapfind.proxy_addr"] = socket_addr
        else:
            address = parse_address(environ.get("REMOTE_ADDR", ""))
            if address is None:
                address = parse_address(socket_addr)
        if address is None:  # no server hands over a socket without an address; be safe
            environ["REMOTE_ADDR"] = UNKNOWN
            environ[CLIENT_KEY] = UNKNOWN
        else:
            environ["REMOTE_ADDR"] = str(address)
            environ[CLIENT_KEY] = client_key(address, self.ipv6_prefix)
        return self.app(environ, start_response)


def _socket_address(environ: WSGIEnviron) -> str:
    """The peer of the TCP connection, before ProxyFix replaced REMOTE_ADDR."""
    original = environ.get("werkzeug.proxy_fix.orig")
    if original:
        return str(original.get("REMOTE_ADDR") or "")
    return str(environ.get("REMOTE_ADDR") or "")


def rate_limit_key() -> str:
    """The limiter's key function: the bucket ClientAddress computed for this request."""
    environ = request.environ
    return str(environ.get(CLIENT_KEY) or environ.get("REMOTE_ADDR") or UNKNOWN)


def install_client_address(app: Flask, wsgi_app: WSGIApp) -> WSGIApp:
    """Trust the proxy headers the operator configured, and nothing else."""
    hops = app.config["TRUSTED_PROXY_HOPS"]
    prefix = app.config["RATELIMIT_IPV6_PREFIX"]
    if not 0 <= prefix <= 128:
        raise ValueError(f"RATELIMIT_IPV6_PREFIX must be 0..128, got {prefix}")
    wrapped = ClientAddress(wsgi_app, app.config["REAL_IP_HEADER"].strip(), prefix)
    if hops > 0:
        return ProxyFix(wrapped, x_for=hops, x_proto=hops)
    return wrapped
