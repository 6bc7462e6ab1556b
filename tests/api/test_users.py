"""GET, PUT and DELETE /users/<username> (issue 2, "GET /users/<username>", "PUT ... DELETE")."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from gapfind.core.grid import IndicesProblem
from gapfind.messages import (
    INDICES_MESSAGES,
    NULL,
    REQUIRED,
    TOKEN_MISSING,
    TOKEN_WRONG,
    USER_NOT_FOUND,
)
from tests.support.students import Students

NOT_FOUND = {"non_field_errors": [USER_NOT_FOUND]}
MISSING = {"non_field_errors": [TOKEN_MISSING]}
WRONG = {"non_field_errors": [TOKEN_WRONG]}


def schedule_of(pairs: list[list[int]]) -> str:
    cells = ["0"] * 98
    for hour, day in pairs:
        cells[hour * 7 + day] = "1"
    return "".join(cells)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def current(client: FlaskClient, name: str) -> Any:
    response = client.get(f"/users/{name}")
    assert response.status_code == 200
    return response.get_json()


# --------------------------------------------------------------------------- GET


def test_get_returns_username_and_schedule_only(client: FlaskClient, students: Students) -> None:
    students.register("ana", [[0, 1], [13, 6]])
    response = client.get("/users/ana")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json() == {
        "username": "ana",
        "schedule": schedule_of([[0, 1], [13, 6]]),
    }


@pytest.mark.parametrize("path_name", ["ANA", "Ana", "aNA"])
def test_get_is_case_insensitive(client: FlaskClient, path_name: str, students: Students) -> None:
    students.register("ana", [[2, 2]])
    assert client.get(f"/users/{path_name}").get_json() == {
        "username": "ana",
        "schedule": schedule_of([[2, 2]]),
    }


@pytest.mark.parametrize(
    "path_name", ["bob", "anab", "an", "ana1", "ana%20", "a" * 31, "pe%23pito", "jos%C3%A9"]
)
def test_get_unknown_or_impossible_name_is_404_json(
    client: FlaskClient, path_name: str, students: Students
) -> None:
    students.register("ana")
    response = client.get(f"/users/{path_name}")
    assert response.status_code == 404
    assert response.mimetype == "application/json"
    assert response.get_json() == NOT_FOUND


# --------------------------------------------------------------------------- PUT


def test_put_replaces_the_schedule(client: FlaskClient, students: Students) -> None:
    token = students.register("ana", [[0, 1]])["edit_token"]
    response = client.put(
        "/users/ana", json={"list_of_indices": [[3, 4], [3, 4], [7, 0]]}, headers=bearer(token)
    )
    assert response.status_code == 200
    expected = {"username": "ana", "schedule": schedule_of([[3, 4], [7, 0]])}
    assert response.get_json() == expected
    assert current(client, "ana") == expected


def test_put_by_uppercase_path_updates_the_lowercase_user(
    client: FlaskClient, students: Students
) -> None:
    token = students.register("ana", [[0, 1]])["edit_token"]
    response = client.put("/users/ANA", json={"list_of_indices": [[1, 1]]}, headers=bearer(token))
    assert response.status_code == 200
    assert response.get_json() == {"username": "ana", "schedule": schedule_of([[1, 1]])}


def test_token_keeps_working_after_a_put(client: FlaskClient, students: Students) -> None:
    token = students.register("ana", [[0, 1]])["edit_token"]
    for pairs in ([[1, 1]], [[2, 2]], [[3, 3]]):
        response = client.put("/users/ana", json={"list_of_indices": pairs}, headers=bearer(token))
        assert response.status_code == 200
    assert current(client, "ana")["schedule"] == schedule_of([[3, 3]])


def test_put_scheme_is_case_insensitive(client: FlaskClient, students: Students) -> None:
    token = students.register("ana", [[0, 1]])["edit_token"]
    response = client.put(
        "/users/ana",
        json={"list_of_indices": [[1, 1]]},
        headers={"Authorization": f"bearer {token}"},
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"list_of_indices": []}, {"list_of_indices": [INDICES_MESSAGES[IndicesProblem.EMPTY]]}),
        (
            {"list_of_indices": [[0, 0]] * 99},
            {"list_of_indices": [INDICES_MESSAGES[IndicesProblem.TOO_MANY]]},
        ),
        (
            {"list_of_indices": [[0, 7]]},
            {"list_of_indices": [INDICES_MESSAGES[IndicesProblem.BAD_DAY]]},
        ),
        (
            {"list_of_indices": [[14, 0]]},
            {"list_of_indices": [INDICES_MESSAGES[IndicesProblem.BAD_HOUR]]},
        ),
        ({"list_of_indices": None}, {"list_of_indices": [NULL]}),
        ({}, {"list_of_indices": [REQUIRED]}),
    ],
)
def test_put_validates_like_registration(
    client: FlaskClient, body: dict[str, Any], expected: dict[str, list[str]], students: Students
) -> None:
    token = students.register("ana", [[0, 1]])["edit_token"]
    response = client.put("/users/ana", json=body, headers=bearer(token))
    assert response.status_code == 400
    assert response.get_json() == expected
    assert current(client, "ana")["schedule"] == schedule_of([[0, 1]])


def test_put_accepts_a_full_week(client: FlaskClient, students: Students) -> None:
    token = students.register("ana", [[0, 1]])["edit_token"]
    pairs = [[hour, day] for hour in range(14) for day in range(7)]
    response = client.put("/users/ana", json={"list_of_indices": pairs}, headers=bearer(token))
    assert response.status_code == 200
    assert response.get_json()["schedule"] == "1" * 98


def test_put_on_unknown_user_is_404(client: FlaskClient, students: Students) -> None:
    token = students.register("ana")["edit_token"]
    response = client.put("/users/bob", json={"list_of_indices": [[0, 0]]}, headers=bearer(token))
    assert response.status_code == 404
    assert response.get_json() == NOT_FOUND


# --------------------------------------------------------------------------- tokens

MISSING_HEADERS: list[dict[str, str]] = [
    {},
    {"Authorization": ""},
    {"Authorization": "Bearer"},
    {"Authorization": "Bearer "},
    {"Authorization": "Bearer    "},
]


def _send(client: FlaskClient, method: str, name: str, headers: dict[str, str]) -> Any:
    if method == "PUT":
        return client.put(f"/users/{name}", json={"list_of_indices": [[9, 2]]}, headers=headers)
    return client.delete(f"/users/{name}", headers=headers)


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
@pytest.mark.parametrize("headers", MISSING_HEADERS)
def test_missing_token_is_401(
    client: FlaskClient, method: str, headers: dict[str, str], students: Students
) -> None:
    students.register("ana", [[0, 1]])
    response = _send(client, method, "ana", headers)
    assert response.status_code == 401
    assert response.mimetype == "application/json"
    assert response.get_json() == MISSING
    assert response.headers["WWW-Authenticate"].lower().startswith("bearer")
    assert current(client, "ana")["schedule"] == schedule_of([[0, 1]])


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_other_scheme_is_401(client: FlaskClient, method: str, students: Students) -> None:
    token = students.register("ana", [[0, 1]])["edit_token"]
    response = _send(client, method, "ana", {"Authorization": f"Basic {token}"})
    assert response.status_code == 401
    assert response.get_json() == MISSING


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_wrong_token_is_403(client: FlaskClient, method: str, students: Students) -> None:
    token = students.register("ana", [[0, 1]])["edit_token"]
    wrong_tokens = [
        "x",
        token[:-1],
        token + "x",
        token.upper() if token.upper() != token else token.lower(),
        "0" * len(token),
    ]
    for wrong in wrong_tokens:
        response = _send(client, method, "ana", bearer(wrong))
        assert response.status_code == 403, wrong
        assert response.mimetype == "application/json"
        assert response.get_json() == WRONG
    assert current(client, "ana")["schedule"] == schedule_of([[0, 1]])


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_another_students_token_is_403(
    client: FlaskClient, method: str, students: Students
) -> None:
    students.register("ana", [[0, 1]])
    bob_token = students.register("bob", [[0, 2]])["edit_token"]
    response = _send(client, method, "ana", bearer(bob_token))
    assert response.status_code == 403
    assert response.get_json() == WRONG
    assert current(client, "ana")["schedule"] == schedule_of([[0, 1]])
    assert current(client, "bob")["schedule"] == schedule_of([[0, 2]])


# --------------------------------------------------------------------------- DELETE


def test_delete_is_204_and_the_user_is_gone(client: FlaskClient, students: Students) -> None:
    token = students.register("ana", [[0, 1]])["edit_token"]
    students.register("bob", [[0, 2]])
    response = client.delete("/users/ana", headers=bearer(token))
    assert response.status_code == 204
    assert response.get_data() == b""
    response = client.get("/users/ana")
    assert response.status_code == 404
    assert response.get_json() == NOT_FOUND
    assert current(client, "bob")["schedule"] == schedule_of([[0, 2]])


def test_deleting_twice_is_404(client: FlaskClient, students: Students) -> None:
    token = students.register("ana")["edit_token"]
    assert client.delete("/users/ana", headers=bearer(token)).status_code == 204
    response = client.delete("/users/ana", headers=bearer(token))
    assert response.status_code == 404
    assert response.get_json() == NOT_FOUND


def test_put_after_delete_is_404(client: FlaskClient, students: Students) -> None:
    token = students.register("ana")["edit_token"]
    assert client.delete("/users/ana", headers=bearer(token)).status_code == 204
    response = client.put("/users/ana", json={"list_of_indices": [[0, 0]]}, headers=bearer(token))
    assert response.status_code == 404
    assert response.get_json() == NOT_FOUND


def test_delete_unknown_user_is_404(client: FlaskClient) -> None:
    response = client.delete("/users/nobody", headers=bearer("whatever"))
    assert response.status_code == 404
    assert response.get_json() == NOT_FOUND


@pytest.mark.parametrize("again", ["ana", "ANA"])
def test_name_can_be_registered_again_after_delete(
    client: FlaskClient, again: str, students: Students
) -> None:
    old = students.register("ana", [[0, 1]])
    assert client.delete("/users/ANA", headers=bearer(old["edit_token"])).status_code == 204
    new = students.register(again, [[5, 5]])
    assert new["username"] == "ana"
    assert new["schedule"] == schedule_of([[5, 5]])
    assert new["edit_token"] != old["edit_token"]
    assert current(client, "ana") == {"username": "ana", "schedule": schedule_of([[5, 5]])}
    # The previous owner's token does not carry over to the new registration.
    response = client.put(
        "/users/ana", json={"list_of_indices": [[0, 0]]}, headers=bearer(old["edit_token"])
    )
    assert response.status_code == 403
    assert response.get_json() == WRONG
    response = client.put(
        "/users/ana", json={"list_of_indices": [[0, 0]]}, headers=bearer(new["edit_token"])
    )
    assert response.status_code == 200
