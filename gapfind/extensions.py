"""Extension objects, created unbound so that every app the factory builds binds its own.

Flask-Migrate is deliberately absent: it pulls in Alembic (~6 MB per worker) and is only needed
by the `flask db` commands, so the factory binds it only when the app is loaded by the CLI.
"""

from __future__ import annotations

from flask_cors import CORS
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase

from gapfind import ratelimit  # noqa: F401  (registers the thread-free memory:// storage)


class Base(DeclarativeBase):
    """Declarative base shared by every model (SQLAlchemy 2 typed mappings)."""


db = SQLAlchemy(model_class=Base)
# The key is the socket address; the proxy middleware in gapfind.http.proxy rewrites it from
# X-Forwarded-For / X-Real-IP only when the operator says a proxy is trusted.
limiter = Limiter(key_func=get_remote_address)
cors = CORS()
