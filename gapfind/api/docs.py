"""The OpenAPI 3 document and the human docs page, generated from the views' markers and the
marshmallow schemas that validate the requests and describe the answers.

Built once per app on first request and cached; imported only by the docs endpoints, so apispec
never loads into a worker that only serves the API.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask

from gapfind.api.openapi import Operation

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
        view = app.view_functions.get(rule.endpoint)
        op: Operation | None = getattr(view, "openapi", None)
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
    cached = app.extensions.get(_CACHE_KEY)
    if cached is None:
        cached = app.extensions[_CACHE_KEY] = build_spec(app)
    return cached  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- docs page

_STYLE = """
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
color:#1d232a}
h1{margin-bottom:.2rem}h2{margin-top:2.5rem;border-bottom:1px solid #ddd}
.op{border:1px solid #d6dde4;border-radius:6px;padding:.6rem 1rem;margin:1rem 0}
.m{display:inline-block;min-width:4.5rem;font-weight:700;font-family:monospace}
.get{color:#0a6e31}.post{color:#0b57a4}.put{color:#8a5a00}.delete{color:#a3161a}
code,pre{font-family:ui-monospace,monospace;font-size:13px}
pre{background:#f4f6f8;padding:.6rem;overflow:auto;border-radius:4px}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #eee;padding:.25rem .4rem;
text-align:left;vertical-align:top}
"""


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref:
        return spec["components"]["schemas"][ref.rsplit("/", 1)[-1]]  # type: ignore[no-any-return]
    return schema


def _type_of(prop: dict[str, Any]) -> str:
    if "oneOf" in prop:
        return " | ".join(_type_of(option) for option in prop["oneOf"])
    kind = prop.get("type", "objeto")
    if kind == "array":
        return f"lista de {_type_of(prop.get('items', {}))}"
    return str(kind)


def _fields_table(spec: dict[str, Any], schema: dict[str, Any]) -> str:
    resolved = _resolve(spec, schema)
    props = resolved.get("properties", {})
    if not props:
        return ""
    required = set(resolved.get("required", []))
    rows = "".join(
        f"<tr><td><code>{html.escape(name)}</code>{' *' if name in required else ''}</td>"
        f"<td>{html.escape(_type_of(prop))}</td>"
        f"<td>{html.escape(str(prop.get('description', '')))}</td></tr>"
        for name, prop in props.items()
    )
    return f"<table><tr><th>campo</th><th>tipo</th><th></th></tr>{rows}</table>"


def _operation_html(spec: dict[str, Any], path: str, method: str, op: dict[str, Any]) -> str:
    parts = [
        f'<div class="op"><p><span class="m {method}">{method.upper()}</span>'
        f"<code>{html.escape(path)}</code> — {html.escape(op.get('summary', ''))}</p>"
    ]
    if op.get("description"):
        parts.append(f"<p>{html.escape(op['description'])}</p>")
    if op.get("security"):
        parts.append("<p>Requiere <code>Authorization: Bearer &lt;edit_token&gt;</code>.</p>")
    query = [p for p in op.get("parameters", []) if p.get("in") == "query"]
    if query:
        rows = "".join(
            f"<tr><td><code>{html.escape(p['name'])}</code>{' *' if p.get('required') else ''}"
            f"</td><td>{html.escape(_type_of(p.get('schema', {})))}</td>"
            f"<td>{html.escape(str(p.get('description', '')))}</td></tr>"
            for p in query
        )
        parts.append("<p>Parámetros de la consulta:</p>")
        parts.append(f"<table><tr><th>parámetro</th><th>tipo</th><th></th></tr>{rows}</table>")
    body = op.get("requestBody", {}).get("content", {})
    for media_type, media in body.items():
        parts.append(f"<p>Cuerpo <code>{html.escape(media_type)}</code>:</p>")
        parts.append(_fields_table(spec, media["schema"]))
        if "example" in media:
            example = json.dumps(media["example"], ensure_ascii=False)
            parts.append(f"<pre>{html.escape(example)}</pre>")
    statuses = ", ".join(
        f"<code>{status}</code> {html.escape(response['description'])}"
        for status, response in op.get("responses", {}).items()
    )
    parts.append(f"<p>Respuestas: {statuses}</p></div>")
    return "".join(parts)


def docs_html(app: Flask) -> str:
    """A self-contained reference page (no scripts, no CDN: it works offline and under a
    strict Content-Security-Policy)."""
    cached = app.extensions.get(_CACHE_KEY + ".html")
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    spec = openapi_spec(app)
    sections: dict[str, list[str]] = {}
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            tag = (op.get("tags") or ["API"])[0]
            sections.setdefault(tag, []).append(_operation_html(spec, path, method, op))
    body = "".join(f"<h2>{html.escape(tag)}</h2>{''.join(ops)}" for tag, ops in sections.items())
    page = (
        '<!doctype html><html lang="es"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{TITLE}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{TITLE}</h1><p>{html.escape(spec['info'].get('description', ''))}</p>"
        '<p>Documento OpenAPI 3: <a href="/openapi.json">/openapi.json</a>. '
        "Límite de solicitudes por cliente; al superarlo, 429 con Retry-After.</p>"
        f"{body}</body></html>"
    )
    app.extensions[_CACHE_KEY + ".html"] = page
    return page
