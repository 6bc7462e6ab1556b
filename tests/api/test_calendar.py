"""GET /calendar.ics (issue 11, part 2): a weekly event for a block, parsed back with icalendar
and recurring-ical-events; every bad query string a 400 in the contract's shape."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gapfind.core.meeting_calendar import MeetingProblem, TitleProblem
from gapfind.messages import (
    BAD_CALENDAR_DATE,
    BAD_DAY_INDEX,
    BAD_DURATION,
    BAD_START_HOUR_INDEX,
    MEETING_MESSAGES,
    QUERY_NOT_UTF8,
    REQUIRED,
    TITLE_MESSAGES,
)

UTC = timezone.utc
BOGOTA = ZoneInfo("America/Bogota")
ROOT = Path(__file__).resolve().parents[2]


def calendar(client: FlaskClient, **parameters: Any) -> Any:
    return client.get("/calendar.ics?" + urlencode(parameters))


def ics(client: FlaskClient, **parameters: Any) -> bytes:
    response = calendar(client, **parameters)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.data


def rejected(client: FlaskClient, **parameters: Any) -> Any:
    response = calendar(client, **parameters)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.is_json
    return response.get_json()


def occurrences(document: bytes) -> list[tuple[datetime, datetime]]:
    parsed = icalendar.Calendar.from_ical(document)
    events = recurring_ical_events.of(parsed).between(date(1960, 1, 1), date(3001, 1, 1))
    return [(event["DTSTART"].dt, event["DTEND"].dt) for event in events]


def the_event(document: bytes) -> icalendar.Event:
    (event,) = icalendar.Calendar.from_ical(document).walk("VEVENT")
    return event


# --------------------------------------------------------------------------- answers


def test_headers(client: FlaskClient) -> None:
    response = calendar(client, day_index=0, start_hour_index=2)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="gapfind.ics"'
    assert response.data.startswith(b"BEGIN:VCALENDAR\r\n")
    assert response.data.endswith(b"END:VCALENDAR\r\n")


def test_exact_weekly_occurrences_in_the_campus_zone(client: FlaskClient) -> None:
    # Wednesdays (day 2), 8:30-10:30 AM (slot 2, two hours), from a Monday to a Wednesday.
    document = ics(
        client,
        day_index=2,
        start_hour_index=2,
        duration=2,
        **{"from": "2026-03-02", "until": "2026-03-25"},
    )
    assert occurrences(document) == [
        (datetime(2026, 3, 4, 8, 30, tzinfo=BOGOTA), datetime(2026, 3, 4, 10, 30, tzinfo=BOGOTA)),
        (
            datetime(2026, 3, 11, 8, 30, tzinfo=BOGOTA),
            datetime(2026, 3, 11, 10, 30, tzinfo=BOGOTA),
        ),
        (
            datetime(2026, 3, 18, 8, 30, tzinfo=BOGOTA),
            datetime(2026, 3, 18, 10, 30, tzinfo=BOGOTA),
        ),
        (
            datetime(2026, 3, 25, 8, 30, tzinfo=BOGOTA),
            datetime(2026, 3, 25, 10, 30, tzinfo=BOGOTA),
        ),
    ]
    lines = document.decode().split("\r\n")
    assert "DTSTART;TZID=America/Bogota:20260304T083000" in lines
    assert "RRULE:FREQ=WEEKLY;UNTIL=20260326T045959Z" in lines
    assert "TZID:America/Bogota" in lines  # the VTIMEZONE


@pytest.mark.parametrize(
    ("zone", "parameters", "local", "utc_hours"),
    [
        # Tuesdays 6:30 AM in New York; daylight saving starts Sunday 2026-03-08.
        (
            "America/New_York",
            {"day_index": 1, "start_hour_index": 0, "from": "2026-02-24", "until": "2026-03-17"},
            [date(2026, 2, 24), date(2026, 3, 3), date(2026, 3, 10), date(2026, 3, 17)],
            [11, 11, 10, 10],
        ),
        # Fridays 6:30 AM in Madrid; summer time ends Sunday 2026-10-25.
        (
            "Europe/Madrid",
            {"day_index": 4, "start_hour_index": 0, "from": "2026-10-12", "until": "2026-11-06"},
            [date(2026, 10, 16), date(2026, 10, 23), date(2026, 10, 30), date(2026, 11, 6)],
            [4, 4, 5, 5],
        ),
    ],
)
def test_daylight_saving_keeps_the_local_hour(
    app_factory: Callable[..., Flask],
    zone: str,
    parameters: dict[str, Any],
    local: list[date],
    utc_hours: list[int],
) -> None:
    client = app_factory(TIMEZONE=zone).test_client()
    got = occurrences(ics(client, **parameters))
    assert [(start.replace(tzinfo=None), end.replace(tzinfo=None)) for start, end in got] == [
        (datetime(d.year, d.month, d.day, 6, 30), datetime(d.year, d.month, d.day, 7, 30))
        for d in local
    ]
    assert [start.astimezone(UTC).hour for start, _ in got] == utc_hours
    assert all(start.astimezone(UTC).minute == 30 for start, _ in got)


def test_defaults_from_today_on_campus_for_sixteen_weeks(client: FlaskClient) -> None:
    before = datetime.now(BOGOTA).date()
    document = ics(client, day_index=3, start_hour_index=13)
    after = datetime.now(BOGOTA).date()
    event = the_event(document)
    assert event["SUMMARY"] == "GapFind"
    candidates = []
    for today in {before, after}:  # a request across midnight may see either day
        first = today + timedelta(days=(3 - today.weekday()) % 7)
        last = today + timedelta(weeks=16)
        until = datetime(last.year, last.month, last.day, 23, 59, 59, tzinfo=BOGOTA)
        candidates.append((first, until.astimezone(UTC)))
    start = event["DTSTART"].dt
    assert (start.date(), event["RRULE"]["UNTIL"][0]) in candidates
    assert (start.hour, start.minute) == (19, 30)
    assert event["DTEND"].dt - start == timedelta(hours=1)
    assert len(occurrences(document)) in (16, 17)


def test_until_defaults_to_sixteen_weeks_after_from(client: FlaskClient) -> None:
    document = ics(client, day_index=0, start_hour_index=0, **{"from": "2026-03-02"})
    got = occurrences(document)
    assert [start.date() for start, _ in got] == [
        date(2026, 3, 2) + timedelta(weeks=n) for n in range(17)
    ]


@pytest.mark.parametrize(
    "title", ["Cálculo, grupo; B", "línea 1\nlínea 2", "a\\b", "x" * 100, "🙂 ok"], ids=repr
)
def test_title_is_escaped_and_reads_back(client: FlaskClient, title: str) -> None:
    document = ics(client, day_index=0, start_hour_index=0, title=title)
    assert the_event(document)["SUMMARY"] == title


def test_title_escaping_on_the_wire(client: FlaskClient) -> None:
    document = ics(client, day_index=0, start_hour_index=0, title="a,b;c\nd")
    assert b"\r\nSUMMARY:a\\,b\\;c\\nd\r\n" in document


def test_uid_is_stable_for_the_same_meeting(client: FlaskClient) -> None:
    parameters = {"day_index": 0, "start_hour_index": 4, "from": "2026-03-02"}
    first = the_event(ics(client, **parameters))
    second = the_event(ics(client, **parameters))
    assert first["UID"] == second["UID"]
    assert str(first["UID"]).endswith("@gapfind")
    other = the_event(ics(client, **parameters, title="Otro"))
    assert other["UID"] != first["UID"]
    stamp = first["DTSTAMP"].dt
    assert stamp.tzinfo is not None and stamp.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - stamp) < timedelta(hours=1)


def test_a_block_ending_at_the_end_of_the_day(client: FlaskClient) -> None:
    document = ics(client, day_index=6, start_hour_index=0, duration=14, **{"from": "2026-03-02"})
    start, end = occurrences(document)[0]
    assert start == datetime(2026, 3, 8, 6, 30, tzinfo=BOGOTA)
    assert end == datetime(2026, 3, 8, 20, 30, tzinfo=BOGOTA)


# --------------------------------------------------------------------------- errors

VALID = {"day_index": "0", "start_hour_index": "2"}
ENDS = MEETING_MESSAGES[MeetingProblem.ENDS_AFTER_DAY][1]
OUT_OF_RANGE = MEETING_MESSAGES[MeetingProblem.FROM_OUT_OF_RANGE][1]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"day_index": None}, {"day_index": [REQUIRED]}),
        ({"start_hour_index": None}, {"start_hour_index": [REQUIRED]}),
        (
            {"day_index": None, "start_hour_index": None},
            {
                "day_index": [REQUIRED],
                "start_hour_index": [REQUIRED],
            },
        ),
        ({"day_index": "7"}, {"day_index": [BAD_DAY_INDEX]}),
        ({"day_index": "-1"}, {"day_index": [BAD_DAY_INDEX]}),
        ({"day_index": "x"}, {"day_index": [BAD_DAY_INDEX]}),
        ({"day_index": ""}, {"day_index": [BAD_DAY_INDEX]}),
        ({"day_index": "1.5"}, {"day_index": [BAD_DAY_INDEX]}),
        ({"day_index": "9" * 5000}, {"day_index": [BAD_DAY_INDEX]}),
        ({"start_hour_index": "14"}, {"start_hour_index": [BAD_START_HOUR_INDEX]}),
        ({"start_hour_index": "-0.5"}, {"start_hour_index": [BAD_START_HOUR_INDEX]}),
        ({"duration": "0"}, {"duration": [BAD_DURATION]}),
        ({"duration": "15"}, {"duration": [BAD_DURATION]}),
        ({"duration": "dos"}, {"duration": [BAD_DURATION]}),
        ({"start_hour_index": "13", "duration": "2"}, {"duration": [ENDS]}),
        ({"start_hour_index": "1", "duration": "14"}, {"duration": [ENDS]}),
        ({"title": ""}, {"title": [TITLE_MESSAGES[TitleProblem.LENGTH]]}),
        ({"title": "x" * 101}, {"title": [TITLE_MESSAGES[TitleProblem.LENGTH]]}),
        ({"title": "a\x00b"}, {"title": [TITLE_MESSAGES[TitleProblem.CONTROL_CHARACTER]]}),
        ({"title": "a\x1bb"}, {"title": [TITLE_MESSAGES[TitleProblem.CONTROL_CHARACTER]]}),
        ({"from": "2026-3-2"}, {"from": [BAD_CALENDAR_DATE]}),
        ({"from": "20260302"}, {"from": [BAD_CALENDAR_DATE]}),
        ({"from": "2026-W10-1"}, {"from": [BAD_CALENDAR_DATE]}),
        ({"from": "2026-02-30"}, {"from": [BAD_CALENDAR_DATE]}),
        ({"from": "2026-03-02T00:00"}, {"from": [BAD_CALENDAR_DATE]}),
        ({"from": ""}, {"from": [BAD_CALENDAR_DATE]}),
        ({"until": "mañana"}, {"until": [BAD_CALENDAR_DATE]}),
        ({"from": "١٩٧٠-٠١-٠١"}, {"from": [BAD_CALENDAR_DATE]}),  # Arabic-Indic digits
        ({"from": "1969-12-31"}, {"from": [OUT_OF_RANGE]}),
        ({"from": "2026-03-02", "until": "3000-01-01"}, {"until": [OUT_OF_RANGE]}),
        ({"from": "2999-12-01"}, {"until": [OUT_OF_RANGE]}),  # the default until is past it
        (
            {"from": "2026-03-02", "until": "2026-03-01"},
            {"until": [MEETING_MESSAGES[MeetingProblem.UNTIL_BEFORE_FROM][1]]},
        ),
        (
            {"from": "2026-03-02", "until": "2027-03-04"},
            {"until": [MEETING_MESSAGES[MeetingProblem.SPAN_TOO_LONG][1]]},
        ),
        (
            {"from": "2026-03-03", "until": "2026-03-08"},  # Tuesday to Sunday: no Monday
            {"until": [MEETING_MESSAGES[MeetingProblem.NO_OCCURRENCE][1]]},
        ),
        (
            {"day_index": "9", "duration": "0", "from": "x"},
            {
                "day_index": [BAD_DAY_INDEX],
                "duration": [BAD_DURATION],
                "from": [BAD_CALENDAR_DATE],
            },
        ),
    ],
    ids=lambda value: repr(value)[:40],
)
def test_bad_parameters(client: FlaskClient, changes: dict[str, Any], expected: Any) -> None:
    parameters = {**VALID, **changes}
    parameters = {key: value for key, value in parameters.items() if value is not None}
    assert rejected(client, **parameters) == expected


def test_the_messages_read_as_written() -> None:
    assert BAD_DURATION == "La duración debe estar entre 1 y 14 horas"
    assert ENDS.startswith("El bloque debe terminar a más tardar a las 8:30 PM")
    assert OUT_OF_RANGE == "La fecha debe estar entre 1970-01-01 y 2999-12-31"


@pytest.mark.parametrize(
    ("parameters", "first"),
    [
        (
            {"day_index": "1", "start_hour_index": "13", "duration": "1"},
            datetime(2026, 3, 3, 19, 30),
        ),
        (
            {"day_index": " 2 ", "start_hour_index": "0", "duration": "14"},
            datetime(2026, 3, 4, 6, 30),
        ),
        (
            {"day_index": "3", "start_hour_index": "5", "colour": "blue"},
            datetime(2026, 3, 5, 11, 30),
        ),
        (
            {"day_index": "0", "start_hour_index": "1", "until": "2026-03-02"},
            datetime(2026, 3, 2, 7, 30),
        ),
        (
            {"day_index": "0", "start_hour_index": "1", "until": "2027-03-03"},
            datetime(2026, 3, 2, 7, 30),
        ),
    ],
    ids=repr,
)
def test_edge_parameters_that_are_fine(
    client: FlaskClient, parameters: dict[str, str], first: datetime
) -> None:
    got = occurrences(ics(client, **{"from": "2026-03-02", **parameters}))
    assert got[0][0].replace(tzinfo=None) == first


def test_repeated_parameters_use_the_first(client: FlaskClient) -> None:
    response = client.get(
        "/calendar.ics?day_index=1&day_index=9&start_hour_index=0&from=2026-03-02"
    )
    assert response.status_code == 200
    assert occurrences(response.data)[0][0].date() == date(2026, 3, 3)


@pytest.mark.parametrize("raw", ["\x80", "day_index=\xff&start_hour_index=0", "title=\xc3"])
def test_a_query_string_that_is_not_utf8_is_a_400(client: FlaskClient, raw: str) -> None:
    # Raw bytes, not %-escaped, as a WSGI server hands them over (latin-1 strings).
    response = client.get("/calendar.ics", environ_overrides={"QUERY_STRING": raw})
    assert response.status_code == 400
    assert response.get_json() == {"non_field_errors": [QUERY_NOT_UTF8]}


def test_percent_escaped_bytes_that_are_not_utf8_are_replaced(client: FlaskClient) -> None:
    # werkzeug keeps a %-escape that does not decode to UTF-8 as it was sent: still a title.
    response = client.get("/calendar.ics?day_index=0&start_hour_index=0&title=a%FFb")
    assert response.status_code == 200
    assert the_event(response.data)["SUMMARY"] == "a%FFb"


def test_other_methods_are_a_405_in_the_contract_shape(client: FlaskClient) -> None:
    response = client.post("/calendar.ics?day_index=0&start_hour_index=0")
    assert response.status_code == 405
    assert response.get_json() == {"non_field_errors": ["Método no permitido."]}


QUERY_NAMES = st.sampled_from(
    ["day_index", "start_hour_index", "duration", "title", "from", "until", "x"]
)
QUERY_VALUES = st.one_of(
    st.text(max_size=12),
    st.integers(-20, 400).map(str),
    st.dates(date(1960, 1, 1), date(3010, 12, 31)).map(date.isoformat),
    st.from_regex(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\Z"),
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    parameters=st.lists(st.tuples(QUERY_NAMES, QUERY_VALUES), max_size=8),
    raw=st.binary(max_size=40),
)
def test_no_query_string_is_a_500(
    client: FlaskClient, parameters: list[tuple[str, str]], raw: bytes
) -> None:
    # Encoded parameters, and raw bytes as a server hands them over (PEP 3333: latin-1).
    for query in (urlencode(parameters), raw.decode("latin-1")):
        response = client.get("/calendar.ics", environ_overrides={"QUERY_STRING": query})
        assert response.status_code in (200, 400), (query, response.get_data(as_text=True))
        if response.status_code == 200:
            assert response.mimetype == "text/calendar"
            assert occurrences(response.data)  # parses and has at least one occurrence
        else:
            body = response.get_json()
            assert isinstance(body, dict) and body
            assert all(
                isinstance(messages, list)
                and messages
                and all(isinstance(m, str) for m in messages)
                for messages in body.values()
            )


# --------------------------------------------------------------------------- around it


def test_counted_under_the_default_limit_of_its_own(app_factory: Callable[..., Flask]) -> None:
    client = app_factory(RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="2 per hour").test_client()
    for _ in range(2):
        response = calendar(client, day_index=0, start_hour_index=0)
        assert response.status_code == 200
        assert response.headers["X-RateLimit-Limit"] == "2"
    refused = calendar(client, day_index=0, start_hour_index=0)
    assert refused.status_code == 429
    assert refused.is_json
    assert client.get("/users/nadie").status_code == 404  # another endpoint, another bucket


def test_icalendar_is_not_loaded_until_a_calendar_is_served(database_url: str) -> None:
    """The serving worker's start-up and a /results request never import icalendar."""
    code = f"""
import os, sys
os.environ["GAPFIND_CONFIG"] = "testing"
from gapfind import create_app
from gapfind.extensions import db
app = create_app({{"DATABASE_URL": {database_url!r}}})
with app.app_context():
    db.drop_all()
    db.create_all()
client = app.test_client()
for name in ("ana", "bob"):
    created = client.post("/manual", json={{"username": name, "list_of_indices": [[0, 0]]}})
    assert created.status_code == 201
assert client.post("/results", json={{"usernames": ["ana", "bob"]}}).status_code == 200
assert client.post("/blocks", json={{"usernames": ["ana", "bob"]}}).status_code == 200
assert "icalendar" not in sys.modules, "icalendar loaded before any calendar"
assert client.get("/calendar.ics?day_index=0&start_hour_index=0").status_code == 200
assert "icalendar" in sys.modules, "the check above would prove nothing"
with app.app_context():
    db.drop_all()
"""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_documented_in_openapi_and_docs(client: FlaskClient) -> None:
    spec = client.get("/openapi.json").get_json()
    operation = spec["paths"]["/calendar.ics"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert set(parameters) == {"day_index", "start_hour_index", "duration", "title"} | {
        "from",
        "until",
    }
    assert all(p["in"] == "query" for p in parameters.values())
    assert {name for name, p in parameters.items() if p["required"]} == {
        "day_index",
        "start_hour_index",
    }
    assert parameters["duration"]["schema"]["maximum"] == 14
    assert parameters["title"]["schema"]["maxLength"] == 100
    assert list(operation["responses"]["200"]["content"]) == ["text/calendar"]
    assert {"200", "400", "429"} <= set(operation["responses"])
    blocks = spec["paths"]["/blocks"]["post"]
    body = blocks["requestBody"]["content"]["application/json"]["schema"]
    assert body["$ref"].endswith("/BlocksRequest")
    fields = spec["components"]["schemas"]["BlocksRequest"]["properties"]
    assert set(fields) == {
        "usernames",
        "duration",
        "quorum",
        "no_classes_day",
        "ignore_weekend",
        "limit",
        "days_to_filter",
    }
    assert blocks["responses"]["200"]["content"]["application/json"]["example"]["blocks"]
    page = client.get("/docs").get_data(as_text=True)
    for name in ("day_index", "start_hour_index", "title", "from", "until", "quorum"):
        assert f"<code>{name}</code>" in page, name
