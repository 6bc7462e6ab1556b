"""gapfind.core.timetable_import: calendar files in the shapes real exporters write, the mapping
rules of issue 12, hostile files, and the fences around what the module overrides in
recurring-ical-events and dateutil.

Every expected schedule below is written by hand from the times in tests/ics_fixtures.py, as
(hour_index, day_index) pairs: hour 0 is 6:30-7:30 AM ... hour 13 is 7:30-8:30 PM; day 0 is
Monday.
"""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gapfind.core import timetable_import as ti
from gapfind.core.grid import SLOT_COUNT, indices_from_schedule, schedule_from_indices
from gapfind.core.timetable_import import (
    CalendarImportError,
    CalendarProblem,
    IgnoredEvent,
    IgnoredReason,
    ImportLimits,
    import_timetable,
)
from tests import ics_fixtures as ics

BOGOTA = ZoneInfo("America/Bogota")
MADRID = ZoneInfo("Europe/Madrid")

ALL_DAY = IgnoredReason.ALL_DAY
CANCELLED = IgnoredReason.CANCELLED
FREE = IgnoredReason.FREE
OUTSIDE = IgnoredReason.OUTSIDE_HOURS
NOT_IN_WEEK = IgnoredReason.NOT_IN_WEEK


def pairs(schedule: str) -> set[tuple[int, int]]:
    return set(indices_from_schedule(schedule))


def problem_of(calendar: bytes | str, week_of: dt.date | None = None, **limits: int) -> str:
    with pytest.raises(CalendarImportError) as caught:
        import_timetable(calendar, BOGOTA, week_of, ImportLimits(**limits))
    return caught.value.problem.value


# --------------------------------------------------------------------------- exporters

