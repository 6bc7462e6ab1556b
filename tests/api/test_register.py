"""POST /manual: registering a schedule under a new username (issue 2, "POST /manual")."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from gapfind.core.grid import IndicesProblem
from gapfind.core.usernames import UsernameProblem
from gapfind.extensions import db
from gapfind.messages import (
    INDICES_MESSAGES,
    NOT_A_STRING,
    NULL,
    REQUIRED,
    USERNAME_MESSAGES,
    USERNAME_TAKEN,
)
from gapfind.persistence.models import Student
from tests.support.students import Students

EMPTY_NAME = USERNAME_MESSAGES[UsernameProblem.EMPTY]
LONG_NAME = USERNAME_MESSAGES[UsernameProblem.TOO_LONG]
NOT_LETTERS = USERNAME_MESSAGES[UsernameProblem.NOT_LETTERS]
EMPTY_SCHEDULE = INDICES_MESSAGES[IndicesProblem.EMPTY]
TOO_MANY = INDICES_MESSAGES[IndicesProblem.TOO_MANY]
BAD_DAY = INDICES_MESSAGES[IndicesProblem.BAD_DAY]
BAD_HOUR = INDICES_MESSAGES[IndicesProblem.BAD_HOUR]
NOT_PAIR = INDICES_MESSAGES[IndicesProblem.NOT_PAIR]

ALL_PAIRS = [[hour, day] for hour in range(14) for day in range(7)]


def post(client: FlaskClient, body: Any) -> Any:
    return client.post("/manual", json=body)


def stored_rows(app: Flask) -> list[tuple[Any, ...]]:
    with app.app_context():
        return [tuple(row) for row in db.session.execute(select(Student.__table__)).all()]


def test_contract_example(client: FlaskClient) -> None:
    response = post(client, {"username": "ana", "list_of_indices": [[0, 1]]})
    assert response.status_code == 201
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"username", "schedule", "edit_token"}
    assert body["username"] == "ana"
    assert body["schedule"] == "0100000" + "0" * 91
    assert isinstance(body["edit_token"], str) and len(body["edit_token"]) >= 32


@pytest.mark.parametrize(
    ("hour", "day"), [(0, 0), (0, 6), (13, 0), (13, 6), (5, 3), (6, 4), (12, 5)]
)
def test_position_is_hour_times_seven_plus_day(
    client: FlaskClient, hour: int, day: int, students: Students
) -> None:
    body = students.register("ana", [[hour, day]])
    expected = ["0"] * 98
    expected[hour * 7 + day] = "1"
    assert body["schedule"] == "".join(expected)


def test_schedule_is_readable_after_registering(client: FlaskClient, students: Students) -> None:
    body = students.register("ana", [[0, 0], [13, 6], [3, 2]])
    response = client.get("/users/ana")
    assert response.status_code == 200
    assert response.get_json() == {"username": "ana", "schedule": body["schedule"]}


@pytest.mark.parametrize(
    ("given", "stored"),
    [("Ana", "ana"), ("ANA", "ana"), ("aNa", "ana"), ("ZzZ", "zzz"), ("a" * 30, "a" * 30)],
)
def test_username_is_stored_and_returned_lowercase(
    client: FlaskClient, given: str, stored: str, students: Students
) -> None:
    assert students.register(given)["username"] == stored
    assert client.get(f"/users/{stored}").get_json()["username"] == stored
    assert client.get(f"/users/{given}").get_json()["username"] == stored


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("", EMPTY_NAME),
        ("a" * 31, LONG_NAME),
        ("A" * 31, LONG_NAME),
        ("ana1", NOT_LETTERS),
        ("ana maria", NOT_LETTERS),
        (" ana", NOT_LETTERS),
        ("ana ", NOT_LETTERS),
        ("ana\n", NOT_LETTERS),
        ("ana_b", NOT_LETTERS),
        ("ana-b", NOT_LETTERS),
        ("pe#pito", NOT_LETTERS),
        ("josé", NOT_LETTERS),
        ("ñandú", NOT_LETTERS),
        ("straße", NOT_LETTERS),
        ("ａｎａ", NOT_LETTERS),  # fullwidth letters are not ASCII
        ("12345", NOT_LETTERS),
        (" ", NOT_LETTERS),
    ],
)
def test_invalid_username(app: Flask, client: FlaskClient, username: str, message: str) -> None:
    response = post(client, {"username": username, "list_of_indices": [[0, 0]]})
    assert response.status_code == 400
    assert response.get_json() == {"username": [message]}
    assert stored_rows(app) == []


@pytest.mark.parametrize(
    ("value", "message"),
    [(None, NULL), (1, NOT_A_STRING), (["ana"], NOT_A_STRING), ({"a": 1}, NOT_A_STRING)],
)
def test_username_of_the_wrong_type(client: FlaskClient, value: Any, message: str) -> None:
    response = post(client, {"username": value, "list_of_indices": [[0, 0]]})
    assert response.status_code == 400
    assert response.get_json() == {"username": [message]}


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        ([], EMPTY_SCHEDULE),
        (ALL_PAIRS + [[0, 0]], TOO_MANY),
        ([[0, 0]] * 99, TOO_MANY),
        ([[0, 7]], BAD_DAY),
        ([[0, -1]], BAD_DAY),
        ([[13, 100]], BAD_DAY),
        ([[14, 0]], BAD_HOUR),
        ([[-1, 0]], BAD_HOUR),
        ([[10**30, 0]], BAD_HOUR),
        ([[0, 0], [0, 7]], BAD_DAY),
        ([[0, 0], [14, 6]], BAD_HOUR),
        ([[0]], NOT_PAIR),
        ([[0, 0, 0]], NOT_PAIR),
        ([0, 0], NOT_PAIR),
        ([["0", "1"]], NOT_PAIR),
        ([[0.5, 1]], NOT_PAIR),
        ([[True, 1]], NOT_PAIR),
        ([[None, 1]], NOT_PAIR),
        ("[[0, 1]]", NOT_PAIR),
        ({"0": 1}, NOT_PAIR),
        (None, NULL),
    ],
)
def test_invalid_list_of_indices(app: Flask, client: FlaskClient, pairs: Any, message: str) -> None:
    response = post(client, {"username": "ana", "list_of_indices": pairs})
    assert response.status_code == 400
    assert response.get_json() == {"list_of_indices": [message]}
    assert stored_rows(app) == []


def test_ninety_eight_distinct_pairs_fill_the_week(client: FlaskClient, students: Students) -> None:
    assert students.register("ana", ALL_PAIRS)["schedule"] == "1" * 98


def test_ninety_eight_repeated_pairs_are_accepted_and_collapse(
    client: FlaskClient, students: Students
) -> None:
    assert students.register("ana", [[2, 3]] * 98)["schedule"] == "0" * 17 + "1" + "0" * 80


def test_duplicate_pairs_collapse(client: FlaskClient, students: Students) -> None:
    once = students.register("ana", [[0, 1], [4, 2]])["schedule"]
    twice = students.register("bob", [[4, 2], [0, 1], [0, 1], [4, 2]])["schedule"]
    assert twice == once
    assert once.count("1") == 2


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({}, {"username": [REQUIRED], "list_of_indices": [REQUIRED]}),
        ({"username": "ana"}, {"list_of_indices": [REQUIRED]}),
        ({"list_of_indices": [[0, 0]]}, {"username": [REQUIRED]}),
        (
            {"username": "", "list_of_indices": []},
            {"username": [EMPTY_NAME], "list_of_indices": [EMPTY_SCHEDULE]},
        ),
    ],
)
def test_missing_or_empty_fields_are_reported_together(
    client: FlaskClient, body: dict[str, Any], expected: dict[str, list[str]]
) -> None:
    response = post(client, body)
    assert response.status_code == 400
    assert response.get_json() == expected


def test_unknown_keys_are_ignored(client: FlaskClient) -> None:
    response = post(client, {"username": "ana", "list_of_indices": [[0, 1]], "role": "admin"})
    assert response.status_code == 201
    assert set(response.get_json()) == {"username", "schedule", "edit_token"}


@pytest.mark.parametrize("second", ["ana", "ANA", "Ana"])
def test_taken_username_is_refused_and_not_overwritten(
    client: FlaskClient, second: str, students: Students
) -> None:
    first = students.register("ana", [[0, 1]])
    response = post(client, {"username": second, "list_of_indices": [[5, 5]]})
    assert response.status_code == 400
    assert response.get_json() == {"username": [USERNAME_TAKEN]}
    assert client.get("/users/ana").get_json() == {"username": "ana", "schedule": first["schedule"]}
    # The first owner's token still works: the refused request changed nothing.
    response = client.put(
        "/users/ana",
        json={"list_of_indices": [[1, 1]]},
        headers={"Authorization": f"Bearer {first['edit_token']}"},
    )
    assert response.status_code == 200


def test_edit_tokens_are_fresh_random_secrets(client: FlaskClient, students: Students) -> None:
    tokens = [students.register(name)["edit_token"] for name in ("ana", "bob", "cat", "dan")]
    assert len(set(tokens)) == len(tokens)
    for token in tokens:
        assert len(token) >= 32
        assert token.strip() == token and " " not in token


def test_only_the_hash_of_the_token_is_stored(
    app: Flask, client: FlaskClient, students: Students
) -> None:
    token = students.register("ana")["edit_token"]
    rows = stored_rows(app)
    assert len(rows) == 1
    stored_text = " ".join(str(value) for value in rows[0])
    assert token not in stored_text
    with app.app_context():
        stored_hash = db.session.execute(select(Student.edit_token_hash)).scalar_one()
    assert stored_hash and stored_hash != token


def test_token_is_returned_only_at_registration(client: FlaskClient, students: Students) -> None:
    token = students.register("ana")["edit_token"]
    response = client.get("/users/ana")
    assert "edit_token" not in response.get_json()
    assert token not in response.get_data(as_text=True)


def test_a_refused_registration_stores_nothing(app: Flask, client: FlaskClient) -> None:
    assert post(client, {"username": "ana", "list_of_indices": [[0, 9]]}).status_code == 400
    assert post(client, {"username": "an4", "list_of_indices": [[0, 1]]}).status_code == 400
    assert stored_rows(app) == []
    assert client.get("/users/ana").status_code == 404
