"""Check HTTP answers against the pure core (gapfind.core), before anything is measured."""

from __future__ import annotations

import importlib
import math
from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import Any

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


def check_calendar_preview(what: str, payload: Any, calendar: str, zone_name: str) -> None:
    """A POST /ics/preview ``payload`` must equal ``import_timetable(calendar)`` (issue 12)."""
    from zoneinfo import ZoneInfo

    core = _core("timetable_import")
    expected = core.import_timetable(calendar, ZoneInfo(zone_name))
    grid = _core("grid")
    if _field(what, payload, "schedule") != expected.schedule:
        raise _mismatch(what, f"schedule {payload['schedule']!r}, core says {expected.schedule!r}")
    pairs = [list(pair) for pair in grid.indices_from_schedule(expected.schedule)]
    if _field(what, payload, "list_of_indices") != pairs:
        raise _mismatch(what, f"list_of_indices {str(payload['list_of_indices'])[:200]}")
    if _field(what, payload, "week_of") != expected.week_of.isoformat():
        raise _mismatch(what, f"week_of {payload['week_of']!r}, core says {expected.week_of}")
    ignored = _field(what, payload, "ignored")
    summaries = [item.get("summary") for item in ignored] if isinstance(ignored, list) else None
    if summaries != [item.summary for item in expected.ignored]:
        raise _mismatch(what, f"ignored {str(ignored)[:200]}, core says {expected.ignored}")