# (fixture, week_of, expected Monday, expected busy (hour, day) pairs, expected ignored)
CASES = [
    pytest.param(
        ics.GOOGLE,
        None,
        dt.date(2025, 2, 3),
        # Cálculo Mon/Wed 7:00-8:30 -> 6:30 and 7:30; Física Tue/Thu 13:00-15:00 -> 12:30,
        # 13:30, 14:30. Every full week has these 10 slots (the exam week loses a Monday and
        # gains the 2-slot exam: 10 again): the earliest wins.
        {(0, 0), (1, 0), (0, 2), (1, 2), (6, 1), (7, 1), (8, 1), (6, 3), (7, 3), (8, 3)},
        [
            ("Almuerzo", FREE),
            ("Examen parcial", NOT_IN_WEEK),
            ("Semana de inducción", ALL_DAY),
            ("Taller de escritura", CANCELLED),
        ],
        id="google-busiest-week",
    ),
    pytest.param(
        ics.GOOGLE,
        dt.date(2025, 2, 19),
        dt.date(2025, 2, 17),
        # Thursday's Física moved to Friday 16:00-18:00 -> Fri 15:30, 16:30, 17:30.
        {(0, 0), (1, 0), (0, 2), (1, 2), (6, 1), (7, 1), (8, 1), (9, 4), (10, 4), (11, 4)},
        [
            ("Almuerzo", FREE),
            ("Examen parcial", NOT_IN_WEEK),
            ("Semana de inducción", NOT_IN_WEEK),
            ("Taller de escritura", NOT_IN_WEEK),
        ],
        id="google-recurrence-id",
    ),
    pytest.param(
        ics.GOOGLE,
        dt.date(2025, 3, 23),  # a Sunday: still the week of Monday 17 March
        dt.date(2025, 3, 17),
        # No Cálculo on Monday 17 (EXDATE); the exam Sat 9:00-10:00 -> 8:30 and 9:30.
        {(0, 2), (1, 2), (6, 1), (7, 1), (8, 1), (6, 3), (7, 3), (8, 3), (2, 5), (3, 5)},
        [
            ("Almuerzo", FREE),
            ("Semana de inducción", NOT_IN_WEEK),
            ("Taller de escritura", NOT_IN_WEEK),
        ],
        id="google-exdate",
    ),
    pytest.param(
        ics.OUTLOOK,
        None,
        dt.date(2025, 2, 3),
        # Programación Tue/Thu 8:30-10:00 -> 8:30, 9:30; Reunión Fri 15:00-16:00 New York =
        # 15:00-16:00 Bogota -> 14:30, 15:30.
        {(2, 1), (3, 1), (2, 3), (3, 3), (8, 4), (9, 4)},
        [("Tutoría", FREE)],
        id="outlook-windows-zones",
    ),
    pytest.param(
        ics.OUTLOOK,
        dt.date(2025, 3, 14),
        dt.date(2025, 3, 10),
        # New York is on daylight saving time: the Friday meeting is 14:00-15:00 in Bogota.
        {(2, 1), (3, 1), (2, 3), (3, 3), (7, 4), (8, 4)},
        [("Tutoría", FREE)],
        id="outlook-new-york-dst",
    ),
    pytest.param(
        ics.APPLE,
        None,
        dt.date(2025, 2, 3),
        # Química Mon 10:00-12:00 -> 9:30, 10:30, 11:30; Inglés (floating) Thu 18:00-19:30 ->
        # 17:30, 18:30. Gimnasio ends at 6:30 and Cine starts at 20:30: neither overlaps.
        {(3, 0), (4, 0), (5, 0), (11, 3), (12, 3)},
        [("Cine", OUTSIDE), ("Gimnasio", OUTSIDE)],
        id="apple-tzid-and-floating",
    ),
    pytest.param(
        ics.PORTAL,
        None,
        dt.date(2025, 2, 10),
        # The first week (from Wednesday) has 6 slots, the next two 6 + 2: the second week.
        # Estructuras Mon/Wed 9:30-11:20 -> 9:30, 10:30; Cálculo II Fri 14:30-16:20 -> 14:30,
        # 15:30.
        {(3, 0), (4, 0), (3, 2), (4, 2), (8, 4), (9, 4)},
        [],
        id="portal-every-occurrence-lf-folded",
    ),
    pytest.param(
        ics.PORTAL,
        dt.date(2025, 2, 7),
        dt.date(2025, 2, 3),
        {(3, 2), (4, 2), (8, 4), (9, 4)},
        [],
        id="portal-short-first-week",
    ),
    pytest.param(
        ics.MIDNIGHT,
        None,
        dt.date(2025, 2, 3),
        # Sat 19:00 -> Sun 7:00: Sat 18:30, 19:30 and Sun 6:30. Sun 20:00 -> Mon 7:00: Sun
        # 19:30 (and Monday 6:30 of the next week).
        {(12, 5), (13, 5), (0, 6), (13, 6)},
        [],
        id="midnight-both-days",
    ),
    pytest.param(
        ics.MIDNIGHT,
        dt.date(2025, 2, 10),
        dt.date(2025, 2, 10),
        {(0, 0)},
        [("Turno de biblioteca", NOT_IN_WEEK)],
        id="midnight-into-next-week",
    ),
    pytest.param(
        ics.MADRID,
        None,
        dt.date(2025, 3, 3),
        # 15:00-17:00 Madrid (UTC+1) = 9:00-11:00 Bogota -> 8:30, 9:30, 10:30.
        {(2, 0), (3, 0), (4, 0)},
        [],
        id="madrid-winter",
    ),
    pytest.param(
        ics.MADRID,
        dt.date(2025, 3, 31),
        dt.date(2025, 3, 31),
        # Summer time in Madrid (UTC+2): 8:00-10:00 Bogota -> 7:30, 8:30, 9:30.
        {(1, 0), (2, 0), (3, 0)},
        [],
        id="madrid-summer",
    ),
]


@pytest.mark.parametrize(("calendar", "week_of", "monday", "busy", "ignored"), CASES)
def test_exporter_files(
    calendar: str,
    week_of: dt.date | None,
    monday: dt.date,
    busy: set[tuple[int, int]],
    ignored: list[tuple[str, IgnoredReason]],
) -> None:
    result = import_timetable(calendar, BOGOTA, week_of)
    assert result.week_of == monday
    assert pairs(result.schedule) == busy
    assert result.schedule == schedule_from_indices(busy)
    assert list(result.ignored) == [IgnoredEvent(summary, reason) for summary, reason in ignored]


@pytest.mark.parametrize(
    "variant",
    [
        pytest.param(lambda text: text, id="crlf"),
        pytest.param(lambda text: text.replace("\r\n", "\n"), id="lf"),
        pytest.param(lambda text: "\ufeff" + text, id="bom-text"),
        pytest.param(lambda text: ("\ufeff" + text).encode(), id="bom-bytes"),
        pytest.param(lambda text: text.encode(), id="bytes"),
    ],
)
def test_line_ends_bom_and_bytes_give_the_same_schedule(variant) -> None:
    busy = {(0, 0), (1, 0), (0, 2), (1, 2), (6, 1), (7, 1), (8, 1), (6, 3), (7, 3), (8, 3)}
    result = import_timetable(variant(ics.GOOGLE), BOGOTA)
    assert pairs(result.schedule) == busy


