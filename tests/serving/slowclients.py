"""Slow and idle HTTP clients, and a probe that times normal requests meanwhile (issue 9, item 1).

Used by the slow-client tests against the real `make run` and scale-out recipe, and by
`measure.py`, which produced the figures in README "Serving: slow clients, limits, logs". Every
socket goes to 127.0.0.1 only, every loop is bounded in time, and `SlowClients.close()` closes
every socket it opened.

Three kinds of slow client, as an unfriendly internet sends them:

* ``idle``: connects, sends one byte of a request line ("G") and then nothing;
* ``headers``: a request line, then one more header byte every `interval` seconds, never ending
  the header block (slowloris);
* ``body``: a complete POST head announcing a body, then one body byte every `interval` seconds.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import socket
import statistics
import string
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

HOST = "127.0.0.1"
KINDS = ("idle", "headers", "body")
BODY_LENGTH = 4096


def _opening(kind: str) -> bytes:
    if kind == "idle":
        return b"G"
    if kind == "headers":
        return b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
    if kind == "body":
        return (
            b"POST /manual HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {BODY_LENGTH}\r\n\r\n".encode()
            + b'{"username": "'
        )
    raise ValueError(f"unknown slow client kind {kind!r}")


class SlowClients:
    """Hundreds of slow connections to one port, kept open (and dribbling) by one thread."""

    def __init__(
        self, port: int, counts: dict[str, int], *, interval: float = 1.0, host: str = HOST
    ) -> None:
        self.port = port
        self.host = host
        self.counts = counts
        self.interval = interval
        self.sockets: list[tuple[str, socket.socket]] = []
        self.refused = 0
        self.closed_by_server: dict[str, int] = dict.fromkeys(KINDS, 0)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def open(self, connect_timeout: float = 10.0) -> None:
        """Connect every client and send its opening bytes, then start dribbling."""
        for kind, count in self.counts.items():
            opening = _opening(kind)
            for _ in range(count):
                try:
                    sock = socket.create_connection((self.host, self.port), timeout=connect_timeout)
                    sock.sendall(opening)
                except OSError:
                    self.refused += 1
                    continue
                sock.setblocking(False)
                self.sockets.append((kind, sock))
        self._thread = threading.Thread(target=self._dribble, name="slow-clients", daemon=True)
        self._thread.start()

    def _dribble(self) -> None:
        """Every `interval`: one more byte on each headers/body client; note the ones the
        server closed (recv returns b"" or an error, or a response arrived)."""
        while not self._stop.wait(self.interval):
            with self._lock:
                self._sweep(dribble=True)

    def _sweep(self, *, dribble: bool) -> None:
        alive: list[tuple[str, socket.socket]] = []
        for kind, sock in self.sockets:
            if self._closed(sock):
                self.closed_by_server[kind] += 1
                sock.close()
                continue
            if dribble and kind != "idle":
                try:
                    sock.send(b"a")
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:
                    self.closed_by_server[kind] += 1
                    sock.close()
                    continue
            alive.append((kind, sock))
        self.sockets = alive

    def still_open(self) -> dict[str, int]:
        """How many connections of each kind the server has not closed (checked now)."""
        with self._lock:
            self._sweep(dribble=False)
            counts = dict.fromkeys(self.counts, 0)
            for kind, _ in self.sockets:
                counts[kind] += 1
            return counts

    @staticmethod
    def _closed(sock: socket.socket) -> bool:
        try:
            sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return False
        except OSError:
            return True
        return True  # b"" (EOF) or an answer (the server gave up on the request): done

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        for _, sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.close()
        self.sockets = []

    def __enter__(self) -> SlowClients:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def letters_name(number: int, prefix: str = "probe") -> str:
    """A valid username (ASCII letters only) for the number-th probe registration."""
    digits = ""
    while True:
        number, rest = divmod(number, 26)
        digits = string.ascii_lowercase[rest] + digits
        if number == 0:
            return prefix + digits


@dataclass
class Exchange:
    """One normal request the probe made and what came back."""

    method: str
    path: str
    status: int | None
    seconds: float
    error: str = ""
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)


def request(
    port: int,
    method: str,
    path: str,
    body: object = None,
    *,
    timeout: float,
    host: str = HOST,
    headers: dict[str, str] | None = None,
) -> Exchange:
    """One request on a fresh connection, timed; a timeout is recorded, never raised."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        sent = dict(headers or {})
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        conn.request(method, path, body=payload, headers=sent)
        response = conn.getresponse()
        data = response.read()
        seconds = time.perf_counter() - started
        return Exchange(
            method, path, response.status, seconds, body=data, headers=response.getheaders()
        )
    except (OSError, http.client.HTTPException) as error:
        return Exchange(method, path, None, time.perf_counter() - started, repr(error))
    finally:
        conn.close()


def register_and_read(
    port: int, number: int, *, timeout: float, prefix: str = "probe"
) -> list[Exchange]:
    """The normal traffic: POST /manual a new student, then GET /users/<name> of it."""
    name = letters_name(number, prefix)
    made = request(
        port, "POST", "/manual", {"username": name, "list_of_indices": [[0, 0]]}, timeout=timeout
    )
    read = request(port, "GET", f"/users/{name}", timeout=timeout)
    return [made, read]


@dataclass
class ProbeResult:
    exchanges: list[Exchange] = field(default_factory=list)

    @property
    def latencies_ms(self) -> list[float]:
        return sorted(e.seconds * 1000 for e in self.exchanges if e.status is not None)

    def percentile(self, fraction: float) -> float:
        values = self.latencies_ms
        if not values:
            return float("nan")
        return values[min(len(values) - 1, int(fraction * len(values)))]

    @property
    def failures(self) -> list[Exchange]:
        return [e for e in self.exchanges if e.status not in (200, 201)]

    def summary(self) -> str:
        values = self.latencies_ms
        return (
            f"{len(self.exchanges)} requests, {len(self.failures)} failed/timed out, "
            f"p50 {self.percentile(0.5):.1f} ms, p99 {self.percentile(0.99):.1f} ms, "
            f"max {max(values) if values else float('nan'):.1f} ms, "
            f"mean {statistics.fmean(values) if values else float('nan'):.1f} ms"
        )


def probe(
    port: int, seconds: float, *, timeout: float, concurrency: int = 2, prefix: str = "probe"
) -> ProbeResult:
    """Register-then-read pairs from `concurrency` threads for `seconds` (bounded)."""
    result = ProbeResult()
    lock = threading.Lock()
    counter = iter(range(10**9))
    deadline = time.monotonic() + seconds

    def loop() -> None:
        while time.monotonic() < deadline:
            with lock:
                number = next(counter)
            pair = register_and_read(port, number, timeout=timeout, prefix=prefix)
            with lock:
                result.exchanges.extend(pair)

    threads = [threading.Thread(target=loop, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 4 * timeout)
    return result


# --------------------------------------------------------------------------- process metrics


def process_tree(root: int) -> list[int]:
    """`root` and every descendant, from /proc (Linux)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def rss_mb(pids: Iterable[int]) -> float:
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError), open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total / 1024


def cpu_seconds(pids: Iterable[int]) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError), open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks
