"""POST /blocks (issue 11, part 1): ranked meeting blocks, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import RAISE

from gapfind import schemas
from gapfind.core.blocks import BlockOptions, find_blocks
from gapfind.core.usernames import UsernameProblem
from gapfind.messages import (
    BAD_BLOCKS_LIMIT,
    BAD_DAY_INDEX,
    BAD_DAYS_TO_FILTER,
    BAD_DURATION,
    BAD_QUORUM,
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

DAYS = ["Lunes", "Martes", "Miercoles", "Jueves", "Viernes", "Sábado", "Domingo"]
# The moment each slot starts, and 8:30 PM after the last one (written out, not imported).
TIMES = [f"{h}:30 AM" for h in range(6, 12)] + ["12:30 PM"]
TIMES += [f"{h}:30 PM" for h in range(1, 9)]
BLOCK_KEYS = {
    "day_index",
    "day",
    "start_hour_index",
    "end_hour_index",
    "start",
    "end",
    "duration",
    "attendees",
    "free",
    "missing",
    "avg",
    "quality",
    "calendar_url",
}


def week(**columns: str) -> str:
    """A schedule from day columns d0=..., d6=... (14 characters each, first hour first)."""
    cells = ["0"] * 98
    for key, column in columns.items():
        day = int(key[1:])
        for hour, cell in enumerate(column):
            cells[hour * 7 + day] = cell
    return "".join(cells)


def classes_at(*hours: int) -> str:
    return "".join("1" if hour in hours else "0" for hour in range(14))


def post(client: FlaskClient, body: Any) -> Any:
    return client.post("/blocks", json=body)


def ok(client: FlaskClient, usernames: list[Any], **options: Any) -> Any:
    response = post(client, {"usernames": usernames, **options})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def rejected(client: FlaskClient, body: Any) -> Any:
    response = post(client, body)
    assert response.status_code == 400, response.get_json()
    return response.get_json()


def stored(client: FlaskClient, name: str) -> str:
    response = client.get(f"/users/{name}")
    assert response.status_code == 200
    return response.get_json()["schedule"]  # type: ignore[no-any-return]


# ana: Monday classes at 0 and 4; bob: Monday class at 13; cat: Monday class at 0.
ANA = week(d0=classes_at(0, 4))
BOB = week(d0=classes_at(13))
CAT = week(d0=classes_at(0), d1=classes_at(13))


@pytest.fixture
def trio(students: Any, client: FlaskClient) -> FlaskClient:
    students.register_schedule("ana", ANA)
    students.register_schedule("bob", BOB)
    students.register_schedule("cat", CAT)
    return client


@pytest.fixture
def worked(students: Any, client: FlaskClient) -> FlaskClient:
    students.register_schedule("ana", WORKED_A)
    students.register_schedule("bob", WORKED_B)
    students.register_schedule("cat", week(d0=classes_at(0, 13), d1=classes_at(2, 5)))
    return client


# --------------------------------------------------------------------------- answers


def test_hand_worked_answer_with_who_is_missing(trio: FlaskClient) -> None:
    # Monday, two hours. ana 0 1 2 1 0 1 2 3 ..., bob 13 12 ... 1 0, cat 0 1 2 3 ...
    # All three at 1 (7:30-9:30 AM): ana 1+2, bob 12+11, cat 1+2 = 29 -> avg 29/6; at 2 and at
    # 5 the total is 29 too, and the earlier first hour goes first.
    body = ok(trio, ["Cat", "bob", "ANA"], duration=2, quorum=2, limit=12)
    first = body["blocks"][0]
    assert first == {
        "day_index": 0,
        "day": "Lunes",
        "start_hour_index": 1,
        "end_hour_index": 2,
        "start": "7:30 AM",
        "end": "9:30 AM",
        "duration": 2,
        "attendees": 3,
        "free": ["cat", "bob", "ana"],
        "missing": [],
        "avg": 29 / 6,
        "quality": 1 - (29 / 6 - 1) / 12,
        "calendar_url": "/calendar.ics?day_index=0&start_hour_index=1&duration=2",
    }
    assert [b["start_hour_index"] for b in body["blocks"][:9]] == [1, 2, 5, 6, 7, 8, 9, 10, 11]
    assert [b["start_hour_index"] for b in body["blocks"][9:]] == [3, 4, 12]
    assert body["count"] == 12
    # At 3 (9:30-11:30 AM) ana has a class at 4: cat 3+4 and bob 10+9 come, in request order.
    (at_three,) = [b for b in body["blocks"] if b["start_hour_index"] == 3]
    assert at_three["free"] == ["cat", "bob"]
    assert at_three["missing"] == ["ana"]
    assert at_three["attendees"] == 2
    assert at_three["avg"] == 26 / 4
    # At 12 (6:30-8:30 PM) bob has his class at 13; the block ends at the end of the day.
    (at_twelve,) = [b for b in body["blocks"] if b["start_hour_index"] == 12]
    assert (at_twelve["free"], at_twelve["missing"]) == (["cat", "ana"], ["bob"])
    assert (at_twelve["end_hour_index"], at_twelve["end"]) == (13, "8:30 PM")


def test_three_attendee_blocks_come_before_two_attendee_ones(trio: FlaskClient) -> None:
    body = ok(trio, ["ana", "bob", "cat"], duration=2, quorum=2)
    counts = [block["attendees"] for block in body["blocks"]]
    assert counts == sorted(counts, reverse=True)
    assert counts[0] == 3 and counts[-1] == 2
    assert body["count"] == len(body["blocks"])


OPTION_SETS: list[dict[str, Any]] = [
    {},
    {"duration": 2},
    {"duration": 3, "quorum": 2},
    {"duration": 2, "quorum": 2, "no_classes_day": True},
    {"quorum": 2, "no_classes_day": True, "ignore_weekend": False, "limit": 9},
    {"duration": 14, "quorum": 2, "no_classes_day": True, "ignore_weekend": False},
    {"duration": 2, "quorum": 3, "days_to_filter": [0, 4]},
    {"limit": 1},
]


@pytest.mark.parametrize("options", OPTION_SETS, ids=repr)
def test_answer_is_the_core_on_the_stored_schedules(
    worked: FlaskClient, options: dict[str, Any]
) -> None:
    names = ["bob", "cat", "ana"]
    body = ok(worked, names, **options)
    core_options = BlockOptions(
        duration=options.get("duration", 1),
        quorum=options.get("quorum"),
        no_classes_day=options.get("no_classes_day", False),
        ignore_weekend=options.get("ignore_weekend", True),
        limit=options.get("limit"),
        days_to_filter=frozenset(options.get("days_to_filter", ())),
    )
    expected = find_blocks([stored(worked, name) for name in names], core_options)
    assert body["count"] == len(expected) == len(body["blocks"]) > 0
    for got, block in zip(body["blocks"], expected, strict=True):
        start, end = block.start_hour_index, block.start_hour_index + block.duration
        assert got == {
            "day_index": block.day_index,
            "day": DAYS[block.day_index],
            "start_hour_index": start,
            "end_hour_index": end - 1,
            "start": TIMES[start],
            "end": TIMES[end],
            "duration": block.duration,
            "attendees": len(block.attendees),
            "free": [names[i] for i in block.attendees],
            "missing": [n for i, n in enumerate(names) if i not in block.attendees],
            "avg": block.avg,
            "quality": block.quality,
            "calendar_url": (
                f"/calendar.ics?day_index={block.day_index}"
                f"&start_hour_index={start}&duration={block.duration}"
            ),
        }


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"no_classes_day": True},
        {"no_classes_day": True, "ignore_weekend": False},
        {"limit": 5},
        {"days_to_filter": [1, 2]},
        {"no_classes_day": True, "ignore_weekend": False, "limit": 7, "days_to_filter": [6]},
    ],
    ids=repr,
)
def test_duration_one_everyone_is_results(worked: FlaskClient, options: dict[str, Any]) -> None:
    """The issue's consistency through HTTP: same slots, avg, quality and order as /results."""
    names = ["ana", "bob", "cat"]
    gaps = worked.post("/results", json={"usernames": names, **options}).get_json()
    body = ok(worked, names, **options)
    assert gaps["count"] > 0
    assert body["count"] == gaps["count"]
    assert [
        (b["day_index"], b["start_hour_index"], b["avg"], b["quality"]) for b in body["blocks"]
    ] == [(g["day_index"], g["hour_index"], g["avg"], g["quality"]) for g in gaps["gaps"]]
    assert all(
        (b["start"], b["duration"], b["free"], b["missing"]) == (g["hour"], 1, names, [])
        for b, g in zip(body["blocks"], gaps["gaps"], strict=True)
    )


