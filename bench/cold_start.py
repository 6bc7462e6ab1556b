"""Lambda cold start: from importing the handler module to the first answered event.

What a Lambda execution environment does on its first invocation, after the runtime itself has
started: import ``lambda_handler`` (which builds the app) and answer one HTTP API v2 event,
``GET /health``. Each measurement is a fresh interpreter (``python -c``) that reads the clock
just before the import and just after the answer, so the interpreter's own start-up, the same
for both, is left out. The floor is bench/lambda_floor.py, a bare Flask app wrapped the same
way; floor and GapFind alternate, and the ratio is taken per pair, then the median.

GapFind runs with the benchmark's production settings (server.app_env) on a migrated SQLite file,
as the other workloads do, without REAL_IP_HEADER (the Lambda default) and with
SCHEDULE_RETENTION_DAYS=0: on Lambda the after-response purge is off (the scheduled event
purges), and outside Lambda the first answer would otherwise run it. On Lambda the database is
PostgreSQL: importing psycopg and connecting are part of a real cold start and not of this one.
"""

from __future__ import annotations

import compileall
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from bench import server
from bench.errors import BenchError

TARGET_RATIO = 2.0
GAPFIND_MODULE = "lambda_handler"
FLOOR_MODULE = "bench.lambda_floor"
BENCH_ROOT = Path(__file__).resolve().parent.parent
CHILD_TIMEOUT = 60.0
HEALTH_EVENT: dict[str, Any] = {
    "version": "2.0",
    "routeKey": "$default",
    "rawPath": "/health",
    "rawQueryString": "",
    "headers": {"host": "bench.example", "user-agent": "bench", "x-forwarded-proto": "https"},
    "requestContext": {
        "http": {
            "method": "GET",
            "path": "/health",
            "protocol": "HTTP/1.1",
            "sourceIp": "192.0.2.10",
            "userAgent": "bench",
        },
        "routeKey": "$default",
        "stage": "$default",
    },
    "isBase64Encoded": False,
}
# Runs in the fresh interpreter: argv[1] the event (JSON), argv[2] the handler module.
# CLOCK_MONOTONIC is one clock for every process of the machine: the parent can subtract its own
# reading from before the interpreter started.
_CHILD = """\
import json, sys, time
event = json.loads(sys.argv[1])
started = time.clock_gettime(time.CLOCK_MONOTONIC)
module = __import__(sys.argv[2], fromlist=["handler"])
answer = module.handler(event, None)
answered = time.clock_gettime(time.CLOCK_MONOTONIC)
print(json.dumps({"import_started": started, "answered": answered,
                  "status": answer["statusCode"], "body": answer["body"]}))
"""


class ColdStart(NamedTuple):
    """Seconds to the first answer: from the import (the measure), from the process start."""

    from_import: float
    from_process: float


def repetitions(quick: bool) -> int:
    """Pairs of fresh interpreters: one pair for --quick, more otherwise (~0.5 s a pair)."""
    return 1 if quick else 7


