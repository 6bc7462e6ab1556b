"""The cold-start floor: a bare Flask app wrapped for the HTTP API as GapFind is (apig-wsgi,
binary_support on), so the ratio of bench/cold_start.py is what GapFind adds to Flask and the
adapter. ``GET /health`` answers ``{"status": "ok"}`` like GapFind's, without a database.
"""

from __future__ import annotations

from apig_wsgi import make_lambda_handler
from flask import Flask

app = Flask(__name__)


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


handler = make_lambda_handler(app, binary_support=True)
