"""A dead rate-limit storage is logged as one outage (issue 9, item 8): one warning when it
starts, one line when it ends with its duration and the count of requests it touched, and
nothing per request, whether the app fails open (serves unlimited) or closed (503).

A real redis-server is stopped under the app and started again. Records are counted from
every logger the app and Flask-Limiter write to.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.servers import RedisServer
from tests.web import error_body, limited

pytestmark = pytest.mark.redis

PATH = "/users/nadie"
ENDED = re.compile(r"outage ended after [0-9.]+ s; requests (.+) during it: (\d+)$")


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only (overrides the suite's backend parametrisation): the storage is what dies."""
    return f"sqlite:///{tmp_path / 'gapfind.sqlite'}"


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """GapFind's and Flask-Limiter's records at the app's LOG_LEVEL (WARNING when testing),
    and the limiter's own down to INFO (the end of an outage is an INFO line)."""
    caplog.set_level(logging.INFO, logger="gapfind.ratelimit")
    return caplog


def outage_app(app_factory: Callable[..., Flask], redis: RedisServer, fail_open: bool) -> Flask:
    return app_factory(
        **limited(redis.url, RATELIMIT_DEFAULT="1000 per hour", RATELIMIT_FAIL_OPEN=fail_open)
    )


def messages(caplog: pytest.LogCaptureFixture, text: str) -> list[logging.LogRecord]:
    return [record for record in caplog.records if text in record.getMessage()]


def assert_logged_once_each(caplog: pytest.LogCaptureFixture, what: str, count: int) -> None:
    """Exactly one start (a warning, one line, no traceback) and one end with `count`, and no
    other record at WARNING or above (the per-request lines Flask-Limiter and errors.py
    wrote)."""
    started = messages(caplog, "outage started")
    assert len(started) == 1, caplog.text
    assert started[0].levelno == logging.WARNING
    assert started[0].exc_info is None and "\n" not in started[0].getMessage()
    assert "ConnectionError" in started[0].getMessage()
    ended = messages(caplog, "outage ended")
    assert len(ended) == 1, caplog.text
    assert ended[0].levelno == logging.INFO
    match = ENDED.search(ended[0].getMessage())
    assert match, ended[0].getMessage()
    assert match.groups() == (what, str(count))
    louder = [r for r in caplog.records if r.levelno >= logging.WARNING and r is not started[0]]
    assert louder == [], caplog.text
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize("during", [1, 7])
def test_failing_open_logs_the_outage_once_with_the_requests_served(
    app_factory: Callable[..., Flask],
    redis: RedisServer,
    logs: pytest.LogCaptureFixture,
    during: int,
) -> None:
    client = outage_app(app_factory, redis, fail_open=True).test_client()
    assert client.get(PATH).status_code == 404
    redis.stop()
    for _ in range(during):
        response = client.get(PATH)
        assert response.status_code == 404  # served, unlimited
        assert "X-RateLimit-Limit" not in response.headers
    # Exempt endpoints never touch the storage: not counted.
    assert client.get("/health").status_code == 200
    assert messages(logs, "outage ended") == []
    redis.start()
    for _ in range(3):
        assert client.get(PATH).headers["X-RateLimit-Limit"] == "1000"

    assert_logged_once_each(logs, "served without rate limits", during)


def test_failing_closed_refuses_each_request_and_logs_the_outage_once(
    app_factory: Callable[..., Flask], redis: RedisServer, logs: pytest.LogCaptureFixture
) -> None:
    client = outage_app(app_factory, redis, fail_open=False).test_client()
    assert client.get(PATH).status_code == 404
    redis.stop()
    refused = [client.get(PATH) for _ in range(4)]
    refused.append(client.post("/manual", json={"username": "ana", "list_of_indices": [[0, 0]]}))
    for response in refused:
        assert response.status_code == 503
        assert response.get_json() == error_body(503)
        assert response.headers["Retry-After"] == "30"
    redis.start()
    assert client.get(PATH).status_code == 404
    assert client.get(PATH).status_code == 404

    assert_logged_once_each(logs, "refused with 503", len(refused))


def test_two_outages_are_two_pairs_of_lines(
    app_factory: Callable[..., Flask], redis: RedisServer, logs: pytest.LogCaptureFixture
) -> None:
    client = outage_app(app_factory, redis, fail_open=True).test_client()
    counts = []
    for during in (2, 3):
        redis.stop()
        for _ in range(during):
            assert client.get(PATH).status_code == 404
        redis.start()
        assert client.get(PATH).status_code == 404
        counts.append(during)
    assert len(messages(logs, "outage started")) == 2
    ended = [ENDED.search(r.getMessage()) for r in messages(logs, "outage ended")]
    assert [int(match.group(2)) for match in ended if match] == counts


def test_threads_meeting_the_same_outage_log_it_once_and_count_every_request(
    app_factory: Callable[..., Flask], redis: RedisServer, logs: pytest.LogCaptureFixture
) -> None:
    """As under gunicorn's gthread workers: several requests at once meet the start and the end
    of the outage; one start line, one end line, every request counted."""
    app = outage_app(app_factory, redis, fail_open=True)
    threads, per_thread = 8, 5

    def in_parallel(work: Callable[[FlaskClient], None]) -> None:
        barrier = threading.Barrier(threads)
        failures: list[BaseException] = []

        def run() -> None:
            client = app.test_client()
            try:
                barrier.wait(timeout=30)
                work(client)
            except BaseException as error:  # reported below, in the test's own thread
                failures.append(error)

        workers = [threading.Thread(target=run) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=60)
        assert not any(worker.is_alive() for worker in workers)
        assert failures == []

    def during_outage(client: FlaskClient) -> None:
        for _ in range(per_thread):
            assert client.get(PATH).status_code == 404

    def after_outage(client: FlaskClient) -> None:
        assert client.get(PATH).headers["X-RateLimit-Limit"] == "1000"

    assert app.test_client().get(PATH).status_code == 404
    redis.stop()
    in_parallel(during_outage)
    redis.start()
    in_parallel(after_outage)

    assert_logged_once_each(logs, "served without rate limits", threads * per_thread)
