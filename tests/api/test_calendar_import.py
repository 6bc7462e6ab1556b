"""POST /register/ics, POST /ics/preview and the multipart PUT /users/<username> (issue 12), on
SQLite and PostgreSQL (the client fixtures are parametrised over both backends).

Expected schedules are the hand-written ones of tests/core/test_timetable_import.py for the same
fixtures: Google's busiest week is Cálculo Mon/Wed 6:30 + 7:30 and Física Tue/Thu 12:30-14:30.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from marshmallow import RAISE, Schema

from gapfind import schemas
from gapfind.extensions import db
from gapfind.persistence.models import Student
from tests import ics_fixtures as ics

GOOGLE_WEEK = [[0, 0], [0, 2], [1, 0], [1, 2], [6, 1], [6, 3], [7, 1], [7, 3], [8, 1], [8, 3]]
GOOGLE_IGNORED = [
    {"summary": "Almuerzo", "reason": "Marcado como disponible (libre)"},
    {"summary": "Examen parcial", "reason": "No tiene clases en la semana elegida"},
    {"summary": "Semana de inducción", "reason": "Evento de todo el día"},
    {"summary": "Taller de escritura", "reason": "Cancelado"},
]
NO_CLASSES = {"calendar": ["El calendario no tiene clases dentro del horario"]}


def schedule_of(pairs: list[list[int]]) -> str:
    cells = ["0"] * 98
    for hour, day in pairs:
        cells[hour * 7 + day] = "1"
    return "".join(cells)


def conforms(schema: type[Schema], body: object) -> None:
    """Loading with unknown=RAISE fails on a missing type, a wrong type or an extra key."""
    schema(unknown=RAISE).load(body)


def form(calendar: str | bytes | None, **fields: str) -> dict[str, object]:
    data: dict[str, object] = dict(fields)
    if calendar is not None:
        content = calendar.encode() if isinstance(calendar, str) else calendar
        data["calendar"] = (io.BytesIO(content), "clases.ics", "text/calendar")
    return data


def preview(client: FlaskClient, calendar: str | bytes | None, **fields: str):
    return client.post("/ics/preview", data=form(calendar, **fields))


def register(client: FlaskClient, username: str, calendar: str | bytes | None, **fields: str):
    return client.post("/register/ics", data=form(calendar, username=username, **fields))


def student_count(app: Flask) -> int:
    with app.app_context():
        return db.session.query(Student).count()


# --------------------------------------------------------------------------- preview


def test_preview_answers_the_week_and_stores_nothing(app: Flask, client: FlaskClient) -> None:
    response = preview(client, ics.GOOGLE)
    assert response.status_code == 200
    body = response.get_json()
    assert body == {
        "schedule": schedule_of(GOOGLE_WEEK),
        "list_of_indices": GOOGLE_WEEK,
        "week_of": "2025-02-03",
        "ignored": GOOGLE_IGNORED,
    }
    conforms(schemas.CalendarPreviewResponse, body)
    assert set(body) == set(schemas.CalendarPreviewResponse().fields)
    assert student_count(app) == 0


def test_preview_of_a_chosen_week(client: FlaskClient) -> None:
    response = preview(client, ics.OUTLOOK, week_of="2025-03-14")
    assert response.status_code == 200
    body = response.get_json()
    assert body["week_of"] == "2025-03-10"
    assert body["list_of_indices"] == [[2, 1], [2, 3], [3, 1], [3, 3], [7, 4], [8, 4]]
    assert body["ignored"] == [{"summary": "Tutoría", "reason": "Marcado como disponible (libre)"}]


def test_preview_accepts_the_file_as_a_text_field(client: FlaskClient) -> None:
    # curl -F "calendar=<clases.ics" sends the text as a plain field, not a file part.
    response = client.post(
        "/ics/preview",
        data={"calendar": ics.GOOGLE, "week_of": ""},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert response.get_json()["list_of_indices"] == GOOGLE_WEEK


def test_preview_is_under_the_default_limit_only(app_factory) -> None:
    app = app_factory(
        RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="100 per minute", RATELIMIT_WRITES="1 per hour"
    )
    client = app.test_client()
    first = register(client, "ana", ics.GOOGLE)
    assert first.status_code == 201
    # The writes bucket is spent: another registration, from /manual or from a calendar, is
    # refused; a preview writes nothing and is still served.
    assert register(client, "bob", ics.GOOGLE).status_code == 429
    manual = client.post("/manual", json={"username": "carla", "list_of_indices": [[0, 0]]})
    assert manual.status_code == 429
    assert preview(client, ics.GOOGLE).status_code == 200


# --------------------------------------------------------------------------- register


def test_register_stores_like_manual(client: FlaskClient) -> None:
    response = register(client, "Ana", ics.APPLE)
    assert response.status_code == 201
    body = response.get_json()
    conforms(schemas.CalendarRegisterResponse, body)
    assert set(body) == set(schemas.CalendarRegisterResponse().fields)
    apple_week = [[3, 0], [4, 0], [5, 0], [11, 3], [12, 3]]
    assert body["username"] == "ana"
    assert body["schedule"] == schedule_of(apple_week)
    assert body["week_of"] == "2025-02-03"
    assert body["ignored"] == [
        {"summary": "Cine", "reason": "Fuera del horario (6:30 AM - 8:30 PM)"},
        {"summary": "Gimnasio", "reason": "Fuera del horario (6:30 AM - 8:30 PM)"},
    ]
    assert body["edit_token"]
    read = client.get("/users/ana")
    assert read.get_json() == {"username": "ana", "schedule": schedule_of(apple_week)}
    # The token edits it like a /manual one.
    put = client.put(
        "/users/ana",
        json={"list_of_indices": [[0, 0]]},
        headers={"Authorization": f"Bearer {body['edit_token']}"},
    )
    assert put.status_code == 200


def test_register_a_taken_name_gets_the_manual_answer(client: FlaskClient, students) -> None:
    students.register("ana")
    manual = client.post("/manual", json={"username": "ana", "list_of_indices": [[0, 0]]})
    response = register(client, "ANA", ics.GOOGLE)
    assert response.status_code == manual.status_code == 400
    assert (
        response.get_json()
        == manual.get_json()
        == {"username": ["El usuario ingresado ya fue registrado"]}
    )


@pytest.mark.parametrize("username", ["", "ana maría", "a" * 31, "ana1"])
def test_register_checks_the_username_as_manual(client: FlaskClient, username: str) -> None:
    manual = client.post("/manual", json={"username": username, "list_of_indices": [[0, 0]]})
    response = register(client, username, ics.GOOGLE)
    assert response.status_code == 400
    assert response.get_json()["username"] == manual.get_json()["username"]


def test_register_without_username_or_calendar(client: FlaskClient) -> None:
    response = client.post("/register/ics", data={"week_of": "2025-02-03"})
    assert response.status_code == 400
    assert response.get_json() == {
        "username": ["Este campo es requerido."],
        "calendar": ["Este campo es requerido."],
    }


def test_register_with_an_empty_schedule_stores_nothing(app: Flask, client: FlaskClient) -> None:
    response = register(client, "ana", ics.GOOGLE, week_of="2025-07-01")
    assert response.status_code == 400
    assert response.get_json() == NO_CLASSES
    assert student_count(app) == 0


# --------------------------------------------------------------------------- PUT multipart


def test_put_replaces_the_schedule_from_a_calendar(client: FlaskClient, students) -> None:
    token = students.register("ana", [[13, 6]])["edit_token"]
    response = client.put(
        "/users/ana",
        data=form(ics.GOOGLE, week_of="2025-02-19"),
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200
    expected = schedule_of(
        [[0, 0], [1, 0], [0, 2], [1, 2], [6, 1], [7, 1], [8, 1], [9, 4], [10, 4], [11, 4]]
    )
    assert response.get_json() == {"username": "ana", "schedule": expected}
    conforms(schemas.StudentResponse, response.get_json())
    assert client.get("/users/ana").get_json()["schedule"] == expected
    # JSON keeps working as before.
    again = client.put(
        "/users/ana",
        json={"list_of_indices": [[2, 0]]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert again.get_json() == {"username": "ana", "schedule": schedule_of([[2, 0]])}


def test_put_multipart_keeps_the_token_rules(client: FlaskClient, students) -> None:
    students.register("ana")
    data = form(ics.GOOGLE)
    assert client.put("/users/ana", data=data).status_code == 401
    wrong = client.put(
        "/users/ana", data=form(ics.GOOGLE), headers={"Authorization": "Bearer nope"}
    )
    assert wrong.status_code == 403
    missing = client.put(
        "/users/zed", data=form(ics.GOOGLE), headers={"Authorization": "Bearer nope"}
    )
    assert missing.status_code == 404


def test_put_multipart_errors_leave_the_schedule(client: FlaskClient, students) -> None:
    token = students.register("ana", [[5, 5]])["edit_token"]
    auth = {"Authorization": f"Bearer {token}"}
    empty = client.put("/users/ana", data=form(ics.GOOGLE, week_of="2025-07-01"), headers=auth)
    assert empty.status_code == 400
    assert empty.get_json() == NO_CLASSES
    bad_week = client.put("/users/ana", data=form(ics.GOOGLE, week_of="ayer"), headers=auth)
    assert set(bad_week.get_json()) == {"week_of"}
    no_file = client.put(
        "/users/ana",
        data={"week_of": "2025-02-03"},
        headers=auth,
        content_type="multipart/form-data",
    )
    assert no_file.get_json() == {"calendar": ["Este campo es requerido."]}
    assert client.get("/users/ana").get_json()["schedule"] == schedule_of([[5, 5]])


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("calendar", "message"),
    [
        (b"\xff\xfe\x00B", "El calendario debe ser un archivo de texto UTF-8 (.ics)"),
        (
            "hola, esto no es un calendario",
            "El archivo no es un calendario iCalendar (.ics) válido",
        ),
        ("", "El archivo no es un calendario iCalendar (.ics) válido"),
        ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n", "El calendario no tiene eventos"),
        (
            ics.single_event("DTSTART;VALUE=DATE:20250203"),
            "El calendario no tiene clases dentro del horario",
        ),
        (
            ics.single_event("DTSTART:20250230T100000", summary="Física II"),
            "El calendario tiene un evento con fechas o una regla de repetición inválidas: "
            "«Física II»",
        ),
        (
            ics.single_event("DTSTART:20250205T100000", "RRULE:FREQ=SECONDLY", summary="Spam"),
            "El calendario tiene un evento que se repite de una forma que no corresponde a un "
            "horario de clases (cada hora o más seguido, nunca, o con demasiadas condiciones): "
            "«Spam»",
        ),
        (
            ics.single_event(
                "DTSTART:19000101T100000",
                "DTEND:19000101T110000",
                "RRULE:FREQ=DAILY",
            ).replace(
                "END:VCALENDAR",
                "BEGIN:VEVENT\r\nUID:n\r\nDTSTART:20250205T070000\r\nDTEND:20250205T080000\r\n"
                "SUMMARY:Hoy\r\nEND:VEVENT\r\nEND:VCALENDAR",
            ),
            "El calendario tiene demasiados eventos: más de 5000 repeticiones en las semanas "
            "revisadas. Exporta solo el calendario de clases",
        ),
    ],
)
def test_calendar_problems_are_400_under_calendar(
    client: FlaskClient, calendar: str | bytes, message: str
) -> None:
    for response in (preview(client, calendar), register(client, "ana", calendar)):
        assert response.status_code == 400
        assert response.get_json() == {"calendar": [message]}


def test_missing_calendar(client: FlaskClient) -> None:
    response = preview(client, None, week_of="2025-02-03")
    assert response.status_code == 400
    assert response.get_json() == {"calendar": ["Este campo es requerido."]}


@pytest.mark.parametrize("week_of", ["2025-13-01", "2025-02-30", "20250203", "mañana", "3/2/2025"])
def test_bad_week_of(client: FlaskClient, week_of: str) -> None:
    response = preview(client, ics.GOOGLE, week_of=week_of)
    assert response.status_code == 400
    assert response.get_json() == {
        "week_of": ["La fecha debe tener el formato AAAA-MM-DD, por ejemplo 2025-02-03"]
    }


def test_too_big_quotes_the_limit(client: FlaskClient, app_factory) -> None:
    big = ics.single_event(
        "DTSTART:20250205T100000", "DTEND:20250205T110000", "DESCRIPTION:" + "x" * 262_144
    )
    response = preview(client, big)
    assert response.status_code == 400
    assert response.get_json() == {
        "calendar": [
            "El tamaño del archivo es demasiado grande, Asegúrate de que pese menos de 256KB"
        ]
    }
    small = app_factory(ICS_MAX_FILE_BYTES=1000).test_client()
    response = preview(small, ics.GOOGLE)
    assert response.get_json() == {
        "calendar": [
            "El tamaño del archivo es demasiado grande, Asegúrate de que pese menos de 1000 bytes"
        ]
    }
    assert preview(small, ics.MIDNIGHT).status_code == 200  # 600 bytes: under it


def test_too_many_occurrences_quotes_the_setting(app_factory) -> None:
    client = app_factory(ICS_MAX_OCCURRENCES=20).test_client()
    response = preview(client, ics.GOOGLE)
    assert response.status_code == 400
    assert response.get_json() == {
        "calendar": [
            "El calendario tiene demasiados eventos: más de 20 repeticiones en las semanas "
            "revisadas. Exporta solo el calendario de clases"
        ]
    }
    assert preview(client, ics.MIDNIGHT).status_code == 200


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"json": {"calendar": ics.GOOGLE}},
            'Tipo de contenido "application/json" no soportado; envía el calendario como '
            "multipart/form-data.",
        ),
        (
            {"data": b"--x\r\nbroken", "content_type": "multipart/form-data; boundary=x"},
            "El cuerpo de la solicitud no es un formulario multipart/form-data válido.",
        ),
    ],
)
def test_not_a_form(client: FlaskClient, kwargs: dict, message: str) -> None:
    for path in ("/ics/preview", "/register/ics"):
        response = client.post(path, **kwargs)
        assert response.status_code == 400
        assert response.get_json() == {"non_field_errors": [message]}


# --------------------------------------------------------------------------- docs


def test_openapi_describes_the_forms(client: FlaskClient) -> None:
    spec = client.get("/openapi.json").get_json()
    schemas_ = spec["components"]["schemas"]

    def form_schema(path: str, method: str) -> dict:
        content = spec["paths"][path][method]["requestBody"]["content"]
        ref = content["multipart/form-data"]["schema"]["$ref"]
        return schemas_[ref.rsplit("/", 1)[1]]

    register_form = form_schema("/register/ics", "post")
    assert set(register_form["properties"]) == {"username", "calendar", "week_of"}
    assert set(register_form["required"]) == {"username", "calendar"}
    assert register_form["properties"]["calendar"]["format"] == "binary"
    assert set(form_schema("/ics/preview", "post")["properties"]) == {"calendar", "week_of"}
    assert set(form_schema("/users/{username}", "put")["properties"]) == {"calendar", "week_of"}
    put_content = spec["paths"]["/users/{username}"]["put"]["requestBody"]["content"]
    assert "application/json" in put_content  # JSON still documented
    assert "429" not in spec["paths"]["/health"]["get"]["responses"]
    assert "429" in spec["paths"]["/ics/preview"]["post"]["responses"]
    docs = client.get("/docs").get_data(as_text=True)
    assert "/register/ics" in docs and "/ics/preview" in docs


# --------------------------------------------------------------------------- start-up


def test_calendar_libraries_load_on_first_use_only(tmp_path: Path) -> None:
    """A worker that serves /results never imports icalendar or recurring-ical-events; the
    first calendar request does (so the check below can fail)."""
    script = textwrap.dedent(
        f"""
        import io, sys
        from gapfind import create_app
        from gapfind.extensions import db
        app = create_app({{"DATABASE_URL": "sqlite:///{tmp_path / "lazy.sqlite"}"}})
        with app.app_context():
            db.create_all()
        client = app.test_client()
        for name in ("ana", "bob"):
            client.post("/manual", json={{"username": name, "list_of_indices": [[0, 0]]}})
        answer = client.post("/results", json={{"usernames": ["ana", "bob"]}})
        assert answer.status_code == 200, answer.get_json()
        libraries = ("icalendar", "recurring_ical_events", "x_wr_timezone", "dateutil.rrule")
        print(sorted(name for name in libraries if name in sys.modules))
        calendar = sys.stdin.read().encode()
        files = {{"calendar": (io.BytesIO(calendar), "c.ics")}}
        assert client.post("/ics/preview", data=files).status_code == 200
        print(sorted(name for name in libraries if name in sys.modules))
        """
    )
    env = {**os.environ, "GAPFIND_CONFIG": "testing"}
    done = subprocess.run(
        [sys.executable, "-c", script],
        input=ics.GOOGLE,
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        check=True,
        timeout=120,
    )
    before, after = done.stdout.splitlines()[-2:]
    assert before == "[]"
    assert after == "['dateutil.rrule', 'icalendar', 'recurring_ical_events', 'x_wr_timezone']"
