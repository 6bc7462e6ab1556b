"""Readers of the old deployments' data, each turning a source into raw records in order.

The old Redis hash (live, or as the JSON object it dumps to), Django's dumpdata of
base.uninorteuser and spreadsheet CSV all become RawRecords, with the shape problems the reader
saw attached to the record they belong to. A problem with the source as a whole (unreadable
JSON, a CSV without the needed columns, an unreachable Redis) raises SourceError instead, and
nothing from that source is imported.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

from gapfind.errors import NON_FIELD
from gapfind.messages import NO_MODEL, NOT_AN_OBJECT, NOT_UTF8, REQUIRED, ROW_SHAPE, WRONG_MODEL
from gapfind.transfer.records import MISSING, RawRecord

DJANGO_MODEL = "base.uninorteuser"
REDIS_KEY = "gapfind:usernames"


class SourceError(ValueError):
    """The source as a whole cannot be read, so none of it is imported."""


def read_source(data: bytes, source_format: str | None = None) -> list[RawRecord]:
    """Parse a file's bytes as `source_format`, or as the format its first character announces."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SourceError(f"not UTF-8 text (byte {error.start})") from error
    if not text.strip():
        raise SourceError("the source is empty")
    chosen = source_format or detect_format(text)
    parse = PARSERS.get(chosen)
    if parse is None:
        raise SourceError(f"unknown format {chosen!r}; expected one of {', '.join(FORMATS)}")
    return parse(text)


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
        shown = NO_MODEL if model is MISSING else str(model)
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


# --format of `flask users import` -> the reader of that file format.
PARSERS: dict[str, Callable[[str], list[RawRecord]]] = {
    "json": parse_username_object,
    "django": parse_django_dump,
    "csv": parse_csv,
}
FORMATS = tuple(PARSERS)


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
