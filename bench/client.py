"""The request-sending code shared by every workload and the floor: one new connection each."""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from typing import Any

from bench.errors import BenchError

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes = b""
    content_type: str | None = None

    def describe(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise BenchError(f"response is not JSON: {self.snippet()}") from exc

    def snippet(self, limit: int = 300) -> str:
        text = self.body[:limit].decode("utf-8", "replace")
        return text + ("..." if len(self.body) > limit else "")


def send(port: int, request: Request, timeout: float = 60.0) -> Response:
    """Send ``request`` on a fresh connection and read the whole response."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        headers = {"Content-Type": request.content_type} if request.content_type else {}
        body = request.body if request.body or request.method != "GET" else None
        conn.request(request.method, request.path, body=body, headers=headers)
        response = conn.getresponse()
        return Response(response.status, response.read())
    finally:
        conn.close()


def expect_status(request: Request, response: Response, status: int) -> Response:
    """Return ``response`` if it has ``status``; raise a BenchError naming the request if not."""
    if response.status != status:
        raise BenchError(
            f"{request.describe()} returned {response.status}, expected {status}: "
            f"{response.snippet()}"
        )
    return response


def send_expect(port: int, request: Request, status: int) -> Response:
    return expect_status(request, send(port, request), status)
