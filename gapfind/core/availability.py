"""How much of a large group (a whole course, up to thousands) is free at each slot.

Unlike gaps, nobody's class blocks a slot here: the point is to pick the weekday
hour that suits the most people, so each slot is just a head count. That count
must stay cheap for 5000 schedules, so it is done by str.count on strided slices
of one joined string (C loops) instead of visiting 490000 cells in Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from gapfind.core.grid import HOURS_PER_DAY, SLOT_COUNT, WEEKDAY_COUNT, is_schedule, slot_index

_new_tuple = tuple.__new__


class SlotAvailability(NamedTuple):
    """Free head count at one weekday slot, and its share of the whole group (a NamedTuple:
    70 are built per request, and a tuple is cheaper to create than a frozen dataclass)."""

    hour_index: int
    day_index: int
    number_of_students: int
    availability: float


def _weekday_slots(filter_schedule: str | None) -> list[tuple[int, int]]:
    # Row-major (hour, then day) like every other listing of the grid; slots where
    # the filter has a class (e.g. the requester's own schedule) are not offered.
    if filter_schedule is not None and not is_schedule(filter_schedule):
        raise ValueError("filter_schedule is not a schedule")
    return [
        (hour, day)
        for hour in range(HOURS_PER_DAY)
        for day in range(WEEKDAY_COUNT)
        if filter_schedule is None or filter_schedule[slot_index(hour, day)] != "1"
    ]


def weekday_availability(
    schedules: Sequence[str], filter_schedule: str | None = None
) -> list[SlotAvailability]:
    """One entry per weekday slot, free count over group size (0.0 for an empty group).

    Free means '0' in the schedule. The weekend is left out on purpose: a course
    does not schedule group work on Saturday or Sunday.
    """
    # Every schedule must be exactly 98 characters or the strided slices below
    # would read the wrong student's slots; set(map(len, ...)) checks that in C.
    if not set(map(len, schedules)) <= {SLOT_COUNT}:
        raise ValueError(f"every schedule must have {SLOT_COUNT} characters")
    return joined_weekday_availability("".join(schedules), filter_schedule)


def joined_weekday_availability(
    joined: str, filter_schedule: str | None = None
) -> list[SlotAvailability]:
    """weekday_availability of the schedules laid back to back in one string.

    That is how a database can hand over a large group (string_agg / group_concat): one string
    instead of thousands of row objects. Counting never depends on the students' order.
    """
    count, rest = divmod(len(joined), SLOT_COUNT)
    if rest:
        raise ValueError(f"the joined schedules are not a multiple of {SLOT_COUNT} characters")
    slots = _weekday_slots(filter_schedule)
    # In the joined string, slot s of every student sits at s, s+98, s+196, ...
    frees = [joined[slot_index(hour, day) :: SLOT_COUNT].count("0") for hour, day in slots]
    # tuple.__new__ is what SlotAvailability(...) ends in, minus a Python-level call per slot.
    divisor = count or 1  # an empty group: every count is 0, so every share is 0.0
    return [
        _new_tuple(SlotAvailability, (hour, day, free, free / divisor))
        for (hour, day), free in zip(slots, frees, strict=True)
    ]
