"""Operator commands (`flask users ...`, `flask db-backup`) and the `flask shell` context.

Shared hosts give operators a console and `flask`, not cron endpoints, so everything an
operator does to the data is a command here: moving students in from the old deployments and
out again, looking one up, issuing a lost edit token, retention and backups. The commands are
thin: they parse arguments, call and print. Reading, checking and exporting records live in
gapfind.transfer, every query in gapfind.persistence.repository and
gapfind.persistence.repository_admin, and the SQLite copy in gapfind.persistence.backup.

Exit status: 0 on success; 1 when a student is unknown, a backup cannot be made, or an import
rejected some records (the valid ones are still written); 2 when the command line or the
import source itself is unusable, in which case nothing is written.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from gapfind import core
from gapfind.core import GapOptions, find_gaps, render_grid, weekday_availability
from gapfind.extensions import db
from gapfind.persistence import backup, repository, repository_admin
from gapfind.persistence.models import Student
from gapfind.persistence.repository_admin import BatchOutcome
from gapfind.transfer.export import EXPORTERS
from gapfind.transfer.records import RawRecord, Record, Rejection, validate
from gapfind.transfer.sources import FORMATS, REDIS_KEY, SourceError, read_redis_hash, read_source

# Inputs above this size get a progress bar even when stderr is not a terminal.
PROGRESS_MIN_RECORDS = 1000
# Rejections printed in the summary; --report has them all.
SUMMARY_REJECTIONS = 20

users = AppGroup("users", help="Import, export, inspect and purge students.")


# --------------------------------------------------------------------------- looking students up


def student_card(name: str) -> str | None:
    """A live student's name, dates and week as a labelled grid; None when there is none.

    People check a timetable by eye; 98 characters of 0/1 are unreadable.
    """
    username = core.username_key(name)
    student = None if username is None else repository_admin.find_student_details(username)
    if student is None:
        return None
    header = (
        f"{username}  registered {_when(student.created_at)}, updated {_when(student.updated_at)}"
        f", edit token: {'yes' if student.has_edit_token else 'none (run users reset-token)'}"
    )
    return f"{header}\n{render_grid(student.schedule)}"


def _when(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC")


def show(name: str) -> None:
    """`flask shell` helper: print a student's week as the 14 x 7 grid with hour/day labels."""
    print(student_card(name) or f"No student named {name!r}")


def _unknown(name: str) -> click.ClickException:
    return click.ClickException(f"no student named {name!r}")


def _existing_name(name: str) -> str:
    """The stored key for a command argument; a name breaking the rules cannot be a student."""
    username = core.username_key(name)
    if username is None:
        raise _unknown(name)
    return username


# --------------------------------------------------------------------------- import


@users.command("import")
@click.argument(
    "source", required=False, type=click.Path(exists=True, dir_okay=False, allow_dash=True)
)
@click.option("--from-redis", "redis_url", metavar="URL", help="Read the hash from a live Redis.")
@click.option("--key", default=REDIS_KEY, show_default=True, help="Hash key, with --from-redis.")
@click.option(
    "--format",
    "source_format",
    type=click.Choice(FORMATS),
    help="Force the format instead of detecting it from the content.",
)
@click.option("--overwrite", is_flag=True, help="Replace students that exist with another week.")
@click.option(
    "--report",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the rejected records and their reasons to this JSON file.",
)
def import_command(
    source: str | None,
    redis_url: str | None,
    key: str,
    source_format: str | None,
    overwrite: bool,
    report: str | None,
) -> None:
    """Import students from SOURCE ('-' for stdin) or from --from-redis URL.

    SOURCE is a JSON object {username: schedule} (the old Redis hash), a Django dumpdata list
    of base.uninorteuser records (created_at is kept), or a CSV with username and schedule
    columns. Every record is checked with the API's rules; running it twice changes nothing.
    """
    records, invalid = validate(_read_source(source, redis_url, key, source_format))
    totals = _write(records, overwrite)
    taken = [Rejection.taken(record) for record in totals.conflicts]
    rejected = sorted([*invalid, *taken], key=lambda item: item.position)
    _print_summary(totals, rejected, report)
    if report:
        _write_report(Path(report), totals, rejected)
    if rejected:
        click.get_current_context().exit(1)


def _read_source(
    source: str | None, redis_url: str | None, key: str, source_format: str | None
) -> list[RawRecord]:
    if (source is None) == (redis_url is None):
        raise click.UsageError("give either SOURCE or --from-redis URL")
    if redis_url is not None and source_format is not None:
        raise click.UsageError("--format applies to SOURCE files, not to --from-redis")
    try:
        if redis_url is not None:
            return read_redis_hash(redis_url, key)
        return read_source(_source_bytes(str(source)), source_format)
    except SourceError as error:
        hint = "--from-redis" if redis_url is not None else "SOURCE"
        raise click.BadParameter(str(error), param_hint=hint) from error


def _source_bytes(source: str) -> bytes:
    return sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()


def _write(records: list[Record], overwrite: bool) -> BatchOutcome:
    """The batches' totals, with a progress bar on a terminal or for a large import."""
    totals = BatchOutcome()
    visible = len(records) > PROGRESS_MIN_RECORDS or sys.stderr.isatty()
    with click.progressbar(
        length=len(records), label="Importing students", file=sys.stderr, hidden=not visible
    ) as bar:
        for outcome in repository_admin.import_records(records, overwrite=overwrite):
            totals.add(outcome)
            bar.update(outcome.records)
    return totals


