"""Security headers, request ids and the production debug guard (issue 3, items 5 and 6).

Every response, errors included, carries X-Content-Type-Options, a Content-Security-Policy
(strict for JSON, a workable one for the self-contained /docs page), Referrer-Policy, a Server
header without software versions, and an X-Request-ID that a user's report can be matched with.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from config import ProductionConfig
from gapfind import create_app
from tests.integration import app_env, call, served_gapfind
from tests.support.students import Students
from tests.web import LIMIT, limited, unreachable_database_url

GENERATED_ID = re.compile(r"[0-9a-f]{16}")
VERSION = re.compile(r"\d")


def csp_directives(response: Any) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    directives = {}
    for part in policy.split(";"):
        name, _, value = part.strip().partition(" ")
        if name:
            directives[name.lower()] = value.strip()
    return directives


def assert_common_headers(response: Any) -> None:
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers.get("X-Frame-Options") == "DENY"
    for server in headers.getlist("Server"):
        assert not VERSION.search(server), server
        assert "werkzeug" not in server.lower() and "python" not in server.lower()
    assert headers["X-Request-ID"]
    directives = csp_directives(response)
    assert directives["default-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "script-src" not in directives


def assert_json_headers(response: Any) -> None:
    assert_common_headers(response)
    assert csp_directives(response) == {"default-src": "'none'", "frame-ancestors": "'none'"}
    assert response.headers["Cache-Control"] == "no-store"


def _cases(client: FlaskClient) -> list[tuple[int, Any]]:
    token = Students(client).register("ana")["edit_token"]
    auth = {"Authorization": f"Bearer {token}"}
    return [
        (200, client.get("/health")),
        (200, client.get("/users/ana")),
        (201, client.post("/manual", json={"username": "bob", "list_of_indices": [[0, 0]]})),
        (400, client.post("/manual", json={"username": "bob"})),
        (401, client.put("/users/ana", json={"list_of_indices": [[0, 0]]})),
        (403, client.delete("/users/ana", headers={"Authorization": "Bearer nope"})),
        (404, client.get("/users/nadie")),
        (404, client.get("/no/such/page")),
        (405, client.patch("/health")),
        (413, client.post("/results", data=b"x" * (1024 * 1024 + 1))),
        (400, client.post("/results", data=b"x", content_type="text/plain")),
        (200, client.options("/manual")),
        (204, client.delete("/users/ana", headers=auth)),
    ]


def test_every_api_response_has_the_security_headers(client: FlaskClient) -> None:
    for expected, response in _cases(client):
        assert response.status_code == expected
        assert_json_headers(response)


def test_a_429_has_the_security_headers(app_factory: Callable[..., Flask]) -> None:
    client = app_factory(**limited()).test_client()
    responses = [client.get("/users/nadie") for _ in range(LIMIT + 1)]
    assert responses[-1].status_code == 429
    assert_json_headers(responses[-1])


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_503_has_the_security_headers(kind: str, tmp_path: Path) -> None:
    app = create_app({"DATABASE_URL": unreachable_database_url(kind, tmp_path)})
    response = app.test_client().get("/users/ana")
    assert response.status_code == 503
    assert_json_headers(response)


def test_the_server_header_names_no_software_version(client: FlaskClient) -> None:
    assert client.get("/health").headers["Server"] == "GapFind"


def test_the_docs_page_has_a_csp_it_can_live_with(client: FlaskClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert_common_headers(response)
    directives = csp_directives(response)
    assert directives["style-src"] == "'unsafe-inline'"
    # Workable: the page needs nothing the policy forbids (no scripts, no remote resources).
    page = response.get_data(as_text=True)
    assert "<style>" in page
    assert "<script" not in page.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert not re.search(r"<link[^>]+stylesheet", page)


def test_the_openapi_document_is_not_scriptable(client: FlaskClient) -> None:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert_common_headers(response)


def test_hsts_only_over_https(client: FlaskClient) -> None:
    assert "Strict-Transport-Security" not in client.get("/health").headers
    secure = client.get("/health", base_url="https://api.example")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


# ------------------------------------------------------------------------- request ids


def test_every_response_gets_a_fresh_request_id(client: FlaskClient) -> None:
    ids = [client.get("/users/nadie").headers["X-Request-ID"] for _ in range(5)]
    ids.append(client.get("/health").headers["X-Request-ID"])
    for request_id in ids:
        assert GENERATED_ID.fullmatch(request_id), request_id
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("sane", ["abcdefgh", "req-2026.11_28-XYZ", "A" * 64])
def test_a_sane_incoming_request_id_is_echoed(client: FlaskClient, sane: str) -> None:
    response = client.get("/users/nadie", headers={"X-Request-ID": sane})
    assert response.headers["X-Request-ID"] == sane


@pytest.mark.parametrize(
    "insane",
    ["short", "A" * 65, "has space here", "semi;colon=1", "<script>x</script>", "ñandú-1234"],
)
def test_an_insane_incoming_request_id_is_replaced(client: FlaskClient, insane: str) -> None:
    response = client.get("/users/nadie", headers={"X-Request-ID": insane})
    assert GENERATED_ID.fullmatch(response.headers["X-Request-ID"])


# ----------------------------------------------------------------------------- debug


def test_production_settings_refuse_flask_debug(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLASK_DEBUG", "1")
    with pytest.raises(RuntimeError, match="Debug"):
        create_app(ProductionConfig)
    monkeypatch.setenv("GAPFIND_CONFIG", "production")
    with pytest.raises(RuntimeError, match="Debug"):
        create_app({"DATABASE_URL": "sqlite://", "RATELIMIT_ENABLED": False})


def test_production_settings_refuse_debug_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    monkeypatch.setenv("GAPFIND_CONFIG", "production")
    with pytest.raises(RuntimeError, match="Debug"):
        create_app({"DATABASE_URL": "sqlite://", "RATELIMIT_ENABLED": False, "DEBUG": True})


def test_production_settings_run_without_debug(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    monkeypatch.setenv("GAPFIND_CONFIG", "production")
    app = create_app({"DATABASE_URL": "sqlite://", "RATELIMIT_ENABLED": False})
    assert app.debug is False
    assert ProductionConfig.DEBUG is False
    assert app.config["TESTING"] is False


@pytest.mark.slow
def test_a_real_server_sends_the_headers_and_no_version(tmp_path: Path) -> None:
    """Through a real gunicorn (the scale-out recipe's server): whatever it adds, no version
    leaks in Server, and the app's headers survive the trip."""
    env = app_env(f"sqlite:///{tmp_path / 'gapfind.sqlite'}")
    with served_gapfind(env) as server:
        for path, status in [("/health", 200), ("/users/nadie", 404), ("/docs", 200)]:
            reply = call(server.base_url, "GET", path, headers={"X-Request-ID": "report-12345"})
            assert reply.status == status
            servers = reply.header_values("Server")
            assert servers
            for value in servers:
                assert not VERSION.search(value), value
                assert "werkzeug" not in value.lower() and "python" not in value.lower()
            assert reply.header("X-Content-Type-Options") == "nosniff"
            assert reply.header("Referrer-Policy") == "no-referrer"
            assert "default-src 'none'" in (reply.header("Content-Security-Policy") or "")
            assert reply.header("X-Request-ID") == "report-12345"
