"""Every message GapFind shows to people, in Spanish: the one home of the wording.

The messages are part of the public contract (the GFind web client shows them verbatim): change
none of them without changing the contract. The core reports problems as codes
(IndicesProblem, UsernameProblem); the tables here turn the codes into words.
"""

from __future__ import annotations

from gapfind.core.grid import DAY_END_LABEL, IndicesProblem
from gapfind.core.meeting_calendar import (
    FIRST_DATE,
    LAST_DATE,
    MAX_SPAN_DAYS,
    TITLE_MAX_LENGTH,
    MeetingProblem,
    TitleProblem,
)
from gapfind.core.timetable_import import CalendarProblem, IgnoredReason
from gapfind.core.usernames import USERNAME_MAX_LENGTH, UsernameProblem

REQUIRED = "Este campo es requerido."
NULL = "Este campo no puede ser nulo."
NOT_A_STRING = "Debe ser una cadena de texto."
NOT_A_LIST = "Se esperaba una lista de elementos."
NOT_A_BOOLEAN = "Debe ser un valor booleano válido."
NOT_AN_OBJECT = "Se esperaba un objeto JSON."

USERNAME_MESSAGES = {
    UsernameProblem.EMPTY: "El nombre de usuario no puede estar vacío",
    UsernameProblem.TOO_LONG: (
        f"El nombre de usuario no puede tener más de {USERNAME_MAX_LENGTH} caracteres"
    ),
    UsernameProblem.NOT_LETTERS: "El nombre de usuario solo puede contener letras",
}
# In a list of names the message says which one is wrong.
LISTED_USERNAME_MESSAGES = {
    UsernameProblem.EMPTY: "El nombre de usuario no puede estar vacío",
    UsernameProblem.TOO_LONG: (
        f"El usuario {{name}} no puede tener más de {USERNAME_MAX_LENGTH} caracteres"
    ),
    UsernameProblem.NOT_LETTERS: "El usuario {name} solo puede contener letras",
}
INDICES_MESSAGES = {
    IndicesProblem.EMPTY: "El horario no puede estar vacío",
    IndicesProblem.TOO_MANY: "Es imposible tener más de 98 horas de clases a la semana",
    IndicesProblem.BAD_DAY: "El índice del día debe estar entre 0 y 6",
    IndicesProblem.BAD_HOUR: "El índice de la hora debe estar entre 0 y 13",
    IndicesProblem.NOT_PAIR: "Cada elemento debe ser un par [índice de la hora, índice del día]",
}
USERNAME_TAKEN = "El usuario ingresado ya fue registrado"
USERS_NOT_FOUND = "Los siguientes usuarios no se encontraron: {names}"
TOO_FEW_USERS = "Debes ingresar al menos dos usuarios distintos"
TOO_MANY_USERS = "No puedes consultar más de {limit} usuarios a la vez"
TOO_FEW_KNOWN_USERS = (
    "Se necesitan al menos dos usuarios registrados para analizar la disponibilidad"
)
BAD_LIMIT = "El límite debe ser un número entero mayor o igual a 2"
BAD_DAYS_TO_FILTER = "Debes indicar entre 1 y 7 días para filtrar"
BAD_DAY_INDEX = "El índice del día debe estar entre 0 y 6"
NO_USERNAME_SOURCE = "Al menos debes proporcionar una forma para obtener los usuarios"
FILTER_USER_NOT_FOUND = "El usuario para filtrar el horario no existe"
FILE_TOO_LARGE = "El tamaño del archivo es demasiado grande, Asegúrate de que pese menos de {size}"
FILE_NOT_TEXT = "El archivo debe ser un archivo de texto UTF-8 con un usuario por línea"
BODY_EMPTY = "El cuerpo de la solicitud está vacío."
BODY_NOT_JSON = "El cuerpo de la solicitud no es un JSON válido."
BODY_INCOMPLETE = "El cuerpo de la solicitud está incompleto o mal formado."
BODY_NOT_MULTIPART = "El cuerpo de la solicitud no es un formulario multipart/form-data válido."
BODY_MEDIA_TYPE = 'Tipo de contenido "{media_type}" no soportado; usa application/json.'
BODY_MEDIA_TYPE_ANALYZE = (
    'Tipo de contenido "{media_type}" no soportado; usa application/json o multipart/form-data.'
)
TOKEN_MISSING = "Las credenciales de autenticación no se proveyeron."
TOKEN_WRONG = "El token de edición no es válido para este usuario."
USER_NOT_FOUND = "El usuario no existe"

