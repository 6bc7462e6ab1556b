"""Request and response schemas, and every Spanish message the API sends.

The request schemas validate what views receive and the response schemas describe what they
answer; the OpenAPI document is generated from both, and tests check every real answer against
its response schema, so the docs cannot drift from the behaviour. The
messages are part of the public contract (the web client shows them verbatim): change none of
them without changing the contract.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from gapfind.core import grid
from gapfind.core.grid import validate_indices as core_validate_indices
from gapfind.core.meeting_calendar import DEFAULT_TITLE, TITLE_MAX_LENGTH, title_problem
from gapfind.core.usernames import (
    STORED_USERNAME_SCHEMA_PATTERN,
    USERNAME_MAX_LENGTH,
    USERNAME_SCHEMA_PATTERN,
    normalize_username,
    username_keys,
    username_problem,
)
from gapfind.messages import (
    BAD_BLOCKS_LIMIT,
    BAD_CALENDAR_DATE,
    BAD_DAY_INDEX,
    BAD_DAYS_TO_FILTER,
    BAD_DURATION,
    BAD_LIMIT,
    BAD_QUORUM,
    BAD_START_HOUR_INDEX,
    IGNORED_REASONS,
    INDICES_MESSAGES,
    LISTED_USERNAME_MESSAGES,
    NO_USERNAME_SOURCE,
    NOT_A_BOOLEAN,
    NOT_A_LIST,
    NOT_A_STRING,
    NOT_AN_OBJECT,
    NULL,
    REQUIRED,
    SCHEDULE_LENGTH,
    SCHEDULE_MARKS,
    TITLE_MESSAGES,
    TOO_FEW_USERS,
    USERNAME_MESSAGES,
    WEEK_OF_INVALID,
)

BASE_ERRORS = {"required": REQUIRED, "null": NULL}


# Python refuses to convert decimal strings of more than 4300 digits (ValueError; see
# sys.get_int_max_str_digits) and its conversion is quadratic well before that: a client's
# 5000-digit "limit" must be a number like any other, not a 500 or a slow request.
MAX_DECIMAL_DIGITS = 640
HUGE = 2**64  # stands for any number beyond every range the API checks


def parse_decimal(digits: str) -> int:
    """int(digits) for a validated string of decimal digits, of any length."""
    return int(digits) if len(digits) <= MAX_DECIMAL_DIGITS else HUGE


class ApiSchema(Schema):
    """Unknown keys are ignored (older clients send extras); errors are in Spanish."""

    class Meta:
        unknown = EXCLUDE

    error_messages = {"type": NOT_AN_OBJECT}


# --------------------------------------------------------------------------- documentation
# What the OpenAPI document says each field accepts, derived from the core's constants. Clients
# generate code from the document, so it states the parsers' real rules (tests/api/test_openapi.py
# sends each documented edge through the API).

# A valid username, in JSON Schema terms.
USERNAME_DOC = {
    "pattern": USERNAME_SCHEMA_PATTERN,
    "minLength": 1,
    "maxLength": USERNAME_MAX_LENGTH,
}
HOUR_INDEX_DOC = {"minimum": 0, "maximum": grid.HOURS_PER_DAY - 1}
DAY_INDEX_DOC = {"minimum": 0, "maximum": grid.DAYS_PER_WEEK - 1}
# Around a numeric string, the white space str.strip removes that JSON Schema can name.
_SPACE = r"[ \t\n\r\f\v]*"
# Ranges are spelt out value by value (the API's are 0..6, 0..13, 1..14, >= 1, >= 2): past this
# many values a pattern would say more than it helps.
_MOST_SPELT_OUT = 1000


def decimal_pattern(minimum: int, maximum: int | None) -> str:
    """The numeric strings WholeNumber reads as minimum..maximum (or more), as a JSON Schema
    pattern: decimal digits (leading zeros allowed) with optional white space around."""
    if maximum is None:
        digits = len(str(minimum))
        top = 10**digits - 1  # and any number of more digits
    else:
        top = maximum
    if top - minimum >= _MOST_SPELT_OUT:
        return f"^{_SPACE}[0-9]+{_SPACE}$"
    values = [str(value) for value in range(top, minimum - 1, -1)]
    if maximum is None:
        values.insert(0, f"[1-9][0-9]{{{digits},}}")
    return f"^{_SPACE}0*(?:{'|'.join(values)}){_SPACE}$"


class AcceptsSeveralTypes:
    """Marks a field whose JSON may be of several types (its metadata gives the `oneOf`): the
    OpenAPI builder gives such a field no single `type` of its own."""


# --------------------------------------------------------------------------- custom fields


class Username(fields.String):
    """A single username: validated by the core rules, returned lowercase."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["metadata"] = {**USERNAME_DOC, **kwargs.get("metadata", {})}
        super().__init__(error_messages={**BASE_ERRORS, "invalid": NOT_A_STRING}, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        name = super()._deserialize(value, attr, data, **kwargs)
        problem = username_problem(name)
        if problem is not None:
            raise ValidationError(USERNAME_MESSAGES[problem])
        return normalize_username(name)


class IndexPairs(fields.List[list[int | None]]):
    """list_of_indices: [[hour_index, day_index], ...] checked by the core, duplicates collapse."""

    def __init__(self, **kwargs: Any) -> None:
        # OpenAPI 3.0 has no per-position item schemas: `items` bounds both numbers by the hours'
        # range, and x-prefixItems (JSON Schema 2020-12's keyword) gives each position its own.
        pair = fields.List(
            fields.Integer(metadata=HOUR_INDEX_DOC),
            metadata={
                "description": (
                    f"[índice de la hora 0..{grid.HOURS_PER_DAY - 1}, "
                    f"índice del día 0..{grid.DAYS_PER_WEEK - 1}]; enteros JSON, no booleanos."
                ),
                "minItems": 2,
                "maxItems": 2,
                "x-prefixItems": [
                    {"type": "integer", **HOUR_INDEX_DOC},
                    {"type": "integer", **DAY_INDEX_DOC},
                ],
            },
        )
        metadata = {
            "description": (
                f"Pares [índice de la hora 0..{grid.HOURS_PER_DAY - 1}, índice del día "
                f"0..{grid.DAYS_PER_WEEK - 1}] con clase; a lo sumo {grid.SLOT_COUNT} pares "
                "contando los repetidos, que cuentan una vez."
            ),
            "minItems": 1,
            "maxItems": grid.SLOT_COUNT,
            "example": [[0, 1], [1, 1]],
        }
        super().__init__(pair, error_messages=BASE_ERRORS, metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        try:
            return core_validate_indices(value)
        except grid.InvalidIndices as error:
            raise ValidationError(INDICES_MESSAGES[error.problem]) from error


class UsernameList(fields.List[str]):
    """A group of names: each checked, lowercased, duplicates collapsed in first-seen order."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            fields.String(metadata=USERNAME_DOC),
            error_messages={**BASE_ERRORS, "invalid": NOT_A_LIST},
            **kwargs,
        )

    # marshmallow types a List's result as its items' values, each possibly None; this one
    # returns checked, distinct names (the list is only documented as items of strings).
    def _deserialize(  # type: ignore[override]
        self, value: Any, attr: str | None, data: Any, **kwargs: Any
    ) -> list[str]:
        if not isinstance(value, list):
            raise ValidationError(NOT_A_LIST)
        if all(isinstance(raw, str) for raw in value):
            keys = username_keys(value)  # every name at once; the loop below explains errors
            if None not in keys:
                return self._at_least_two({key: None for key in keys if key is not None})
        problems: list[str] = []
        names: dict[str, None] = {}
        for raw in value:
            if not isinstance(raw, str):
                problems.append(NOT_A_STRING)
                continue
            problem = username_problem(raw)
            if problem is None:
                names[normalize_username(raw)] = None
            else:
                problems.append(LISTED_USERNAME_MESSAGES[problem].format(name=raw))
        if problems:
            raise ValidationError(list(dict.fromkeys(problems)))
        return self._at_least_two(names)

    @staticmethod
    def _at_least_two(names: dict[str, None]) -> list[str]:
        if len(names) < 2:
            raise ValidationError(TOO_FEW_USERS)
        return list(names)


class WholeNumber(AcceptsSeveralTypes, fields.Integer):
    """An integer from `minimum` (to `maximum`); clients send a number or a numeric string (a
    query string only has strings), and every way of getting it wrong has the one message."""

    def __init__(
        self, message: str, minimum: int, maximum: int | None = None, **kwargs: Any
    ) -> None:
        bounds = (
            {"minimum": minimum} if maximum is None else {"minimum": minimum, "maximum": maximum}
        )
        number: dict[str, Any] = {"type": "integer", **bounds}
        if kwargs.get("allow_none"):
            number["nullable"] = True
        text = {"type": "string", "pattern": decimal_pattern(minimum, maximum)}
        # The bounds stay beside the oneOf too: JSON Schema applies them to numbers only, and
        # readers that look for them there find them.
        metadata = {**bounds, "oneOf": [number, text], **kwargs.pop("metadata", {})}
        super().__init__(
            error_messages={**BASE_ERRORS, "invalid": message}, metadata=metadata, **kwargs
        )
        self.message = message
        self.minimum = minimum
        self.maximum = maximum

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool):
            raise ValidationError(self.message)
        if isinstance(value, str):
            value = value.strip()
            if not value.isdecimal():
                raise ValidationError(self.message)
            number = parse_decimal(value)
        elif isinstance(value, int):
            number = value
        elif isinstance(value, float) and value.is_integer():
            number = int(value)
        else:
            raise ValidationError(self.message)
        if number < self.minimum or (self.maximum is not None and number > self.maximum):
            raise ValidationError(self.message)
        return number


class GroupLimit(WholeNumber):
    """How many gaps (or blocks) to return; null or absent means all of them."""

    def __init__(self, minimum: int = 2, message: str = BAD_LIMIT, **kwargs: Any) -> None:
        super().__init__(
            message,
            minimum,
            allow_none=True,
            load_default=None,
            metadata={
                "description": (
                    f"Cuántos devolver como máximo: un entero >= {minimum} (también "
                    f"{minimum}.0), o el mismo número como texto (el cliente GFind lo envía "
                    "así); null: todos."
                ),
                "example": 10,
            },
            **kwargs,
        )


class DayIndices(fields.List[int]):
    """days_to_filter: 1..7 day indices (0 = Lunes); duplicates collapse."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            fields.Integer(metadata=DAY_INDEX_DOC),
            allow_none=True,
            load_default=None,
            error_messages={**BASE_ERRORS, "invalid": NOT_A_LIST},
            metadata={
                "description": "Días sin huecos (0 = Lunes); los repetidos cuentan una vez.",
                "minItems": 1,
                "maxItems": grid.DAYS_PER_WEEK,
                "example": [5, 6],
            },
            **kwargs,
        )

    # Documented as a list of day indices; loaded as the set of them (duplicates collapse).
    def _deserialize(  # type: ignore[override]
        self, value: Any, attr: str | None, data: Any, **kwargs: Any
    ) -> frozenset[int]:
        if not isinstance(value, list):
            raise ValidationError(NOT_A_LIST)
        if not 1 <= len(value) <= 7:
            raise ValidationError(BAD_DAYS_TO_FILTER)
        for day in value:
            if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6:
                raise ValidationError(BAD_DAY_INDEX)
        return frozenset(value)


class Flag(AcceptsSeveralTypes, fields.Boolean):
    """A boolean option as marshmallow reads it: besides true/false, its usual spellings."""


# The spellings marshmallow's Boolean reads besides true and false, as the document lists them.
FLAG_STRINGS = sorted(v for v in Flag.truthy | Flag.falsy if isinstance(v, str))
FLAG_NUMBERS = sorted(v for v in Flag.truthy | Flag.falsy if isinstance(v, int))


def boolean(default: bool, description: str) -> fields.Boolean:
    """An optional flag; null means the default, as the old clients sometimes send it."""
    return Flag(
        load_default=default,
        allow_none=True,
        error_messages={**BASE_ERRORS, "invalid": NOT_A_BOOLEAN},
        metadata={
            "description": (
                f"{description} null: el valor por defecto. También se aceptan 1/0 y los "
                'textos "true"/"false", "yes"/"no", "on"/"off", "t"/"f", "y"/"n", "1"/"0".'
            ),
            "default": default,
            "oneOf": [
                {"type": "boolean", "nullable": True},
                {"type": "string", "enum": FLAG_STRINGS},
                {"type": "number", "enum": FLAG_NUMBERS},
            ],
        },
    )


class UsernameSource(AcceptsSeveralTypes, fields.Field[list[str]]):
    """/analyze names: a JSON list, a comma-separated string, or repeated form fields.

    Names are trimmed here (a hand-typed "ana, bob" is normal) and kept as given otherwise:
    the view decides which are valid, because invalid ones are reported, not rejected.
    """

    JSON_DOC = {
        "description": (
            "Nombres (los inválidos o desconocidos se listan en users_not_found): una lista, o "
            "un texto de nombres separados por comas; null: ninguno."
        ),
        "oneOf": [
            {"type": "array", "items": {"type": "string"}, "nullable": True},
            {"type": "string", "description": "Nombres separados por comas"},
        ],
        "example": ["ana", "bob", "carla"],
    }
    # In a form, a repeatable field: OpenAPI's array of strings, one part per value.
    FORM_DOC = {
        "type": "array",
        "items": {"type": "string"},
        "description": "Campo repetible; cada valor, nombres separados por comas.",
    }

    def __init__(
        self, *, metadata: dict[str, Any] | None = None, allow_none: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(
            load_default=list,
            allow_none=allow_none,
            error_messages={**BASE_ERRORS, "invalid": NOT_A_LIST},
            metadata=self.JSON_DOC if metadata is None else metadata,
            **kwargs,
        )

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[str]:
        items = value if isinstance(value, list) else [value]
        names: list[str] = []
        for item in items:
            if not isinstance(item, str):
                raise ValidationError(NOT_A_STRING)
            names.extend(part.strip() for part in item.split(","))
        return [name for name in names if name]


# --------------------------------------------------------------------------- stored weeks
# (begin: the 98-mark form a week is stored in; `flask users import` reads weeks in this form)


class StoredSchedule(fields.String):
    """A week as the table stores it: 98 marks '0'/'1', checked by the core's grid.is_schedule."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(error_messages={**BASE_ERRORS, "invalid": NOT_A_STRING}, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        schedule = super()._deserialize(value, attr, data, **kwargs)
        if grid.is_schedule(schedule):
            return schedule
        if len(schedule) != grid.SLOT_COUNT:
            raise ValidationError(SCHEDULE_LENGTH.format(length=len(schedule)))
        raise ValidationError(SCHEDULE_MARKS)


# (end: stored weeks)
# --------------------------------------------------------------------------- requests


class RegisterRequest(ApiSchema):
    """POST /manual."""

    username = Username(required=True, metadata={"example": "ana"})
    list_of_indices = IndexPairs(required=True)


class ScheduleUpdateRequest(ApiSchema):
    """PUT /users/<username>."""

    list_of_indices = IndexPairs(required=True)


class ResultsRequest(ApiSchema):
    """POST /results."""

    usernames = UsernameList(
        required=True,
        metadata={
            "description": (
                "Al menos dos nombres distintos sin contar mayúsculas; el servidor fija cuántos "
                "a lo sumo (RESULTS_MAX_USERNAMES, 500 por defecto)."
            ),
            "minItems": 2,
            "example": ["ana", "bob", "carla"],
        },
    )
    compute_sd = boolean(False, "Penaliza los huecos con distancias dispares entre los usuarios.")
    no_classes_day = boolean(False, "Cuenta un día sin clases como disponible.")
    ignore_weekend = boolean(
        True, "Con no_classes_day, cuenta solo de lunes a viernes los días sin clases."
    )
    limit = GroupLimit()
    days_to_filter = DayIndices()

    @post_load
    def _defaults_for_null(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        for name, default in (("compute_sd", False), ("no_classes_day", False)):
            if data.get(name) is None:
                data[name] = default
        if data.get("ignore_weekend") is None:
            data["ignore_weekend"] = True
        return data


class AnalyzeRequest(ApiSchema):
    """POST /analyze (JSON or multipart/form-data)."""

    usernames = UsernameSource()
    extra_usernames = UsernameSource()
    # In JSON only null: a file arrives as multipart (AnalyzeForm); gapfind.api.bodies reads it
    # into the list of lines this field then carries.
    usernames_file = fields.Raw(
        load_default=None,
        metadata={
            "enum": [None],
            "description": "Solo con multipart/form-data; en JSON solo puede ser null.",
        },
    )
    username_to_filter = fields.String(
        load_default=None,
        allow_none=True,
        error_messages={**BASE_ERRORS, "invalid": NOT_A_STRING},
        metadata={
            "description": (
                "Omite las horas en que este usuario tiene clase; debe estar registrado. "
                "Vacío o null: sin filtro."
            )
        },
    )

    @post_load
    def _merge_sources(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        names = [*(data["usernames"] or ()), *(data["extra_usernames"] or ())]
        names.extend(data.get("usernames_file") or ())
        if not names:
            raise ValidationError(NO_USERNAME_SOURCE, field_name="non_field_errors")
        to_filter = (data.get("username_to_filter") or "").strip()
        return {"usernames": names, "username_to_filter": to_filter or None}


class AnalyzeForm(AnalyzeRequest):
    """POST /analyze as multipart/form-data or an urlencoded form: gapfind.api.bodies reads the
    form into AnalyzeRequest's input, which this schema loads the same way; only what the
    document says differs (repeatable fields, a file)."""

    usernames = UsernameSource(metadata=UsernameSource.FORM_DOC, allow_none=False)
    extra_usernames = UsernameSource(metadata=UsernameSource.FORM_DOC, allow_none=False)
    usernames_file = fields.Raw(
        metadata={
            "type": "string",
            "format": "binary",
            "description": (
                "Archivo de texto UTF-8, un usuario por línea (o ese texto como campo "
                "simple); a lo sumo ANALYZE_MAX_FILE_BYTES (64 KiB por defecto)."
            ),
        },
    )
    username_to_filter = fields.String(
        metadata={"description": "Omite las horas en que este usuario tiene clase."}
    )


# --------------------------------------------------------------------------- responses
# Every answer has all its fields (only "sd" of a gap is optional) and nothing else: the
# validators are the document's patterns and ranges, and tests/api/test_response_shapes.py loads
# real answers with these schemas.

SCHEDULE_PATTERN = f"^[01]{{{grid.SLOT_COUNT}}}$"
# secrets.token_urlsafe: base64url without padding, usable as an HTTP bearer token as it is.
EDIT_TOKEN_PATTERN = "^[A-Za-z0-9_-]+$"


def stored_username(**metadata: Any) -> fields.String:
    return fields.String(
        required=True,
        validate=[
            validate.Length(1, USERNAME_MAX_LENGTH),
            validate.Regexp(STORED_USERNAME_SCHEMA_PATTERN),
        ],
        metadata={"example": "ana", **metadata},
    )


def schedule_string() -> fields.String:
    return fields.String(
        required=True,
        validate=[validate.Length(equal=grid.SLOT_COUNT), validate.Regexp(SCHEDULE_PATTERN)],
        metadata={
            "description": (
                f"{grid.SLOT_COUNT} caracteres '0'/'1' (1 = clase); posición = índice de la hora * "
                f"{grid.DAYS_PER_WEEK} + índice del día."
            ),
            "example": "01" + "0" * (grid.SLOT_COUNT - 2),
        },
    )


def index(most: int) -> fields.Integer:
    return fields.Integer(required=True, strict=True, validate=validate.Range(0, most))


def count_field(least: int = 0, description: str = "") -> fields.Integer:
    """A count in an answer: always there, a JSON integer, at least `least`."""
    metadata = {"description": description} if description else {}
    return fields.Integer(
        required=True, strict=True, validate=validate.Range(min=least), metadata=metadata
    )


def edit_token_string() -> fields.String:
    return fields.String(
        required=True,
        validate=[validate.Length(min=1), validate.Regexp(EDIT_TOKEN_PATTERN)],
        metadata={"description": "Secreto para editar o borrar el horario; solo se muestra aquí."},
    )


class RegisterResponse(Schema):
    username = stored_username(description="El nombre en minúsculas, como se guarda.")
    schedule = schedule_string()
    edit_token = edit_token_string()


class StudentResponse(Schema):
    username = stored_username()
    schedule = schedule_string()


class GapResponse(Schema):
    day = fields.String(required=True, validate=validate.OneOf(grid.DAY_LABELS))
    hour = fields.String(required=True, validate=validate.OneOf(grid.HOUR_LABELS))
    avg = fields.Float(
        required=True, metadata={"description": "Distancia media a la clase más cercana."}
    )
    quality = fields.Float(
        required=True, metadata={"description": "Mayor es mejor; 1: justo entre clases."}
    )
    day_index = index(grid.DAYS_PER_WEEK - 1)
    hour_index = index(grid.HOURS_PER_DAY - 1)
    sd = fields.Float(metadata={"description": "Solo con compute_sd."})


class ResultsResponse(Schema):
    count = count_field(description="Cuántos huecos hay en gaps.")
    gaps = fields.List(fields.Nested(GapResponse), required=True)


class SlotAvailabilityResponse(Schema):
    day_index = index(grid.WEEKDAY_COUNT - 1)
    hour_index = index(grid.HOURS_PER_DAY - 1)
    number_of_students = count_field()
    availability = fields.Float(required=True, validate=validate.Range(0, 1))


class AnalyzeResponse(Schema):
    total_students = count_field(2, "Estudiantes registrados del grupo.")
    users_not_found = fields.List(fields.String(), required=True)
    results = fields.List(
        fields.Nested(SlotAvailabilityResponse),
        required=True,
        validate=validate.Length(max=grid.HOURS_PER_DAY * grid.WEEKDAY_COUNT),
    )


class HealthResponse(Schema):
    status = fields.String(required=True, validate=validate.OneOf(["ok"]))


class ErrorResponse(Schema):
    """Every error: field name (or non_field_errors) -> list of Spanish messages."""

    non_field_errors = fields.List(fields.String())


# --------------------------------------------------------------------------- calendar files
# Timetables imported from calendar files: POST /register/ics, POST /ics/preview and the
# multipart form of PUT /users/<username> (gapfind/api/calendar_import.py).

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class WeekOf(fields.Field[date | None]):
    """week_of: optional "YYYY-MM-DD"; an empty form field means "not given"."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            load_default=None,
            allow_none=True,
            error_messages={**BASE_ERRORS},
            metadata={
                "type": "string",
                "format": "date",
                "description": (
                    "Un día de la semana que se importa (lunes a domingo). Sin él, la semana "
                    "con más horas de clase."
                ),
                "example": "2025-02-03",
            },
            **kwargs,
        )

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, str):
            raise ValidationError(WEEK_OF_INVALID)
        value = value.strip()
        if not value:
            return None
        if not _ISO_DAY.fullmatch(value):
            raise ValidationError(WEEK_OF_INVALID)
        try:
            return date.fromisoformat(value)
        except ValueError as error:
            raise ValidationError(WEEK_OF_INVALID) from error


