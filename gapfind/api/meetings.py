"""Planning a meeting: blocks of consecutive free hours of a group, and a calendar file to keep
one.

/blocks takes its names exactly as /results does (same schema field, same group-size limit and
unknown-names error, through gaps.group_schedules); the ranking is gapfind.core.blocks. The
calendar is written by gapfind.core.meeting_calendar, which loads icalendar on the first
calendar a worker serves, never at start-up.
"""

from __future__ import annotations

from datetime import datetime, timezone
from itertools import filterfalse
from typing import Any

from flask import Blueprint, Response

from gapfind import schemas
from gapfind.api.gaps import group_schedules
from gapfind.api.operations import INVALID, Operation, endpoint
from gapfind.api.operations import Response as Doc
from gapfind.core.blocks import Block, BlockOptions, find_blocks
from gapfind.core.grid import DAY_END_LABEL, DAY_LABELS, HOUR_LABELS
from gapfind.core.meeting_calendar import calendar_document, plan_meeting
from gapfind.timezone import campus_zone

bp = Blueprint("meetings", __name__)

# The label of the moment each slot starts, and of the end of the day after the last one.
BOUNDARY_LABELS = (*HOUR_LABELS, DAY_END_LABEL)
CALENDAR_TYPE = "text/calendar; charset=utf-8"
CALENDAR_DISPOSITION = 'attachment; filename="gapfind.ics"'

BLOCK_EXAMPLE = {
    "count": 1,
    "blocks": [
        {
            "day_index": 0,
            "day": "Lunes",
            "start_hour_index": 2,
            "end_hour_index": 3,
            "start": "8:30 AM",
            "end": "10:30 AM",
            "duration": 2,
            "attendees": 2,
            "free": ["ana", "bob"],
            "missing": ["carla"],
            "avg": 1.5,
            "quality": 0.9583333333333334,
            "calendar_url": "/calendar.ics?day_index=0&start_hour_index=2&duration=2",
        }
    ],
}
CALENDAR_EXAMPLE = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n...\r\nBEGIN:VTIMEZONE\r\nTZID:America/Bogota\r\n..."
    "END:VTIMEZONE\r\nBEGIN:VEVENT\r\nSUMMARY:GapFind\r\n"
    "DTSTART;TZID=America/Bogota:20260302T083000\r\n"
    "DTEND;TZID=America/Bogota:20260302T103000\r\n...\r\n"
    "RRULE:FREQ=WEEKLY;UNTIL=20260623T045959Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


@bp.post("/blocks")
@endpoint(
    Operation(
        summary="Bloques de horas seguidas para reunirse",
        tag="Grupos",
        description=(
            "Bloques de duration horas seguidas de un mismo día en los que al menos quorum "
            "usuarios (por omisión, todos) están libres todo el bloque, con quiénes pueden "
            "(free) y quiénes no (missing). Libre es lo mismo que en /results: una hora sin "
            "clase de un día con clases, o de un día sin clases con no_classes_day. "
            "avg es la distancia media de los asistentes a su clase más cercana, "
            "quality = 1 - (avg - 1) / 12. Orden: más asistentes, mejor quality, hora de "
            "inicio más temprana, día menor. Con duration 1 y el quórum por omisión son "
            "exactamente los huecos de /results (sin compute_sd)."
        ),
        request=schemas.BlocksRequest,
        request_example={"usernames": ["ana", "bob", "carla"], "duration": 2, "quorum": 2},
        responses={
            200: Doc("Los bloques.", schemas.BlocksResponse, BLOCK_EXAMPLE),
            400: INVALID,
        },
    )
)
def blocks(data: dict[str, Any]) -> dict[str, Any]:
    usernames: list[str] = data["usernames"]
    options = BlockOptions(
        duration=data["duration"],
        quorum=data["quorum"],
        no_classes_day=data["no_classes_day"],
        ignore_weekend=data["ignore_weekend"],
        limit=data["limit"],
        days_to_filter=data["days_to_filter"] or frozenset(),
    )
    found = find_blocks(group_schedules(usernames), options)
    return {"count": len(found), "blocks": [block_json(block, usernames) for block in found]}


# A plain dict, like gaps.gap_json, for speed; schemas.BlocksResponse documents it and
# tests/api/test_blocks.py checks real answers against it.
def block_json(block: Block, names: list[str]) -> dict[str, Any]:
    """One block in the contract's shape; `names` are the group's, in request order."""
    day, start, duration, attendees, _, avg, quality = block
    if len(attendees) == len(names):
        free, missing = names, []
    else:  # map and filterfalse run in C: a block lists every member of the group
        free = list(map(names.__getitem__, attendees))
        absent = filterfalse(set(attendees).__contains__, range(len(names)))
        missing = list(map(names.__getitem__, absent))
    return {
        "day_index": day,
        "day": DAY_LABELS[day],
        "start_hour_index": start,
        "end_hour_index": start + duration - 1,
        "start": HOUR_LABELS[start],
        "end": BOUNDARY_LABELS[start + duration],
        "duration": duration,
        "attendees": len(attendees),
        "free": free,
        "missing": missing,
        "avg": avg,
        "quality": quality,
        "calendar_url": (
            f"/calendar.ics?day_index={day}&start_hour_index={start}&duration={duration}"
        ),
    }


@bp.get("/calendar.ics")
@endpoint(
    Operation(
        summary="Archivo de calendario de un bloque, cada semana",
        tag="Grupos",
        description=(
            "Un archivo iCalendar (RFC 5545) con un evento semanal: el primer day_index desde "
            "from, a la hora de inicio del bloque en la zona horaria del campus (con su "
            "VTIMEZONE), duration horas, repetido cada semana hasta until incluido. Se importa "
            "en Google Calendar, Outlook y Apple Calendar. calendar_url de /blocks lo enlaza."
        ),
        query=schemas.CalendarQuery,
        responses={
            200: Doc("El archivo .ics.", None, CALENDAR_EXAMPLE, media_type="text/calendar"),
            400: Doc("Parámetros inválidos; mensajes por parámetro.", schemas.ErrorResponse),
        },
    )
)
def calendar_file(data: dict[str, Any]) -> Response:
    zone = campus_zone()
    now = datetime.now(timezone.utc)
    meeting = plan_meeting(  # InvalidMeeting: a 400 keyed by the parameter (gapfind.errors)
        data["day_index"],
        data["start_hour_index"],
        today=now.astimezone(zone).date(),
        duration=data["duration"],
        title=data["title"],
        first_day=data.get("first_day"),
        last_day=data.get("last_day"),
    )
    response = Response(calendar_document(meeting, zone, now), content_type=CALENDAR_TYPE)
    response.headers["Content-Disposition"] = CALENDAR_DISPOSITION
    return response
