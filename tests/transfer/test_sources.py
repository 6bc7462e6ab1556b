"""The readers of the old formats, on their own: what each makes of a source's bytes, and which
problems belong to one record (attached to it) or to the whole source (SourceError)."""

from __future__ import annotations

import pytest
import redis as redis_py

from gapfind.errors import NON_FIELD
from gapfind.messages import NO_MODEL, NOT_AN_OBJECT, NOT_UTF8, REQUIRED, ROW_SHAPE, WRONG_MODEL
from gapfind.transfer.records import MISSING, RawRecord
from gapfind.transfer.sources import (
    FORMATS,
    SourceError,
    detect_format,
    read_redis_hash,
    read_source,
)
from tests.support.servers import RedisServer

WEEK = "01" * 49


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"ana": "0"}', "json"),
        ('  \n {"ana": "0"}', "json"),
        ('[{"model": "base.uninorteuser"}]', "django"),
        ("\t[]", "django"),
        ("username,schedule\n", "csv"),
        ('"ana"', "csv"),
    ],
)
def test_detect_format_goes_by_the_first_visible_character(text: str, expected: str) -> None:
    assert detect_format(text) == expected


def test_the_formats_offered_are_json_django_and_csv() -> None:
    assert FORMATS == ("json", "django", "csv")


# --------------------------------------------------------------------------- JSON object


def test_json_object_keeps_every_pair_in_order_even_repeated_keys() -> None:
    source = b'{"ana": "1", "Bob": "2", "ana": "3"}'

    assert read_source(source) == [
        RawRecord(1, "ana", "1"),
        RawRecord(2, "Bob", "2"),
        RawRecord(3, "ana", "3"),
    ]


def test_values_inside_a_json_record_come_back_as_plain_python() -> None:
    (record,) = read_source(b'{"ana": {"a": [1, {"b": null}], "a": 2}}')

    assert record.schedule == {"a": 2}


def test_a_byte_order_mark_is_not_part_of_the_first_name() -> None:
    (record,) = read_source(b'\xef\xbb\xbf{"ana": "1"}')

    assert record.username == "ana"


# --------------------------------------------------------------------------- Django dumpdata


def test_django_records_give_pk_schedule_and_created_at() -> None:
    source = (
        b'[{"model": "base.uninorteuser", "pk": "Ana", "fields": '
        b'{"schedule": "1", "created_at": "2023-02-14T18:22:31Z", "verified": true}},'
        b' {"model": "base.uninorteuser", "pk": "bob", "fields": {"schedule": "0"}}]'
    )

    assert read_source(source) == [
        RawRecord(1, "Ana", "1", "2023-02-14T18:22:31Z"),
        RawRecord(2, "bob", "0", None),
    ]


@pytest.mark.parametrize(
    ("item", "username", "schedule", "errors"),
    [
        ('"ana"', MISSING, MISSING, {NON_FIELD: [NOT_AN_OBJECT]}),
        (
            '{"model": "auth.user", "pk": "ana", "fields": {"schedule": "1"}}',
            "ana",
            "1",
            {NON_FIELD: [WRONG_MODEL.format(model="auth.user")]},
        ),
        (
            '{"pk": "ana", "fields": {"schedule": "1"}}',
            "ana",
            "1",
            {NON_FIELD: [WRONG_MODEL.format(model=NO_MODEL)]},
        ),
        ('{"model": "base.uninorteuser", "pk": "ana"}', "ana", MISSING, {"fields": [REQUIRED]}),
        (
            '{"model": "base.uninorteuser", "pk": "ana", "fields": [1]}',
            "ana",
            MISSING,
            {"fields": [NOT_AN_OBJECT]},
        ),
        ('{"model": "base.uninorteuser", "fields": {}}', MISSING, MISSING, {}),
    ],
)
def test_django_record_shapes(item: str, username: object, schedule: object, errors) -> None:
    (record,) = read_source(f"[{item}]".encode(), "django")

    assert (record.username, record.schedule, record.errors) == (username, schedule, errors)


# --------------------------------------------------------------------------- CSV


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_csv_delimiter_is_the_one_the_header_uses(delimiter: str) -> None:
    source = f"username{delimiter}schedule\nana{delimiter}{WEEK}\n".encode()

    assert read_source(source) == [RawRecord(1, "ana", WEEK)]


def test_csv_header_is_matched_case_and_space_insensitively_in_any_order() -> None:
    source = f" Created_At ,SCHEDULE, username\n2023-01-01,{WEEK},ana\n".encode()

    assert read_source(source) == [RawRecord(1, "ana", WEEK, "2023-01-01")]


def test_csv_positions_count_data_rows_and_skip_blank_lines() -> None:
    source = f"username,schedule\n\nana,{WEEK}\n\n\nbob,{WEEK}\n".encode()

    assert [(record.position, record.username) for record in read_source(source)] == [
        (1, "ana"),
        (2, "bob"),
    ]


def test_a_csv_row_of_the_wrong_width_carries_the_problem() -> None:
    short, wide = read_source(f"username,schedule\nana\nbob,{WEEK},x\n".encode())

    assert (short.username, short.schedule) == ("ana", MISSING)
    assert short.errors == {NON_FIELD: [ROW_SHAPE.format(found=1, expected=2)]}
    assert (wide.username, wide.schedule) == ("bob", WEEK)
    assert wide.errors == {NON_FIELD: [ROW_SHAPE.format(found=3, expected=2)]}


# --------------------------------------------------------------------------- whole sources


@pytest.mark.parametrize(
    ("data", "source_format", "problem"),
    [
        (b"", None, "the source is empty"),
        (b" \r\n\t", "csv", "the source is empty"),
        (b'{"ana": "\xe9"}', None, "not UTF-8 text (byte 9)"),
        (b'{"ana": "1"', None, "not valid JSON (line 1, column 12)"),
        (b"[1]", "json", "expected a JSON object {username: schedule}"),
        (b'{"ana": "1"}', "django", "expected a Django dumpdata JSON list"),
        (b'{"ana": "1"}', "xml", "unknown format 'xml'; expected one of json, django, csv"),
        (b"name,schedule\n", None, "missing username (header: name,schedule)"),
        (b"username,username,schedule\n", None, "the CSV header repeats a column"),
        (b'username,schedule\n"ana,1\n', None, "malformed CSV (line 2)"),
    ],
)
def test_a_source_that_cannot_be_read_as_a_whole_raises(
    data: bytes, source_format: str | None, problem: str
) -> None:
    with pytest.raises(SourceError) as raised:
        read_source(data, source_format)

    assert problem in str(raised.value)


# --------------------------------------------------------------------------- live Redis


@pytest.mark.redis
def test_redis_hash_is_read_sorted_and_bytes_that_are_not_utf8_are_shown_escaped(
    redis: RedisServer,
) -> None:
    with redis_py.Redis.from_url(redis.url) as client:
        client.hset("old", mapping={"bob": WEEK, b"\xffana": WEEK, "Ana": b"1\xfe"})

    assert read_redis_hash(redis.url, "old") == [
        RawRecord(1, "Ana", "1\\xfe", errors={"schedule": [NOT_UTF8]}),
        RawRecord(2, "bob", WEEK),
        RawRecord(3, "\\xffana", WEEK, errors={"username": [NOT_UTF8]}),
    ]
