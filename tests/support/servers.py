"""Start real redis-server, PostgreSQL and gunicorn processes for the tests.

Every server runs in a temporary directory, listens on a free port on 127.0.0.1
only, and is killed when its context manager exits. Each wait is bounded in
time; a server that does not come up raises ``ServerStartError`` with the tail
of its log. A missing binary raises ``ServiceUnavailable`` so the caller can
skip (developer machine) or fail (CI, ``GAPFIND_REQUIRE_SERVICES=1``).

PostgreSQL's ``initdb`` refuses to run as root, so when the effective uid is 0
the PostgreSQL programs run as the ``postgres`` OS user through ``runuser``.
``.ci/install-services`` installs the binaries on Debian/Ubuntu.
"""

from __future__ import annotations

import contextlib
import functools
import glob
import http.client
import importlib.metadata
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from psycopg import sql

__all__ = [
    "REQUIRE_SERVICES_ENV",
    "GunicornServer",
    "PostgresServer",
    "RedisServer",
    "ServerStartError",
    "ServiceUnavailable",
    "free_port",
    "gunicorn_server",
    "postgres_server",
    "redis_server",
]

#: Set to "1" (as CI does) to turn a missing server binary into a failure instead of a skip.
REQUIRE_SERVICES_ENV = "GAPFIND_REQUIRE_SERVICES"

HOST = "127.0.0.1"
REDIS_START_TIMEOUT = 10.0
POSTGRES_INITDB_TIMEOUT = 120.0
POSTGRES_START_TIMEOUT = 30.0
GUNICORN_START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
_PORT_ATTEMPTS = 3
_POLL_INTERVAL = 0.05
_LOG_TAIL_LINES = 40
_DB_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}\Z")


class ServiceUnavailable(RuntimeError):
    """A program needed to start a test server is not installed on this machine."""


class ServerStartError(RuntimeError):
    """A server binary is present but the server did not come up in time."""

    def __init__(self, message: str, *, port_in_use: bool = False) -> None:
        super().__init__(message)
        self.port_in_use = port_in_use


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


# --------------------------------------------------------------------------- processes


def _spawn(
    argv: Sequence[str],
    log_path: Path,
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
) -> subprocess.Popen[bytes]:
    """Start ``argv`` in its own session with stdout and stderr appended to ``log_path``."""
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            start_new_session=True,
        )


def _killpg(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _terminate(
    proc: subprocess.Popen[bytes],
    *,
    sig: signal.Signals = signal.SIGTERM,
    group: bool = False,
    timeout: float = STOP_TIMEOUT,
) -> None:
    """Send ``sig`` to ``proc`` (or its whole process group), SIGKILL the group after
    ``timeout``, reap it. Every process started by ``_spawn`` leads its own group."""
    if proc.poll() is None:
        if group:
            _killpg(proc.pid, sig)
        else:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(sig)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=timeout)
    # Children (gunicorn workers, a postmaster under runuser) share the session's group.
    _killpg(proc.pid, signal.SIGKILL)


def _log_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _tail(path: Path, lines: int = _LOG_TAIL_LINES, *, start: int = 0) -> str:
    """The last ``lines`` lines of ``path`` written after byte offset ``start``."""
    try:
        with open(path, "rb") as log:
            log.seek(start)
            text = log.read().decode("utf-8", errors="replace")
    except OSError as exc:
        return f"<cannot read {path}: {exc}>"
    return "\n".join(text.splitlines()[-lines:]) or "<empty log>"


def _wait_until_ready(
    what: str,
    proc: subprocess.Popen[bytes],
    ready: Callable[[], bool],
    *,
    timeout: float,
    log_path: Path,
    log_start: int,
    port_in_use_markers: Sequence[str],
) -> None:
    """Poll ``ready`` until it returns True; raise ``ServerStartError`` on exit or timeout.

    Only the log written since ``log_start`` (this attempt) is shown and searched.
    """
    deadline = time.monotonic() + timeout
    while True:
        code = proc.poll()
        if code is not None:
            log = _tail(log_path, start=log_start)
            in_use = any(marker in log for marker in port_in_use_markers)
            raise ServerStartError(
                f"{what} exited with status {code} before it was ready.\n"
                f"--- last lines of {log_path} ---\n{log}",
                port_in_use=in_use,
            )
        if ready():
            return
        if time.monotonic() >= deadline:
            _terminate(proc, sig=signal.SIGKILL, timeout=STOP_TIMEOUT)
            raise ServerStartError(
                f"{what} was not ready after {timeout:g} s.\n"
                f"--- last lines of {log_path} ---\n{_tail(log_path, start=log_start)}"
            )
        time.sleep(_POLL_INTERVAL)