def test_answers_conform_to_the_documented_schema(worked: FlaskClient) -> None:
    body = ok(worked, ["ana", "bob", "cat"], duration=2, quorum=2)
    schemas.BlocksResponse(unknown=RAISE).load(body)  # raises on a missing, extra or bad key
    assert set(body) == set(schemas.BlocksResponse().fields)
    assert body["blocks"]
    assert all(set(block) == BLOCK_KEYS for block in body["blocks"])
    assert BLOCK_KEYS == set(schemas.BlockResponse().fields)
    assert any(block["missing"] for block in body["blocks"])


def test_no_block_is_an_empty_list(trio: FlaskClient) -> None:
    assert ok(trio, ["ana", "bob"], duration=14) == {"count": 0, "blocks": []}


def test_the_calendar_url_serves_that_block(trio: FlaskClient) -> None:
    block = ok(trio, ["ana", "bob"], duration=2, limit=1)["blocks"][0]
    response = trio.get(block["calendar_url"] + "&from=2026-03-02&until=2026-03-09")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    lines = response.get_data(as_text=True).split("\r\n")
    # Monday 2026-03-02, slot 5 (11:30 AM) for two hours, in the default campus zone.
    assert "DTSTART;TZID=America/Bogota:20260302T113000" in lines
    assert "DTEND;TZID=America/Bogota:20260302T133000" in lines


