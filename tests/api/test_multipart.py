"""The multipart/form-data reader behind /analyze: well-formed bodies parse exactly as
werkzeug's own parser reads them, and malformed ones are a 400, never a 500."""

from __future__ import annotations

import io
import random

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.formparser import MultiPartParser
from werkzeug.test import encode_multipart

from gapfind import messages
from gapfind.api.multipart import MalformedMultipart, parse_form_data
from tests.support.students import Students

B = "XyZ123"


def body(*parts: str, preamble: str = "", epilogue: str = "") -> bytes:
    text = preamble + "".join(f"--{B}{part}" for part in parts) + f"--{B}--{epilogue}"
    return text.encode()


FIELD = '\r\nContent-Disposition: form-data; name="usernames"\r\n\r\nana, bob\r\n'
FILE = (
    '\r\nContent-Disposition: form-data; name="usernames_file"; filename="a;b.txt"\r\n'
    "Content-Type: text/plain\r\n\r\nana\r\n\r\nbob\r\n"
)


def test_fields_and_files_are_read():
    form = parse_form_data(body(FIELD, FIELD, FILE), B)
    assert form.fields == {"usernames": ["ana, bob", "ana, bob"]}
    assert form.files == {"usernames_file": b"ana\r\n\r\nbob"}


def test_preamble_epilogue_and_transport_padding_are_ignored():
    padded = ' \t\r\nContent-Disposition: form-data; name="x"\r\n\r\n1\r\n'
    form = parse_form_data(body(padded, preamble="ignored\r\n", epilogue="\r\nalso"), B)
    assert form.fields == {"x": ["1"]}


def test_the_boundary_inside_content_does_not_split_without_a_line_break():
    inside = f'\r\nContent-Disposition: form-data; name="x"\r\n\r\nab--{B}cd\r\n'
    assert parse_form_data(body(inside), B).fields == {"x": [f"ab--{B}cd"]}


@pytest.mark.parametrize(
    "raw, boundary",
    [
        (body(FIELD)[:-4], B),  # no closing delimiter
        (b"", B),
        (body(FIELD), ""),  # no boundary parameter
        (body(FIELD), "x" * 201),  # beyond any sane boundary
        (body("\r\nX-Other: 1\r\n\r\nv\r\n"), B),  # no Content-Disposition
        (body('\r\nContent-Disposition: attachment; name="x"\r\n\r\nv\r\n'), B),
        (body("\r\nContent-Disposition: form-data\r\n\r\nv\r\n"), B),  # no name
        (body('junk\r\nContent-Disposition: form-data; name="x"\r\n\r\nv\r\n'), B),
        (body("\r\n\r\nno headers\r\n"), B),
        (body('\r\nContent-Disposition: form-data; name="x"'), B),  # headers never end
    ],
)
def test_malformed_bodies_are_refused(raw, boundary):
    with pytest.raises(MalformedMultipart):
        parse_form_data(raw, boundary)


@pytest.mark.parametrize("seed", range(20))
def test_reads_what_werkzeug_encodes_like_werkzeug(seed):
    rng = random.Random(seed)
    alphabet = 'ab \r\n-é;"=\t' + B
    values = {
        f"f{i}": "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 40)))
        for i in range(rng.randrange(1, 5))
    }
    content = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 200)))
    data = {**values, "usernames_file": FileStorage(io.BytesIO(content), "names.txt")}
    boundary, raw = encode_multipart(data)
    form = parse_form_data(raw, boundary)
    assert form.files == {"usernames_file": content}
    assert form.fields == {name: [value] for name, value in values.items()}
    theirs, their_files = MultiPartParser().parse(io.BytesIO(raw), boundary.encode(), len(raw))
    assert form.fields == {name: theirs.getlist(name) for name in theirs}
    their_contents = {}
    for name, upload in their_files.items():
        try:
            their_contents[name] = upload.read()
        finally:
            upload.close()  # werkzeug spools uploads to a temporary file
    assert form.files == their_contents


def test_a_malformed_upload_is_a_400_in_the_contract_shape(client):
    response = client.post(
        "/analyze",
        data=body(FIELD)[:-4],
        content_type=f"multipart/form-data; boundary={B}",
    )
    assert response.status_code == 400
    assert response.get_json() == {"non_field_errors": [messages.BODY_NOT_MULTIPART]}


def test_a_hand_written_upload_is_analyzed(client, students: Students):
    students.register("ana", [[0, 0]])
    students.register("bob", [[0, 1]])
    response = client.post(
        "/analyze",
        data=body(FILE),
        content_type=f'multipart/form-data; boundary="{B}"',
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["total_students"] == 2


@pytest.mark.parametrize("length", [1, 70, 71, 120])
def test_boundaries_of_any_sane_length_are_read(length):
    """RFC 2046 says at most 70, but encoders in the wild (werkzeug's) go beyond it."""
    boundary = "b" * length
    raw = f'--{boundary}\r\nContent-Disposition: form-data; name="x"\r\n\r\n1\r\n--{boundary}--'
    assert parse_form_data(raw.encode(), boundary).fields == {"x": ["1"]}
