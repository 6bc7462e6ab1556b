"""The WSGI callable's type, shared by the layers of the stack."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

WSGIEnviron = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[WSGIEnviron, StartResponse], Iterable[bytes]]


def environ_key(header: str) -> str:
    """Where a WSGI server puts a request header in the environ (PEP 3333)."""
    return "HTTP_" + header.upper().replace("-", "_")
