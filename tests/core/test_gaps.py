from __future__ import annotations

import math
import random
import statistics
from collections.abc import Sequence
from itertools import pairwise

import pytest

from gapfind.core.gaps import MAX_STUDENTS, Gap, GapOptions, distance_profile, find_gaps
from gapfind.core.grid import DAYS_PER_WEEK, HOURS_PER_DAY, SLOT_COUNT

# One line per hour (7 days), as the grid is stored: the worked example of the contract.
A = (
    "0100000"
    "0100100"
    "0010100"
    "0100000"
    "0000000"
    "0000000"
    "0000000"
    "0000000"
    "0110100"
    "0110100"
    "1010000"
    "1110000"
    "0000000"
    "0000000"
)
B = (
    "0100000"
    "0111100"
    "0111000"
    "0101000"
    "0001000"
    "0000000"
    "0010000"
    "0010000"
    "0101000"
    "1101000"
    "1100000"
    "0001000"
    "0000000"
    "0000000"
)
NO_CLASSES = "0" * SLOT_COUNT


def week(**columns: str) -> str:
    """A schedule from day columns given as d0=..., d6=... (14 chars each, top to bottom)."""
    cells = ["0"] * SLOT_COUNT
    for key, column in columns.items():
        day = int(key[1:])
        for hour, cell in enumerate(column):
            cells[hour * DAYS_PER_WEEK + day] = cell
    return "".join(cells)


def classes_at(*hours: int) -> str:
    return "".join("1" if hour in hours else "0" for hour in range(HOURS_PER_DAY))


def slots(gaps: Sequence[Gap]) -> list[tuple[int, int]]:
    return [(gap.hour_index, gap.day_index) for gap in gaps]


def fingerprint(gaps: Sequence[Gap]) -> list[tuple[object, ...]]:
    """Bit-exact view of a result: float.hex also tells 0.0 from -0.0."""
    return [
        (
            g.hour_index,
            g.day_index,
            g.avg.hex(),
            g.quality.hex(),
            None if g.sd is None else g.sd.hex(),
        )
        for g in gaps
    ]


# --- distance_profile -------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        # no class / all classes: nothing is a gap from this day alone
        ("00000000000000", (0,) * 14),
        ("11111111111111", (0,) * 14),
        # run before the first class counts down to it
        ("00010000000000", (3, 2, 1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)),
        # run after the last class counts up from it
        ("10000000000000", (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13)),
        ("00000000000001", (13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)),
        # runs between classes rise and fall; even runs have two equal middles
        ("10100000000001", (0, 1, 0, 1, 2, 3, 4, 5, 5, 4, 3, 2, 1, 0)),
        ("10010000000000", (0, 1, 1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)),
        ("10001000000000", (0, 1, 2, 1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9)),
        ("10000100000000", (0, 1, 2, 2, 1, 0, 1, 2, 3, 4, 5, 6, 7, 8)),
        ("01000001000000", (1, 0, 1, 2, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6)),
        ("11000000000011", (0, 0, 1, 2, 3, 4, 5, 5, 4, 3, 2, 1, 0, 0)),
        ("01010101010101", (1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0)),
        ("00110000011000", (2, 1, 0, 0, 1, 2, 3, 2, 1, 0, 0, 1, 2, 3)),
    ],
)
def test_distance_profile(column: str, expected: tuple[int, ...]) -> None:
    assert distance_profile(column) == expected


@pytest.mark.parametrize("column", ["", "0" * 13, "0" * 15, "2" + "0" * 13, " " * 14])
def test_distance_profile_rejects_non_columns(column: str) -> None:
    with pytest.raises(ValueError, match="not a day column"):
        distance_profile(column)


# --- the worked example -------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "count", "days_present", "days_absent"),
    [
        (GapOptions(), 33, set(), {3, 5, 6}),
        (GapOptions(no_classes_day=True), 40, {3}, {5, 6}),
        (GapOptions(no_classes_day=True, ignore_weekend=False), 68, {3, 5, 6}, set()),
        (GapOptions(ignore_weekend=False), 33, set(), {3, 5, 6}),
    ],
)
def test_worked_example(
    options: GapOptions, count: int, days_present: set[int], days_absent: set[int]
) -> None:
    gaps = find_gaps([A, B], options)
    days = {gap.day_index for gap in gaps}
    assert len(gaps) == count
    assert days_present <= days
    assert not days & days_absent


def test_worked_example_first_gaps() -> None:
    # Slots right next to both students' classes are the easiest meetings.
    gaps = find_gaps([A, B])
    assert gaps[0].avg == 1.0 and gaps[0].quality == 1.0
    assert all(a.quality >= b.quality for a, b in pairwise(gaps))


