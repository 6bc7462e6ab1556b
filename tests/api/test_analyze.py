"""POST /analyze: availability of a big group (issue 2, "POST /analyze")."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, insert, select
from werkzeug.datastructures import MultiDict

from gapfind.extensions import db
from gapfind.messages import (
    FILE_NOT_TEXT,
    FILE_TOO_LARGE,
    FILTER_USER_NOT_FOUND,
    NO_USERNAME_SOURCE,
    NOT_A_STRING,
    TOO_FEW_KNOWN_USERS,
)
from gapfind.persistence.models import Student, utc_now
from tests.examples import WORKED_A, WORKED_B
from tests.support.students import Students

ENTRY_KEYS = {"day_index", "hour_index", "number_of_students", "availability"}
ALL_SLOTS = [(hour, day) for hour in range(14) for day in range(5)]


def week(*slots: tuple[int, int]) -> str:
    cells = ["0"] * 98
    for hour, day in slots:
        cells[hour * 7 + day] = "1"
    return "".join(cells)


# Small fixed group: ana, bob, cat (registered), used by most tests.
SCHEDULES = {
    "ana": week((0, 0), (0, 1), (5, 2), (13, 4), (3, 6)),
    "bob": week((0, 0), (1, 1), (5, 2), (7, 3), (13, 5)),
    "cat": week((0, 0), (2, 2), (6, 2), (8, 4), (12, 0), (12, 1)),
}
# Filter user: weekday classes at four slots, weekend classes that must not matter.
FILTER = week((0, 0), (4, 3), (9, 1), (13, 4), (2, 5), (10, 6))
FILTER_WEEKDAY_SLOTS = {(0, 0), (4, 3), (9, 1), (13, 4)}


def expected_results(
    schedules: Sequence[str], filter_schedule: str | None = None
) -> list[dict[str, Any]]:
    """Independent reference: one entry per weekday slot, row-major, free count over k."""
    total = len(schedules)
    entries = []
    for hour, day in ALL_SLOTS:
        slot = hour * 7 + day
        if filter_schedule is not None and filter_schedule[slot] == "1":
            continue
        free = sum(schedule[slot] == "0" for schedule in schedules)
        entries.append(
            {
                "day_index": day,
                "hour_index": hour,
                "number_of_students": free,
                "availability": free / total,
            }
        )
    return entries


def expected_body(
    names: Sequence[str], not_found: Sequence[str] = (), filter_schedule: str | None = None
) -> dict[str, Any]:
    schedules = [SCHEDULES[name] for name in names]
    return {
        "total_students": len(schedules),
        "users_not_found": list(not_found),
        "results": expected_results(schedules, filter_schedule),
    }


@pytest.fixture
def group(client: FlaskClient, students: Students) -> FlaskClient:
    for name, schedule in SCHEDULES.items():
        students.register_schedule(name, schedule)
    students.register_schedule("fil", FILTER)
    return client


def analyze_json(client: FlaskClient, body: Any) -> Any:
    return client.post("/analyze", json=body)


def analyze_form(client: FlaskClient, data: Any, multipart: bool = True) -> Any:
    content_type = "multipart/form-data" if multipart else "application/x-www-form-urlencoded"
    return client.post("/analyze", data=data, content_type=content_type)


def upload(content: bytes, filename: str = "names.txt") -> tuple[io.BytesIO, str]:
    return io.BytesIO(content), filename


def ok(response: Any) -> Any:
    assert response.status_code == 200, response.get_json()
    assert response.mimetype == "application/json"
    return response.get_json()


def bad(response: Any, expected: dict[str, list[str]]) -> None:
    assert response.status_code == 400
    assert response.mimetype == "application/json"
    assert response.get_json() == expected


# --------------------------------------------------------------------------- sources


def test_json_list(group: FlaskClient) -> None:
    body = ok(analyze_json(group, {"usernames": ["ana", "bob", "cat"]}))
    assert body == expected_body(["ana", "bob", "cat"])


def test_shape_of_the_response(group: FlaskClient) -> None:
    body = ok(analyze_json(group, {"usernames": ["ana", "bob", "cat"]}))
    assert set(body) == {"total_students", "users_not_found", "results"}
    assert len(body["results"]) == 70
    assert [(e["hour_index"], e["day_index"]) for e in body["results"]] == ALL_SLOTS
    for entry in body["results"]:
        assert set(entry) == ENTRY_KEYS
        assert entry["availability"] == entry["number_of_students"] / 3
        assert isinstance(entry["number_of_students"], int)
    # Hand check: everyone has a class Monday 6:30 AM; only ana on Tuesday 6:30 AM.
    assert body["results"][0] == {
        "day_index": 0,
        "hour_index": 0,
        "number_of_students": 0,
        "availability": 0.0,
    }
    assert body["results"][1] == {
        "day_index": 1,
        "hour_index": 0,
        "number_of_students": 2,
        "availability": 2 / 3,
    }
    assert body["results"][-1] == {
        "day_index": 4,
        "hour_index": 13,
        "number_of_students": 2,
        "availability": 2 / 3,
    }


@pytest.mark.parametrize(
    "value", ["ana,bob,cat", "ana, bob , cat", "ana,,bob,cat,", " ana,bob,\tcat ", "ANA,Bob,cat"]
)
def test_comma_separated_string(group: FlaskClient, value: str) -> None:
    body = ok(analyze_json(group, {"usernames": value}))
    assert body == expected_body(["ana", "bob", "cat"])


@pytest.mark.parametrize(
    "body",
    [
        {"usernames": ["ana"], "extra_usernames": ["bob", "cat"]},
        {"usernames": "ana", "extra_usernames": "bob,cat"},
        {"extra_usernames": ["ana", "bob", "cat"]},
        {"extra_usernames": "ana,bob,cat"},
        {"usernames": ["ana", "bob"], "extra_usernames": ["bob", "cat", "ANA"]},
    ],
)
def test_sources_are_merged(group: FlaskClient, body: dict[str, Any]) -> None:
    assert ok(analyze_json(group, body)) == expected_body(["ana", "bob", "cat"])


@pytest.mark.parametrize("multipart", [True, False], ids=["multipart", "urlencoded"])
@pytest.mark.parametrize(
    "fields",
    [
        [("usernames", "ana"), ("usernames", "bob"), ("usernames", "cat")],
        [("usernames", "ana,bob"), ("usernames", "cat")],
        [("usernames", "ana"), ("extra_usernames", "bob"), ("extra_usernames", "cat")],
        [("extra_usernames", "ana, bob, cat")],
        [("usernames", "ana"), ("usernames", "ANA"), ("usernames", "bob,cat")],
    ],
)
def test_repeated_form_fields(
    group: FlaskClient, fields: list[tuple[str, str]], multipart: bool
) -> None:
    body = ok(analyze_form(group, MultiDict(fields), multipart=multipart))
    assert body == expected_body(["ana", "bob", "cat"])


@pytest.mark.parametrize(
    "content",
    [
        b"ana\nbob\ncat\n",
        b"ana\nbob\ncat",
        b"ana\r\nbob\r\ncat\r\n",
        b"\n\nana\n\n\nbob\n  \n\t\ncat\n\n",
        b"ana\nbob\nana\nANA\ncat\nbob\n",
        b"  ana  \nbob\ncat\n",
        b"\xef\xbb\xbfana\nbob\ncat\n",  # UTF-8 with a BOM, as Windows Notepad saves it
        b"\xef\xbb\xbfana\r\n\r\nbob\r\ncat\r\nana\r\n",
    ],
    ids=repr,
)
def test_usernames_file(group: FlaskClient, content: bytes) -> None:
    body = ok(analyze_form(group, {"usernames_file": upload(content)}))
    assert body == expected_body(["ana", "bob", "cat"])


def test_file_and_fields_are_merged(group: FlaskClient) -> None:
    data = MultiDict(
        [
            ("usernames", "ana"),
            ("extra_usernames", "bob"),
            ("usernames_file", upload(b"cat\nzed\nbob\n")),
        ]
    )
    assert ok(analyze_form(group, data)) == expected_body(["ana", "bob", "cat"], ["zed"])


def test_bom_does_not_make_an_unknown_name(group: FlaskClient) -> None:
    body = ok(analyze_form(group, {"usernames_file": upload(b"\xef\xbb\xbfana\nbob\n")}))
    assert body["users_not_found"] == []
    assert body["total_students"] == 2


@pytest.mark.parametrize(
    "content",
    [
        "josé\nana\nbob\n".encode("latin-1"),
        "ana\nbob\n".encode("utf-16"),
        "ana\nbob\n".encode("utf-16-le"),
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"ana\nbob\n\xff\n",
        b"ana\x00bob\n",
    ],
    ids=["latin-1", "utf-16", "utf-16-le", "png", "stray-byte", "nul"],
)
def test_non_utf8_file(group: FlaskClient, content: bytes) -> None:
    data = {"usernames": "ana,bob", "usernames_file": upload(content)}
    bad(analyze_form(group, data), {"usernames_file": [FILE_NOT_TEXT]})


def test_file_size_default_limit_message(group: FlaskClient) -> None:
    content = b"ana\nbob\n" + b"\n" * (64 * 1024 - 8 + 1)
    expected = "El tamaño del archivo es demasiado grande, Asegúrate de que pese menos de 64KB"
    bad(analyze_form(group, {"usernames_file": upload(content)}), {"usernames_file": [expected]})


def test_file_at_the_default_limit_is_accepted(group: FlaskClient) -> None:
    content = b"ana\nbob\n" + b"\n" * (64 * 1024 - 8)
    assert len(content) == 64 * 1024
    assert ok(analyze_form(group, {"usernames_file": upload(content)}))["total_students"] == 2


@pytest.mark.parametrize(("limit", "shown"), [(1024, "1KB"), (2048, "2KB"), (8 * 1024, "8KB")])
def test_file_size_follows_the_setting(
    app_factory: Callable[..., Flask], limit: int, shown: str, students: Students
) -> None:
    client = app_factory(ANALYZE_MAX_FILE_BYTES=limit).test_client()
    for name, schedule in SCHEDULES.items():
        students.register_schedule(name, schedule)
    at_limit = b"ana\nbob\n" + b"\n" * (limit - 8)
    assert len(at_limit) == limit
    assert ok(analyze_form(client, {"usernames_file": upload(at_limit)}))["total_students"] == 2
    message = FILE_TOO_LARGE.format(size=shown)
    assert message.endswith(f"menos de {shown}")
    bad(
        analyze_form(client, {"usernames_file": upload(at_limit + b"\n")}),
        {"usernames_file": [message]},
    )


# --------------------------------------------------------------------------- nothing given


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"usernames": []},
        {"usernames": ""},
        {"usernames": " , ,"},
        {"usernames": None},
        {"usernames": None, "extra_usernames": None},
        {"usernames": [], "extra_usernames": ""},
        {"username_to_filter": "ana"},
        {"unrelated": ["ana", "bob"]},
    ],
    ids=repr,
)
def test_nothing_given_json(group: FlaskClient, body: dict[str, Any]) -> None:
    bad(analyze_json(group, body), {"non_field_errors": [NO_USERNAME_SOURCE]})


def test_nothing_given_message_text(group: FlaskClient) -> None:
    response = analyze_json(group, {})
    assert response.get_json() == {
        "non_field_errors": ["Al menos debes proporcionar una forma para obtener los usuarios"]
    }


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"usernames": ""},
        {"username_to_filter": "ana"},
        {"usernames_file": b""},
        {"usernames_file": b"\n\n  \r\n\t\n"},
        {"usernames_file": b"\xef\xbb\xbf\n"},
    ],
    ids=["empty", "blank-field", "filter-only", "empty-file", "blank-file", "bom-only"],
)
def test_nothing_given_form(group: FlaskClient, data: dict[str, Any]) -> None:
    # Files are built per run: a stream is consumed (and closed) by the request that sends it.
    form = {
        key: upload(value) if isinstance(value, bytes) else value for key, value in data.items()
    }
    bad(analyze_form(group, form), {"non_field_errors": [NO_USERNAME_SOURCE]})


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"usernames": 5}, {"usernames": [NOT_A_STRING]}),
        ({"usernames": ["ana", 5]}, {"usernames": [NOT_A_STRING]}),
        ({"usernames": {"ana": 1}}, {"usernames": [NOT_A_STRING]}),
        ({"extra_usernames": [None]}, {"extra_usernames": [NOT_A_STRING]}),
        ({"usernames": "ana,bob", "username_to_filter": 5}, {"username_to_filter": [NOT_A_STRING]}),
        (
            {"usernames": "ana,bob", "username_to_filter": []},
            {"username_to_filter": [NOT_A_STRING]},
        ),
    ],
    ids=repr,
)
def test_wrong_types(group: FlaskClient, body: dict[str, Any], expected: Any) -> None:
    bad(analyze_json(group, body), expected)


# --------------------------------------------------------------------------- unknown names


def test_unknown_names_are_skipped_and_listed(group: FlaskClient) -> None:
    body = ok(analyze_json(group, {"usernames": ["zed", "ana", "yan", "bob", "zed", "cat"]}))
    assert body == expected_body(["ana", "bob", "cat"], ["zed", "yan"])


def test_unknown_names_are_reported_lowercase_once(group: FlaskClient) -> None:
    body = ok(analyze_json(group, {"usernames": ["ana", "ZED", "bob", "zed", "Zed"]}))
    assert body["users_not_found"] == ["zed"]
    assert body["total_students"] == 2


def test_impossible_names_are_listed_as_not_found(group: FlaskClient) -> None:
    body = ok(analyze_json(group, {"usernames": ["ana", "pe#pito", "bob", "zed", "a" * 31]}))
    assert body["total_students"] == 2
    assert body["users_not_found"] == ["pe#pito", "zed", "a" * 31]  # input order
    assert body["results"] == expected_results([SCHEDULES["ana"], SCHEDULES["bob"]])


@pytest.mark.parametrize(
    "names",
    [["ana"], ["ana", "zed"], ["ana", "ANA"], ["zed", "yan"], ["ana", "pe#pito"], ["José", "ana"]],
    ids=repr,
)
def test_fewer_than_two_known(group: FlaskClient, names: list[str]) -> None:
    bad(analyze_json(group, {"usernames": names}), {"usernames": [TOO_FEW_KNOWN_USERS]})


# --------------------------------------------------------------------------- username_to_filter


@pytest.mark.parametrize("to_filter", ["zed", "pe#pito", "a" * 31, "anab"])
def test_unknown_filter_user(group: FlaskClient, to_filter: str) -> None:
    body = {"usernames": ["ana", "bob"], "username_to_filter": to_filter}
    expected = {"username_to_filter": ["El usuario para filtrar el horario no existe"]}
    assert expected == {"username_to_filter": [FILTER_USER_NOT_FOUND]}
    bad(analyze_json(group, body), expected)
    bad(analyze_form(group, body), expected)


@pytest.mark.parametrize("to_filter", ["fil", "FIL", "Fil"])
def test_filter_removes_the_filter_users_class_slots(group: FlaskClient, to_filter: str) -> None:
    body = ok(
        analyze_json(group, {"usernames": ["ana", "bob", "cat"], "username_to_filter": to_filter})
    )
    assert body == expected_body(["ana", "bob", "cat"], filter_schedule=FILTER)
    slots = [(e["hour_index"], e["day_index"]) for e in body["results"]]
    assert len(slots) == 70 - len(FILTER_WEEKDAY_SLOTS)
    assert slots == [slot for slot in ALL_SLOTS if slot not in FILTER_WEEKDAY_SLOTS]
    # The filter user is not part of the group unless named in it.
    assert body["total_students"] == 3


def test_filter_user_may_also_be_in_the_group(group: FlaskClient) -> None:
    body = ok(analyze_json(group, {"usernames": ["ana", "fil"], "username_to_filter": "fil"}))
    schedules = [SCHEDULES["ana"], FILTER]
    assert body == {
        "total_students": 2,
        "users_not_found": [],
        "results": expected_results(schedules, FILTER),
    }


def test_filter_in_a_multipart_form(group: FlaskClient) -> None:
    data = {"usernames_file": upload(b"ana\nbob\ncat\n"), "username_to_filter": "fil"}
    body = ok(analyze_form(group, data))
    assert body == expected_body(["ana", "bob", "cat"], filter_schedule=FILTER)


def test_filter_with_only_weekend_classes_removes_nothing(
    group: FlaskClient, students: Students
) -> None:
    students.register_schedule("wkd", week((0, 5), (5, 6), (13, 5)))
    body = ok(analyze_json(group, {"usernames": "ana,bob,cat", "username_to_filter": "wkd"}))
    assert body == expected_body(["ana", "bob", "cat"])


def test_worked_example_schedules(client: FlaskClient, students: Students) -> None:
    a, b = WORKED_A, WORKED_B
    students.register_schedule("ana", a)
    students.register_schedule("bob", b)
    body = ok(analyze_json(client, {"usernames": ["ana", "bob"]}))
    assert body == {
        "total_students": 2,
        "users_not_found": [],
        "results": expected_results([a, b]),
    }
    counts = {e["number_of_students"] for e in body["results"]}
    assert counts == {0, 1, 2}


# --------------------------------------------------------------------------- big groups


def letters(number: int, width: int) -> str:
    out = []
    for _ in range(width):
        number, digit = divmod(number, 26)
        out.append(chr(ord("a") + digit))
    return "".join(reversed(out))


def seeded_schedule(index: int) -> str:
    """Deterministic, varied schedules: a class at 1..4 slots depending on the index."""
    slots = {(index * 7) % 98, (index * 13 + 5) % 98}
    if index % 3 == 0:
        slots.add((index * 31 + 11) % 98)
    if index % 5 == 0:
        slots.add(index % 70 // 5 * 7 + index % 5)
    cells = ["0"] * 98
    for slot in slots:
        cells[slot] = "1"
    return "".join(cells)


def seed(app: Flask, count: int) -> dict[str, str]:
    """Insert `count` students in one statement (5000 POSTs would test nothing more)."""
    schedules = {f"u{letters(index, 4)}": seeded_schedule(index) for index in range(count)}
    now = utc_now()
    rows = [
        {"username": name, "schedule": schedule, "created_at": now, "updated_at": now}
        for name, schedule in schedules.items()
    ]
    with app.app_context():
        db.session.execute(insert(Student), rows)
        db.session.commit()
        assert db.session.execute(select(func.count()).select_from(Student)).scalar() == count
    return schedules


def test_five_thousand_usernames_as_json(app: Flask, client: FlaskClient) -> None:
    schedules = seed(app, 5000)
    names = list(schedules)
    body = ok(analyze_json(client, {"usernames": names + ["zzzzz", "nobody"]}))
    assert body == {
        "total_students": 5000,
        "users_not_found": ["zzzzz", "nobody"],
        "results": expected_results(list(schedules.values())),
    }


def test_five_thousand_usernames_as_a_file_with_a_filter(app: Flask, client: FlaskClient) -> None:
    schedules = seed(app, 5000)
    content = "\n".join(name.upper() if i % 2 else name for i, name in enumerate(schedules))
    assert len(content.encode()) <= 64 * 1024
    filter_name = next(iter(schedules))
    data = {"usernames_file": upload(content.encode()), "username_to_filter": filter_name}
    body = ok(analyze_form(client, data))
    assert body == {
        "total_students": 5000,
        "users_not_found": [],
        "results": expected_results(list(schedules.values()), schedules[filter_name]),
    }
    filter_schedule = schedules[filter_name]
    assert len(body["results"]) == sum(filter_schedule[h * 7 + d] == "0" for h, d in ALL_SLOTS)
    assert len(body["results"]) < 70