# --------------------------------------------------------------------------- names


def test_duplicates_collapse_case_insensitively_in_first_seen_order(trio: FlaskClient) -> None:
    names = ("bob", "cat", "ana")
    expected = ok(trio, list(names), duration=2, quorum=2)
    assert ok(trio, ["BOB", "Cat", "bob", "ana", "CAT", "ANA"], duration=2, quorum=2) == expected
    assert {len(b["free"]) for b in expected["blocks"]} == {2, 3}
    for block in expected["blocks"]:
        # Each name once, lowercase, in request order, in exactly one of the two lists.
        assert sorted(block["free"] + block["missing"]) == sorted(names)
        assert block["free"] == [n for n in names if n in block["free"]]
        assert block["missing"] == [n for n in names if n in block["missing"]]


def test_quorum_counts_distinct_names(trio: FlaskClient) -> None:
    assert rejected(trio, {"usernames": ["ana", "ANA", "bob"], "quorum": 3}) == {
        "quorum": [BAD_QUORUM]
    }
    assert ok(trio, ["ana", "ANA", "bob"], quorum=2)["count"] > 0


@pytest.mark.parametrize(
    ("usernames", "missing"),
    [
        (["ana", "zed", "bob", "yan", "zed"], "zed, yan"),
        (["Zed", "ana", "YAN", "zed"], "zed, yan"),
        (["yan", "zed"], "yan, zed"),
    ],
)
def test_unknown_users_are_listed_as_results_lists_them(
    trio: FlaskClient, usernames: list[str], missing: str
) -> None:
    expected = {"usernames": [USERS_NOT_FOUND.format(names=missing)]}
    assert rejected(trio, {"usernames": usernames}) == expected
    assert trio.post("/results", json={"usernames": usernames}).get_json() == expected


def test_group_size_setting_is_enforced(app_factory: Callable[..., Flask]) -> None:
    client = app_factory(RESULTS_MAX_USERNAMES=3).test_client()
    for name in ("ana", "bob", "cat", "dan"):
        created = client.post("/manual", json={"username": name, "list_of_indices": [[0, 0]]})
        assert created.status_code == 201
    assert post(client, {"usernames": ["ana", "bob", "cat"]}).status_code == 200
    response = post(client, {"usernames": ["ana", "bob", "cat", "dan"]})
    assert response.status_code == 400
    assert response.get_json() == {"usernames": [TOO_MANY_USERS.format(limit=3)]}


NOT_LETTERS = LISTED_USERNAME_MESSAGES[UsernameProblem.NOT_LETTERS]

# Bodies /results refuses; /blocks must refuse them with exactly the same answer.
RESULTS_ERRORS = [
    {},
    {"usernames": None},
    {"usernames": "ana,bob"},
    {"usernames": []},
    {"usernames": ["ana"]},
    {"usernames": ["ana", "ANA"]},
    {"usernames": ["ana", "pe#pito"]},
    {"usernames": ["ana", " ana"]},
    {"usernames": ["ana", "a" * 31]},
    {"usernames": ["ana", ""]},
    {"usernames": ["ana", 7]},
    {"usernames": ["x1", "ana", "pe#pito"]},
    {"usernames": ["ana", "bob"], "no_classes_day": "maybe"},
    {"usernames": ["ana", "bob"], "ignore_weekend": 2},
    {"usernames": ["ana", "bob"], "days_to_filter": []},
    {"usernames": ["ana", "bob"], "days_to_filter": [7]},
    {"usernames": ["ana", "bob"], "days_to_filter": "3"},
    {"usernames": ["ana", "bob"], "days_to_filter": [0, 1, 2, 3, 4, 5, 6, 0]},
    [],
    "ana",
]


