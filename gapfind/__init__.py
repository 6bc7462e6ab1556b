"""GapFind: common free hours of groups of students, as a Flask API.

`create_app` builds a fully wired application; wsgi.py and the `flask` CLI both call it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from flask.helpers import get_debug_flag

from config import Config, ProductionConfig, config_from_env
from gapfind import repository
from gapfind.database import (
    DatabaseTimeouts,
    configure_postgresql,
    configure_sqlite,
    engine_options,
    resolve_database_uri,
)
from gapfind.errors import register_error_handlers
from gapfind.extensions import cors, db
from gapfind.json_provider import OrjsonProvider
from gapfind.middleware import (
    configure_logging,
    install_proxy_support,
    install_request_envelope,
    only_for_cross_origin_requests,
    register_retention,
)
from gapfind.ratelimit import init_limiter
from gapfind.timezone import init_timezone

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
# Headers a browser client may read from a cross-origin response.
EXPOSED_HEADERS = [
    "Retry-After",
    "X-Request-ID",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
]


def create_app(config: type[Config] | Mapping[str, Any] | None = None) -> Flask:
    """Build the app from a settings class, or from GAPFIND_CONFIG plus a mapping of overrides
    (what the tests pass)."""
    app = Flask(__name__)
    # "/users//ana" must be a 404 like any unknown path, not a redirect or a 405 of /users/ana.
    app.url_map.merge_slashes = False
    # orjson for responses; fields keep the contract's order (no key sorting).
    app.json = OrjsonProvider(app)
    if isinstance(config, type):
        app.config.from_object(config)
        settings: type[Config] = config
    else:
        settings = config_from_env()
        app.config.from_object(settings)
        app.config.update(config or {})
    if issubclass(settings, ProductionConfig) and (app.config["DEBUG"] or get_debug_flag()):
        raise RuntimeError("Debug mode is never allowed with the production settings.")

    init_timezone(app)
    configure_logging(app)
    install_request_envelope(app)
    install_proxy_support(app)
    register_extensions(app)
    register_blueprints(app)
    init_limiter(app)  # after the blueprints: it applies the views' rate-limit markers
    register_error_handlers(app)
    register_retention(app, repository.purge_expired)
    if loaded_by_cli() or app.testing:
        register_cli(app)
    return app


def loaded_by_cli() -> bool:
    """True when the `flask` command loaded the app (it sets this before loading).

    What only operators use (commands, the shell context, Flask-Migrate with Alembic) is bound
    then and not in a serving worker, where it would cost start-up time and memory."""
    return os.environ.get("FLASK_RUN_FROM_CLI") == "true"


def register_extensions(app: Flask) -> None:
    """Bind the shared extension objects to this app."""
    uri = resolve_database_uri(app)
    app.config["SQLALCHEMY_DATABASE_URI"] = uri
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options(uri, app))
    db.init_app(app)
    if uri.startswith("sqlite"):
        with app.app_context():
            configure_sqlite(
                db.engine, app.config["SQLITE_JOURNAL_MODE"], app.config["SQLITE_BUSY_TIMEOUT"]
            )
    else:  # issue 9: no reply from PostgreSQL is awaited forever
        with app.app_context():
            configure_postgresql(db.engine, DatabaseTimeouts.from_config(app.config))

    cors.init_app(
        app,
        origins=app.config["CORS_ORIGINS"],
        methods=["GET", "POST", "PUT", "DELETE", "OPTIONS"],
        allow_headers=["Content-Type", "Authorization", "X-Request-ID"],
        expose_headers=EXPOSED_HEADERS,
        supports_credentials=False,
        always_send=False,
        max_age=600,
    )
    only_for_cross_origin_requests(app)

    # Flask-Migrate brings Alembic (~6 MB per worker): bind it only for the `flask` CLI, which
    # is where `flask db ...` runs.
    if loaded_by_cli():
        from flask_migrate import Migrate

        Migrate(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True, compare_type=True)


def register_blueprints(app: Flask) -> None:
    """Mount the endpoints at the root: the paths are the contract's, with no prefix."""
    from gapfind.api import gaps, meta, schedules

    app.register_blueprint(schedules.bp)
    app.register_blueprint(gaps.bp)
    app.register_blueprint(meta.bp)


def register_cli(app: Flask) -> None:
    """`flask shell` context and the `flask users ...` / `flask db-backup` commands."""
    from gapfind import cli

    cli.register_shell_context(app)
    cli.register_commands(app)
