"""Numbers of any size and Content-Type parameters in any RFC form (issue 9, item 4).

Valid JSON may carry an integer of thousands of digits (Python refuses to convert more than
4300: a ValueError, which was a 500 for a numeric-string `limit`) or a float that overflows to
infinity; a multipart boundary may arrive RFC 2231-encoded as any Unicode text. Each gets the
field's own message or the body's, like any other wrong value.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from gapfind import messages
from gapfind.core.grid import IndicesProblem
from tests.support.students import Students

HUGE = "9" * 5000
BIG_NUMBERS = [HUGE, "-" + HUGE, "1e400", "-1e400", "12345678901234567890123"]
BAD_HOUR = messages.INDICES_MESSAGES[IndicesProblem.BAD_HOUR]
BAD_DAY = messages.INDICES_MESSAGES[IndicesProblem.BAD_DAY]
NOT_PAIR = messages.INDICES_MESSAGES[IndicesProblem.NOT_PAIR]


@pytest.fixture
def group(students: Students) -> str:
    token = students.register("ana", [[0, day] for day in range(7)])["edit_token"]
    students.register("bob", [[1, day] for day in range(7)])
    return token


def post(client: FlaskClient, path: str, raw: str, method: str = "POST", **kw: Any) -> Any:
    response = client.open(path, method=method, data=raw, content_type="application/json", **kw)
    assert response.status_code < 500 and response.is_json, response.get_data(as_text=True)
    return response.status_code, response.get_json()


@pytest.mark.parametrize(
    "number, expected",
    [
        (HUGE, BAD_HOUR),  # an integer, out of range
        ("-" + HUGE, BAD_HOUR),
        ("12345678901234567890123", BAD_HOUR),
        ("1e400", NOT_PAIR),  # a float (infinity), not an index
        ("-1e400", NOT_PAIR),
        ('"' + HUGE + '"', NOT_PAIR),
    ],
)
def test_index_pairs_take_numbers_of_any_size(
    client: FlaskClient, group: str, number: str, expected: str
) -> None:
    raw = '{"username": "zed", "list_of_indices": [[NUM, 0]]}'.replace("NUM", number)
    assert post(client, "/manual", raw) == (400, {"list_of_indices": [expected]})
    raw = '{"list_of_indices": [[0, NUM]]}'.replace("NUM", number)
    day_message = BAD_DAY if expected == BAD_HOUR else expected
    headers = {"Authorization": f"Bearer {group}"}
    assert post(client, "/users/ana", raw, "PUT", headers=headers) == (
        400,
        {"list_of_indices": [day_message]},
    )


@pytest.mark.parametrize(
    "limit, status",
    [
        (HUGE, 200),  # a huge limit is no limit
        ('"' + HUGE + '"', 200),  # numeric strings are accepted for the GFind client
        ("-" + HUGE, 400),
        ('"-' + HUGE + '"', 400),
        ("1e400", 400),  # infinity is no integer
        ("-1e400", 400),
        ("1e300", 200),  # a float with an integer value
    ],
)
def test_limit_takes_numbers_of_any_size(
    client: FlaskClient, group: str, limit: str, status: int
) -> None:
    code, body = post(
        client, "/results", '{"usernames": ["ana", "bob"], "limit": NUM}'.replace("NUM", limit)
    )
    assert code == status, body
    if status == 400:
        assert body == {"limit": [messages.BAD_LIMIT]}
    else:  # every common free hour: nothing was cut
        _, unlimited = post(client, "/results", '{"usernames": ["ana", "bob"]}')
        assert body["count"] == unlimited["count"] > 0


@pytest.mark.parametrize("number", BIG_NUMBERS)
def test_days_to_filter_take_numbers_of_any_size(
    client: FlaskClient, group: str, number: str
) -> None:
    raw = '{"usernames": ["ana", "bob"], "days_to_filter": [NUM]}'.replace("NUM", number)
    assert post(client, "/results", raw) == (400, {"days_to_filter": [messages.BAD_DAY_INDEX]})


@pytest.mark.parametrize("number", BIG_NUMBERS)
def test_text_fields_refuse_numbers_of_any_size(
    client: FlaskClient, group: str, number: str
) -> None:
    code, body = post(
        client, "/manual", '{"username": NUM, "list_of_indices": [[0, 0]]}'.replace("NUM", number)
    )
    assert (code, body) == (400, {"username": [messages.NOT_A_STRING]})
    code, body = post(client, "/analyze", '{"usernames": [NUM, "bob"]}'.replace("NUM", number))
    assert (code, body) == (400, {"usernames": [messages.NOT_A_STRING]})
    code, body = post(
        client,
        "/results",
        '{"usernames": ["ana", "bob"], "compute_sd": NUM}'.replace("NUM", number),
    )
    assert (code, body) == (400, {"compute_sd": [messages.NOT_A_BOOLEAN]})


def test_malformed_json_is_still_reported_as_such(client: FlaskClient) -> None:
    """The second parse that allows huge integers must not accept anything else."""
    code, body = post(
        client, "/manual", '{"username": "ana", "list_of_indices": [[NUM, 0]'.replace("NUM", HUGE)
    )
    assert (code, body) == (400, {"non_field_errors": [messages.BODY_NOT_JSON]})


# --------------------------------------------------------------------------- multipart


def multipart(boundary: str) -> bytes:
    return (
        f'--{boundary}\r\nContent-Disposition: form-data; name="usernames"\r\n\r\n'
        f"ana,bob\r\n--{boundary}--\r\n"
    ).encode()


@pytest.mark.parametrize(
    "content_type, boundary",
    [
        ("multipart/form-data; boundary=abc", "abc"),
        ('multipart/form-data; boundary="a b:c"', "a b:c"),
        ("multipart/form-data; boundary*=utf-8''abc", "abc"),  # RFC 2231, ASCII text
        ("Multipart/Form-Data; BOUNDARY=abc", "abc"),
        ("multipart/form-data; charset=utf-8; boundary=abc", "abc"),
    ],
)
def test_multipart_boundaries_in_any_rfc_form_are_read(
    client: FlaskClient, group: str, content_type: str, boundary: str
) -> None:
    response = client.post(
        "/analyze", data=multipart(boundary), headers={"Content-Type": content_type}
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["total_students"] == 2


@pytest.mark.parametrize(
    "content_type",
    [
        "multipart/form-data; boundary*=utf-8''%E2%82%AC",  # "€": no delimiter can be it
        'multipart/form-data; boundary="€"',
        "multipart/form-data; boundary*=x'y'z%ZZ",
        "multipart/form-data; boundary=",
        "multipart/form-data; boundary=" + "a" * 300,
        "multipart/form-data;;;",
        "multipart/form-data; boundary=a\u2028b",
    ],
)
def test_impossible_boundaries_are_a_400(
    client: FlaskClient, group: str, content_type: str
) -> None:
    response = client.post(
        "/analyze", data=multipart("abc"), headers={"Content-Type": content_type}
    )
    assert response.status_code == 400
    assert response.get_json() == {"non_field_errors": [messages.BODY_NOT_MULTIPART]}