def measure(app_root: Path, quick: bool, log: Callable[[str], None]) -> dict[str, Any]:
    """Floor and GapFind cold starts, alternating, and their ratios (the JSON's section)."""
    _compile(app_root)
    with tempfile.TemporaryDirectory(prefix="gapfind-cold-start-") as tmp:
        env = lambda_env(Path(tmp) / "cold-start.db")
        # A migrated database, as a deployed function has: /health answers 200 only where a
        # write would succeed, so an empty file would be (rightly) unhealthy.
        server.run_migrations(app_root, env)
        floor, gapfind = [], []
        for _ in range(repetitions(quick)):
            floor.append(first_answer(FLOOR_MODULE, BENCH_ROOT, env))
            gapfind.append(first_answer(GAPFIND_MODULE, app_root, env))

    def ratios(field: str) -> list[float]:
        return [getattr(g, field) / getattr(f, field) for g, f in zip(gapfind, floor, strict=True)]

    def median_ms(starts: list[ColdStart], field: str) -> float:
        return float(statistics.median(getattr(start, field) for start in starts)) * 1000

    result = {
        "gapfind_ms": median_ms(gapfind, "from_import"),
        "floor_ms": median_ms(floor, "from_import"),
        "ratio": statistics.median(ratios("from_import")),
        "ratio_min": min(ratios("from_import")),
        "ratio_max": max(ratios("from_import")),
        # The same with the interpreter's own start, which Lambda's runtime adds to both.
        "gapfind_process_ms": median_ms(gapfind, "from_process"),
        "floor_process_ms": median_ms(floor, "from_process"),
        "process_ratio": statistics.median(ratios("from_process")),
        "pairs": len(gapfind),
        "target_ratio": TARGET_RATIO,
        "met": None if quick else statistics.median(ratios("from_import")) <= TARGET_RATIO,
    }
    log(
        f"lambda cold start, import to first answer: floor {result['floor_ms']:.0f} ms, "
        f"GapFind {result['gapfind_ms']:.0f} ms (median of {len(gapfind)} fresh interpreters)"
    )
    return result


def lambda_env(db_path: Path) -> dict[str, str]:
    """The benchmark's production environment, with Lambda's defaults (see the docstring)."""
    env = server.app_env(db_path)
    env.update(REAL_IP_HEADER="", SCHEDULE_RETENTION_DAYS="0")
    env.pop("AWS_LAMBDA_FUNCTION_NAME", None)  # SQLite is refused on Lambda itself
    return env


def first_answer(module: str, cwd: Path, env: dict[str, str]) -> ColdStart:
    """Import ``module`` in a fresh interpreter and answer one event with its handler."""
    cmd = [sys.executable, "-c", _CHILD, json.dumps(HEALTH_EVENT), module]
    spawned = time.clock_gettime(time.CLOCK_MONOTONIC)
    try:
        done = subprocess.run(
            cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=CHILD_TIMEOUT
        )
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"{module}: no answer to GET /health in {CHILD_TIMEOUT:g} s") from exc
    if done.returncode != 0:
        raise BenchError(f"{module} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    if answer["status"] != 200 or json.loads(answer["body"]) != {"status": "ok"}:
        raise BenchError(f"{module}: GET /health answered {answer['status']} {answer['body']}")
    return ColdStart(answer["answered"] - answer["import_started"], answer["answered"] - spawned)


def _compile(app_root: Path) -> None:
    """Bytecode first, as server.compile_bytecode does for gunicorn (see there why)."""
    targets = [app_root / "gapfind", app_root / "config.py", app_root / f"{GAPFIND_MODULE}.py"]
    targets.append(BENCH_ROOT / "bench" / "lambda_floor.py")
    for target in targets:
        compile_one = compileall.compile_dir if target.is_dir() else compileall.compile_file
        if not compile_one(target, quiet=1):
            raise BenchError(f"could not compile {target}")


def format_lines(result: dict[str, Any]) -> list[str]:
    """The report's rows, in the style of report._process_lines."""
    verdict = {True: "met", False: "NOT MET", None: "-"}[result["met"]]
    target = f"<= {result['target_ratio']:g}x floor"
    return [
        f"{'Lambda import to first answer (GET /health), ms':<50} {result['gapfind_ms']:>9.0f} "
        f"{result['floor_ms']:>9.0f} {target:>16} {verdict:>8}   (ratio {result['ratio']:.2f},"
        f" {result['ratio_min']:.2f}-{result['ratio_max']:.2f} over {result['pairs']})",
        f"{'  same, from the interpreter start, ms':<50} {result['gapfind_process_ms']:>9.0f} "
        f"{result['floor_process_ms']:>9.0f} {'':>16} {'':>8}   (ratio "
        f"{result['process_ratio']:.2f})",
    ]


if __name__ == "__main__":  # python -m bench.cold_start [--quick]: this measurement alone
    outcome = measure(BENCH_ROOT, "--quick" in sys.argv, lambda line: print(line, file=sys.stderr))
    print("\n".join(format_lines(outcome)))
