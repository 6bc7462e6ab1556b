"""`flask users import` from files: every source shape, every kind of bad record, and the
guarantees (idempotent, never overwriting by accident, batches that commit whole)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from flask import Flask

from gapfind import messages
from gapfind.messages import NOT_A_STRING, NOT_AN_OBJECT, NULL, REQUIRED
from gapfind.persistence.models import utc_now
from gapfind.persistence.repository_admin import BATCH_SIZE, batches
from tests.support.flask_command import FlaskCommand
from tests.support.student_table import StudentTable
from tests.support.weeks import EMPTY, EVERY_OTHER, FULL, MONDAYS

NOT_LETTERS = "El nombre de usuario solo puede contener letras"
TOO_LONG = "El nombre de usuario no puede tener más de 30 caracteres"
EMPTY_NAME = "El nombre de usuario no puede estar vacío"
MARKS = "El horario solo puede contener los caracteres 0 y 1"


def summary(output: str) -> dict[str, int]:
    """The four counters of the import summary."""
    counts = {}
    for line in output.splitlines():
        key, _, value = line.partition(": ")
        if key in {"imported", "updated", "unchanged", "rejected"}:
            counts[key] = int(value)
    return counts


def django(pk: object, schedule: object, created_at: object = "2023-02-14T18:22:31.123Z") -> dict:
    return {
        "model": "base.uninorteuser",
        "pk": pk,
        "fields": {"schedule": schedule, "created_at": created_at, "verified": False},
    }


def read_report(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- JSON object (Redis)


def test_json_object_imports_lowercase_students_without_edit_tokens(
    import_file, student_table: StudentTable
):
    result = import_file({"Ana": MONDAYS, "bob": EVERY_OTHER})

    assert result.exit_code == 0, result.output
    assert summary(result.stdout) == {"imported": 2, "updated": 0, "unchanged": 0, "rejected": 0}
    rows = student_table.rows()
    assert {name: row.schedule for name, row in rows.items()} == {
        "ana": MONDAYS,
        "bob": EVERY_OTHER,
    }
    assert all(row.edit_token_hash is None for row in rows.values())


@pytest.mark.parametrize(
    ("name", "schedule", "field", "message"),
    [
        ("Ana María", MONDAYS, "username", NOT_LETTERS),
        ("ana_b", MONDAYS, "username", NOT_LETTERS),
        ("", MONDAYS, "username", EMPTY_NAME),
        ("a" * 31, MONDAYS, "username", TOO_LONG),
        ("carl", MONDAYS[:-1], "schedule", messages.SCHEDULE_LENGTH.format(length=97)),
        ("carl", MONDAYS + "0", "schedule", messages.SCHEDULE_LENGTH.format(length=99)),
        ("carl", "2" + EMPTY[1:], "schedule", MARKS),
        ("carl", " " + EMPTY[1:], "schedule", MARKS),
        ("carl", 1010, "schedule", NOT_A_STRING),
        ("carl", None, "schedule", NULL),
        ("carl", [[0, 0]], "schedule", NOT_A_STRING),
    ],
)
def test_bad_records_are_reported_with_the_api_reason_and_not_written(
    import_file, student_table: StudentTable, tmp_path: Path, name, schedule, field, message
):
    report = tmp_path / "report.json"
    result = import_file({"dora": FULL, name: schedule}, "--report", str(report))

    assert result.exit_code == 1
    assert summary(result.stdout) == {"imported": 1, "updated": 0, "unchanged": 0, "rejected": 1}
    assert message in result.stdout
    assert set(student_table.rows()) == {"dora"}
    assert read_report(report)["rejected"] == [
        {"position": 2, "username": name, "schedule": schedule, "errors": {field: [message]}}
    ]


def test_a_record_breaking_both_rules_reports_both(import_file, tmp_path: Path):
    report = tmp_path / "report.json"
    result = import_file({"Ana María": "01"}, "--report", str(report))

    assert result.exit_code == 1
    (rejection,) = read_report(report)["rejected"]
    assert rejection["errors"] == {
        "username": [NOT_LETTERS],
        "schedule": [messages.SCHEDULE_LENGTH.format(length=2)],
    }


def test_later_duplicates_in_one_source_are_rejected_whatever_their_case(
    flask_command: FlaskCommand, student_table: StudentTable, tmp_path: Path
):
    report = tmp_path / "report.json"
    # Two literal "ana" keys in one object: json.loads alone would keep only the last.
    source = tmp_path / "dupes.json"
    source.write_text(
        f'{{"ana": "{MONDAYS}", "ANA": "{FULL}", "bob": "{EMPTY}", "ana": "{EMPTY}"}}',
        encoding="utf-8",
    )

    result = flask_command("users", "import", str(source), "--report", str(report))

    assert result.exit_code == 1
    assert {name: row.schedule for name, row in student_table.rows().items()} == {
        "ana": MONDAYS,
        "bob": EMPTY,
    }
    duplicate = messages.DUPLICATE.format(name="ana", first=1)
    assert [(item["position"], item["errors"]) for item in read_report(report)["rejected"]] == [
        (2, {"non_field_errors": [duplicate]}),
        (4, {"non_field_errors": [duplicate]}),
    ]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b'{"ana": "' + MONDAYS.encode() + b'",', "not valid JSON (line 1"),
        (b'{"ana": "' + MONDAYS.encode() + b'"}\n}', "not valid JSON (line 2"),
        (b"", "the source is empty"),
        (b"  \n", "the source is empty"),
        (b'{"ana": "\xff"}', "not UTF-8"),
        (b'"ana"', "the CSV header must name the columns username and schedule"),
    ],
)
def test_an_unreadable_source_writes_nothing_and_exits_2(
    flask_command: FlaskCommand,
    student_table: StudentTable,
    tmp_path: Path,
    content: bytes,
    problem: str,
):
    source = tmp_path / "broken.json"
    source.write_bytes(content)

    result = flask_command("users", "import", str(source))

    assert result.exit_code == 2
    assert problem in result.stderr
    assert student_table.rows() == {}


def test_forcing_a_format_that_does_not_match_is_an_error(import_file, student_table: StudentTable):
    result = import_file([django("ana", MONDAYS)], "--format", "json")

    assert result.exit_code == 2
    assert "expected a JSON object {username: schedule}" in result.stderr
    assert student_table.rows() == {}


def test_source_and_redis_are_mutually_exclusive(
    flask_command: FlaskCommand, write_json, tmp_path: Path
):
    source = write_json("a.json", {"ana": MONDAYS})

    neither = flask_command("users", "import")
    both = flask_command("users", "import", str(source), "--from-redis", "redis://127.0.0.1:1")
    missing = flask_command("users", "import", str(tmp_path / "nope.json"))

    assert (neither.exit_code, both.exit_code, missing.exit_code) == (2, 2, 2)
    assert "give either SOURCE or --from-redis URL" in neither.stderr
    assert "give either SOURCE or --from-redis URL" in both.stderr
    assert "does not exist" in missing.stderr


def test_reads_standard_input(flask_command: FlaskCommand, student_table: StudentTable):
    result = flask_command("users", "import", "-", stdin=json.dumps({"ana": MONDAYS}))

    assert result.exit_code == 0, result.output
    assert set(student_table.rows()) == {"ana"}


# --------------------------------------------------------------------------- guarantees


def test_importing_twice_changes_nothing(import_file, student_table: StudentTable):
    document = {"ana": MONDAYS, "bob": EVERY_OTHER, "Bad Name": EMPTY}
    first = import_file(document)
    before = student_table.rows()

    second = import_file(document)

    assert summary(first.stdout) == {"imported": 2, "updated": 0, "unchanged": 0, "rejected": 1}
    assert summary(second.stdout) == {"imported": 0, "updated": 0, "unchanged": 2, "rejected": 1}
    assert student_table.rows() == before


def test_an_existing_student_with_another_week_is_kept_without_overwrite(
    import_file, student_table: StudentTable, tmp_path: Path
):
    student_table.add("ana", MONDAYS, token_hash="a" * 64)
    before = student_table.rows()
    report = tmp_path / "report.json"

    result = import_file({"ana": FULL, "bob": EMPTY}, "--report", str(report))

    assert result.exit_code == 1
    assert summary(result.stdout) == {"imported": 1, "updated": 0, "unchanged": 0, "rejected": 1}
    assert student_table.rows()["ana"] == before["ana"]
    assert read_report(report)["rejected"][0]["errors"] == {"non_field_errors": [messages.EXISTS]}


def test_overwrite_replaces_the_week_and_keeps_the_edit_token(
    import_file, student_table: StudentTable
):
    old = utc_now() - timedelta(days=3)
    student_table.add("ana", MONDAYS, updated_at=old, token_hash="a" * 64)
    student_table.add("bob", EMPTY, updated_at=old)

    result = import_file({"ana": FULL, "bob": EMPTY}, "--overwrite")

    assert result.exit_code == 0, result.output
    assert summary(result.stdout) == {"imported": 0, "updated": 1, "unchanged": 1, "rejected": 0}
    rows = student_table.rows()
    assert (rows["ana"].schedule, rows["ana"].edit_token_hash) == (FULL, "a" * 64)
    assert rows["ana"].created_at == old
    assert rows["ana"].updated_at > old
    assert rows["bob"].updated_at == old  # unchanged means untouched


def test_an_expired_student_is_replaced_as_a_new_import(
    import_file, app: Flask, student_table: StudentTable
):
    days = app.config["SCHEDULE_RETENTION_DAYS"]
    student_table.add(
        "ana", MONDAYS, updated_at=utc_now() - timedelta(days=days + 1), token_hash="a" * 64
    )

    result = import_file({"ana": FULL})

    assert summary(result.stdout)["imported"] == 1
    row = student_table.rows()["ana"]
    assert (row.schedule, row.edit_token_hash) == (FULL, None)
    assert row.updated_at > utc_now() - timedelta(minutes=5)


def test_large_imports_are_written_in_batches_and_show_progress(
    import_file, student_table: StudentTable, tmp_path: Path
):
    names = [_name(n) for n in range(BATCH_SIZE * 2 + 3)]
    assert len(names) > 1000  # above the progress threshold

    result = import_file(dict.fromkeys(names, EVERY_OTHER))

    assert summary(result.stdout)["imported"] == len(names)
    assert "Importing students" in result.stderr
    assert len(student_table.rows()) == len(names)
    assert [len(batch) for batch in batches(list(range(len(names))))] == [500, 500, 3]


def test_small_imports_on_a_pipe_show_no_progress(import_file):
    result = import_file({"ana": MONDAYS})

    assert result.exit_code == 0
    assert "Importing students" not in result.stderr


def _name(number: int) -> str:
    """Distinct letters-only names: 0 -> "a", 26 -> "ba"..."""
    letters = ""
    while True:
        number, digit = divmod(number, 26)
        letters = chr(97 + digit) + letters
        if number == 0:
            return "s" + letters


# --------------------------------------------------------------------------- Django dumpdata


def test_django_dump_keeps_created_at_and_ignores_verified(
    import_file, student_table: StudentTable
):
    result = import_file(
        [
            django("ana", MONDAYS, "2023-02-14T18:22:31.123Z"),
            django("Bob", FULL, "2023-03-01T08:00:00-05:00"),
            django("carl", EMPTY, "2023-04-01T08:00:00"),
            django("dora", EMPTY, None),
        ]
    )

    assert result.exit_code == 0, result.output
    rows = student_table.rows()
    assert rows["ana"].created_at == datetime(2023, 2, 14, 18, 22, 31, 123000, timezone.utc)
    assert rows["bob"].created_at == datetime(2023, 3, 1, 13, 0, tzinfo=timezone.utc)
    assert rows["carl"].created_at == datetime(2023, 4, 1, 8, 0, tzinfo=timezone.utc)
    assert rows["dora"].created_at > utc_now() - timedelta(minutes=5)
    # Retention counts from the import, or old students would vanish the moment they arrive.
    assert rows["ana"].updated_at > utc_now() - timedelta(minutes=5)
    assert rows["ana"].edit_token_hash is None


@pytest.mark.parametrize(
    ("record", "errors"),
    [
        ("ana", {"non_field_errors": [NOT_AN_OBJECT]}),
        (
            {"model": "auth.user", "pk": 1, "fields": {}},
            {"non_field_errors": [messages.WRONG_MODEL.format(model="auth.user")]},
        ),
        (
            {"pk": "ana", "fields": {"schedule": MONDAYS}},
            {"non_field_errors": [messages.WRONG_MODEL.format(model="(ninguno)")]},
        ),
        ({"model": "base.uninorteuser", "pk": "ana"}, {"fields": [REQUIRED]}),
        ({"model": "base.uninorteuser", "pk": "ana", "fields": []}, {"fields": [NOT_AN_OBJECT]}),
        (
            {"model": "base.uninorteuser", "fields": {"schedule": MONDAYS}},
            {"username": [REQUIRED]},
        ),
        (
            {"model": "base.uninorteuser", "pk": "ana", "fields": {}},
            {"schedule": [REQUIRED]},
        ),
        (django(7, MONDAYS), {"username": [NOT_A_STRING]}),
        (django("Ana María", MONDAYS), {"username": [NOT_LETTERS]}),
        (django("ana", "01" * 10), {"schedule": [messages.SCHEDULE_LENGTH.format(length=20)]}),
        (django("ana", MONDAYS, "yesterday"), {"created_at": [messages.BAD_DATE]}),
        (django("ana", MONDAYS, 1676400000), {"created_at": [messages.BAD_DATE]}),
    ],
)
def test_malformed_django_records_are_rejected_with_reasons(
    import_file, student_table: StudentTable, tmp_path: Path, record, errors
):
    report = tmp_path / "report.json"
    result = import_file([django("zoe", FULL), record], "--report", str(report))

    assert result.exit_code == 1
    assert set(student_table.rows()) == {"zoe"}
    (rejection,) = read_report(report)["rejected"]
    assert (rejection["position"], rejection["errors"]) == (2, errors)


def test_django_dump_must_be_a_list(import_file):
    result = import_file({"model": "base.uninorteuser"}, "--format", "django")

    assert result.exit_code == 2
    assert "expected a Django dumpdata JSON list" in result.stderr


# --------------------------------------------------------------------------- CSV


def test_csv_with_extra_columns_bom_and_blank_lines(
    flask_command: FlaskCommand, student_table: StudentTable, tmp_path
):
    source = tmp_path / "students.csv"
    source.write_text(
        f"\ufeffSchedule,Username,notes\n{MONDAYS},Ana,x\n\n{FULL},bob,\n", encoding="utf-8"
    )

    result = flask_command("users", "import", str(source))

    assert result.exit_code == 0, result.output
    assert {name: row.schedule for name, row in student_table.rows().items()} == {
        "ana": MONDAYS,
        "bob": FULL,
    }


def test_csv_separated_by_semicolons_as_spanish_spreadsheets_write_it(
    flask_command: FlaskCommand, student_table: StudentTable, tmp_path: Path
):
    source = tmp_path / "students.csv"
    source.write_text(f"username;schedule\nana;{MONDAYS}\n", encoding="utf-8")

    result = flask_command("users", "import", str(source))

    assert result.exit_code == 0, result.output
    assert set(student_table.rows()) == {"ana"}


@pytest.mark.parametrize(
    ("rows", "errors"),
    [
        (
            f"ana,{MONDAYS},extra",
            {"non_field_errors": [messages.ROW_SHAPE.format(found=3, expected=2)]},
        ),
        ("ana", {"non_field_errors": [messages.ROW_SHAPE.format(found=1, expected=2)]}),
        (f"ana bob,{MONDAYS}", {"username": [NOT_LETTERS]}),
        (f",{MONDAYS}", {"username": [EMPTY_NAME]}),
        ("ana,1.01E+96", {"schedule": [messages.SCHEDULE_LENGTH.format(length=8)]}),
        ("ana," + "1" * 97 + "x", {"schedule": [MARKS]}),
    ],
)
def test_malformed_csv_rows_are_rejected_with_reasons(
    flask_command: FlaskCommand, student_table: StudentTable, tmp_path: Path, rows: str, errors
):
    source = tmp_path / "students.csv"
    source.write_text(f"username,schedule\nzoe,{FULL}\n{rows}\n", encoding="utf-8")
    report = tmp_path / "report.json"

    result = flask_command("users", "import", str(source), "--report", str(report))

    assert result.exit_code == 1
    assert set(student_table.rows()) == {"zoe"}
    (rejection,) = read_report(report)["rejected"]
    assert (rejection["position"], rejection["errors"]) == (2, errors)


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        ("username,horario", "missing schedule"),
        ("nombre,schedule", "missing username"),
        ("username,schedule,username", "repeats a column"),
    ],
)
def test_csv_without_the_needed_columns_writes_nothing(
    flask_command: FlaskCommand,
    student_table: StudentTable,
    tmp_path: Path,
    header: str,
    problem: str,
):
    source = tmp_path / "students.csv"
    source.write_text(f"{header}\nana,{MONDAYS},ana\n", encoding="utf-8")

    result = flask_command("users", "import", str(source))

    assert result.exit_code == 2
    assert problem in result.stderr
    assert student_table.rows() == {}


def test_csv_with_broken_quoting_writes_nothing(
    flask_command: FlaskCommand, student_table: StudentTable, tmp_path
):
    source = tmp_path / "students.csv"
    source.write_text(f'username,schedule\nana,{MONDAYS}\n"bob,{FULL}\n', encoding="utf-8")

    result = flask_command("users", "import", str(source))

    assert result.exit_code == 2
    assert "malformed CSV" in result.stderr
    assert student_table.rows() == {}


def test_summary_lists_the_first_rejections_and_points_to_the_report(import_file):
    document = {f"bad{n} name": MONDAYS for n in range(25)}

    result = import_file(document)

    listed = [line for line in result.stdout.splitlines() if line.startswith("  #")]
    assert len(listed) == 20
    assert listed[0] == f'  #1 "bad0 name": username: {NOT_LETTERS}'
    assert "... and 5 more (use --report FILE to list them all)" in result.stdout


def test_a_name_counts_as_seen_even_when_its_first_record_is_rejected(
    import_file, student_table: StudentTable, tmp_path: Path
):
    """Which of two records is the real one is the operator's call, not the importer's."""
    report = tmp_path / "report.json"

    result = import_file([django("ana", "01"), django("Ana", MONDAYS)], "--report", str(report))

    assert result.exit_code == 1
    assert student_table.rows() == {}
    errors = [item["errors"] for item in read_report(report)["rejected"]]
    assert errors[1] == {"non_field_errors": [messages.DUPLICATE.format(name="ana", first=1)]}


def test_records_of_other_models_do_not_take_names(import_file, student_table: StudentTable):
    other = {"model": "base.group", "pk": "ana", "fields": {"schedule": FULL}}

    result = import_file([other, django("ana", MONDAYS)])

    assert "imported: 1" in result.stdout
    assert student_table.rows()["ana"].schedule == MONDAYS


def test_an_empty_file_forced_to_csv_is_an_error(flask_command: FlaskCommand, tmp_path: Path):
    source = tmp_path / "empty.csv"
    source.write_text("", encoding="utf-8")

    result = flask_command("users", "import", str(source), "--format", "csv")

    assert result.exit_code == 2
    assert "the source is empty" in result.stderr


def test_a_csv_with_only_a_header_imports_nothing(flask_command: FlaskCommand, tmp_path):
    source = tmp_path / "header.csv"
    source.write_text("username,schedule\n", encoding="utf-8")

    result = flask_command("users", "import", str(source))

    assert result.exit_code == 0
    assert summary(result.stdout) == {"imported": 0, "updated": 0, "unchanged": 0, "rejected": 0}
