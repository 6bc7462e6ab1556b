"""An imported student at each step: as the source gave it, checked, or rejected with reasons.

Records are checked by a marshmallow schema built from the API's own fields, so each rule and
its Spanish message has one home (the core and gapfind.messages) and problems come keyed by
field, the API's error shape: an operator reads the wording a student would have seen. The
record's position in the source is kept throughout, which is how the operator finds it again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum
from typing import Any

from marshmallow import ValidationError, fields

from gapfind.errors import NON_FIELD
from gapfind.messages import BAD_DATE, DUPLICATE, EXISTS
from gapfind.persistence.repository import utc
from gapfind.schemas import ApiSchema, StoredSchedule, Username


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


class CreatedAt(fields.DateTime):
    """created_at as Django's dumpdata writes it: ISO 8601, returned in UTC, where a naive time
    is UTC already (what Django stores with USE_TZ on).

    On top of marshmallow's own parsing, blanks around the text and a lowercase "z" are
    accepted, as this importer always did, so no source it read before is refused now.
    tests/transfer/test_records.py runs marshmallow's DateTime beside this field on the same
    inputs.
    """

    def __init__(self) -> None:
        super().__init__(
            format="iso", load_default=None, allow_none=True, error_messages={"invalid": BAD_DATE}
        )

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        if isinstance(value, str):
            value = value.strip()
            if value.endswith(("Z", "z")):
                value = value[:-1] + "+00:00"
        parsed = super()._deserialize(value, attr, data, **kwargs)
        return utc(parsed).astimezone(timezone.utc)


class ImportedStudent(ApiSchema):
    """One imported record, checked with the API's own username field and messages: an
    operator reads exactly what POST /manual would have answered for the same name."""

    username = Username(required=True)
    schedule = StoredSchedule(required=True)
    created_at = CreatedAt()


_IMPORTED_STUDENT = ImportedStudent()


def validate(raw_records: Iterable[RawRecord]) -> tuple[list[Record], list[Rejection]]:
    """Apply the API's rules to every record; a name seen before (any case) is rejected."""
    accepted: list[Record] = []
    rejected: list[Rejection] = []
    first_seen: dict[str, int] = {}
    for raw in raw_records:
        loaded, errors = _load(raw)
        name = loaded.get("username")
        if name is not None:
            first = first_seen.setdefault(name, raw.position)
            if first != raw.position:
                errors.setdefault(NON_FIELD, []).append(DUPLICATE.format(name=name, first=first))
        if name is None or errors:
            rejected.append(Rejection(raw.position, raw.username, raw.schedule, errors))
        else:
            accepted.append(Record(raw.position, name, loaded["schedule"], loaded["created_at"]))
    return accepted, rejected


def _load(raw: RawRecord) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The fields of `raw` that passed ImportedStudent (name lowercased) and the problems.

    A record the reader already found malformed keeps only that problem: checking its fields
    would repeat it as "required" noise, and its name (say, another Django model's pk) must
    not count as taken.
    """
    if raw.errors:
        return {}, {name: list(messages) for name, messages in raw.errors.items()}
    given = {"username": raw.username, "schedule": raw.schedule, "created_at": raw.created_at}
    try:
        loaded = _IMPORTED_STUDENT.load(
            {name: value for name, value in given.items() if value is not MISSING}
        )
    except ValidationError as error:
        valid = error.valid_data if isinstance(error.valid_data, dict) else {}
        return valid, {name: list(messages) for name, messages in error.messages_dict.items()}
    return loaded, {}
