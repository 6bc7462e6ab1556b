"""A weekly timetable from a calendar file (.ics): which grid slots a student's classes fill.

Students already keep their classes in a calendar (a university portal, Google Calendar, Outlook,
Apple Calendar) and every one of them exports iCalendar. This module turns such a file into the
98-character schedule of `gapfind.core.grid`, for one week of the calendar:

* Times are campus wall-clock times: times with a TZID or in UTC are converted to the campus
  zone; floating times already are campus time (a calendar that declares X-WR-TIMEZONE, as
  Google's do, has them in that zone instead, as recurring-ical-events reads it).
* The week runs Monday to Sunday. With `week_of`, the week containing that date. Without it, the
  week with the most busy grid slots among the examined weeks, the earliest on a tie: a
  semester's first week may be short and exam weeks differ.
* An occurrence marks every slot it overlaps by more than zero time (slot h runs from 6:30 + h
  to 7:30 + h); one that crosses midnight marks the slots of each day it touches.
* All-day, cancelled and free (TRANSP:TRANSPARENT) occurrences mark nothing, nor do timed ones
  outside 6:30 AM-8:30 PM; they and the summaries with no occurrence in the chosen week are
  listed as ignored, once per (summary, reason).

Hostile files are bounded (see `ImportLimits` and `_BoundedRules`): a rule like FREQ=SECONDLY,
COUNT=1000000000, an RRULE without end or one whose BY* parts never match costs about what a
normal timetable costs, and is refused or answered, never left to run.

Examined weeks without `week_of`: the 52 weeks before and the 52 after the week of the latest
timed event start in the file (105 weeks). Semester files (one start per class, or every
occurrence listed) are inside it whole; a full calendar export with years of history is
examined around its most recent events, where this semester's classes are. An RRULE without
end is followed only that far.

icalendar and recurring-ical-events are imported on first use, inside the functions: a serving
worker that never imports a calendar does not load them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from enum import Enum
from functools import cache
from typing import Any, NamedTuple

from gapfind.core.grid import HOURS_PER_DAY, SLOT_COUNT, slot_index, slot_start_minute
from gapfind.core.problems import DomainError

DEFAULT_MAX_OCCURRENCES = 5000
#: Weeks examined before and after the anchor week (the week of the latest timed start).
WEEKS_AROUND_ANCHOR = 52
#: A rule may step this many months (or periods, for YEARLY) without producing an occurrence;
#: the sparsest satisfiable day filter (29 February on a Monday) goes about 40 years without one.
MAX_STEPS_WITHOUT_OCCURRENCE = 600
#: A rule producing more times of day than this (BYHOUR x BYMINUTE x BYSECOND) is no timetable.
MAX_TIMES_PER_DAY = 24
#: Values in one BY* part of a rule; each costs dateutil work on every day it steps through.
MAX_RULE_VALUES = 31
SUPPORTED_FREQUENCIES = frozenset({"YEARLY", "MONTHLY", "WEEKLY", "DAILY"})
SUB_DAILY_FREQUENCIES = frozenset({"HOURLY", "MINUTELY", "SECONDLY"})

_DAY = dt.timedelta(days=1)
_WEEK = dt.timedelta(weeks=1)
_SLOT = dt.timedelta(hours=1)
_SLOT_STARTS = tuple(dt.timedelta(minutes=slot_start_minute(h)) for h in range(HOURS_PER_DAY))


class IgnoredReason(Enum):
    """Why an event of the file left no mark on the schedule (worded in gapfind.messages)."""

    CANCELLED = "cancelled"
    ALL_DAY = "all_day"
    FREE = "free"
    OUTSIDE_HOURS = "outside_hours"
    NO_DURATION = "no_duration"
    NOT_IN_WEEK = "not_in_week"


_REASON_ORDER = {reason: position for position, reason in enumerate(IgnoredReason)}


class CalendarProblem(Enum):
    """Why a calendar file gives no schedule (worded in gapfind.messages)."""

    NOT_UTF8 = "not_utf8"
    NOT_ICALENDAR = "not_icalendar"
    NO_EVENTS = "no_events"
    INVALID_EVENT = "invalid_event"
    UNSUPPORTED_RULE = "unsupported_rule"
    TOO_MANY_OCCURRENCES = "too_many_occurrences"
    NO_CLASSES = "no_classes"


class CalendarImportError(DomainError[CalendarProblem]):
    """The file cannot be imported; `summary` names the offending event when one is known."""

    def __init__(self, problem: CalendarProblem, summary: str | None = None) -> None:
        super().__init__(problem, summary)
        self.summary = summary


class ImportLimits(NamedTuple):
    """`max_occurrences` counts every occurrence the recurrence expansion generates (from each
    series' start to the end of the examined weeks) plus every extra day a long event spans."""

    max_occurrences: int = DEFAULT_MAX_OCCURRENCES


DEFAULT_LIMITS = ImportLimits()


class IgnoredEvent(NamedTuple):
    summary: str
    reason: IgnoredReason


class TimetableImport(NamedTuple):
    schedule: str
    week_of: dt.date
    ignored: tuple[IgnoredEvent, ...]
    #: Work units spent (see ImportLimits): what the limit bounds, for tests and benchmarks.
    occurrences_examined: int


class _TooMuchWork(Exception):
    """Raised from inside the expansion when the budget runs out."""


class _RuleNeverMatches(Exception):
    """Raised from inside dateutil when a rule steps too long without an occurrence."""

    def __init__(self, summary: str | None = None) -> None:
        super().__init__(summary)
        self.summary = summary


class _Budget:
    __slots__ = ("limit", "spent")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.spent = 0

    def charge(self, units: int = 1) -> None:
        self.spent += units
        if self.spent > self.limit:
            raise _TooMuchWork


# --------------------------------------------------------------------------- entry point


def import_timetable(
    calendar: bytes | str,
    campus: dt.tzinfo,
    week_of: dt.date | None = None,
    limits: ImportLimits = DEFAULT_LIMITS,
) -> TimetableImport:
    """The schedule of one week of `calendar`, or CalendarImportError saying why not."""
    parsed = _parse(_decode(calendar))
    events = _events(parsed)
    summaries = [_summary(event) for event in events]
    for event, summary in zip(events, summaries, strict=True):
        _check_event(event, summary)
    first_week, weeks = _examined_weeks(events, summaries, campus, week_of)
    budget = _Budget(limits.max_occurrences)
    occurrences = _expand(parsed, campus, first_week, weeks, budget)
    try:
        marks = [_occurrence_marks(item, campus, first_week, weeks, budget) for item in occurrences]
    except _TooMuchWork as error:
        raise CalendarImportError(CalendarProblem.TOO_MANY_OCCURRENCES) from error
    chosen = first_week if week_of is not None else _busiest_week(marks)
    mask = 0
    for mark in marks:
        mask |= mark.masks.get(chosen, 0)
    if not mask:
        raise CalendarImportError(CalendarProblem.NO_CLASSES)
    return TimetableImport(
        _schedule_string(mask), chosen, _ignored(marks, summaries, chosen), budget.spent
    )


def _decode(calendar: bytes | str) -> str:
    if isinstance(calendar, bytes):
        try:
            return calendar.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise CalendarImportError(CalendarProblem.NOT_UTF8) from error
    return calendar.removeprefix("\ufeff")


def _parse(text: str) -> Any:
    # A cheap first look: random text and other formats stop here, before the parser.
    if not text.lstrip().upper().startswith("BEGIN:VCALENDAR"):
        raise CalendarImportError(CalendarProblem.NOT_ICALENDAR)
    import icalendar

    try:
        parsed = icalendar.Calendar.from_ical(text)
    except Exception as error:  # the parser's failures on this input are the input's fault
        raise CalendarImportError(CalendarProblem.NOT_ICALENDAR) from error
    if not isinstance(parsed, icalendar.Calendar) or parsed.name != "VCALENDAR":
        raise CalendarImportError(CalendarProblem.NOT_ICALENDAR)
    return parsed


def _events(parsed: Any) -> list[Any]:
    try:
        events: list[Any] = parsed.walk("VEVENT")
    except RecursionError as error:  # walk() recurses once per nesting level
        raise CalendarImportError(CalendarProblem.NOT_ICALENDAR) from error
    if not events:
        raise CalendarImportError(CalendarProblem.NO_EVENTS)
    return events


def _summary(component: Any) -> str:
    value = component.get("SUMMARY", "")
    if isinstance(value, list):  # the property repeated
        value = value[0] if value else ""
    return str(value).strip()


# --------------------------------------------------------------------------- checks


def _check_event(event: Any, summary: str) -> None:
    """Refuse, before any expansion, what the expansion could not do in bounded time."""
    try:
        start = event["DTSTART"].dt
    except Exception as error:  # missing or unparsable DTSTART
        raise CalendarImportError(CalendarProblem.INVALID_EVENT, summary) from error
    if not isinstance(start, dt.date):
        raise CalendarImportError(CalendarProblem.INVALID_EVENT, summary)
    if "DTEND" in event:
        try:
            end = event["DTEND"].dt
            ends_before_start = type(end) is type(start) and end < start
        except Exception as error:  # unparsable, or naive against aware
            raise CalendarImportError(CalendarProblem.INVALID_EVENT, summary) from error
        if ends_before_start:
            raise CalendarImportError(CalendarProblem.INVALID_EVENT, summary)
    rules = event.get("RRULE")
    for rule in rules if isinstance(rules, list) else [] if rules is None else [rules]:
        _check_rule(rule, summary)


def _check_rule(rule: Any, summary: str) -> None:
    import icalendar

    if not isinstance(rule, icalendar.vRecur):
        raise CalendarImportError(CalendarProblem.INVALID_EVENT, summary)
    frequencies = [str(value).upper() for value in rule.get("FREQ", [])]
    if len(frequencies) != 1:
        raise CalendarImportError(CalendarProblem.INVALID_EVENT, summary)
    if frequencies[0] in SUB_DAILY_FREQUENCIES:
        raise CalendarImportError(CalendarProblem.UNSUPPORTED_RULE, summary)
    if frequencies[0] not in SUPPORTED_FREQUENCIES:
        raise CalendarImportError(CalendarProblem.INVALID_EVENT, summary)
    intervals = rule.get("INTERVAL", [1])
    # INTERVAL=0 would make dateutil step in place for ever.
    if any(not isinstance(value, int) or value < 1 for value in intervals):
        raise CalendarImportError(CalendarProblem.INVALID_EVENT, summary)
    times_per_day = 1
    for part, values in rule.items():
        if str(part).upper().startswith("BY"):
            if len(values) > MAX_RULE_VALUES:
                raise CalendarImportError(CalendarProblem.UNSUPPORTED_RULE, summary)
            if str(part).upper() in ("BYHOUR", "BYMINUTE", "BYSECOND"):
                times_per_day *= len(values)
    if times_per_day > MAX_TIMES_PER_DAY:
        raise CalendarImportError(CalendarProblem.UNSUPPORTED_RULE, summary)


# --------------------------------------------------------------------------- weeks


def monday_of(day: dt.date) -> dt.date:
    """The Monday of the (Monday-Sunday) week that contains `day`."""
    return day - dt.timedelta(days=day.weekday())


def _campus_wall_clock(value: dt.date, campus: dt.tzinfo) -> dt.datetime:
    """A datetime as campus wall-clock time (naive); a floating time already is one."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            return value
        return value.astimezone(campus).replace(tzinfo=None)
    return dt.datetime(value.year, value.month, value.day)


def _examined_weeks(
    events: list[Any], summaries: list[str], campus: dt.tzinfo, week_of: dt.date | None
) -> tuple[dt.date, int]:
    """(Monday of the first examined week, number of weeks)."""
    if week_of is not None:
        return monday_of(week_of), 1
    latest_timed: dt.datetime | None = None
    latest_any: dt.datetime | None = None
    for event, summary in zip(events, summaries, strict=True):
        start = event["DTSTART"].dt
        try:
            local = _campus_wall_clock(start, campus)
        except (OverflowError, ValueError) as error:
            raise CalendarImportError(CalendarProblem.INVALID_EVENT, summary) from error
        if latest_any is None or local > latest_any:
            latest_any = local
        if isinstance(start, dt.datetime) and (latest_timed is None or local > latest_timed):
            latest_timed = local
    anchor = latest_timed or latest_any
    assert anchor is not None  # _events() refused a calendar without events
    try:
        first = monday_of(anchor.date()) - WEEKS_AROUND_ANCHOR * _WEEK
        (first + (2 * WEEKS_AROUND_ANCHOR + 1) * _WEEK).toordinal()  # the end must exist too
    except OverflowError as error:
        raise CalendarImportError(CalendarProblem.INVALID_EVENT) from error
    return first, 2 * WEEKS_AROUND_ANCHOR + 1


# --------------------------------------------------------------------------- expansion


class _Occurrence(NamedTuple):
    summary: str
    start: dt.date
    end: dt.date
    status: str
    transparency: str


def _expand(
    parsed: Any, campus: dt.tzinfo, first_week: dt.date, weeks: int, budget: _Budget
) -> list[_Occurrence]:
    """Every occurrence that touches the examined weeks, with RRULE, RDATE, EXDATE and
    RECURRENCE-ID applied by recurring-ical-events (bounded by `budget`)."""
    library = _library()
    span_start = dt.datetime.combine(first_week, dt.time(), tzinfo=campus)
    span_stop = span_start + weeks * _WEEK
    try:
        return list(library.query(parsed, budget).between(span_start, span_stop))
    except _TooMuchWork as error:
        raise CalendarImportError(CalendarProblem.TOO_MANY_OCCURRENCES) from error
    except _RuleNeverMatches as error:
        raise CalendarImportError(CalendarProblem.UNSUPPORTED_RULE, error.summary) from error
    except Exception as error:  # the library's failures on this input are the input's fault
        raise CalendarImportError(CalendarProblem.INVALID_EVENT) from error


class _Library(NamedTuple):
    """recurring-ical-events, bound to this module's limits (built once, on first use)."""

    query: Any
    stepped: Any


@cache
def _library() -> _Library:
    """Import the calendar libraries and build the bounded expansion classes once."""
    import x_wr_timezone  # type: ignore[import-untyped]
    from dateutil.rrule import rrule  # type: ignore[import-untyped]
    from recurring_ical_events import CalendarQuery  # type: ignore[import-untyped]
    from recurring_ical_events.occurrence import Occurrence  # type: ignore[import-untyped]
    from recurring_ical_events.selection.name import ComponentsWithName  # type: ignore[import-untyped]
    from recurring_ical_events.series import Series  # type: ignore[import-untyped]
    from recurring_ical_events.util import compare_greater, convert_to_datetime  # type: ignore[import-untyped]

    class SteppedRule(rrule):  # type: ignore[misc]
        """A dateutil rule that refuses to step for ever without producing an occurrence.

        dateutil's rrule._iter steps period by period until a date passes every BY* filter and
        only then compares it with UNTIL, so a rule whose filters never match
        (FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30) steps day by day until year 9999: seconds of CPU,
        whatever UNTIL says. Its _iterinfo.rebuild reads `rule._byeaster` once per month (or
        per period, for YEARLY and MONTHLY) it steps into; reading it through this property is
        the one window into that loop. tests/core/test_timetable_import.py runs dateutil's own
        rules beside these, and checks that the property is still read as it steps.
        """

        @property
        def _byeaster(self) -> Any:
            steps = self.__dict__.get("_steps_without_occurrence", 0) + 1
            self.__dict__["_steps_without_occurrence"] = steps
            if steps > MAX_STEPS_WITHOUT_OCCURRENCE:
                raise _RuleNeverMatches
            return self.__dict__.get("_byeaster_value")

        @_byeaster.setter
        def _byeaster(self, value: Any) -> None:
            self.__dict__["_byeaster_value"] = value

        def _iter(self) -> Iterator[dt.datetime]:
            for value in super()._iter():
                self.__dict__["_steps_without_occurrence"] = 0
                yield value

    def stepped(rule: Any) -> Any:
        """The same rule as a SteppedRule (the arguments rrule.replace() passes)."""
        options = {
            "interval": rule._interval,
            "count": rule._count,
            "dtstart": rule._dtstart,
            "freq": rule._freq,
            "until": rule._until,
            "wkst": rule._wkst,
            "cache": False,
        }
        options.update(rule._original_rule)
        copy = SteppedRule(**options)
        copy.string = rule.string
        copy.until = rule.until
        return copy

    class BoundedRules(Series.RecurrenceRules):  # type: ignore[misc]
        """RecurrenceRules whose rules are SteppedRules, walked lazily and paid for.

        The library asks dateutil for `rule.between(start, stop)`, a list built by walking
        the rule from its first occurrence: COUNT=1000000000 or FREQ=DAILY since 1900 would be
        walked whole before anything is counted. Here each generated start is charged to the
        import's budget as it comes, whether it falls in the span or before it.
        """

        budget: _Budget

        def rrulestr(self, rule_string: str) -> Any:
            return stepped(super().rrulestr(rule_string))

        def rrule_between(self, span_start: Any, span_stop: Any) -> Iterator[Any]:
            # The library's rrule_between without the pytz corrections: icalendar 7 gives
            # zoneinfo zones, and x-wr-timezone converts to zoneinfo too.
            span_start_dt = convert_to_datetime(span_start, self.tzinfo)
            span_stop_dt = convert_to_datetime(span_stop, self.tzinfo)
            try:
                for rule in self.rrules:
                    for start in rule:
                        self.budget.charge()
                        if start > span_stop_dt:
                            break
                        if start < span_start_dt:
                            continue
                        if rule.until is None or not compare_greater(start, rule.until):
                            yield start
            except _RuleNeverMatches as error:
                raise _RuleNeverMatches(_summary(self.core._component)) from error

    class BoundedSeries(Series):  # type: ignore[misc]
        RecurrenceRules = BoundedRules

    class PlainOccurrence(Occurrence):  # type: ignore[misc]
        """An occurrence read as the few values the grid needs.

        CalendarQuery.between() turns each occurrence into a copy of its VEVENT (every
        property and subcomponent copied, DTSTART/DTEND/RECURRENCE-ID rewritten): two thirds of
        the CPU of importing a semester. The grid needs five values, read here from the
        occurrence's own start and end and its component. tests/core/test_timetable_import.py
        compares them with the library's copies on every fixture.
        """

        def as_component(self, keep_recurrence_attributes: bool) -> _Occurrence:
            component = self._adapter._component
            return _Occurrence(
                _summary(component),
                self.start,
                self.end,
                str(component.get("STATUS", "")).upper(),
                str(component.get("TRANSP", "")).upper(),
            )

    def query(parsed: Any, budget: _Budget) -> Any:
        rules = type("ImportRules", (BoundedRules,), {"budget": budget})
        series = type("ImportSeries", (BoundedSeries,), {"RecurrenceRules": rules})
        # What recurring_ical_events.of() does, with the bounded series.
        standard = x_wr_timezone.to_standard(parsed)
        events = ComponentsWithName("VEVENT", series=series, occurrence=PlainOccurrence)
        return CalendarQuery(standard, components=[events])

    return _Library(query, stepped)


# --------------------------------------------------------------------------- marks


class _Marks(NamedTuple):
    """One occurrence on the grid: busy slots per examined week (Monday -> bit mask of slot
    indices), the weeks it touches, and why it marks nothing, if it does not."""

    summary: str
    reason: IgnoredReason | None
    masks: dict[dt.date, int]
    weeks: frozenset[dt.date]


def _occurrence_marks(
    item: _Occurrence, campus: dt.tzinfo, first_week: dt.date, weeks: int, budget: _Budget
) -> _Marks:
    last_day = first_week + weeks * _WEEK - _DAY
    start = _campus_wall_clock(item.start, campus)
    end = max(start, _campus_wall_clock(item.end, campus))
    first = max(start.date(), first_week)
    # The end is exclusive: an event ending at midnight does not touch the next day.
    last = min(
        (end - dt.timedelta(microseconds=1)).date() if end > start else start.date(), last_day
    )
    touched = frozenset(_mondays(first, last))
    reason = _kind_reason(item)
    if reason is not None:
        return _Marks(item.summary, reason, {}, touched)
    if end == start:
        return _Marks(item.summary, IgnoredReason.NO_DURATION, {}, touched)
    masks: dict[dt.date, int] = {}
    day = first
    while day <= last:
        if day > first:
            budget.charge()  # each further day of a long event is work too
        midnight = dt.datetime.combine(day, dt.time())
        mask = _day_mask(max(start, midnight) - midnight, min(end, midnight + _DAY) - midnight)
        if mask:
            week = monday_of(day)
            masks[week] = masks.get(week, 0) | mask << day.weekday()
        day += _DAY
    return _Marks(item.summary, None if masks else IgnoredReason.OUTSIDE_HOURS, masks, touched)


def _kind_reason(item: _Occurrence) -> IgnoredReason | None:
    if item.status == "CANCELLED":
        return IgnoredReason.CANCELLED
    if not isinstance(item.start, dt.datetime):
        return IgnoredReason.ALL_DAY
    if item.transparency == "TRANSPARENT":
        return IgnoredReason.FREE
    return None


def _mondays(first: dt.date, last: dt.date) -> Iterator[dt.date]:
    week = monday_of(first)
    while week <= last:
        yield week
        week += _WEEK


def _day_mask(start: dt.timedelta, end: dt.timedelta) -> int:
    """Slots of one day (bits of slot_index(h, 0)) that [start, end) overlaps, as time since
    midnight."""
    mask = 0
    for hour, slot_start in enumerate(_SLOT_STARTS):
        if start < slot_start + _SLOT and end > slot_start:
            mask |= 1 << slot_index(hour, 0)
    return mask


def _busiest_week(marks: Iterable[_Marks]) -> dt.date:
    weeks: dict[dt.date, int] = {}
    for mark in marks:
        for week, mask in mark.masks.items():
            weeks[week] = weeks.get(week, 0) | mask
    if not weeks:
        raise CalendarImportError(CalendarProblem.NO_CLASSES)
    return min(weeks, key=lambda week: (-weeks[week].bit_count(), week))


def _schedule_string(mask: int) -> str:
    return "".join("1" if mask >> slot & 1 else "0" for slot in range(SLOT_COUNT))


def _ignored(
    marks: list[_Marks], summaries: list[str], chosen: dt.date
) -> tuple[IgnoredEvent, ...]:
    ignored: set[IgnoredEvent] = set()
    in_week: set[str] = set()
    for mark in marks:
        if chosen not in mark.weeks:
            continue
        in_week.add(mark.summary)
        if mark.reason is not None:
            ignored.add(IgnoredEvent(mark.summary, mark.reason))
        elif chosen not in mark.masks:  # crosses into the week, but not into its hours
            ignored.add(IgnoredEvent(mark.summary, IgnoredReason.OUTSIDE_HOURS))
    for summary in summaries:
        if summary not in in_week:
            ignored.add(IgnoredEvent(summary, IgnoredReason.NOT_IN_WEEK))
    return tuple(sorted(ignored, key=lambda item: (item.summary, _REASON_ORDER[item.reason])))
