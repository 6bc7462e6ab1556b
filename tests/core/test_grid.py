from __future__ import annotations

import ast
import random
import re
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import gapfind.core
from gapfind.core.grid import (
    CLASS_MARK,
    DAY_LABELS,
    DAYS_PER_WEEK,
    FREE_MARK,
    HOUR_LABELS,
    HOURS_PER_DAY,
    SLOT_COUNT,
    WEEKDAY_COUNT,
    IndicesProblem,
    InvalidIndices,
    _diagnose_pair,
    day_column,
    indices_from_schedule,
    is_schedule,
    render_grid,
    schedule_from_indices,
    slot_index,
    slot_start_minute,
    slot_time_label,
    validate_indices,
)

EMPTY = "0" * SLOT_COUNT


def test_grid_dimensions() -> None:
    assert (HOURS_PER_DAY, DAYS_PER_WEEK, SLOT_COUNT, WEEKDAY_COUNT) == (14, 7, 98, 5)
    assert len(HOUR_LABELS) == HOURS_PER_DAY
    assert len(DAY_LABELS) == DAYS_PER_WEEK


@pytest.mark.parametrize(
    ("hour_index", "label"),
    [
        (0, "6:30 AM"),
        (1, "7:30 AM"),
        (5, "11:30 AM"),
        (6, "12:30 PM"),
        (7, "1:30 PM"),
        (12, "6:30 PM"),
        (13, "7:30 PM"),
    ],
)
def test_hour_labels(hour_index: int, label: str) -> None:
    assert HOUR_LABELS[hour_index] == label


def test_day_labels_are_exact() -> None:
    assert DAY_LABELS == (
        "Lunes",
        "Martes",
        "Miercoles",
        "Jueves",
        "Viernes",
        "S\u00e1bado",
        "Domingo",
    )


@pytest.mark.parametrize(
    ("hour_index", "day_index", "expected"),
    [(0, 0, 0), (0, 6, 6), (1, 0, 7), (2, 3, 17), (13, 0, 91), (13, 6, 97)],
)
def test_slot_index_is_row_major(hour_index: int, day_index: int, expected: int) -> None:
    assert slot_index(hour_index, day_index) == expected


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ([], EMPTY),
        ([(0, 1)], "0100000" + "0" * 91),
        ([(0, 1), (0, 1), (0, 1)], "0100000" + "0" * 91),
        ([(13, 6)], "0" * 97 + "1"),
        ([(1, 0), (0, 0)], "1000000" + "1000000" + "0" * 84),
    ],
)
def test_schedule_from_indices(pairs: list[tuple[int, int]], expected: str) -> None:
    assert schedule_from_indices(pairs) == expected


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        (EMPTY, []),
        ("0100000" + "0" * 91, [(0, 1)]),
        ("0" * 97 + "1", [(13, 6)]),
        ("1000001" + "1" + "0" * 90, [(0, 0), (0, 6), (1, 0)]),
        ("1" * SLOT_COUNT, [(hour, day) for hour in range(14) for day in range(7)]),
    ],
)
def test_indices_from_schedule_is_row_major(schedule: str, expected: list[tuple[int, int]]) -> None:
    assert indices_from_schedule(schedule) == expected


@pytest.mark.parametrize("seed", range(5))
def test_indices_and_schedule_round_trip(seed: int) -> None:
    rng = random.Random(seed)
    schedule = "".join(rng.choice("01") for _ in range(SLOT_COUNT))
    pairs = indices_from_schedule(schedule)
    assert schedule_from_indices(pairs) == schedule
    assert indices_from_schedule(schedule_from_indices(reversed(pairs))) == pairs


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (EMPTY, True),
        ("1" * SLOT_COUNT, True),
        ("01" * 49, True),
        ("0" * 97, False),
        ("0" * 99, False),
        ("", False),
        ("2" + "0" * 97, False),
        (" " + "0" * 97, False),
        ("0" * 97 + "\n", False),
        (EMPTY.encode(), False),
        (list(EMPTY), False),
        (None, False),
        (0, False),
    ],
)
def test_is_schedule(value: object, expected: bool) -> None:
    assert is_schedule(value) is expected


@pytest.mark.parametrize(
    ("pairs", "day_index", "expected"),
    [
        ([], 0, "0" * 14),
        ([(0, 0)], 0, "1" + "0" * 13),
        ([(0, 0)], 1, "0" * 14),
        ([(13, 6), (2, 6)], 6, "00100000000001"),
        ([(3, 2), (3, 3)], 2, "00010000000000"),
    ],
)
def test_day_column(pairs: list[tuple[int, int]], day_index: int, expected: str) -> None:
    assert day_column(schedule_from_indices(pairs), day_index) == expected


