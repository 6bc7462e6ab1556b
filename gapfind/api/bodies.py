"""Reading request bodies into plain dicts, with the contract's errors for bad bodies.

werkzeug's own JSON errors are English HTML-ish strings and a 415; the contract wants a 400
with a Spanish message under non_field_errors for a missing, malformed or non-JSON body.
"""

from __future__ import annotations

import json
from io import BytesIO
from typing import IO, Any

from flask import current_app, request

from gapfind import messages, schemas
from gapfind.api.multipart import MalformedMultipart, parse_form_data
from gapfind.errors import ApiError

FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


def _media_type() -> str:
    return (request.mimetype or "").lower()


def _is_json(media_type: str) -> bool:
    return media_type == "application/json" or media_type.endswith("+json")


def json_body(unsupported_message: str = messages.BODY_MEDIA_TYPE) -> Any:
    """The parsed JSON body, or an ApiError that says what is wrong with it."""
    media_type = _media_type()
    raw = request.get_data(cache=True)
    if not raw.strip():
        raise ApiError.body(messages.BODY_EMPTY)
    if not _is_json(media_type):
        raise ApiError.body(unsupported_message.format(media_type=media_type or "ninguno"))
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        # RecursionError: a body of thousands of nested arrays exhausts the decoder's stack;
        # it is a malformed body like any other, not a server error.
        body = _with_huge_integers(raw)
        if body is _NOT_JSON:
            raise ApiError.body(messages.BODY_NOT_JSON) from error
        return body


_NOT_JSON = object()


def _huge_integer(text: str) -> int:
    digits = text.lstrip("-")
    value = schemas.parse_decimal(digits)
    return -value if text.startswith("-") else value


def _with_huge_integers(raw: bytes) -> Any:
    """The body parsed again with integers of any length allowed, or _NOT_JSON.

    Valid JSON may hold an integer of thousands of digits, which the standard library refuses
    to convert (ValueError, like a syntax error). Such a number is out of every range the
    fields check, so it becomes schemas.HUGE and gets the field's own message. Only bodies that
    failed the plain parse pay for this second one.
    """
    try:
        return json.loads(raw, parse_int=_huge_integer)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return _NOT_JSON


def _file_lines(stream: IO[bytes]) -> list[str]:
    """Usernames from an uploaded text file: one per line, blank lines dropped."""
    limit = current_app.config["ANALYZE_MAX_FILE_BYTES"]
    content = stream.read(limit + 1)
    if len(content) > limit:
        message = messages.FILE_TOO_LARGE.format(size=messages.human_size(limit))
        raise ApiError.field("usernames_file", message)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ApiError.field("usernames_file", messages.FILE_NOT_TEXT) from error
    if "\x00" in text:
        raise ApiError.field("usernames_file", messages.FILE_NOT_TEXT)
    return [name for name in map(str.strip, text.splitlines()) if name]


def form_data(media_type: str) -> tuple[dict[str, list[str]], dict[str, bytes]]:
    """Text fields and file contents of a multipart or urlencoded body."""
    if media_type == "multipart/form-data":
        body = request.get_data(cache=True)  # bounded by MAX_CONTENT_LENGTH (413 beyond)
        try:
            form = parse_form_data(body, request.mimetype_params.get("boundary", ""))
        except MalformedMultipart as error:
            raise ApiError.body(messages.BODY_NOT_MULTIPART) from error
        return form.fields, form.files
    return {key: request.form.getlist(key) for key in request.form}, {}


def analyze_body() -> dict[str, Any]:
    """/analyze accepts JSON or a form (with an optional usernames file)."""
    media_type = _media_type()
    if media_type not in FORM_TYPES:
        body = json_body(messages.BODY_MEDIA_TYPE_ANALYZE)
        if isinstance(body, dict) and body.get("usernames_file") is not None:
            # A file can only arrive as multipart; never treat JSON text as one.
            raise ApiError.field("usernames_file", messages.FILE_NOT_TEXT)
        return body  # type: ignore[no-any-return]
    fields, files = form_data(media_type)
    data: dict[str, Any] = {}
    for key in ("usernames", "extra_usernames"):
        if fields.get(key):
            data[key] = fields[key]
    if fields.get("username_to_filter"):
        data["username_to_filter"] = fields["username_to_filter"][0]
    content = uploaded(fields, files, "usernames_file")
    if content:
        data["usernames_file"] = _file_lines(BytesIO(content))
    return data


def uploaded(fields: dict[str, list[str]], files: dict[str, bytes], name: str) -> bytes | None:
    """A form's file `name`: its part's content, or the text of a plain field of that name
    (`curl -F "name=<file.txt"` sends a file's text so)."""
    if name in files:
        return files[name]
    if name in fields:
        return fields[name][0].encode()
    return None


def query_arguments() -> Any:
    """The query string's arguments; bytes that are not UTF-8 (not %-escaped) are a client's
    malformed request, which werkzeug's strict decoding would turn into a 500."""
    try:
        return request.args
    except UnicodeDecodeError as error:
        raise ApiError.body(messages.QUERY_NOT_UTF8) from error
