"""The serving setups the README documents, started for real: `make run`, and the scale-out
recipe's gunicorn behind nginx with deploy/nginx/gapfind.conf.

Each process leads its own session (process group) and is stopped with its whole group, so
make's children and gunicorn's workers go too. Waits are bounded; a server that does not come
up raises with the tail of its log.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.serving.slowclients import request
from tests.support.servers import REQUIRE_SERVICES_ENV, ServiceUnavailable, free_port

REPO = Path(__file__).resolve().parents[2]
NGINX_SITE = REPO / "deploy" / "nginx" / "gapfind.conf"
GUNICORN_CONF = REPO / "deploy" / "gunicorn.conf.py"
START_TIMEOUT = 90.0  # `make run` migrates first
STOP_TIMEOUT = 10.0

#: The settings a served test app must not inherit from the test process (conftest.py sets
#: GAPFIND_CONFIG=testing) or from a developer's shell.
CLEARED_ENV = (
    "GAPFIND_CONFIG",
    "DATABASE_URL",
    "TEST_DATABASE_URL",
    "RATELIMIT_ENABLED",
    "RATELIMIT_DEFAULT",
    "RATELIMIT_WRITES",
    "RATELIMIT_STORAGE_URI",
    "RATELIMIT_STRATEGY",
    "REAL_IP_HEADER",
    "TRUSTED_PROXY_HOPS",
    "LOG_LEVEL",
    "MAKEFLAGS",
    "MFLAGS",
)


def production_env(**settings: str) -> dict[str, str]:
    """os.environ without GapFind's settings, so the production defaults apply as on a new
    operator's machine, plus `settings`."""
    env = {key: value for key, value in os.environ.items() if key not in CLEARED_ENV}
    return {**env, "GAPFIND_CONFIG": "production", **settings}


def migrate(env: Mapping[str, str]) -> None:
    """`flask --app wsgi db upgrade`, as the README's recipes run it before serving."""
    flask = Path(sys.executable).parent / "flask"
    result = subprocess.run(
        [str(flask), "--app", "wsgi", "db", "upgrade"],
        cwd=REPO,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"db upgrade failed:\n{result.stdout}\n{result.stderr}")


@dataclass
class Served:
    """A running setup: the port clients use and the combined stdout+stderr of its processes."""

    port: int
    log_paths: tuple[Path, ...]
    pids: tuple[int, ...]

    def read_log(self) -> str:
        return "".join(
            path.read_text(encoding="utf-8", errors="replace")
            for path in self.log_paths
            if path.exists()
        )

    def wait_for_log(self, needle: str, timeout: float = 15.0) -> str:
        """The log once it contains `needle` (a line may follow its response); bounded."""
        deadline = time.monotonic() + timeout
        while True:
            log = self.read_log()
            if needle in log or time.monotonic() >= deadline:
                return log
            time.sleep(0.05)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group, SIGKILL it if it lingers."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        pass
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(STOP_TIMEOUT)


@contextlib.contextmanager
def group_process(
    argv: Sequence[str],
    log_path: Path,
    *,
    env: Mapping[str, str],
    ready_port: int,
    ready_path: str = "/health",
) -> Iterator[subprocess.Popen[bytes]]:
    """Run `argv` in its own session until the context exits, once `ready_path` on
    `ready_port` answers 200."""
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            list(argv),
            cwd=REPO,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while request(ready_port, "GET", ready_path, timeout=2).status != 200:
            if proc.poll() is not None or time.monotonic() >= deadline:
                tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-30:])
                raise RuntimeError(f"{argv[0]} did not come up (exit {proc.poll()}):\n{tail}")
            time.sleep(0.1)
        yield proc
    finally:
        _stop(proc)


def venv_dir() -> Path:
    """The virtualenv running the tests: `make run VENV=...` serves from it."""
    return Path(sys.executable).parent.parent


