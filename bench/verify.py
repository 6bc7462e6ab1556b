"""Check HTTP answers against the pure core (gapfind.core), before anything is measured."""

from __future__ import annotations

import importlib
import math
import os
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

from bench.errors import BenchError

REL_TOL = 1e-9
ABS_TOL = 1e-9


def _core(module: str) -> ModuleType:
    """Import ``gapfind.core.<module>``, or explain why the answers cannot be checked."""
    try:
        return importlib.import_module(f"gapfind.core.{module}")
    except ImportError as exc:
        raise BenchError(f"cannot import gapfind.core.{module} to check answers: {exc}") from exc


def _mismatch(what: str, detail: str) -> BenchError:
    return BenchError(f"wrong answer from {what}: {detail}")


def _close(what: str, label: str, got: Any, expected: float) -> None:
    ok = isinstance(got, (int, float)) and not isinstance(got, bool)
    if not ok or not math.isclose(got, expected, rel_tol=REL_TOL, abs_tol=ABS_TOL):
        raise _mismatch(what, f"{label} = {got!r}, core says {expected!r}")


def _field(what: str, obj: Any, key: str) -> Any:
    if not isinstance(obj, Mapping) or key not in obj:
        raise _mismatch(what, f"missing {key!r} in {str(obj)[:200]}")
    return obj[key]


def check_results(
    what: str, payload: Any, schedules: Sequence[str], options: Mapping[str, bool]
) -> None:
    """A /results ``payload`` must equal ``find_gaps(schedules, GapOptions(**options))``."""
    gaps_module = _core("gaps")
    expected = gaps_module.find_gaps(schedules, gaps_module.GapOptions(**options))
    gaps = _field(what, payload, "gaps")
    count = _field(what, payload, "count")
    if not isinstance(gaps, list) or count != len(expected) or len(gaps) != len(expected):
        got_len = len(gaps) if isinstance(gaps, list) else "?"
        raise _mismatch(what, f"count {count!r}, {got_len} gaps; core finds {len(expected)}")
    for i, (got, exp) in enumerate(zip(gaps, expected, strict=True)):
        slot = (_field(what, got, "day_index"), _field(what, got, "hour_index"))
        if slot != (exp.day_index, exp.hour_index):
            raise _mismatch(what, f"gap {i} is (day, hour) {slot}, core says {exp}")
        _close(what, f"gap {i} avg", _field(what, got, "avg"), exp.avg)
        _close(what, f"gap {i} quality", _field(what, got, "quality"), exp.quality)
        for key in ("day", "hour"):
            if not isinstance(_field(what, got, key), str):
                raise _mismatch(what, f"gap {i} {key} is not a string: {got[key]!r}")
        if options.get("compute_sd"):
            if exp.sd is None:
                raise _mismatch(what, "core returned sd=None with compute_sd")
            _close(what, f"gap {i} sd", _field(what, got, "sd"), exp.sd)
        elif got.get("sd") is not None:
            raise _mismatch(what, f"gap {i} has sd {got['sd']!r} without compute_sd")


def check_analyze(what: str, payload: Any, schedules: Sequence[str]) -> None:
    """``payload`` (an /analyze answer, all users found) must equal ``weekday_availability``."""
    expected = _core("availability").weekday_availability(schedules)
    total = _field(what, payload, "total_students")
    if total != len(schedules):
        raise _mismatch(what, f"total_students {total!r}, sent {len(schedules)} known users")
    missing = _field(what, payload, "users_not_found")
    if missing != []:
        raise _mismatch(what, f"users_not_found {str(missing)[:200]}")
    results = _field(what, payload, "results")
    if not isinstance(results, list) or len(results) != len(expected):
        got_len = len(results) if isinstance(results, list) else "?"
        raise _mismatch(what, f"{got_len} results, core has {len(expected)}")
    for i, (got, exp) in enumerate(zip(results, expected, strict=True)):
        keys = ("day_index", "hour_index", "number_of_students")
        values = tuple(_field(what, got, k) for k in keys)
        if values != (exp.day_index, exp.hour_index, exp.number_of_students):
            got_slot = dict(zip(keys, values, strict=True))
            raise _mismatch(what, f"result {i} {got_slot}, core says {exp}")
        _close(
            what, f"result {i} availability", _field(what, got, "availability"), exp.availability
        )


def check_user(what: str, payload: Any, name: str, schedule: str) -> None:
    """A GET /users/<name> answer must name the user and carry the schedule that was stored."""
    if _field(what, payload, "username") != name:
        raise _mismatch(what, f"username {payload['username']!r}, expected {name!r}")
    got = _field(what, payload, "schedule")
    if got != schedule:
        raise _mismatch(what, f"schedule {got!r}, stored {schedule!r}")