# --- the rules, one by one ----------------------------------------------------------


def test_single_student_gaps_are_its_profile() -> None:
    schedule = week(d0=classes_at(3), d2=classes_at(0, 5, 13), d6=classes_at(7))
    gaps = {(g.hour_index, g.day_index): g.avg for g in find_gaps([schedule])}
    expected = {
        (hour, day): float(distance)
        for day, column in ((0, classes_at(3)), (2, classes_at(0, 5, 13)), (6, classes_at(7)))
        for hour, distance in enumerate(distance_profile(column))
        if distance
    }
    assert gaps == expected


def test_a_slot_blocked_for_one_student_is_blocked_for_all() -> None:
    first = week(d0=classes_at(0))
    second = week(d0=classes_at(13), d1=classes_at(4))
    gaps = find_gaps([first, second])
    # Day 1 is a gap day for the second student only: the first is not on campus.
    assert {g.day_index for g in gaps} == {0}
    assert slots(gaps) and (0, 0) not in slots(gaps) and (13, 0) not in slots(gaps)
    assert {g.avg for g in gaps} == {6.5}  # distances h and 13-h always sum to 13


@pytest.mark.parametrize(
    ("options", "expected_days"),
    [
        (GapOptions(), {0}),
        (GapOptions(ignore_weekend=False), {0}),
        (GapOptions(no_classes_day=True), {0, 1, 2, 3, 4}),
        (GapOptions(no_classes_day=True, ignore_weekend=False), {0, 1, 2, 3, 4, 5, 6}),
    ],
)
def test_class_free_days(options: GapOptions, expected_days: set[int]) -> None:
    # Classes only on Monday; Wednesday is full, which never becomes free.
    schedule = week(d0=classes_at(0), d2="1" * 14)
    gaps = find_gaps([schedule], options)
    by_day: dict[int, list[Gap]] = {}
    for gap in gaps:
        by_day.setdefault(gap.day_index, []).append(gap)
    assert set(by_day) == expected_days - {2}
    assert len(by_day[0]) == 13
    for day in expected_days - {0, 2}:
        assert [(g.avg, g.quality) for g in by_day[day]] == [(1.0, 1.0)] * HOURS_PER_DAY


def test_ignore_weekend_does_not_hide_weekend_classes() -> None:
    schedule = week(d5=classes_at(2), d6=classes_at(9))
    assert {g.day_index for g in find_gaps([schedule])} == {5, 6}


@pytest.mark.parametrize(
    ("options", "expected_avg"),
    [(GapOptions(), None), (GapOptions(no_classes_day=True), (1 + 3) / 2)],
)
def test_no_classes_day_averages_as_distance_one(
    options: GapOptions, expected_avg: float | None
) -> None:
    busy = week(d1=classes_at(0))
    idle = NO_CLASSES
    gap_at_hour_3 = [
        g for g in find_gaps([busy, idle], options) if (g.hour_index, g.day_index) == (3, 1)
    ]
    assert [g.avg for g in gap_at_hour_3] == ([] if expected_avg is None else [expected_avg])


def test_full_days_and_empty_weeks_have_no_gaps() -> None:
    full = "1" * SLOT_COUNT
    assert find_gaps([full]) == []
    assert find_gaps([full], GapOptions(no_classes_day=True, ignore_weekend=False)) == []
    assert find_gaps([NO_CLASSES]) == []
    assert len(find_gaps([NO_CLASSES], GapOptions(no_classes_day=True))) == 5 * HOURS_PER_DAY


def test_no_schedules_no_gaps() -> None:
    assert find_gaps([]) == []


# --- quality and sd -----------------------------------------------------------------

# Two students on Monday: classes at hour 0 and at hour 4 respectively, so at hours
# 1..3 their distances are (1, 3), (2, 2), (3, 1).
SD_GROUP = [week(d0=classes_at(0)), week(d0=classes_at(4))]


@pytest.mark.parametrize(
    ("hour", "avg", "sd"),
    [(1, 2.0, 1.0), (2, 2.0, 0.0), (3, 2.0, 1.0), (5, 3.0, 2.0), (13, 11.0, 2.0)],
)
def test_sd_and_quality(hour: int, avg: float, sd: float) -> None:
    plain = {g.hour_index: g for g in find_gaps(SD_GROUP)}
    spread = {g.hour_index: g for g in find_gaps(SD_GROUP, GapOptions(compute_sd=True))}
    assert (plain[hour].avg, plain[hour].sd) == (avg, None)
    assert plain[hour].quality == pytest.approx(1 - (avg - 1) / 12)
    assert (spread[hour].avg, spread[hour].sd) == (avg, sd)
    assert spread[hour].quality == pytest.approx(1 - ((avg - 1) + sd) / 18)


