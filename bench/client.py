"""The request-sending code shared by every workload and the floor: one new connection each.

Every request carries ``X-Real-IP`` with an address of a :class:`ClientPool`, handed out
round-robin: GapFind runs with ``REAL_IP_HEADER=X-Real-IP`` (as on PythonAnywhere), so its rate
limiter keys each request by that address, not by the benchmark's one socket address.
"""

from __future__ import annotations

import http.client
import itertools
import json
import threading
from dataclasses import dataclass, replace
from typing import Any

from bench.errors import BenchError

HOST = "127.0.0.1"
REAL_IP_HEADER = "X-Real-IP"
DEFAULT_CLIENTS = 512
#: Keeps the address file wrk reads under 1 MB; far more clients than any run needs.
MAX_CLIENTS = 65536
_LAST_OCTETS = 254  # .1 to .254: no .0 or .255 in the pool


def client_address(index: int) -> str:
    """The ``index``-th pool address: 10.0.0.1 ... 10.0.0.254, 10.0.1.1, ... (inside 10/8)."""
    if not 0 <= index < MAX_CLIENTS:
        raise ValueError(f"client index must be in [0, {MAX_CLIENTS}), got {index}")
    block, last = divmod(index, _LAST_OCTETS)
    return f"10.{block // 256}.{block % 256}.{last + 1}"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes = b""
    content_type: str | None = None
    client_ip: str | None = None

    def describe(self) -> str:
        source = f" ({REAL_IP_HEADER} {self.client_ip})" if self.client_ip else ""
        return f"{self.method} {self.path}{source}"

    def headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        if self.content_type:
            headers["Content-Type"] = self.content_type
        if self.client_ip:
            headers[REAL_IP_HEADER] = self.client_ip
        return headers


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or None."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise BenchError(f"response is not JSON: {self.snippet()}") from exc

    def snippet(self, limit: int = 300) -> str:
        text = self.body[:limit].decode("utf-8", "replace")
        return text + ("..." if len(self.body) > limit else "")


class ClientPool:
    """``size`` client addresses, handed out round-robin (thread-safe, for the Python load)."""

    def __init__(self, size: int = DEFAULT_CLIENTS) -> None:
        if not 1 <= size <= MAX_CLIENTS:
            raise ValueError(f"the client pool holds 1 to {MAX_CLIENTS} addresses, not {size}")
        self.addresses: tuple[str, ...] = tuple(client_address(i) for i in range(size))
        self._cycle = itertools.cycle(self.addresses)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.addresses)

    def next_address(self) -> str:
        with self._lock:
            return next(self._cycle)

    def stamp(self, request: Request) -> Request:
        """``request`` sent from the next address of the pool."""
        return replace(request, client_ip=self.next_address())


def send(port: int, request: Request, timeout: float = 60.0) -> Response:
    """Send ``request`` on a fresh connection and read the whole response."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        body = request.body if request.body or request.method != "GET" else None
        conn.request(request.method, request.path, body=body, headers=request.headers())
        response = conn.getresponse()
        return Response(response.status, response.read(), tuple(response.getheaders()))
    finally:
        conn.close()


RATE_LIMITED_HINT = (
    "a 429 means a client address of the pool exceeded GapFind's rate limit: the per-client "
    "arithmetic in bench/server.py app_env no longer holds (raise --clients)"
)


def expect_status(request: Request, response: Response, status: int) -> Response:
    """Return ``response`` if it has ``status``; raise a BenchError naming the request if not."""
    if response.status != status:
        hint = f"\n{RATE_LIMITED_HINT}" if response.status == 429 else ""
        raise BenchError(
            f"{request.describe()} returned {response.status}, expected {status}: "
            f"{response.snippet()}{hint}"
        )
    return response


def send_expect(port: int, request: Request, status: int) -> Response:
    return expect_status(request, send(port, request), status)
