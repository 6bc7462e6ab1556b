"""Registering, reading, replacing and deleting one student's schedule."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from gapfind import messages, schemas
from gapfind.api import calendar_import
from gapfind.api.operations import INVALID, NOT_FOUND, Operation, endpoint
from gapfind.api.operations import Response as Doc
from gapfind.core.grid import schedule_from_indices
from gapfind.core.usernames import username_key
from gapfind.errors import ApiError
from gapfind.persistence import repository
from gapfind.ratelimit import write_limited

bp = Blueprint("schedules", __name__)


def stored_name(username: str) -> str:
    """The stored form of a name from the URL; a name that cannot exist is simply absent."""
    key = username_key(username)
    if key is None:
        raise ApiError.body(messages.USER_NOT_FOUND, 404)
    return key


def edit_token() -> str:
    """The bearer token of the request; its absence is refused before anything else."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ApiError.body(messages.TOKEN_MISSING, 401, {"WWW-Authenticate": "Bearer"})
    return token


def owner_and_token(username: str) -> dict[str, Any]:
    """A token-checked edit's credentials and name, checked in the contract's order: 401 for a
    missing token, then 404 for an impossible name, and only then the body."""
    token = edit_token()
    return {"username": stored_name(username), "token": token}


@bp.post("/manual")
@write_limited
@endpoint(
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
            400: INVALID,
        },
    )
)
def register(data: dict[str, Any]) -> tuple[dict[str, str], int]:
    schedule = schedule_from_indices(data["list_of_indices"])
    token = repository.register_student(data["username"], schedule)
    # Plain dicts, as in gapfind.api.gaps; tests/api/test_response_shapes.py holds them to
    # schemas.RegisterResponse / StudentResponse, which document them.
    return {"username": data["username"], "schedule": schedule, "edit_token": token}, 201


@bp.get("/users/<username>")
@endpoint(
    Operation(
        summary="Consultar un horario",
        tag="Horarios",
        description="El horario de un usuario, para ver si está libre ahora.",
        responses={200: Doc("El horario.", schemas.StudentResponse), 404: NOT_FOUND},
    )
)
def read(username: str) -> dict[str, str]:
    name = stored_name(username)
    schedule = repository.find_schedule(name)
    if schedule is None:
        raise repository.StudentNotFound(name)
    return {"username": name, "schedule": schedule}


@bp.put("/users/<username>")
@write_limited
@endpoint(
    Operation(
        summary="Reemplazar un horario",
        tag="Horarios",
        description="Con JSON, los pares de índices; con multipart/form-data, un calendario "
        "(.ics) en `calendar`, como en POST /register/ics.",
        request=schemas.ScheduleUpdateRequest,
        request_example={"list_of_indices": [[2, 0], [3, 0]]},
        other_requests={calendar_import.MULTIPART: schemas.CalendarReplaceRequest},
        needs_token=True,
        responses={
            200: Doc("El horario nuevo.", schemas.StudentResponse),
            400: INVALID,
            404: NOT_FOUND,
        },
    ),
    before_body=owner_and_token,
    read_other_bodies={calendar_import.MULTIPART: calendar_import.calendar_form},
)
def replace(data: dict[str, Any], username: str, token: str) -> dict[str, str]:
    if "calendar" in data:  # the multipart form: a calendar file
        schedule = calendar_import.imported(data).schedule
    else:
        schedule = schedule_from_indices(data["list_of_indices"])
    repository.replace_schedule(username, token, schedule)
    return {"username": username, "schedule": schedule}


@bp.delete("/users/<username>")
@write_limited
@endpoint(
    Operation(
        summary="Borrar un horario",
        tag="Horarios",
        description="Después de borrarlo, el nombre se puede registrar de nuevo.",
        needs_token=True,
        responses={204: Doc("Borrado."), 404: NOT_FOUND},
    ),
    before_body=owner_and_token,
)
def remove(username: str, token: str) -> Response:
    repository.delete_student(username, token)
    return Response(status=204)
