"""Checking imported records: the API's fields and messages reused, marshmallow's own date
parsing fenced, duplicates within one source, and how rejections are reported."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st
from marshmallow import ValidationError, fields

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
)
from gapfind.transfer.records import (
    MISSING,
    CreatedAt,
    ImportedStudent,
    RawRecord,
    Record,
    Rejection,
    validate,
)

WEEK = "01" * 49


def errors_of(raw: RawRecord) -> dict[str, list[str]]:
    accepted, rejected = validate([raw])
    assert accepted == []
    (rejection,) = rejected
    return rejection.errors


# --------------------------------------------------------------------------- one rule, one message


@pytest.mark.parametrize(
    "username", ["", "a" * 31, "Ana María", "ana_b", " ana", 7, None, [], MISSING]
)
def test_a_bad_name_gets_the_message_registration_would_answer(
    client: FlaskClient, username: object
) -> None:
    body: dict[str, object] = {"list_of_indices": [[0, 0]]}
    if username is not MISSING:
        body["username"] = username
    api = client.post("/manual", json=body)

    assert api.status_code == 400
    assert errors_of(RawRecord(1, username, WEEK)) == {"username": api.get_json()["username"]}


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        (WEEK[:-1], SCHEDULE_LENGTH.format(length=97)),
        (WEEK + "0", SCHEDULE_LENGTH.format(length=99)),
        ("", SCHEDULE_LENGTH.format(length=0)),
        ("2" + WEEK[1:], SCHEDULE_MARKS),
        (WEEK[:-1] + "\n", SCHEDULE_MARKS),
        (1010, NOT_A_STRING),
        ([[0, 0]], NOT_A_STRING),
        (None, NULL),
        (MISSING, REQUIRED),
    ],
)
def test_schedule_problems(schedule: object, message: str) -> None:
    assert errors_of(RawRecord(1, "ana", schedule)) == {"schedule": [message]}


def test_every_problem_of_a_record_is_reported_at_once() -> None:
    errors = errors_of(RawRecord(1, "Ana María", "01", "ayer"))

    assert errors == {
        "username": ["El nombre de usuario solo puede contener letras"],
        "schedule": [SCHEDULE_LENGTH.format(length=2)],
        "created_at": [BAD_DATE],
    }


def test_a_valid_record_is_stored_lowercase_with_its_creation_time_in_utc() -> None:
    accepted, rejected = validate(
        [RawRecord(4, "Ana", WEEK, "2023-03-01T08:00:00-05:00"), RawRecord(5, "bob", WEEK)]
    )

    assert rejected == []
    assert accepted == [
        Record(4, "ana", WEEK, datetime(2023, 3, 1, 13, 0, tzinfo=timezone.utc)),
        Record(5, "bob", WEEK, None),
    ]
    assert accepted[0].created_at is not None
    assert accepted[0].created_at.tzinfo is timezone.utc


def test_imported_student_is_one_schema_for_the_three_fields() -> None:
    with pytest.raises(ValidationError) as raised:
        ImportedStudent().load({"schedule": WEEK, "created_at": 5})

    assert raised.value.messages == {"username": [REQUIRED], "created_at": [BAD_DATE]}


# --------------------------------------------------------------------------- created_at fence

# CreatedAt extends marshmallow's DateTime: the same answer wherever marshmallow's own field
# accepts a value (naive times taken as UTC), and the importer's extra tolerance only where
# marshmallow refuses.
_STOCK = fields.DateTime(format="iso")
_OURS = CreatedAt()


def _stock(value: object) -> datetime | None:
    try:
        parsed = _STOCK.deserialize(value)
    except ValidationError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).astimezone(
        timezone.utc
    )


def _ours(value: object) -> datetime | None:
    try:
        return _OURS.deserialize(value)
    except ValidationError as error:
        assert error.messages == [BAD_DATE]
        return None


@pytest.mark.parametrize(
    "value",
    [
        "2023-02-14T18:22:31.123Z",
        "2023-02-14T18:22:31.123+00:00",
        "2023-03-01T08:00:00-05:00",
        "2023-04-01T08:00:00",
        "2023-04-01 08:00",
        "2023-04-01",
        "ayer",
        "",
        "2023-02-30T00:00:00",
        1676400000,
        1.5,
        True,
        [],
        {},
    ],
)
def test_created_at_agrees_with_marshmallow_wherever_marshmallow_accepts(value: object) -> None:
    assert _ours(value) == _stock(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (" 2023-04-01T08:00:00 ", datetime(2023, 4, 1, 8, 0, tzinfo=timezone.utc)),
        ("2023-04-01T08:00:00z", datetime(2023, 4, 1, 8, 0, tzinfo=timezone.utc)),
        ("\t2023-04-01T03:00:00-05:00\n", datetime(2023, 4, 1, 8, 0, tzinfo=timezone.utc)),
    ],
)
def test_created_at_also_takes_blanks_and_a_lowercase_z(value: str, expected: datetime) -> None:
    assert _stock(value) is None  # marshmallow alone refuses these
    assert _ours(value) == expected


@given(
    st.datetimes(
        min_value=datetime(1970, 1, 2),
        timezones=st.one_of(
            st.none(), st.timedeltas(timedelta(hours=-12), timedelta(hours=14)).map(timezone)
        ),
    )
)
def test_created_at_reads_back_any_iso_time_as_the_same_instant(when: datetime) -> None:
    instant = when if when.tzinfo else when.replace(tzinfo=timezone.utc)

    assert _ours(when.isoformat()) == instant == _stock(when.isoformat())


# --------------------------------------------------------------------------- one source


def test_a_name_seen_before_in_any_case_is_rejected_with_the_first_position() -> None:
    accepted, rejected = validate(
        [RawRecord(1, "ana", WEEK), RawRecord(2, "bob", WEEK), RawRecord(3, "ANA", "01")]
    )

    assert [record.username for record in accepted] == ["ana", "bob"]
    (rejection,) = rejected
    assert rejection.errors == {
        "schedule": [SCHEDULE_LENGTH.format(length=2)],
        NON_FIELD: [DUPLICATE.format(name="ana", first=1)],
    }


def test_a_record_the_reader_found_malformed_keeps_only_that_problem_and_takes_no_name() -> None:
    shape = {NON_FIELD: ["fila rota"]}
    accepted, rejected = validate(
        [RawRecord(1, "ana", MISSING, errors=shape), RawRecord(2, "ana", WEEK)]
    )

    assert [record.position for record in accepted] == [2]
    assert [(item.position, item.errors) for item in rejected] == [(1, shape)]
    assert rejected[0].errors is not shape  # the reader's dict is not shared with the report


# --------------------------------------------------------------------------- reporting


def test_a_taken_name_is_rejected_with_the_exists_message() -> None:
    rejection = Rejection.taken(Record(7, "ana", WEEK))

    assert rejection == Rejection(7, "ana", WEEK, {NON_FIELD: [EXISTS]})


def test_report_entries_show_missing_values_as_null() -> None:
    rejection = Rejection(3, MISSING, WEEK, {"username": [REQUIRED]})

    assert rejection.as_json() == {
        "position": 3,
        "username": None,
        "schedule": WEEK,
        "errors": {"username": [REQUIRED]},
    }


def test_summary_line_names_fields_but_not_the_body_level_errors() -> None:
    rejection = Rejection(2, "José", "01", {"schedule": ["corto", "raro"], NON_FIELD: ["repetido"]})

    assert rejection.summary_line() == '#2 "José": schedule: corto; schedule: raro; repetido'
