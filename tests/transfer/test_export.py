"""The export writers: their exact text, and that the readers take it back without loss."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from hypothesis import given
from hypothesis import strategies as st

from gapfind.persistence.repository_admin import ExportRow
from gapfind.transfer.export import EXPORTERS, export_csv, export_json
from gapfind.transfer.records import Record, validate
from gapfind.transfer.sources import read_source

WHEN = datetime(2024, 8, 5, 14, 30, 15, 250000, tzinfo=timezone.utc)
ROWS = [ExportRow("ana", "1" + "0" * 97, WHEN), ExportRow("bob", "0" * 98, WHEN)]


def test_json_is_the_old_redis_hash_as_an_indented_object() -> None:
    text = export_json(ROWS)

    assert json.loads(text) == {"ana": "1" + "0" * 97, "bob": "0" * 98}
    assert text.startswith('{\n  "ana": ') and text.endswith("}\n")


def test_csv_has_a_header_and_iso_dates() -> None:
    assert export_csv(ROWS) == (
        "username,schedule,created_at\n"
        f"ana,{'1' + '0' * 97},2024-08-05T14:30:15.250000+00:00\n"
        f"bob,{'0' * 98},2024-08-05T14:30:15.250000+00:00\n"
    )


def test_the_export_formats_are_json_and_csv() -> None:
    assert EXPORTERS == {"json": export_json, "csv": export_csv}


_NAMES = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=30)
_WEEKS = st.text(alphabet="01", min_size=98, max_size=98)
_TIMES = st.datetimes(min_value=datetime(1970, 1, 2), timezones=st.just(timezone.utc))


@given(st.dictionaries(_NAMES, st.tuples(_WEEKS, _TIMES), max_size=5))
def test_what_is_exported_imports_back_the_same(weeks: dict) -> None:
    rows = [ExportRow(name, week, when) for name, (week, when) in sorted(weeks.items())]

    from_json, json_rejected = validate(read_source(export_json(rows).encode()))
    from_csv, csv_rejected = validate(read_source(export_csv(rows).encode()))

    assert json_rejected == csv_rejected == []
    assert from_json == [Record(n, row.username, row.schedule) for n, row in enumerate(rows, 1)]
    assert from_csv == [
        Record(n, row.username, row.schedule, row.created_at) for n, row in enumerate(rows, 1)
    ]
