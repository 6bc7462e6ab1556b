"""Medians over repetitions, targets, the printed table and the JSON file."""

from __future__ import annotations

import json
import platform
import statistics
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.client import REAL_IP_HEADER
from bench.runner import BENCH_ROOT, Repetition, Settings
from bench.server import DEFAULT_LIMIT_PER_MINUTE, STRATEGY, WRITES_LIMIT_PER_HOUR
from bench.workloads import FLOOR, FLOOR_LABEL, Workload

RSS_TARGET_MB = 60.0
STARTUP_TARGET_RATIO = 2.0
MB = 1024 * 1024


def _median(reps: Sequence[Repetition], value: Callable[[Repetition], float]) -> float:
    return float(statistics.median(value(rep) for rep in reps))


def _met(value: float, target: float, quick: bool) -> bool | None:
    return None if quick else value <= target


def _workload_row(
    reps: Sequence[Repetition], key: str, label: str, target: float | None, quick: bool
) -> dict[str, Any]:
    def cpu(rep: Repetition) -> float:
        return rep.results[key].cpu.cpu_ms_per_request

    def ratio(rep: Repetition) -> float:
        floor = rep.paired_floor.get(key, rep.results[FLOOR].cpu)
        return cpu(rep) / floor.cpu_ms_per_request

    row: dict[str, Any] = {
        "key": key,
        "label": label,
        "cpu_ms_per_request": _median(reps, cpu),
        "cpu_requests": _median(reps, lambda r: r.results[key].cpu.requests),
        "paired_floor_cpu_ms_per_request": _median(
            reps, lambda r: r.paired_floor.get(key, r.results[FLOOR].cpu).cpu_ms_per_request
        ),
        "ratio_to_floor": _median(reps, ratio),
        "ratio_min": min(ratio(rep) for rep in reps),
        "ratio_max": max(ratio(rep) for rep in reps),
        "target_ratio": target,
        "requests_per_second": _median(reps, lambda r: r.results[key].load.requests_per_second),
        "p50_ms": _median(reps, lambda r: r.results[key].load.p50_ms),
        "p99_ms": _median(reps, lambda r: r.results[key].load.p99_ms),
        "socket_errors": sum(r.results[key].load.socket_errors for r in reps),
    }
    row["met"] = None if target is None else _met(row["ratio_to_floor"], target, quick)
    return row


def summarize(
    reps: Sequence[Repetition], settings: Settings, workloads: dict[str, Workload]
) -> dict[str, Any]:
    """Everything the table and the JSON file show, medians over ``reps``."""
    rows = [_workload_row(reps, FLOOR, FLOOR_LABEL, None, settings.quick)]
    for key in settings.keys:
        wl = workloads[key]
        rows.append(_workload_row(reps, key, wl.label, wl.target_ratio, settings.quick))
    names = ("gapfind", FLOOR)
    rss = {name: statistics.median(r.rss_bytes[name] / MB for r in reps) for name in names}
    start = {
        name: statistics.median(r.startup_seconds[name] * 1000 for r in reps) for name in names
    }
    start_ratio = _median(reps, lambda r: r.startup_seconds["gapfind"] / r.startup_seconds[FLOOR])
    return {
        "workloads": rows,
        "rss_mb": {
            **rss,
            "target": RSS_TARGET_MB,
            "met": _met(rss["gapfind"], RSS_TARGET_MB, settings.quick),
        },
        "startup_ms": {
            **start,
            "ratio": start_ratio,
            "target_ratio": STARTUP_TARGET_RATIO,
            "met": _met(start_ratio, STARTUP_TARGET_RATIO, settings.quick),
        },
        "settings": _settings_dict(settings),
        "environment": _environment(),
        "repetitions": [_repetition_dict(rep) for rep in reps],
    }


def _settings_dict(settings: Settings) -> dict[str, Any]:
    out = asdict(settings)
    out["app_root"] = str(settings.app_root)
    out["load_tool"] = "wrk" if settings.wrk else "python-threads"
    return out


