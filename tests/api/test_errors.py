"""The error contract of every endpoint (issue 2, "Errors (every endpoint)" and "Shape").

Every error is a JSON object whose every value is a list of strings, body-level problems under
"non_field_errors", in Spanish; validation is 400 (never 422); bad input never gives a 500; no
path answers with a redirect.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gapfind import messages
from gapfind.core.grid import IndicesProblem
from gapfind.core.usernames import UsernameProblem
from gapfind.errors import HTTP_MESSAGES
from tests.support.students import Students

NON_FIELD = "non_field_errors"


def assert_error_body(response: Any, status: int) -> dict[str, list[str]]:
    """The contract's error shape: a JSON object, every value a non-empty list of strings."""
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/json"
    assert "Location" not in response.headers
    body = json.loads(response.get_data(as_text=True))
    assert isinstance(body, dict) and body
    for key, texts in body.items():
        assert isinstance(key, str)
        assert isinstance(texts, list) and texts, (key, texts)
        assert all(isinstance(message, str) and message for message in texts), texts
    return body


# --------------------------------------------------------------------------- contract wording


def test_contract_messages_are_verbatim() -> None:
    """The messages the issue lists, character for character (the client shows them as-is)."""
    assert messages.REQUIRED == "Este campo es requerido."
    assert messages.USERNAME_MESSAGES == {
        UsernameProblem.EMPTY: "El nombre de usuario no puede estar vacío",
        UsernameProblem.TOO_LONG: "El nombre de usuario no puede tener más de 30 caracteres",
        UsernameProblem.NOT_LETTERS: "El nombre de usuario solo puede contener letras",
    }
    assert messages.INDICES_MESSAGES[IndicesProblem.EMPTY] == "El horario no puede estar vacío"
    assert (
        messages.INDICES_MESSAGES[IndicesProblem.TOO_MANY]
        == "Es imposible tener más de 98 horas de clases a la semana"
    )
    assert (
        messages.INDICES_MESSAGES[IndicesProblem.BAD_DAY]
        == "El índice del día debe estar entre 0 y 6"
    )
    assert (
        messages.INDICES_MESSAGES[IndicesProblem.BAD_HOUR]
        == "El índice de la hora debe estar entre 0 y 13"
    )
    assert messages.USERNAME_TAKEN == "El usuario ingresado ya fue registrado"
    assert (
        messages.LISTED_USERNAME_MESSAGES[UsernameProblem.NOT_LETTERS].format(name="pe#pito")
        == "El usuario pe#pito solo puede contener letras"
    )
    assert (
        messages.USERS_NOT_FOUND.format(names="a, b")
        == "Los siguientes usuarios no se encontraron: a, b"
    )
    assert (
        messages.NO_USERNAME_SOURCE
        == "Al menos debes proporcionar una forma para obtener los usuarios"
    )
    assert messages.FILTER_USER_NOT_FOUND == "El usuario para filtrar el horario no existe"
    assert (
        messages.FILE_TOO_LARGE.format(size=messages.human_size(64 * 1024))
        == "El tamaño del archivo es demasiado grande, Asegúrate de que pese menos de 64KB"
    )


# --------------------------------------------------------------------------- bodies

BODY_ENDPOINTS = ["POST /manual", "PUT /users/ana", "POST /results", "POST /analyze"]


@pytest.fixture
def send(client: FlaskClient, students: Students) -> Callable[..., Any]:
    """send(endpoint, data=..., content_type=...) with a valid edit token for PUT /users/ana."""
    token = students.register("ana")["edit_token"]

    def _send(endpoint: str, **kwargs: Any) -> Any:
        method, path = endpoint.split(" ", 1)
        headers = kwargs.pop("headers", {})
        if path.startswith("/users/"):
            headers = {"Authorization": f"Bearer {token}", **headers}
        return client.open(path, method=method, headers=headers, **kwargs)

    return _send


def media_type_message(endpoint: str, media_type: str) -> str:
    template = (
        messages.BODY_MEDIA_TYPE_ANALYZE
        if endpoint == "POST /analyze"
        else messages.BODY_MEDIA_TYPE
    )
    return template.format(media_type=media_type)


