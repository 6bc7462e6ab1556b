"""Bounded concurrent load: wrk (with a generated Lua script) or a threaded Python fallback."""

from __future__ import annotations

import math
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.client import HOST, RATE_LIMITED_HINT, REAL_IP_HEADER, Request, send
from bench.errors import BenchError

WRK_TIMEOUT = "30s"
RESULT_MARK = "BENCH_RESULT"

_DONE_LUA = f"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("{RESULT_MARK} %d %d %d %d %d %d %d %.1f %.1f\\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""

_LETTERS_LUA = """
local function letters(n)
  local out = ""
  n = n + 1
  while n > 0 do
    local rem = (n - 1) % 26
    out = string.char(97 + rem) .. out
    n = math.floor((n - 1) / 26)
  end
  return out
end
"""


@dataclass(frozen=True)
class LoadResult:
    tool: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    socket_errors: int = 0

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0


def wrk_path() -> str | None:
    return shutil.which("wrk")


def lua_string(value: str) -> str:
    if not re.fullmatch(r"[ -~]*", value):
        raise ValueError(f"not printable ASCII: {value!r}")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _read_file_lua(var: str, path: Path) -> str:
    return (
        f"local {var}_f = assert(io.open({lua_string(str(path))}, 'rb'))\n"
        f"local {var} = {var}_f:read('*a')\n{var}_f:close()\n"
    )


def lua_clients(workdir: Path, addresses: Sequence[str]) -> str:
    """Lua for ``next_client()``: the pool's addresses (read from a file) in turn. wrk -t1 runs
    one Lua state, so the cycle is shared by all its connections, like the Python pool."""
    if not addresses:
        raise ValueError("no client addresses")
    clients_file = workdir / "clients.txt"
    clients_file.write_text("".join(f"{address}\n" for address in addresses))
    return (
        "local clients = {}\n"
        f"for line in io.lines({lua_string(str(clients_file))}) do\n"
        "  clients[#clients + 1] = line\n"
        "end\n"
        f"assert(#clients == {len(addresses)}, 'client address file')\n"
        "local client = 0\n"
        "local function next_client()\n"
        "  client = client % #clients + 1\n"
        "  return clients[client]\n"
        "end\n"
    )


def _headers_lua(content_type: str | None) -> str:
    """One headers table, reused: each request sets its X-Real-IP and wrk.format adds the Host and
    Content-Length."""
    entries = f"['Content-Type'] = {lua_string(content_type)}" if content_type else ""
    return f"local headers = {{{entries}}}\n"


def lua_static(workdir: Path, request: Request, addresses: Sequence[str]) -> str:
    """A wrk script sending the same request (body read from a file) from each client in turn."""
    body_file = workdir / "body.bin"
    body_file.write_bytes(request.body)
    body = "body" if request.body else "nil"
    return (
        _read_file_lua("body", body_file)
        + lua_clients(workdir, addresses)
        + _headers_lua(request.content_type)
        + "request = function()\n"
        + f"  headers[{lua_string(REAL_IP_HEADER)}] = next_client()\n"
        + f"  return wrk.format({lua_string(request.method)}, {lua_string(request.path)}, "
        + f"headers, {body})\n"
        + "end\n"
    )


def lua_cycle_get(workdir: Path, paths: Sequence[str], addresses: Sequence[str]) -> str:
    """A wrk script sending GET to each of ``paths`` in turn, from each client in turn."""
    items = ",\n  ".join(lua_string(p) for p in paths)
    return (
        lua_clients(workdir, addresses)
        + _headers_lua(None)
        + f"local paths = {{\n  {items}\n}}\nlocal i = 0\n"
        + "request = function()\n"
        + "  i = i % #paths + 1\n"
        + f"  headers[{lua_string(REAL_IP_HEADER)}] = next_client()\n"
        + "  return wrk.format('GET', paths[i], headers)\n"
        + "end\n"
    )


def lua_unique_post(
    workdir: Path,
    path: str,
    prefix: bytes,
    suffix: bytes,
    content_type: str,
    name_prefix: str,
    addresses: Sequence[str],
) -> str:
    """A wrk script POSTing ``prefix + name + suffix`` with a new letters-only name each time,
    from each client in turn."""
    (workdir / "prefix.bin").write_bytes(prefix)
    (workdir / "suffix.bin").write_bytes(suffix)
    return (
        _read_file_lua("prefix", workdir / "prefix.bin")
        + _read_file_lua("suffix", workdir / "suffix.bin")
        + _LETTERS_LUA
        + lua_clients(workdir, addresses)
        + _headers_lua(content_type)
        + "local counter = 0\n"
        + "request = function()\n"
        + f"  local name = {lua_string(name_prefix)} .. letters(counter)\n"
        + "  counter = counter + 1\n"
        + f"  headers[{lua_string(REAL_IP_HEADER)}] = next_client()\n"
        + f"  return wrk.format('POST', {lua_string(path)}, headers, prefix .. name .. suffix)\n"
        + "end\n"
    )


def run_wrk(
    port: int, script: str, workdir: Path, seconds: int, connections: int, wrk: str
) -> LoadResult:
    """``wrk -t1 -c<connections> -d<seconds>s --latency`` with ``script``."""
    script_file = workdir / "load.lua"
    script_file.write_text(script + _DONE_LUA)
    cmd = [wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    cmd += ["--timeout", WRK_TIMEOUT, "-s", str(script_file), f"http://{HOST}:{port}/"]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"wrk did not finish: {' '.join(cmd)}") from exc
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith(RESULT_MARK)), None)
    if done.returncode != 0 or line is None:
        raise BenchError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    fields = line.split()[1:]
    requests, duration_us, connect, read, write, status, timeout = (int(f) for f in fields[:7])
    if status:
        raise BenchError(
            f"wrk saw {status} responses with status >= 400 out of {requests} ({RATE_LIMITED_HINT})"
        )
    return LoadResult(
        tool="wrk",
        requests=requests,
        seconds=duration_us / 1e6,
        p50_ms=float(fields[7]) / 1000,
        p99_ms=float(fields[8]) / 1000,
        socket_errors=connect + read + write + timeout,
    )


def run_threaded(
    port: int, next_request: Callable[[], Request], status: int, seconds: float, connections: int
) -> LoadResult:
    """The wrk fallback: ``connections`` threads sending requests until ``seconds`` have passed."""
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker() -> None:
        mine: list[float] = []
        while time.perf_counter() < deadline and not failures:
            request = next_request()
            began = time.perf_counter()
            try:
                response = send(port, request, timeout=30)
            except OSError as exc:
                failures.append(f"{request.describe()}: {exc!r}")
                break
            mine.append(time.perf_counter() - began)
            if response.status != status:
                hint = f" ({RATE_LIMITED_HINT})" if response.status == 429 else ""
                failures.append(f"{request.describe()} returned {response.status}{hint}")
                break
        with lock:
            latencies.extend(mine)

    began = time.perf_counter()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    if failures:
        raise BenchError(f"threaded load: {failures[0]}")
    ordered = sorted(latencies)
    return LoadResult(
        tool="python-threads",
        requests=len(ordered),
        seconds=elapsed,
        p50_ms=percentile(ordered, 50) * 1000,
        p99_ms=percentile(ordered, 99) * 1000,
    )


def percentile(ordered: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile of an ascending sequence (0.0 when empty)."""
    if not ordered:
        return 0.0
    rank = min(len(ordered), max(1, math.ceil(pct / 100 * len(ordered))))
    return ordered[rank - 1]
