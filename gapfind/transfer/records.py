"""An imported student at each step: as the source gave it, checked, or rejected with reasons.

Problems with one record are collected as Spanish messages keyed by field, the API's error
shape, so an operator reads the same wording a student would have seen; the record's position
in the source is kept throughout, which is how the operator finds it again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum
from typing import Any

from gapfind.core.grid import SLOT_COUNT, is_schedule
from gapfind.core.usernames import normalize_username, username_problem
from gapfind.errors import NON_FIELD
from gapfind.messages import (
    BAD_DATE,
    DUPLICATE,
    EXISTS,
    NOT_A_STRING,
    NULL,
    REQUIRED,
    SCHEDULE_LENGTH,
    SCHEDULE_MARKS,
    USERNAME_MESSAGES,
)
from gapfind.repository import utc


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

    @classmethod
    def taken(cls, record: Record) -> Rejection:
        """A valid record whose name a stored student holds with another week (no --overwrite)."""
        return cls(record.position, record.username, record.schedule, {NON_FIELD: [EXISTS]})

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


def _jsonable(value: object) -> object:
    """Raw values came from JSON, CSV or decoded Redis text, so only MISSING needs a stand-in."""
    return None if value is MISSING else value


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
