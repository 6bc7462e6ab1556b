"""A meeting block as a weekly recurring event: the dates, and the iCalendar file for it.

Timetable hours are campus wall-clock hours, so the event is written in the campus zone
(DTSTART;TZID=...) with that zone's VTIMEZONE: a calendar app in another zone, or the campus
itself after a daylight-saving change, keeps the meeting at the same local hour every week.
RFC 5545 wants the recurrence's UNTIL in UTC when DTSTART has a TZID; it is the last second
of the `until` day on campus, so a meeting on that day is still included.

The file is written by the icalendar library (escaping, line folding, the VTIMEZONE rules):
Google Calendar, Outlook and Apple Calendar import what it writes. It is imported inside the
functions that need it, so only a worker that serves a calendar ever loads it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from enum import Enum
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from gapfind.core.grid import DAYS_PER_WEEK, HOURS_PER_DAY, slot_start_minute
from gapfind.core.problems import DomainError

if TYPE_CHECKING:
    from icalendar import Calendar, Event, Timezone

DEFAULT_TITLE = "GapFind"
TITLE_MAX_LENGTH = 100
DEFAULT_WEEKS = 16
MAX_SPAN_DAYS = 366
# Dates a calendar may cover. The bounds keep every derived date computable (the UNTIL moment
# in UTC, the VTIMEZONE's years, from + 16 weeks) far from datetime's year 9999.
FIRST_DATE = date(1970, 1, 1)
LAST_DATE = date(2999, 12, 31)
PRODUCT_ID = "-//GapFind//Bloques de reunion//ES"
UID_DOMAIN = "gapfind"
_LAST_SECOND = time(23, 59, 59)
# Line breaks are part of a title (icalendar writes them as \n) and a tab is allowed TEXT;
# any other control character (Unicode category Cc, a fixed set) is not allowed in an iCalendar
# TEXT value (RFC 5545 3.3.11), and a lone surrogate cannot be written as UTF-8.
_REFUSED_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


class TitleProblem(Enum):
    """Why a title was refused; codes, the HTTP layer owns the words."""

    LENGTH = "length"
    CONTROL_CHARACTER = "control_character"


def title_problem(title: str) -> TitleProblem | None:
    """LENGTH unless 1..TITLE_MAX_LENGTH characters, then CONTROL_CHARACTER, else None."""
    if not 1 <= len(title) <= TITLE_MAX_LENGTH:
        return TitleProblem.LENGTH
    if _REFUSED_CHARACTER.search(title):
        return TitleProblem.CONTROL_CHARACTER
    return None


class MeetingProblem(Enum):
    """Why parameters that are each valid do not make a meeting; codes, not words (the HTTP
    layer owns the Spanish and the parameter each is reported under)."""

    ENDS_AFTER_DAY = "ends_after_day"
    FROM_OUT_OF_RANGE = "from_out_of_range"
    UNTIL_OUT_OF_RANGE = "until_out_of_range"
    UNTIL_BEFORE_FROM = "until_before_from"
    SPAN_TOO_LONG = "span_too_long"
    NO_OCCURRENCE = "no_occurrence"


class InvalidMeeting(DomainError[MeetingProblem]):
    """Parameters that are each valid but make no meeting."""


@dataclass(frozen=True, slots=True)
class WeeklyMeeting:
    """A block of `duration` slots from `start_hour_index` on day `day_index`, every week
    from `first_day` to `last_day` (both included). Build it with plan_meeting."""

    day_index: int
    start_hour_index: int
    duration: int
    title: str
    first_day: date
    last_day: date

    def __post_init__(self) -> None:
        # The per-parameter rules are the HTTP schema's (with their messages); here they only
        # guard callers that bypass it, so a bad value can never reach the date arithmetic.
        if not 0 <= self.day_index < DAYS_PER_WEEK:
            raise ValueError(f"day_index must be 0..{DAYS_PER_WEEK - 1}")
        if not 0 <= self.start_hour_index < HOURS_PER_DAY:
            raise ValueError(f"start_hour_index must be 0..{HOURS_PER_DAY - 1}")
        if not 1 <= self.duration <= HOURS_PER_DAY:
            raise ValueError(f"duration must be 1..{HOURS_PER_DAY}")
        if title_problem(self.title) is not None:
            raise ValueError(f"title must be 1..{TITLE_MAX_LENGTH} characters, no controls")
        problem = meeting_problem(
            self.day_index, self.start_hour_index, self.duration, self.first_day, self.last_day
        )
        if problem is not None:
            raise InvalidMeeting(problem)


def first_occurrence(first_day: date, day_index: int) -> date:
    """The first date on or after `first_day` that falls on `day_index` (0 = Monday)."""
    return first_day + timedelta(days=(day_index - first_day.weekday()) % DAYS_PER_WEEK)


def meeting_problem(
    day_index: int, start_hour_index: int, duration: int, first_day: date, last_day: date
) -> MeetingProblem | None:
    """The first reason these parameters make no meeting, or None. Checked in this order:
    the block must end by the end of the day (8:30 PM); both dates within FIRST_DATE..
    LAST_DATE (a default until, from + 16 weeks, can pass it); until on or after from; at most
    MAX_SPAN_DAYS after it; and at least one `day_index` day in between, since RFC 5545
    counts DTSTART as an occurrence even when it falls after UNTIL."""
    if start_hour_index + duration > HOURS_PER_DAY:
        return MeetingProblem.ENDS_AFTER_DAY
    if not FIRST_DATE <= first_day <= LAST_DATE:
        return MeetingProblem.FROM_OUT_OF_RANGE
    if not FIRST_DATE <= last_day <= LAST_DATE:
        return MeetingProblem.UNTIL_OUT_OF_RANGE
    if last_day < first_day:
        return MeetingProblem.UNTIL_BEFORE_FROM
    if (last_day - first_day).days > MAX_SPAN_DAYS:
        return MeetingProblem.SPAN_TOO_LONG
    if first_occurrence(first_day, day_index) > last_day:
        return MeetingProblem.NO_OCCURRENCE
    return None


def plan_meeting(
    day_index: int,
    start_hour_index: int,
    *,
    today: date,
    duration: int = 1,
    title: str = DEFAULT_TITLE,
    first_day: date | None = None,
    last_day: date | None = None,
) -> WeeklyMeeting:
    """The meeting with the defaults filled in: from today (the caller's campus date: the
    core reads no clock) until DEFAULT_WEEKS weeks after from. Raises InvalidMeeting."""
    first = today if first_day is None else first_day
    last = first + timedelta(weeks=DEFAULT_WEEKS) if last_day is None else last_day
    return WeeklyMeeting(day_index, start_hour_index, duration, title, first, last)


def _local(day: date, hour_index: int, zone: ZoneInfo) -> datetime:
    hour, minute = divmod(slot_start_minute(hour_index), 60)
    return datetime.combine(day, time(hour, minute), tzinfo=zone)


def first_start(meeting: WeeklyMeeting, zone: ZoneInfo) -> datetime:
    """DTSTART: the first occurrence's date at the start of the block's first slot."""
    day = first_occurrence(meeting.first_day, meeting.day_index)
    return _local(day, meeting.start_hour_index, zone)


def first_end(meeting: WeeklyMeeting, zone: ZoneInfo) -> datetime:
    """DTEND: `duration` hours after DTSTART on the campus clock, the start of the slot after
    the block (8:30 PM after the last one)."""
    day = first_occurrence(meeting.first_day, meeting.day_index)
    return _local(day, meeting.start_hour_index + meeting.duration, zone)


def until_utc(meeting: WeeklyMeeting, zone: ZoneInfo) -> datetime:
    """RRULE's UNTIL: the last second of the `until` day on campus, in UTC."""
    local = datetime.combine(meeting.last_day, _LAST_SECOND, tzinfo=zone)
    return local.astimezone(timezone.utc)


