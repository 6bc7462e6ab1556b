"""Moving students in and out of GapFind: reading the old deployments' data, checking every
record with the API's own rules, writing it in batches, and exporting it back.

Nothing here needs a Flask app: readers take bytes or a Redis URL, the validator takes raw
records, and the writers take an open SQLAlchemy connection, so the CLI decides where the
transactions begin and end. Problems with one record are collected as Spanish messages keyed
by field, the API's error shape, so an operator reads the same wording a student would have
seen; problems with the source as a whole (unreadable JSON, a CSV without the needed columns,
an unreachable Redis) raise SourceError and nothing from that source is written.
Backups live here too: copying the SQLite file is the other way data leaves the app.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.engine import Connection, Row

from gapfind.core.grid import SLOT_COUNT, is_schedule
from gapfind.core.usernames import normalize_username, username_problem
from gapfind.errors import NON_FIELD
from gapfind.messages import (
    BAD_DATE,
    DUPLICATE,
    EXISTS,
    NOT_A_STRING,
    NOT_AN_OBJECT,
    NOT_UTF8,
    NULL,
    REQUIRED,
    ROW_SHAPE,
    SCHEDULE_LENGTH,
    SCHEDULE_MARKS,
    USERNAME_MESSAGES,
    WRONG_MODEL,
)
from gapfind.repository import is_live, students, utc

FORMATS = ("json", "django", "csv")
DJANGO_MODEL = "base.uninorteuser"
REDIS_KEY = "gapfind:usernames"
BATCH_SIZE = 500


class SourceError(ValueError):
    """The source as a whole cannot be read, so none of it is imported."""


class BackupError(RuntimeError):
    """The database could not be copied; no file is left under the target's name."""


class Missing(Enum):
    """A field absent from a record, told apart from an explicit null."""

    MISSING = "missing"


MISSING = Missing.MISSING


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One record as the source gave it, before any rule is applied.

    `position` counts records from 1 in source order (data rows for CSV), which is how the
    operator finds it again; `errors` holds shape problems the reader already saw.
    """

    position: int
    username: object
    schedule: object
    created_at: object = None
    errors: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Record:
    """A record that passed every rule: lowercase name, 98 marks, optional creation time."""

    position: int
    username: str
    schedule: str
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Rejection:
    """A record that was not written, with the reasons in the API's {field: [messages]} shape."""

    position: int
    username: object
    schedule: object
    errors: dict[str, list[str]]

    def as_json(self) -> dict[str, Any]:
        """The --report entry: the raw values, so the operator can fix and re-import them."""
        return {
            "position": self.position,
            "username": _jsonable(self.username),
            "schedule": _jsonable(self.schedule),
            "errors": self.errors,
        }

    def summary_line(self) -> str:
        """Position, name as given and every message on one line, for the terminal."""
        name = json.dumps(_jsonable(self.username), ensure_ascii=False)
        reasons = "; ".join(
            message if field_name == NON_FIELD else f"{field_name}: {message}"
            for field_name, messages in self.errors.items()
            for message in messages
        )
        return f"#{self.position} {name}: {reasons}"


@dataclass(slots=True)
class BatchOutcome:
    """What one batch did to the table, by category of the import summary."""

    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejection] = field(default_factory=list)

    def add(self, other: BatchOutcome) -> None:
        """Accumulate batches into the whole import's totals."""
        self.imported += other.imported
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.rejected.extend(other.rejected)


def _jsonable(value: object) -> object:
    """Raw values came from JSON, CSV or decoded Redis text, so only MISSING needs a stand-in."""
    return None if value is MISSING else value


# --------------------------------------------------------------------------- reading sources


