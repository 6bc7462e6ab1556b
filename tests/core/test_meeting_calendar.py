"""The weekly meeting's dates and its .ics file, parsed back with icalendar and expanded with
recurring-ical-events into the exact occurrences (hand-written datetimes), across daylight-saving
changes too."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
from hypothesis import given, settings
from hypothesis import strategies as st

from gapfind.core import meeting_calendar
from gapfind.core.meeting_calendar import (
    FIRST_DATE,
    LAST_DATE,
    InvalidMeeting,
    MeetingProblem,
    TitleProblem,
    WeeklyMeeting,
    calendar_document,
    campus_vtimezone,
    first_end,
    first_occurrence,
    first_start,
    meeting_problem,
    meeting_uid,
    plan_meeting,
    title_problem,
    until_utc,
)

BOGOTA = ZoneInfo("America/Bogota")
NEW_YORK = ZoneInfo("America/New_York")
MADRID = ZoneInfo("Europe/Madrid")
UTC = timezone.utc
STAMP = datetime(2026, 2, 20, 15, 4, 5, tzinfo=UTC)


def meeting(**changes: object) -> WeeklyMeeting:
    fields: dict[str, object] = {
        "day_index": 0,
        "start_hour_index": 2,
        "duration": 2,
        "title": "Estudio",
        "first_day": date(2026, 3, 2),
        "last_day": date(2026, 3, 30),
    }
    fields.update(changes)
    return WeeklyMeeting(**fields)  # type: ignore[arg-type]


def parse(document: bytes) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(document)


def occurrences(document: bytes) -> list[tuple[datetime, datetime]]:
    """Every (start, end) the file expands to, as any calendar app would compute them."""
    events = recurring_ical_events.of(parse(document)).between(date(1960, 1, 1), date(3001, 1, 1))
    return [(event["DTSTART"].dt, event["DTEND"].dt) for event in events]


def the_event(document: bytes) -> icalendar.Event:
    (event,) = parse(document).walk("VEVENT")
    return event


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("first_day", "day_index", "expected"),
    [
        (date(2026, 3, 2), 0, date(2026, 3, 2)),  # a Monday, Monday: the same day
        (date(2026, 3, 2), 1, date(2026, 3, 3)),
        (date(2026, 3, 2), 6, date(2026, 3, 8)),
        (date(2026, 3, 3), 0, date(2026, 3, 9)),  # a Tuesday, Monday: next week
        (date(2026, 3, 8), 0, date(2026, 3, 9)),  # a Sunday, Monday: tomorrow
        (date(2026, 3, 8), 6, date(2026, 3, 8)),
        (date(2026, 12, 31), 4, date(2027, 1, 1)),  # a Thursday, Friday: next year
        (date(2028, 2, 28), 1, date(2028, 2, 29)),  # leap day
    ],
)
def test_first_occurrence(first_day: date, day_index: int, expected: date) -> None:
    assert first_occurrence(first_day, day_index) == expected


def test_defaults_are_today_and_sixteen_weeks() -> None:
    planned = plan_meeting(3, 0, today=date(2026, 5, 6))
    assert planned == WeeklyMeeting(3, 0, 1, "GapFind", date(2026, 5, 6), date(2026, 8, 26))
    later = plan_meeting(3, 0, today=date(2026, 5, 6), first_day=date(2026, 9, 1))
    assert (later.first_day, later.last_day) == (date(2026, 9, 1), date(2026, 12, 22))
    fixed = plan_meeting(3, 0, today=date(2026, 5, 6), last_day=date(2026, 5, 7))
    assert (fixed.first_day, fixed.last_day) == (date(2026, 5, 6), date(2026, 5, 7))


def test_a_default_until_past_the_last_supported_date_is_a_problem_not_a_crash() -> None:
    with pytest.raises(InvalidMeeting) as raised:
        plan_meeting(0, 0, today=date(2026, 5, 6), first_day=date(2999, 12, 1))
    assert raised.value.problem is MeetingProblem.UNTIL_OUT_OF_RANGE


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ((0, 13, 1, date(2026, 3, 2), date(2026, 3, 2)), None),
        ((0, 13, 2, date(2026, 3, 2), date(2026, 3, 2)), MeetingProblem.ENDS_AFTER_DAY),
        ((0, 0, 14, date(2026, 3, 2), date(2026, 3, 2)), None),
        ((0, 1, 14, date(2026, 3, 2), date(2026, 3, 2)), MeetingProblem.ENDS_AFTER_DAY),
        ((0, 12, 2, date(2026, 3, 2), date(2026, 3, 1)), MeetingProblem.UNTIL_BEFORE_FROM),
        ((0, 0, 1, date(2026, 3, 2), date(2027, 3, 3)), None),  # 366 days
        ((0, 0, 1, date(2026, 3, 2), date(2027, 3, 4)), MeetingProblem.SPAN_TOO_LONG),
        ((0, 0, 1, date(2026, 3, 3), date(2026, 3, 8)), MeetingProblem.NO_OCCURRENCE),
        ((0, 0, 1, date(2026, 3, 3), date(2026, 3, 9)), None),
        ((0, 0, 1, date(1969, 12, 29), date(1970, 1, 5)), MeetingProblem.FROM_OUT_OF_RANGE),
        ((0, 0, 1, date(2999, 12, 30), date(3000, 1, 6)), MeetingProblem.UNTIL_OUT_OF_RANGE),
        ((0, 0, 1, FIRST_DATE, FIRST_DATE), MeetingProblem.NO_OCCURRENCE),  # a Thursday
        ((3, 0, 1, FIRST_DATE, FIRST_DATE), None),
        ((1, 0, 1, LAST_DATE, LAST_DATE), None),  # a Tuesday
        # the first problem wins
        ((0, 13, 2, date(2026, 3, 3), date(2026, 3, 1)), MeetingProblem.ENDS_AFTER_DAY),
    ],
)
def test_meeting_problem(
    arguments: tuple[int, int, int, date, date], expected: MeetingProblem | None
) -> None:
    assert meeting_problem(*arguments) == expected
    if expected is None:
        WeeklyMeeting(arguments[0], arguments[1], arguments[2], "x", *arguments[3:])
    else:
        with pytest.raises(InvalidMeeting) as raised:
            WeeklyMeeting(arguments[0], arguments[1], arguments[2], "x", *arguments[3:])
        assert raised.value.problem is expected


@pytest.mark.parametrize(
    "changes",
    [
        {"day_index": 7},
        {"day_index": -1},
        {"start_hour_index": 14},
        {"start_hour_index": -1},
        {"duration": 0},
        {"duration": 15},
        {"title": ""},
        {"title": "x" * 101},
        {"title": "a\x00b"},
    ],
    ids=repr,
)
def test_impossible_meetings_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        meeting(**changes)


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("GapFind", None),
        ("x", None),
        ("x" * 100, None),
        ("Cálculo, grupo; B\nlínea 2\r\ntres\tcuatro", None),
        ("👩‍💻 grupo", None),  # a zero-width joiner is a format character, not a control
        ("", TitleProblem.LENGTH),
        ("x" * 101, TitleProblem.LENGTH),
        ("a\x00b", TitleProblem.CONTROL_CHARACTER),
        ("a\x1bb", TitleProblem.CONTROL_CHARACTER),
        ("a\x7fb", TitleProblem.CONTROL_CHARACTER),
        ("a\x85b", TitleProblem.CONTROL_CHARACTER),
        ("a\ud800b", TitleProblem.CONTROL_CHARACTER),
    ],
    ids=repr,
)
def test_title_problem(title: str, expected: TitleProblem | None) -> None:
    assert title_problem(title) is expected


@pytest.mark.parametrize(
    ("zone", "last_day", "expected"),
    [
        (BOGOTA, date(2026, 3, 10), datetime(2026, 3, 11, 4, 59, 59, tzinfo=UTC)),
        (NEW_YORK, date(2026, 1, 15), datetime(2026, 1, 16, 4, 59, 59, tzinfo=UTC)),
        (NEW_YORK, date(2026, 7, 1), datetime(2026, 7, 2, 3, 59, 59, tzinfo=UTC)),
        (MADRID, date(2026, 1, 15), datetime(2026, 1, 15, 22, 59, 59, tzinfo=UTC)),
        (MADRID, date(2026, 7, 1), datetime(2026, 7, 1, 21, 59, 59, tzinfo=UTC)),
    ],
)
def test_until_is_the_last_second_of_the_day_on_campus_in_utc(
    zone: ZoneInfo, last_day: date, expected: datetime
) -> None:
    got = until_utc(meeting(first_day=date(2026, 1, 5), last_day=last_day), zone)
    assert got == expected
    assert got.tzinfo is UTC


def test_start_and_end_are_slot_times_on_campus() -> None:
    block = meeting(day_index=2, start_hour_index=0, duration=14, first_day=date(2026, 3, 2))
    assert first_start(block, BOGOTA) == datetime(2026, 3, 4, 6, 30, tzinfo=BOGOTA)
    assert first_end(block, BOGOTA) == datetime(2026, 3, 4, 20, 30, tzinfo=BOGOTA)
    last_slot = meeting(start_hour_index=13, duration=1)
    assert first_start(last_slot, MADRID) == datetime(2026, 3, 2, 19, 30, tzinfo=MADRID)
    assert first_end(last_slot, MADRID) == datetime(2026, 3, 2, 20, 30, tzinfo=MADRID)


def test_uid_is_stable_and_tells_meetings_apart() -> None:
    uid = meeting_uid(meeting(), BOGOTA)
    assert uid == meeting_uid(meeting(), BOGOTA)
    assert uid.endswith("@gapfind")
    others = [
        meeting_uid(meeting(), MADRID),
        meeting_uid(meeting(day_index=1), BOGOTA),
        meeting_uid(meeting(start_hour_index=3), BOGOTA),
        meeting_uid(meeting(duration=1), BOGOTA),
        meeting_uid(meeting(title="Estudio 2"), BOGOTA),
        meeting_uid(meeting(first_day=date(2026, 3, 1)), BOGOTA),
        meeting_uid(meeting(last_day=date(2026, 3, 31)), BOGOTA),
    ]
    assert len({uid, *others}) == 8


# --------------------------------------------------------------------------- the file


def test_bogota_occurrences_exactly() -> None:
    document = calendar_document(meeting(), BOGOTA, STAMP)
    mondays = [date(2026, 3, 2), date(2026, 3, 9), date(2026, 3, 16), date(2026, 3, 23)]
    mondays.append(date(2026, 3, 30))  # the until day itself is included
    expected = [
        (
            datetime(day.year, day.month, day.day, 8, 30, tzinfo=BOGOTA),
            datetime(day.year, day.month, day.day, 10, 30, tzinfo=BOGOTA),
        )
        for day in mondays
    ]
    assert occurrences(document) == expected
    # Bogota is UTC-5 all year: 13:30Z.
    assert [start.astimezone(UTC).hour for start, _ in occurrences(document)] == [13] * 5


def test_the_event_properties() -> None:
    document = calendar_document(meeting(), BOGOTA, STAMP)
    calendar = parse(document)
    assert calendar["VERSION"] == "2.0"
    assert calendar["PRODID"] == meeting_calendar.PRODUCT_ID
    (vtimezone,) = calendar.walk("VTIMEZONE")
    assert vtimezone["TZID"] == "America/Bogota"
    event = the_event(document)
    assert event["UID"] == meeting_uid(meeting(), BOGOTA)
    assert event["DTSTAMP"].dt == STAMP
    assert event["SUMMARY"] == "Estudio"
    rule = event["RRULE"]
    assert rule["FREQ"] == ["WEEKLY"]
    assert rule["UNTIL"] == [datetime(2026, 3, 31, 4, 59, 59, tzinfo=UTC)]
    lines = document.decode("utf-8").split("\r\n")
    assert "DTSTART;TZID=America/Bogota:20260302T083000" in lines
    assert "DTEND;TZID=America/Bogota:20260302T103000" in lines
    assert "RRULE:FREQ=WEEKLY;UNTIL=20260331T045959Z" in lines
    assert "DTSTAMP:20260220T150405Z" in lines
    assert document.endswith(b"END:VCALENDAR\r\n")


def test_the_day_after_until_is_not_included() -> None:
    document = calendar_document(meeting(last_day=date(2026, 3, 29)), BOGOTA, STAMP)
    assert [start.date() for start, _ in occurrences(document)] == [
        date(2026, 3, 2),
        date(2026, 3, 9),
        date(2026, 3, 16),
        date(2026, 3, 23),
    ]


def test_new_york_spring_forward_keeps_the_local_hour() -> None:
    # Mondays at 7:30 AM; daylight saving starts on Sunday 2026-03-08.
    block = meeting(
        start_hour_index=1, duration=1, first_day=date(2026, 2, 23), last_day=date(2026, 3, 23)
    )
    document = calendar_document(block, NEW_YORK, STAMP)
    got = occurrences(document)
    local = [(start.replace(tzinfo=None), end.replace(tzinfo=None)) for start, end in got]
    assert local == [
        (datetime(2026, 2, 23, 7, 30), datetime(2026, 2, 23, 8, 30)),
        (datetime(2026, 3, 2, 7, 30), datetime(2026, 3, 2, 8, 30)),
        (datetime(2026, 3, 9, 7, 30), datetime(2026, 3, 9, 8, 30)),
        (datetime(2026, 3, 16, 7, 30), datetime(2026, 3, 16, 8, 30)),
        (datetime(2026, 3, 23, 7, 30), datetime(2026, 3, 23, 8, 30)),
    ]
    assert [start.astimezone(UTC) for start, _ in got] == [
        datetime(2026, 2, 23, 12, 30, tzinfo=UTC),
        datetime(2026, 3, 2, 12, 30, tzinfo=UTC),
        datetime(2026, 3, 9, 11, 30, tzinfo=UTC),
        datetime(2026, 3, 16, 11, 30, tzinfo=UTC),
        datetime(2026, 3, 23, 11, 30, tzinfo=UTC),
    ]


MADRID_AUTUMN_UTC = [
    datetime(2026, 10, 14, 17, 30, tzinfo=UTC),  # CEST, UTC+2
    datetime(2026, 10, 21, 17, 30, tzinfo=UTC),
    datetime(2026, 10, 28, 18, 30, tzinfo=UTC),  # CET from Sunday 2026-10-25
    datetime(2026, 11, 4, 18, 30, tzinfo=UTC),
]


def test_madrid_fall_back_keeps_the_local_hour() -> None:
    # Wednesdays at 7:30 PM, the day's last slot, ending at 8:30 PM.
    block = meeting(
        day_index=2,
        start_hour_index=13,
        duration=1,
        first_day=date(2026, 10, 12),
        last_day=date(2026, 11, 4),
    )
    got = occurrences(calendar_document(block, MADRID, STAMP))
    assert [(s.replace(tzinfo=None), e.replace(tzinfo=None)) for s, e in got] == [
        (datetime(2026, 10, 14, 19, 30), datetime(2026, 10, 14, 20, 30)),
        (datetime(2026, 10, 21, 19, 30), datetime(2026, 10, 21, 20, 30)),
        (datetime(2026, 10, 28, 19, 30), datetime(2026, 10, 28, 20, 30)),
        (datetime(2026, 11, 4, 19, 30), datetime(2026, 11, 4, 20, 30)),
    ]
    assert [start.astimezone(UTC) for start, _ in got] == MADRID_AUTUMN_UTC


def test_the_vtimezone_alone_gives_the_same_instants() -> None:
    # A calendar app that does not know IANA names (or has other rules) uses the file's own
    # VTIMEZONE: rename the zone and the occurrences must still fall at the same instants.
    block = meeting(
        day_index=2,
        start_hour_index=13,
        duration=1,
        first_day=date(2026, 10, 12),
        last_day=date(2026, 11, 4),
    )
    document = calendar_document(block, MADRID, STAMP).replace(b"Europe/Madrid", b"Campus-Zone")
    assert b"Europe/Madrid" not in document
    got = occurrences(document)
    assert [start.astimezone(UTC) for start, _ in got] == MADRID_AUTUMN_UTC


@pytest.mark.parametrize(
    "title",
    [
        "Cálculo, grupo; B",
        "Línea 1\nLínea 2",
        "barra \\ invertida",
        "é" * 100,
        "  espacios  ",
        "tab\taquí",
    ],
    ids=repr,
)
def test_titles_are_escaped_and_read_back(title: str) -> None:
    document = calendar_document(meeting(title=title), BOGOTA, STAMP)
    assert the_event(document)["SUMMARY"] == title
    for line in document.split(b"\r\n"):
        assert len(line) <= 75  # folded by the library, as RFC 5545 asks


def test_commas_semicolons_and_line_breaks_are_escaped_on_the_wire() -> None:
    document = calendar_document(meeting(title="a,b;c\nd"), BOGOTA, STAMP)
    assert b"SUMMARY:a\\,b\\;c\\nd\r\n" in document


def test_default_sixteen_weeks_from_a_monday_is_seventeen_mondays() -> None:
    planned = plan_meeting(0, 0, today=date(2026, 3, 2))
    got = occurrences(calendar_document(planned, BOGOTA, STAMP))
    assert [start.date() for start, _ in got] == [
        date(2026, 3, 2) + timedelta(weeks=week) for week in range(17)
    ]


def test_a_meeting_across_new_year() -> None:
    block = meeting(day_index=4, first_day=date(2026, 12, 28), last_day=date(2027, 1, 15))
    got = occurrences(calendar_document(block, NEW_YORK, STAMP))
    assert [start.replace(tzinfo=None) for start, _ in got] == [
        datetime(2027, 1, 1, 8, 30),
        datetime(2027, 1, 8, 8, 30),
        datetime(2027, 1, 15, 8, 30),
    ]


@pytest.mark.parametrize(
    ("first_day", "last_day", "expected"),
    [
        (FIRST_DATE, FIRST_DATE + timedelta(days=6), [datetime(1970, 1, 5, 8, 30)]),
        (LAST_DATE - timedelta(days=6), LAST_DATE, [datetime(2999, 12, 30, 8, 30)]),
    ],
)
def test_the_first_and_last_supported_dates(
    first_day: date, last_day: date, expected: list[datetime]
) -> None:
    block = meeting(first_day=first_day, last_day=last_day)
    got = occurrences(calendar_document(block, NEW_YORK, STAMP))
    assert [start.replace(tzinfo=None) for start, _ in got] == expected


# --------------------------------------------------------------------------- VTIMEZONE cache


@pytest.mark.parametrize("zone", [BOGOTA, NEW_YORK, MADRID])
def test_cached_vtimezone_is_what_icalendar_builds_afresh(zone: ZoneInfo) -> None:
    """Fence for the cache: the shared component must stay exactly the library's own."""
    campus_vtimezone.cache_clear()
    cached = campus_vtimezone(zone, 2026, 2027)
    for first_day in (date(2026, 3, 2), date(2026, 10, 5)):
        calendar_document(meeting(first_day=first_day, last_day=date(2027, 2, 1)), zone, STAMP)
    assert campus_vtimezone(zone, 2026, 2027) is cached
    fresh = icalendar.Timezone.from_tzinfo(
        zone, zone.key, first_date=date(2026, 1, 1), last_date=date(2028, 1, 1)
    )
    assert cached.to_ical() == fresh.to_ical()