def meeting_uid(meeting: WeeklyMeeting, zone: ZoneInfo) -> str:
    """A UID that is the same every time the same meeting is asked for, so importing the file
    twice updates the event instead of duplicating it."""
    parts = (
        zone.key,
        meeting.day_index,
        meeting.start_hour_index,
        meeting.duration,
        meeting.title,
        meeting.first_day.isoformat(),
        meeting.last_day.isoformat(),
    )
    digest = hashlib.sha256("\n".join(map(str, parts)).encode("utf-8")).hexdigest()[:32]
    return f"{digest}@{UID_DOMAIN}"


@lru_cache(maxsize=32)
def campus_vtimezone(zone: ZoneInfo, first_year: int, last_year: int) -> Timezone:
    """The zone's VTIMEZONE for the years first_year..last_year, built once per process.

    icalendar derives it by searching the zone's offsets (~10 ms for a zone without
    daylight saving, tens of times a whole calendar request), and it is the same for every
    calendar of those years; the cached component is only ever read (serialised), never
    changed, so every calendar can share it. tests/core/test_meeting_calendar.py compares it
    with a freshly built one.
    """
    from icalendar import Timezone

    first, last = date(first_year, 1, 1), date(last_year + 1, 1, 1)
    return Timezone.from_tzinfo(zone, zone.key, first_date=first, last_date=last)


