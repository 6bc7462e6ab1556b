"""find_blocks: hand-worked tables, a brute force from the issue's definition, and the
consistency with find_gaps (duration 1, everyone required) bit for bit."""

from __future__ import annotations

from fractions import Fraction
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gapfind.core import blocks as blocks_module
from gapfind.core.blocks import Block, BlockOptions, find_blocks
from gapfind.core.gaps import MAX_STUDENTS, GapOptions, find_gaps
from gapfind.core.grid import DAYS_PER_WEEK, HOURS_PER_DAY, SLOT_COUNT


def week(**columns: str) -> str:
    """A schedule from day columns d0=..., d6=... (14 characters each, first hour first)."""
    cells = ["0"] * SLOT_COUNT
    for key, column in columns.items():
        assert len(column) == HOURS_PER_DAY
        day = int(key[1:])
        for hour, cell in enumerate(column):
            cells[hour * DAYS_PER_WEEK + day] = cell
    return "".join(cells)


def classes_at(*hours: int) -> str:
    return "".join("1" if hour in hours else "0" for hour in range(HOURS_PER_DAY))


def summary(blocks: list[Block]) -> list[tuple[int, int, tuple[int, ...], int]]:
    """(day, first hour, attendees, total distance) of each block, in order."""
    return [(b.day_index, b.start_hour_index, b.attendees, b.total_distance) for b in blocks]


# --------------------------------------------------------------------------- options