def calendar_file() -> fields.Raw:
    return fields.Raw(
        required=True,
        error_messages={**BASE_ERRORS},
        metadata={
            "type": "string",
            "format": "binary",
            "description": (
                "El archivo .ics exportado de Google Calendar, Outlook, Apple Calendar o el "
                "portal de la universidad (UTF-8)."
            ),
        },
    )


class CalendarPreviewRequest(ApiSchema):
    """POST /ics/preview (multipart/form-data)."""

    calendar = calendar_file()
    week_of = WeekOf()


class CalendarRegisterRequest(ApiSchema):
    """POST /register/ics (multipart/form-data)."""

    username = Username(required=True, metadata={"example": "ana", "maxLength": 30})
    calendar = calendar_file()
    week_of = WeekOf()


class CalendarReplaceRequest(CalendarPreviewRequest):
    """PUT /users/<username> as multipart/form-data: the schedule from a calendar file."""


class IgnoredEventResponse(Schema):
    summary = fields.String(required=True, metadata={"example": "Semana de inducción"})
    reason = fields.String(
        required=True,
        validate=validate.OneOf(list(IGNORED_REASONS.values())),
        metadata={"example": "Evento de todo el día"},
    )


def week_of_string() -> fields.String:
    return fields.String(
        required=True,
        metadata={"format": "date", "description": "El lunes de la semana importada."},
    )