def test_documents_with_a_cold_and_a_warm_cache_are_identical() -> None:
    block = meeting(first_day=date(2026, 10, 5), last_day=date(2027, 3, 1))
    campus_vtimezone.cache_clear()
    meeting_calendar._calendar_head.cache_clear()
    cold = calendar_document(block, NEW_YORK, STAMP)
    warm = calendar_document(block, NEW_YORK, STAMP)
    assert cold == warm
    assert meeting_calendar._calendar_head.cache_info().hits >= 1


def library_document(block: WeeklyMeeting, zone: ZoneInfo, stamp: datetime) -> bytes:
    """The whole file as icalendar itself composes it: calendar_document's reference."""
    calendar = meeting_calendar.calendar_frame()
    years = meeting_calendar.vtimezone_years(block, zone)
    fresh = icalendar.Timezone.from_tzinfo(
        zone, zone.key, first_date=date(years[0], 1, 1), last_date=date(years[1] + 1, 1, 1)
    )
    calendar.add_component(fresh)
    calendar.add_component(meeting_calendar.meeting_event(block, zone, stamp))
    written: bytes = calendar.to_ical()
    return written


@st.composite
def meetings(draw: st.DrawFn) -> WeeklyMeeting:
    start = draw(st.integers(0, 13))
    first = draw(st.dates(date(2020, 1, 1), date(2035, 12, 31)))
    day_index = draw(st.integers(0, 6))
    earliest = first_occurrence(first, day_index)
    return WeeklyMeeting(
        day_index,
        start,
        draw(st.integers(1, 14 - start)),
        draw(
            st.text(
                st.characters(codec="utf-8", exclude_categories=("Cc", "Cs"))
                | st.sampled_from(",;\\\n\t"),
                min_size=1,
                max_size=100,
            )
        ),
        first,
        earliest + timedelta(days=draw(st.integers(0, 366 - (earliest - first).days))),
    )