@pytest.mark.parametrize(
    "kwargs",
    [
        {"duration": 0},
        {"duration": 15},
        {"duration": -1},
        {"quorum": 0},
        {"quorum": -2},
        {"limit": -1},
    ],
    ids=repr,
)
def test_impossible_options_are_refused(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        BlockOptions(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kwargs", [{"duration": 1}, {"duration": 14}, {"quorum": 1}, {"limit": 0}], ids=repr
)
def test_edge_options_are_accepted(kwargs: dict[str, int]) -> None:
    BlockOptions(**kwargs)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- hand-worked

# ana, Monday classes at 0 and 4: distances 0 1 2 1 0 1 2 3 4 5 6 7 8 9.
ANA = week(d0=classes_at(0, 4))
# bob, Monday class at 13: distances 13 12 ... 1 0.
BOB = week(d0=classes_at(13))
# cat, a Monday class at 0 (distances 0 1 ... 13) and one on Tuesday at 13.
CAT = week(d0=classes_at(0), d1=classes_at(13))
# dan, no class on Monday, a Tuesday class at 13 (distances 13 12 ... 1 0).
DAN = week(d1=classes_at(13))

HAND_CASES = [
    pytest.param(
        # One student, two hours: windows with no class, totals 1+2, 2+1, 1+2, 2+3, ...
        [ANA],
        BlockOptions(duration=2),
        [
            (0, 1, (0,), 3),
            (0, 2, (0,), 3),
            (0, 5, (0,), 3),
            (0, 6, (0,), 5),
            (0, 7, (0,), 7),
            (0, 8, (0,), 9),
            (0, 9, (0,), 11),
            (0, 10, (0,), 13),
            (0, 11, (0,), 15),
            (0, 12, (0,), 17),
        ],
        id="one-student-two-hours",
    ),
    pytest.param(
        # Both free at starts 1, 2, 5..11; ana adds 3,3,3,5,7,...,15, bob 25 - 2*start.
        # Seven blocks of total 18 tie exactly and keep first-hour order.
        [ANA, BOB],
        BlockOptions(duration=2),
        [
            (0, 5, (0, 1), 18),
            (0, 6, (0, 1), 18),
            (0, 7, (0, 1), 18),
            (0, 8, (0, 1), 18),
            (0, 9, (0, 1), 18),
            (0, 10, (0, 1), 18),
            (0, 11, (0, 1), 18),
            (0, 2, (0, 1), 24),
            (0, 1, (0, 1), 26),
        ],
        id="two-students-everyone",
    ),
    pytest.param(
        # Quorum 1 adds the blocks only one of them attends, after every two-attendee block
        # however comfortable: bob alone at 4 (9 + 8) and ana alone at 12 (8 + 9) tie and keep
        # first-hour order, then bob alone at 3 (10 + 9) and at 0 (13 + 12).
        [ANA, BOB],
        BlockOptions(duration=2, quorum=1),
        [
            (0, 5, (0, 1), 18),
            (0, 6, (0, 1), 18),
            (0, 7, (0, 1), 18),
            (0, 8, (0, 1), 18),
            (0, 9, (0, 1), 18),
            (0, 10, (0, 1), 18),
            (0, 11, (0, 1), 18),
            (0, 2, (0, 1), 24),
            (0, 1, (0, 1), 26),
            (0, 4, (1,), 17),
            (0, 12, (0,), 17),
            (0, 3, (1,), 19),
            (0, 0, (1,), 25),
        ],
        id="quorum-one-who-is-missing",
    ),
    pytest.param(
        [ANA, BOB],
        BlockOptions(duration=2, quorum=1, limit=3),
        [(0, 5, (0, 1), 18), (0, 6, (0, 1), 18), (0, 7, (0, 1), 18)],
        id="limit-after-ranking",
    ),
    pytest.param(
        # A quorum above the group size keeps nothing.
        [ANA, BOB],
        BlockOptions(duration=2, quorum=3),
        [],
        id="quorum-above-group",
    ),
    pytest.param(
        # Three hours, no_classes_day: dan's class-free Monday counts 1 per hour (the class-free
        # Wednesday..Friday of both are filtered out, the weekend stays blocked). Monday at s:
        # cat s + (s+1) + (s+2), dan 3, so 3s + 6 for s >= 1. Tuesday at s: both 13-s, 12-s,
        # 11-s, so 72 - 6s for s <= 10. Equal totals order by first hour, then day.
        [CAT, DAN],
        BlockOptions(duration=3, no_classes_day=True, days_to_filter=frozenset({2, 3, 4})),
        [
            (0, 1, (0, 1), 9),
            (0, 2, (0, 1), 12),
            (1, 10, (0, 1), 12),
            (0, 3, (0, 1), 15),
            (0, 4, (0, 1), 18),
            (1, 9, (0, 1), 18),
            (0, 5, (0, 1), 21),
            (0, 6, (0, 1), 24),
            (1, 8, (0, 1), 24),
            (0, 7, (0, 1), 27),
            (1, 7, (0, 1), 30),
            (0, 8, (0, 1), 30),
            (0, 9, (0, 1), 33),
            (1, 6, (0, 1), 36),
            (0, 10, (0, 1), 36),
            (0, 11, (0, 1), 39),
            (1, 5, (0, 1), 42),
            (1, 4, (0, 1), 48),
            (1, 3, (0, 1), 54),
            (1, 2, (0, 1), 60),
            (1, 1, (0, 1), 66),
            (1, 0, (0, 1), 72),
        ],
        id="no-classes-day-three-hours",
    ),
    pytest.param(
        # The whole day: only a day without classes that counts as free has one.
        [CAT, DAN],
        BlockOptions(duration=14, no_classes_day=True, ignore_weekend=False),
        [(2, 0, (0, 1), 28), (3, 0, (0, 1), 28), (4, 0, (0, 1), 28), (5, 0, (0, 1), 28)]
        + [(6, 0, (0, 1), 28)],
        id="whole-day-weekend-counts",
    ),
    pytest.param(
        # Without no_classes_day a class-free day is "not on campus": Monday blocks dan.
        [CAT, DAN],
        BlockOptions(duration=3, days_to_filter=frozenset({1})),
        [],
        id="class-free-day-blocks",
    ),
]


@pytest.mark.parametrize(("schedules", "options", "expected"), HAND_CASES)
def test_hand_worked_blocks(
    schedules: list[str],
    options: BlockOptions,
    expected: list[tuple[int, int, tuple[int, ...], int]],
) -> None:
    blocks = find_blocks(schedules, options)
    assert summary(blocks) == expected
    for block in blocks:
        assert block.duration == options.duration
        assert block.end_hour_index == block.start_hour_index + options.duration - 1
        assert block.avg == block.total_distance / (len(block.attendees) * options.duration)
        assert block.quality == 1 - (block.avg - 1) / 12


def test_hand_worked_values() -> None:
    # Monday 11:30 AM and 12:30 PM for ana and bob: ana 1 + 2, bob 8 + 7 -> avg 18/4.
    first = find_blocks([ANA, BOB], BlockOptions(duration=2))[0]
    assert first == Block(0, 5, 2, (0, 1), 18, 4.5, 1 - 3.5 / 12)
    assert first.end_hour_index == 6


def test_the_three_hour_table_relies_on_cat_and_dan_as_described() -> None:
    # Guards the comment of "no-classes-day-three-hours": cat and dan both have Tuesday
    # classes at 13 only, and dan has no class at all on Monday.
    assert CAT[13 * 7 + 1] == DAN[13 * 7 + 1] == "1"
    assert "1" not in DAN[0::7]


# --------------------------------------------------------------------------- rules


def test_a_member_is_never_both_attending_and_missing() -> None:
    blocks = find_blocks([ANA, BOB, CAT], BlockOptions(duration=2, quorum=1))
    assert blocks
    for block in blocks:
        assert list(block.attendees) == sorted(set(block.attendees))
        assert all(0 <= index < 3 for index in block.attendees)


def test_default_quorum_is_everyone() -> None:
    group = [ANA, BOB, CAT]
    for duration in (1, 2, 5):
        everyone = find_blocks(group, BlockOptions(duration=duration, quorum=3))
        assert find_blocks(group, BlockOptions(duration=duration)) == everyone


def test_no_schedules_no_blocks() -> None:
    assert find_blocks([]) == []


@pytest.mark.parametrize(
    "bad", ["0" * 97, "0" * 99, "", "x" * SLOT_COUNT, "0" * 97 + "2"], ids=repr
)
@pytest.mark.parametrize("filtered", [frozenset(), frozenset(range(7))])
def test_invalid_schedules_are_refused(bad: str, filtered: frozenset[int]) -> None:
    # Even when every day is filtered out: a bad schedule is a caller's bug, never ignored.
    with pytest.raises(ValueError):
        find_blocks([ANA, bad], BlockOptions(duration=2, days_to_filter=filtered))


class _Huge(list[str]):
    """Claims more students than the packed sums can hold, without allocating them."""

    def __len__(self) -> int:
        return MAX_STUDENTS + 1


def test_groups_that_would_overflow_the_packed_sums_are_refused() -> None:
    with pytest.raises(ValueError, match="at most"):
        find_blocks(_Huge())


def test_largest_window_total_fits_the_field_bound() -> None:
    # The module's overflow argument: one member adds at most 91 to one block's total.
    lonely = week(d0=classes_at(0))
    (block,) = find_blocks([lonely], BlockOptions(duration=13))
    assert (block.start_hour_index, block.total_distance) == (1, 91)


def test_a_full_cache_starts_afresh_and_stays_right(monkeypatch: pytest.MonkeyPatch) -> None:
    group = [ANA, BOB, CAT, DAN, week(d0=classes_at(2, 9), d3=classes_at(5))]
    options = BlockOptions(duration=2, quorum=1, no_classes_day=True)
    expected = find_blocks(group, options)
    monkeypatch.setattr(blocks_module, "_CACHE_LIMIT", 2)
    for cache in blocks_module._CACHES.values():
        cache.clear()
    assert find_blocks(group, options) == expected
    assert all(len(cache) <= 2 for cache in blocks_module._CACHES.values())


# --------------------------------------------------------------------------- brute force


def reference_distance(column: str, hour: int, class_free_counts: bool) -> int:
    """Straight from the definition: hours to the nearest class that day."""
    classes = [h for h, cell in enumerate(column) if cell == "1"]
    if not classes:
        return 1 if class_free_counts else 0
    return min(abs(hour - c) for c in classes)


def reference_blocks(
    schedules: list[str], options: BlockOptions
) -> list[tuple[int, int, tuple[int, ...], int]]:
    """Every candidate block, its attendees, kept by quorum, sorted with exact fractions."""
    quorum = len(schedules) if options.quorum is None else options.quorum
    duration = options.duration
    kept = []
    for day in range(DAYS_PER_WEEK):
        if day in options.days_to_filter:
            continue
        counts = options.no_classes_day and (day < 5 or not options.ignore_weekend)
        for start in range(HOURS_PER_DAY - duration + 1):
            attendees, total = [], 0
            for index, schedule in enumerate(schedules):
                column = schedule[day::DAYS_PER_WEEK]
                hours = range(start, start + duration)
                distances = [reference_distance(column, h, counts) for h in hours]
                if all(d > 0 for d in distances):
                    attendees.append(index)
                    total += sum(distances)
            if attendees and len(attendees) >= quorum:
                kept.append((day, start, tuple(attendees), total))

    def rank(block: tuple[int, int, tuple[int, ...], int]) -> tuple[object, ...]:
        day, start, attendees, total = block
        quality = 1 - (Fraction(total, len(attendees) * duration) - 1) / 12
        return (-len(attendees), -quality, start, day)

    kept.sort(key=rank)
    return kept if options.limit is None else kept[: options.limit]


def column_strategy() -> st.SearchStrategy[str]:
    """Day columns as timetables have them: class-free, sparse, dense, rarely full."""
    sparse = st.sets(st.integers(0, HOURS_PER_DAY - 1), max_size=4).map(
        lambda hours: classes_at(*hours)
    )
    dense = st.text(alphabet="01", min_size=HOURS_PER_DAY, max_size=HOURS_PER_DAY)
    return st.one_of(st.just("0" * HOURS_PER_DAY), sparse, dense, st.just("1" * HOURS_PER_DAY))


def schedule_strategy() -> st.SearchStrategy[str]:
    return st.lists(column_strategy(), min_size=7, max_size=7).map(
        lambda columns: week(**{f"d{day}": column for day, column in enumerate(columns)})
    )


groups = st.lists(schedule_strategy(), min_size=1, max_size=6)
day_sets = st.frozensets(st.integers(0, DAYS_PER_WEEK - 1), max_size=3)


@st.composite
def group_and_options(draw: st.DrawFn) -> tuple[list[str], BlockOptions]:
    schedules = draw(groups)
    options = BlockOptions(
        duration=draw(st.integers(1, HOURS_PER_DAY)),
        quorum=draw(st.none() | st.integers(1, len(schedules) + 1)),
        no_classes_day=draw(st.booleans()),
        ignore_weekend=draw(st.booleans()),
        limit=draw(st.none() | st.integers(0, 20)),
        days_to_filter=draw(day_sets),
    )
    return schedules, options


@settings(max_examples=300, deadline=None)
@given(group_and_options())
def test_matches_the_brute_force(case: tuple[list[str], BlockOptions]) -> None:
    schedules, options = case
    blocks = find_blocks(schedules, options)
    assert summary(blocks) == reference_blocks(schedules, options)
    for block in blocks:
        exact = Fraction(block.total_distance, len(block.attendees) * options.duration)
        assert block.avg == float(exact)  # a correctly rounded division
        assert block.quality == 1 - (block.avg - 1) / 12


@settings(max_examples=300, deadline=None)
@given(
    groups,
    st.booleans(),
    st.booleans(),
    st.none() | st.integers(0, 30),
    day_sets,
)
def test_duration_one_everyone_is_find_gaps(
    schedules: list[str],
    no_classes_day: bool,
    ignore_weekend: bool,
    limit: int | None,
    days: frozenset[int],
) -> None:
    """The issue's consistency: same slots, same avg and quality floats bit for bit, same
    order as /results without compute_sd."""
    gaps = find_gaps(
        schedules,
        GapOptions(
            no_classes_day=no_classes_day,
            ignore_weekend=ignore_weekend,
            limit=limit,
            days_to_filter=days,
        ),
    )
    blocks = find_blocks(
        schedules,
        BlockOptions(
            no_classes_day=no_classes_day,
            ignore_weekend=ignore_weekend,
            limit=limit,
            days_to_filter=days,
        ),
    )
    assert [(b.day_index, b.start_hour_index, b.avg.hex(), b.quality.hex()) for b in blocks] == [
        (g.day_index, g.hour_index, g.avg.hex(), g.quality.hex()) for g in gaps
    ]
    everyone = tuple(range(len(schedules)))
    assert all(b.attendees == everyone and b.duration == 1 for b in blocks)


def test_the_consistency_cases_have_ties_and_many_gaps() -> None:
    # Guards the property above with a case hypothesis may or may not draw: many exact
    # quality ties, where only the (hour, day) order decides.
    group = [week(**{f"d{d}": classes_at(0, 13) for d in range(5)}) for _ in range(3)]
    blocks = find_blocks(group)
    assert len(blocks) == 5 * 12
    assert any(a.quality == b.quality for a, b in pairwise(blocks))
    assert summary(blocks) == [
        (g.day_index, g.hour_index, (0, 1, 2), round(g.avg * 3)) for g in find_gaps(group)
    ]
