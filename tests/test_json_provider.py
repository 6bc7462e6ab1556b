"""GapFind's orjson provider beside Flask's own on the same inputs (issue 10, item 4).

gapfind.json_provider replaces how Flask's DefaultJSONProvider encodes responses (orjson, for
speed) and handles `response`'s arguments itself instead of through Flask's private helper.
Whatever is sent, both must say the same JSON: same value once parsed, same status and
mimetype, the same refusal of mixed arguments. The bytes differ on purpose: compact without a
trailing newline, UTF-8 instead of \\u escapes, and the views' field order instead of sorted
keys.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.json.provider import DefaultJSONProvider

from gapfind.json_provider import OrjsonProvider


@dataclasses.dataclass
class Gap:
    day: int
    hour: int
    names: list[str]


MOMENT = datetime.datetime(2027, 3, 1, 14, 30, tzinfo=datetime.timezone.utc)

# (args, kwargs) of app.json.response / jsonify, by the forms Flask documents.
CALLS: dict[str, tuple[tuple[Any, ...], dict[str, Any]]] = {
    "dict": (({"usernames": ["ana", "bob"], "limit": 5, "compute_sd": False},), {}),
    "list": (([1, "dos", None, True, 2.5, {"a": []}],), {}),
    "kwargs": ((), {"status": "ok", "count": 3}),
    "scalar string": (("hola",), {}),
    "scalar int": ((42,), {}),
    "scalar float": ((0.1,), {}),
    "scalar bool": ((False,), {}),
    "None": ((None,), {}),
    "no arguments": ((), {}),
    "several arguments": ((1, "a", [2, 3]), {}),
    "non-ASCII": (({"nombre": "Peña", "día": "miércoles", "emoji": "📅"},), {}),
    "nested": (({"gaps": [{"day": 0, "hours": [1, 2]}], "meta": {"n": 1}},), {}),
    "datetime": (({"at": MOMENT},), {}),
    "naive datetime": ((datetime.datetime(2027, 3, 1, 8, 0),), {}),
    "date": ((datetime.date(2027, 3, 1),), {}),
    "decimal": ((decimal.Decimal("1.10"),), {}),
    "uuid": ((uuid.UUID("12345678-1234-5678-1234-567812345678"),), {}),
    "dataclass": ((Gap(1, 2, ["ana"]),), {}),
    # What orjson refuses, through the standard-library fallback:
    "lone surrogate": (({"username": "ana\ud800"},), {}),
    "integer beyond 64 bits": (({"n": 2**70},), {}),
}


@pytest.fixture
def providers() -> Iterator[tuple[OrjsonProvider, DefaultJSONProvider]]:
    app = Flask(__name__)  # providers hold a weak reference: the app must outlive the test
    yield OrjsonProvider(app), DefaultJSONProvider(app)


@pytest.mark.parametrize("name", list(CALLS))
def test_the_same_json_as_flasks_provider(
    providers: tuple[OrjsonProvider, DefaultJSONProvider], name: str
) -> None:
    args, kwargs = CALLS[name]
    ours, flasks = (provider.response(*args, **kwargs) for provider in providers)
    assert ours.status_code == flasks.status_code == 200
    assert ours.mimetype == flasks.mimetype == "application/json"
    assert json.loads(ours.get_data()) == json.loads(flasks.get_data())


@pytest.mark.parametrize("name", [name for name, (args, _) in CALLS.items() if len(args) == 1])
def test_dumps_says_the_same_as_flasks(
    providers: tuple[OrjsonProvider, DefaultJSONProvider], name: str
) -> None:
    [value], _ = CALLS[name]
    ours, flasks = (provider.dumps(value) for provider in providers)
    assert json.loads(ours) == json.loads(flasks)


def test_arguments_and_keywords_together_are_refused_alike(
    providers: tuple[OrjsonProvider, DefaultJSONProvider],
) -> None:
    messages = []
    for provider in providers:
        with pytest.raises(TypeError) as refused:
            provider.response({"a": 1}, b=2)
        messages.append(str(refused.value))
    assert messages[0] == messages[1]


def test_what_neither_can_encode_is_refused_by_both(
    providers: tuple[OrjsonProvider, DefaultJSONProvider],
) -> None:
    for provider in providers:
        with pytest.raises(TypeError):
            provider.response({"when": datetime.time(8, 30)})


@pytest.mark.parametrize("name", ["nested", "lone surrogate"])
def test_fields_keep_their_order_on_both_encoding_paths(
    providers: tuple[OrjsonProvider, DefaultJSONProvider], name: str
) -> None:
    """The contract's field order (Flask's provider would sort), via orjson and the fallback."""
    [value], _ = CALLS[name]
    reordered = dict(reversed(list(value.items()))) | {"zeta": 1, "alpha": 2}
    ours = providers[0].response(reordered)
    assert list(json.loads(ours.get_data())) == list(reordered)


def test_the_factorys_app_uses_it() -> None:
    from gapfind import create_app

    app = create_app({"DATABASE_URL": "sqlite://"})
    assert type(app.json) is OrjsonProvider
    with app.app_context():
        from flask import jsonify

        response = jsonify(nombre="Peña")
    assert response.get_data() == '{"nombre":"Peña"}'.encode()
