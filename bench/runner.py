"""One repetition: fresh database, both servers, seed, verify, measure every workload, stop."""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from bench import data, load, procfs, server
from bench.client import DEFAULT_CLIENTS, ClientPool, Request, send_expect
from bench.errors import BenchError
from bench.measure import CpuPlan, CpuSample, measure_cpu
from bench.workloads import FLOOR, Workload, build, floor_workload

BENCH_ROOT = Path(__file__).resolve().parent.parent
FLOOR_APP = "bench.floor_app:application"
GAPFIND_APP = "wsgi:application"
#: Two addresses outside every client pool (which ends before 10.2.0.0), for the limiter check.
PROBE_ADDRESSES = ("10.255.255.1", "10.255.255.2")

Log = Callable[[str], None]


def stderr_log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Settings:
    keys: tuple[str, ...]
    repetitions: int
    cpu: CpuPlan
    load_seconds: int
    connections: int
    wrk: str | None
    app_root: Path
    clients: int = DEFAULT_CLIENTS
    quick: bool = False
    keep_temp: bool = False


@dataclass(frozen=True)
class WorkloadResult:
    cpu: CpuSample
    load: load.LoadResult


@dataclass
class Repetition:
    results: dict[str, WorkloadResult] = field(default_factory=dict)
    #: The floor measured again right before each workload: its ratio's baseline (see README).
    paired_floor: dict[str, CpuSample] = field(default_factory=dict)
    rss_bytes: dict[str, int] = field(default_factory=dict)
    startup_seconds: dict[str, float] = field(default_factory=dict)


def run(settings: Settings, dataset: data.Dataset, log: Log = stderr_log) -> list[Repetition]:
    """Run ``settings.repetitions`` independent repetitions."""
    server.compile_bytecode(settings.app_root, BENCH_ROOT / "bench")
    return [run_repetition(settings, dataset, i, log) for i in range(1, settings.repetitions + 1)]