def calendar_frame() -> Calendar:
    """The VCALENDAR with its own properties and no component yet."""
    from icalendar import Calendar

    calendar = Calendar()
    calendar.add("PRODID", PRODUCT_ID)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("METHOD", "PUBLISH")
    return calendar


def meeting_event(meeting: WeeklyMeeting, zone: ZoneInfo, stamp: datetime) -> Event:
    """The weekly VEVENT. `stamp` is DTSTAMP (when the file was written; the core reads no
    clock)."""
    from icalendar import Event

    event = Event()
    event.add("UID", meeting_uid(meeting, zone))
    event.add("DTSTAMP", stamp.astimezone(timezone.utc))
    event.add("DTSTART", first_start(meeting, zone))
    event.add("DTEND", first_end(meeting, zone))
    event.add("RRULE", {"FREQ": "WEEKLY", "UNTIL": until_utc(meeting, zone)})
    event.add("SUMMARY", meeting.title)  # icalendar escapes , ; \ and line breaks
    return event


def vtimezone_years(meeting: WeeklyMeeting, zone: ZoneInfo) -> tuple[int, int]:
    """The years the VTIMEZONE must cover: from the first occurrence to the until day."""
    return first_start(meeting, zone).year, meeting.last_day.year


_CALENDAR_END = b"END:VCALENDAR\r\n"


@lru_cache(maxsize=32)
def _calendar_head(zone: ZoneInfo, first_year: int, last_year: int) -> bytes:
    """What icalendar writes for the frame and the VTIMEZONE, up to where the event goes."""
    calendar = calendar_frame()
    calendar.add_component(campus_vtimezone(zone, first_year, last_year))
    written: bytes = calendar.to_ical()
    if not written.endswith(_CALENDAR_END):  # pragma: no cover - a different icalendar
        raise RuntimeError("icalendar no longer ends a calendar with END:VCALENDAR")
    return written[: -len(_CALENDAR_END)]


# The DTSTAMP an event is first written with, replaced by the real one (see calendar_document).
_PLACEHOLDER_STAMP = datetime(2000, 1, 1, tzinfo=timezone.utc)
_STAMP_LINE = b"\r\nDTSTAMP:"


def _stamp_value(stamp: datetime) -> bytes:
    """DTSTAMP's value exactly as icalendar writes it (UTC, whole seconds)."""
    from icalendar import vDatetime

    utc = stamp.astimezone(timezone.utc)
    value: bytes = vDatetime(utc).to_ical()  # type: ignore[no-untyped-call]  # unannotated in 7.3
    return value


@lru_cache(maxsize=256)
def _event_around_stamp(meeting: WeeklyMeeting, zone: ZoneInfo) -> tuple[bytes, bytes]:
    """What icalendar writes for the meeting's event, before and after DTSTAMP's value."""
    written: bytes = meeting_event(meeting, zone, _PLACEHOLDER_STAMP).to_ical()
    placeholder = _STAMP_LINE + _stamp_value(_PLACEHOLDER_STAMP) + b"\r\n"
    before, found, after = written.partition(placeholder)
    if not found:  # pragma: no cover - a different icalendar
        raise RuntimeError("icalendar no longer writes DTSTAMP on a line of its own")
    return before + _STAMP_LINE, b"\r\n" + after


def calendar_document(meeting: WeeklyMeeting, zone: ZoneInfo, stamp: datetime) -> bytes:
    """The .ics file: the frame, one VTIMEZONE and one weekly VEVENT, as icalendar writes them.

    icalendar writes a calendar as its own lines, then each component's, then END:VCALENDAR,
    and writing is most of the cost of a calendar request (its line folding goes character by
    character). Everything but the event is the same for every calendar of a zone and years,
    and the event is the same for every request of the same meeting (the members of a group
    follow the same calendar_url on the same day) except for DTSTAMP, the moment of writing.
    So icalendar writes each part once, the parts are kept (bounded LRU caches), and a request
    puts its own DTSTAMP value, also written by icalendar, in its line. The result is byte for
    byte the library's own Calendar.to_ical() of the whole calendar:
    tests/core/test_meeting_calendar.py compares the two on generated meetings, zones and
    stamps.
    """
    head = _calendar_head(zone, *vtimezone_years(meeting, zone))
    before, after = _event_around_stamp(meeting, zone)
    return b"".join((head, before, _stamp_value(stamp), after, _CALENDAR_END))
