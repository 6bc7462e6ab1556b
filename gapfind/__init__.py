"""GapFind: common free hours of groups of students, as a Flask API.

`create_app` builds a fully wired application; wsgi.py, lambda_handler.py and the `flask` CLI
all call it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from flask.helpers import get_debug_flag

from config import Config, ProductionConfig, config_from_env, load_settings, read_environment
from gapfind.errors import register_error_handlers
from gapfind.extensions import db
from gapfind.json_provider import OrjsonProvider
from gapfind.persistence import repository
from gapfind.persistence.database import (
    DatabaseTimeouts,
    configure_postgresql,
    configure_sqlite,
    engine_options,
    resolve_database_uri,
)
from gapfind.platform import check_platform, on_aws_lambda
from gapfind.ratelimit import init_limiter
from gapfind.retention import register_retention
from gapfind.timezone import init_timezone
from gapfind.web.cors import init_cors
from gapfind.web.log_setup import configure_logging
from gapfind.web.stack import install_wsgi_stack

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def create_app(config: type[Config] | Mapping[str, Any] | None = None) -> Flask:
    """Build the app from a settings class, or from GAPFIND_CONFIG plus a mapping of overrides
    (what the tests pass). The environment is read here, never at import."""
    app = Flask(__name__)
    # "/users//ana" must be a 404 like any unknown path, not a redirect or a 405 of /users/ana.
    app.url_map.merge_slashes = False
    # orjson for responses; fields keep the contract's order (no key sorting).
    app.json = OrjsonProvider(app)
    settings = configure(app, config)
    if issubclass(settings, ProductionConfig) and (app.config["DEBUG"] or get_debug_flag()):
        raise RuntimeError("Debug mode is never allowed with the production settings.")
    # Settings the platform (AWS Lambda) cannot run with stop here, before any is used.
    check_platform(app.config, config if isinstance(config, Mapping) else None)

    init_timezone(app)
    configure_logging(app)
    register_extensions(app)
    register_blueprints(app)
    init_limiter(app)  # after the blueprints: it applies the views' rate-limit markers
    register_error_handlers(app)
    if not on_aws_lambda():  # there the scheduled purge event does it (gapfind/aws_lambda.py)
        register_retention(app, repository.purge_expired)
    install_wsgi_stack(app)
    if loaded_by_cli() or app.testing:
        register_cli(app)
    return app


def configure(app: Flask, config: type[Config] | Mapping[str, Any] | None) -> type[Config]:
    """Load the settings into app.config and return the settings class they came from."""
    if isinstance(config, type):
        app.config.update(load_settings(config))
        return config
    environ = read_environment()
    settings = config_from_env(environ)
    app.config.update(load_settings(settings, environ))
    app.config.update(config or {})
    return settings


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
    else:  # no reply from PostgreSQL is awaited forever
        with app.app_context():
            configure_postgresql(db.engine, DatabaseTimeouts.from_config(app.config))
    init_cors(app)

    # Flask-Migrate brings Alembic (~6 MB per worker): bind it only for the `flask` CLI, which
    # is where `flask db ...` runs.
    if loaded_by_cli():
        from flask_migrate import Migrate

        Migrate(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True, compare_type=True)


def register_blueprints(app: Flask) -> None:
    """Mount the endpoints at the root: the paths are the contract's, with no prefix."""
    from gapfind.api import calendar_import, gaps, meetings, meta, schedules

    for blueprint in (schedules.bp, gaps.bp, meetings.bp, calendar_import.bp, meta.bp):
        app.register_blueprint(blueprint)


def register_cli(app: Flask) -> None:
    """`flask shell` context and the `flask users ...` / `flask db-backup` commands."""
    from gapfind import cli

    cli.register_shell_context(app)
    cli.register_commands(app)