def _repetition_dict(rep: Repetition) -> dict[str, Any]:
    results = {
        key: {
            "cpu": {**asdict(r.cpu), "cpu_ms_per_request": r.cpu.cpu_ms_per_request},
            "load": {**asdict(r.load), "requests_per_second": r.load.requests_per_second},
        }
        for key, r in rep.results.items()
    }
    return {"results": results, "rss_bytes": rep.rss_bytes, "startup_seconds": rep.startup_seconds}


def _environment() -> dict[str, Any]:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=BENCH_ROOT, capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        commit = ""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "git_commit": commit,
    }


def _verdict(met: bool | None) -> str:
    return {True: "met", False: "NOT MET", None: "-"}[met]


def format_table(summary: dict[str, Any]) -> str:
    """The human-readable report."""
    settings = summary["settings"]
    quick = settings["quick"]
    lines = [
        f"GapFind benchmark: medians of {len(summary['repetitions'])} repetition(s), "
        f"1 sync gunicorn worker each; concurrent load: {settings['load_tool']} "
        f"-c{settings['connections']} for {settings['load_seconds']} s"
        + ("  [--quick: smoke run, targets not judged]" if quick else ""),
        f"requests from {settings['clients']} client addresses in turn ({REAL_IP_HEADER}); "
        f"GapFind rate limits: {DEFAULT_LIMIT_PER_MINUTE} per minute per client and endpoint, "
        f"{WRITES_LIMIT_PER_HOUR} writes per hour per client (memory://, {STRATEGY})",
        "",
        *_workload_lines(summary["workloads"]),
        "",
        *_process_lines(summary["rss_mb"], summary["startup_ms"]),
    ]
    errors = [row["key"] for row in summary["workloads"] if row["socket_errors"]]
    if errors:
        lines.append(f"warning: socket errors under concurrent load for {', '.join(errors)}")
    return "\n".join(lines)


def _workload_lines(rows: list[dict[str, Any]]) -> list[str]:
    lines = [
        f"{'':<5} {'workload':<44} {'CPU ms/req':>10} {'n':>6} {'x floor':>8} {'min-max':>13} "
        f"{'target':>7} {'verdict':>8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}"
    ]
    for row in rows:
        target = "" if row["target_ratio"] is None else f"<= {row['target_ratio']:g}"
        verdict = "" if row["target_ratio"] is None else _verdict(row["met"])
        spread = f"{row['ratio_min']:.2f}-{row['ratio_max']:.2f}"
        lines.append(
            f"{row['key']:<5} {row['label'][:44]:<44} {row['cpu_ms_per_request']:>10.3f} "
            f"{row['cpu_requests']:>6.0f} {row['ratio_to_floor']:>8.2f} {spread:>13} "
            f"{target:>7} {verdict:>8} {row['requests_per_second']:>8.1f} "
            f"{row['p50_ms']:>8.2f} {row['p99_ms']:>8.2f}"
        )
    return lines


def _process_lines(rss: dict[str, Any], start: dict[str, Any]) -> list[str]:
    head = f"{'':<50} {'GapFind':>9} {'floor':>9} {'target':>16} {'verdict':>8}"
    rss_row = (
        f"{'worker RSS after the run, MB':<50} {rss['gapfind']:>9.1f} {rss[FLOOR]:>9.1f} "
        f"{'<= ' + format(rss['target'], 'g') + ' MB':>16} {_verdict(rss['met']):>8}"
    )
    start_target = f"<= {start['target_ratio']:g}x floor"
    start_row = (
        f"{'Popen to first 200 (/health; floor /), ms':<50} {start['gapfind']:>9.0f} "
        f"{start[FLOOR]:>9.0f} {start_target:>16} {_verdict(start['met']):>8}"
        f"   (ratio {start['ratio']:.2f})"
    )
    return [head, rss_row, start_row]


def write_json(path: Path, summary: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, indent=2) + "\n")
