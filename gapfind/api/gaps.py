"""Group endpoints: common gaps of a few classmates, availability of a large group."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app

from gapfind import messages, schemas
from gapfind.api.bodies import FORM_TYPES, analyze_body
from gapfind.api.operations import INVALID, Operation, endpoint
from gapfind.api.operations import Response as Doc
from gapfind.core.availability import SlotAvailability, joined_weekday_availability
from gapfind.core.gaps import Gap, GapOptions, find_gaps
from gapfind.core.grid import DAY_LABELS, HOUR_LABELS
from gapfind.core.usernames import distinct_names, username_key
from gapfind.errors import ApiError
from gapfind.persistence import repository

bp = Blueprint("gaps", __name__)


def check_group_size(usernames: list[str], setting: str) -> None:
    """Refuse a group larger than the setting allows (RESULTS_MAX_USERNAMES, ...)."""
    most = current_app.config[setting]
    if len(usernames) > most:
        raise ApiError.field("usernames", messages.TOO_MANY_USERS.format(limit=most))


def group_schedules(usernames: list[str]) -> list[str]:
    """The schedules of a small group, in the order of its names; every name must be a live
    student, or the answer lists the missing ones. /results and /blocks share it, so a group
    gets the same size limit and the same error for unknown names from both."""
    check_group_size(usernames, "RESULTS_MAX_USERNAMES")
    found = repository.find_schedules(usernames)
    missing = [name for name in usernames if name not in found]
    if missing:
        message = messages.USERS_NOT_FOUND.format(names=", ".join(missing))
        raise ApiError.field("usernames", message)
    return [found[name] for name in usernames]


@bp.post("/results")
@endpoint(
    Operation(
        summary="Huecos comunes de un grupo",
        tag="Grupos",
        description=(
            "Las horas libres comunes de un grupo, de la mejor a la peor: primero las que quedan "
            "entre clases. quality = 1 - (avg - 1) / 12; con compute_sd, "
            "1 - ((avg - 1) + sd) / 18. Empates en orden de hora y luego de día."
        ),
        request=schemas.ResultsRequest,
        request_example={"usernames": ["ana", "bob"], "compute_sd": False, "limit": 5},
        responses={200: Doc("Los huecos.", schemas.ResultsResponse), 400: INVALID},
    )
)
def results(data: dict[str, Any]) -> dict[str, Any]:
    schedules = group_schedules(data["usernames"])
    options = GapOptions(
        compute_sd=data["compute_sd"],
        no_classes_day=data["no_classes_day"],
        ignore_weekend=data["ignore_weekend"],
        limit=data["limit"],
        days_to_filter=data["days_to_filter"] or frozenset(),
    )
    gaps = find_gaps(schedules, options)
    return {"count": len(gaps), "gaps": [gap_json(gap) for gap in gaps]}


# Responses are built as plain dicts: marshmallow's dump of a 45-gap answer cost more CPU than
# the rest of the request. schemas.ResultsResponse / AnalyzeResponse still document them, and
# tests/api/test_response_shapes.py checks every answer against those schemas.
def gap_json(gap: Gap) -> dict[str, Any]:
    """One gap in the contract's shape ("sd" only when it was computed)."""
    hour_index, day_index, avg, quality, sd = gap  # unpacking: no attribute lookups
    body = {
        "day": DAY_LABELS[day_index],
        "hour": HOUR_LABELS[hour_index],
        "avg": avg,
        "quality": quality,
        "day_index": day_index,
        "hour_index": hour_index,
    }
    if sd is not None:
        body["sd"] = sd
    return body


def slot_json(slot: SlotAvailability) -> dict[str, Any]:
    """One weekday hour of /analyze."""
    hour_index, day_index, number_of_students, availability = slot
    return {
        "day_index": day_index,
        "hour_index": hour_index,
        "number_of_students": number_of_students,
        "availability": availability,
    }


@bp.post("/analyze")
@endpoint(
    Operation(
        summary="Disponibilidad de un grupo grande",
        tag="Grupos",
        description=(
            "Cuántos estudiantes están libres en cada hora de lunes a viernes. Los nombres "
            "pueden llegar como lista JSON, texto separado por comas, campos de formulario "
            "repetidos o un archivo de texto (usernames_file); se combinan todas las fuentes. "
            "Los nombres desconocidos se omiten y se listan en users_not_found."
        ),
        request=schemas.AnalyzeRequest,
        other_requests={media_type: schemas.AnalyzeForm for media_type in FORM_TYPES},
        request_example={"usernames": ["ana", "bob", "carla"], "username_to_filter": "ana"},
        responses={200: Doc("La disponibilidad.", schemas.AnalyzeResponse), 400: INVALID},
    ),
    read_body=analyze_body,
    read_other_bodies={media_type: analyze_body for media_type in FORM_TYPES},
)
def analyze(data: dict[str, Any]) -> dict[str, Any]:
    entries = distinct_names(data["usernames"])
    usernames = [key for _, key in entries if key is not None]
    check_group_size(usernames, "ANALYZE_MAX_USERNAMES")

    to_filter = data["username_to_filter"]
    if to_filter is not None:
        to_filter = username_key(to_filter)
        if to_filter is None:
            raise ApiError.field("username_to_filter", messages.FILTER_USER_NOT_FOUND)

    filter_schedule = repository.find_schedule(to_filter) if to_filter else None
    if to_filter and filter_schedule is None:
        raise ApiError.field("username_to_filter", messages.FILTER_USER_NOT_FOUND)

    group = repository.find_group(usernames)
    if group.live_count < 2:
        raise ApiError.field("usernames", messages.TOO_FEW_KNOWN_USERS)
    # Names that cannot exist are reported as given; unknown valid ones as looked up.
    missing = set(group.missing)
    not_found = [key or raw for raw, key in entries if key is None or key in missing]
    slots = joined_weekday_availability(group.joined, filter_schedule)
    return {
        "total_students": group.live_count,
        "users_not_found": not_found,
        "results": [slot_json(slot) for slot in slots],
    }
