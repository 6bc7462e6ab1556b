"""``python -m bench``: the GapFind HTTP benchmark (a report; exit 1 only when something broke)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from bench import cold_start, data, load, report, runner
from bench.client import DEFAULT_CLIENTS, MAX_CLIENTS, ClientPool
from bench.errors import BenchError
from bench.measure import CpuPlan
from bench.workloads import build

WORKLOAD_KEYS = ("W1", "W2", "W2b", "W3", "W4", "W5", "W6", "W7", "W8", "W9", "W10")


def parse_workloads(text: str) -> tuple[str, ...]:
    """``"w1,W5"`` -> ``("W1", "W5")`` in report order; unknown names are an error."""
    by_lower = {key.lower(): key for key in WORKLOAD_KEYS}
    wanted = {part.strip().lower() for part in text.split(",") if part.strip()}
    unknown = sorted(wanted - by_lower.keys())
    if unknown or not wanted:
        raise argparse.ArgumentTypeError(
            f"unknown workload(s) {', '.join(unknown) or '(none)'}; "
            f"choose from {','.join(WORKLOAD_KEYS)}"
        )
    return tuple(key for key in WORKLOAD_KEYS if key.lower() in wanted)


def _positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be > 0")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be > 0")
    return value


def _client_count(text: str) -> int:
    value = int(text)
    if not 1 <= value <= MAX_CLIENTS:
        raise argparse.ArgumentTypeError(f"must be 1 to {MAX_CLIENTS}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=(
            "Benchmark GapFind under gunicorn (1 sync worker, fresh SQLite) against a minimal "
            "Flask floor app: worker CPU ms/request and its ratio to the floor, req/s and "
            "p50/p99 under wrk, worker RSS and start-up time. Exit 0 even when targets are "
            "missed; 1 when something broke (wrong answer, non-2xx response)."
        ),
    )
    add = parser.add_argument
    add(
        "--duration",
        type=_positive_float,
        default=2.0,
        help="seconds of sequential requests per workload for the CPU measurement (default 2)",
    )
    add(
        "--min-requests",
        type=_positive_int,
        default=200,
        help="at least this many sequential requests, unless the worker already used 2 s of CPU "
        "(default 200)",
    )
    add(
        "--max-seconds",
        type=_positive_float,
        default=60.0,
        help="hard cap on one workload's sequential phase (default 60)",
    )
    add("--repetitions", type=_positive_int, default=3, help="whole-run repetitions (default 3)")
    add(
        "--load-seconds",
        type=_positive_int,
        default=3,
        help="wrk duration per workload, whole seconds (default 3)",
    )
    add(
        "--connections",
        type=_positive_int,
        default=4,
        help="concurrent connections for the load phase (default 4)",
    )
    add(
        "--clients",
        type=_client_count,
        default=DEFAULT_CLIENTS,
        metavar="N",
        help="client addresses the requests come from, round-robin, as X-Real-IP (10.0.0.1, "
        f"10.0.0.2, ...); GapFind rate-limits each one on its own (default {DEFAULT_CLIENTS})",
    )
    add(
        "--workloads",
        type=parse_workloads,
        default=WORKLOAD_KEYS,
        help=f"comma-separated subset of {','.join(WORKLOAD_KEYS)} (default all)",
    )
    add(
        "--quick",
        action="store_true",
        help="CI smoke run: 1 repetition, few requests, 1 s of load, targets not judged "
        "(overrides --duration, --min-requests, --repetitions and --load-seconds)",
    )
    add("--json", type=Path, metavar="FILE", help="also write machine-readable results to FILE")
    add("--no-wrk", action="store_true", help="use the threaded Python load client, not wrk")
    add(
        "--app-root",
        type=Path,
        default=runner.BENCH_ROOT,
        help="directory with wsgi.py, migrations/ and gapfind/ (default: this repository)",
    )
    add("--keep-temp", action="store_true", help="keep the temp dir (database, server logs)")
    return parser


def settings_from(args: argparse.Namespace) -> runner.Settings:
    if args.quick:
        cpu = CpuPlan(
            duration=0.2, min_requests=10, max_seconds=10.0, max_requests=200, warmup_requests=2
        )
        reps, load_seconds = 1, 1
    else:
        cpu = CpuPlan(
            duration=args.duration,
            min_requests=args.min_requests,
            max_seconds=args.max_seconds,
            max_requests=1_000_000,
            warmup_requests=10,
        )
        reps, load_seconds = args.repetitions, args.load_seconds
    return runner.Settings(
        keys=tuple(args.workloads),
        repetitions=reps,
        cpu=cpu,
        load_seconds=load_seconds,
        connections=args.connections,
        wrk=None if args.no_wrk else load.wrk_path(),
        app_root=args.app_root.resolve(),
        clients=args.clients,
        quick=args.quick,
        keep_temp=args.keep_temp,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = settings_from(args)
    if not (settings.app_root / "wsgi.py").is_file():
        print(f"BENCHMARK BROKEN: no wsgi.py in {settings.app_root}", file=sys.stderr)
        return 1
    app_root = str(settings.app_root)
    if app_root not in sys.path:
        sys.path.insert(0, app_root)  # so the answer checks import this app's gapfind.core
    if settings.wrk is None and not args.no_wrk:
        runner.stderr_log("wrk not found: using the threaded Python load client")
    try:
        dataset = data.build_dataset()
        reps = runner.run(settings, dataset)
        cold = cold_start.measure(settings.app_root, settings.quick, runner.stderr_log)
    except (BenchError, OSError) as exc:
        print(f"\nBENCHMARK BROKEN: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    summary = report.summarize(reps, settings, build(dataset, ClientPool(settings.clients)))
    print()
    summary["lambda_cold_start"] = cold
    print(report.format_table(summary))
    print("\n".join(cold_start.format_lines(cold)))
    if args.json:
        report.write_json(args.json, summary)
        print(f"\nJSON results: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
