"""Timetables from calendar files (.ics): register one, preview one, or replace a schedule.

The mapping itself is gapfind.core.timetable_import (pure, and the only place the iCalendar
libraries are imported, on first use). Here: the multipart form, the size limit, the campus
zone and the settings, and the contract's answers and errors (calendar problems under
`calendar`, a bad date under `week_of`, the username as POST /manual checks it).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, request

from gapfind import messages, schemas
from gapfind.api.bodies import FORM_TYPES, form_data, uploaded
from gapfind.api.operations import Operation, endpoint
from gapfind.api.operations import Response as Doc
from gapfind.core.grid import indices_from_schedule
from gapfind.core.timetable_import import (
    CalendarProblem,
    IgnoredReason,
    ImportLimits,
    TimetableImport,
    import_timetable,
)
from gapfind.errors import ApiError
from gapfind.persistence import repository
from gapfind.ratelimit import write_limited
from gapfind.timezone import campus_zone

bp = Blueprint("calendar_import", __name__)

MULTIPART = "multipart/form-data"

CALENDAR_ERRORS = Doc(
    "Datos inválidos; mensajes por campo. En `calendar`: falta el archivo, pesa más de "
    "ICS_MAX_FILE_BYTES, no es texto UTF-8, no es iCalendar, no tiene eventos, tiene un evento "
    "inválido o una repetición que no es de un horario, tiene más de ICS_MAX_OCCURRENCES "
    "repeticiones en las semanas revisadas, o no tiene clases dentro del horario. En "
    "`week_of`: la fecha no es AAAA-MM-DD.",
    schemas.ErrorResponse,
    {"calendar": [messages.CALENDAR_MESSAGES[CalendarProblem.NO_CLASSES]]},
)
FORM_DESCRIPTION = (
    "Cuerpo multipart/form-data con el archivo en `calendar` (curl -F calendar=@clases.ics). "
    "Las horas se pasan a la zona horaria del campus. Cada evento marca las horas de la grilla "
    "que toca (6:30 AM a 8:30 PM); los de todo el día, cancelados, marcados como libres o "
    "fuera de ese horario no marcan nada y se listan en `ignored`, como los que no tienen "
    "clases en la semana elegida."
)
IGNORED_EXAMPLE = [
    {
        "summary": "Semana de inducción",
        "reason": messages.IGNORED_REASONS[IgnoredReason.ALL_DAY],
    }
]


def calendar_form() -> dict[str, Any]:
    """The form's fields for the schemas: `calendar` as bytes (file part or text field).

    multipart/form-data is what carries a file; an urlencoded form (a form without its file,
    `curl --data-urlencode calendar@clases.ics`) is read too, so a missing file is reported as
    a missing field."""
    media_type = (request.mimetype or "").lower()
    if media_type not in FORM_TYPES:
        message = messages.BODY_MEDIA_TYPE_CALENDAR.format(media_type=media_type or "ninguno")
        raise ApiError.body(message)
    fields, files = form_data(media_type)
    data: dict[str, Any] = {key: fields[key][0] for key in ("username", "week_of") if key in fields}
    calendar = uploaded(fields, files, "calendar")
    if calendar is not None:
        data["calendar"] = calendar
    return data


def imported(data: dict[str, Any]) -> TimetableImport:
    """The core's import of the loaded form, with the settings; its refusals keyed `calendar`."""
    calendar: bytes = data["calendar"]
    most = current_app.config["ICS_MAX_FILE_BYTES"]
    if len(calendar) > most:
        message = messages.FILE_TOO_LARGE.format(size=messages.human_size(most))
        raise ApiError.field("calendar", message)
    limits = ImportLimits(max_occurrences=current_app.config["ICS_MAX_OCCURRENCES"])
    # CalendarImportError: a 400 keyed `calendar` (gapfind.errors)
    return import_timetable(calendar, campus_zone(), data["week_of"], limits)


def ignored_json(result: TimetableImport) -> list[dict[str, str]]:
    return [
        {"summary": item.summary, "reason": messages.IGNORED_REASONS[item.reason]}
        for item in result.ignored
    ]


@bp.post("/ics/preview")
@endpoint(
    Operation(
        summary="Vista previa de un horario desde un calendario (.ics)",
        tag="Horarios",
        description=FORM_DESCRIPTION + " No guarda nada: sirve para mostrar la grilla y "
        "corregirla antes de registrarla con /manual.",
        request=schemas.CalendarPreviewRequest,
        request_media_types=(MULTIPART,),
        responses={
            200: Doc(
                "La semana importada.",
                schemas.CalendarPreviewResponse,
                {
                    "schedule": "11" + "0" * 96,
                    "list_of_indices": [[0, 0], [0, 1]],
                    "week_of": "2025-02-03",
                    "ignored": IGNORED_EXAMPLE,
                },
            ),
            400: CALENDAR_ERRORS,
        },
    ),
    read_body=calendar_form,
)
def preview(data: dict[str, Any]) -> dict[str, Any]:
    result = imported(data)
    return {
        "schedule": result.schedule,
        "list_of_indices": [list(pair) for pair in indices_from_schedule(result.schedule)],
        "week_of": result.week_of.isoformat(),
        "ignored": ignored_json(result),
    }


@bp.post("/register/ics")
@write_limited
@endpoint(
    Operation(
        summary="Registrar un horario desde un calendario (.ics)",
        tag="Horarios",
        description=FORM_DESCRIPTION + " Guarda el horario como POST /manual (mismas reglas "
        "para el nombre) y devuelve el token de edición.",
        request=schemas.CalendarRegisterRequest,
        request_media_types=(MULTIPART,),
        responses={
            201: Doc(
                "Registrado. Guarda el edit_token: no se vuelve a mostrar.",
                schemas.CalendarRegisterResponse,
            ),
            400: CALENDAR_ERRORS,
        },
    ),
    read_body=calendar_form,
)
def register(data: dict[str, Any]) -> tuple[dict[str, Any], int]:
    result = imported(data)
    token = repository.register_student(data["username"], result.schedule)
    body = {
        "username": data["username"],
        "schedule": result.schedule,
        "edit_token": token,
        "week_of": result.week_of.isoformat(),
        "ignored": ignored_json(result),
    }
    return body, 201