MALFORMED = [
    "{",
    "}",
    '{"username": }',
    '{"username": "ana",}',
    "{'username': 'ana'}",
    '{"a": 1} {"b": 2}',
    '{"a": 1}x',
    "[1, 2,]",
    "nul",
    "tru",
    '"unterminated',
    '{"a": "\x01"}',
    "1" * 4999 + ",",  # a huge number is valid JSON (tests/api/test_odd_values.py); this is not
    "[" * 100_000,
    "[" * 100_000 + "]" * 100_000,  # deeper than any decoder stack
    '{"a":' * 100_000 + "1" + "}" * 100_000,
]


@pytest.mark.parametrize("endpoint", BODY_ENDPOINTS)
@pytest.mark.parametrize("raw", MALFORMED, ids=lambda raw: repr(raw[:24]))
def test_malformed_json(send: Callable[..., Any], endpoint: str, raw: str) -> None:
    response = send(endpoint, data=raw, content_type="application/json")
    body = assert_error_body(response, 400)
    assert body == {NON_FIELD: [messages.BODY_NOT_JSON]}


@pytest.mark.parametrize("endpoint", BODY_ENDPOINTS)
@pytest.mark.parametrize(
    "raw", [b"\xff\xfe{}", b'{"username": "\xe9"}', b"\xc3\x28"], ids=["bom16", "latin1", "bad"]
)
def test_json_that_is_not_utf8(send: Callable[..., Any], endpoint: str, raw: bytes) -> None:
    response = send(endpoint, data=raw, content_type="application/json")
    assert assert_error_body(response, 400) == {NON_FIELD: [messages.BODY_NOT_JSON]}


@pytest.mark.parametrize("endpoint", BODY_ENDPOINTS)
@pytest.mark.parametrize("content_type", ["application/json", None])
@pytest.mark.parametrize("raw", ["", " ", "\n\t "], ids=["empty", "space", "whitespace"])
def test_missing_body(
    send: Callable[..., Any], endpoint: str, content_type: str | None, raw: str
) -> None:
    response = send(endpoint, data=raw, content_type=content_type)
    assert assert_error_body(response, 400) == {NON_FIELD: [messages.BODY_EMPTY]}


@pytest.mark.parametrize("endpoint", BODY_ENDPOINTS)
def test_no_body_at_all(send: Callable[..., Any], endpoint: str) -> None:
    assert assert_error_body(send(endpoint), 400) == {NON_FIELD: [messages.BODY_EMPTY]}


VALID_JSON = '{"username": "bob", "list_of_indices": [[0, 0]], "usernames": ["ana", "bob"]}'


@pytest.mark.parametrize("endpoint", BODY_ENDPOINTS)
@pytest.mark.parametrize(
    ("content_type", "media_type"),
    [
        ("text/plain", "text/plain"),
        ("text/plain; charset=utf-8", "text/plain"),
        ("application/xml", "application/xml"),
        ("text/json", "text/json"),
        ("application/octet-stream", "application/octet-stream"),
        ("Application/X-Anything", "application/x-anything"),
        (None, "ninguno"),
    ],
)
def test_unsupported_content_type(
    send: Callable[..., Any], endpoint: str, content_type: str | None, media_type: str
) -> None:
    response = send(endpoint, data=VALID_JSON, content_type=content_type)
    body = assert_error_body(response, 400)
    assert body == {NON_FIELD: [media_type_message(endpoint, media_type)]}


@pytest.mark.parametrize(
    ("endpoint", "content_type"),
    [
        (endpoint, content_type)
        for endpoint in ["POST /manual", "PUT /users/ana", "POST /results"]
        for content_type in ["application/x-www-form-urlencoded", "multipart/form-data"]
        # issue 12: a multipart PUT carries a calendar file (tests/api/test_calendar_import.py)
        if (endpoint, content_type) != ("PUT /users/ana", "multipart/form-data")
    ],
)
def test_forms_are_refused_where_only_json_is_accepted(
    send: Callable[..., Any], endpoint: str, content_type: str
) -> None:
    response = send(
        endpoint,
        data={"username": "bob", "list_of_indices": "[[0, 0]]", "usernames": "ana,bob"},
        content_type=content_type,
    )
    body = assert_error_body(response, 400)
    assert body == {NON_FIELD: [media_type_message(endpoint, content_type)]}


