from __future__ import annotations

import random

import pytest

from gapfind.core.availability import (
    SlotAvailability,
    joined_weekday_availability,
    weekday_availability,
)
from gapfind.core.grid import SLOT_COUNT, WEEKDAY_COUNT, schedule_from_indices

FREE = "0" * SLOT_COUNT
BUSY = "1" * SLOT_COUNT
WEEKDAY_SLOTS = [(hour, day) for hour in range(14) for day in range(WEEKDAY_COUNT)]


def counts(result: list[SlotAvailability]) -> dict[tuple[int, int], tuple[int, float]]:
    return {(s.hour_index, s.day_index): (s.number_of_students, s.availability) for s in result}


def test_one_entry_per_weekday_slot_in_row_major_order() -> None:
    result = weekday_availability([FREE])
    assert [(s.hour_index, s.day_index) for s in result] == WEEKDAY_SLOTS
    assert len(result) == 70


@pytest.mark.parametrize(
    ("schedules", "number", "availability"),
    [
        ([], 0, 0.0),
        ([FREE], 1, 1.0),
        ([BUSY], 0, 0.0),
        ([FREE, BUSY], 1, 0.5),
        ([FREE, FREE, BUSY], 2, 2 / 3),
        ([BUSY] * 3 + [FREE], 1, 0.25),
    ],
)
def test_uniform_groups(schedules: list[str], number: int, availability: float) -> None:
    result = weekday_availability(schedules)
    assert {(s.number_of_students, s.availability) for s in result} == {(number, availability)}


@pytest.mark.parametrize(
    ("slot", "expected"),
    [
        ((0, 0), (1, 1 / 3)),  # busy for the first two
        ((0, 1), (2, 2 / 3)),  # busy for the first only
        ((13, 4), (2, 2 / 3)),  # busy for the third only
        ((6, 2), (3, 1.0)),  # nobody busy
        ((5, 3), (3, 1.0)),  # only weekend classes around it
    ],
)
def test_counts_per_slot(slot: tuple[int, int], expected: tuple[int, float]) -> None:
    group = [
        schedule_from_indices([(0, 0), (0, 1), (5, 5)]),
        schedule_from_indices([(0, 0), (13, 6)]),
        schedule_from_indices([(13, 4), (5, 6)]),
    ]
    assert counts(weekday_availability(group))[slot] == expected


def test_weekend_is_never_listed() -> None:
    weekend_only = schedule_from_indices([(h, d) for h in range(14) for d in (5, 6)])
    result = weekday_availability([weekend_only, FREE])
    assert {s.day_index for s in result} == set(range(WEEKDAY_COUNT))
    assert all(s.number_of_students == 2 for s in result)


@pytest.mark.parametrize(
    ("filter_pairs", "removed"),
    [
        ([(0, 0)], {(0, 0)}),
        ([(0, 0), (13, 4), (7, 2)], {(0, 0), (13, 4), (7, 2)}),
        ([(3, 5), (3, 6)], set()),  # weekend classes remove nothing
        ([(h, d) for h in range(14) for d in range(7)], set(WEEKDAY_SLOTS)),
    ],
)
def test_filter_removes_the_filter_classes(
    filter_pairs: list[tuple[int, int]], removed: set[tuple[int, int]]
) -> None:
    group = [schedule_from_indices([(1, 1)]), FREE]
    unfiltered = weekday_availability(group)
    filtered = weekday_availability(group, schedule_from_indices(filter_pairs))
    assert filtered == [s for s in unfiltered if (s.hour_index, s.day_index) not in removed]


def test_free_filter_is_no_filter() -> None:
    group = [schedule_from_indices([(1, 1), (4, 3)])]
    assert weekday_availability(group, FREE) == weekday_availability(group)


def test_filter_applies_to_empty_groups() -> None:
    result = weekday_availability([], schedule_from_indices([(0, 0)]))
    assert len(result) == 69 and (0, 0) not in counts(result)
    assert all(s.availability == 0.0 for s in result)


@pytest.mark.parametrize("bad", ["0" * 97, "0" * 99, "", "2" * SLOT_COUNT])
def test_invalid_filter_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="filter_schedule"):
        weekday_availability([FREE], bad)


@pytest.mark.parametrize("bad", [["0" * 97], [FREE, "0" * 99], ["0" * 97, "0" * 99], [""]])
def test_misaligned_schedules_are_refused(bad: list[str]) -> None:
    # A 97 and a 99 together still join to 196 characters: each length must be checked.
    with pytest.raises(ValueError, match="98 characters"):
        weekday_availability(bad)


def test_entries_are_immutable() -> None:
    entry = weekday_availability([FREE])[0]
    with pytest.raises(AttributeError):
        entry.number_of_students = 2  # type: ignore[misc]


def naive_availability(
    schedules: list[str], filter_schedule: str | None
) -> list[tuple[int, int, int, float]]:
    result = []
    for hour in range(14):
        for day in range(5):
            slot = hour * 7 + day
            if filter_schedule is not None and filter_schedule[slot] == "1":
                continue
            free = sum(1 for schedule in schedules if schedule[slot] == "0")
            result.append((hour, day, free, free / len(schedules) if schedules else 0.0))
    return result


@pytest.mark.parametrize("seed", range(20))
def test_matches_naive_reference(seed: int) -> None:
    rng = random.Random(seed)
    density = rng.random()
    group = [
        "".join("1" if rng.random() < density else "0" for _ in range(SLOT_COUNT))
        for _ in range(rng.randint(0, 60))
    ]
    filter_schedule = None
    if rng.random() < 0.5:
        filter_schedule = "".join(rng.choice("0000001") for _ in range(SLOT_COUNT))
    result = weekday_availability(group, filter_schedule)
    assert [
        (s.hour_index, s.day_index, s.number_of_students, s.availability) for s in result
    ] == naive_availability(group, filter_schedule)


@pytest.mark.parametrize("size", [0, 1, 2, 7, 150])
def test_joined_schedules_give_the_same_answer_in_any_order(size: int) -> None:
    """What the database hands over (every schedule back to back, in no particular order)
    counts exactly like the list of schedules."""
    rng = random.Random(size)
    group = ["".join(rng.choice("01") for _ in range(SLOT_COUNT)) for _ in range(size)]
    shuffled = rng.sample(group, len(group))
    filter_schedule = schedule_from_indices([(2, 3), (0, 0)])
    for chosen in (None, filter_schedule):
        expected = weekday_availability(group, chosen)
        assert joined_weekday_availability("".join(shuffled), chosen) == expected


@pytest.mark.parametrize("length", [1, SLOT_COUNT - 1, SLOT_COUNT + 1, 3 * SLOT_COUNT - 5])
def test_joined_schedules_of_a_wrong_length_are_refused(length: int) -> None:
    with pytest.raises(ValueError, match="multiple of 98"):
        joined_weekday_availability("0" * length)
