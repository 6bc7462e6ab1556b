"""Extension objects, created unbound so that every app the factory builds binds its own.

The rate limiter is not here: Flask-Limiter keeps per-app settings on its object, so
gapfind.ratelimit builds one per app. Flask-Migrate is not here either: it pulls in Alembic
(~6 MB per worker) and only the `flask db` commands need it, so the factory binds it only when
the app is loaded by the CLI.
"""

from __future__ import annotations

from flask_cors import CORS
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base shared by every model (SQLAlchemy 2 typed mappings)."""


db = SQLAlchemy(model_class=Base)
cors = CORS()
