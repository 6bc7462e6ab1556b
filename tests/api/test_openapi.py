"""GET /openapi.json and GET /docs (issue 2, "Shape": the OpenAPI 3 document generated from the
schemas, served at /openapi.json and validated in a test, plus a human docs page at /docs)."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError, fields
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from gapfind import create_app, schemas
from gapfind.core.usernames import (
    STORED_USERNAME_SCHEMA_PATTERN,
    USERNAME_MAX_LENGTH,
    USERNAME_SCHEMA_PATTERN,
)
from tests.support.servers import free_port
from tests.support.students import Students

# Every path and method of the contract, with the statuses the contract gives each.
CONTRACT = {
    ("/manual", "post"): {"201", "400"},
    ("/users/{username}", "get"): {"200", "404"},
    ("/users/{username}", "put"): {"200", "400", "401", "403", "404"},
    ("/users/{username}", "delete"): {"204", "401", "403", "404"},
    ("/results", "post"): {"200", "400"},
    ("/analyze", "post"): {"200", "400"},
    ("/blocks", "post"): {"200", "400"},
    ("/calendar.ics", "get"): {"200", "400"},
    ("/register/ics", "post"): {"201", "400"},
    ("/ics/preview", "post"): {"200", "400"},
}


@pytest.fixture
def spec(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()  # type: ignore[no-any-return]


def resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    assert ref.startswith("#/components/schemas/")
    return spec["components"]["schemas"][ref.rsplit("/", 1)[1]]  # type: ignore[no-any-return]


def request_schema(spec: dict[str, Any], path: str, method: str, media: str) -> dict[str, Any]:
    content = spec["paths"][path][method]["requestBody"]["content"]
    return resolve(spec, content[media]["schema"])


def response_schema(spec: dict[str, Any], path: str, method: str, status: str) -> dict[str, Any]:
    content = spec["paths"][path][method]["responses"][status]["content"]
    return resolve(spec, content["application/json"]["schema"])


def test_document_validates(spec: dict[str, Any]) -> None:
    assert spec["openapi"].startswith("3.")
    validate(spec)


def test_validator_is_not_a_rubber_stamp(spec: dict[str, Any]) -> None:
    broken = copy.deepcopy(spec)
    del broken["info"]["title"]
    with pytest.raises(OpenAPIValidationError):
        validate(broken)


@pytest.mark.parametrize(("path", "method"), sorted(CONTRACT))
def test_every_contract_operation_is_documented(
    spec: dict[str, Any], path: str, method: str
) -> None:
    operation = spec["paths"][path][method]
    assert operation["summary"]
    assert CONTRACT[path, method] <= set(operation["responses"])


def test_documented_paths_are_exactly_the_served_ones(spec: dict[str, Any]) -> None:
    documented = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    assert set(CONTRACT) <= documented
    # No stray or misspelt path: everything documented beyond the contract is a service path.
    assert {path for path, _ in documented - set(CONTRACT)} <= {"/health"}
    for path in spec["paths"]:
        assert not path.endswith("/")


def test_username_path_parameter(spec: dict[str, Any]) -> None:
    for method in ("get", "put", "delete"):
        (parameter,) = spec["paths"]["/users/{username}"][method]["parameters"]
        assert (parameter["name"], parameter["in"], parameter["required"]) == (
            "username",
            "path",
            True,
        )
        schema = parameter["schema"]
        assert schema["type"] == "string"
        assert schema["pattern"] == USERNAME_SCHEMA_PATTERN
        assert (schema["minLength"], schema["maxLength"]) == (1, USERNAME_MAX_LENGTH)


def test_token_operations_require_the_bearer_scheme(spec: dict[str, Any]) -> None:
    schemes = spec["components"]["securitySchemes"]
    for method in ("put", "delete"):
        (requirement,) = spec["paths"]["/users/{username}"][method]["security"]
        (name,) = requirement
        assert schemes[name]["type"] == "http"
        assert schemes[name]["scheme"] == "bearer"
    assert "security" not in spec["paths"]["/users/{username}"]["get"]
    assert "security" not in spec["paths"]["/manual"]["post"]


# The request fields of the contract (issue 2), written out rather than read from the schemas.
RESULTS_FIELDS = {
    "usernames",
    "compute_sd",
    "no_classes_day",
    "ignore_weekend",
    "limit",
    "days_to_filter",
}
ANALYZE_FIELDS = {"usernames", "extra_usernames", "usernames_file", "username_to_filter"}


@pytest.mark.parametrize(
    ("path", "method", "media", "properties", "required"),
    [
        (
            "/manual",
            "post",
            "application/json",
            {"username", "list_of_indices"},
            {"username", "list_of_indices"},
        ),
        ("/users/{username}", "put", "application/json", {"list_of_indices"}, {"list_of_indices"}),
        (
            "/results",
            "post",
            "application/json",
            RESULTS_FIELDS,
            {"usernames"},
        ),
        (
            "/analyze",
            "post",
            "application/json",
            ANALYZE_FIELDS,
            set(),
        ),
        (
            "/analyze",
            "post",
            "multipart/form-data",
            ANALYZE_FIELDS,
            set(),
        ),
    ],
)
def test_request_bodies_match_the_contract(
    spec: dict[str, Any],
    path: str,
    method: str,
    media: str,
    properties: set[str],
    required: set[str],
) -> None:
    schema = request_schema(spec, path, method, media)
    assert set(schema["properties"]) == properties
    assert set(schema.get("required", [])) == required


def test_error_schema_is_an_object_of_string_lists(spec: dict[str, Any]) -> None:
    error = spec["components"]["schemas"]["Error"]
    assert error["type"] == "object"
    assert error["minProperties"] == 1
    assert error["additionalProperties"] == {
        "type": "array",
        "minItems": 1,
        "items": {"type": "string"},
    }
    for (path, method), statuses in CONTRACT.items():
        for status in statuses:
            if int(status) >= 400:
                assert response_schema(spec, path, method, status) == error


def test_documented_response_fields_are_the_real_ones(
    client: FlaskClient, spec: dict[str, Any]
) -> None:
    """Each 2xx schema lists exactly the keys the endpoint really returns."""
    created = Students(client).register("ana", [[0, 1], [5, 2]])
    Students(client).register("bob", [[0, 1], [7, 2]])

    def props(path: str, method: str, status: str) -> set[str]:
        return set(response_schema(spec, path, method, status)["properties"])

    assert set(created) == props("/manual", "post", "201")
    assert set(client.get("/users/ana").get_json()) == props("/users/{username}", "get", "200")
    response = client.put(
        "/users/ana",
        json={"list_of_indices": [[0, 1], [5, 2]]},
        headers={"Authorization": f"Bearer {created['edit_token']}"},
    )
    assert set(response.get_json()) == props("/users/{username}", "put", "200")

    results = client.post("/results", json={"usernames": ["ana", "bob"], "compute_sd": True})
    body = results.get_json()
    assert set(body) == props("/results", "post", "200")
    gap_schema = resolve(
        spec, response_schema(spec, "/results", "post", "200")["properties"]["gaps"]["items"]
    )
    assert body["gaps"]
    assert all(set(gap) == set(gap_schema["properties"]) for gap in body["gaps"])

    analyze = client.post("/analyze", json={"usernames": ["ana", "bob"]}).get_json()
    assert set(analyze) == props("/analyze", "post", "200")
    slot_schema = resolve(
        spec, response_schema(spec, "/analyze", "post", "200")["properties"]["results"]["items"]
    )
    assert all(set(slot) == set(slot_schema["properties"]) for slot in analyze["results"])


def test_document_is_stable_between_requests(client: FlaskClient, spec: dict[str, Any]) -> None:
    assert client.get("/openapi.json").get_json() == spec


# --------------------------------------------------------------------------- /docs


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def test_docs_page_lists_every_path_and_method(client: FlaskClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert page.lower().startswith("<!doctype html>")
    parser = _Text()
    parser.feed(page)
    assert {"html", "head", "body", "title"} <= parser.tags
    assert "script" not in parser.tags
    text = "".join(parser.parts)
    for path, method in CONTRACT:
        pattern = rf"{method.upper()}\s*{re.escape(path)}"
        assert re.search(pattern, text), f"{method.upper()} {path} missing from /docs"
    assert "/openapi.json" in page


def test_docs_page_shows_the_contract_field_names(client: FlaskClient) -> None:
    text = client.get("/docs").get_data(as_text=True)
    for name in sorted({"username", "list_of_indices"} | RESULTS_FIELDS | ANALYZE_FIELDS):
        assert f"<code>{name}</code>" in text, name


# --------------------------------------------------------------------------- exact
# Clients generate code from the document: what it says each field accepts, each answer holds
# and each operation can answer is checked here against the API itself.


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """Every operation the document lists (other branches' endpoints included)."""
    return [
        (path, method, operation)
        for path, methods in sorted(spec["paths"].items())
        for method, operation in sorted(methods.items())
    ]


def prop(spec: dict[str, Any], schema_name: str, field: str) -> dict[str, Any]:
    return spec["components"]["schemas"][schema_name]["properties"][field]  # type: ignore[no-any-return]


def call(client: FlaskClient, path: str, method: str, operation: dict[str, Any], **kw: Any) -> Any:
    """Call `operation` past the checks made before its body: a possible name in the path, a
    bearer token, and the document's own JSON example as the body (override with `kw`)."""
    request: dict[str, Any] = {"headers": {"Authorization": "Bearer not-a-real-token"}}
    if "requestBody" in operation:
        media = operation["requestBody"]["content"].get("application/json", {})
        request["json"] = media.get("example", {})
    request.update(kw)
    url = path.replace("{username}", "ana")
    return client.open(url, method=method.upper(), **request)


# The statuses the builder adds to each contract operation, written out:
# 400/413 with a body, 429 unless exempt from rate limits, 503 for the database.
GENERATED = {
    ("/manual", "post"): {"400", "413", "429", "503"},
    ("/users/{username}", "get"): {"429", "503"},
    ("/users/{username}", "put"): {"400", "413", "429", "503"},
    ("/users/{username}", "delete"): {"429", "503"},
    ("/results", "post"): {"400", "413", "429", "503"},
    ("/analyze", "post"): {"400", "413", "429", "503"},
    ("/health", "get"): {"503"},
}


@pytest.mark.parametrize(("path", "method"), sorted(GENERATED))
def test_each_operation_lists_the_statuses_it_can_answer(
    spec: dict[str, Any], path: str, method: str
) -> None:
    responses = spec["paths"][path][method]["responses"]
    assert GENERATED[path, method] <= set(responses)
    for status in GENERATED[path, method]:
        assert response_schema(spec, path, method, status) == spec["components"]["schemas"]["Error"]
    for status in {"429", "503"} & GENERATED[path, method]:
        assert responses[status]["headers"]["Retry-After"]["required"] is True
    assert "429" not in spec["paths"]["/health"]["get"]["responses"]  # exempt


def test_a_429_is_documented_exactly_where_limits_apply(
    app_factory: Callable[..., Flask],
) -> None:
    """Every documented operation is called twice under a limit of one per minute: the second
    call is refused with 429 exactly when the document lists 429."""
    app = app_factory(RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="1 per minute")
    client = app.test_client()
    spec = client.get("/openapi.json").get_json()
    for path, method, operation in operations(spec):
        call(client, path, method, operation)
        second = call(client, path, method, operation)
        documented = "429" in operation["responses"]
        assert (second.status_code == 429) == documented, (method, path, second.status_code)
        if documented:
            assert second.headers["Retry-After"]


def test_a_413_is_documented_exactly_where_a_body_is_read(
    app_factory: Callable[..., Flask],
) -> None:
    client = app_factory(MAX_CONTENT_LENGTH=2048).test_client()
    spec = client.get("/openapi.json").get_json()
    big = json.dumps({"padding": "x" * 4096})
    for path, method, operation in operations(spec):
        # In a media type the operation reads (a form-only one refuses JSON before reading it).
        media_types = list(operation.get("requestBody", {}).get("content", {"application/json": 0}))
        content_type = media_types[0]
        if content_type == "multipart/form-data":
            content_type += "; boundary=x"
        response = call(
            client, path, method, operation, json=None, data=big, content_type=content_type
        )
        documented = "413" in operation["responses"]
        assert (response.status_code == 413) == documented, (method, path, response.status_code)
        if documented:
            assert "requestBody" in operation


def test_a_503_is_documented_wherever_a_dead_database_gives_one() -> None:
    """On a PostgreSQL address where nothing listens, every operation that reaches the
    database answers 503, and only operations that document it do."""
    url = f"postgresql://nobody@127.0.0.1:{free_port()}/gapfind"
    client = create_app({"DATABASE_URL": url}).test_client()
    spec = client.get("/openapi.json").get_json()
    answered = set()
    for path, method, operation in operations(spec):
        response = call(client, path, method, operation)
        if response.status_code == 503:
            assert "503" in operation["responses"], (method, path)
            assert response.headers["Retry-After"]
            answered.add((path, method))
    assert set(GENERATED) <= answered  # each contract operation reached the database


def test_operation_ids_are_unique_and_named_after_the_views(spec: dict[str, Any]) -> None:
    ids = [operation["operationId"] for _, _, operation in operations(spec)]
    assert len(ids) == len(set(ids))
    assert spec["paths"]["/users/{username}"]["get"]["operationId"] == "read"
    assert spec["paths"]["/manual"]["post"]["operationId"].endswith("register")


# ------------------------------------------------------------------ request fields, at the edges


def test_usernames_carry_the_core_pattern(spec: dict[str, Any]) -> None:
    for schema in (
        prop(spec, "RegisterRequest", "username"),
        prop(spec, "ResultsRequest", "usernames")["items"],
    ):
        assert schema["type"] == "string"
        assert schema["pattern"] == USERNAME_SCHEMA_PATTERN
        assert (schema["minLength"], schema["maxLength"]) == (1, USERNAME_MAX_LENGTH)
    assert prop(spec, "ResultsRequest", "usernames")["minItems"] == 2


def test_documented_username_edges_are_the_real_ones(
    spec: dict[str, Any], client: FlaskClient
) -> None:
    longest = prop(spec, "RegisterRequest", "username")["maxLength"]
    for name, status in [("A" * longest, 201), ("b" * (longest + 1), 400), ("", 400)]:
        answer = client.post("/manual", json={"username": name, "list_of_indices": [[0, 0]]})
        assert answer.status_code == status, name
        if status == 201:
            assert re.fullmatch(prop(spec, "RegisterResponse", "username")["pattern"], name.lower())


def pair_bounds(spec: dict[str, Any], schema_name: str) -> tuple[dict[str, Any], list[Any]]:
    indices = prop(spec, schema_name, "list_of_indices")
    return indices, indices["items"]["x-prefixItems"]


@pytest.mark.parametrize("schema_name", ["RegisterRequest", "ScheduleUpdateRequest"])
def test_index_pairs_state_their_ranges(spec: dict[str, Any], schema_name: str) -> None:
    indices, (hour, day) = pair_bounds(spec, schema_name)
    assert (indices["minItems"], indices["maxItems"]) == (1, 98)
    pair = indices["items"]
    assert (pair["type"], pair["minItems"], pair["maxItems"]) == ("array", 2, 2)
    assert (hour["type"], hour["minimum"], hour["maximum"]) == ("integer", 0, 13)
    assert (day["type"], day["minimum"], day["maximum"]) == ("integer", 0, 6)
    # The one schema for both positions admits every valid pair (the hours' range is wider).
    assert (pair["items"]["minimum"], pair["items"]["maximum"]) == (0, 13)


def test_documented_index_edges_are_the_real_ones(
    spec: dict[str, Any], client: FlaskClient
) -> None:
    indices, (hour, day) = pair_bounds(spec, "RegisterRequest")
    last_hour, last_day = hour["maximum"], day["maximum"]
    every_slot = [[h, d] for h in range(last_hour + 1) for d in range(last_day + 1)]
    assert len(every_slot) == indices["maxItems"]
    cases = [
        ([[last_hour, last_day]], 201),
        (every_slot, 201),
        (every_slot + [[0, 0]], 400),  # one pair too many, though a repeat
        ([[last_hour + 1, 0]], 400),
        ([[0, last_day + 1]], 400),
        ([[hour["minimum"] - 1, 0]], 400),
        ([[0, 1.0]], 400),  # integers are strict
        ([[True, 0]], 400),
        ([[0, 0, 0]], 400),
        ([], 400),
    ]
    for number, (pairs, status) in enumerate(cases):
        name = "user" + "abcdefghijklmnop"[number]
        answer = client.post("/manual", json={"username": name, "list_of_indices": pairs})
        assert answer.status_code == status, (pairs[:3], answer.get_json())


def test_documented_days_to_filter_edges_are_the_real_ones(
    spec: dict[str, Any], students: Students, client: FlaskClient
) -> None:
    days = prop(spec, "ResultsRequest", "days_to_filter")
    assert days["nullable"] is True
    assert (days["minItems"], days["maxItems"]) == (1, 7)
    assert (days["items"]["minimum"], days["items"]["maximum"]) == (0, 6)
    students.register("ana", [[0, 0]])
    students.register("bob", [[1, 1]])
    last = days["items"]["maximum"]
    cases = [
        ([last], 200),
        ([0] * days["maxItems"], 200),  # repeats count towards maxItems, as documented
        ([0] * (days["maxItems"] + 1), 400),
        ([last + 1], 400),
        ([1.0], 400),
        ([], 400),
        (None, 200),
    ]
    for value, status in cases:
        answer = client.post(
            "/results", json={"usernames": ["ana", "bob"], "days_to_filter": value}
        )
        assert answer.status_code == status, value


def test_limit_documents_its_numeric_strings(spec: dict[str, Any]) -> None:
    limit = prop(spec, "ResultsRequest", "limit")
    number, text = limit["oneOf"]
    assert number == {"type": "integer", "minimum": 2, "nullable": True}
    assert text["type"] == "string"
    assert "type" not in limit
    for accepted in ["2", " 10 ", "002", "\t99\n", "123456789012345678901234567890"]:
        assert re.fullmatch(text["pattern"], accepted), accepted
    for refused in ["1", "01", "0", "", "2.0", "-3", "+3", "1e3", "２"]:
        assert not re.fullmatch(text["pattern"], refused), refused


def whole_numbers() -> list[tuple[str, fields.Field[Any]]]:
    """Every WholeNumber field of every request and query schema, by schema and name."""
    found = []
    for name, value in sorted(vars(schemas).items()):
        if isinstance(value, type) and issubclass(value, Schema):
            for field_name, field in value().fields.items():
                if isinstance(field, schemas.WholeNumber):
                    found.append((f"{name}.{field_name}", field))
    return found


WHOLE_NUMBERS = whole_numbers()


def reads(field: fields.Field[Any], value: Any) -> bool:
    """Whether the field loads `value` (refusals are its one message)."""
    try:
        field.deserialize(value)
    except ValidationError:
        return False
    return True


def test_every_whole_number_documents_a_number_or_its_text() -> None:
    assert {"ResultsRequest.limit", "BlocksRequest.duration", "CalendarQuery.day_index"} <= {
        name for name, _ in WHOLE_NUMBERS
    }
    for name, field in WHOLE_NUMBERS:
        number, text = field.metadata["oneOf"]
        assert number["type"] == "integer", name
        assert (number["minimum"], number.get("maximum")) == (field.minimum, field.maximum)
        assert text["pattern"] == schemas.decimal_pattern(field.minimum, field.maximum)


@given(
    st.sampled_from(WHOLE_NUMBERS).flatmap(
        lambda item: st.tuples(
            st.just(item[1]),
            st.from_regex(item[1].metadata["oneOf"][1]["pattern"], fullmatch=True),
        )
    )
)
def test_every_documented_numeric_string_is_read(case: tuple[fields.Field[Any], str]) -> None:
    field, text = case
    assert reads(field, text)


@given(
    st.sampled_from(WHOLE_NUMBERS),
    st.text(alphabet=" \t\n\r\x0b\x0c0123456789+-.eEx", max_size=8),
)
def test_an_ascii_numeric_string_is_read_only_as_documented(
    item: tuple[str, fields.Field[Any]], text: str
) -> None:
    _, field = item
    pattern = field.metadata["oneOf"][1]["pattern"]
    assert reads(field, text) == bool(re.fullmatch(pattern, text))


@given(st.sampled_from(WHOLE_NUMBERS), st.integers(-3, 20) | st.sampled_from([10**30, 2**64]))
def test_whole_numbers_as_documented(item: tuple[str, fields.Field[Any]], number: int) -> None:
    """Numbers (and the same value as a float) within the documented bounds, and only those."""
    _, field = item
    minimum, maximum = field.minimum, field.maximum
    within = number >= minimum and (maximum is None or number <= maximum)
    assert reads(field, number) == within
    if abs(number) < 2**52:  # where a float still has a fraction to carry
        assert reads(field, float(number)) == within
        assert not reads(field, number + 0.5)
    assert not reads(field, True)


FLAGS = ("compute_sd", "no_classes_day", "ignore_weekend")


@pytest.mark.parametrize("flag", FLAGS)
def test_flags_document_what_they_accept(spec: dict[str, Any], flag: str) -> None:
    """Each spelling the document lists loads as a boolean; a near miss is refused."""
    schema = prop(spec, "ResultsRequest", flag)
    boolean, strings, numbers = schema["oneOf"]
    assert boolean == {"type": "boolean", "nullable": True}
    assert "type" not in schema
    for value in [True, False, None, *strings["enum"], *numbers["enum"]]:
        data = schemas.ResultsRequest().load({"usernames": ["ana", "bob"], flag: value})
        assert isinstance(data[flag], bool)
    for near_miss in ["tRUE", " true", "2", "", "null", 2, 0.5, [True]]:
        with pytest.raises(ValidationError):
            schemas.ResultsRequest().load({"usernames": ["ana", "bob"], flag: near_miss})


def test_analyze_documents_each_media_type_it_reads(
    spec: dict[str, Any], students: Students, client: FlaskClient
) -> None:
    content = spec["paths"]["/analyze"]["post"]["requestBody"]["content"]
    assert set(content) == {
        "application/json",
        "multipart/form-data",
        "application/x-www-form-urlencoded",
    }
    students.register("ana")
    students.register("bob")
    names = {"usernames": "ana,bob"}
    assert client.post("/analyze", json=names).status_code == 200
    assert (
        client.post("/analyze", data=names, content_type="multipart/form-data").status_code == 200
    )
    urlencoded = "application/x-www-form-urlencoded"
    assert client.post("/analyze", data=names, content_type=urlencoded).status_code == 200
    assert (
        client.post("/analyze", data="usernames=ana,bob", content_type="text/plain").status_code
        == 400
    )


def test_analyze_json_file_field_is_only_null(
    spec: dict[str, Any], students: Students, client: FlaskClient
) -> None:
    assert prop(spec, "AnalyzeRequest", "usernames_file")["enum"] == [None]
    assert request_schema(spec, "/analyze", "post", "multipart/form-data")["properties"][
        "usernames_file"
    ] == {
        "type": "string",
        "format": "binary",
        "description": prop(spec, "AnalyzeForm", "usernames_file")["description"],
    }
    students.register("ana")
    students.register("bob")
    names = ["ana", "bob"]
    assert (
        client.post("/analyze", json={"usernames": names, "usernames_file": None}).status_code
        == 200
    )
    assert (
        client.post("/analyze", json={"usernames": names, "usernames_file": "ana"}).status_code
        == 400
    )


# ----------------------------------------------------------------------------- answers

# Required fields of each answer (all of them but a gap's "sd"), written out.
REQUIRED = {
    "RegisterResponse": {"username", "schedule", "edit_token"},
    "StudentResponse": {"username", "schedule"},
    "GapResponse": {"day", "hour", "avg", "quality", "day_index", "hour_index"},
    "ResultsResponse": {"count", "gaps"},
    "SlotAvailabilityResponse": {"day_index", "hour_index", "number_of_students", "availability"},
    "AnalyzeResponse": {"total_students", "users_not_found", "results"},
    "HealthResponse": {"status"},
}
# The answer fields that are not always there.
OPTIONAL = {("GapResponse", "sd")}


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_answers_are_closed_and_complete(spec: dict[str, Any], name: str) -> None:
    schema = spec["components"]["schemas"][name]
    assert set(schema["required"]) == REQUIRED[name]
    assert schema["additionalProperties"] is False
    assert not any(field.get("nullable") for field in schema["properties"].values())


def answer_schemas(spec: dict[str, Any]) -> set[str]:
    """Every component schema a success answer of the document uses, nested ones included."""
    names: set[str] = set()

    def visit(schema: Any) -> None:
        if isinstance(schema, dict):
            ref = schema.get("$ref", "")
            if ref.startswith("#/components/schemas/"):
                name = ref.rsplit("/", 1)[1]
                if name not in names:
                    names.add(name)
                    visit(spec["components"]["schemas"][name])
            for value in schema.values():
                visit(value)
        elif isinstance(schema, list):
            for value in schema:
                visit(value)

    for _, _, operation in operations(spec):
        for status, response in operation["responses"].items():
            if status.startswith("2"):
                visit(response.get("content", {}))
    return names


def test_every_answer_of_the_document_is_closed_and_complete(spec: dict[str, Any]) -> None:
    """The same for every answer the document lists (other branches' endpoints included)."""
    names = answer_schemas(spec)
    assert set(REQUIRED) <= names
    assert {"BlocksResponse", "BlockResponse", "CalendarRegisterResponse"} <= names
    for name in names:
        schema = spec["components"]["schemas"][name]
        expected = {field for field in schema["properties"] if (name, field) not in OPTIONAL}
        assert set(schema.get("required", [])) == expected, name
        assert schema["additionalProperties"] is False, name


def test_answer_fields_state_their_formats(spec: dict[str, Any]) -> None:
    for name in ("RegisterResponse", "StudentResponse"):
        assert prop(spec, name, "username")["pattern"] == STORED_USERNAME_SCHEMA_PATTERN
        schedule = prop(spec, name, "schedule")
        assert (schedule["minLength"], schedule["maxLength"]) == (98, 98)
        assert re.fullmatch(schedule["pattern"], "01" * 49)
        assert not re.fullmatch(schedule["pattern"], "2" + "0" * 97)
    assert prop(spec, "GapResponse", "day_index")["maximum"] == 6
    assert prop(spec, "GapResponse", "hour_index")["maximum"] == 13
    assert prop(spec, "SlotAvailabilityResponse", "day_index")["maximum"] == 4
    assert prop(spec, "AnalyzeResponse", "total_students")["minimum"] == 2
    assert prop(spec, "HealthResponse", "status")["enum"] == ["ok"]


# ----------------------------------------------------------------------------- links


def follow(expression: str, body: dict[str, Any]) -> str:
    """A link's runtime expression, "$response.body#/name" alone or embedded in "{...}"."""
    return re.sub(r"\{?\$response\.body#/(\w+)\}?", lambda m: str(body[m.group(1)]), expression)


def test_register_links_lead_to_working_calls_with_the_real_token(
    spec: dict[str, Any], client: FlaskClient
) -> None:
    """Following the document's links from a real 201 edits and deletes with its edit token."""
    created = client.post("/manual", json={"username": "Ana", "list_of_indices": [[0, 0]]})
    links = spec["paths"]["/manual"]["post"]["responses"]["201"]["links"]
    by_id = {op["operationId"]: (path, method, op) for path, method, op in operations(spec)}
    assert {by_id[link["operationId"]][1] for link in links.values()} == {"get", "put", "delete"}
    statuses = {}
    for link in sorted(links.values(), key=lambda link: by_id[link["operationId"]][1] == "delete"):
        path, method, operation = by_id[link["operationId"]]
        headers = {}
        for target, expression in link["parameters"].items():
            where, name = target.split(".")
            value = follow(expression, created.get_json())
            if where == "path":
                path = path.replace(f"{{{name}}}", value)
            else:
                headers[name] = value
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        json_body = body["example"] if body else None
        answer = client.open(path, method=method.upper(), headers=headers, json=json_body)
        statuses[method] = answer.status_code
    assert statuses == {"get": 200, "put": 200, "delete": 204}


def test_an_answer_in_another_media_type_is_documented_as_such(app: Flask) -> None:
    """For endpoints that answer files (a calendar): the document names their media type, so
    content_type_conformance holds them to it."""
    from gapfind.api.operations import Operation, endpoint
    from gapfind.api.operations import Response as Doc

    @app.get("/example.ics")
    @endpoint(
        Operation(
            summary="Un calendario",
            touches_database=False,
            responses={200: Doc("El calendario.", media_type="text/calendar")},
        )
    )
    def calendar() -> str:
        return "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"

    spec = app.test_client().get("/openapi.json").get_json()
    validate(spec)
    responses = spec["paths"]["/example.ics"]["get"]["responses"]
    assert responses["200"]["content"] == {"text/calendar": {"schema": {"type": "string"}}}
    assert "503" not in responses  # neither database nor (unplanned here) rate limits
