"""``python -m bench.core_bench``: in-process timeit of the pure core, best of several repeats.

Same data as the HTTP benchmark (bench.data): find_gaps over the first 30 users with compute_sd and
no_classes_day (W2's computation), weekday_availability over the 5000 bulk users (W6's).
"""

from __future__ import annotations

import argparse
import sys
import timeit
from collections.abc import Callable, Sequence
from pathlib import Path

from bench import data


def best_us_per_call(func: Callable[[], object], repeat: int, min_seconds: float) -> float:
    """Best per-call time in µs over ``repeat`` timings of enough calls to last ``min_seconds``."""
    timer = timeit.Timer(func)
    number = 1
    while timer.timeit(number) < min_seconds:
        number *= 2
    return min(timer.repeat(repeat=repeat, number=number)) / number * 1e6


def cases(dataset: data.Dataset) -> dict[str, Callable[[], object]]:
    """The micro-benchmarks, by label."""
    from gapfind.core.availability import weekday_availability
    from gapfind.core.gaps import GapOptions, find_gaps

    thirty = dataset.schedules_of(dataset.users[:30])
    bulk = dataset.schedules_of(dataset.bulk_users)
    options = GapOptions(compute_sd=True, no_classes_day=True)
    return {
        "find_gaps, 30 users, compute_sd + no_classes_day": lambda: find_gaps(thirty, options),
        f"weekday_availability, {len(bulk)} users": lambda: weekday_availability(bulk),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.core_bench", description=__doc__)
    parser.add_argument("--repeat", type=int, default=7, help="timings per case (default 7)")
    parser.add_argument(
        "--min-seconds", type=float, default=0.2, help="minimum length of one timing (default 0.2)"
    )
    parser.add_argument(
        "--app-root",
        type=Path,
        default=Path(__file__).resolve().parent.parent,
        help="directory holding the gapfind package (default: this repository)",
    )
    args = parser.parse_args(argv)
    sys.path.insert(0, str(args.app_root.resolve()))
    try:
        benchmarks = cases(data.build_dataset())
    except ImportError as exc:
        print(f"cannot import gapfind.core: {exc}", file=sys.stderr)
        return 1
    print(f"best of {args.repeat} timings, µs per call (Python {sys.version.split()[0]})")
    for label, func in benchmarks.items():
        us = best_us_per_call(func, args.repeat, args.min_seconds)
        print(f"{us:12.1f} µs  {label}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