def _start_until_ready(
    what: str,
    argv: Sequence[str],
    log_path: Path,
    ready: Callable[[], bool],
    *,
    timeout: float,
    port_in_use_markers: Sequence[str],
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
) -> subprocess.Popen[bytes]:
    """Spawn ``argv`` and wait for ``ready``; on any failure its whole process group is
    stopped before the error (ServerStartError, or an interrupt) propagates."""
    log_start = _log_size(log_path)
    proc = _spawn(argv, log_path, env=env, cwd=cwd)
    try:
        _wait_until_ready(
            what,
            proc,
            ready,
            timeout=timeout,
            log_path=log_path,
            log_start=log_start,
            port_in_use_markers=port_in_use_markers,
        )
    except BaseException:
        _terminate(proc, group=True)
        raise
    return proc


def _which(name: str, *fallback_dirs: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for directory in fallback_dirs:
        candidate = os.path.join(directory, name)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


_SBIN_DIRS = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")


# --------------------------------------------------------------------------- redis


class RedisServer:
    """A redis-server on ``127.0.0.1:port`` without persistence; stop()/start() at will."""

    host = HOST

    def __init__(self, binary: str, port: int, directory: Path) -> None:
        self.binary = binary
        self.port = port
        self.directory = directory
        self.log_path = directory / "redis.log"
        self.url = f"redis://{HOST}:{port}/0"
        self._proc: subprocess.Popen[bytes] | None = None
        self._started = False

    def __repr__(self) -> str:
        return f"<RedisServer {self.url} running={self.running}>"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self.running and self._proc is not None else None

    def ping(self, timeout: float = 1.0) -> bool:
        """True when the server answers PING (raw RESP, no client library)."""
        try:
            with socket.create_connection((HOST, self.port), timeout=timeout) as sock:
                sock.sendall(b"*1\r\n$4\r\nPING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def start(self, timeout: float = REDIS_START_TIMEOUT) -> None:
        """Start (or restart, on the same port) the server and wait until it answers PING.

        A restart retries while something else briefly holds the port, for ``timeout`` s.
        """
        if self.running:
            return
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._start_once(timeout)
                self._started = True
                return
            except ServerStartError as exc:
                if not (self._started and exc.port_in_use) or time.monotonic() >= deadline:
                    raise
                time.sleep(0.2)

    def _start_once(self, timeout: float) -> None:
        argv = [
            self.binary,
            "--port",
            str(self.port),
            "--bind",
            HOST,
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.directory),
            "--daemonize",
            "no",
        ]
        self._proc = _start_until_ready(
            f"redis-server on port {self.port}",
            argv,
            self.log_path,
            self.ping,
            timeout=timeout,
            port_in_use_markers=("Address already in use",),
            cwd=self.directory,
        )

    def stop(self) -> None:
        """Kill the server now (no save: there is no persistence). Idempotent."""
        proc, self._proc = self._proc, None
        if proc is not None:
            _terminate(proc, sig=signal.SIGTERM)


@contextlib.contextmanager
def redis_server() -> Iterator[RedisServer]:
    """A fresh redis-server on a free loopback port, killed (and its dir removed) on exit."""
    binary = _which("redis-server", *_SBIN_DIRS)
    if binary is None:
        raise ServiceUnavailable(
            "redis-server is not installed (apt-get install redis-server, "
            "or run .ci/install-services as root)"
        )
    directory = Path(tempfile.mkdtemp(prefix="gapfind-redis-"))
    server: RedisServer | None = None
    try:
        for attempt in range(_PORT_ATTEMPTS):
            server = RedisServer(binary, free_port(), directory)
            try:
                server.start()
                break
            except ServerStartError as exc:
                if not exc.port_in_use or attempt == _PORT_ATTEMPTS - 1:
                    raise
        assert server is not None
        yield server
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(directory, ignore_errors=True)


# --------------------------------------------------------------------------- postgresql


_PG_PROGRAMS = ("initdb", "pg_ctl", "postgres")


def _pg_version_key(bindir: str) -> tuple[int, ...]:
    version = os.path.basename(os.path.dirname(bindir))
    return tuple(int(part) for part in re.findall(r"\d+", version)) or (0,)


def _postgres_bindir() -> Path:
    """Locate a directory holding initdb, pg_ctl and postgres (newest Debian version first)."""
    candidates: list[str] = []
    override = os.environ.get("GAPFIND_PG_BINDIR")
    if override:
        candidates.append(override)
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(os.path.dirname(os.path.realpath(on_path)))
    candidates.extend(
        sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_pg_version_key, reverse=True)
    )
    for candidate in candidates:
        if all(os.access(os.path.join(candidate, name), os.X_OK) for name in _PG_PROGRAMS):
            return Path(candidate)
    raise ServiceUnavailable(
        "PostgreSQL server programs (initdb, pg_ctl, postgres) not found on PATH nor in "
        "/usr/lib/postgresql/*/bin (apt-get install postgresql, or run .ci/install-services "
        "as root; GAPFIND_PG_BINDIR may point at another bin directory)"
    )


