"""The operator's queries and writes (gapfind.persistence.repository_admin) on SQLite and
PostgreSQL: what each returns, what it leaves in the table, and when import batches commit."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta, timezone
from itertools import product
from string import ascii_lowercase

import pytest
from flask import Flask
from sqlalchemy import func, insert, select

from gapfind.extensions import db
from gapfind.persistence import repository_admin
from gapfind.persistence.models import utc_now
from gapfind.persistence.repository import hash_token, students, utc, write_transaction
from gapfind.persistence.repository_admin import BATCH_SIZE, ExportRow, StudentDetails, StudentStats
from gapfind.transfer.records import Record

WEEK = "01" * 49
OTHER_WEEK = "10" * 49
EXPIRED = timedelta(days=181)  # SCHEDULE_RETENTION_DAYS is 180 in the testing settings

AddStudent = Callable[..., None]


@pytest.fixture
def context(app: Flask) -> Iterator[Flask]:
    """The repository functions run inside an app context, as the commands do."""
    with app.app_context():
        yield app


@pytest.fixture
def add(context: Flask) -> AddStudent:
    """Insert a row straight into the table, with the dates a test needs."""

    def insert_row(
        username: str,
        schedule: str = WEEK,
        *,
        when: datetime | None = None,
        token: str | None = None,
    ) -> None:
        moment = when or utc_now()
        with db.engine.begin() as connection:
            connection.execute(
                insert(students).values(
                    username=username,
                    schedule=schedule,
                    edit_token_hash=None if token is None else hash_token(token),
                    created_at=moment,
                    updated_at=moment,
                )
            )

    return insert_row


def rows() -> dict[str, tuple[str, str | None, datetime]]:
    with db.engine.connect() as connection:
        result = connection.execute(select(students)).all()
    return {
        row.username: (row.schedule, row.edit_token_hash, utc(row.updated_at)) for row in result
    }


def count_rows() -> int:
    with db.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(students)).scalar_one())


# --------------------------------------------------------------------------- one student


def test_details_of_a_live_student_are_in_utc_and_hide_the_token(add: AddStudent) -> None:
    when = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    add("ana", when=utc_now())
    add("bob", OTHER_WEEK, when=when, token="secret")

    details = repository_admin.find_student_details("bob")

    assert details is not None
    assert details == StudentDetails(OTHER_WEEK, when, when, True)
    assert details.created_at.utcoffset() == timedelta(0)
    ana = repository_admin.find_student_details("ana")
    assert ana is not None and (ana.schedule, ana.has_edit_token) == (WEEK, False)


def test_an_expired_or_unknown_student_has_no_details(add: AddStudent) -> None:
    add("ana", when=utc_now() - EXPIRED)

    assert repository_admin.find_student_details("ana") is None
    assert repository_admin.find_student_details("bob") is None


def test_reset_edit_token_stores_only_the_hash_and_keeps_updated_at(add: AddStudent) -> None:
    add("ana", token="old")
    before = rows()["ana"]

    token = repository_admin.reset_edit_token("ana")

    assert token is not None and token != "old"
    assert rows()["ana"] == (before[0], hash_token(token), before[2])


def test_reset_edit_token_finds_no_expired_or_unknown_student(add: AddStudent) -> None:
    add("ana", when=utc_now() - EXPIRED)
    before = rows()

    assert repository_admin.reset_edit_token("ana") is None
    assert repository_admin.reset_edit_token("bob") is None
    assert rows() == before


def test_delete_student_row_deletes_expired_rows_too(add: AddStudent) -> None:
    add("ana", when=utc_now() - EXPIRED)
    add("bob")

    assert repository_admin.delete_student_row("ana") is True
    assert repository_admin.delete_student_row("ana") is False
    assert set(rows()) == {"bob"}


# --------------------------------------------------------------------------- the whole table


def test_student_stats_counts_and_buckets_by_iso_week(add: AddStudent) -> None:
    now = datetime(2025, 1, 15, 12, 0, tzinfo=timezone.utc)  # a Wednesday
    add("ana", when=datetime(2025, 1, 13, 0, 0, tzinfo=timezone.utc), token="t")  # this Monday
    add("bob", when=datetime(2025, 1, 12, 23, 59, tzinfo=timezone.utc))  # last Sunday
    add("carl", when=datetime(2025, 1, 5, 12, 0, tzinfo=timezone.utc))  # before the two weeks shown
    add("dora", when=now - EXPIRED)

    stats = repository_admin.student_stats(2, now)

    assert stats == StudentStats(
        live=3,
        expired=1,
        tokenless=3,
        registrations_per_week=[(date(2025, 1, 6), 1), (date(2025, 1, 13), 1)],
    )


def test_live_students_are_sorted_by_name_in_utc_without_the_expired(add: AddStudent) -> None:
    when = datetime(2030, 5, 6, 7, 8, 9, 10, tzinfo=timezone.utc)
    add("carl", when=when)
    add("ana", OTHER_WEEK, when=when, token="t")
    add("bob", when=utc_now() - EXPIRED)

    assert repository_admin.live_students() == [
        ExportRow("ana", OTHER_WEEK, when),
        ExportRow("carl", WEEK, when),
    ]


# --------------------------------------------------------------------------- import


@pytest.mark.parametrize("overwrite", [False, True])
def test_write_batch_sorts_each_record_into_one_category(add: AddStudent, overwrite: bool) -> None:
    old = utc_now() - timedelta(days=3)
    add("ana", when=old, token="a")
    add("bob", when=old, token="b")
    add("carl", when=utc_now() - EXPIRED, token="c")
    batch = [
        Record(1, "ana", WEEK),
        Record(2, "bob", OTHER_WEEK),
        Record(3, "carl", OTHER_WEEK),
        Record(4, "dora", WEEK),
    ]
    now = utc_now()

    with db.engine.begin() as connection:
        outcome = repository_admin.write_batch(
            connection, batch, overwrite=overwrite, now=now, cutoff=now - timedelta(days=180)
        )

    assert (outcome.imported, outcome.unchanged) == (2, 1)
    assert (outcome.updated, outcome.conflicts) == ((1, []) if overwrite else (0, [batch[1]]))
    assert outcome.records == len(batch)
    after = rows()
    assert after["ana"] == (WEEK, hash_token("a"), old)
    assert after["bob"] == (
        (OTHER_WEEK, hash_token("b"), now) if overwrite else (WEEK, hash_token("b"), old)
    )
    assert after["carl"] == (OTHER_WEEK, None, now)
    assert after["dora"] == (WEEK, None, now)


def test_a_batch_written_in_an_interrupted_transaction_leaves_nothing(context: Flask) -> None:
    """import_records writes each batch inside one write_transaction; write_batch must not
    commit."""
    records = [Record(n, f"s{chr(97 + n)}", WEEK) for n in range(5)]

    with pytest.raises(KeyboardInterrupt):
        with write_transaction() as connection:
            outcome = repository_admin.write_batch(
                connection, records, overwrite=False, now=utc_now(), cutoff=None
            )
            assert outcome.imported == 5
            raise KeyboardInterrupt

    assert rows() == {}


# 2 * BATCH_SIZE + 1 distinct valid names: three batches, the last of one record.
NAMES = ["".join(letters) for letters in product(ascii_lowercase, repeat=3)][: 2 * BATCH_SIZE + 1]


def test_import_records_commits_each_batch_before_yielding_it(context: Flask) -> None:
    records = [Record(n, name, WEEK) for n, name in enumerate(NAMES, 1)]

    written = repository_admin.import_records(records, overwrite=False)
    first = next(written)
    seen_after_first = count_rows()
    written.close()  # the operator interrupts: later batches are never written

    assert (first.imported, first.records) == (BATCH_SIZE, BATCH_SIZE)
    assert seen_after_first == count_rows() == BATCH_SIZE


def test_import_records_yields_one_outcome_per_batch(context: Flask) -> None:
    records = [Record(n, name, WEEK) for n, name in enumerate(NAMES, 1)]

    outcomes = list(repository_admin.import_records(records, overwrite=False))

    assert [outcome.records for outcome in outcomes] == [BATCH_SIZE, BATCH_SIZE, 1]
    assert count_rows() == len(records)
