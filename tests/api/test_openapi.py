"""GET /openapi.json and GET /docs (issue 2, "Shape": the OpenAPI 3 document generated from the
schemas, served at /openapi.json and validated in a test, plus a human docs page at /docs)."""

from __future__ import annotations

import copy
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from flask.testing import FlaskClient
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

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
        parameters = spec["paths"]["/users/{username}"][method]["parameters"]
        assert parameters == [
            {"name": "username", "in": "path", "required": True, "schema": {"type": "string"}}
        ]


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
    assert error["additionalProperties"] == {"type": "array", "items": {"type": "string"}}
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
