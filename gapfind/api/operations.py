"""Declaring an endpoint once: `@endpoint(Operation(...))` documents it and loads its body.

The request schema named in the Operation is both what the OpenAPI document describes and what
loads the body at call time (flask-smorest's idea, without its error bodies: the contract wants
its own 400 shape and Spanish messages). The document itself is built lazily from these
declarations (gapfind.api.openapi), so apispec never loads into a worker that only serves the API.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask import request
from marshmallow import Schema

from gapfind import schemas
from gapfind.api.bodies import json_body, query_arguments

View = TypeVar("View", bound=Callable[..., Any])
OPERATION_ATTRIBUTE = "openapi"


@dataclass(frozen=True)
class Response:
    """One documented answer of an operation."""

    description: str
    schema: type[Schema] | None = None
    example: Any = None
    # A body that is not JSON (a .ics file) is documented as a string of this media type.
    media_type: str = "application/json"


@dataclass(frozen=True)
class Operation:
    """What the OpenAPI document says about one endpoint."""

    summary: str
    description: str = ""
    tag: str = ""
    request: type[Schema] | None = None
    request_media_types: tuple[str, ...] = ("application/json",)
    request_example: Any = None
    query: type[Schema] | None = None  # the query-string parameters, one per field
    # Bodies of another media type that another schema loads (PUT's multipart calendar).
    other_requests: dict[str, type[Schema]] = field(default_factory=dict)
    responses: dict[int, Response] = field(default_factory=dict)
    needs_token: bool = False
    rate_limited: bool = True


# The answers most operations share, written once.
INVALID = Response("Datos inválidos; mensajes por campo.", schemas.ErrorResponse)
NOT_FOUND = Response("El usuario no existe.", schemas.ErrorResponse)


def endpoint(
    operation: Operation,
    *,
    read_body: Callable[[], Any] | None = None,
    before_body: Callable[..., dict[str, Any]] | None = None,
    read_other_bodies: dict[str, Callable[[], Any]] | None = None,
) -> Callable[[View], View]:
    """Attach `operation` to the view and, when it names a request schema, load the body with
    it (or, for a query schema, the query string) and pass the result as the view's first
    argument. The body is JSON unless `read_body` reads it otherwise.

    `before_body` runs first on the URL's arguments and returns the view's keyword arguments:
    what must be refused before a body is even read (a missing token, an impossible name) keeps
    its status whatever the body holds. A body whose media type is one of
    `operation.other_requests` is read by `read_other_bodies[media type]` and loaded by that
    schema instead.
    """
    schema = operation.request or operation.query
    loader = schema() if schema is not None else None
    if read_body is None:
        read_body = json_body if operation.request is not None else query_arguments
    others = {
        media_type: (schema().load, (read_other_bodies or {})[media_type])
        for media_type, schema in operation.other_requests.items()
    }

    def declare(view: View) -> View:
        if loader is None:
            setattr(view, OPERATION_ATTRIBUTE, operation)
            return view
        usual = (loader.load, read_body)

        @functools.wraps(view)
        def load_then_call(**url_arguments: Any) -> Any:
            arguments = before_body(**url_arguments) if before_body else url_arguments
            load, read = others.get(request.mimetype, usual) if others else usual
            return view(load(read()), **arguments)

        setattr(load_then_call, OPERATION_ATTRIBUTE, operation)
        return load_then_call  # type: ignore[return-value]

    return declare


def operation_of(view: Callable[..., Any] | None) -> Operation | None:
    """The Operation an endpoint was declared with, if any."""
    return getattr(view, OPERATION_ATTRIBUTE, None)
