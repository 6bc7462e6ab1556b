"""Every failure leaves the API as the contract's JSON: {field: [Spanish messages]}.

One app-level handler per exception family, registered once: blueprint-level handlers would
miss unknown URLs, and per-view try/except would drift. Internal details (exception text,
SQL) are logged with the request id, never sent to the client.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from flask import Flask, Response, current_app, jsonify
from limits.errors import StorageError
from marshmallow import ValidationError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from gapfind import messages
from gapfind.core.meeting_calendar import InvalidMeeting
from gapfind.core.timetable_import import CalendarImportError
from gapfind.messages import HTTP_MESSAGES
from gapfind.persistence.repository import StudentNotFound, TokenMismatch, UsernameTaken
from gapfind.web.envelope import request_id

log = logging.getLogger("gapfind.errors")

NON_FIELD = "non_field_errors"


class ApiError(Exception):
    """A client-facing error raised by views; rendered in exactly one place."""

    def __init__(
        self,
        messages: Mapping[str, list[str]],
        status: int = 400,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(messages)
        self.messages = dict(messages)
        self.status = status
        self.headers = dict(headers or {})

    @classmethod
    def field(cls, field: str, message: str, status: int = 400) -> ApiError:
        return cls({field: [message]}, status)

    @classmethod
    def body(
        cls, message: str, status: int = 400, headers: Mapping[str, str] | None = None
    ) -> ApiError:
        return cls({NON_FIELD: [message]}, status, headers)


def error_response(messages: Mapping[str, list[str]], status: int) -> Response:
    """The contract's error body."""
    response = jsonify(messages)
    response.status_code = status
    return response


def _strings(value: Any) -> Iterable[str]:
    """Flatten marshmallow's nested errors ({0: [...]} for list items) into plain strings."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, Iterable):
        for item in value:
            yield from _strings(item)


def validation_messages(error: ValidationError) -> dict[str, list[str]]:
    """marshmallow's error dict in the contract's shape ("_schema" -> non_field_errors)."""
    raw = error.messages if isinstance(error.messages, Mapping) else {NON_FIELD: error.messages}
    flat: dict[str, list[str]] = {}
    for field, value in raw.items():
        key = NON_FIELD if field in ("_schema", None) else str(field)
        flat.setdefault(key, []).extend(dict.fromkeys(_strings(value)))
    return flat


def unavailable(error: Exception, what: str) -> Response:
    """503 in the contract's shape, logged with the request id but without the details."""
    log.error("%s unavailable (request %s): %s", what, request_id(), error.__class__.__name__)
    return service_unavailable()


def service_unavailable() -> Response:
    """503 in the contract's shape, with the Retry-After a client can honour."""
    response = error_response({NON_FIELD: [HTTP_MESSAGES[503]]}, 503)
    response.headers["Retry-After"] = "30"
    return response


# SQLSTATE 25006, a write refused by a PostgreSQL that runs read-only (a hot standby,
# default_transaction_read_only): writes are unavailable until it is writable again, like a
# read-only SQLite file (OperationalError), not a bug of the request.
READ_ONLY_SQLSTATE = "25006"


def is_read_only_refusal(error: DBAPIError) -> bool:
    return getattr(error.orig, "sqlstate", None) == READ_ONLY_SQLSTATE


def register_error_handlers(app: Flask) -> None:
    """Install the handlers on the app (not on blueprints, so unknown URLs are covered)."""

    @app.errorhandler(ApiError)
    def _api_error(error: ApiError) -> Response:
        response = error_response(error.messages, error.status)
        response.headers.update(error.headers)
        return response

    # The persistence layer's refusals, in the contract's words. Views let them through.
    @app.errorhandler(UsernameTaken)
    def _username_taken(_error: UsernameTaken) -> Response:
        return error_response({"username": [messages.USERNAME_TAKEN]}, 400)

    @app.errorhandler(StudentNotFound)
    def _student_not_found(_error: StudentNotFound) -> Response:
        return error_response({NON_FIELD: [messages.USER_NOT_FOUND]}, 404)

    @app.errorhandler(TokenMismatch)
    def _token_mismatch(_error: TokenMismatch) -> Response:
        return error_response({NON_FIELD: [messages.TOKEN_WRONG]}, 403)

    @app.errorhandler(InvalidMeeting)
    def _invalid_meeting(error: InvalidMeeting) -> Response:
        parameter, message = messages.MEETING_MESSAGES[error.problem]
        return error_response({parameter: [message]}, 400)

    @app.errorhandler(CalendarImportError)
    def _calendar_not_importable(error: CalendarImportError) -> Response:
        limit = current_app.config["ICS_MAX_OCCURRENCES"]
        message = messages.CALENDAR_MESSAGES[error.problem].format(limit=limit)
        if error.summary:
            message = messages.CALENDAR_EVENT_NAMED.format(
                message=message, summary=error.summary[:80]
            )
        return error_response({"calendar": [message]}, 400)

    @app.errorhandler(ValidationError)
    def _validation_error(error: ValidationError) -> Response:
        return error_response(validation_messages(error), 400)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Response:
        status = error.code or 500
        message = HTTP_MESSAGES.get(status) or HTTP_MESSAGES[400 if status < 500 else 500]
        response = error_response({NON_FIELD: [message]}, status)
        # Keep what the exception knows about the protocol: Allow on 405, Retry-After on 429.
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(OperationalError)
    def _database_down(error: OperationalError) -> Response:
        return unavailable(error, "database")

    @app.errorhandler(PoolTimeout)
    def _database_pool_exhausted(error: PoolTimeout) -> Response:
        # Every pooled connection stayed busy for DATABASE_POOL_TIMEOUT seconds.
        return unavailable(error, "database pool")

    @app.errorhandler(StorageError)
    def _limiter_storage_down(error: StorageError) -> Response:
        # Only reached when RATELIMIT_FAIL_OPEN is off: the operator chose to refuse traffic
        # rather than serve it unlimited. Not logged per request: the limiter logs the outage
        # once when it starts and once when it ends (gapfind.ratelimit.StorageOutage).
        return service_unavailable()

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        if isinstance(error, DBAPIError) and (
            error.connection_invalidated or is_read_only_refusal(error)
        ):
            return unavailable(error, "database")
        log.exception("unhandled error (request %s)", request_id())
        return error_response({NON_FIELD: [HTTP_MESSAGES[500]]}, 500)
