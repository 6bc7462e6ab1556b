"""A strict multipart/form-data reader for /analyze, which takes a file of usernames.

werkzeug's streaming parser compiles two regular expressions for every boundary, and browsers
pick a new random boundary for every request: about 0.6 ms of CPU per upload on the free host's
one worker, more than the rest of the request. The body here is already bounded by
MAX_CONTENT_LENGTH and read whole, so splitting it on the delimiter (RFC 2046: CRLF, "--", the
boundary) is enough, and it never compiles anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from werkzeug.http import parse_options_header

CRLF = b"\r\n"
MAX_PARTS = 1000
MAX_HEADER_BYTES = 8 * 1024
# RFC 2046 caps boundaries at 70 characters, but real encoders exceed it (werkzeug's own test
# client does, now and then): accept any sane length rather than refuse a working upload.
MAX_BOUNDARY = 200
# RFC 2046 5.1.1 bchars: ASCII letters, digits and '()+_,-./:=? and inner spaces. A Content-Type
# parameter may carry any text (an RFC 2231 `boundary*=utf-8''%E2%82%AC` decodes to "€"), and
# no such boundary can delimit a body.
_BOUNDARY = re.compile(
    rf"[0-9A-Za-z'()+_,\-./:=? ]{{0,{MAX_BOUNDARY - 1}}}[0-9A-Za-z'()+_,\-./:=?]"
)


class MalformedMultipart(ValueError):
    """The body does not follow multipart/form-data; the caller answers 400."""


@dataclass
class FormData:
    """Text fields (every value, in order) and uploaded files (content as bytes)."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)


def _part_name_and_filename(head: bytes) -> tuple[str, str | None]:
    disposition = None
    for line in head.split(CRLF):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-disposition":
            disposition = value.decode("utf-8", "replace")
    if disposition is None:
        raise MalformedMultipart("a part has no Content-Disposition")
    kind, options = parse_options_header(disposition)
    if kind.lower() != "form-data" or "name" not in options:
        raise MalformedMultipart("a part is not a named form-data field")
    return options["name"], options.get("filename")


def _split_part(raw: bytes) -> tuple[bytes, bytes]:
    # After the delimiter: optional transport padding (spaces, tabs), CRLF, headers, CRLF CRLF.
    line_end = raw.find(CRLF)
    if line_end < 0 or raw[:line_end].strip(b" \t"):
        raise MalformedMultipart("a delimiter is not followed by a line break")
    rest = raw[line_end + 2 :]
    if rest.startswith(CRLF):
        raise MalformedMultipart("a part has no headers")
    head, blank, content = rest.partition(CRLF * 2)
    if not blank:
        if not rest.endswith(CRLF):
            raise MalformedMultipart("a part's headers do not end")
        # Some encoders (werkzeug's among them) end an empty part's headers with one CRLF and
        # let the delimiter's CRLF close the blank line: headers, no content.
        head, content = rest[:-2], b""
    if len(head) > MAX_HEADER_BYTES:
        raise MalformedMultipart("a part's headers are too long")
    return head, content


def parse_form_data(body: bytes, boundary: str) -> FormData:
    """Split `body` into fields and files; MalformedMultipart if it is not well formed."""
    if not _BOUNDARY.fullmatch(boundary):
        raise MalformedMultipart("missing or invalid boundary")
    delimiter = CRLF + b"--" + boundary.encode("latin-1")
    # The first delimiter may start the body without a preceding line break.
    pieces = (CRLF + body).split(delimiter)
    if len(pieces) < 2 or not pieces[-1].startswith(b"--"):
        raise MalformedMultipart("the closing delimiter is missing")
    if len(pieces) - 2 > MAX_PARTS:
        raise MalformedMultipart("too many parts")
    form = FormData()
    for raw in pieces[1:-1]:
        head, content = _split_part(raw)
        name, filename = _part_name_and_filename(head)
        if filename is not None:
            form.files.setdefault(name, content)
        else:
            form.fields.setdefault(name, []).append(content.decode("utf-8", "replace"))
    return form