def read_source(data: bytes, source_format: str | None = None) -> list[RawRecord]:
    """Parse a file's bytes as `source_format`, or as the format its first character announces."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SourceError(f"not UTF-8 text (byte {error.start})") from error
    if not text.strip():
        raise SourceError("the source is empty")
    chosen = source_format or detect_format(text)
    if chosen == "json":
        return parse_username_object(text)
    if chosen == "django":
        return parse_django_dump(text)
    if chosen == "csv":
        return parse_csv(text)
    raise SourceError(f"unknown format {chosen!r}; expected one of {', '.join(FORMATS)}")


def detect_format(text: str) -> str:
    """A JSON object is the Redis hash, a JSON list is a Django dump, anything else is CSV."""
    return {"{": "json", "[": "django"}.get(text.lstrip()[:1], "csv")


class _Pairs(list[tuple[str, Any]]):
    """A JSON object kept as its (key, value) pairs, so a repeated key is not lost."""


def _load_json(text: str) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_Pairs)
    except json.JSONDecodeError as error:
        raise SourceError(
            f"not valid JSON (line {error.lineno}, column {error.colno}): {error.msg}"
        ) from error


def parse_username_object(text: str) -> list[RawRecord]:
    """{username: schedule}: the old Redis hash, and what `users export` writes."""
    document = _load_json(text)
    if not isinstance(document, _Pairs):
        raise SourceError("expected a JSON object {username: schedule}")
    return [
        RawRecord(position, name, _plain(schedule))
        for position, (name, schedule) in enumerate(document, start=1)
    ]


def _plain(value: Any) -> Any:
    """Undo the pairs hook inside a record, where repeated keys do not matter."""
    if isinstance(value, _Pairs):
        return {key: _plain(item) for key, item in value}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def parse_django_dump(text: str) -> list[RawRecord]:
    """`manage.py dumpdata base.uninorteuser`: a list of {model, pk, fields} objects."""
    document = _load_json(text)
    if not isinstance(document, list) or isinstance(document, _Pairs):
        raise SourceError('expected a Django dumpdata JSON list [{"model": ..., "pk": ...}]')
    return [
        _django_record(position, _plain(item)) for position, item in enumerate(document, start=1)
    ]


def _django_record(position: int, item: Any) -> RawRecord:
    if not isinstance(item, dict):
        return RawRecord(position, MISSING, MISSING, errors={NON_FIELD: [NOT_AN_OBJECT]})
    fields = item.get("fields", MISSING)
    errors: dict[str, list[str]] = {}
    model = item.get("model", MISSING)
    if model != DJANGO_MODEL:
        shown = "(ninguno)" if model is MISSING else str(model)
        errors[NON_FIELD] = [WRONG_MODEL.format(model=shown)]
    if not isinstance(fields, dict):
        errors["fields"] = [REQUIRED if fields is MISSING else NOT_AN_OBJECT]
        fields = {}
    return RawRecord(
        position,
        item.get("pk", MISSING),
        fields.get("schedule", MISSING),
        fields.get("created_at"),
        errors,
    )


def parse_csv(text: str) -> list[RawRecord]:
    """A spreadsheet export with a header naming (at least) username and schedule."""
    lines = io.StringIO(text, newline="")
    header_line = lines.readline()
    delimiter = next((mark for mark in ",;\t" if mark in header_line), ",")
    lines.seek(0)
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    try:
        header = [name.strip().lower() for name in next(reader)]
        columns = _csv_columns(header)
        return [
            _csv_record(position, row, columns, len(header))
            for position, row in enumerate((row for row in reader if row), start=1)
        ]
    except csv.Error as error:
        raise SourceError(f"malformed CSV (line {reader.line_num}): {error}") from error


def _csv_columns(header: list[str]) -> dict[str, int]:
    missing = [name for name in ("username", "schedule") if name not in header]
    if missing:
        raise SourceError(
            f"the CSV header must name the columns username and schedule; "
            f"missing {', '.join(missing)} (header: {','.join(header)})"
        )
    if len(set(header)) != len(header):
        raise SourceError(f"the CSV header repeats a column: {','.join(header)}")
    return {name: index for index, name in enumerate(header)}


def _csv_record(position: int, row: list[str], columns: dict[str, int], width: int) -> RawRecord:
    def cell(name: str) -> object:
        index = columns.get(name)
        if index is None:
            return None
        return row[index] if index < len(row) else MISSING

    errors = (
        {} if len(row) == width else {NON_FIELD: [ROW_SHAPE.format(found=len(row), expected=width)]}
    )
    return RawRecord(position, cell("username"), cell("schedule"), cell("created_at"), errors)


def read_redis_hash(url: str, key: str = REDIS_KEY) -> list[RawRecord]:
    """HGETALL the old deployment's hash of username -> schedule, in a stable (sorted) order."""
    import redis  # the scale-out dependency; only this command needs it

    try:
        with redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=60) as client:
            kind = client.type(key)
            if kind == b"none":
                raise SourceError(f"Redis key {key!r} does not exist")
            if kind != b"hash":
                raise SourceError(f"Redis key {key!r} holds a {kind.decode()}, not a hash")
            items = client.hgetall(key)
    except redis.RedisError as error:
        raise SourceError(f"cannot read Redis: {error}") from error
    return [
        _redis_record(position, name, schedule)
        for position, (name, schedule) in enumerate(sorted(items.items()), start=1)
    ]


