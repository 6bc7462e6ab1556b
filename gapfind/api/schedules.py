"""Registering, reading, replacing and deleting one student's schedule."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, request

from gapfind import messages, repository, schemas
from gapfind.api import calendar_import
from gapfind.api.bodies import json_body
from gapfind.api.openapi import Operation, document
from gapfind.api.openapi import Response as Doc
from gapfind.core.grid import schedule_from_indices
from gapfind.core.usernames import username_key
from gapfind.errors import ApiError
from gapfind.ratelimit import write_limited

bp = Blueprint("schedules", __name__)

register_request = schemas.RegisterRequest()
update_request = schemas.ScheduleUpdateRequest()


ERRORS_400 = Doc("Datos inválidos; mensajes por campo.", schemas.ErrorResponse)
ERRORS_404 = Doc("El usuario no existe.", schemas.ErrorResponse)
AUTH_ERRORS = {
    401: Doc("Falta el encabezado Authorization: Bearer <edit_token>.", schemas.ErrorResponse),
    403: Doc("El token no corresponde a este usuario.", schemas.ErrorResponse),
}


def _lookup_name(username: str) -> str:
    """The stored form of a name from the URL; a name that cannot exist is simply absent."""
    key = username_key(username)
    if key is None:
        raise ApiError.body(messages.USER_NOT_FOUND, 404)
    return key


def _edit_token() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ApiError.body(messages.TOKEN_MISSING, 401, {"WWW-Authenticate": "Bearer"})
    return token


@bp.post("/manual")
@write_limited
@document(
    Operation(
        summary="Registrar un horario",
        tag="Horarios",
        description="Guarda el horario de un usuario nuevo y devuelve su token de edición.",
        request=schemas.RegisterRequest,
        request_example={"username": "ana", "list_of_indices": [[0, 1], [1, 1]]},
        responses={
            201: Doc(
                "Registrado. Guarda el edit_token: no se vuelve a mostrar.",
                schemas.RegisterResponse,
            ),
            400: ERRORS_400,
        },
    )
)
def register() -> tuple[dict[str, str], int]:
    data = register_request.load(json_body())
    schedule = schedule_from_indices(data["list_of_indices"])
    try:
        token = repository.register_student(data["username"], schedule)
    except repository.UsernameTaken as error:
        raise ApiError.field("username", messages.USERNAME_TAKEN) from error
    # Plain dicts, as in gapfind.api.gaps; tests/api/test_response_shapes.py holds them to
    # schemas.RegisterResponse / StudentResponse, which document them.
    return {"username": data["username"], "schedule": schedule, "edit_token": token}, 201


@bp.get("/users/<username>")
@document(
    Operation(
        summary="Consultar un horario",
        tag="Horarios",
        description="El horario de un usuario, para ver si está libre ahora.",
        responses={200: Doc("El horario.", schemas.StudentResponse), 404: ERRORS_404},
    )
)
def read(username: str) -> dict[str, str]:
    name = _lookup_name(username)
    schedule = repository.find_schedule(name)
    if schedule is None:
        raise ApiError.body(messages.USER_NOT_FOUND, 404)
    return {"username": name, "schedule": schedule}


@bp.put("/users/<username>")
@write_limited
@document(
    Operation(
        summary="Reemplazar un horario",
        tag="Horarios",
        request=schemas.ScheduleUpdateRequest,
        request_example={"list_of_indices": [[2, 0], [3, 0]]},
        # issue 12: or a calendar file, as multipart/form-data
        other_requests={"multipart/form-data": schemas.CalendarReplaceRequest},
        needs_token=True,
        responses={
            200: Doc("El horario nuevo.", schemas.StudentResponse),
            400: ERRORS_400,
            **AUTH_ERRORS,
            404: ERRORS_404,
        },
    )
)
def replace(username: str) -> dict[str, str]:
    token = _edit_token()
    name = _lookup_name(username)
    # issue 12: a multipart body carries a calendar file (`calendar`, optional `week_of`).
    schedule = calendar_import.schedule_from_calendar_form()
    if schedule is None:
        data = update_request.load(json_body())
        schedule = schedule_from_indices(data["list_of_indices"])
    _authorized(repository.replace_schedule, name, token, schedule)
    return {"username": name, "schedule": schedule}


@bp.delete("/users/<username>")
@write_limited
@document(
    Operation(
        summary="Borrar un horario",
        tag="Horarios",
        description="Después de borrarlo, el nombre se puede registrar de nuevo.",
        needs_token=True,
        responses={204: Doc("Borrado."), **AUTH_ERRORS, 404: ERRORS_404},
    )
)
def remove(username: str) -> Response:
    token = _edit_token()
    name = _lookup_name(username)
    _authorized(repository.delete_student, name, token)
    return Response(status=204)


def _authorized(action: Callable[..., None], *args: str) -> None:
    """Run a token-checked repository write, mapping its refusals to 404 / 403."""
    try:
        action(*args)
    except repository.StudentNotFound as error:
        raise ApiError.body(messages.USER_NOT_FOUND, 404) from error
    except repository.TokenMismatch as error:
        raise ApiError.body(messages.TOKEN_WRONG, 403) from error
