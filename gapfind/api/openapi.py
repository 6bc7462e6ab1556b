"""Endpoint metadata for the OpenAPI document, attached to views by a cheap decorator.

The document itself is built from these markers and the marshmallow schemas, once and lazily
(gapfind.api.docs): apispec is only imported when somebody asks for /openapi.json or /docs, so
the serving worker does not carry it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from marshmallow import Schema

View = TypeVar("View", bound=Callable[..., Any])


@dataclass(frozen=True)
class Response:
    description: str
    schema: type[Schema] | None = None
    example: Any = None
    # A body that is not JSON (a .ics file) is documented as a string of this media type.
    media_type: str = "application/json"


@dataclass(frozen=True)
class Operation:
    summary: str
    description: str = ""
    tag: str = ""
    request: type[Schema] | None = None
    request_media_types: tuple[str, ...] = ("application/json",)
    request_example: Any = None
    query: type[Schema] | None = None  # the query-string parameters, one per field
    responses: dict[int, Response] = field(default_factory=dict)
    needs_token: bool = False
    rate_limited: bool = True


def document(operation: Operation) -> Callable[[View], View]:
    """Mark a view with its OpenAPI description; the view itself is returned unchanged."""

    def mark(view: View) -> View:
        view.openapi = operation  # type: ignore[attr-defined]
        return view

    return mark