def _cell_spans(line: str, count: int) -> list[tuple[int, int, str]]:
    """The last `count` space-separated tokens of a line, with their character spans."""
    tokens = [(m.start(), m.end(), m.group()) for m in re.finditer(r"\S+", line)]
    return tokens[-count:]


def test_render_grid_shape_and_marks() -> None:
    classes = {(0, 0), (5, 5), (6, 2), (13, 6), (13, 0)}
    lines = render_grid(schedule_from_indices(classes)).split("\n")

    assert len(lines) == 1 + HOURS_PER_DAY
    header, rows = lines[0], lines[1:]
    day_spans = [(header.index(label), header.index(label) + len(label)) for label in DAY_LABELS]
    assert day_spans == sorted(day_spans)

    for hour_index, row in enumerate(rows):
        assert (
            row.split()[: len(HOUR_LABELS[hour_index].split())] == HOUR_LABELS[hour_index].split()
        )
        cells = _cell_spans(row, DAYS_PER_WEEK)
        for day_index, (start, end, mark) in enumerate(cells):
            expected = CLASS_MARK if (hour_index, day_index) in classes else FREE_MARK
            assert mark == expected, (hour_index, day_index)
            # Aligned: every mark sits under its day's label.
            label_start, label_end = day_spans[day_index]
            assert label_start <= start and end <= label_end, (hour_index, day_index)


@pytest.mark.parametrize(
    ("schedule", "mark"),
    [(EMPTY, FREE_MARK), ("1" * SLOT_COUNT, CLASS_MARK)],
)
def test_render_grid_uniform(schedule: str, mark: str) -> None:
    rows = render_grid(schedule).split("\n")[1:]
    assert all([m for _, _, m in _cell_spans(row, 7)] == [mark] * 7 for row in rows)
    assert all(row == row.rstrip() for row in rows)


@pytest.mark.parametrize("bad", ["0" * 97, "2" * 98, ""])
def test_render_grid_rejects_non_schedules(bad: str) -> None:
    with pytest.raises(ValueError, match="not a schedule"):
        render_grid(bad)


@pytest.mark.parametrize(
    ("problem", "value"),
    [
        (IndicesProblem.EMPTY, "empty"),
        (IndicesProblem.TOO_MANY, "too_many"),
        (IndicesProblem.NOT_PAIR, "not_pair"),
        (IndicesProblem.BAD_HOUR, "bad_hour"),
        (IndicesProblem.BAD_DAY, "bad_day"),
    ],
)
def test_indices_problem_values_are_stable(problem: IndicesProblem, value: str) -> None:
    assert problem.value == value
    assert str(InvalidIndices(problem)) == value


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ([[0, 1]], [(0, 1)]),
        (((0, 1),), [(0, 1)]),
        ([[13, 6], [0, 0]], [(0, 0), (13, 6)]),
        ([[1, 0], [0, 6], [1, 0]], [(0, 6), (1, 0)]),
        ([[0, 0]] * SLOT_COUNT, [(0, 0)]),
        (
            [(h, d) for d in range(7) for h in range(14)],
            [(h, d) for h in range(14) for d in range(7)],
        ),
    ],
)
def test_validate_indices_accepts(pairs: object, expected: list[tuple[int, int]]) -> None:
    assert validate_indices(pairs) == expected


@pytest.mark.parametrize(
    ("pairs", "problem"),
    [
        ([], IndicesProblem.EMPTY),
        ((), IndicesProblem.EMPTY),
        (None, IndicesProblem.NOT_PAIR),
        ("[[0, 0]]", IndicesProblem.NOT_PAIR),
        ({"0": 0}, IndicesProblem.NOT_PAIR),
        ([[0, 0]] * (SLOT_COUNT + 1), IndicesProblem.TOO_MANY),
        ([[99, 99]] * (SLOT_COUNT + 1), IndicesProblem.TOO_MANY),
        ([[0]], IndicesProblem.NOT_PAIR),
        ([[0, 0, 0]], IndicesProblem.NOT_PAIR),
        ([0], IndicesProblem.NOT_PAIR),
        (["01"], IndicesProblem.NOT_PAIR),
        ([{0: 0, 1: 0}], IndicesProblem.NOT_PAIR),
        ([[True, 0]], IndicesProblem.NOT_PAIR),
        ([[0, False]], IndicesProblem.NOT_PAIR),
        ([[0.0, 0]], IndicesProblem.NOT_PAIR),
        ([["0", 0]], IndicesProblem.NOT_PAIR),
        ([[0, None]], IndicesProblem.NOT_PAIR),
        ([[14, 0]], IndicesProblem.BAD_HOUR),
        ([[-1, 0]], IndicesProblem.BAD_HOUR),
        ([[0, 7]], IndicesProblem.BAD_DAY),
        ([[0, -1]], IndicesProblem.BAD_DAY),
        # Within a pair: shape first, then hour, then day.
        ([[14, 7]], IndicesProblem.BAD_HOUR),
        ([[14, "x"]], IndicesProblem.NOT_PAIR),
        # Across pairs: the first bad pair decides.
        ([[0, 7], [14, 0]], IndicesProblem.BAD_DAY),
        ([[0, 0], [14, 0], [0]], IndicesProblem.BAD_HOUR),
        ([[0, 0], [0]], IndicesProblem.NOT_PAIR),
    ],
)
def test_validate_indices_rejects(pairs: object, problem: IndicesProblem) -> None:
    with pytest.raises(InvalidIndices) as caught:
        validate_indices(pairs)
    assert caught.value.problem is problem
    assert isinstance(caught.value, ValueError)


