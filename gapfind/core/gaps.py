"""Common free hours of a group, ranked by how comfortable they are for everyone.

A free slot is worth more the closer it is to the student's classes that day: an
hour right next to a lecture is an easy meeting (everyone is already on campus),
one five hours away means waiting around. The group's score for a slot falls with
the mean of the students' distances, and optionally with their spread, so that a
slot convenient for most but awful for one student ranks lower.

This runs on every request, so the per-student work is a handful of dictionary
lookups and small-integer additions: each day column (14 characters, at most 2**14
patterns) is turned into packed integers once and cached for the process.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from operator import itemgetter
from typing import NamedTuple

from gapfind.core.grid import DAY_LABELS, DAYS_PER_WEEK, HOUR_LABELS, HOURS_PER_DAY, WEEKDAY_COUNT

# A day column of one student is packed into one integer of 3 x 14 fields of 32 bits:
# per slot its distance, its squared distance and a "blocked" count (1 when the
# distance is 0). Adding the integers of many students adds all 42 fields at once,
# which is how the per-student work stays a few C-level operations. A distance is
# at most 13 and its square 169, so no field overflows below MAX_STUDENTS students.
_FIELD_BITS = 32
_MAX_DISTANCE = HOURS_PER_DAY - 1
MAX_STUDENTS = (2**_FIELD_BITS - 1) // _MAX_DISTANCE**2
_DISTANCE, _SQUARE, _BLOCKED = (group * HOURS_PER_DAY for group in range(3))
_DAY_FIELDS = struct.Struct(f"<{3 * HOURS_PER_DAY}I")

QUALITY_SPAN = 12  # quality falls from 1 (avg 1) to 0 (avg 13); also the blocks' (core.blocks)
_QUALITY_SPAN_SD = 18  # wider span once the spread is added to the average
_new_tuple = tuple.__new__


@dataclass(frozen=True, slots=True)
class GapOptions:
    """Switches a client may set; the defaults give the plain ranking by mean distance."""

    compute_sd: bool = False
    no_classes_day: bool = False
    ignore_weekend: bool = True
    limit: int | None = None
    days_to_filter: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        # A negative limit would slice from the end and silently drop the best gaps.
        if self.limit is not None and self.limit < 0:
            raise ValueError("limit must be None or >= 0")


class Gap(NamedTuple):
    """One common free slot; sd is None unless the spread was asked for.

    A NamedTuple rather than a frozen dataclass: a request builds up to 98 of them, and a
    tuple is several times cheaper to create while being just as immutable.
    """

    hour_index: int
    day_index: int
    avg: float
    quality: float
    sd: float | None

    @property
    def day(self) -> str:
        return DAY_LABELS[self.day_index]

    @property
    def hour(self) -> str:
        return HOUR_LABELS[self.hour_index]


@cache  # bounded anyway: only 2**14 valid columns exist
def distance_profile(column: str) -> tuple[int, ...]:
    """Per slot of one day, how many slots away the student's nearest class is.

    Classes are 0. Free slots before the first class count down to it ([3, 2, 1]),
    after the last class they count up from it ([1, 2, 3]), and a run of L free
    slots between two classes rises and falls 1..ceil(L/2)..1, an even run having
    two equal middles ([1, 2, 2, 1]): all three are "distance to the nearest class".
    A class-free day is all 0: the student is not on campus that day.
    """
    if len(column) != HOURS_PER_DAY or column.replace("0", "").replace("1", ""):
        raise ValueError(f"not a day column: expected {HOURS_PER_DAY} characters of '0'/'1'")
    if "1" not in column:
        return (0,) * HOURS_PER_DAY
    # Two sweeps: distance since the previous class, then distance to the next one;
    # before the first class the first sweep has no class yet, so it never wins.
    unreachable = 2 * HOURS_PER_DAY
    since_previous: list[int] = []
    distance = unreachable
    for cell in column:
        distance = 0 if cell == "1" else distance + 1
        since_previous.append(distance)
    profile = [0] * HOURS_PER_DAY
    distance = unreachable
    for hour in reversed(range(HOURS_PER_DAY)):
        distance = 0 if column[hour] == "1" else distance + 1
        profile[hour] = min(distance, since_previous[hour])
    return tuple(profile)


def _field(index: int, value: int) -> int:
    return value << (index * _FIELD_BITS)


def _pack(profile: Sequence[int]) -> int:
    packed = 0
    for hour, distance in enumerate(profile):
        packed |= _field(_DISTANCE + hour, distance)
        packed |= _field(_SQUARE + hour, distance * distance)
        packed |= _field(_BLOCKED + hour, distance == 0)
    return packed


_NO_CLASS_COLUMN = "0" * HOURS_PER_DAY
_FREE_DAY_PROFILE = (1,) * HOURS_PER_DAY


def class_free_day_is_free(day_index: int, no_classes_day: bool, ignore_weekend: bool) -> bool:
    """Whether a day without classes makes a student available (at distance 1) rather than
    absent from campus: the no_classes_day switch, which ignore_weekend narrows."""
    # ignore_weekend only narrows no_classes_day to Monday..Friday: with it, a free
    # Saturday still means "not on campus", which is the usual truth.
    if not no_classes_day:
        return False
    return day_index < WEEKDAY_COUNT or not ignore_weekend


def member_profile(column: str, class_free_counts: bool) -> tuple[int, ...]:
    """One student's distance per slot of one day, the value every group ranking sums: the
    student is available in a slot exactly when it is above 0.

    A class-free day is distance_profile's all 0 (not on campus), unless such a day counts
    as free (class_free_day_is_free), where every hour is as easy as one next to a class (1).
    """
    if class_free_counts and column == _NO_CLASS_COLUMN:
        return _FREE_DAY_PROFILE
    return distance_profile(column)


class _ColumnCache(dict[str, int]):
    """Packed integer per column pattern; a miss computes and keeps the entry.

    Two instances exist, differing only on the class-free column: whether such a
    day blocks the group (the student is not on campus) or counts as free at
    distance 1 everywhere (no_classes_day).
    """

    def __init__(self, class_free_day_is_free: bool) -> None:
        super().__init__()
        self._class_free_day_is_free = class_free_day_is_free

    def __missing__(self, column: str) -> int:
        packed = _pack(member_profile(column, self._class_free_day_is_free))
        self[column] = packed
        return packed


_CACHES = (_ColumnCache(class_free_day_is_free=False), _ColumnCache(class_free_day_is_free=True))


# (-quality, hour_index, day_index, avg, sd): sorting these plain tuples orders by
# quality descending, then row-major (hour, then day) for exact ties; (hour, day) is
# unique, so avg and sd are never compared.
_Row = tuple[float, int, int, float, float | None]


def _day_rows(day_index: int, packed: int, count: int, compute_sd: bool) -> list[_Row]:
    """The rows of one day's free slots, from its packed sums.

    Quality and sd come from integers only, so equal inputs give bit-identical floats:
    with S the sum of distances and Q the sum of their squares, n^2 times the variance is
    n*Q - S*S, and math.sqrt is correctly rounded, so S + sqrt(n*Q - S*S) is exact whenever
    it is mathematically an integer, and two slots tie exactly when they should.
    """
    fields = _DAY_FIELDS.unpack(packed.to_bytes(_DAY_FIELDS.size, "little"))
    totals = fields[_DISTANCE:_SQUARE]
    free = [hour for hour, blocked in enumerate(fields[_BLOCKED:]) if not blocked]
    if not compute_sd:
        return [
            (
                -(1 - (totals[hour] / count - 1) / QUALITY_SPAN),
                hour,
                day_index,
                totals[hour] / count,
                None,
            )
            for hour in free
        ]
    squares = fields[_SQUARE:_BLOCKED]
    rows: list[_Row] = []
    for hour in free:
        total = totals[hour]
        root = math.sqrt(count * squares[hour] - total * total)
        quality = 1 - ((total + root) / count - 1) / _QUALITY_SPAN_SD
        rows.append((-quality, hour, day_index, total / count, root / count))
    return rows


def _day_sums(schedules: Sequence[str], options: GapOptions) -> list[int]:
    """Per day, the packed sums over all students; integer addition keeps it order-free."""
    sums = []
    for day in range(DAYS_PER_WEEK):
        free = class_free_day_is_free(day, options.no_classes_day, options.ignore_weekend)
        cache = _CACHES[free]
        # Slicing, lookup and addition all run in C. A slice of the wrong length
        # (schedule not 98 characters) misses the cache and is rejected there.
        columns = map(itemgetter(slice(day, None, DAYS_PER_WEEK)), schedules)
        sums.append(sum(map(cache.__getitem__, columns)))
    return sums


def find_gaps(schedules: Sequence[str], options: GapOptions = GapOptions()) -> list[Gap]:
    """The group's common free slots, best first.

    A slot where any student is in class, or not on campus, is no gap for anyone.
    Ties in quality keep row-major order (hour, then day) so earlier hours come
    first and the answer is stable. Filtered days go before the limit applies, so
    `limit` always counts gaps the client can actually use.
    """
    count = len(schedules)
    if count == 0:
        return []
    if count > MAX_STUDENTS:
        raise ValueError(f"at most {MAX_STUDENTS} schedules fit the packed sums")
    rows: list[_Row] = []
    for day_index, packed in enumerate(_day_sums(schedules, options)):
        if day_index not in options.days_to_filter:
            rows.extend(_day_rows(day_index, packed, count, options.compute_sd))
    rows.sort()
    if options.limit is not None:
        del rows[options.limit :]
    # Gap objects are built last: with a limit most rows are dropped before that. tuple.__new__
    # is what Gap(...) ends in, minus the Python-level __new__ in between (up to 98 per call).
    return [_new_tuple(Gap, (hour, day, avg, -negated, sd)) for negated, hour, day, avg, sd in rows]
