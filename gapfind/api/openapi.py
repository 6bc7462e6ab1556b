"""The OpenAPI 3 document, built from the endpoints' declarations (gapfind.api.operations) and
the marshmallow schemas that load the requests and describe the answers.

Clients generate code from it, so it says exactly what the API does. What every endpoint of a
kind can answer is generated here from facts rather than declared view by view, where it would
drift: a body can be malformed (400) or too large (413); a rate-limited endpoint can answer 429,
and 503 when its limit storage is down and RATELIMIT_FAIL_OPEN is off; one that touches the
database answers 503 when the database does not. Links (POST /manual's answer -> the
`{username}` operations, with its edit token) let generated clients, and the fuzzing test's
stateful phase, chain calls.

Built once per app on first request and cached; imported only by the docs endpoints, so apispec
never loads into a worker that only serves the API.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.openapi import OpenAPIConverter
from flask import Flask
from marshmallow import fields

from gapfind import schemas
from gapfind.api.operations import Operation, operation_of

TITLE = "GapFind API"
VERSION = "1.0.0"
_PATH_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
_CACHE_KEY = "gapfind.openapi"
_LIMITER_KEY = "gapfind.limiter"  # where gapfind.ratelimit.init_limiter keeps the app's limiter

ERROR_REF = {"$ref": "#/components/schemas/Error"}
ERROR_SCHEMA = {
    "type": "object",
    "description": (
        "Cada clave es un campo de la solicitud (o non_field_errors) y su valor la lista de "
        "mensajes en español para mostrar al usuario."
    ),
    "minProperties": 1,
    "additionalProperties": {"type": "array", "minItems": 1, "items": {"type": "string"}},
    "example": {"username": ["El usuario ingresado ya fue registrado"]},
}
RETRY_AFTER = {
    "Retry-After": {
        "description": "Cuántos segundos esperar antes de volver a intentar.",
        "required": True,
        "schema": {"type": "string"},
    }
}
# The answers the builder adds to every operation they apply to (see the module docstring).
BAD_BODY = "El cuerpo no es válido (vacío, otro tipo de contenido, JSON roto) o un campo no."
TOO_LARGE = "El cuerpo supera MAX_CONTENT_LENGTH (1 MiB por defecto)."
RATE_LIMITED = "Demasiadas solicitudes; Retry-After dice cuántos segundos esperar."
TOKEN_MISSING = "Falta el encabezado Authorization: Bearer <edit_token>."
TOKEN_WRONG = "El token no corresponde a este usuario."
UNAVAILABLE = "La base de datos no responde; Retry-After dice cuándo volver a intentar."
UNAVAILABLE_OR_LIMITS = (
    "La base de datos (o el almacén de los límites de solicitudes) no responde; Retry-After "
    "dice cuándo volver a intentar."
)

# A `<username>` in a URL is always a student's name, in any case; a name that no student can
# have is answered 404 (not 400), like an unknown one.
PATH_PARAMETERS: dict[str, fields.Field[Any]] = {
    "username": schemas.Username(
        metadata={"description": "El nombre, sin distinguir mayúsculas.", "example": "ana"}
    ),
}
# The answer field holding the edit token that operations with `needs_token` want back.
TOKEN_FIELD = "edit_token"


@dataclass
class Documented:
    """One method of one URL rule, with what the links between operations need to know."""

    endpoint: str
    method: str
    path: str
    params: list[str]
    op: Operation
    operation_id: str = ""


def _schema_name(schema: Any) -> str:
    cls = schema if isinstance(schema, type) else type(schema)
    name = cls.__name__
    return name.removesuffix("Schema") or name


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ERROR_REF}}}


class Builder:
    """Turns the app's documented views into the document's paths."""

    def __init__(self, app: Flask, converter: OpenAPIConverter) -> None:
        self.app = app
        self.converter = converter
        limiter = app.extensions.get(_LIMITER_KEY)
        # The limiter's plan lists every endpoint that is not exempt from the limits.
        self.limited: set[str] | None = (
            set(limiter.endpoint_limits) if limiter is not None else None
        )

    def is_rate_limited(self, endpoint: str) -> bool:
        return self.limited is None or endpoint in self.limited

    def documented(self) -> list[Documented]:
        """Every documented (rule, method), with unique operation ids."""
        found: list[Documented] = []
        for rule in sorted(self.app.url_map.iter_rules(), key=lambda r: r.rule):
            op = operation_of(self.app.view_functions.get(rule.endpoint))
            if op is None:
                continue
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                path = _PATH_PARAM.sub(r"{\1}", rule.rule)
                params = _PATH_PARAM.findall(rule.rule)
                found.append(Documented(rule.endpoint, method.lower(), path, params, op))
        # The view's name ("read") when no other view has it, else with its blueprint
        # ("schedules_register"), and with the method when one view serves several.
        views = Counter(item.endpoint.rsplit(".", 1)[-1] for item in found)
        endpoints = Counter(item.endpoint for item in found)
        for item in found:
            name = item.endpoint.rsplit(".", 1)[-1]
            if views[name] > 1:
                name = item.endpoint.replace(".", "_")
            if endpoints[item.endpoint] > 1:
                name = f"{name}_{item.method}"
            item.operation_id = name
        return found

    def parameter(self, name: str) -> dict[str, Any]:
        field = PATH_PARAMETERS.get(name)
        schema = self.converter.field2property(field) if field else {"type": "string"}
        description = schema.pop("description", None)
        parameter = {"name": name, "in": "path", "required": True, "schema": schema}
        if description:
            parameter["description"] = description
        return parameter

    def request_body(self, op: Operation) -> dict[str, Any] | None:
        content: dict[str, Any] = {}
        if op.request is not None:
            for media_type in op.request_media_types:
                entry: dict[str, Any] = {"schema": op.request}
                if op.request_example is not None and media_type == "application/json":
                    entry["example"] = op.request_example
                content[media_type] = entry
        for media_type, schema in op.other_requests.items():
            content[media_type] = {"schema": schema}
        return {"required": True, "content": content} if content else None

    def responses(self, item: Documented, body: bool) -> dict[int, dict[str, Any]]:
        op = item.op
        responses: dict[int, dict[str, Any]] = {}
        for status, response in op.responses.items():
            entry: dict[str, Any] = {"description": response.description}
            media: dict[str, Any] | None = None
            if response.schema is not None:
                is_error = response.schema is schemas.ErrorResponse
                media = {"schema": ERROR_REF if is_error else response.schema}
            elif response.media_type != "application/json":
                media = {"schema": {"type": "string"}}  # a file (a calendar)
            if media is not None:
                if response.example is not None:
                    media["example"] = response.example
                entry["content"] = {response.media_type: media}
            responses[status] = entry
        limited = self.is_rate_limited(item.endpoint)
        generated: dict[int, str] = {}
        if body:
            generated.update({400: BAD_BODY, 413: TOO_LARGE})
        if op.needs_token:
            generated.update({401: TOKEN_MISSING, 403: TOKEN_WRONG})
        if limited:
            generated[429] = RATE_LIMITED
        if limited or op.touches_database:
            generated[503] = UNAVAILABLE_OR_LIMITS if limited else UNAVAILABLE
        for status, description in generated.items():
            responses.setdefault(status, _error(description))
        for status in (429, 503):  # both always come with Retry-After (gapfind.errors)
            if status in responses:
                responses[status]["headers"] = RETRY_AFTER
        return dict(sorted(responses.items()))

    def operation(self, item: Documented) -> dict[str, Any]:
        op = item.op
        operation: dict[str, Any] = {
            "operationId": item.operation_id,
            "summary": op.summary,
            "tags": [op.tag] if op.tag else [],
        }
        if op.description:
            operation["description"] = op.description
        parameters = [self.parameter(name) for name in item.params]
        if op.query is not None:
            parameters.append({"in": "query", "schema": op.query})  # the plugin expands it
        if parameters:
            operation["parameters"] = parameters
        body = self.request_body(op)
        if body is not None:
            operation["requestBody"] = body
        if op.needs_token:
            operation["security"] = [{"editToken": []}]
        responses = self.responses(item, body is not None)
        operation["responses"] = {str(status): entry for status, entry in responses.items()}
        return operation


def links(source: Documented, everything: list[Documented]) -> dict[int, dict[str, Any]]:
    """Links from each success of `source` to the operations its answer can feed: those whose
    path parameters it returns, and that want an edit token only when it returns one."""
    found: dict[int, dict[str, Any]] = {}
    for status, response in source.op.responses.items():
        if not 200 <= status < 300 or response.schema is None:
            continue
        given = set(response.schema().fields)
        for target in everything:
            if target is source or not target.params or not set(target.params) <= given:
                continue
            if target.op.needs_token and TOKEN_FIELD not in given:
                continue
            parameters = {f"path.{name}": f"$response.body#/{name}" for name in target.params}
            if target.op.needs_token:
                parameters["header.Authorization"] = f"Bearer {{$response.body#/{TOKEN_FIELD}}}"
            found.setdefault(status, {})[target.operation_id] = {
                "operationId": target.operation_id,
                "parameters": parameters,
                "description": f"{target.method.upper()} {target.path} con esta respuesta.",
            }
    return found


def build_spec(app: Flask) -> dict[str, Any]:
    """Walk the URL map and describe every documented view."""
    plugin = MarshmallowPlugin(schema_name_resolver=_schema_name)
    spec = APISpec(
        title=TITLE,
        version=VERSION,
        openapi_version="3.0.3",
        plugins=[plugin],
        info={
            "description": (
                "Horas libres comunes de grupos de estudiantes. Todos los errores son JSON: "
                "{campo: [mensajes]}, con non_field_errors para los que no son de un campo."
            )
        },
    )
    converter = plugin.converter
    assert converter is not None  # set by APISpec's init
    # A field that accepts several JSON types documents them as a oneOf and has no `type` of
    # its own. The mapping is copied first: apispec's class attribute is one dict per process.
    converter.field_mapping = {
        **converter.field_mapping,
        schemas.AcceptsSeveralTypes: (None, None),
    }
    spec.components.schema("Error", ERROR_SCHEMA)
    spec.components.security_scheme(
        "editToken",
        {"type": "http", "scheme": "bearer", "description": "El edit_token de POST /manual."},
    )
    builder = Builder(app, converter)
    everything = builder.documented()
    paths: dict[str, dict[str, Any]] = {}
    for item in everything:
        operation = builder.operation(item)
        for status, entry in links(item, everything).items():
            operation["responses"][str(status)]["links"] = entry
        paths.setdefault(item.path, {})[item.method] = operation
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def openapi_spec(app: Flask) -> dict[str, Any]:
    """The cached document (the URL map does not change after start-up)."""
    cached: dict[str, Any] | None = app.extensions.get(_CACHE_KEY)
    if cached is None:
        cached = app.extensions[_CACHE_KEY] = build_spec(app)
    return cached
