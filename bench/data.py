"""Deterministic benchmark data: usernames, schedules, request bodies and the bulk SQLite seed.

Schedules are 98-character strings, position = hour_index * 7 + day_index, ``'1'`` = busy.
One ``random.Random(42)`` stream draws one number per slot, user by user, slot by slot: first for
the 150 users seeded through ``POST /manual``, then (continuing the same stream) for the 5000
users W6 needs, which are written straight into the SQLite file.  A slot is busy when its draw is
below 0.25 Monday-Friday, 0.05 Saturday and 0 Sunday (Sunday is still drawn, so the sequence of
draws does not depend on the probabilities).
"""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench.errors import BenchError

HOURS = 14
DAYS = 7
SLOTS = HOURS * DAYS
BUSY_PROBABILITY: tuple[float, ...] = (0.25, 0.25, 0.25, 0.25, 0.25, 0.05, 0.0)
SEED = 42
N_USERS = 150
N_BULK_USERS = 5000
USER_PREFIX = "user"
STUDENTS_TABLE = "students"
MULTIPART_BOUNDARY = "gapfindbenchboundary7MA4YWxkTrZu0gW"


def letters(index: int) -> str:
    """Bijective base-26 in lowercase letters: 0 -> 'a', 25 -> 'z', 26 -> 'aa', ..."""
    if index < 0:
        raise ValueError(f"index must be >= 0, got {index}")
    out: list[str] = []
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        out.append(chr(ord("a") + rem))
    return "".join(reversed(out))


def username(index: int, prefix: str = USER_PREFIX) -> str:
    """A unique letters-only username for ``index``."""
    return prefix + letters(index)


def draw_schedule(rng: random.Random) -> str:
    """Draw one schedule: exactly 98 draws from ``rng``, in slot order."""
    chars: list[str] = []
    for position in range(SLOTS):
        busy = rng.random() < BUSY_PROBABILITY[position % DAYS]
        chars.append("1" if busy else "0")
    return "".join(chars)