def _as_postgres_user() -> tuple[list[str], int, int] | None:
    """As root: the ``runuser`` prefix and uid/gid of the ``postgres`` user; else None."""
    if os.geteuid() != 0:
        return None
    import pwd

    runuser = _which("runuser", *_SBIN_DIRS)
    if runuser is None:
        raise ServiceUnavailable(
            "running as root, PostgreSQL must run as the 'postgres' user but runuser is missing"
        )
    try:
        entry = pwd.getpwnam("postgres")
    except KeyError:
        raise ServiceUnavailable(
            "running as root, PostgreSQL must run as the 'postgres' OS user, which does not "
            "exist (installing the postgresql package creates it)"
        ) from None
    return [runuser, "-u", "postgres", "--"], entry.pw_uid, entry.pw_gid


class PostgresServer:
    """A throw-away PostgreSQL cluster on ``127.0.0.1:port`` (trust auth, user postgres)."""

    host = HOST
    user = "postgres"
    database = "gapfind_test"

    def __init__(self, bindir: Path, port: int, directory: Path, prefix: Sequence[str]) -> None:
        self.bindir = bindir
        self.port = port
        self.directory = directory
        self.data_dir = directory / "data"
        self.socket_dir = directory / "run"
        self.log_path = directory / "postgres.log"
        self.url = self.url_for(self.database)
        self._prefix = list(prefix)
        self._proc: subprocess.Popen[bytes] | None = None

    def __repr__(self) -> str:
        return f"<PostgresServer {self.url} running={self.running}>"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def url_for(self, database: str) -> str:
        """SQLAlchemy URL (psycopg 3 driver) of ``database`` on this server."""
        return f"postgresql+psycopg://{self.user}@{HOST}:{self.port}/{database}"

    def conninfo(self, database: str | None = None) -> str:
        """libpq connection string for psycopg.connect()."""
        dbname = database or self.database
        return f"host={HOST} port={self.port} user={self.user} dbname={dbname} connect_timeout=5"

    def _can_connect(self) -> bool:
        import psycopg

        try:
            with psycopg.connect(self.conninfo("postgres"), connect_timeout=2):
                return True
        except psycopg.OperationalError:
            return False

    def start(self, timeout: float = POSTGRES_START_TIMEOUT) -> None:
        """Start the postmaster and wait until it accepts connections."""
        if self.running:
            return
        settings = {
            "listen_addresses": HOST,
            "port": str(self.port),
            "unix_socket_directories": str(self.socket_dir),
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "100",
            "logging_collector": "off",
        }
        argv = [*self._prefix, str(self.bindir / "postgres"), "-D", str(self.data_dir)]
        for key, value in settings.items():
            argv += ["-c", f"{key}={value}"]
        self._proc = _start_until_ready(
            f"PostgreSQL on port {self.port}",
            argv,
            self.log_path,
            self._can_connect,
            timeout=timeout,
            port_in_use_markers=("could not bind IPv4 address", "Address already in use"),
            cwd=self.directory,
        )

    def stop(self) -> None:
        """Stop at once (``pg_ctl stop -m immediate``); idempotent."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            argv = [
                *self._prefix,
                str(self.bindir / "pg_ctl"),
                "stop",
                "-D",
                str(self.data_dir),
                "-m",
                "immediate",
                "-w",
                "-t",
                str(int(STOP_TIMEOUT)),
            ]
            with contextlib.suppress(subprocess.SubprocessError, OSError):
                subprocess.run(
                    argv,
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    cwd=self.directory,
                    timeout=STOP_TIMEOUT + 5,
                    check=False,
                )
        # runuser does not forward signals: SIGQUIT (immediate shutdown) goes to the group.
        _terminate(proc, sig=signal.SIGQUIT, group=True)

    def _admin_execute(self, statement: sql.Composable) -> None:
        import psycopg

        with psycopg.connect(self.conninfo("postgres"), autocommit=True) as conn:
            conn.execute(statement)

    def create_database(self, name: str) -> str:
        """Create an empty database ``name`` and return its SQLAlchemy URL."""
        from psycopg import sql

        _check_db_name(name)
        self._admin_execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(
                sql.Identifier(name)
            )
        )
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        """Drop ``name`` if it exists, disconnecting any remaining sessions."""
        from psycopg import sql

        _check_db_name(name)
        self._admin_execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )

    # ---- issue 9: a server that is stopped, not down --------------------------------------
    def postmaster_pid(self) -> int:
        """The postmaster's pid (the first line of postmaster.pid; under runuser it is not
        the pid this class started)."""
        return int((self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0])

    def cluster_pids(self) -> list[int]:
        """The postmaster and its children (backends, checkpointer, ...). Each child leads a
        process group of its own, so signalling the postmaster's group would miss them."""
        postmaster = self.postmaster_pid()
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                # pid (comm) state ppid ...: comm may hold spaces, so split after its ")"
                if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == postmaster:
                    children.append(int(stat.parent.name))
        return [postmaster, *children]

    @contextlib.contextmanager
    def frozen(self) -> Iterator[list[int]]:
        """SIGSTOP the whole cluster (TCP connections stay open and the kernel still accepts
        new ones, but nothing answers); SIGCONT it on exit, whatever happened. The postmaster is
        stopped first, so it cannot fork a child that the list would miss."""
        postmaster = self.postmaster_pid()
        stopped: list[int] = []
        try:
            os.kill(postmaster, signal.SIGSTOP)
            stopped.append(postmaster)
            for pid in self.cluster_pids()[1:]:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGSTOP)
                    stopped.append(pid)
            yield stopped
        finally:
            for pid in reversed(stopped):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGCONT)
            # runuser (as root) stops itself when it sees its child stopped, and waits to be
            # continued: continue the group this class started too.
            if self._proc is not None:
                _killpg(self._proc.pid, signal.SIGCONT)

    # ---- end issue 9 ------------------------------------------------------------------------


def _check_db_name(name: str) -> None:
    if not _DB_NAME.match(name):
        raise ValueError(f"database name must match {_DB_NAME.pattern!r}: {name!r}")


def _initdb(server: PostgresServer, owner: tuple[int, int] | None) -> None:
    for path in (server.data_dir, server.socket_dir):
        path.mkdir(mode=0o700)
        if owner is not None:
            os.chown(path, *owner)
    argv = [
        *server._prefix,
        str(server.bindir / "initdb"),
        "-D",
        str(server.data_dir),
        "-A",
        "trust",
        "-U",
        server.user,
        "-E",
        "UTF8",
        "--locale=C",
        "--no-sync",
    ]
    try:
        result = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            cwd=server.directory,
            timeout=POSTGRES_INITDB_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ServerStartError(f"initdb took longer than {exc.timeout:g} s") from None
    if result.returncode != 0:
        output = (result.stdout + result.stderr).decode(errors="replace")
        hint = ""
        if owner is not None:
            hint = (
                f"\n(as root every parent of {server.directory} must be traversable by the "
                "'postgres' user; set TMPDIR=/tmp if it is not)"
            )
        raise ServerStartError(f"initdb failed with status {result.returncode}:\n{output}{hint}")


@contextlib.contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """A fresh PostgreSQL cluster with an empty ``gapfind_test`` database, on a free port.

    Durability is off (fsync, synchronous_commit, full_page_writes): test data only.
    """
    bindir = _postgres_bindir()
    as_postgres = _as_postgres_user()
    prefix: list[str] = []
    owner: tuple[int, int] | None = None
    directory = Path(tempfile.mkdtemp(prefix="gapfind-pg-"))
    if as_postgres is not None:
        prefix, uid, gid = as_postgres
        owner = (uid, gid)
        directory.chmod(0o711)  # the postgres user must traverse it to reach data/ and run/
    server: PostgresServer | None = None
    try:
        server = PostgresServer(bindir, free_port(), directory, prefix)
        _initdb(server, owner)
        for attempt in range(_PORT_ATTEMPTS):
            try:
                server.start()
                break
            except ServerStartError as exc:
                if not exc.port_in_use or attempt == _PORT_ATTEMPTS - 1:
                    raise
                server = PostgresServer(bindir, free_port(), directory, prefix)
        server.create_database(server.database)
        yield server
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(directory, ignore_errors=True)


