"""Bodies past MAX_CONTENT_LENGTH get 413 whatever their framing; unreadable ones get 400
(issue 9, item 3). A chunked body has no Content-Length for werkzeug to check: before this, one
past the limit was cut at the limit and processed as if complete, and a malformed chunk was a 500
with the server's traceback in the log."""

from __future__ import annotations

import io
import json
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask

from gapfind import messages
from gapfind.web.body_bounds import BROKEN, TOO_LARGE, read_bounded
from tests.integration import app_env, served_gapfind
from tests.support.servers import GunicornServer
from tests.web import error_body

LIMIT = 300
BODY_ENDPOINTS = [("POST", "/manual"), ("POST", "/results"), ("POST", "/analyze")]


def manual_body(size: int) -> bytes:
    """A valid registration body of exactly `size` bytes (padding in an ignored field)."""
    skeleton = json.dumps({"username": "ana", "list_of_indices": [[0, 0]], "pad": ""}).encode()
    body = json.dumps(
        {"username": "ana", "list_of_indices": [[0, 0]], "pad": "x" * (size - len(skeleton))}
    ).encode()
    assert len(body) == size
    return body


def chunked(body: bytes, size: int = 64) -> bytes:
    pieces = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces) + b"0\r\n\r\n"


# --------------------------------------------------------------------------- the reader


class Exploding(io.RawIOBase):
    """A stream whose server-side reader fails after some bytes (a malformed chunk)."""

    def __init__(self, good: bytes) -> None:
        self.good = io.BytesIO(good)

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.good.tell()

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.good.seek(offset, whence)

    def read(self, size: int = -1) -> bytes:
        data = self.good.read(size)
        if not data:
            raise RuntimeError("InvalidChunkSize")  # each server has its own error type
        return data


@pytest.mark.parametrize(
    "body, limit, expected",
    [
        (b"", 10, b""),
        (b"abc", 10, b"abc"),
        (b"x" * 10, 10, b"x" * 10),
        (b"x" * 11, 10, TOO_LARGE),
        (b"x" * 200_000, 150_000, TOO_LARGE),
        (b"x" * 150_000, 150_000, b"x" * 150_000),
    ],
)
def test_read_bounded(body: bytes, limit: int, expected: bytes | str) -> None:
    assert read_bounded(io.BytesIO(body), limit) == expected


def test_read_bounded_turns_any_reader_error_into_broken() -> None:
    assert read_bounded(Exploding(b"abc"), 10) == BROKEN


# --------------------------------------------------------------------------- through the app


@pytest.fixture
def small_app(app_factory: Callable[..., Flask]) -> Flask:
    return app_factory(MAX_CONTENT_LENGTH=LIMIT)


@pytest.mark.parametrize("method, path", BODY_ENDPOINTS)
def test_a_chunked_body_past_the_limit_is_413(small_app: Flask, method: str, path: str) -> None:
    response = small_app.test_client().open(
        path,
        method=method,
        input_stream=io.BytesIO(manual_body(LIMIT + 1)),
        headers={"Transfer-Encoding": "chunked"},
        content_type="application/json",
    )
    assert response.status_code == 413
    assert response.get_json() == error_body(413)


def test_a_chunked_body_within_the_limit_is_served(small_app: Flask) -> None:
    response = small_app.test_client().post(
        "/manual",
        input_stream=io.BytesIO(manual_body(LIMIT)),
        headers={"Transfer-Encoding": "chunked"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["username"] == "ana"


def test_an_unreadable_chunked_body_is_400(small_app: Flask) -> None:
    response = small_app.test_client().post(
        "/manual",
        input_stream=Exploding(b'{"username": "a'),
        headers={"Transfer-Encoding": "chunked"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.get_json() == {"non_field_errors": [messages.BODY_INCOMPLETE]}


# --------------------------------------------------------------------------- a real server


@pytest.fixture(params=[1, 4], ids=["sync", "gthread"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GunicornServer]:
    env = app_env(f"sqlite:///{tmp_path / 'gapfind.sqlite'}", MAX_CONTENT_LENGTH=str(LIMIT))
    with served_gapfind(env, threads=request.param) as running:
        yield running


def exchange(server: GunicornServer, raw: bytes, *, close_write: bool = False) -> bytes:
    """Send raw bytes, read the answer until the server closes (or 10 s: a hang detector)."""
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        sock.sendall(raw)
        if close_write:
            sock.shutdown(socket.SHUT_WR)
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except ConnectionResetError:
            pass
    return answer


def status_and_body(answer: bytes) -> tuple[int, object]:
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), json.loads(body) if body else None


HEAD = (
    b"POST /manual HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nConnection: close\r\n"
)


@pytest.mark.slow
def test_a_real_server_answers_413_to_a_chunked_body_past_the_limit(
    server: GunicornServer,
) -> None:
    answer = exchange(
        server, HEAD + b"Transfer-Encoding: chunked\r\n\r\n" + chunked(manual_body(LIMIT + 1))
    )
    assert status_and_body(answer) == (413, error_body(413))
    answer = exchange(
        server, HEAD + b"Transfer-Encoding: chunked\r\n\r\n" + chunked(manual_body(LIMIT))
    )
    assert status_and_body(answer)[0] == 201


@pytest.mark.slow
def test_a_real_server_answers_400_to_broken_bodies_without_a_traceback(
    server: GunicornServer,
) -> None:
    malformed = exchange(server, HEAD + b"Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n")
    assert status_and_body(malformed) == (400, {"non_field_errors": [messages.BODY_INCOMPLETE]})
    # A client that stops mid-body and closes its side: 400 or a closed connection.
    for cut in (
        HEAD + b"Transfer-Encoding: chunked\r\n\r\n20\r\n" + b'{"username": "a',
        HEAD + b"Content-Length: 50\r\n\r\n" + b'{"username": "a',
    ):
        answer = exchange(server, cut, close_write=True)
        if answer:
            assert status_and_body(answer)[0] == 400
    log = server.read_log()
    assert "Traceback" not in log, log
    assert " 500 " not in log, log
