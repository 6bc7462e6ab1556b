"""Size limits (issue 3, item 3): MAX_CONTENT_LENGTH (1 MiB by default) answers 413 in the
contract's JSON shape; the usernames file of /analyze keeps its own, smaller limit."""

from __future__ import annotations

import io
import json
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from gapfind import messages
from tests.web import error_body

MIB = 1024 * 1024


def json_of_size(size: int) -> bytes:
    """A valid JSON body of exactly `size` bytes."""
    skeleton = json.dumps({"usernames": ""}).encode()
    body = json.dumps({"usernames": "a" * (size - len(skeleton))}).encode()
    assert len(body) == size
    return body


def assert_413(response: TestResponse) -> None:
    assert response.status_code == 413
    assert response.is_json
    assert response.get_json() == error_body(413)
    assert response.get_json()["non_field_errors"] == ["La solicitud es demasiado grande."]


def test_default_limit_is_one_mebibyte(app: Flask) -> None:
    assert app.config["MAX_CONTENT_LENGTH"] == MIB
    client = app.test_client()
    at_limit = client.post("/analyze", data=json_of_size(MIB), content_type="application/json")
    assert at_limit.status_code == 400  # read and validated, refused for its content
    assert "usernames" in at_limit.get_json()
    assert_413(client.post("/analyze", data=json_of_size(MIB + 1), content_type="application/json"))


@pytest.mark.parametrize(
    "path,method", [("/manual", "POST"), ("/results", "POST"), ("/users/ana", "PUT")]
)
def test_every_endpoint_with_a_body_has_the_limit(
    app_factory: Callable[..., Flask], path: str, method: str
) -> None:
    client = app_factory(MAX_CONTENT_LENGTH=2048).test_client()
    response = client.open(
        path,
        method=method,
        data=json_of_size(2049),
        content_type="application/json",
        headers={"Authorization": "Bearer x"},
    )
    assert_413(response)


def test_a_multipart_upload_over_the_limit_is_a_413(app_factory: Callable[..., Flask]) -> None:
    client = app_factory(MAX_CONTENT_LENGTH=4096).test_client()
    data = {"usernames_file": (io.BytesIO(b"ana\n" * 2000), "names.txt")}
    assert_413(client.post("/analyze", data=data, content_type="multipart/form-data"))


def _upload(client: FlaskClient, content: bytes) -> TestResponse:
    data = {"usernames_file": (io.BytesIO(content), "names.txt")}
    return client.post("/analyze", data=data, content_type="multipart/form-data")


def _names_of_size(size: int) -> bytes:
    """A usernames file of exactly `size` bytes: "ab\\n" lines, padded with letters."""
    lines = b"ab\n" * (size // 3)
    return lines + b"a" * (size - len(lines))


def test_the_usernames_file_keeps_its_own_limit(app: Flask) -> None:
    limit = app.config["ANALYZE_MAX_FILE_BYTES"]
    assert limit == 64 * 1024 < app.config["MAX_CONTENT_LENGTH"]
    client = app.test_client()

    too_large = _upload(client, _names_of_size(limit + 1))
    assert too_large.status_code == 400
    assert too_large.get_json() == {"usernames_file": [messages.FILE_TOO_LARGE.format(size="64KB")]}
    assert too_large.get_json()["usernames_file"] == [
        "El tamaño del archivo es demasiado grande, Asegúrate de que pese menos de 64KB"
    ]

    at_limit = _upload(client, _names_of_size(limit))
    assert at_limit.status_code == 400
    # Read in full: refused only because nobody in it is registered.
    assert at_limit.get_json() == {"usernames": [messages.TOO_FEW_KNOWN_USERS]}


def test_the_usernames_file_limit_is_a_setting(app_factory: Callable[..., Flask]) -> None:
    client = app_factory(ANALYZE_MAX_FILE_BYTES=100).test_client()
    response = _upload(client, _names_of_size(101))
    assert response.get_json() == {
        "usernames_file": [messages.FILE_TOO_LARGE.format(size="100 bytes")]
    }
    assert _upload(client, _names_of_size(100)).get_json() == {
        "usernames": [messages.TOO_FEW_KNOWN_USERS]
    }