def test_folded_summaries_are_unfolded() -> None:
    # Move the last Cálculo II meeting out of its week: the week lists it, unfolded, as absent.
    moved = ics.PORTAL.replace("20250221T19", "20250301T19").replace("20250221T21", "20250301T21")
    result = import_timetable(moved, BOGOTA, dt.date(2025, 2, 17))
    assert result.ignored == (IgnoredEvent(ics.PORTAL_SUMMARY_C2, NOT_IN_WEEK),)
    assert pairs(result.schedule) == {(3, 0), (4, 0), (3, 2), (4, 2)}


def test_the_campus_zone_decides_the_hours() -> None:
    # The Madrid timetable seen from a campus in Madrid: 15:00-17:00 -> 14:30, 15:30, 16:30.
    result = import_timetable(ics.MADRID, MADRID, dt.date(2025, 3, 31))
    assert pairs(result.schedule) == {(8, 0), (9, 0), (10, 0)}


def test_floating_times_are_campus_time() -> None:
    calendar = ics.single_event("DTSTART:20250203T070000", "DTEND:20250203T083000")
    for zone in (BOGOTA, MADRID, ZoneInfo("Asia/Tokyo")):
        assert pairs(import_timetable(calendar, zone).schedule) == {(0, 0), (1, 0)}


# --------------------------------------------------------------------------- mapping rules


@pytest.mark.parametrize(
    ("start", "end", "busy"),
    [
        ("070000", "083000", {0, 1}),  # the example: 7:00-8:30 marks 6:30 and 7:30
        ("063000", "073000", {0}),
        ("063000", "073001", {0, 1}),  # one second into 7:30 is an overlap
        ("060000", "063001", {0}),
        ("193000", "203000", {13}),
        ("200000", "230000", {13}),
        ("083000", "123000", {2, 3, 4, 5}),
        ("000000", "235959", set(range(14))),
    ],
)
def test_overlap_marks_every_touched_slot(start: str, end: str, busy: set[int]) -> None:
    calendar = ics.single_event(f"DTSTART:20250205T{start}", f"DTEND:20250205T{end}")
    result = import_timetable(calendar, BOGOTA)
    assert pairs(result.schedule) == {(hour, 2) for hour in busy}


@pytest.mark.parametrize(
    ("start", "end"),
    [("050000", "063000"), ("203000", "235900"), ("000000", "050000")],
)
def test_outside_the_grid_is_ignored_and_alone_is_no_classes(start: str, end: str) -> None:
    calendar = ics.single_event(f"DTSTART:20250205T{start}", f"DTEND:20250205T{end}")
    assert problem_of(calendar) == "no_classes"
    with_class = calendar.replace(
        "END:VCALENDAR",
        "BEGIN:VEVENT\r\nUID:x\r\nDTSTART:20250205T100000\r\nDTEND:20250205T110000\r\n"
        "SUMMARY:Otra\r\nEND:VEVENT\r\nEND:VCALENDAR",
    )
    result = import_timetable(with_class, BOGOTA)
    assert result.ignored == (IgnoredEvent("Clase", OUTSIDE),)
    assert pairs(result.schedule) == {(3, 2), (4, 2)}


def test_zero_length_and_missing_end() -> None:
    at_ten = ics.single_event("DTSTART:20250205T100000", summary="Recordatorio")
    other = (
        "BEGIN:VEVENT\r\nUID:y\r\nDTSTART:20250205T070000\r\nDTEND:20250205T080000\r\n"
        "SUMMARY:Clase\r\nEND:VEVENT\r\nEND:VCALENDAR"
    )
    result = import_timetable(at_ten.replace("END:VCALENDAR", other), BOGOTA)
    assert result.ignored == (IgnoredEvent("Recordatorio", IgnoredReason.NO_DURATION),)
    assert pairs(result.schedule) == {(0, 2), (1, 2)}


def test_duration_instead_of_dtend() -> None:
    calendar = ics.single_event("DTSTART:20250205T100000", "DURATION:PT1H30M")
    assert pairs(import_timetable(calendar, BOGOTA).schedule) == {(3, 2), (4, 2)}


