"""The floor: the cheapest useful Flask app, served with the same gunicorn settings as GapFind.

``POST /`` and ``GET /`` return a constant ~2 KB JSON body (shaped like a /results answer) without
reading the request body, so its CPU time per request is what gunicorn + Flask cost on their own.
"""

from __future__ import annotations

import json

from flask import Flask, Response

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")


def _constant_body() -> bytes:
    gaps = [
        {
            "day": _DAYS[i % 5],
            "hour": f"{8 + i % 14:02d}:00",
            "avg": 0.75 + i / 1000,
            "quality": 0.5 + i / 100,
            "day_index": i % 5,
            "hour_index": i % 14,
        }
        for i in range(20)
    ]
    return json.dumps({"count": len(gaps), "gaps": gaps}).encode()


BODY = _constant_body()

app = Flask(__name__)


@app.route("/", methods=["GET", "POST"])
def index() -> Response:
    return Response(BODY, mimetype="application/json")


application = app