def test_a_multipart_put_is_a_calendar_form(send: Callable[..., Any]) -> None:
    # issue 12: PUT /users/<username> reads multipart/form-data as a calendar upload.
    response = send(
        "PUT /users/ana",
        data={"list_of_indices": "[[0, 0]]"},
        content_type="multipart/form-data",
    )
    assert assert_error_body(response, 400) == {"calendar": ["Este campo es requerido."]}


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "application/JSON"])
def test_json_media_type_parameters_and_case_are_accepted(
    client: FlaskClient, content_type: str
) -> None:
    body = json.dumps({"username": "ana", "list_of_indices": [[0, 0]]})
    response = client.post("/manual", data=body, content_type=content_type)
    assert response.status_code == 201


@pytest.mark.parametrize("endpoint", BODY_ENDPOINTS)
@pytest.mark.parametrize(
    "raw",
    ["null", "[]", "[{}]", '"str"', '""', "0", "-1", "1e400", "-1e400", "true", "false", "1.5"],
)
def test_body_that_is_not_an_object(send: Callable[..., Any], endpoint: str, raw: str) -> None:
    response = send(endpoint, data=raw, content_type="application/json")
    assert assert_error_body(response, 400) == {NON_FIELD: [messages.NOT_AN_OBJECT]}


# --------------------------------------------------------------------------- routing


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/nope",
        "/manual/",
        "/manual/x",
        "/Manual",
        "/users",
        "/users/",
        "/users/ana/",
        "/users/ana/schedule",
        "/results/",
        "/analyze/",
        "/api/manual",
        "/openapi.json/",
        "/docs/",
    ],
)
def test_unknown_route_is_404_json(
    client: FlaskClient, method: str, path: str, students: Students
) -> None:
    students.register("ana")
    response = client.open(path, method=method, json={})
    body = assert_error_body(response, 404)
    assert body == {NON_FIELD: [HTTP_MESSAGES[404]]}


ALLOWED = {
    "/manual": {"POST", "OPTIONS"},
    "/results": {"POST", "OPTIONS"},
    "/analyze": {"POST", "OPTIONS"},
    "/users/ana": {"GET", "HEAD", "PUT", "DELETE", "OPTIONS"},
    "/openapi.json": {"GET", "HEAD", "OPTIONS"},
    "/docs": {"GET", "HEAD", "OPTIONS"},
}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/manual"),
        ("PUT", "/manual"),
        ("DELETE", "/manual"),
        ("PATCH", "/manual"),
        ("GET", "/results"),
        ("DELETE", "/results"),
        ("GET", "/analyze"),
        ("PUT", "/analyze"),
        ("POST", "/users/ana"),
        ("PATCH", "/users/ana"),
        ("POST", "/openapi.json"),
        ("DELETE", "/docs"),
    ],
)
def test_wrong_method_is_405_json_with_allow(client: FlaskClient, method: str, path: str) -> None:
    response = client.open(path, method=method, json={})
    body = assert_error_body(response, 405)
    assert body == {NON_FIELD: [HTTP_MESSAGES[405]]}
    allowed = {part.strip() for part in response.headers["Allow"].split(",")}
    assert allowed == ALLOWED[path]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/manual/"),
        ("GET", "/manual/"),
        ("POST", "/results/"),
        ("POST", "/analyze/"),
        ("GET", "/users/ana/"),
        ("PUT", "/users/ana/"),
        ("DELETE", "/users/ana/"),
        ("GET", "/openapi.json/"),
        ("GET", "/docs/"),
        ("GET", "/health/"),
    ],
)
def test_trailing_slash_is_404_not_a_redirect(
    client: FlaskClient, method: str, path: str, students: Students
) -> None:
    students.register("ana")
    response = client.open(path, method=method, json={"usernames": ["ana", "bob"]})
    assert_error_body(response, 404)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/users//ana"),
        ("GET", "/users///ana"),
        ("HEAD", "/users//ana"),
        ("GET", "/users/ana//"),
        ("POST", "/manual//"),
        ("GET", "/docs//"),
    ],
)
def test_doubled_slashes_are_not_redirected(
    client: FlaskClient, method: str, path: str, students: Students
) -> None:
    students.register("ana")
    # Set PATH_INFO directly: the test client would read a leading "//" as a host name.
    response = client.open("/", method=method, environ_overrides={"PATH_INFO": path})
    assert response.status_code == 404
    assert "Location" not in response.headers


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_doubled_slash_is_a_plain_404_for_every_method(
    client: FlaskClient, method: str, students: Students
) -> None:
    students.register("ana")
    response = client.open(
        "/", method=method, json={}, environ_overrides={"PATH_INFO": "/users//ana"}
    )
    assert_error_body(response, 404)