def test_multi_day_timed_event_marks_every_day() -> None:
    calendar = ics.single_event("DTSTART:20250205T180000", "DTEND:20250207T080000")
    busy = {(11, 2), (12, 2), (13, 2), *((hour, 3) for hour in range(14)), (0, 4), (1, 4)}
    assert pairs(import_timetable(calendar, BOGOTA).schedule) == busy


def test_once_per_summary_and_reason() -> None:
    # Two weekly cancelled sessions and a free one under one summary: listed once each.
    calendar = ics.ics(
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:x",
        *(
            line
            for index, (day, status, transp) in enumerate(
                [
                    ("03", "CANCELLED", "OPAQUE"),
                    ("04", "CANCELLED", "OPAQUE"),
                    ("05", "CONFIRMED", "TRANSPARENT"),
                    ("06", "CONFIRMED", "OPAQUE"),
                ]
            )
            for line in (
                "BEGIN:VEVENT",
                f"UID:{index}",
                f"DTSTART:202502{day}T100000",
                f"DTEND:202502{day}T110000",
                f"STATUS:{status}",
                f"TRANSP:{transp}",
                "SUMMARY:Álgebra",
                "END:VEVENT",
            )
        ),
        "END:VCALENDAR",
    )
    result = import_timetable(calendar, BOGOTA)
    assert pairs(result.schedule) == {(3, 3), (4, 3)}
    assert result.ignored == (IgnoredEvent("Álgebra", CANCELLED), IgnoredEvent("Álgebra", FREE))


def test_week_of_without_classes_and_calendar_without_timed_events() -> None:
    assert problem_of(ics.GOOGLE, dt.date(2025, 6, 2)) == "no_classes"
    assert problem_of(ics.GOOGLE, dt.date(2024, 6, 3)) == "no_classes"
    all_day = ics.single_event("DTSTART;VALUE=DATE:20250203", "DTEND;VALUE=DATE:20250204")
    assert problem_of(all_day) == "no_classes"


def test_tie_goes_to_the_earliest_week() -> None:
    # Same slots in three weeks, more in none: the first week.
    calendar = ics.single_event(
        "DTSTART:20250212T100000", "DTEND:20250212T110000", "RRULE:FREQ=WEEKLY;COUNT=3"
    )
    assert import_timetable(calendar, BOGOTA).week_of == dt.date(2025, 2, 10)


def test_unbounded_rule_is_examined_around_the_latest_event() -> None:
    # Weekly since 2015 without end, plus one class in 2025: the week of the latest start is
    # examined, with the rule's occurrences in it.
    calendar = ics.ics(
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:x",
        "BEGIN:VEVENT",
        "UID:old",
        "DTSTART:20150105T070000",
        "DTEND:20150105T080000",
        "RRULE:FREQ=WEEKLY",
        "SUMMARY:Desde 2015",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:new",
        "DTSTART:20250205T100000",
        "DTEND:20250205T110000",
        "SUMMARY:Nueva",
        "END:VEVENT",
        "END:VCALENDAR",
    )
    result = import_timetable(calendar, BOGOTA)
    assert result.week_of == dt.date(2025, 2, 3)
    assert pairs(result.schedule) == {(0, 0), (1, 0), (3, 2), (4, 2)}
    # Walked from 2015 to the end of the examined weeks, one start a week, and charged.
    weeks_walked = (dt.date(2025, 2, 3) + 53 * ti._WEEK - dt.date(2015, 1, 5)).days // 7
    assert weeks_walked <= result.occurrences_examined <= weeks_walked + 3


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("calendar", "problem"),
    [
        (b"\xff\xfeB\x00E\x00G\x00", "not_utf8"),
        ("BEGIN:VCALENDAR".encode("utf-16"), "not_utf8"),
        (b"BEGIN:VCALENDAR\r\nSUMMARY:caf\xe9\r\n", "not_utf8"),
        ("", "not_icalendar"),
        ("hola", "not_icalendar"),
        ('{"list_of_indices": [[0, 1]]}', "not_icalendar"),
        ("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ana\r\nEND:VCARD\r\n", "not_icalendar"),
        ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n", "not_icalendar"),  # never ends
        ("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VCALENDAR\r\n", "not_icalendar"),
        ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n", "no_events"),
        (
            "BEGIN:VCALENDAR\r\nBEGIN:VTODO\r\nUID:1\r\nSUMMARY:Tarea\r\nEND:VTODO\r\n"
            "END:VCALENDAR\r\n",
            "no_events",
        ),
        (ics.single_event("DTSTART:20250230T100000"), "invalid_event"),
        (ics.single_event("DTSTART:mañana"), "invalid_event"),
        (ics.single_event("DTEND:20250205T100000"), "invalid_event"),  # no DTSTART
        (ics.single_event("DTSTART:20250205T100000", "DTEND:20250205T090000"), "invalid_event"),
        (
            ics.single_event("DTSTART:20250205T100000", "RRULE:FREQ=WEEKLY;BYDAY=XX"),
            "invalid_event",
        ),
        (ics.single_event("DTSTART:20250205T100000", "RRULE:basura"), "invalid_event"),
        (ics.single_event("DTSTART:20250205T100000", "RRULE:FREQ=WEEKLY;COUNT=x"), "invalid_event"),
        (ics.single_event("DTSTART:20250205T100000", "RRULE:FREQ=FORTNIGHTLY"), "invalid_event"),
        (
            ics.single_event("DTSTART:20250205T100000", "RRULE:FREQ=DAILY;INTERVAL=0"),
            "invalid_event",
        ),
        (ics.single_event("DTSTART:20250205T100000", "RRULE:FREQ=SECONDLY"), "unsupported_rule"),
        (
            ics.single_event("DTSTART:20250205T100000", "RRULE:FREQ=MINUTELY;COUNT=3"),
            "unsupported_rule",
        ),
        (
            ics.single_event("DTSTART:20250205T100000", "RRULE:FREQ=HOURLY;COUNT=3"),
            "unsupported_rule",
        ),
        (
            ics.single_event(
                "DTSTART:20250205T100000",
                "RRULE:FREQ=DAILY;BYHOUR=1,2,3,4,5;BYMINUTE=1,2,3,4,5",
            ),
            "unsupported_rule",
        ),
        (
            ics.single_event(
                "DTSTART:20250205T100000",
                "RRULE:FREQ=YEARLY;BYYEARDAY=" + ",".join(map(str, range(1, 40))),
            ),
            "unsupported_rule",
        ),
    ],
)
def test_refused_files(calendar: bytes | str, problem: str) -> None:
    assert problem_of(calendar) == problem


