"""Meeting blocks: runs of consecutive hours in which enough of a group is free, ranked.

A study group asks "where do we get two hours in a row?" and "if not all six, when can at
least four of us come, and who is missing?". A block is `duration` consecutive hours of one
day; its attendees are the members free in every one of those hours, with "free" the
per-student rule of the gap ranking (gaps.member_profile: the slot's distance to that
member's nearest class is above 0). Blocks with at least `quorum` attendees are kept and
ranked by attendees, then by how comfortable the block is for them, exactly as /results ranks
single hours: with duration 1 and everyone required, the blocks are the gaps of find_gaps.

Like find_gaps this runs on every request, so the per-student work is packed integers summed
in C: per day column and duration, one integer holds for every first hour whether the student
attends and the distances they add.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import compress
from operator import itemgetter
from typing import NamedTuple

from gapfind.core.gaps import (
    MAX_STUDENTS,
    QUALITY_SPAN,
    class_free_day_is_free,
    member_profile,
)
from gapfind.core.grid import DAYS_PER_WEEK, HOURS_PER_DAY

# Per first hour of a block, two 32-bit fields: "attends" (0/1) and the member's distance
# total over the block's hours (0 when not attending). A total is at most 91 (1 + ... + 13,
# one class at an end of the day), under the 169 that sizes gaps.MAX_STUDENTS, so sums of
# up to MAX_STUDENTS members never overflow a field.
_FIELD_BITS = 32
_ATTENDING, _DISTANCE = 0, HOURS_PER_DAY
_DAY_FIELDS = struct.Struct(f"<{2 * HOURS_PER_DAY}I")
# Each (rule, duration) cache holds at most this many day columns and starts afresh when full:
# 28 caches of 2**14 possible columns each would otherwise be ~100 MB for a worker that meets
# every pattern. A full cache costs a refill of ~10 microseconds per column, never a wrong sum.
_CACHE_LIMIT = 4096
_new_tuple = tuple.__new__


@dataclass(frozen=True, slots=True)
class BlockOptions:
    """What a group asks for; the defaults are /results' single common hours."""

    duration: int = 1
    quorum: int | None = None  # None: every member must attend
    no_classes_day: bool = False
    ignore_weekend: bool = True
    limit: int | None = None
    days_to_filter: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        if not 1 <= self.duration <= HOURS_PER_DAY:
            raise ValueError(f"duration must be 1..{HOURS_PER_DAY}")
        # A quorum of 0 would keep blocks nobody attends, whose average has no meaning.
        if self.quorum is not None and self.quorum < 1:
            raise ValueError("quorum must be None or >= 1")
        if self.limit is not None and self.limit < 0:
            raise ValueError("limit must be None or >= 0")


class Block(NamedTuple):
    """One kept block. attendees are positions in the schedules given to find_blocks, in
    that order, so the caller maps them back to names; total_distance is the exact integer
    the ranking compares, avg and quality are derived from it."""

    day_index: int
    start_hour_index: int
    duration: int
    attendees: tuple[int, ...]
    total_distance: int
    avg: float
    quality: float

    @property
    def end_hour_index(self) -> int:
        """The block's last hour (inclusive)."""
        return self.start_hour_index + self.duration - 1


def _pack_windows(profile: Sequence[int], duration: int) -> int:
    packed = 0
    for start in range(HOURS_PER_DAY - duration + 1):
        window = profile[start : start + duration]
        if min(window) > 0:
            packed |= 1 << ((_ATTENDING + start) * _FIELD_BITS)
            packed |= sum(window) << ((_DISTANCE + start) * _FIELD_BITS)
    return packed


class _WindowCache(dict[str, int]):
    """Packed windows per day column for one (class-free rule, duration); a miss computes."""

    def __init__(self, class_free_counts: bool, duration: int) -> None:
        super().__init__()
        self._class_free_counts = class_free_counts
        self._duration = duration

    def __missing__(self, column: str) -> int:
        if len(self) >= _CACHE_LIMIT:
            self.clear()
        # member_profile rejects a column that is not 14 characters of '0'/'1'.
        packed = _pack_windows(member_profile(column, self._class_free_counts), self._duration)
        self[column] = packed
        return packed


_CACHES = {
    (free, duration): _WindowCache(free, duration)
    for free in (False, True)
    for duration in range(1, HOURS_PER_DAY + 1)
}

# (-attendees, total_distance, start_hour_index, day_index). Within one attendee count every
# block's average has the same denominator (attendees * duration), so comparing the averages
# as fractions by cross-multiplication is comparing the integer totals: sorting these tuples
# is the exact order, with no float rounding involved. (start, day) is unique.
_Row = tuple[int, int, int, int]


def _day_packs(schedules: Sequence[str], options: BlockOptions) -> list[list[int]]:
    """Per day, each member's packed windows, in member order."""
    packs = []
    for day in range(DAYS_PER_WEEK):
        free = class_free_day_is_free(day, options.no_classes_day, options.ignore_weekend)
        cache = _CACHES[free, options.duration]
        columns = map(itemgetter(slice(day, None, DAYS_PER_WEEK)), schedules)
        packs.append(list(map(cache.__getitem__, columns)))
    return packs


def _day_rows(day_index: int, packs: list[int], quorum: int, duration: int) -> list[_Row]:
    fields = _DAY_FIELDS.unpack(sum(packs).to_bytes(_DAY_FIELDS.size, "little"))
    rows = []
    for start in range(HOURS_PER_DAY - duration + 1):
        attending = fields[_ATTENDING + start]
        if attending >= quorum:
            rows.append((-attending, fields[_DISTANCE + start], start, day_index))
    return rows


def _block(row: _Row, packs: list[int], duration: int) -> Block:
    negated, total, start, day = row
    attending = -negated
    if attending == len(packs):
        attendees = tuple(range(attending))
    else:
        bit = 1 << ((_ATTENDING + start) * _FIELD_BITS)
        # compress and map run in C: this is per kept block and per member.
        attendees = tuple(compress(range(len(packs)), map(bit.__and__, packs)))
    # The expressions of find_gaps (total / count, then quality), so that with duration 1 and
    # everyone attending both give bit-identical floats.
    avg = total / (attending * duration)
    quality = 1 - (avg - 1) / QUALITY_SPAN
    # tuple.__new__ is what Block(...) ends in, minus a Python-level __new__ (as in find_gaps).
    return _new_tuple(Block, (day, start, duration, attendees, total, avg, quality))


def find_blocks(schedules: Sequence[str], options: BlockOptions = BlockOptions()) -> list[Block]:
    """The group's blocks, best first: more attendees, then higher quality, then the earlier
    first hour, then the lower day index; filtered days go before the limit applies.

    Attendee lists are built only for the blocks that survive the limit.
    """
    count = len(schedules)
    if count == 0:
        return []
    if count > MAX_STUDENTS:
        raise ValueError(f"at most {MAX_STUDENTS} schedules fit the packed sums")
    quorum = count if options.quorum is None else options.quorum
    packs_by_day = _day_packs(schedules, options)  # every day: each schedule is checked
    rows: list[_Row] = []
    for day_index, packs in enumerate(packs_by_day):
        if day_index not in options.days_to_filter:
            rows.extend(_day_rows(day_index, packs, quorum, options.duration))
    rows.sort()
    if options.limit is not None:
        del rows[options.limit :]
    return [_block(row, packs_by_day[row[3]], options.duration) for row in rows]
