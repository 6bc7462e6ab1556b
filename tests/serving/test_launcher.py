"""deploy/serve.py, the launcher `make run` starts: the limits it derives and the log format
of waitress's own messages."""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from deploy.serve import LOG_FORMAT, SPARE_FILES, EscapingFormatter
from tests.serving.servers import REPO, group_process, migrate, production_env
from tests.support.servers import free_port

HANG = 20.0


def post_body(port: int, size: int, *, send_body: bool) -> tuple[int, str, bytes]:
    """POST /manual announcing a `size`-byte body (and sending it, or only the head: waitress
    refuses on Content-Length alone and resets a connection still sending): (status,
    Content-Type, body) of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=HANG) as sock:
        head = (
            "POST /manual HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {size}\r\nConnection: close\r\n\r\n"
        )
        sock.sendall(head.encode() + (b" " * size if send_body else b""))
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head_bytes, _, body = answer.partition(b"\r\n\r\n")
    lines = head_bytes.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers.get("Content-Type", ""), body


@pytest.mark.slow
def test_bodies_a_little_over_the_limit_get_the_apps_json_413_larger_ones_waitress(
    tmp_path: Path,
) -> None:
    """waitress's body limit is twice the app's MAX_CONTENT_LENGTH: up to there GapFind answers
    (the contract's JSON 413), past it waitress refuses before buffering anything."""
    env = production_env(
        DATABASE_URL=f"sqlite:///{tmp_path / 'gapfind.sqlite'}", MAX_CONTENT_LENGTH="40000"
    )
    migrate(env)
    port = free_port()
    argv = [sys.executable, "-m", "deploy.serve", "--port", str(port)]
    with group_process(argv, tmp_path / "serve.log", env=env, ready_port=port):
        app_status, app_type, app_body = post_body(port, 60_000, send_body=True)
        server_status, server_type, _ = post_body(port, 100_000, send_body=False)
    assert (app_status, app_type) == (413, "application/json")
    assert list(json.loads(app_body)) == ["non_field_errors"]
    assert (server_status, server_type) == (413, "text/plain; charset=utf-8")


def test_a_low_open_file_limit_lowers_the_connection_limit_with_a_warning() -> None:
    """In a child process whose hard limit is 300 descriptors: 1000 connections cannot fit."""
    code = (
        "import resource, logging; logging.basicConfig(); "
        "resource.setrlimit(resource.RLIMIT_NOFILE, (256, 300)); "
        "from deploy.serve import fit_open_files; "
        "print(fit_open_files(1000), resource.getrlimit(resource.RLIMIT_NOFILE)[0])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.split() == [str(300 - SPARE_FILES), "300"]
    assert f"open file limit 300 holds {300 - SPARE_FILES} connections, not 1000" in result.stderr


def test_waitress_messages_have_control_characters_escaped() -> None:
    """waitress names the decoded request path in some messages ("Client disconnected while
    serving %s"): a newline or an escape code in it must not forge a line or reach a
    terminal raw."""
    record = logging.LogRecord(
        "waitress", logging.INFO, __file__, 1, "Client disconnected while serving %s", None, None
    )
    record.args = ("/users/a\n2026-01-01 INFO gapfind.access GET /forged 200\x1b[2J\x7f\x85",)
    line = EscapingFormatter(LOG_FORMAT).format(record)
    assert line.endswith(
        "INFO waitress Client disconnected while serving "
        "/users/a\\x0a2026-01-01 INFO gapfind.access GET /forged 200\\x1b[2J\\x7f\\x85"
    )
    assert not any(ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F for char in line)