def test_invalid_event_names_the_event() -> None:
    calendar = ics.single_event("DTSTART:20250230T100000", summary="Física II")
    with pytest.raises(CalendarImportError) as caught:
        import_timetable(calendar, BOGOTA)
    assert caught.value.summary == "Física II"


# --------------------------------------------------------------------------- hostile files


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",
        "FREQ=WEEKLY;BYMONTH=4;BYMONTHDAY=31",
        "FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=31",
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30;UNTIL=20260101T000000Z",
        "FREQ=YEARLY;BYWEEKNO=1;BYMONTH=6",
    ],
)
def test_rules_that_never_match_are_refused_not_walked_to_9999(rule: str) -> None:
    calendar = ics.single_event(
        "DTSTART:20250205T100000", "DTEND:20250205T110000", f"RRULE:{rule}", summary="Nunca"
    )
    with pytest.raises(CalendarImportError) as caught:
        import_timetable(calendar, BOGOTA)
    assert caught.value.problem is CalendarProblem.UNSUPPORTED_RULE
    assert caught.value.summary == "Nunca"


@pytest.mark.parametrize(
    ("rule", "week_of", "busy"),
    [
        # 10:00-11:00 marks 9:30 and 10:30.
        ("FREQ=DAILY;COUNT=1000000000", None, {(h, day) for h in (3, 4) for day in range(7)}),
        ("FREQ=DAILY", dt.date(2025, 3, 5), {(h, day) for h in (3, 4) for day in range(7)}),
        ("FREQ=WEEKLY;BYDAY=MO,WE", dt.date(2026, 9, 9), {(3, 0), (4, 0), (3, 2), (4, 2)}),
        # Sparse but real: 29 February on a Monday, next in 2044 (from 2025: 19 years of days).
        ("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO", dt.date(2044, 2, 29), {(3, 0), (4, 0)}),
    ],
)
def test_endless_rules_answer_with_a_bounded_walk(
    rule: str, week_of: dt.date | None, busy: set[tuple[int, int]]
) -> None:
    calendar = ics.single_event("DTSTART:20250205T100000", "DTEND:20250205T110000", f"RRULE:{rule}")
    result = import_timetable(calendar, BOGOTA, week_of)
    assert pairs(result.schedule) == busy
    # At most one start a day from 5 Feb 2025 to the end of the examined weeks, plus the first
    # start past them and DTSTART again (the library keeps it in the rule's RDATE set).
    last_day = result.week_of + 7 * ti._DAY if week_of else result.week_of + 53 * ti._WEEK
    assert result.occurrences_examined <= (last_day - dt.date(2025, 2, 5)).days + 2