def check_calendar_preview(
    what: str, payload: Any, calendar: str, zone_name: str, *, preview: bool = True
) -> None:
    """A POST /ics/preview ``payload`` (or, with ``preview`` off, a POST /register/ics one, which
    has no list_of_indices) must equal ``import_timetable(calendar)``."""
    from zoneinfo import ZoneInfo

    core = _core("timetable_import")
    expected = core.import_timetable(calendar, ZoneInfo(zone_name))
    grid = _core("grid")
    if _field(what, payload, "schedule") != expected.schedule:
        raise _mismatch(what, f"schedule {payload['schedule']!r}, core says {expected.schedule!r}")
    pairs = [list(pair) for pair in grid.indices_from_schedule(expected.schedule)]
    if preview and _field(what, payload, "list_of_indices") != pairs:
        raise _mismatch(what, f"list_of_indices {str(payload['list_of_indices'])[:200]}")
    if _field(what, payload, "week_of") != expected.week_of.isoformat():
        raise _mismatch(what, f"week_of {payload['week_of']!r}, core says {expected.week_of}")
    ignored = _field(what, payload, "ignored")
    summaries = [item.get("summary") for item in ignored] if isinstance(ignored, list) else None
    if summaries != [item.summary for item in expected.ignored]:
        raise _mismatch(what, f"ignored {str(ignored)[:200]}, core says {expected.ignored}")


# --- W7 POST /blocks, W8 GET /calendar.ics ------------------------------------------
_BLOCK_KEYS = {
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


def check_blocks(
    what: str,
    payload: Any,
    names: Sequence[str],
    schedules: Sequence[str],
    options: Mapping[str, Any],
) -> None:
    """A /blocks ``payload`` must equal ``find_blocks(schedules, BlockOptions(**options))``, with
    the attendee positions turned into ``names`` (free, and missing in request order)."""
    blocks_module = _core("blocks")
    expected = blocks_module.find_blocks(schedules, blocks_module.BlockOptions(**options))
    blocks = _field(what, payload, "blocks")
    count = _field(what, payload, "count")
    if not isinstance(blocks, list) or count != len(expected) or len(blocks) != len(expected):
        got_len = len(blocks) if isinstance(blocks, list) else "?"
        raise _mismatch(what, f"count {count!r}, {got_len} blocks; core finds {len(expected)}")
    if not expected:
        raise _mismatch(what, "the core finds no block: the workload measures an empty answer")
    for i, (got, exp) in enumerate(zip(blocks, expected, strict=True)):
        if not isinstance(got, Mapping) or set(got) != _BLOCK_KEYS:
            raise _mismatch(
                what, f"block {i} keys {sorted(got) if isinstance(got, Mapping) else got}"
            )
        start, duration = exp.start_hour_index, exp.duration
        wanted = {
            "day_index": exp.day_index,
            "start_hour_index": start,
            "end_hour_index": start + duration - 1,
            "duration": duration,
            "attendees": len(exp.attendees),
            "free": [names[j] for j in exp.attendees],
            "missing": [n for j, n in enumerate(names) if j not in exp.attendees],
            "calendar_url": (
                f"/calendar.ics?day_index={exp.day_index}&start_hour_index={start}"
                f"&duration={duration}"
            ),
        }
        for key, value in wanted.items():
            if got[key] != value:
                raise _mismatch(what, f"block {i} {key} = {got[key]!r}, core says {value!r}")
        _close(what, f"block {i} avg", got["avg"], exp.avg)
        _close(what, f"block {i} quality", got["quality"], exp.quality)
        for key in ("day", "start", "end"):
            if not isinstance(got[key], str):
                raise _mismatch(what, f"block {i} {key} is not a string: {got[key]!r}")


def _campus_zone() -> ZoneInfo:
    # The TIMEZONE setting GapFind reads (bench/server.py passes the environment on), with
    # config.py's default.
    return ZoneInfo(os.environ.get("TIMEZONE", "America/Bogota").strip())


def check_calendar(what: str, response: Any, path: str) -> None:
    """A /calendar.ics answer must be the headers of the contract and, byte for byte, the file
    ``gapfind.core.meeting_calendar`` writes for the query with today's campus date (or
    yesterday's, if midnight passed since the request) and the answer's own DTSTAMP."""
    for header, value in (
        ("Content-Type", "text/calendar; charset=utf-8"),
        ("Content-Disposition", 'attachment; filename="gapfind.ics"'),
    ):
        if response.header(header) != value:
            raise _mismatch(what, f"{header} {response.header(header)!r}, expected {value!r}")
    calendar = _core("meeting_calendar")
    query = dict(parse_qsl(urlsplit(path).query))
    stamps = [line for line in response.body.split(b"\r\n") if line.startswith(b"DTSTAMP:")]
    if len(stamps) != 1:
        raise _mismatch(what, f"{len(stamps)} DTSTAMP lines in {response.snippet()}")
    stamp = datetime.strptime(stamps[0].decode(), "DTSTAMP:%Y%m%dT%H%M%SZ")
    stamp = stamp.replace(tzinfo=timezone.utc)
    zone = _campus_zone()
    today = datetime.now(zone).date()
    for day in (today, today - timedelta(days=1)):
        meeting = calendar.plan_meeting(
            int(query["day_index"]),
            int(query["start_hour_index"]),
            today=day,
            duration=int(query.get("duration", 1)),
            title=query.get("title", calendar.DEFAULT_TITLE),
        )
        if response.body == calendar.calendar_document(meeting, zone, stamp):
            return
    raise _mismatch(what, f"not the core's calendar file: {response.snippet(600)}")