def ignored_events() -> fields.List[dict[str, str]]:
    return fields.List(
        fields.Nested(IgnoredEventResponse),
        required=True,
        metadata={"description": "Eventos del calendario que no marcan horas, y por qué."},
    )


class CalendarPreviewResponse(Schema):
    schedule = schedule_string()
    list_of_indices = fields.List(
        fields.List(
            fields.Integer(strict=True, metadata=HOUR_INDEX_DOC),
            validate=validate.Length(2, 2),
            metadata={
                "x-prefixItems": [
                    {"type": "integer", **HOUR_INDEX_DOC},
                    {"type": "integer", **DAY_INDEX_DOC},
                ]
            },
        ),
        required=True,
        validate=validate.Length(max=grid.SLOT_COUNT),
        metadata={"description": "Los pares [hora, día] con clase, como los recibe /manual."},
    )
    week_of = week_of_string()
    ignored = ignored_events()


class CalendarRegisterResponse(Schema):
    username = stored_username(description="El nombre en minúsculas, como se guarda.")
    schedule = schedule_string()
    edit_token = edit_token_string()
    week_of = week_of_string()
    ignored = ignored_events()


# --------------------------------------------------------------------------- meetings
# Meeting blocks (POST /blocks) and their calendar file (GET /calendar.ics).


