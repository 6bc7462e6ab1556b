"""One log line per request, GapFind's own, with nothing secret in it (issue 9, item 5).

`make run` used to start gunicorn with `--access-logfile -`: a second line per request, with
the query string (`?token=...`) and the user part of Basic credentials. Here every request
carries a token in its query string and credentials in Authorization; the combined
stdout+stderr of the real `make run` (and of the scale-out recipe: gunicorn and nginx) must hold
exactly one line per request, GapFind's access line, and none of the secrets.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.serving.leaks import (
    HANG,
    assert_one_line_per_request_and_no_secret,
    request_lines,
    send_secret_requests,
)
from tests.serving.servers import (
    available,
    group_process,
    make_run,
    migrate,
    production_env,
    scale_out,
)
from tests.serving.slowclients import request
from tests.support.servers import PostgresServer, RedisServer, free_port

WAITRESS_SERVE = str(Path(sys.executable).parent / "waitress-serve")


def wait_for_lines(read_log: Callable[[], str], name: str, expected: int) -> str:
    """The log once it names the student's requests `expected` times in all (a line is
    written as its response leaves), plus half a second for any second line about the same
    requests; or the log as it is after HANG seconds."""
    deadline = time.monotonic() + HANG
    while True:
        log = read_log()
        if sum(len(found) for found in request_lines(log, name).values()) >= expected:
            time.sleep(0.5)
            return read_log()
        if time.monotonic() >= deadline:
            return log
        time.sleep(0.05)


@pytest.mark.slow
def test_make_run_writes_one_line_per_request_and_no_secret(tmp_path: Path) -> None:
    env = production_env(DATABASE_URL=f"sqlite:///{tmp_path / 'gapfind.sqlite'}")
    with available(make_run(env, tmp_path)) as served:
        exchanges, secrets = send_secret_requests(served.port, "leakcheck")
        log = wait_for_lines(served.read_log, "leakcheck", 4)
    assert_one_line_per_request_and_no_secret(log, "leakcheck", secrets)
    # Nor does the server name itself or a version in the answers (waitress adds Via).
    headers = exchanges[1].headers
    assert [value for name, value in headers if name in ("Server", "Via")] == ["GapFind"] * 2
    assert not [h for h in headers if "waitress" in f"{h[0]} {h[1]}".lower()], headers


@pytest.mark.slow
def test_scale_out_recipe_writes_one_line_per_request_and_no_secret(
    postgres: PostgresServer, redis: RedisServer, tmp_path: Path
) -> None:
    database = "gapfind_scale_out_log"
    url = postgres.create_database(database)
    try:
        env = production_env(
            DATABASE_URL=url, RATELIMIT_STORAGE_URI=redis.url, REAL_IP_HEADER="X-Real-IP"
        )
        migrate(env)
        with available(scale_out(env, tmp_path)) as served:
            _, secrets = send_secret_requests(served.port, "scaledleak")
            log = wait_for_lines(served.read_log, "scaledleak", 4)
    finally:
        postgres.drop_database(database)
    assert_one_line_per_request_and_no_secret(log, "scaledleak", secrets)


@pytest.mark.slow
def test_waitress_serve_itself_would_print_every_line_twice(tmp_path: Path) -> None:
    """Fence for deploy/serve.py, which starts waitress with create_server + run instead of
    waitress.serve: serve() calls logging.basicConfig(), a second handler on the root logger,
    so waitress's own runner prints each of GapFind's lines twice. Same app, same requests,
    both ways; if waitress stops doing that, this test says deploy/serve.py can use serve()."""
    env = production_env(DATABASE_URL=f"sqlite:///{tmp_path / 'gapfind.sqlite'}")
    migrate(env)
    counts = {}
    for name in ("waitressown", "launcher"):
        port = free_port()
        argv = {
            "waitressown": [WAITRESS_SERVE, f"--listen=127.0.0.1:{port}", "wsgi:application"],
            "launcher": [sys.executable, "-m", "deploy.serve", "--port", str(port)],
        }[name]
        log_path = tmp_path / f"{name}.log"
        with group_process(argv, log_path, env=env, ready_port=port):
            assert request(port, "GET", f"/users/{name}", timeout=HANG).status == 404
            log = wait_for_lines(lambda p=log_path: p.read_text(errors="replace"), name, 1)
        counts[name] = sum(1 for line in log.splitlines() if f"GET /users/{name} 404" in line)
    assert counts == {"waitressown": 2, "launcher": 1}