# --- timetables imported from calendar files (.ics) ---
CALENDAR_MESSAGES = {
    CalendarProblem.NOT_UTF8: "El calendario debe ser un archivo de texto UTF-8 (.ics)",
    CalendarProblem.NOT_ICALENDAR: "El archivo no es un calendario iCalendar (.ics) válido",
    CalendarProblem.NO_EVENTS: "El calendario no tiene eventos",
    CalendarProblem.INVALID_EVENT: (
        "El calendario tiene un evento con fechas o una regla de repetición inválidas"
    ),
    CalendarProblem.UNSUPPORTED_RULE: (
        "El calendario tiene un evento que se repite de una forma que no corresponde a un "
        "horario de clases (cada hora o más seguido, nunca, o con demasiadas condiciones)"
    ),
    CalendarProblem.TOO_MANY_OCCURRENCES: (
        "El calendario tiene demasiados eventos: más de {limit} repeticiones en las semanas "
        "revisadas. Exporta solo el calendario de clases"
    ),
    CalendarProblem.NO_CLASSES: "El calendario no tiene clases dentro del horario",
}
# Appended to a message when the core names the event: ': «Cálculo I»'.
CALENDAR_EVENT_NAMED = "{message}: «{summary}»"
IGNORED_REASONS = {
    IgnoredReason.CANCELLED: "Cancelado",
    IgnoredReason.ALL_DAY: "Evento de todo el día",
    IgnoredReason.FREE: "Marcado como disponible (libre)",
    IgnoredReason.OUTSIDE_HOURS: "Fuera del horario (6:30 AM - 8:30 PM)",
    IgnoredReason.NO_DURATION: "No tiene duración",
    IgnoredReason.NOT_IN_WEEK: "No tiene clases en la semana elegida",
}
WEEK_OF_INVALID = "La fecha debe tener el formato AAAA-MM-DD, por ejemplo 2025-02-03"
BODY_MEDIA_TYPE_CALENDAR = (
    'Tipo de contenido "{media_type}" no soportado; envía el calendario como multipart/form-data.'
)
# --- Meeting blocks and their calendar (POST /blocks, GET /calendar.ics) ----------------------
BAD_DURATION = "La duración debe estar entre 1 y 14 horas"
BAD_QUORUM = "El quórum debe estar entre 2 y el número de usuarios"
# /blocks accepts a limit of 1 (the best block), /results keeps its own BAD_LIMIT (>= 2).
BAD_BLOCKS_LIMIT = "El límite debe ser un número entero mayor o igual a 1"
BAD_START_HOUR_INDEX = "El índice de la hora de inicio debe estar entre 0 y 13"
BAD_CALENDAR_DATE = "La fecha debe ser una fecha válida con el formato AAAA-MM-DD"
QUERY_NOT_UTF8 = "Los parámetros de la dirección no son texto UTF-8 válido"
TITLE_MESSAGES = {
    TitleProblem.LENGTH: f"El título debe tener entre 1 y {TITLE_MAX_LENGTH} caracteres",
    TitleProblem.CONTROL_CHARACTER: "El título no puede contener caracteres de control",
}
_DATE_RANGE = f"La fecha debe estar entre {FIRST_DATE.isoformat()} y {LAST_DATE.isoformat()}"
# Problems of parameters that are each valid, with the query parameter each is reported under.
MEETING_MESSAGES = {
    MeetingProblem.ENDS_AFTER_DAY: (
        "duration",
        f"El bloque debe terminar a más tardar a las {DAY_END_LABEL}: "
        "start_hour_index + duration no puede pasar de 14",
    ),
    MeetingProblem.FROM_OUT_OF_RANGE: ("from", _DATE_RANGE),
    MeetingProblem.UNTIL_OUT_OF_RANGE: ("until", _DATE_RANGE),
    MeetingProblem.UNTIL_BEFORE_FROM: (
        "until",
        "La fecha final (until) debe ser igual o posterior a la inicial (from)",
    ),
    MeetingProblem.SPAN_TOO_LONG: (
        "until",
        f"La fecha final (until) no puede estar más de {MAX_SPAN_DAYS} días después de la "
        "inicial (from)",
    ),
    MeetingProblem.NO_OCCURRENCE: (
        "until",
        "Entre las fechas from y until no hay ningún día con ese day_index",
    ),
}

# Status-level messages, for errors that belong to no field.
HTTP_MESSAGES = {
    400: "Solicitud incorrecta.",
    401: "Las credenciales de autenticación no se proveyeron.",
    403: "No tienes permiso para realizar esta acción.",
    404: "No encontrado.",
    405: "Método no permitido.",
    413: "La solicitud es demasiado grande.",
    415: "Tipo de contenido no soportado.",
    429: "Demasiadas solicitudes. Espera un momento antes de intentar de nuevo.",
    500: "Error interno del servidor.",
    503: "El servicio no está disponible en este momento. Intenta de nuevo en unos minutos.",
}

# Operator imports (flask users import): reasons a record is rejected.
SCHEDULE_LENGTH = "El horario debe tener exactamente 98 caracteres; tiene {length}"
SCHEDULE_MARKS = "El horario solo puede contener los caracteres 0 y 1"
BAD_DATE = "La fecha debe estar en formato ISO 8601"
WRONG_MODEL = "Solo se importan registros del modelo base.uninorteuser, no {model}"
NO_MODEL = "(ninguno)"  # WRONG_MODEL's {model} for a record that names none
ROW_SHAPE = "La fila tiene {found} columnas; el encabezado tiene {expected}"
NOT_UTF8 = "El texto no es UTF-8 válido"
DUPLICATE = "El usuario {name} ya aparece en el registro {first} de este origen"
EXISTS = "El usuario ya existe con otro horario; usa --overwrite para reemplazarlo"


def human_size(size: int) -> str:
    """64 KiB reads "64KB", as the old API's message did."""
    if size % 1024 == 0:
        return f"{size // 1024}KB"
    return f"{size} bytes"
