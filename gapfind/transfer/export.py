"""Students written out for other tools: the two formats `flask users import` reads back."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable

from gapfind.persistence.repository_admin import ExportRow


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


# --format of `flask users export` -> the writer.
EXPORTERS: dict[str, Callable[[Iterable[ExportRow]], str]] = {
    "json": export_json,
    "csv": export_csv,
}
