"""The weekly grid shared by every schedule: 14 hourly slots x 7 days.

A schedule travels and is stored as a 98-character string of '0'/'1' so that it
fits in one column, compares with ``==`` and slices into day columns with
``schedule[day::7]``. Everything here is about converting between that string,
the (hour_index, day_index) pairs the clients send, and a table humans can read.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum
from typing import TypeGuard

from gapfind.core.problems import DomainError

HOURS_PER_DAY = 14
DAYS_PER_WEEK = 7
SLOT_COUNT = HOURS_PER_DAY * DAYS_PER_WEEK
# Monday..Friday are day indices 0..4; the weekend is 5 and 6.
WEEKDAY_COUNT = 5

_FIRST_HOUR = 6  # the first slot starts at 6:30 AM
_SLOT_MINUTE = 30
MINUTES_PER_SLOT = 60


def slot_start_minute(hour_index: int) -> int:
    """Campus wall-clock minutes after midnight at which slot `hour_index` starts.

    `HOURS_PER_DAY` itself is accepted and gives the end of the last slot (8:30 PM): calendar
    features need the moment a block of slots ends as much as the one it starts.
    """
    if not 0 <= hour_index <= HOURS_PER_DAY:
        raise ValueError(f"hour_index must be 0..{HOURS_PER_DAY}")
    return (_FIRST_HOUR + hour_index) * 60 + _SLOT_MINUTE


def slot_time_label(hour_index: int) -> str:
    """ "6:30 AM" for slot 0 ... "7:30 PM" for slot 13, and "8:30 PM" for the end of the day."""
    hour = slot_start_minute(hour_index) // 60
    twelve_hour = (hour - 1) % 12 + 1
    return f"{twelve_hour}:{_SLOT_MINUTE:02d} {'AM' if hour < 12 else 'PM'}"


HOUR_LABELS: tuple[str, ...] = tuple(slot_time_label(hour) for hour in range(HOURS_PER_DAY))
DAY_END_LABEL = slot_time_label(HOURS_PER_DAY)
DAY_LABELS: tuple[str, ...] = (
    "Lunes",
    "Martes",
    "Miercoles",
    "Jueves",
    "Viernes",
    "Sábado",
    "Domingo",
)

CLASS_MARK = "██"
FREE_MARK = "·"


class IndicesProblem(Enum):
    """Why a list of (hour, day) pairs was refused.

    The values are short stable codes, not messages: wording belongs to the HTTP
    layer (which speaks Spanish), so the core never has to change for a typo.
    """

    EMPTY = "empty"
    TOO_MANY = "too_many"
    NOT_PAIR = "not_pair"
    BAD_HOUR = "bad_hour"
    BAD_DAY = "bad_day"


class InvalidIndices(DomainError[IndicesProblem]):
    """A list of (hour, day) pairs that is no schedule."""


def slot_index(hour_index: int, day_index: int) -> int:
    """Row-major position, so one hour of the week is 7 consecutive characters."""
    return hour_index * DAYS_PER_WEEK + day_index


def schedule_from_indices(pairs: Iterable[tuple[int, int]]) -> str:
    """Build the stored string; pairs must already be validated (see validate_indices)."""
    cells = ["0"] * SLOT_COUNT
    for hour_index, day_index in pairs:
        cells[slot_index(hour_index, day_index)] = "1"
    return "".join(cells)


def indices_from_schedule(schedule: str) -> list[tuple[int, int]]:
    """Inverse of schedule_from_indices, in row-major order so the output is canonical."""
    return [divmod(slot, DAYS_PER_WEEK) for slot, cell in enumerate(schedule) if cell == "1"]


def is_schedule(value: object) -> bool:
    """Guards data read from outside (requests, database rows) before slicing it."""
    return (
        isinstance(value, str)
        and len(value) == SLOT_COUNT
        and not value.replace("0", "").replace("1", "")
    )


def day_column(schedule: str, day_index: int) -> str:
    """One day's 14 slots, top to bottom: the unit the gap distances are computed on."""
    return schedule[day_index::DAYS_PER_WEEK]


def render_grid(schedule: str) -> str:
    """A table for `flask shell` and the CLI, where a 98-character string is unreadable."""
    if not is_schedule(schedule):
        raise ValueError("not a schedule: expected 98 characters of '0'/'1'")
    label_width = max(map(len, HOUR_LABELS))
    cell_width = max(map(len, DAY_LABELS))
    header = " " * label_width + "".join("  " + day.center(cell_width) for day in DAY_LABELS)
    lines = [header.rstrip()]
    for hour_index, hour_label in enumerate(HOUR_LABELS):
        marks = (
            CLASS_MARK if schedule[slot_index(hour_index, day)] == "1" else FREE_MARK
            for day in range(DAYS_PER_WEEK)
        )
        row = hour_label.rjust(label_width) + "".join("  " + m.center(cell_width) for m in marks)
        lines.append(row.rstrip())
    return "\n".join(lines)


def _is_int(value: object) -> TypeGuard[int]:
    # bool is a subclass of int, but [true, false] in a JSON body is a client bug.
    return isinstance(value, int) and not isinstance(value, bool)


def _check_pair(pair: object) -> tuple[int, int]:
    # The shape every well-formed JSON body has, tested first with exact types (a bool is not
    # an int here): a registration checks up to 98 pairs, most requests have no error.
    if type(pair) is list and len(pair) == 2:
        hour_index, day_index = pair
        if (
            type(hour_index) is int
            and type(day_index) is int
            and 0 <= hour_index < HOURS_PER_DAY
            and 0 <= day_index < DAYS_PER_WEEK
        ):
            return hour_index, day_index
    return _diagnose_pair(pair)


def _diagnose_pair(pair: object) -> tuple[int, int]:
    """The full rules: tuples and int subclasses too, and which problem comes first."""
    if not isinstance(pair, (list, tuple)) or len(pair) != 2:
        raise InvalidIndices(IndicesProblem.NOT_PAIR)
    hour_index, day_index = pair
    if not (_is_int(hour_index) and _is_int(day_index)):
        raise InvalidIndices(IndicesProblem.NOT_PAIR)
    if not 0 <= hour_index < HOURS_PER_DAY:
        raise InvalidIndices(IndicesProblem.BAD_HOUR)
    if not 0 <= day_index < DAYS_PER_WEEK:
        raise InvalidIndices(IndicesProblem.BAD_DAY)
    return hour_index, day_index


def validate_indices(pairs: object) -> list[tuple[int, int]]:
    """Turn untrusted JSON into canonical pairs, or say precisely what is wrong.

    Order of checks: not a list/tuple -> NOT_PAIR; EMPTY; TOO_MANY (counted before
    duplicates collapse, so a client cannot send an unbounded body of repeats);
    then each pair in turn: NOT_PAIR, BAD_HOUR, BAD_DAY. The first problem wins.
    """
    if not isinstance(pairs, (list, tuple)):
        raise InvalidIndices(IndicesProblem.NOT_PAIR)
    if not pairs:
        raise InvalidIndices(IndicesProblem.EMPTY)
    if len(pairs) > SLOT_COUNT:
        raise InvalidIndices(IndicesProblem.TOO_MANY)
    return sorted({_check_pair(pair) for pair in pairs})
