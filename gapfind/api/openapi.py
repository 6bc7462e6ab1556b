"""The OpenAPI 3 document, built from the endpoints' declarations (gapfind.api.operations) and
the marshmallow schemas that load the requests and describe the answers.

Built once per app on first request and cached; imported only by the docs endpoints, so apispec
never loads into a worker that only serves the API.
"""

from __future__ import annotations

import re
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask

from gapfind.api.operations import Operation, operation_of

TITLE = "GapFind API"
VERSION = "1.0.0"
_PATH_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
_CACHE_KEY = "gapfind.openapi"

ERROR_SCHEMA = {
    "type": "object",
    "description": (
        "Cada clave es un campo de la solicitud (o non_field_errors) y su valor la lista de "
        "mensajes en español para mostrar al usuario."
    ),
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
    "example": {"username": ["El usuario ingresado ya fue registrado"]},
}
RATE_LIMITED = {
    "description": "Demasiadas solicitudes; Retry-After dice cuántos segundos esperar.",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}


def _schema_name(schema: Any) -> str:
    cls = schema if isinstance(schema, type) else type(schema)
    name = cls.__name__
    return name.removesuffix("Schema") or name


def _operation_dict(op: Operation, params: list[str]) -> dict[str, Any]:
    operation: dict[str, Any] = {"summary": op.summary, "tags": [op.tag] if op.tag else []}
    if op.description:
        operation["description"] = op.description
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in params
    ]
    if op.query is not None:
        parameters.append({"in": "query", "schema": op.query})  # the plugin expands the fields
    if parameters:
        operation["parameters"] = parameters
    if op.request is not None:
        content: dict[str, Any] = {}
        for media_type in op.request_media_types:
            entry: dict[str, Any] = {"schema": op.request}
            if op.request_example is not None and media_type == "application/json":
                entry["example"] = op.request_example
            content[media_type] = entry
        for media_type, schema in op.other_requests.items():
            content[media_type] = {"schema": schema}
        operation["requestBody"] = {"required": True, "content": content}
    if op.needs_token:
        operation["security"] = [{"editToken": []}]
    responses: dict[str, Any] = {}
    for status, response in sorted(op.responses.items()):
        entry = {"description": response.description}
        if response.schema is None and response.media_type != "application/json":
            text: dict[str, Any] = {"schema": {"type": "string"}}
            if response.example is not None:
                text["example"] = response.example
            entry["content"] = {response.media_type: text}
        elif response.schema is not None:
            ref = "Error" if response.schema.__name__ == "ErrorResponse" else response.schema
            schema = {"$ref": "#/components/schemas/Error"} if ref == "Error" else ref
            media: dict[str, Any] = {"schema": schema}
            if response.example is not None:
                media["example"] = response.example
            entry["content"] = {"application/json": media}
        responses[str(status)] = entry
    if op.rate_limited:
        responses["429"] = RATE_LIMITED
    operation["responses"] = responses
    return operation


def build_spec(app: Flask) -> dict[str, Any]:
    """Walk the URL map and describe every documented view."""
    spec = APISpec(
        title=TITLE,
        version=VERSION,
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin(schema_name_resolver=_schema_name)],
        info={
            "description": (
                "Horas libres comunes de grupos de estudiantes. Todos los errores son JSON: "
                "{campo: [mensajes]}, con non_field_errors para los que no son de un campo."
            )
        },
    )
    spec.components.schema("Error", ERROR_SCHEMA)
    spec.components.security_scheme(
        "editToken",
        {"type": "http", "scheme": "bearer", "description": "El edit_token de POST /manual."},
    )
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        op = operation_of(app.view_functions.get(rule.endpoint))
        if op is None:
            continue
        methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        path = _PATH_PARAM.sub(r"{\1}", rule.rule)
        params = _PATH_PARAM.findall(rule.rule)
        spec.path(
            path=path,
            operations={method.lower(): _operation_dict(op, params) for method in methods},
        )
    return spec.to_dict()


def openapi_spec(app: Flask) -> dict[str, Any]:
    """The cached document (the URL map does not change after start-up)."""
    cached: dict[str, Any] | None = app.extensions.get(_CACHE_KEY)
    if cached is None:
        cached = app.extensions[_CACHE_KEY] = build_spec(app)
    return cached
