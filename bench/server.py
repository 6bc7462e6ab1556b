"""Starting and stopping gunicorn (one sync worker on a loopback port) and the migrations."""

from __future__ import annotations

import compileall
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from bench import procfs
from bench.client import HOST, REAL_IP_HEADER, Request, Response, send
from bench.errors import BenchError

POLL_SECONDS = 0.005
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0


def venv_command(name: str) -> list[str]:
    """``<venv>/bin/<name>`` next to this interpreter, or ``python -m <name>`` if absent."""
    script = Path(sys.executable).parent / name
    return [str(script)] if script.exists() else [sys.executable, "-m", name]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


#: Per client address and endpoint (RATELIMIT_DEFAULT), and per client for the writes
#: (RATELIMIT_WRITES, shared by POST /manual, PUT and DELETE /users/<name>).
DEFAULT_LIMIT_PER_MINUTE = 1000
WRITES_LIMIT_PER_HOUR = 1000
#: GapFind's default RATELIMIT_STRATEGY (config.py), named so the report can show it.
STRATEGY = "sliding-window-counter"


def app_env(db_path: Path) -> dict[str, str]:
    """The environment GapFind runs with: production config, a fresh SQLite file, and the rate
    limiter ON as deployed (memory storage, sliding window counter), so its cost is measured.

    Production-like, as on PythonAnywhere: the app takes the client address from X-Real-IP
    (REAL_IP_HEADER), and every request the benchmark sends carries one, drawn round-robin from
    a pool of N addresses (``--clients``, default 512), like a real site where many students each
    send a few requests. From one address, one client's window would count every request of the
    benchmark (with RATELIMIT_STRATEGY=moving-window, thousands to tens of thousands of entries
    per endpoint): a state no deployment has, whose CPU and RSS cost would land in every number.

    The limits are realistic but never reached; a 429 fails the run like any other non-2xx, so
    one means this arithmetic broke. Every repetition starts a fresh gunicorn, so its memory://
    windows start empty. Round-robin gives one client at most ceil(n / N) of a phase's n
    requests (a phase: a workload's warm-up, its sequential requests, its wrk run, a check).

    * 1000 per minute per client and endpoint. The busiest endpoint is POST /results (W1, W2
      and W2b): ~4200-5700 requests in ~15 s per repetition on the 2-vCPU VM of bench/README.md,
      at most 21 per client for N = 512. One sync worker serves every request in turn, so 1000
      per client to one endpoint in a minute means N * 1000 / 60 = 8500 req/s: ~20x what that
      machine serves on /results under wrk and ~5x the floor app's own rate.
    * 1000 per hour per client for writes (and 1000 per minute for POST /manual): the 150 users
      seeded, one check and W4 (warm-up, sequential, wrk) are ~750-1150 writes per repetition,
      at most 6 per client, 17 over a default run even if the windows never reset.
    """
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"sqlite:///{db_path}",
        GAPFIND_CONFIG="production",
        RATELIMIT_ENABLED="true",
        RATELIMIT_STORAGE_URI="memory://",
        RATELIMIT_STRATEGY=STRATEGY,
        RATELIMIT_DEFAULT=f"{DEFAULT_LIMIT_PER_MINUTE} per minute",
        RATELIMIT_WRITES=f"{WRITES_LIMIT_PER_HOUR} per hour",
        REAL_IP_HEADER=REAL_IP_HEADER,
        TRUSTED_PROXY_HOPS="0",
        PYTHONUNBUFFERED="1",
    )
    return env


def compile_bytecode(app_root: Path, bench_package: Path) -> None:
    """Write the .pyc files of both apps, as a deployed app has them after its first start.

    Start-up is timed from Popen; with PYTHONDONTWRITEBYTECODE set (CI images often set it) every
    start would compile GapFind's modules from source again (~40 ms here) and time that instead
    of the start of a deployed app. compileall writes the files whatever that variable says.
    """
    targets = [app_root / "gapfind", app_root / "config.py", app_root / "wsgi.py", bench_package]
    for target in targets:
        done = (
            compileall.compile_dir(target, quiet=1)
            if target.is_dir()
            else compileall.compile_file(target, quiet=1)
        )
        if not done:
            raise BenchError(f"could not compile {target}")


