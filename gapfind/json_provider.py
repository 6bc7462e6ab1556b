"""Response JSON through orjson.

Encoding a 45-gap answer took the standard library ~0.15 ms, as much as the gap ranking
itself; orjson does it in ~0.01 ms. Requests are still parsed by the standard library (see
gapfind.api.bodies), whose acceptance of odd but valid JSON (integers beyond 64 bits, 1e400)
the contract's field-level error messages rely on.

Written against Flask 3.1's DefaultJSONProvider, using only what it documents: `response`
follows the contract Flask states for it (one value, several values as a list, keyword
arguments as an object, nothing as null, not both) instead of calling Flask's private helper
for it, the app is read from `_app` (where JSONProvider documents it keeps it), and the values
Flask serializes beyond JSON (dates as HTTP dates, Decimal and UUID as strings, dataclasses as
objects) go through Flask's own `default`. tests/test_json_provider.py runs Flask's provider
beside this one on the same inputs.
"""

from __future__ import annotations

from typing import Any, cast

import orjson
from flask import Flask, Response
from flask.json.provider import DefaultJSONProvider

# orjson writes dates as ISO 8601 itself; passing them through to `default` keeps Flask's HTTP
# dates, the same as the standard-library fallback below writes.
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME


class OrjsonProvider(DefaultJSONProvider):
    """Flask's provider with orjson for dumps (UTF-8 output instead of \\u escapes).

    What orjson refuses but JSON can carry (a lone surrogate echoed back from a client's
    input, an integer beyond 64 bits) falls back to the standard library, escaped."""

    # Fields keep the order the views and schemas give them (the contract's), on the fallback
    # path too; Flask's provider sorts keys by default.
    sort_keys = False

    def _encode(self, obj: Any) -> bytes:
        try:
            return orjson.dumps(obj, default=self.default, option=_OPTIONS)
        except orjson.JSONEncodeError:
            return super().dumps(obj).encode("utf-8")

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        if kwargs:  # explicit stdlib options (indent, sort_keys...): honour them
            return super().dumps(obj, **kwargs)
        return self._encode(obj).decode("utf-8")

    def response(self, *args: Any, **kwargs: Any) -> Response:
        """`jsonify`: the documented arguments of Flask's `response`, always compact."""
        if args and kwargs:
            raise TypeError("app.json.response() takes either args or kwargs, not both")
        obj = args[0] if len(args) == 1 else (args or kwargs or None)
        app = cast(Flask, self._app)  # the provider is only ever built for a flask.Flask
        return app.response_class(self._encode(obj), mimetype=self.mimetype)