@pytest.mark.parametrize(
    ("properties", "week_of"),
    [
        # Daily since 1900, examined around a class of 2025: walked from 1900.
        (("DTSTART:19000101T100000", "DTEND:19000101T110000", "RRULE:FREQ=DAILY"), None),
        (
            ("DTSTART:20250205T100000", "DTEND:20250205T110000", "RRULE:FREQ=DAILY"),
            dt.date(2045, 1, 2),
        ),
        # 50 events of 3000 days each: every day of the examined weeks, 50 times.
        (
            ("DTSTART:20250205T100000", "DURATION:P3000D", "RRULE:FREQ=DAILY;COUNT=50"),
            None,
        ),
    ],
)
def test_too_many_occurrences(properties: tuple[str, ...], week_of: dt.date | None) -> None:
    calendar = ics.single_event(*properties).replace(
        "END:VCALENDAR",
        "BEGIN:VEVENT\r\nUID:c\r\nDTSTART:20250205T070000\r\nDTEND:20250205T080000\r\n"
        "SUMMARY:2025\r\nEND:VEVENT\r\nEND:VCALENDAR",
    )
    assert problem_of(calendar, week_of) == "too_many_occurrences"


def test_a_twenty_year_event_is_walked_only_through_the_examined_weeks() -> None:
    calendar = ics.single_event("DTSTART:20250205T100000", "DTEND:20450205T110000")
    result = import_timetable(calendar, BOGOTA)
    assert result.week_of == dt.date(2025, 2, 10)  # the first full week
    assert result.schedule == "1" * SLOT_COUNT
    # One unit for the occurrence and one per further day, up to the last examined day.
    assert result.occurrences_examined == (dt.date(2025, 2, 3) + 53 * ti._WEEK).toordinal() - (
        dt.date(2025, 2, 5).toordinal()
    )


def test_the_limit_is_a_setting() -> None:
    assert problem_of(ics.GOOGLE, max_occurrences=20) == "too_many_occurrences"
    spent = import_timetable(ics.GOOGLE, BOGOTA).occurrences_examined
    assert problem_of(ics.GOOGLE, max_occurrences=spent - 1) == "too_many_occurrences"
    assert import_timetable(ics.GOOGLE, BOGOTA, None, ImportLimits(spent)).occurrences_examined


def test_many_events() -> None:
    def calendar(count: int) -> str:
        events = (
            f"BEGIN:VEVENT\r\nUID:{i}\r\nDTSTART:20250203T{7 + i % 12:02d}0000\r\n"
            f"DURATION:PT1H\r\nSUMMARY:E{i % 7}\r\nEND:VEVENT\r\n"
            for i in range(count)
        )
        return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n" + "".join(events) + "END:VCALENDAR\r\n"

    # About as many as fit in ICS_MAX_FILE_BYTES (262144 bytes).
    many = calendar(2500)
    assert len(many.encode()) < 262144
    assert import_timetable(many, BOGOTA).occurrences_examined == 2500
    assert problem_of(many, max_occurrences=2499) == "too_many_occurrences"


def test_deep_nesting_and_huge_lines() -> None:
    depth = 20000
    nested = (
        "BEGIN:VCALENDAR\r\n"
        + "BEGIN:X-A\r\n" * depth
        + "END:X-A\r\n" * depth
        + "END:VCALENDAR\r\n"
    )
    assert problem_of(nested) in {"not_icalendar", "no_events"}
    huge = ics.single_event(
        "DTSTART:20250205T100000", "DTEND:20250205T110000", "DESCRIPTION:" + "x" * 250_000
    )
    assert pairs(import_timetable(huge, BOGOTA).schedule) == {(3, 2), (4, 2)}
    huge_parameters = ics.single_event(
        "DTSTART;" + ";".join(f"X-P{i}=v" for i in range(20000)) + ":20250205T100000",
        "DTEND:20250205T110000",
    )
    try:
        assert pairs(import_timetable(huge_parameters, BOGOTA).schedule) == {(3, 2), (4, 2)}
    except CalendarImportError:
        pass  # refusing it is as good an answer


# --------------------------------------------------------------------------- fuzzing