def run_migrations(app_root: Path, env: Mapping[str, str]) -> None:
    """``flask --app wsgi db upgrade`` in ``app_root``."""
    cmd = [*venv_command("flask"), "--app", "wsgi", "db", "upgrade"]
    try:
        done = subprocess.run(
            cmd, cwd=app_root, env=dict(env), capture_output=True, text=True, timeout=120
        )
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"`{' '.join(cmd)}` did not finish in 120 s") from exc
    except OSError as exc:
        raise BenchError(f"cannot run `{' '.join(cmd)}` in {app_root}: {exc}") from exc
    if done.returncode != 0:
        raise BenchError(
            f"`{' '.join(cmd)}` failed ({done.returncode}) in {app_root}:\n"
            f"{done.stdout[-2000:]}{done.stderr[-4000:]}"
        )


@dataclass
class Server:
    """A running gunicorn master with its single worker."""

    name: str
    proc: subprocess.Popen[bytes]
    port: int
    log_path: Path
    started_at: float
    startup_seconds: float = 0.0
    worker_pid: int = 0
    worker_start: int = 0
    log_file: IO[bytes] | None = field(default=None, repr=False)

    def log_tail(self, limit: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-limit:]
        except OSError:
            return "(no log)"

    def check_alive(self) -> None:
        """Raise unless the master runs and its worker is still the one we measure."""
        if self.proc.poll() is not None:
            raise BenchError(
                f"{self.name} gunicorn exited ({self.proc.returncode}):\n{self.log_tail()}"
            )
        if self.worker_pid and procfs.children(self.proc.pid) != [self.worker_pid]:
            raise BenchError(
                f"{self.name} worker {self.worker_pid} was replaced:\n{self.log_tail()}"
            )


def start_gunicorn(
    name: str, app: str, cwd: Path, env: Mapping[str, str], log_path: Path, probe: Request
) -> Server:
    """Start ``gunicorn app``; return once ``probe`` got a 200 (timed from Popen)."""
    port = free_port()
    cmd = [
        *venv_command("gunicorn"),
        *("--workers", "1", "--worker-class", "sync", "--bind", f"{HOST}:{port}"),
        # gunicorn >= 24 binds a control socket at ~/.gunicorn/gunicorn.ctl by default: one
        # path shared by every master on the machine (the floor and GapFind run together).
        "--no-control-socket",
        *("--error-logfile", "-"),
        app,
    ]
    log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
    started_at = time.perf_counter()
    try:
        proc = subprocess.Popen(cmd, cwd=cwd, env=dict(env), stdout=log, stderr=subprocess.STDOUT)
    except OSError as exc:
        log.close()
        raise BenchError(f"cannot start `{' '.join(cmd)}` in {cwd}: {exc}") from exc
    server = Server(name, proc, port, log_path, started_at, log_file=log)
    try:
        server.startup_seconds = _wait_ready(server, probe) - started_at
        server.worker_pid = _find_worker(server)
        server.worker_start = procfs.start_time(server.worker_pid)
    except BaseException:
        stop(server)
        raise
    return server


def _wait_ready(server: Server, probe: Request) -> float:
    """Poll ``probe`` every 5 ms until it returns 200; return the perf_counter time it did."""
    deadline = server.started_at + START_TIMEOUT
    last: Response | OSError | None = None
    while time.perf_counter() < deadline:
        if server.proc.poll() is not None:
            break
        try:
            last = send(server.port, probe, timeout=START_TIMEOUT)
        except OSError as exc:  # refused until the master has bound the port
            last = exc
        else:
            if last.status == 200:
                return time.perf_counter()
        time.sleep(POLL_SECONDS)
    seen = f"{last.status} {last.snippet()}" if isinstance(last, Response) else repr(last)
    raise BenchError(
        f"{server.name} did not answer {probe.describe()} with 200 (last: {seen}):\n"
        f"{server.log_tail()}"
    )


def _find_worker(server: Server) -> int:
    deadline = time.perf_counter() + 5.0
    while time.perf_counter() < deadline:
        kids = procfs.children(server.proc.pid)
        if len(kids) == 1:
            return kids[0]
        time.sleep(POLL_SECONDS)
    raise BenchError(f"{server.name}: expected one gunicorn worker, found {kids}")


def stop(server: Server) -> None:
    """SIGTERM the master (it stops its worker), SIGKILL it if it takes too long."""
    proc = server.proc
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(STOP_TIMEOUT)
            _kill_orphaned_worker(server)
    if server.log_file is not None:
        server.log_file.close()


def _kill_orphaned_worker(server: Server) -> None:
    """After SIGKILLing the master, kill its worker by pid if it is still that same process."""
    if not server.worker_pid:
        return
    try:
        if procfs.start_time(server.worker_pid) == server.worker_start:
            os.kill(server.worker_pid, signal.SIGKILL)
    except (OSError, ValueError):
        pass