ZONES = st.sampled_from([BOGOTA, NEW_YORK, MADRID, ZoneInfo("Australia/Sydney"), ZoneInfo("UTC")])


@settings(max_examples=150, deadline=None)
@given(meetings(), ZONES, st.datetimes(timezones=st.just(UTC)))
def test_the_cached_head_gives_the_librarys_own_file(
    block: WeeklyMeeting, zone: ZoneInfo, stamp: datetime
) -> None:
    """Fence for the spliced document: byte for byte what icalendar writes for the calendar."""
    assert calendar_document(block, zone, stamp) == library_document(block, zone, stamp)


@pytest.mark.parametrize(
    "stamp",
    [
        STAMP,
        datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),  # microseconds are not written
        datetime(2026, 7, 1, 8, 0, tzinfo=NEW_YORK),  # another zone: written in UTC
        meeting_calendar._PLACEHOLDER_STAMP,
    ],
    ids=str,
)
def test_a_kept_event_takes_each_requests_stamp(stamp: datetime) -> None:
    block = meeting(title="DTSTAMP:20000101T000000Z, a title like the placeholder")
    calendar_document(block, MADRID, STAMP)  # the event is kept from here on
    assert calendar_document(block, MADRID, stamp) == library_document(block, MADRID, stamp)
    event = the_event(calendar_document(block, MADRID, stamp))
    assert event["DTSTAMP"].dt == stamp.astimezone(UTC).replace(microsecond=0)