def test_every_documented_path_answers_without_redirect(
    client: FlaskClient, students: Students
) -> None:
    token = students.register("ana")["edit_token"]
    auth = {"Authorization": f"Bearer {token}"}
    requests = [
        ("POST", "/manual", {"json": {"username": "bob", "list_of_indices": [[0, 0]]}}),
        ("GET", "/users/ana", {}),
        ("PUT", "/users/ana", {"json": {"list_of_indices": [[1, 1]]}, "headers": auth}),
        ("POST", "/results", {"json": {"usernames": ["ana", "bob"]}}),
        ("POST", "/analyze", {"json": {"usernames": ["ana", "bob"]}}),
        ("GET", "/openapi.json", {}),
        ("GET", "/docs", {}),
        ("GET", "/health", {}),
        ("OPTIONS", "/manual", {}),
        ("DELETE", "/users/ana", {"headers": auth}),
    ]
    statuses = []
    for method, path, kwargs in requests:
        response = client.open(path, method=method, **kwargs)
        assert "Location" not in response.headers
        statuses.append(response.status_code)
    assert statuses == [201, 200, 200, 200, 200, 200, 200, 200, 200, 204]


# --------------------------------------------------------------------------- 413


@pytest.mark.parametrize("endpoint", BODY_ENDPOINTS)
def test_body_over_max_content_length_is_413_json(
    app_factory: Callable[..., Flask], endpoint: str, students: Students
) -> None:
    client = app_factory(MAX_CONTENT_LENGTH=1024).test_client()
    token = students.register("ana")["edit_token"]
    method, path = endpoint.split(" ", 1)
    raw = json.dumps({"username": "bob", "list_of_indices": [[0, 0]] * 10, "pad": "x" * 1024})
    response = client.open(
        path,
        method=method,
        data=raw,
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    body = assert_error_body(response, 413)
    assert body == {NON_FIELD: [HTTP_MESSAGES[413]]}


def test_body_at_max_content_length_is_accepted(app_factory: Callable[..., Flask]) -> None:
    client = app_factory(MAX_CONTENT_LENGTH=1024).test_client()
    raw = json.dumps({"username": "bob", "list_of_indices": [[0, 0]]})
    raw = raw[:-1] + " " * (1024 - len(raw)) + "}"
    assert len(raw.encode()) == 1024
    assert client.post("/manual", data=raw, content_type="application/json").status_code == 201


@pytest.mark.parametrize("multipart", [True, False], ids=["multipart", "urlencoded"])
def test_form_over_max_content_length_is_413_json(
    app_factory: Callable[..., Flask], multipart: bool
) -> None:
    client = app_factory(MAX_CONTENT_LENGTH=1024).test_client()
    if multipart:
        data: dict[str, Any] = {"usernames_file": (io.BytesIO(b"ana\n" * 600), "names.txt")}
        content_type = "multipart/form-data"
    else:
        data = {"usernames": ",".join(["ana"] * 600)}
        content_type = "application/x-www-form-urlencoded"
    response = client.post("/analyze", data=data, content_type=content_type)
    assert assert_error_body(response, 413) == {NON_FIELD: [HTTP_MESSAGES[413]]}


def test_default_max_content_length_is_enforced(app: Flask, client: FlaskClient) -> None:
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert limit >= 64 * 1024  # room for a 64 KiB usernames file and 5000 names
    raw = json.dumps({"usernames": ["ana", "bob"], "pad": "x" * limit})
    response = client.post("/results", data=raw, content_type="application/json")
    assert assert_error_body(response, 413) == {NON_FIELD: [HTTP_MESSAGES[413]]}


# --------------------------------------------------------------------------- hostile bodies

DEEP = 900  # nesting the decoder accepts; the schemas must still refuse it cleanly


def nested(depth: int, leaf: str = "1") -> str:
    return "[" * depth + leaf + "]" * depth


WRONG_VALUES: list[Any] = [
    None,
    0,
    -1,
    1.5,
    10**40,
    -(10**40),
    True,
    False,
    "",
    "x",
    "ana",
    "[[0, 0]]",
    [],
    [None],
    [[]],
    [[[0, 0]]],
    {},
    {"0": 0},
    [1, 2],
    [True, False],
    ["ana", {"b": 1}],
]
RAW_WRONG_VALUES = [
    "1e400",
    "-1e400",
    "NaN",
    "Infinity",
    "-Infinity",
    '"\\ud800"',
    '"\\u0000"',
    nested(DEEP),
    nested(DEEP, '"ana"'),
]
VALID: dict[str, dict[str, Any]] = {
    "POST /manual": {"username": "bob", "list_of_indices": [[0, 0]]},
    "PUT /users/ana": {"list_of_indices": [[0, 0]]},
    "POST /results": {"usernames": ["ana", "cat"]},
    "POST /analyze": {"usernames": ["ana", "cat"]},
}
FIELDS = {
    "POST /manual": ["username", "list_of_indices"],
    "PUT /users/ana": ["list_of_indices"],
    "POST /results": [
        "usernames",
        "compute_sd",
        "no_classes_day",
        "ignore_weekend",
        "limit",
        "days_to_filter",
    ],
    "POST /analyze": ["usernames", "extra_usernames", "username_to_filter"],
}
CASES = [(endpoint, field) for endpoint, fields in FIELDS.items() for field in fields]


def with_raw_field(endpoint: str, field: str, raw_value: str) -> str:
    """The valid body of `endpoint` with `field` replaced by a raw JSON fragment."""
    placeholder = "__FIELD__"
    body = {**VALID[endpoint], field: placeholder}
    return json.dumps(body).replace(json.dumps(placeholder), raw_value)


@pytest.fixture
def fuzz(client: FlaskClient, students: Students) -> Callable[[str, str], Any]:
    """Post raw JSON to an endpoint; ana and cat exist, so a valid body would succeed."""
    token = students.register("ana")["edit_token"]
    students.register("cat")

    def _post(endpoint: str, raw: str) -> Any:
        method, path = endpoint.split(" ", 1)
        return client.open(
            path,
            method=method,
            data=raw,
            content_type="application/json",
            headers={"Authorization": f"Bearer {token}"},
        )

    return _post


@pytest.mark.parametrize(("endpoint", "field"), CASES)
def test_valid_bodies_used_by_the_fuzz_table_succeed(
    fuzz: Callable[[str, str], Any], endpoint: str, field: str
) -> None:
    response = fuzz(endpoint, json.dumps(VALID[endpoint]))
    assert response.status_code in (200, 201)


# (field, raw JSON value) pairs of the table that are legitimate input, not wrong types: a
# flag accepts null (the default), 0/1/true/false; limit any integer >= 2; /analyze skips
# names it cannot find, and an empty source next to a valid one adds nothing.
ACCEPTED = {
    ("username", '"x"'),
    *(
        (flag, raw)
        for flag in ("compute_sd", "no_classes_day", "ignore_weekend")
        for raw in ("null", "0", "true", "false")
    ),
    ("limit", "null"),
    ("limit", json.dumps(10**40)),
    ("days_to_filter", "null"),
    ("days_to_filter", "[1, 2]"),
    *(
        ("extra_usernames", raw)
        for raw in ("null", '""', '"x"', '"ana"', '"[[0, 0]]"', "[]", '"\\ud800"', '"\\u0000"')
    ),
    ("username_to_filter", "null"),
    ("username_to_filter", '""'),
    ("username_to_filter", '"ana"'),
}
# With no other source of names, an empty "usernames" is the body-level "nothing given".
NOTHING_GIVEN = {("POST /analyze", "usernames", raw) for raw in ("null", '""', "[]")}


def check_outcome(response: Any, endpoint: str, field: str, raw_value: str) -> None:
    if (field, raw_value) in ACCEPTED:
        assert response.status_code in (200, 201), response.get_data(as_text=True)[:300]
    elif (endpoint, field, raw_value) in NOTHING_GIVEN:
        body = assert_error_body(response, 400)
        assert body == {NON_FIELD: [messages.NO_USERNAME_SOURCE]}
    else:
        body = assert_error_body(response, 400)
        assert list(body) == [field]


@pytest.mark.parametrize(("endpoint", "field"), CASES)
@pytest.mark.parametrize("value", WRONG_VALUES, ids=repr)
def test_wrong_types_for_every_field(
    fuzz: Callable[[str, str], Any], endpoint: str, field: str, value: Any
) -> None:
    raw_value = json.dumps(value)
    response = fuzz(endpoint, with_raw_field(endpoint, field, raw_value))
    check_outcome(response, endpoint, field, raw_value)


@pytest.mark.parametrize(("endpoint", "field"), CASES)
@pytest.mark.parametrize("raw_value", RAW_WRONG_VALUES, ids=lambda raw: repr(raw[:16]))
def test_hostile_values_for_every_field(
    fuzz: Callable[[str, str], Any], endpoint: str, field: str, raw_value: str
) -> None:
    response = fuzz(endpoint, with_raw_field(endpoint, field, raw_value))
    check_outcome(response, endpoint, field, raw_value)


# --------------------------------------------------------------------------- one sweep


def test_every_kind_of_error_has_the_contract_shape(
    app_factory: Callable[..., Flask], students: Students
) -> None:
    """One request per error the API can give, each checked for status and shape."""
    client = app_factory(MAX_CONTENT_LENGTH=4096, ANALYZE_MAX_FILE_BYTES=1024).test_client()
    token = students.register("ana")["edit_token"]
    students.register("bob")
    auth = {"Authorization": f"Bearer {token}"}
    cases: list[tuple[int, str, str, dict[str, Any]]] = [
        (400, "POST", "/manual", {"json": {}}),
        (400, "POST", "/manual", {"json": {"username": "ana", "list_of_indices": [[0, 0]]}}),
        (400, "POST", "/manual", {"json": {"username": "x1", "list_of_indices": [[0, 99]]}}),
        (400, "PUT", "/users/ana", {"json": {"list_of_indices": []}, "headers": auth}),
        (400, "POST", "/results", {"json": {"usernames": ["ana"]}}),
        (400, "POST", "/results", {"json": {"usernames": ["ana", "zed"]}}),
        (400, "POST", "/results", {"json": {"usernames": ["ana", "bob"], "limit": 1}}),
        (400, "POST", "/analyze", {"json": {}}),
        (400, "POST", "/analyze", {"json": {"usernames": ["ana", "zed"]}}),
        (400, "POST", "/analyze", {"json": {"usernames": "ana,bob", "username_to_filter": "x"}}),
        (
            400,
            "POST",
            "/analyze",
            {"data": {"usernames_file": (io.BytesIO(b"\xff"), "n.txt")}},
        ),
        (
            400,
            "POST",
            "/analyze",
            {"data": {"usernames_file": (io.BytesIO(b"a\n" * 600), "n.txt")}},
        ),
        (400, "POST", "/results", {"data": "{", "content_type": "application/json"}),
        (400, "POST", "/results", {"data": "x", "content_type": "text/plain"}),
        (400, "POST", "/results", {}),
        (401, "PUT", "/users/ana", {"json": {"list_of_indices": [[0, 0]]}}),
        (401, "DELETE", "/users/ana", {}),
        (
            403,
            "PUT",
            "/users/ana",
            {"json": {"list_of_indices": [[0, 0]]}, "headers": {"Authorization": "Bearer nope"}},
        ),
        (403, "DELETE", "/users/ana", {"headers": {"Authorization": "Bearer nope"}}),
        (404, "GET", "/users/zed", {}),
        (404, "DELETE", "/users/zed", {"headers": auth}),
        (404, "GET", "/nowhere", {}),
        (405, "GET", "/results", {}),
        (413, "POST", "/results", {"json": {"usernames": ["ana", "bob"], "pad": "x" * 5000}}),
    ]
    for status, method, path, kwargs in cases:
        response = client.open(path, method=method, **kwargs)
        assert_error_body(response, status)