def _redis_record(position: int, name: bytes, schedule: bytes) -> RawRecord:
    errors: dict[str, list[str]] = {}
    decoded: list[str] = []
    for field_name, raw in (("username", name), ("schedule", schedule)):
        try:
            decoded.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            decoded.append(raw.decode("utf-8", "backslashreplace"))
            errors[field_name] = [NOT_UTF8]
    return RawRecord(position, decoded[0], decoded[1], errors=errors)


# --------------------------------------------------------------------------- validating


def validate(raw_records: Iterable[RawRecord]) -> tuple[list[Record], list[Rejection]]:
    """Apply the API's rules to every record; a name seen before (any case) is rejected."""
    accepted: list[Record] = []
    rejected: list[Rejection] = []
    first_seen: dict[str, int] = {}
    for raw in raw_records:
        name, created_at, errors = _check(raw)
        if name is not None:
            first = first_seen.setdefault(name, raw.position)
            if first != raw.position:
                _add(errors, NON_FIELD, [DUPLICATE.format(name=name, first=first)])
        if name is None or errors:
            rejected.append(Rejection(raw.position, raw.username, raw.schedule, errors))
        else:
            accepted.append(Record(raw.position, name, str(raw.schedule), created_at))
    return accepted, rejected


def _check(raw: RawRecord) -> tuple[str | None, datetime | None, dict[str, list[str]]]:
    """The stored name (None when the record has no valid one), creation time and problems.

    A record the reader already found malformed keeps only that problem: checking its fields
    would repeat it as "required" noise, and its name (say, another Django model's pk) must
    not count as taken.
    """
    if raw.errors:
        return None, None, {name: list(messages) for name, messages in raw.errors.items()}
    errors: dict[str, list[str]] = {}
    _add(errors, "username", _username_errors(raw.username))
    _add(errors, "schedule", _schedule_errors(raw.schedule))
    created_at = _parse_created_at(raw.created_at, errors)
    name = None if "username" in errors else normalize_username(str(raw.username))
    return name, created_at, errors


def _add(errors: dict[str, list[str]], name: str, messages: list[str]) -> None:
    if messages:
        errors.setdefault(name, []).extend(messages)


def _text_errors(value: object) -> list[str] | None:
    """The checks every text field shares; None means "a string, go on"."""
    if value is MISSING:
        return [REQUIRED]
    if value is None:
        return [NULL]
    if not isinstance(value, str):
        return [NOT_A_STRING]
    return None


def _username_errors(value: object) -> list[str]:
    shared = _text_errors(value)
    if shared is not None:
        return shared
    problem = username_problem(str(value))
    return [] if problem is None else [USERNAME_MESSAGES[problem]]


def _schedule_errors(value: object) -> list[str]:
    shared = _text_errors(value)
    if shared is not None:
        return shared
    if is_schedule(value):
        return []
    text = str(value)
    if len(text) != SLOT_COUNT:
        return [SCHEDULE_LENGTH.format(length=len(text))]
    return [SCHEDULE_MARKS]


def _parse_created_at(value: object, errors: dict[str, list[str]]) -> datetime | None:
    """ISO 8601 as Django writes it, stored in UTC; a naive time is taken as UTC already
    (what Django stores with USE_TZ on)."""
    if value is None or value is MISSING:
        return None
    if isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            return utc(datetime.fromisoformat(text)).astimezone(timezone.utc)
        except ValueError:
            pass
    errors.setdefault("created_at", []).append(BAD_DATE)
    return None


def batches(records: Sequence[Record], size: int = BATCH_SIZE) -> Iterator[Sequence[Record]]:
    """Slices written one transaction each: big enough to be fast, small enough to hold locks
    briefly while the app keeps serving."""
    for start in range(0, len(records), size):
        yield records[start : start + size]


# --------------------------------------------------------------------------- writing