def test_the_vtimezone_covers_the_meeting_years() -> None:
    block = meeting(first_day=date(2026, 12, 28), last_day=date(2027, 1, 15))
    (vtimezone,) = parse(calendar_document(block, NEW_YORK, STAMP)).walk("VTIMEZONE")
    assert vtimezone.to_ical() == campus_vtimezone(NEW_YORK, 2026, 2027).to_ical()
    # Daylight saving of both years is in it (March 2026 as DTSTART, March 2027 as RDATE).
    text = vtimezone.to_ical().decode()
    assert "DTSTART:20260308T030000" in text
    assert "20270314T030000" in text


def test_refused_title_characters_are_exactly_the_controls_but_line_breaks_and_tab() -> None:
    # The core spells Unicode's Cc category (and the surrogates) as code point ranges, to
    # stay off unicodedata; every code point is checked against unicodedata here.
    import unicodedata

    allowed_controls = {"\t", "\n", "\r"}
    for code in range(0x110000):
        character = chr(code)
        refused = unicodedata.category(character) in ("Cc", "Cs")
        refused = refused and character not in allowed_controls
        got = title_problem(character) is TitleProblem.CONTROL_CHARACTER
        assert got == refused, hex(code)


def test_importing_the_core_does_not_load_icalendar() -> None:
    # A fresh interpreter: this test process has long imported icalendar itself.
    code = (
        "import sys, gapfind.core, gapfind.core.meeting_calendar\n"
        "assert 'icalendar' not in sys.modules, 'loaded at import'\n"
        "from datetime import date, datetime, timezone\n"
        "from zoneinfo import ZoneInfo\n"
        "m = gapfind.core.plan_meeting(0, 0, today=date(2026, 3, 2))\n"
        "gapfind.core.calendar_document(m, ZoneInfo('UTC'), datetime.now(timezone.utc))\n"
        "assert 'icalendar' in sys.modules, 'the check above would prove nothing'\n"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