# --------------------------------------------------------------------------- gunicorn


class GunicornServer:
    """A gunicorn master serving a WSGI app on ``127.0.0.1:port``."""

    host = HOST

    def __init__(self, proc: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
        self.process = proc
        self.pid = proc.pid
        self.port = port
        self.base_url = f"http://{HOST}:{port}"
        self.log_path = log_path

    def __repr__(self) -> str:
        return f"<GunicornServer {self.base_url} pid={self.pid}>"

    def read_log(self) -> str:
        """Everything gunicorn and the app wrote to stdout/stderr so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def _http_answers(port: int, path: str) -> bool:
    conn = http.client.HTTPConnection(HOST, port, timeout=2)
    try:
        conn.request("GET", path)
        conn.getresponse().read()
        return True
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def _gunicorn_control_args() -> list[str]:
    """gunicorn >= 25.1 opens a control socket in $HOME shared by all instances: turn it off."""
    try:
        version = importlib.metadata.version("gunicorn")
    except importlib.metadata.PackageNotFoundError:
        raise ServiceUnavailable(
            f"gunicorn is not installed for {sys.executable} (pip install -r requirements-dev.txt)"
        ) from None
    numbers = tuple(int(part) for part in re.findall(r"\d+", version)[:2])
    return ["--no-control-socket"] if numbers >= (25, 1) else []


@contextlib.contextmanager
def gunicorn_server(
    app_spec: str,
    *,
    workers: int = 1,
    threads: int = 1,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    ready_path: str = "/health",
    timeout: float = GUNICORN_START_TIMEOUT,
    extra_args: Sequence[str] = (),
    wrapper: Sequence[str] = (),
) -> Iterator[GunicornServer]:
    """Run ``python -m gunicorn`` on a free loopback port until the context exits.

    Ready once a GET of ``ready_path`` gets any HTTP response. ``env`` is merged onto
    ``os.environ``. stdout/stderr go to a temporary log (``.read_log()``) whose tail is
    part of any startup error. At exit: SIGTERM, then SIGKILL of the process group.
    ``wrapper`` is a command that ends by exec-ing its arguments (the gunicorn command line),
    e.g. ``unshare --mount`` to run the server in a mount namespace of its own.
    """
    control_args = _gunicorn_control_args()
    child_env = {**os.environ, **(env or {})}
    directory = Path(tempfile.mkdtemp(prefix="gapfind-gunicorn-"))
    log_path = directory / "gunicorn.log"
    proc: subprocess.Popen[bytes] | None = None
    try:
        for attempt in range(_PORT_ATTEMPTS):
            port = free_port()
            argv = [
                *wrapper,
                sys.executable,
                "-m",
                "gunicorn",
                "--bind",
                f"{HOST}:{port}",
                "--workers",
                str(workers),
                "--threads",
                str(threads),
                *control_args,
                *extra_args,
                app_spec,
            ]
            try:
                proc = _start_until_ready(
                    f"gunicorn {app_spec} on port {port}",
                    argv,
                    log_path,
                    functools.partial(_http_answers, port, ready_path),
                    timeout=timeout,
                    port_in_use_markers=("Connection in use",),
                    env=child_env,
                    cwd=cwd,
                )
            except ServerStartError as exc:
                if not exc.port_in_use or attempt == _PORT_ATTEMPTS - 1:
                    raise
                continue
            yield GunicornServer(proc, port, log_path)
            return
    finally:
        if proc is not None:
            _terminate(proc)
        shutil.rmtree(directory, ignore_errors=True)