def run_repetition(settings: Settings, dataset: data.Dataset, index: int, log: Log) -> Repetition:
    tmp = Path(tempfile.mkdtemp(prefix=f"gapfind-bench-{index}-"))
    tag = f"[{index}/{settings.repetitions}]"
    pool = ClientPool(settings.clients)  # the same addresses in the same order every repetition
    try:
        db_path = tmp / "bench.db"
        env = server.app_env(db_path)
        log(f"{tag} migrating {db_path} and bulk-seeding {len(dataset.bulk_users)} users")
        server.run_migrations(settings.app_root, env)
        data.seed_bulk(db_path, dataset.bulk_users, dataset.schedules)
        with ExitStack() as stack:
            probe = pool.stamp(Request("GET", "/"))
            floor = server.start_gunicorn(
                FLOOR, FLOOR_APP, BENCH_ROOT, env, tmp / "floor.log", probe
            )
            stack.callback(server.stop, floor)
            probe = pool.stamp(Request("GET", "/health"))
            app = server.start_gunicorn(
                "GapFind", GAPFIND_APP, settings.app_root, env, tmp / "gapfind.log", probe
            )
            stack.callback(server.stop, app)
            log(
                f"{tag} first response: floor {floor.startup_seconds * 1000:.0f} ms, "
                f"GapFind {app.startup_seconds * 1000:.0f} ms"
            )
            return _measure_all(settings, dataset, pool, floor, app, tmp, tag, log)
    finally:
        if settings.keep_temp:
            log(f"{tag} kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def seed_users(port: int, dataset: data.Dataset, pool: ClientPool) -> None:
    """Register the benchmark users through the public API (201 each), from the pool's clients."""
    for name in dataset.users:
        body = data.manual_body(name, dataset.schedules[name])
        request = Request("POST", "/manual", body, "application/json", pool.next_address())
        send_expect(port, request, 201)


def check_limiter_keying(port: int, dataset: data.Dataset) -> None:
    """GapFind's limiter must be on, with the bench's default limit, and count each X-Real-IP
    address in a window of its own: a fresh address's first request leaves limit - 1, whatever
    other addresses sent. (Keyed by the socket address, the second probe would see less.)"""
    limit = server.DEFAULT_LIMIT_PER_MINUTE
    path = f"/users/{quote(dataset.users[0])}"
    for address in PROBE_ADDRESSES:
        request = Request("GET", path, client_ip=address)
        response = send_expect(port, request, 200)
        got = (response.header("X-RateLimit-Limit"), response.header("X-RateLimit-Remaining"))
        if got != (str(limit), str(limit - 1)):
            raise BenchError(
                f"{request.describe()}: X-RateLimit-Limit/-Remaining {got}, expected "
                f"{(str(limit), str(limit - 1))}: GapFind does not rate-limit per X-Real-IP "
                "address with the benchmark's limits (see bench/server.py app_env)"
            )


def _measure_all(
    settings: Settings,
    dataset: data.Dataset,
    pool: ClientPool,
    floor: server.Server,
    app: server.Server,
    tmp: Path,
    tag: str,
    log: Log,
) -> Repetition:
    seed_users(app.port, dataset, pool)
    floor_wl = floor_workload(dataset, pool)
    workloads = build(dataset, pool)
    floor_wl.check(floor.port)
    for key in settings.keys:
        workloads[key].check(app.port)
    log(f"{tag} answers match gapfind.core for {', '.join(settings.keys)}")
    check_limiter_keying(app.port, dataset)
    rep = Repetition()
    rep.results[FLOOR] = _measure_one(settings, floor, floor_wl, tmp)
    _log_result(tag, FLOOR, rep.results[FLOOR], log)
    for key in settings.keys:
        # This shared machine speeds up and slows down by 20 % over minutes: each workload's
        # ratio is taken against the floor measured just before it, not minutes earlier.
        paired = measure_cpu(floor.port, floor.worker_pid, floor_wl, settings.cpu)
        rep.paired_floor[key] = paired
        rep.results[key] = _measure_one(settings, app, workloads[key], tmp)
        _log_result(tag, key, rep.results[key], log, paired)
    for srv in (floor, app):
        srv.check_alive()
    rep.rss_bytes = {
        FLOOR: procfs.rss_bytes(floor.worker_pid),
        "gapfind": procfs.rss_bytes(app.worker_pid),
    }
    rep.startup_seconds = {FLOOR: floor.startup_seconds, "gapfind": app.startup_seconds}
    return rep


def _measure_one(
    settings: Settings, srv: server.Server, workload: Workload, tmp: Path
) -> WorkloadResult:
    cpu = measure_cpu(srv.port, srv.worker_pid, workload, settings.cpu)
    srv.check_alive()
    if settings.wrk:
        workdir = tmp / f"wrk-{workload.key}"
        workdir.mkdir()
        script = workload.wrk_script(workdir)
        result = load.run_wrk(
            srv.port, script, workdir, settings.load_seconds, settings.connections, settings.wrk
        )
    else:
        result = load.run_threaded(
            srv.port,
            workload.next_request,
            workload.status,
            settings.load_seconds,
            settings.connections,
        )
    srv.check_alive()
    if result.requests == 0:
        raise BenchError(f"{workload.key}: no request completed under concurrent load")
    return WorkloadResult(cpu, result)


def _log_result(
    tag: str, key: str, result: WorkloadResult, log: Log, paired: CpuSample | None = None
) -> None:
    cpu, lr = result.cpu, result.load
    floor = f" (floor just before: {paired.cpu_ms_per_request:.3f})" if paired else ""
    log(
        f"{tag} {key:<5} {cpu.requests:>5} req in {cpu.wall_seconds:4.1f} s, "
        f"{cpu.cpu_ms_per_request:7.3f} CPU ms/req{floor} | {lr.tool} "
        f"{lr.requests_per_second:7.1f} req/s p50 {lr.p50_ms:.1f} ms p99 {lr.p99_ms:.1f} ms"
        + (f" ({lr.socket_errors} socket errors)" if lr.socket_errors else "")
    )