def test_sd_changes_the_order() -> None:
    spread = find_gaps(SD_GROUP, GapOptions(compute_sd=True))
    plain = find_gaps(SD_GROUP)
    # Without sd hours 1..3 tie (avg 2); with sd the even split (2, 2) wins.
    assert slots(plain)[:3] == [(1, 0), (2, 0), (3, 0)]
    assert slots(spread)[0] == (2, 0)


def test_equal_qualities_are_bit_identical_and_ordered_row_major() -> None:
    # Hour 1 of Monday has distances (1, 3): avg 2 + sd 1; hour 2 of Sunday (3, 3):
    # avg 3 + sd 0. Both score 1 - 2/18 and must tie exactly.
    group = [
        week(d0=classes_at(0), d6=classes_at(5)),
        week(d0=classes_at(4), d6=classes_at(5)),
    ]
    gaps = {(g.hour_index, g.day_index): g for g in find_gaps(group, GapOptions(compute_sd=True))}
    assert gaps[(1, 0)].quality.hex() == gaps[(2, 6)].quality.hex()
    order = slots(find_gaps(group, GapOptions(compute_sd=True)))
    assert order.index((1, 0)) < order.index((2, 6))


def test_ties_are_broken_row_major_not_by_day() -> None:
    # Sunday's class is early, Monday's late: distance-1 slots (4, 6) and (8, 0) tie,
    # and the earlier hour wins even though it is on a later day.
    schedule = week(d0=classes_at(9), d6=classes_at(5))
    order = slots(find_gaps([schedule]))
    assert order[:4] == [(4, 6), (6, 6), (8, 0), (10, 0)]


def test_all_ties_give_row_major_order() -> None:
    schedule = week(**{f"d{day}": classes_at(0) for day in range(DAYS_PER_WEEK)})
    order = slots(find_gaps([schedule]))
    assert order == [(hour, day) for hour in range(1, 14) for day in range(DAYS_PER_WEEK)]


# --- filtering and limiting ---------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "limit"),
    [(frozenset({2}), 3), (frozenset({0, 1}), 5), (frozenset(), 4), (frozenset({4}), 100)],
)
def test_days_are_filtered_before_the_limit(days: frozenset[int], limit: int) -> None:
    everything = find_gaps([A, B])
    kept = [g for g in everything if g.day_index not in days]
    result = find_gaps([A, B], GapOptions(days_to_filter=days, limit=limit))
    assert result == kept[:limit]
    assert not {g.day_index for g in result} & days


def test_filtering_after_the_limit_would_differ() -> None:
    # Guards the test above: on this data the order of the two steps matters.
    everything = find_gaps([A, B])
    filter_first = [g for g in everything if g.day_index != 2][:3]
    limit_first = [g for g in everything[:3] if g.day_index != 2]
    assert filter_first != limit_first
    assert find_gaps([A, B], GapOptions(days_to_filter=frozenset({2}), limit=3)) == filter_first


@pytest.mark.parametrize(("limit", "expected"), [(None, 33), (0, 0), (1, 1), (33, 33), (50, 33)])
def test_limit(limit: int | None, expected: int) -> None:
    assert len(find_gaps([A, B], GapOptions(limit=limit))) == expected


def test_filtering_every_day_leaves_nothing() -> None:
    assert find_gaps([A, B], GapOptions(days_to_filter=frozenset(range(7)))) == []


def test_negative_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="limit"):
        GapOptions(limit=-1)


# --- objects and input checking -----------------------------------------------------


def test_gap_labels_and_immutability() -> None:
    gap = Gap(hour_index=6, day_index=5, avg=1.0, quality=1.0, sd=None)
    assert (gap.hour, gap.day) == ("12:30 PM", "S\u00e1bado")
    with pytest.raises(AttributeError):
        gap.avg = 2.0  # type: ignore[misc]


@pytest.mark.parametrize(
    "bad",
    ["0" * 97, "0" * 99, "0" * 105, "", "x" * SLOT_COUNT, "0" * 97 + "2"],
)
def test_invalid_schedules_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        find_gaps([A, bad])


class _Huge(list[str]):
    """Claims more students than the packed sums can hold, without allocating them."""

    def __len__(self) -> int:
        return MAX_STUDENTS + 1


def test_groups_that_would_overflow_the_packed_sums_are_refused() -> None:
    with pytest.raises(ValueError, match="at most"):
        find_gaps(_Huge())


# --- order independence and a naive reference ---------------------------------------