def write_batch(
    connection: Connection,
    batch: Sequence[Record],
    *,
    overwrite: bool,
    now: datetime,
    cutoff: datetime | None,
) -> BatchOutcome:
    """Write one batch inside the caller's transaction, with one read of what already exists.

    A row older than `cutoff` is expired, hence absent to every endpoint: it is replaced as a
    new import, as registration would. Imported rows carry no edit token; updated ones keep
    theirs, so the student can go on editing.
    """
    existing = _existing(connection, [record.username for record in batch])
    outcome = BatchOutcome()
    fresh: list[Record] = []
    changed: list[Record] = []
    expired: list[str] = []
    for record in batch:
        stored = existing.get(record.username)
        if stored is not None and cutoff is not None and utc(stored.updated_at) < cutoff:
            expired.append(record.username)
            stored = None
        if stored is None:
            fresh.append(record)
        elif stored.schedule == record.schedule:
            outcome.unchanged += 1
        elif overwrite:
            changed.append(record)
        else:
            outcome.rejected.append(
                Rejection(record.position, record.username, record.schedule, {NON_FIELD: [EXISTS]})
            )
    _delete(connection, expired)
    outcome.imported = _insert(connection, fresh, now)
    outcome.updated = _update(connection, changed, now)
    return outcome


def _existing(connection: Connection, usernames: list[str]) -> dict[str, Row[Any]]:
    rows = connection.execute(
        select(students.c.username, students.c.schedule, students.c.updated_at).where(
            students.c.username.in_(usernames)
        )
    )
    return {row.username: row for row in rows}


def _delete(connection: Connection, usernames: list[str]) -> None:
    if usernames:
        connection.execute(delete(students).where(students.c.username.in_(usernames)))


def _insert(connection: Connection, records: list[Record], now: datetime) -> int:
    if records:
        connection.execute(
            insert(students),
            [
                {
                    "username": record.username,
                    "schedule": record.schedule,
                    "edit_token_hash": None,
                    "created_at": record.created_at or now,
                    "updated_at": now,
                }
                for record in records
            ],
        )
    return len(records)


def _update(connection: Connection, records: list[Record], now: datetime) -> int:
    if records:
        connection.execute(
            update(students)
            .where(students.c.username == bindparam("name"))
            .values(schedule=bindparam("new_schedule"), updated_at=now),
            [{"name": record.username, "new_schedule": record.schedule} for record in records],
        )
    return len(records)


# --------------------------------------------------------------------------- exporting


@dataclass(frozen=True, slots=True)
class ExportRow:
    """What an export carries per student; the edit token hash never leaves the database."""

    username: str
    schedule: str
    created_at: datetime


def live_students(connection: Connection, cutoff: datetime | None) -> list[ExportRow]:
    """Every student the API would still serve, by name, so exports diff cleanly."""
    query = select(students.c.username, students.c.schedule, students.c.created_at)
    rows = connection.execute(query.where(is_live(cutoff)).order_by(students.c.username))
    return [
        ExportRow(username, schedule, utc(created_at).astimezone(timezone.utc))
        for username, schedule, created_at in rows
    ]


def export_json(rows: Iterable[ExportRow]) -> str:
    """{username: schedule}, the Redis hash's shape: what every old tool already reads."""
    return json.dumps({row.username: row.schedule for row in rows}, indent=2) + "\n"


def export_csv(rows: Iterable[ExportRow]) -> str:
    """username,schedule,created_at: the one format that also keeps registration dates."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["username", "schedule", "created_at"])
    writer.writerows((row.username, row.schedule, row.created_at.isoformat()) for row in rows)
    return buffer.getvalue()


# --------------------------------------------------------------------------- backups


def backup_sqlite(source: Path, target: Path, busy_timeout: float) -> int:
    """Copy a live SQLite database page by page with SQLite's backup API; returns the students.

    Unlike copying the file, the backup API reads under SQLite's own locks, so the copy is a
    consistent snapshot even while the app writes. It is written beside the target and renamed
    into place, so a failed backup never leaves a truncated file under the target's name; the
    copy is switched to the DELETE journal so it is one self-contained file.
    """
    partial = target.with_name(target.name + ".partial")
    try:
        # mode=rw: never create an empty database where the operator mistyped a path.
        with closing(
            sqlite3.connect(f"{source.resolve().as_uri()}?mode=rw", uri=True, timeout=busy_timeout)
        ) as src:
            with closing(sqlite3.connect(partial)) as copy:
                src.backup(copy)
                copy.execute("PRAGMA journal_mode = DELETE").fetchone()
                (check,) = copy.execute("PRAGMA quick_check").fetchone()
                if check != "ok":
                    raise BackupError(f"the copy fails SQLite's integrity check: {check}")
                (count,) = copy.execute("SELECT count(*) FROM students").fetchone()
        os.replace(partial, target)
    except sqlite3.Error as error:
        raise BackupError(f"cannot back up {source}: {error}") from error
    finally:
        partial.unlink(missing_ok=True)
    return int(count)