class IsoDate(fields.Field[date]):
    """A calendar date written exactly YYYY-MM-DD (date.fromisoformat alone would also take
    "20260302" or "2026-W10-1")."""

    _SHAPE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

    def __init__(self, **kwargs: Any) -> None:
        # No load_default: an absent date is left out of the loaded data, and the view lets the
        # core fill its default (today, from + 16 weeks), which needs the campus date.
        super().__init__(
            error_messages={**BASE_ERRORS, "invalid": BAD_CALENDAR_DATE},
            metadata={"type": "string", "format": "date", **kwargs.pop("metadata", {})},
            **kwargs,
        )

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        if not isinstance(value, str) or not self._SHAPE.fullmatch(value):
            raise ValidationError(BAD_CALENDAR_DATE)
        try:
            return date.fromisoformat(value)
        except ValueError as error:  # 2026-02-30
            raise ValidationError(BAD_CALENDAR_DATE) from error


class MeetingTitle(fields.String):
    """The event's title, checked by the core's rule (length, no control characters)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            load_default=DEFAULT_TITLE,
            error_messages={**BASE_ERRORS, "invalid": NOT_A_STRING},
            metadata={
                "minLength": 1,
                "maxLength": TITLE_MAX_LENGTH,
                "default": DEFAULT_TITLE,
                "description": "Título del evento; comas, punto y coma y saltos de línea valen.",
            },
            **kwargs,
        )

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        title = super()._deserialize(value, attr, data, **kwargs)
        problem = title_problem(title)
        if problem is not None:
            raise ValidationError(TITLE_MESSAGES[problem])
        return title


class BlocksRequest(ApiSchema):
    """POST /blocks: /results' names and switches, plus the block's length and a quorum."""

    usernames = UsernameList(
        required=True, metadata={"minItems": 2, "example": ["ana", "bob", "carla"]}
    )
    duration = WholeNumber(
        BAD_DURATION,
        1,
        14,
        load_default=1,
        allow_none=True,
        metadata={"default": 1, "description": "Horas seguidas del bloque."},
    )
    quorum = WholeNumber(
        BAD_QUORUM,
        2,
        load_default=None,
        allow_none=True,
        metadata={
            "description": (
                "Cuántos usuarios, como mínimo, deben estar libres todo el bloque; "
                "por omisión, todos."
            )
        },
    )
    no_classes_day = boolean(False, "Cuenta un día sin clases como disponible.")
    ignore_weekend = boolean(
        True, "Con no_classes_day, cuenta solo de lunes a viernes los días sin clases."
    )
    limit = GroupLimit(minimum=1, message=BAD_BLOCKS_LIMIT)
    days_to_filter = DayIndices()

    @validates_schema(skip_on_field_errors=False)
    def _quorum_within_the_group(self, data: dict[str, Any], **_: Any) -> None:
        # Against the distinct names (after case-folding), reported with any other field error.
        quorum, names = data.get("quorum"), data.get("usernames")
        if quorum is not None and names is not None and quorum > len(names):
            raise ValidationError(BAD_QUORUM, field_name="quorum")

    @post_load
    def _defaults_for_null(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        for name, default in (("duration", 1), ("no_classes_day", False), ("ignore_weekend", True)):
            if data.get(name) is None:
                data[name] = default
        return data


class CalendarQuery(ApiSchema):
    """GET /calendar.ics query string. Whether the values make a meeting together (the block
    ends by 8:30 PM, until after from...) is the core's rule, checked by the view."""

    day_index = WholeNumber(
        BAD_DAY_INDEX, 0, 6, required=True, metadata={"description": "0 = Lunes ... 6 = Domingo."}
    )
    start_hour_index = WholeNumber(
        BAD_START_HOUR_INDEX,
        0,
        13,
        required=True,
        metadata={"description": "Primera hora del bloque: 0 = 6:30 AM ... 13 = 7:30 PM."},
    )
    duration = WholeNumber(
        BAD_DURATION,
        1,
        14,
        load_default=1,
        metadata={
            "default": 1,
            "description": f"Horas; el bloque termina a más tardar a las {grid.DAY_END_LABEL}.",
        },
    )
    title = MeetingTitle()
    first_day = IsoDate(
        data_key="from",
        metadata={"description": "Primer día (AAAA-MM-DD); por omisión, hoy en el campus."},
    )
    last_day = IsoDate(
        data_key="until",
        metadata={
            "description": (
                "Último día (AAAA-MM-DD), incluido; por omisión, from + 16 semanas; "
                "como mucho 366 días después de from."
            )
        },
    )


class BlockResponse(Schema):
    day_index = fields.Integer(required=True, metadata={"minimum": 0, "maximum": 6})
    day = fields.String(required=True, metadata={"enum": list(grid.DAY_LABELS)})
    start_hour_index = fields.Integer(required=True, metadata={"minimum": 0, "maximum": 13})
    end_hour_index = fields.Integer(
        required=True,
        metadata={"minimum": 0, "maximum": 13, "description": "Última hora del bloque, incluida."},
    )
    start = fields.String(
        required=True, metadata={"enum": list(grid.HOUR_LABELS), "example": "8:30 AM"}
    )
    end = fields.String(
        required=True,
        metadata={
            "enum": [*grid.HOUR_LABELS[1:], grid.DAY_END_LABEL],
            "example": "10:30 AM",
            "description": "Cuándo termina: el comienzo de la hora siguiente.",
        },
    )
    duration = fields.Integer(required=True, metadata={"minimum": 1, "maximum": 14})
    attendees = fields.Integer(
        required=True, metadata={"description": "Cuántos usuarios pueden asistir."}
    )
    free = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "Quiénes pueden, en el orden de la solicitud."},
    )
    missing = fields.List(
        fields.String(), required=True, metadata={"description": "Quiénes no pueden."}
    )
    avg = fields.Float(
        required=True, metadata={"description": "Distancia media a la clase más cercana."}
    )
    quality = fields.Float(
        required=True, metadata={"description": "1 - (avg - 1) / 12; 1 es lo mejor."}
    )
    calendar_url = fields.String(
        required=True,
        metadata={
            "description": "Ruta de GET /calendar.ics para este bloque.",
            "example": "/calendar.ics?day_index=0&start_hour_index=2&duration=2",
        },
    )


class BlocksResponse(Schema):
    count = count_field()
    blocks = fields.List(fields.Nested(BlockResponse), required=True)
