"""The human reference page at /docs: the OpenAPI document, laid out by a Jinja template.

Self-contained (no scripts, no CDN): it works offline and under the strict
Content-Security-Policy the envelope sends with it. Rendered once per app and cached.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, render_template

from gapfind.api.openapi import TITLE, openapi_spec

_CACHE_KEY = "gapfind.docs_page"


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref:
        return spec["components"]["schemas"][ref.rsplit("/", 1)[-1]]  # type: ignore[no-any-return]
    return schema


def _type_of(prop: dict[str, Any]) -> str:
    if "oneOf" in prop:
        return " | ".join(_type_of(option) for option in prop["oneOf"])
    if "type" not in prop and "enum" in prop:  # e.g. a JSON field that can only be null
        return " | ".join(json.dumps(value) for value in prop["enum"])
    kind = prop.get("type", "objeto")
    if kind == "array":
        return f"lista de {_type_of(prop.get('items', {}))}"
    return str(kind)


def _fields(spec: dict[str, Any], schema: dict[str, Any]) -> list[dict[str, Any]]:
    resolved = _resolve(spec, schema)
    required = set(resolved.get("required", []))
    return [
        {
            "name": name,
            "required": name in required,
            "type": _type_of(prop),
            "description": str(prop.get("description", "")),
        }
        for name, prop in resolved.get("properties", {}).items()
    ]


def _operation(spec: dict[str, Any], path: str, method: str, op: dict[str, Any]) -> dict[str, Any]:
    bodies = [
        {
            "media_type": media_type,
            "fields": _fields(spec, media["schema"]),
            "example": (
                json.dumps(media["example"], ensure_ascii=False) if "example" in media else ""
            ),
        }
        for media_type, media in op.get("requestBody", {}).get("content", {}).items()
    ]
    return {
        "method": method,
        "path": path,
        "summary": op.get("summary", ""),
        "description": op.get("description", ""),
        "needs_token": bool(op.get("security")),
        "query": [
            {
                "name": parameter["name"],
                "required": bool(parameter.get("required")),
                "type": _type_of(parameter.get("schema", {})),
                "description": str(parameter.get("description", "")),
            }
            for parameter in op.get("parameters", [])
            if parameter.get("in") == "query"
        ],
        "bodies": bodies,
        "statuses": [
            (status, response["description"])
            for status, response in op.get("responses", {}).items()
        ],
    }


def docs_html(app: Flask) -> str:
    """The page, rendered on first request and cached (the URL map is fixed after start-up)."""
    cached = app.extensions.get(_CACHE_KEY)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    spec = openapi_spec(app)
    sections: dict[str, list[dict[str, Any]]] = {}
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            tag = (op.get("tags") or ["API"])[0]
            sections.setdefault(tag, []).append(_operation(spec, path, method, op))
    page = render_template(
        "docs.html",
        title=TITLE,
        description=spec["info"].get("description", ""),
        sections=sections,
    )
    app.extensions[_CACHE_KEY] = page
    return page
