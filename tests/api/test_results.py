"""POST /results: the common gaps of a group (issue 2, "POST /results")."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from itertools import pairwise
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gapfind.core.gaps import GapOptions, find_gaps
from gapfind.core.usernames import UsernameProblem
from gapfind.messages import (
    BAD_DAY_INDEX,
    BAD_DAYS_TO_FILTER,
    BAD_LIMIT,
    LISTED_USERNAME_MESSAGES,
    NOT_A_BOOLEAN,
    NOT_A_LIST,
    NOT_A_STRING,
    NULL,
    REQUIRED,
    TOO_FEW_USERS,
    TOO_MANY_USERS,
    USERS_NOT_FOUND,
)
from tests.examples import WORKED_A, WORKED_B
from tests.support.students import Students

# The labels exactly as the contract lists them (the strings the old API returned).
DAYS = ["Lunes", "Martes", "Miercoles", "Jueves", "Viernes", "Sábado", "Domingo"]
HOURS = [
    "6:30 AM",
    "7:30 AM",
    "8:30 AM",
    "9:30 AM",
    "10:30 AM",
    "11:30 AM",
    "12:30 PM",
    "1:30 PM",
    "2:30 PM",
    "3:30 PM",
    "4:30 PM",
    "5:30 PM",
    "6:30 PM",
    "7:30 PM",
]
GAP_KEYS = {"day", "hour", "avg", "quality", "day_index", "hour_index"}

# The worked example of the contract.
A = WORKED_A
B = WORKED_B


def week(**columns: str) -> str:
    """A schedule from day columns d0=..., d6=... (14 chars each, first hour first)."""
    cells = ["0"] * 98
    for key, column in columns.items():
        assert len(column) == 14
        day = int(key[1:])
        for hour, cell in enumerate(column):
            cells[hour * 7 + day] = cell
    return "".join(cells)


def results(client: FlaskClient, usernames: Sequence[Any], **options: Any) -> Any:
    return client.post("/results", json={"usernames": list(usernames), **options})


def ok(client: FlaskClient, usernames: Sequence[Any], **options: Any) -> Any:
    response = results(client, usernames, **options)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def rejected(client: FlaskClient, body: dict[str, Any]) -> Any:
    response = client.post("/results", json=body)
    assert response.status_code == 400
    return response.get_json()


def core_body(schedules: Sequence[str], options: GapOptions) -> dict[str, Any]:
    """What the response must be, computed by the pure core on the stored schedules."""
    gaps = []
    for gap in find_gaps(schedules, options):
        item: dict[str, Any] = {
            "day": DAYS[gap.day_index],
            "hour": HOURS[gap.hour_index],
            "avg": gap.avg,
            "quality": gap.quality,
            "day_index": gap.day_index,
            "hour_index": gap.hour_index,
        }
        if options.compute_sd:
            item["sd"] = gap.sd
        gaps.append(item)
    return {"count": len(gaps), "gaps": gaps}


def stored(client: FlaskClient, name: str) -> str:
    response = client.get(f"/users/{name}")
    assert response.status_code == 200
    return response.get_json()["schedule"]  # type: ignore[no-any-return]


def assert_ranked(gaps: list[dict[str, Any]]) -> None:
    """Quality descending; exact ties in row-major order (hour, then day)."""
    for first, second in pairwise(gaps):
        assert first["quality"] >= second["quality"]
        if first["quality"] == second["quality"]:
            assert (first["hour_index"], first["day_index"]) < (
                second["hour_index"],
                second["day_index"],
            )


@pytest.fixture
def example(client: FlaskClient, students: Students) -> FlaskClient:
    students.register_schedule("ana", A)
    students.register_schedule("bob", B)
    return client


# --------------------------------------------------------------------------- worked example


def test_worked_example_has_33_gaps_none_on_thursday(example: FlaskClient) -> None:
    body = ok(example, ["ana", "bob"])
    assert body["count"] == 33
    assert len(body["gaps"]) == 33
    assert {gap["day_index"] for gap in body["gaps"]}.isdisjoint({3})
    for gap in body["gaps"]:
        assert set(gap) == GAP_KEYS
        assert gap["day"] == DAYS[gap["day_index"]]
        assert gap["hour"] == HOURS[gap["hour_index"]]
        assert A[gap["hour_index"] * 7 + gap["day_index"]] == "0"
        assert B[gap["hour_index"] * 7 + gap["day_index"]] == "0"
        assert gap["avg"] > 0
    assert_ranked(body["gaps"])


def test_worked_example_no_classes_day_adds_thursday(example: FlaskClient) -> None:
    default = ok(example, ["ana", "bob"])
    body = ok(example, ["ana", "bob"], no_classes_day=True)
    days = {gap["day_index"] for gap in body["gaps"]}
    assert 3 in days
    assert days.isdisjoint({5, 6})  # ignore_weekend defaults to true
    assert body["count"] > default["count"]
    assert_ranked(body["gaps"])


def test_worked_example_weekend_counts_when_not_ignored(example: FlaskClient) -> None:
    body = ok(example, ["ana", "bob"], no_classes_day=True, ignore_weekend=False)
    days = {gap["day_index"] for gap in body["gaps"]}
    assert days & {5, 6}
    assert 3 in days
    assert_ranked(body["gaps"])
    # Without no_classes_day, ignore_weekend changes nothing: class-free days block.
    assert ok(example, ["ana", "bob"], ignore_weekend=False) == ok(example, ["ana", "bob"])


def test_worked_example_is_stored_verbatim(example: FlaskClient) -> None:
    assert stored(example, "ana") == A
    assert stored(example, "bob") == B


OPTION_SETS: list[dict[str, Any]] = [
    {},
    {"compute_sd": True},
    {"no_classes_day": True},
    {"no_classes_day": True, "ignore_weekend": False},
    {"no_classes_day": True, "ignore_weekend": False, "compute_sd": True},
    {"limit": 5},
    {"days_to_filter": [0, 1]},
    {
        "compute_sd": True,
        "no_classes_day": True,
        "ignore_weekend": False,
        "limit": 7,
        "days_to_filter": [2, 6],
    },
]


@pytest.mark.parametrize("options", OPTION_SETS)
def test_response_equals_the_core_on_the_stored_schedules(
    example: FlaskClient, options: dict[str, Any], students: Students
) -> None:
    students.register_schedule("cat", week(d0="10000000000001", d1="00100100000000"))
    names = ["ana", "bob", "cat"]
    body = ok(example, names, **options)
    gap_options = GapOptions(
        compute_sd=options.get("compute_sd", False),
        no_classes_day=options.get("no_classes_day", False),
        ignore_weekend=options.get("ignore_weekend", True),
        limit=options.get("limit"),
        days_to_filter=frozenset(options.get("days_to_filter") or ()),
    )
    expected = core_body([stored(example, name) for name in names], gap_options)
    assert body == expected
    assert_ranked(body["gaps"])


# --------------------------------------------------------------------------- exact values


# Hand-computed distances to the nearest class, per slot, for a two-student group:
#   ana Monday:  classes at 0 and 4  -> 0 1 2 1 0 1 2 3 4 5 6 7 8 9
#   bob Monday:  classes at 0 and 6  -> 0 1 2 3 2 1 0 1 2 3 4 5 6 7
#   both Tuesday: classes at 3 and 8 -> 3 2 1 0 1 2 2 1 0 1 2 3 4 5
# Every other day is class-free for both, so it blocks.
HAND_ANA = week(d0="10001000000000", d1="00010000100000")
HAND_BOB = week(d0="10000010000000", d1="00010000100000")
HAND_DISTANCES = {
    # (hour, day): (ana, bob)
    (1, 0): (1, 1),
    (2, 0): (2, 2),
    (3, 0): (1, 3),
    (5, 0): (1, 1),
    (7, 0): (3, 1),
    (8, 0): (4, 2),
    (9, 0): (5, 3),
    (10, 0): (6, 4),
    (11, 0): (7, 5),
    (12, 0): (8, 6),
    (13, 0): (9, 7),
    (0, 1): (3, 3),
    (1, 1): (2, 2),
    (2, 1): (1, 1),
    (4, 1): (1, 1),
    (5, 1): (2, 2),
    (6, 1): (2, 2),
    (7, 1): (1, 1),
    (9, 1): (1, 1),
    (10, 1): (2, 2),
    (11, 1): (3, 3),
    (12, 1): (4, 4),
    (13, 1): (5, 5),
}


def hand_gaps(compute_sd: bool) -> list[dict[str, Any]]:
    gaps = []
    for (hour, day), distances in HAND_DISTANCES.items():
        avg = sum(distances) / len(distances)
        sd = statistics.pstdev(distances)
        gap: dict[str, Any] = {
            "day": DAYS[day],
            "hour": HOURS[hour],
            "avg": avg,
            "day_index": day,
            "hour_index": hour,
        }
        if compute_sd:
            gap["quality"] = 1 - ((avg - 1) + sd) / 18
            gap["sd"] = sd
        else:
            gap["quality"] = 1 - (avg - 1) / 12
        gaps.append(gap)
    gaps.sort(key=lambda gap: (-gap["quality"], gap["hour_index"], gap["day_index"]))
    return gaps


def test_hand_computed_group_exactly(client: FlaskClient, students: Students) -> None:
    students.register_schedule("ana", HAND_ANA)
    students.register_schedule("bob", HAND_BOB)
    body = ok(client, ["ana", "bob"])
    expected = hand_gaps(compute_sd=False)
    assert body == {"count": len(HAND_DISTANCES), "gaps": expected}
    # Spot-check the ranking by hand: the avg-1 slots first, row-major; the worst is last.
    assert [(g["hour_index"], g["day_index"]) for g in body["gaps"][:6]] == [
        (1, 0),
        (2, 1),
        (4, 1),
        (5, 0),
        (7, 1),
        (9, 1),
    ]
    assert body["gaps"][-1] == {
        "day": "Lunes",
        "hour": "7:30 PM",
        "avg": 8.0,
        "quality": 1 - 7 / 12,
        "day_index": 0,
        "hour_index": 13,
    }


def test_hand_computed_group_with_sd(client: FlaskClient, students: Students) -> None:
    students.register_schedule("ana", HAND_ANA)
    students.register_schedule("bob", HAND_BOB)
    body = ok(client, ["ana", "bob"], compute_sd=True)
    expected = hand_gaps(compute_sd=True)
    assert body["count"] == len(expected)
    assert [(g["hour_index"], g["day_index"]) for g in body["gaps"]] == [
        (g["hour_index"], g["day_index"]) for g in expected
    ]
    for got, want in zip(body["gaps"], expected, strict=True):
        assert set(got) == GAP_KEYS | {"sd"}
        assert got == {
            **want,
            "quality": pytest.approx(want["quality"], rel=1e-12, abs=1e-12),
            "sd": pytest.approx(want["sd"], rel=1e-12, abs=1e-12),
        }
    # Monday 9:30 AM: distances 1 and 3 -> avg 2, sd 1, quality 1 - 2/18.
    (slot,) = [g for g in body["gaps"] if (g["hour_index"], g["day_index"]) == (3, 0)]
    assert slot["avg"] == 2.0
    assert slot["sd"] == 1.0
    assert slot["quality"] == pytest.approx(1 - 2 / 18, rel=1e-12)


def test_sd_only_when_asked(client: FlaskClient, students: Students) -> None:
    students.register_schedule("ana", HAND_ANA)
    students.register_schedule("bob", HAND_BOB)
    for options in ({}, {"compute_sd": False}, {"compute_sd": None}):
        body = ok(client, ["ana", "bob"], **options)
        assert all(set(gap) == GAP_KEYS for gap in body["gaps"])
    body = ok(client, ["ana", "bob"], compute_sd=True)
    assert body["gaps"]
    assert all(set(gap) == GAP_KEYS | {"sd"} for gap in body["gaps"])


def test_no_classes_day_counts_a_free_weekday_as_distance_one(
    client: FlaskClient, students: Students
) -> None:
    # Both have classes every day except Wednesday (day 2).
    columns = {f"d{day}": "10000000000000" for day in range(7) if day != 2}
    students.register_schedule("ana", week(**columns))
    students.register_schedule("bob", week(**columns))
    without = ok(client, ["ana", "bob"])
    assert 2 not in {gap["day_index"] for gap in without["gaps"]}
    body = ok(client, ["ana", "bob"], no_classes_day=True)
    wednesday = [gap for gap in body["gaps"] if gap["day_index"] == 2]
    assert [gap["hour_index"] for gap in wednesday] == list(range(14))
    assert all(gap["avg"] == 1.0 and gap["quality"] == 1.0 for gap in wednesday)


def test_a_full_day_of_classes_stays_blocked(client: FlaskClient, students: Students) -> None:
    # The old API turned a 14-class day into a free day; the contract says it stays all 0.
    full_monday = week(d0="1" * 14, d1="10000000000000")
    students.register_schedule("ana", full_monday)
    students.register_schedule("bob", full_monday)
    for options in (
        {},
        {"no_classes_day": True},
        {"no_classes_day": True, "ignore_weekend": False},
    ):
        body = ok(client, ["ana", "bob"], **options)
        assert 0 not in {gap["day_index"] for gap in body["gaps"]}


# --------------------------------------------------------------------------- ordering


# Three day columns handed round so that Monday and Tuesday hold the same distances per hour,
# but summed in a different student order.
P = "10000000000000"  # 0 1 2 ... 13
Q = "00000000000001"  # 13 12 ... 1 0
R = "00001000010000"  # 4 3 2 1 0 1 2 2 1 0 1 2 3 4


@pytest.mark.parametrize("compute_sd", [False, True])
def test_equal_qualities_compare_equal_and_tie_row_major(
    client: FlaskClient, compute_sd: bool, students: Students
) -> None:
    students.register_schedule("ana", week(d0=P, d1=Q, d2=R))
    students.register_schedule("bob", week(d0=Q, d1=R, d2=P))
    students.register_schedule("cat", week(d0=R, d1=P, d2=Q))
    body = ok(client, ["ana", "bob", "cat"], compute_sd=compute_sd)
    by_slot = {(gap["hour_index"], gap["day_index"]): gap for gap in body["gaps"]}
    hours = [hour for hour in range(14) if hour not in (0, 4, 9, 13)]
    assert set(by_slot) == {(hour, day) for hour in hours for day in (0, 1, 2)}
    for hour in hours:
        monday, tuesday, wednesday = (by_slot[hour, day] for day in (0, 1, 2))
        assert monday["quality"] == tuesday["quality"] == wednesday["quality"]
        assert monday["avg"] == tuesday["avg"] == wednesday["avg"]
        if compute_sd:
            assert monday["sd"] == tuesday["sd"] == wednesday["sd"]
        position = body["gaps"].index(monday)
        assert body["gaps"][position + 1] == tuesday
        assert body["gaps"][position + 2] == wednesday
    assert_ranked(body["gaps"])


def test_student_order_does_not_change_the_answer(example: FlaskClient, students: Students) -> None:
    students.register_schedule("cat", week(d0=P, d1=Q, d2=R, d4=R))
    for options in ({}, {"compute_sd": True}, {"no_classes_day": True, "compute_sd": True}):
        first = ok(example, ["ana", "bob", "cat"], **options)
        assert ok(example, ["cat", "ana", "bob"], **options) == first
        assert ok(example, ["bob", "cat", "ana"], **options) == first


# --------------------------------------------------------------------------- usernames


def test_duplicates_collapse_case_insensitively(example: FlaskClient) -> None:
    expected = ok(example, ["ana", "bob"])
    assert ok(example, ["ana", "bob", "ana"]) == expected
    assert ok(example, ["ANA", "Bob", "aNa", "BOB"]) == expected


@pytest.mark.parametrize("usernames", [[], ["ana"], ["ana", "ana"], ["ana", "ANA", "Ana"]], ids=str)
def test_fewer_than_two_distinct_names(example: FlaskClient, usernames: list[str]) -> None:
    assert rejected(example, {"usernames": usernames}) == {"usernames": [TOO_FEW_USERS]}


NOT_LETTERS = LISTED_USERNAME_MESSAGES[UsernameProblem.NOT_LETTERS]
TOO_LONG = LISTED_USERNAME_MESSAGES[UsernameProblem.TOO_LONG]


@pytest.mark.parametrize(
    ("usernames", "messages"),
    [
        (["ana", "pe#pito"], ["El usuario pe#pito solo puede contener letras"]),
        (["ana", " ana"], [NOT_LETTERS.format(name=" ana")]),
        (["ana", "bob "], [NOT_LETTERS.format(name="bob ")]),
        (["ana", "josé"], [NOT_LETTERS.format(name="josé")]),
        (["ana", "a" * 31], [TOO_LONG.format(name="a" * 31)]),
        (["ana", ""], [LISTED_USERNAME_MESSAGES[UsernameProblem.EMPTY]]),
        (
            ["x1", "ana", "pe#pito", "bob"],
            [NOT_LETTERS.format(name="x1"), NOT_LETTERS.format(name="pe#pito")],
        ),
        (["ana", 7], [NOT_A_STRING]),
        (["ana", None], [NOT_A_STRING]),
        (["ana", ["bob"]], [NOT_A_STRING]),
    ],
)
def test_invalid_names(example: FlaskClient, usernames: list[Any], messages: list[str]) -> None:
    assert rejected(example, {"usernames": usernames}) == {"usernames": messages}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({}, {"usernames": [REQUIRED]}),
        ({"usernames": None}, {"usernames": [NULL]}),
        ({"usernames": "ana,bob"}, {"usernames": [NOT_A_LIST]}),
        ({"usernames": {"ana": 1, "bob": 2}}, {"usernames": [NOT_A_LIST]}),
        ({"usernames": 2}, {"usernames": [NOT_A_LIST]}),
    ],
)
def test_usernames_field_shape(
    example: FlaskClient, body: dict[str, Any], expected: dict[str, list[str]]
) -> None:
    assert rejected(example, body) == expected


@pytest.mark.parametrize(
    ("usernames", "missing"),
    [
        (["ana", "zed", "bob", "yan", "zed"], "zed, yan"),
        (["yan", "zed"], "yan, zed"),
        (["zed", "ana", "yan"], "zed, yan"),
        (["Zed", "ana", "YAN", "zed"], "zed, yan"),
        (["ana", "bobby"], "bobby"),
    ],
)
def test_unknown_users_are_listed_in_input_order(
    example: FlaskClient, usernames: list[str], missing: str
) -> None:
    expected = {"usernames": [USERS_NOT_FOUND.format(names=missing)]}
    assert rejected(example, {"usernames": usernames}) == expected


def test_unknown_users_message_text(example: FlaskClient) -> None:
    body = rejected(example, {"usernames": ["a", "b"]})
    assert body == {"usernames": ["Los siguientes usuarios no se encontraron: a, b"]}


def test_deleted_user_is_unknown(example: FlaskClient, students: Students) -> None:
    token = students.register("cat")["edit_token"]
    ok(example, ["ana", "cat"])
    response = example.delete("/users/cat", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 204
    expected = {"usernames": [USERS_NOT_FOUND.format(names="cat")]}
    assert rejected(example, {"usernames": ["ana", "cat"]}) == expected


def letters(number: int, width: int = 3) -> str:
    """0 -> 'aaa', 1 -> 'aab', ...: distinct letters-only names."""
    out = []
    for _ in range(width):
        number, digit = divmod(number, 26)
        out.append(chr(ord("a") + digit))
    return "".join(reversed(out))


def test_ninety_eight_usernames_are_accepted(client: FlaskClient, students: Students) -> None:
    names = [f"s{letters(index)}" for index in range(98)]
    for index, name in enumerate(names):
        # Everyone has the first hour of every day; student i also the last hour of day i % 7.
        pairs = [[0, day] for day in range(7)] + [[13, index % 7], [1 + index % 12, index % 5]]
        students.register(name, pairs)
    body = ok(client, names)
    assert body["count"] > 0
    expected = core_body([stored(client, name) for name in names], GapOptions())
    assert body == expected
    # Same group, shouted and duplicated: still 98 students, same answer.
    assert ok(client, [name.upper() for name in names] + names[:10]) == expected


def test_group_size_setting_is_enforced(
    app_factory: Callable[..., Flask], students: Students
) -> None:
    client = app_factory(RESULTS_MAX_USERNAMES=3).test_client()
    for name in ("ana", "bob", "cat", "dan"):
        students.register(name)
    assert results(client, ["ana", "bob", "cat"]).status_code == 200
    response = results(client, ["ana", "bob", "cat", "dan"])
    assert response.status_code == 400
    assert response.get_json() == {"usernames": [TOO_MANY_USERS.format(limit=3)]}


# --------------------------------------------------------------------------- limit


@pytest.mark.parametrize(("limit", "expected"), [(2, 2), ("2", 2), (5, 5), ("5", 5), ("10", 10)])
def test_limit_as_number_or_numeric_string(example: FlaskClient, limit: Any, expected: int) -> None:
    everything = ok(example, ["ana", "bob"])
    body = ok(example, ["ana", "bob"], limit=limit)
    assert body == {"count": expected, "gaps": everything["gaps"][:expected]}


@pytest.mark.parametrize("limit", [None, 33, 34, 1000, "1000", 10**30])
def test_limit_at_or_above_the_number_of_gaps_keeps_all(example: FlaskClient, limit: Any) -> None:
    body = ok(example, ["ana", "bob"], limit=limit)
    assert body == ok(example, ["ana", "bob"])
    assert body["count"] == 33


@pytest.mark.parametrize(
    "limit",
    [
        1,
        0,
        -1,
        -5,
        "1",
        "0",
        "-3",
        "abc",
        "",
        " ",
        "2.5",
        "1e3",
        "0x10",
        2.5,
        True,
        False,
        [],
        {},
        [5],
        "-" + "9" * 5000,  # more digits than int() converts: was a 500
    ],
    ids=lambda value: repr(value)[:20],
)
def test_invalid_limit(example: FlaskClient, limit: Any) -> None:
    body = rejected(example, {"usernames": ["ana", "bob"], "limit": limit})
    assert body == {"limit": [BAD_LIMIT]}


# --------------------------------------------------------------------------- days_to_filter


@pytest.mark.parametrize("days", [[3], [0], [0, 1], [4, 5, 6], [1, 1], list(range(7))], ids=str)
def test_days_to_filter_removes_those_days(example: FlaskClient, days: list[int]) -> None:
    options = {"no_classes_day": True, "ignore_weekend": False}
    everything = ok(example, ["ana", "bob"], **options)
    body = ok(example, ["ana", "bob"], days_to_filter=days, **options)
    kept = [gap for gap in everything["gaps"] if gap["day_index"] not in days]
    assert body == {"count": len(kept), "gaps": kept}
    assert len(kept) < everything["count"]


def test_days_are_filtered_before_the_limit(example: FlaskClient) -> None:
    everything = ok(example, ["ana", "bob"])
    first_day = everything["gaps"][0]["day_index"]
    body = ok(example, ["ana", "bob"], days_to_filter=[first_day], limit=3)
    kept = [gap for gap in everything["gaps"] if gap["day_index"] != first_day][:3]
    assert body == {"count": 3, "gaps": kept}


@pytest.mark.parametrize(
    ("days", "message"),
    [
        ([], BAD_DAYS_TO_FILTER),
        ([0, 1, 2, 3, 4, 5, 6, 0], BAD_DAYS_TO_FILTER),
        ([7], BAD_DAY_INDEX),
        ([-1], BAD_DAY_INDEX),
        ([0, 9], BAD_DAY_INDEX),
        (["1"], BAD_DAY_INDEX),
        ([1.5], BAD_DAY_INDEX),
        ([True], BAD_DAY_INDEX),
        ([None], BAD_DAY_INDEX),
        ([[1]], BAD_DAY_INDEX),
        ([10**30], BAD_DAY_INDEX),
        ("3", NOT_A_LIST),
        (3, NOT_A_LIST),
        ({"3": 1}, NOT_A_LIST),
    ],
    ids=repr,
)
def test_invalid_days_to_filter(example: FlaskClient, days: Any, message: str) -> None:
    body = rejected(example, {"usernames": ["ana", "bob"], "days_to_filter": days})
    assert body == {"days_to_filter": [message]}


def test_null_days_to_filter_filters_nothing(example: FlaskClient) -> None:
    assert ok(example, ["ana", "bob"], days_to_filter=None) == ok(example, ["ana", "bob"])


# --------------------------------------------------------------------------- flags


@pytest.mark.parametrize("flag", ["compute_sd", "no_classes_day", "ignore_weekend"])
@pytest.mark.parametrize("value", ["maybe", 2, -1, 0.5, [], {}, [True]], ids=repr)
def test_invalid_flags(example: FlaskClient, flag: str, value: Any) -> None:
    body = rejected(example, {"usernames": ["ana", "bob"], flag: value})
    assert body == {flag: [NOT_A_BOOLEAN]}


def test_null_flags_mean_the_defaults(example: FlaskClient) -> None:
    nulls = {"compute_sd": None, "no_classes_day": None, "ignore_weekend": None, "limit": None}
    assert ok(example, ["ana", "bob"], **nulls) == ok(example, ["ana", "bob"])
    explicit = {"compute_sd": False, "no_classes_day": False, "ignore_weekend": True}
    assert ok(example, ["ana", "bob"], **explicit) == ok(example, ["ana", "bob"])


def test_unknown_keys_are_ignored(example: FlaskClient) -> None:
    assert ok(example, ["ana", "bob"], colour="blue") == ok(example, ["ana", "bob"])


def test_several_invalid_fields_are_reported_together(example: FlaskClient) -> None:
    body = rejected(
        example, {"usernames": ["ana"], "limit": 1, "days_to_filter": [], "compute_sd": "x"}
    )
    assert body == {
        "usernames": [TOO_FEW_USERS],
        "limit": [BAD_LIMIT],
        "days_to_filter": [BAD_DAYS_TO_FILTER],
        "compute_sd": [NOT_A_BOOLEAN],
    }
