"""Service endpoints: health check and the API documentation (exempt from rate limits)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify

from gapfind import schemas
from gapfind.api.operations import Operation, endpoint
from gapfind.api.operations import Response as Doc
from gapfind.errors import unavailable
from gapfind.persistence.health import check_database
from gapfind.ratelimit import exempt

bp = Blueprint("meta", __name__)


@bp.get("/health")
@exempt
@endpoint(
    Operation(
        summary="Estado del servicio",
        tag="Servicio",
        description=(
            "Comprueba que la base de datos responde y que una escritura podría hacerse ahora."
        ),
        responses={
            200: Doc("Funciona.", schemas.HealthResponse, {"status": "ok"}),
            503: Doc("La base de datos no responde o no admite escrituras.", schemas.ErrorResponse),
        },
    )
)
def health() -> Response:
    try:
        check_database()  # what a write would meet (gapfind.persistence.health)
    except Exception as error:  # any failure to reach the database means "not healthy"
        return unavailable(error, "database (health check)")
    return jsonify(status="ok")


@bp.get("/openapi.json")
@exempt
def openapi_document() -> Response:
    from gapfind.api.openapi import openapi_spec  # apispec loads only when the docs are asked for

    return jsonify(openapi_spec(current_app))


@bp.get("/docs")
@exempt
def docs_page() -> Response:
    from gapfind.api.docs_page import docs_html

    return Response(docs_html(current_app), mimetype="text/html")
