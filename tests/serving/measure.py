"""Measure serving setups under slow clients: `python -m tests.serving.measure [setup ...]`.

For each setup: start it on a fresh SQLite database (production settings, rate limits off so
the probe is never refused), time normal requests (POST /manual then GET /users/<name>, from
two client threads) for --seconds alone, then again while --idle/--headers/--body slow clients
hold connections open; print p50/p99, failures (no answer within --timeout), the server
processes' CPU per probe request and their RSS. The figures in README "Serving: slow clients,
limits, logs" came from this script. Loopback only; every phase is bounded in time.

Setups: `make-run` (deploy/serve.py: waitress as `make run` starts it), `scale-out` (gunicorn
with deploy/gunicorn.conf.py, 2 workers, behind nginx with deploy/nginx/gapfind.conf), and the
alternatives weighed: `gthread-1x4` (`make run` before issue 9), `gthread-1x32`,
`waitress-defaults`, `gevent-1` (needs gevent importable: --pythonpath DIR).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from tests.serving.servers import group_process, migrate, production_env, scale_out
from tests.serving.slowclients import SlowClients, cpu_seconds, probe, process_tree, rss_mb
from tests.support.servers import free_port

BIN = Path(sys.executable).parent


def gunicorn(port: int, kind: str, threads: int = 4) -> list[str]:
    argv = [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--no-control-socket"]
    if kind == "gthread":
        argv += ["--worker-class", "gthread", "--threads", str(threads)]
    else:
        argv += ["--worker-class", kind, "--worker-connections", "1000"]
    return [*argv, "wsgi:application"]


COMMANDS = {
    "make-run": lambda port: [sys.executable, "-m", "deploy.serve", "--port", str(port)],
    "gthread-1x4": lambda port: gunicorn(port, "gthread"),
    "gthread-1x32": lambda port: gunicorn(port, "gthread", threads=32),
    "gevent-1": lambda port: gunicorn(port, "gevent"),
    "waitress-defaults": lambda port: [
        str(BIN / "waitress-serve"),
        f"--listen=127.0.0.1:{port}",
        "wsgi:application",
    ],
}
SETUPS = [*COMMANDS, "scale-out"]


@contextlib.contextmanager
def started(name: str, env: dict[str, str], directory: Path) -> Iterator[tuple[int, list[int]]]:
    """(port, root pids) of a running setup."""
    if name == "scale-out":
        with scale_out(env, directory) as served:
            yield served.port, list(served.pids)
        return
    port = free_port()
    log = directory / "server.log"
    with group_process(COMMANDS[name](port), log, env=env, ready_port=port) as proc:
        yield port, [proc.pid]


def measure(name: str, args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="gapfind-measure-") as tmp:
        directory = Path(tmp)
        env = production_env(
            DATABASE_URL=f"sqlite:///{directory / 'gapfind.sqlite'}", RATELIMIT_ENABLED="false"
        )
        if args.pythonpath:
            env["PYTHONPATH"] = args.pythonpath
        migrate(env)
        with started(name, env, directory) as (port, roots):
            probe(port, 2, timeout=args.timeout, prefix="warm")  # warm-up, not reported

            def pids() -> list[int]:
                return [pid for root in roots for pid in process_tree(root)]

            cpu = cpu_seconds(pids())
            alone = probe(port, args.seconds, timeout=args.timeout, prefix="alone")
            cpu_alone = (cpu_seconds(pids()) - cpu) / max(1, len(alone.exchanges)) * 1000
            rss_alone = rss_mb(pids())
            counts = {"idle": args.idle, "headers": args.headers, "body": args.body}
            with SlowClients(port, counts, interval=args.interval) as slow:
                cpu = cpu_seconds(pids())
                loaded = probe(port, args.seconds, timeout=args.timeout, prefix="loaded")
                cpu_loaded = (cpu_seconds(pids()) - cpu) / max(1, len(loaded.exchanges)) * 1000
                rss_loaded = rss_mb(pids())
                held = slow.still_open()
        print(f"== {name}")
        print(f"   alone : {alone.summary()}; CPU {cpu_alone:.2f} ms/req; RSS {rss_alone:.1f} MB")
        print(f"   slow  : {counts}, refused {slow.refused}, still open at the end {held}")
        print(
            f"   loaded: {loaded.summary()}; CPU {cpu_loaded:.2f} ms/req; RSS {rss_loaded:.1f} MB"
        )
        errors = [e.error for e in loaded.failures][:2]
        if errors:
            print(f"   first failures: {errors}")
        sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("setups", nargs="*", default=SETUPS, help=", ".join(SETUPS))
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--idle", type=int, default=150)
    parser.add_argument("--headers", type=int, default=150)
    parser.add_argument("--body", type=int, default=100)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--pythonpath", default="", help="PYTHONPATH for the server (gevent)")
    args = parser.parse_args()
    for name in args.setups:
        measure(name, args)
        time.sleep(1)


if __name__ == "__main__":
    main()