def random_schedule(rng: random.Random) -> str:
    """Realistic-ish weeks: some class-free days, a rare full day, sparse classes."""
    columns = {}
    for day in range(DAYS_PER_WEEK):
        kind = rng.random()
        if kind < 0.3:
            column = "0" * HOURS_PER_DAY
        elif kind < 0.33:
            column = "1" * HOURS_PER_DAY
        else:
            density = rng.uniform(0.05, 0.5)
            column = "".join("1" if rng.random() < density else "0" for _ in range(14))
        columns[f"d{day}"] = column
    return week(**columns)


def random_options(rng: random.Random) -> GapOptions:
    return GapOptions(
        compute_sd=rng.random() < 0.5,
        no_classes_day=rng.random() < 0.5,
        ignore_weekend=rng.random() < 0.5,
    )


@pytest.mark.parametrize("seed", range(20))
def test_student_order_does_not_matter(seed: int) -> None:
    rng = random.Random(seed)
    group = [random_schedule(rng) for _ in range(rng.randint(2, 6))]
    options = random_options(rng)
    shuffled = group[:]
    rng.shuffle(shuffled)
    reversed_group = group[::-1]
    expected = fingerprint(find_gaps(group, options))
    assert fingerprint(find_gaps(shuffled, options)) == expected
    assert fingerprint(find_gaps(reversed_group, options)) == expected


def naive_distances(schedule: str, options: GapOptions) -> list[list[int]]:
    """distances[hour][day], straight from the definition."""
    result = [[0] * DAYS_PER_WEEK for _ in range(HOURS_PER_DAY)]
    for day in range(DAYS_PER_WEEK):
        classes = [h for h in range(HOURS_PER_DAY) if schedule[h * DAYS_PER_WEEK + day] == "1"]
        free_day_counts = options.no_classes_day and (day < 5 or not options.ignore_weekend)
        for hour in range(HOURS_PER_DAY):
            if not classes:
                result[hour][day] = 1 if free_day_counts else 0
            else:
                result[hour][day] = min(abs(hour - c) for c in classes)
    return result


def naive_gaps(
    schedules: list[str], options: GapOptions
) -> dict[tuple[int, int], tuple[float, ...]]:
    per_student = [naive_distances(s, options) for s in schedules]
    gaps = {}
    for hour in range(HOURS_PER_DAY):
        for day in range(DAYS_PER_WEEK):
            values = [d[hour][day] for d in per_student]
            if 0 in values or day in options.days_to_filter:
                continue
            avg = statistics.fmean(values)
            sd = statistics.pstdev(values)
            if options.compute_sd:
                quality = 1 - ((avg - 1) + sd) / 18
            else:
                quality = 1 - (avg - 1) / 12
            gaps[(hour, day)] = (avg, quality, sd)
    return gaps


def random_case(seed: int) -> tuple[list[str], GapOptions]:
    rng = random.Random(seed)
    group = [random_schedule(rng) for _ in range(rng.randint(1, 5))]
    filtered = frozenset(rng.sample(range(7), rng.randint(1, 3))) if rng.random() < 0.3 else None
    options = GapOptions(
        compute_sd=rng.random() < 0.5,
        no_classes_day=rng.random() < 0.5,
        ignore_weekend=rng.random() < 0.5,
        days_to_filter=filtered or frozenset(),
    )
    return group, options


REFERENCE_SEEDS = range(60)


@pytest.mark.parametrize("seed", REFERENCE_SEEDS)
def test_matches_naive_reference(seed: int) -> None:
    group, options = random_case(seed)
    gaps = find_gaps(group, options)
    reference = naive_gaps(group, options)

    assert sorted(slots(gaps)) == sorted(reference)
    for gap in gaps:
        avg, quality, sd = reference[(gap.hour_index, gap.day_index)]
        assert math.isclose(gap.avg, avg)
        assert math.isclose(gap.quality, quality, abs_tol=1e-12)
        if options.compute_sd:
            assert gap.sd is not None and math.isclose(gap.sd, sd, abs_tol=1e-12)
        else:
            assert gap.sd is None
    # Order: quality descending by the reference's numbers, row-major among ties.
    for earlier, later in pairwise(gaps):
        q_earlier = reference[(earlier.hour_index, earlier.day_index)][1]
        q_later = reference[(later.hour_index, later.day_index)][1]
        if math.isclose(q_earlier, q_later, abs_tol=1e-9):
            assert (earlier.hour_index, earlier.day_index) < (later.hour_index, later.day_index)
        else:
            assert q_earlier > q_later


def test_reference_cases_are_not_trivial() -> None:
    # Guards the randomized test above: most of its cases must have gaps to compare,
    # and some must have ties to order.
    results = [find_gaps(*random_case(seed)) for seed in REFERENCE_SEEDS]
    assert sum(1 for gaps in results if gaps) >= len(REFERENCE_SEEDS) // 2
    assert any(a.quality == b.quality for gaps in results for a, b in pairwise(gaps))