@contextlib.contextmanager
def make_run(env: Mapping[str, str], directory: Path, *make_vars: str) -> Iterator[Served]:
    """The README's `make run`, on a free port of 127.0.0.1, from this test's virtualenv.

    `-o <venv>/.installed` tells make to take the install stamp as up to date: make must not
    reinstall the shared virtualenv because a requirements file is newer than its stamp."""
    port = free_port()
    venv = venv_dir()
    argv = [
        "make",
        "--no-print-directory",
        "-C",
        str(REPO),
        "-o",
        str(venv / ".installed"),
        "run",
        "HOST=127.0.0.1",
        f"PORT={port}",
        f"VENV={venv}",
        *make_vars,
    ]
    if shutil.which("make") is None:
        raise ServiceUnavailable("make is not installed")
    log_path = directory / "make-run.log"
    with group_process(argv, log_path, env=env, ready_port=port) as proc:
        yield Served(port, (log_path,), (proc.pid,))


def nginx_binary() -> str:
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
    )
    if found is None:
        raise ServiceUnavailable("nginx is not installed (run .ci/install-services as root)")
    return found


#: The main configuration around the shipped site file: what /etc/nginx/nginx.conf provides
#: on a host, with every path in the test's own prefix (so no root is needed).
NGINX_MAIN = """daemon off;
{user}
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 2048; }}
http {{
    # As Debian's nginx.conf: every site logs here unless it says otherwise.
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    include {site};
}}
"""


def nginx_config(directory: Path, listen: int, upstream: int) -> Path:
    """deploy/nginx/gapfind.conf with only its two addresses changed (listen, upstream),
    inside a main configuration rooted in `directory`."""
    text = NGINX_SITE.read_text()
    for old, new in (
        ("listen 80;", f"listen 127.0.0.1:{listen};"),
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream};"),
    ):
        if text.count(old) != 1:
            raise AssertionError(f"{NGINX_SITE} must contain {old!r} exactly once")
        text = text.replace(old, new)
    site = directory / "gapfind.conf"
    site.write_text(text)
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (directory / sub).mkdir(exist_ok=True)
    # As root, nginx's workers would switch to "nobody", who cannot write the temp dirs.
    user = "user root root;" if os.geteuid() == 0 else ""
    main = directory / "nginx.conf"
    main.write_text(NGINX_MAIN.format(prefix=directory, site=site, user=user))
    return main


@contextlib.contextmanager
def scale_out(env: Mapping[str, str], directory: Path, *, workers: int = 2) -> Iterator[Served]:
    """README "Scaling out": gunicorn with deploy/gunicorn.conf.py, nginx in front with
    deploy/nginx/gapfind.conf. Clients talk to nginx's port; the log is gunicorn's output and
    nginx's error and access logs."""
    nginx = nginx_binary()
    upstream, listen = free_port(), free_port()
    log_path = directory / "scale-out.log"
    gunicorn = [
        str(Path(sys.executable).parent / "gunicorn"),
        "--config",
        str(GUNICORN_CONF),
        "--bind",
        f"127.0.0.1:{upstream}",
        "--workers",
        str(workers),
        "wsgi:application",
    ]
    conf = nginx_config(directory, listen, upstream)
    nginx_argv = [nginx, "-p", str(directory), "-e", str(directory / "error.log"), "-c", str(conf)]
    with (
        group_process(gunicorn, log_path, env=env, ready_port=upstream) as app,
        group_process(nginx_argv, log_path, env=env, ready_port=listen) as front,
    ):
        logs = (log_path, directory / "error.log", directory / "access.log")
        yield Served(listen, logs, (app.pid, front.pid))


def skip_or_fail(reason: str) -> None:
    """Skip on a developer machine without the program; fail in CI, where it must exist."""
    if os.environ.get(REQUIRE_SERVICES_ENV) == "1":
        pytest.fail(f"required service unavailable: {reason}")
    pytest.skip(f"service unavailable: {reason}")


@contextlib.contextmanager
def available(manager: contextlib.AbstractContextManager[Served]) -> Iterator[Served]:
    """Enter a setup's context, turning a missing program (make, nginx) into skip or fail."""
    try:
        served = manager.__enter__()
    except ServiceUnavailable as error:
        skip_or_fail(str(error))
        raise
    try:
        yield served
    finally:
        manager.__exit__(None, None, None)