def _print_summary(totals: BatchOutcome, rejected: list[Rejection], report: str | None) -> None:
    click.echo(f"imported: {totals.imported}")
    click.echo(f"updated: {totals.updated}")
    click.echo(f"unchanged: {totals.unchanged}")
    click.echo(f"rejected: {len(rejected)}")
    for rejection in rejected[:SUMMARY_REJECTIONS]:
        click.echo(f"  {rejection.summary_line()}")
    hidden = len(rejected) - SUMMARY_REJECTIONS
    if hidden > 0:
        more = f"written to {report}" if report else "use --report FILE to list them all"
        click.echo(f"  ... and {hidden} more ({more})")


def _write_report(path: Path, totals: BatchOutcome, rejected: list[Rejection]) -> None:
    document = {
        "imported": totals.imported,
        "updated": totals.updated,
        "unchanged": totals.unchanged,
        "rejected": [rejection.as_json() for rejection in rejected],
    }
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------- export


@users.command("export")
@click.option("--format", "export_format", type=click.Choice(list(EXPORTERS)), default="json")
@click.option("--output", default="-", type=click.Path(dir_okay=False, allow_dash=True))
def export_command(export_format: str, output: str) -> None:
    """Write every live student as JSON {username: schedule} or CSV (with created_at).

    `flask users import` reads both back without loss; edit tokens are never exported.
    """
    rows = repository_admin.live_students()
    text = EXPORTERS[export_format](rows)
    # atomic: a reader of --output never sees half an export.
    with click.open_file(output, "w", encoding="utf-8", atomic=output != "-") as stream:
        stream.write(text)
    if output != "-":
        click.echo(f"exported {len(rows)} students to {output}", err=True)


# --------------------------------------------------------------------------- one student


@users.command("show")
@click.argument("name")
def show_command(name: str) -> None:
    """Print NAME's week as a 14 x 7 grid with hour and day labels."""
    card = student_card(name)
    if card is None:
        raise _unknown(name)
    click.echo(card)


@users.command("reset-token")
@click.argument("name")
def reset_token_command(name: str) -> None:
    """Issue NAME a new edit token (the old one stops working); prints it once.

    Imported students have none until this is run. Only the hash is stored, and the schedule's
    updated_at is left alone: retention counts schedule changes, not token resets.
    """
    username = _existing_name(name)
    token = repository_admin.reset_edit_token(username)
    if token is None:
        raise _unknown(name)
    click.echo(f"New edit token for {username} (not stored; give it to the student):", err=True)
    click.echo(token)


@users.command("delete")
@click.argument("name")
def delete_command(name: str) -> None:
    """Delete NAME's row (expired or not); the name can then be registered again."""
    username = _existing_name(name)
    if not repository_admin.delete_student_row(username):
        raise _unknown(name)
    click.echo(f"deleted {username}")


# --------------------------------------------------------------------------- the whole table


@users.command("stats")
@click.option("--weeks", default=8, show_default=True, type=click.IntRange(min=1))
def stats_command(weeks: int) -> None:
    """Students served, expired and token-less, and registrations per ISO week."""
    stats = repository_admin.student_stats(weeks)
    click.echo(f"students: {stats.live}")
    click.echo(f"  expired, awaiting purge: {stats.expired}")
    click.echo(f"  without an edit token: {stats.tokenless}")
    click.echo(f"registrations per ISO week (last {weeks}):")
    for monday, count in stats.registrations_per_week:
        year, week, _ = monday.isocalendar()
        click.echo(f"  {year}-W{week:02d}  {count:>6}")


@users.command("purge")
@click.option(
    "--older-than",
    "days",
    type=click.IntRange(min=1),
    help="Days without an update. [default: SCHEDULE_RETENTION_DAYS]",
)
@click.option("--dry-run", is_flag=True, help="List the students instead of deleting them.")
def purge_command(days: int | None, dry_run: bool) -> None:
    """Delete students whose schedule was not updated for DAYS days.

    The app already hides them and purges once a day by itself; this is for hosts that can
    schedule it, or to reclaim the space now.
    """
    if days is None:
        days = int(current_app.config["SCHEDULE_RETENTION_DAYS"])
        if days <= 0:
            click.echo("retention is off (SCHEDULE_RETENTION_DAYS=0): nothing to purge")
            return
    if dry_run:
        names = repository.expired_usernames(days)
        for name in names:
            click.echo(name)
        click.echo(f"{len(names)} students would be purged (not updated for {days} days)", err=True)
        return
    removed = repository.purge_expired(days)
    click.echo(f"purged {removed} students not updated for {days} days")


# --------------------------------------------------------------------------- backups


@click.command("db-backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def db_backup_command(path: Path) -> None:
    """Copy the SQLite database to PATH, safely while the app is running.

    PATH must not exist yet, so a backup never replaces the database or an older backup.
    """
    try:
        database = backup.sqlite_file(db.engine.url, path)
        if path.exists():
            raise click.ClickException(f"{path} already exists; choose a new name")
        count = backup.backup_sqlite(
            Path(database), path, current_app.config["SQLITE_BUSY_TIMEOUT"]
        )
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"backed up {count} students from {database} to {path}")


# --------------------------------------------------------------------------- registration


def register_shell_context(app: Flask) -> None:
    """What `flask shell` has at hand without imports."""

    @app.shell_context_processor
    def _context() -> dict[str, Any]:
        return {
            "db": db,
            "Student": Student,
            "repository": repository,
            "core": core,
            "find_gaps": find_gaps,
            "GapOptions": GapOptions,
            "weekday_availability": weekday_availability,
            "render_grid": render_grid,
            "show": show,
        }


def register_commands(app: Flask) -> None:
    """`flask users ...` and `flask db-backup`."""
    app.cli.add_command(users)
    app.cli.add_command(db_backup_command)