@pytest.mark.parametrize("body", RESULTS_ERRORS, ids=repr)
def test_shared_fields_are_refused_exactly_as_results_refuses_them(
    trio: FlaskClient, body: Any
) -> None:
    expected = trio.post("/results", json=body)
    assert expected.status_code == 400
    assert rejected(trio, body) == expected.get_json()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({}, {"usernames": [REQUIRED]}),
        ({"usernames": None}, {"usernames": [NULL]}),
        ({"usernames": 2}, {"usernames": [NOT_A_LIST]}),
        ({"usernames": ["ana"]}, {"usernames": [TOO_FEW_USERS]}),
        ({"usernames": ["ana", "pe#pito"]}, {"usernames": [NOT_LETTERS.format(name="pe#pito")]}),
        ({"usernames": ["ana", None]}, {"usernames": [NOT_A_STRING]}),
        ({"usernames": ["ana", "bob"], "no_classes_day": []}, {"no_classes_day": [NOT_A_BOOLEAN]}),
        ({"usernames": ["ana", "bob"], "days_to_filter": [9]}, {"days_to_filter": [BAD_DAY_INDEX]}),
        (
            {"usernames": ["ana", "bob"], "days_to_filter": []},
            {"days_to_filter": [BAD_DAYS_TO_FILTER]},
        ),
    ],
    ids=repr,
)
def test_shared_field_messages(trio: FlaskClient, body: Any, expected: Any) -> None:
    assert rejected(trio, body) == expected


@pytest.mark.parametrize(
    "raw",
    [b"", b"   ", b"{", b'{"usernames": ["ana", "bob"]', b"\xff\xfe"],
    ids=repr,
)
def test_bad_bodies_get_results_answer(trio: FlaskClient, raw: bytes) -> None:
    expected = trio.post("/results", data=raw, content_type="application/json")
    got = trio.post("/blocks", data=raw, content_type="application/json")
    assert (got.status_code, got.get_json()) == (400, expected.get_json())
    plain = trio.post("/blocks", data=b'{"usernames": []}', content_type="text/plain")
    assert plain.status_code == 400
    assert (
        plain.get_json()
        == trio.post("/results", data=b'{"usernames": []}', content_type="text/plain").get_json()
    )


# --------------------------------------------------------------------------- new fields


@pytest.mark.parametrize("duration", [1, "1", 14, "14", 7.0, " 3 ", None], ids=repr)
def test_valid_durations(trio: FlaskClient, duration: Any) -> None:
    body = ok(trio, ["ana", "cat"], duration=duration, no_classes_day=True)
    assert body["blocks"]
    expected = 1 if duration is None else int(str(duration).strip().split(".")[0])
    assert all(block["duration"] == expected for block in body["blocks"])


@pytest.mark.parametrize(
    "duration",
    [0, 15, -1, "0", "15", "abc", "", 1.5, "1.5", True, False, [], {}, [2], "9" * 5000],
    ids=lambda v: repr(v)[:20],
)
def test_invalid_duration(trio: FlaskClient, duration: Any) -> None:
    body = rejected(trio, {"usernames": ["ana", "bob"], "duration": duration})
    assert body == {"duration": ["La duración debe estar entre 1 y 14 horas"]}


@pytest.mark.parametrize("quorum", [2, "2", 3, 3.0, None], ids=repr)
def test_valid_quorum(trio: FlaskClient, quorum: Any) -> None:
    body = ok(trio, ["ana", "bob", "cat"], quorum=quorum)
    least = 3 if quorum is None else int(quorum)
    assert body["blocks"]
    assert all(block["attendees"] >= least for block in body["blocks"])


@pytest.mark.parametrize(
    "quorum", [1, 0, -2, 4, "4", "1", "x", "", 2.5, True, [], {}, "9" * 5000], ids=repr
)
def test_invalid_quorum(trio: FlaskClient, quorum: Any) -> None:
    body = rejected(trio, {"usernames": ["ana", "bob", "cat"], "quorum": quorum})
    assert body == {"quorum": ["El quórum debe estar entre 2 y el número de usuarios"]}