# --- purity of the whole core package ----------------------------------------------

CORE_FILES = sorted(Path(gapfind.core.__file__).parent.glob("*.py"))


def _imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            modules.add(node.module)
    return modules


def test_core_files_are_found() -> None:
    assert {path.name for path in CORE_FILES} >= {
        "__init__.py",
        "availability.py",
        "gaps.py",
        "grid.py",
        "usernames.py",
    }


# The libraries the core uses, each imported only inside the functions that need them, never at
# module level: the calendar import is built on the iCalendar parsers (pure Python, no I/O), and
# writing a meeting's calendar file on icalendar.
LAZY_LIBRARIES = {
    "timetable_import.py": {"icalendar", "recurring_ical_events", "x_wr_timezone", "dateutil"},
    "meeting_calendar.py": {"icalendar"},
}


@pytest.mark.parametrize("path", CORE_FILES, ids=lambda path: path.name)
def test_core_imports_only_the_stdlib(path: Path) -> None:
    allowed = LAZY_LIBRARIES.get(path.name, set())
    for module in _imported_modules(path):
        top = module.partition(".")[0]
        assert (
            top in sys.stdlib_module_names or module.startswith("gapfind.core") or top in allowed
        ), module
    top_level = ast.parse(path.read_text(encoding="utf-8")).body
    for node in top_level:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            for module in names + ([node.module] if isinstance(node, ast.ImportFrom) else []):
                assert module is None or module.partition(".")[0] not in allowed, module


@pytest.mark.parametrize(
    "name",
    [
        "DAY_LABELS",
        "HOUR_LABELS",
        "SLOT_COUNT",
        "GapOptions",
        "find_gaps",
        "weekday_availability",
        "validate_indices",
        "username_problem",
    ],
)
def test_core_reexports_its_public_names(name: str) -> None:
    assert name in gapfind.core.__all__
    assert hasattr(gapfind.core, name)


def _containers(children: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    return st.one_of(st.lists(children, max_size=3), st.tuples(children, children))


_JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 20) | st.floats(-1, 20) | st.text(max_size=2),
    _containers,
    max_leaves=6,
)


@given(st.lists(_JSONISH, min_size=1, max_size=6))
def test_the_fast_pair_check_agrees_with_the_full_rules(pairs: list[object]) -> None:
    """validate_indices checks the usual [int, int] shape first; whatever the input, the
    answer (pairs, or the first problem) must be the one the full rules give."""

    def full_rules(values: list[object]) -> list[tuple[int, int]] | IndicesProblem:
        try:
            return sorted({_diagnose_pair(value) for value in values})
        except InvalidIndices as error:
            return error.problem

    try:
        fast: list[tuple[int, int]] | IndicesProblem = validate_indices(pairs)
    except InvalidIndices as error:
        fast = error.problem
    assert fast == full_rules(pairs)


@pytest.mark.parametrize(
    ("hour_index", "minute", "label"),
    [
        (0, 6 * 60 + 30, "6:30 AM"),
        (5, 11 * 60 + 30, "11:30 AM"),
        (6, 12 * 60 + 30, "12:30 PM"),
        (13, 19 * 60 + 30, "7:30 PM"),
        (14, 20 * 60 + 30, "8:30 PM"),
    ],
)
def test_slot_times(hour_index: int, minute: int, label: str) -> None:
    assert slot_start_minute(hour_index) == minute
    assert slot_time_label(hour_index) == label


@pytest.mark.parametrize("hour_index", [-1, 15])
def test_slot_times_outside_the_day_are_refused(hour_index: int) -> None:
    with pytest.raises(ValueError):
        slot_start_minute(hour_index)