def busy_indices(schedule: str) -> list[list[int]]:
    """The ``[[hour, day], ...]`` list POST /manual takes for ``schedule``."""
    return [[pos // DAYS, pos % DAYS] for pos, char in enumerate(schedule) if char == "1"]


@dataclass(frozen=True)
class Dataset:
    """The users seeded over HTTP, the users bulk-written to SQLite, and every schedule."""

    users: tuple[str, ...]
    bulk_users: tuple[str, ...]
    schedules: dict[str, str]

    def schedules_of(self, names: Sequence[str]) -> list[str]:
        return [self.schedules[name] for name in names]


def build_dataset(n_users: int = N_USERS, n_bulk: int = N_BULK_USERS, seed: int = SEED) -> Dataset:
    """Generate the fixed data set (same output for the same arguments, on any platform)."""
    rng = random.Random(seed)
    names = [username(i) for i in range(n_users + n_bulk)]
    schedules: dict[str, str] = {}
    for name in names:
        schedule = draw_schedule(rng)
        if "1" not in schedule:
            raise BenchError(f"{name} drew an all-free schedule, which POST /manual rejects")
        schedules[name] = schedule
    return Dataset(tuple(names[:n_users]), tuple(names[n_users:]), schedules)


def json_body(payload: object) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


def manual_body(name: str, schedule: str) -> bytes:
    return json_body({"username": name, "list_of_indices": busy_indices(schedule)})


def multipart_usernames(names: Sequence[str], field: str = "usernames_file") -> tuple[bytes, str]:
    """A multipart/form-data body with ``names`` (one per line) as a file; and its content type."""
    content = ("\n".join(names) + "\n").encode()
    head = (
        f"--{MULTIPART_BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="{field}"; filename="usernames.txt"\r\n'
        "Content-Type: text/plain\r\n\r\n"
    ).encode()
    tail = f"\r\n--{MULTIPART_BOUNDARY}--\r\n".encode()
    return head + content + tail, f"multipart/form-data; boundary={MULTIPART_BOUNDARY}"


def utc_now_iso() -> str:
    """Naive UTC now, ISO 8601 with a space separator: the form SQLAlchemy writes to SQLite."""
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    return now.isoformat(sep=" ", timespec="microseconds")


def seed_bulk(db_path: Path, names: Sequence[str], schedules: dict[str, str]) -> None:
    """Insert ``names`` into the migrated ``students`` table in one transaction."""
    now = utc_now_iso()
    with closing(sqlite3.connect(db_path)) as conn:
        info = conn.execute(f"PRAGMA table_info({STUDENTS_TABLE})").fetchall()
        if not info:
            raise BenchError(f"{db_path}: no {STUDENTS_TABLE!r} table after `flask db upgrade`")
        values: dict[str, str | None] = {"username": None, "schedule": None}
        values.update(edit_token_hash=None, created_at=now, updated_at=now)
        # PRAGMA table_info rows: (cid, name, type, notnull, dflt_value, pk)
        unknown = [r[1] for r in info if r[3] and r[4] is None and not r[5] and r[1] not in values]
        columns = [r[1] for r in info if r[1] in values]
        if unknown or "username" not in columns or "schedule" not in columns:
            found = ", ".join(f"{r[1]} {r[2]}" for r in info)
            raise BenchError(f"cannot bulk-seed {STUDENTS_TABLE}({found}): update bench/data.py")
        rows = []
        for name in names:
            row = dict(values, username=name, schedule=schedules[name])
            rows.append(tuple(row[c] for c in columns))
        marks = ", ".join("?" for _ in columns)
        sql = f"INSERT INTO {STUDENTS_TABLE} ({', '.join(columns)}) VALUES ({marks})"
        with conn:
            conn.executemany(sql, rows)


# --------------------------------------------------------------------------- W9
#: W9's calendar: a 16-week semester exported from Google Calendar, 16 weekly classes (the first
#: three twice a week): 19 weekly meetings x 16 weeks = 304 occurrences.
SEMESTER_WEEKS = 16
SEMESTER_CLASSES = 16
SEMESTER_FIRST_MONDAY = (2025, 2, 3)
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR")


def semester_calendar() -> str:
    """The W9 .ics text (CRLF lines, VTIMEZONE, TZID times, RRULE with UNTIL), deterministic."""
    year, month, day = SEMESTER_FIRST_MONDAY
    lines = [
        "BEGIN:VCALENDAR",
        "PRODID:-//Google Inc//Google Calendar 70.9054//EN",
        "VERSION:2.0",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:Semestre",
        "X-WR-TIMEZONE:America/Bogota",
        "BEGIN:VTIMEZONE",
        "TZID:America/Bogota",
        "BEGIN:STANDARD",
        "TZOFFSETFROM:-0500",
        "TZOFFSETTO:-0500",
        "TZNAME:-05",
        "DTSTART:19700101T000000",
        "END:STANDARD",
        "END:VTIMEZONE",
    ]
    last = datetime(year, month, day) + timedelta(weeks=SEMESTER_WEEKS) - timedelta(days=1)
    until_text = f"{last:%Y%m%d}T235959Z"  # the semester's last Sunday, end of day (UTC)
    for index in range(SEMESTER_CLASSES):
        weekday = index % 5
        days = [_WEEKDAYS[weekday]]
        if index < 3:
            days.append(_WEEKDAYS[(weekday + 2) % 5])
        first = datetime(year, month, day) + timedelta(days=weekday)
        start_hour = 7 + (index * 3) % 12  # 7:00 ... 18:00
        lines += [
            "BEGIN:VEVENT",
            f"DTSTART;TZID=America/Bogota:{first:%Y%m%d}T{start_hour:02d}0000",
            f"DTEND;TZID=America/Bogota:{first:%Y%m%d}T{start_hour + 1:02d}3000",
            f"RRULE:FREQ=WEEKLY;WKST=SU;UNTIL={until_text};BYDAY={','.join(days)}",
            "DTSTAMP:20250201T120000Z",
            f"UID:bench-class-{index}@google.com",
            "SEQUENCE:0",
            "STATUS:CONFIRMED",
            f"SUMMARY:Clase {letters(index).upper()}",
            "TRANSP:OPAQUE",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"


def multipart_calendar(calendar: str, field: str = "calendar") -> tuple[bytes, str]:
    """A multipart/form-data body with ``calendar`` as an .ics file; and its content type."""
    head = (
        f"--{MULTIPART_BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="{field}"; filename="semestre.ics"\r\n'
        "Content-Type: text/calendar\r\n\r\n"
    ).encode()
    tail = f"\r\n--{MULTIPART_BOUNDARY}--\r\n".encode()
    return head + calendar.encode() + tail, f"multipart/form-data; boundary={MULTIPART_BOUNDARY}"


def multipart_register_calendar(name: str, calendar: str) -> tuple[bytes, str]:
    """A POST /register/ics body: ``name`` in `username`, then ``calendar`` as the file."""
    field = (
        f"--{MULTIPART_BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="username"\r\n\r\n'
        f"{name}\r\n"
    ).encode()
    body, content_type = multipart_calendar(calendar)
    return field + body, content_type