@pytest.mark.parametrize(("limit", "count"), [(1, 1), ("1", 1), (3, 3), (None, 9)], ids=repr)
def test_limit_from_one(trio: FlaskClient, limit: Any, count: int) -> None:
    everything = ok(trio, ["ana", "bob"], duration=2)
    assert everything["count"] == 9
    body = ok(trio, ["ana", "bob"], duration=2, limit=limit)
    assert body == {"count": count, "blocks": everything["blocks"][:count]}


@pytest.mark.parametrize(
    "limit", [0, -1, "0", "-1", "abc", "", 1.5, True, [], {}, "-" + "9" * 5000], ids=repr
)
def test_invalid_limit(trio: FlaskClient, limit: Any) -> None:
    body = rejected(trio, {"usernames": ["ana", "bob"], "limit": limit})
    assert body == {"limit": [BAD_BLOCKS_LIMIT]}
    assert BAD_BLOCKS_LIMIT == "El límite debe ser un número entero mayor o igual a 1"


def test_results_still_refuses_a_limit_of_one(trio: FlaskClient) -> None:
    response = trio.post("/results", json={"usernames": ["ana", "bob"], "limit": 1})
    assert response.get_json() == {
        "limit": ["El límite debe ser un número entero mayor o igual a 2"]
    }


def test_several_invalid_fields_are_reported_together(trio: FlaskClient) -> None:
    body = rejected(
        trio,
        {"usernames": ["ana", "bob"], "duration": 0, "quorum": 3, "limit": 0, "ignore_weekend": 3},
    )
    assert body == {
        "duration": [BAD_DURATION],
        "quorum": [BAD_QUORUM],
        "limit": [BAD_BLOCKS_LIMIT],
        "ignore_weekend": [NOT_A_BOOLEAN],
    }
    assert rejected(trio, {"usernames": ["ana"], "quorum": 1}) == {
        "usernames": [TOO_FEW_USERS],
        "quorum": [BAD_QUORUM],
    }


def test_unknown_keys_are_ignored(trio: FlaskClient) -> None:
    assert ok(trio, ["ana", "bob"], colour="blue") == ok(trio, ["ana", "bob"])


def test_null_options_mean_the_defaults(trio: FlaskClient) -> None:
    nulls = {k: None for k in ("duration", "quorum", "no_classes_day", "ignore_weekend", "limit")}
    assert ok(trio, ["ana", "bob"], days_to_filter=None, **nulls) == ok(trio, ["ana", "bob"])


# --------------------------------------------------------------------------- never a 500

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=6,
)
FIELD_VALUES = st.one_of(
    JSON_VALUES,
    st.integers(-3, 20),
    st.from_regex(r"\A ?[0-9]{1,3} ?\Z"),
    st.lists(st.sampled_from(["ana", "bob", "cat", "Ana", "zed", "x1"]), max_size=5),
)
BODIES = (
    st.dictionaries(
        st.sampled_from(
            ["usernames", "duration", "quorum", "no_classes_day", "ignore_weekend", "limit"]
            + ["days_to_filter", "other"]
        ),
        FIELD_VALUES,
        max_size=7,
    )
    | JSON_VALUES
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=BODIES)
def test_any_body_is_an_answer_or_a_contract_error(trio: FlaskClient, body: Any) -> None:
    response = post(trio, body)
    assert response.status_code in (200, 400), (body, response.get_json())
    data = response.get_json()
    if response.status_code == 200:
        schemas.BlocksResponse(unknown=RAISE).load(data)
    else:
        assert isinstance(data, dict) and data
        assert all(
            isinstance(messages, list) and all(isinstance(m, str) for m in messages)
            for messages in data.values()
        )


# --------------------------------------------------------------------------- rate limit


def test_counted_under_the_default_limit_of_its_own(
    app_factory: Callable[..., Flask],
) -> None:
    client = app_factory(RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="3 per hour").test_client()
    for name in ("ana", "bob"):
        created = client.post("/manual", json={"username": name, "list_of_indices": [[0, 0]]})
        assert created.status_code == 201
    for _ in range(3):
        response = post(client, {"usernames": ["ana", "bob"]})
        assert response.status_code == 200
        assert response.headers["X-RateLimit-Limit"] == "3"
    assert post(client, {"usernames": ["ana", "bob"]}).status_code == 429
    # Its own bucket: /results is still allowed.
    assert client.post("/results", json={"usernames": ["ana", "bob"]}).status_code == 200