_VALID = [ics.GOOGLE, ics.OUTLOOK, ics.APPLE, ics.PORTAL, ics.MIDNIGHT, ics.MADRID]


def _only_a_result_or_the_domain_error(calendar: bytes | str) -> None:
    try:
        result = import_timetable(calendar, BOGOTA)
    except CalendarImportError:
        return
    assert len(result.schedule) == SLOT_COUNT and "1" in result.schedule
    assert result.week_of.weekday() == 0


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_fuzz_random_bytes(data: bytes) -> None:
    _only_a_result_or_the_domain_error(data)
    _only_a_result_or_the_domain_error(b"BEGIN:VCALENDAR\r\n" + data)


_MUTATION_TEXT = st.text(
    alphabet=st.sampled_from(list(':;=,-TZ0123456789 \r\nBEGINDVCAL/"\\xé')), max_size=20
)


@st.composite
def mutated_calendars(draw: st.DrawFn) -> str:
    lines = draw(st.sampled_from(_VALID)).splitlines()
    for _ in range(draw(st.integers(1, 6))):
        position = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["delete", "duplicate", "replace", "insert", "truncate"]))
        if action == "delete":
            del lines[position]
        elif action == "duplicate":
            lines.insert(position, lines[position])
        elif action == "insert":
            lines.insert(position, draw(_MUTATION_TEXT))
        elif action == "truncate":
            lines[position] = lines[position][: draw(st.integers(0, len(lines[position])))]
        else:
            line = lines[position]
            cut = draw(st.integers(0, len(line)))
            lines[position] = line[:cut] + draw(_MUTATION_TEXT) + line[cut + 1 :]
        if not lines:
            break
    return "\r\n".join(lines)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_calendars())
def test_fuzz_mutated_exporter_files(calendar: str) -> None:
    _only_a_result_or_the_domain_error(calendar)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    freq=st.sampled_from(["DAILY", "WEEKLY", "MONTHLY", "YEARLY", "HOURLY", "SECONDLY", "X"]),
    parts=st.lists(
        st.sampled_from(
            [
                "BYMONTH=2",
                "BYMONTH=13",
                "BYMONTHDAY=30",
                "BYMONTHDAY=-1",
                "BYDAY=MO,WE",
                "BYDAY=2TU",
                "BYDAY=-1FR",
                "BYSETPOS=2",
                "BYSETPOS=-1",
                "BYYEARDAY=366",
                "BYWEEKNO=53",
                "BYWEEKNO=1",
                "BYHOUR=8",
                "BYMINUTE=30",
                "INTERVAL=2",
                "INTERVAL=1000",
                "COUNT=1000000000",
                "COUNT=0",
                "UNTIL=20250601T000000Z",
                "UNTIL=20240101",
                "WKST=SU",
            ]
        ),
        max_size=4,
        unique=True,
    ),
    week_of=st.none() | st.dates(dt.date(1990, 1, 1), dt.date(2100, 1, 1)),
)
def test_fuzz_rules(freq: str, parts: list[str], week_of: dt.date | None) -> None:
    rule = ";".join([f"FREQ={freq}", *parts])
    calendar = ics.single_event("DTSTART:20250205T100000", "DTEND:20250205T110000", f"RRULE:{rule}")
    try:
        result = import_timetable(calendar, BOGOTA, week_of)
    except CalendarImportError:
        return
    assert result.occurrences_examined <= ti.DEFAULT_MAX_OCCURRENCES


# --------------------------------------------------------------------------- day masks


@settings(max_examples=300)
@given(start=st.integers(0, 24 * 60 - 1), length=st.integers(1, 24 * 60))
def test_day_mask_against_minute_by_minute(start: int, length: int) -> None:
    end = min(start + length, 24 * 60)
    mask = ti._day_mask(dt.timedelta(minutes=start), dt.timedelta(minutes=end))
    expected = 0
    for hour in range(14):
        slot_start = 6 * 60 + 30 + 60 * hour
        # Brute force: some minute of the event lies inside the slot.
        if any(slot_start <= minute < slot_start + 60 for minute in range(start, end)):
            expected |= 1 << (hour * 7)
    assert mask == expected


# --------------------------------------------------------------------------- fences


def _library_occurrences(calendar: str, start: dt.datetime, stop: dt.datetime) -> set[tuple]:
    """recurring-ical-events' own answer, through its public API."""
    import icalendar
    import recurring_ical_events

    parsed = icalendar.Calendar.from_ical(calendar)
    return {
        (
            ti._summary(component),
            component["DTSTART"].dt,
            component["DTEND"].dt if "DTEND" in component else component["DTSTART"].dt,
            str(component.get("STATUS", "")).upper(),
            str(component.get("TRANSP", "")).upper(),
        )
        for component in recurring_ical_events.of(parsed).between(start, stop)
    }


@pytest.mark.parametrize("calendar", _VALID)
def test_fence_expansion_equals_the_library_own(calendar: str) -> None:
    # The bounded series (lazy, charged rule walks; SteppedRule) and PlainOccurrence replace
    # parts of recurring-ical-events: on every fixture they must give what the library gives.
    import icalendar

    first_week, weeks = dt.date(2025, 1, 6), 30
    start = dt.datetime.combine(first_week, dt.time(), tzinfo=BOGOTA)
    stop = start + weeks * ti._WEEK
    budget = ti._Budget(10**6)
    ours = ti._expand(icalendar.Calendar.from_ical(calendar), BOGOTA, first_week, weeks, budget)
    assert {tuple(item) for item in ours} == _library_occurrences(calendar, start, stop)
    assert len(ours) == len({tuple(item) for item in ours})


# Rules whose filters match at least every few years: dateutil itself walks a rule that never
# matches to year 9999, so the reference could not be computed for those (see the next test).
_DATEUTIL_RULES = st.builds(
    lambda freq, interval, day_filter, extras: ";".join(
        [f"FREQ={freq}", f"INTERVAL={interval}", *day_filter, *extras]
    ),
    st.sampled_from(["DAILY", "WEEKLY", "MONTHLY", "YEARLY"]),
    st.integers(1, 3),
    st.sampled_from(
        [
            (),
            ("BYMONTHDAY=1,15",),
            ("BYMONTHDAY=-1",),
            ("BYMONTH=2,8",),
            ("BYYEARDAY=100",),
            ("BYWEEKNO=10",),
            ("BYDAY=1MO",),
            ("BYDAY=-1SU",),
            ("BYDAY=MO,TU,WE,TH,FR", "BYSETPOS=-1"),
        ]
    ),
    st.lists(st.sampled_from(["BYDAY=MO,WE,FR", "WKST=SU", "COUNT=15"]), max_size=2, unique=True),
)


@settings(max_examples=100, deadline=None)
@given(rule=_DATEUTIL_RULES, start=st.datetimes(dt.datetime(2000, 1, 1), dt.datetime(2030, 1, 1)))
def test_fence_stepped_rule_equals_dateutil(rule: str, start: dt.datetime) -> None:
    from dateutil.rrule import rrulestr

    theirs = rrulestr(rule, dtstart=start)
    theirs.string, theirs.until = rule, None
    expected = list(itertools.islice(theirs, 20))
    ours = ti._library().stepped(theirs)  # type: ignore[attr-defined]
    try:
        got = list(itertools.islice(ours, 20))
    except ti._RuleNeverMatches:
        # Stopped: only right for a rule that never matches (MONTHLY;INTERVAL=2;BYMONTH=2,8
        # from January), which dateutil walked to year 9999 to find nothing.
        assert expected == [], f"{rule} from {start} was stopped, yet dateutil finds some"
        return
    assert got == expected


def test_fence_dateutil_still_reads_the_step_hook() -> None:
    """SteppedRule counts dateutil's steps through its _byeaster property; if a dateutil
    release stopped reading it, a rule that never matches would again run to year 9999. A
    rule that steps a year before its first match must read it about once a month."""
    from dateutil.rrule import rrulestr

    rule = rrulestr("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=1", dtstart=dt.datetime(2025, 2, 2))
    rule.string, rule.until = "", None
    stepped = ti._library().stepped(rule)  # type: ignore[attr-defined]
    iterator = iter(stepped)
    assert next(iterator) == dt.datetime(2026, 2, 1)
    reads = stepped.__dict__["_steps_without_occurrence"]
    assert reads == 0  # reset by the occurrence
    never = ti._library().stepped(  # type: ignore[attr-defined]
        _with_string(
            rrulestr("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", dtstart=dt.datetime(2025, 1, 1))
        )
    )
    with pytest.raises(ti._RuleNeverMatches):
        next(iter(never))
    assert never.__dict__["_steps_without_occurrence"] == ti.MAX_STEPS_WITHOUT_OCCURRENCE + 1


def _with_string(rule):
    rule.string, rule.until = "", None
    return rule
