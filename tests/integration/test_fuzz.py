"""Fuzzing the served API with schemathesis.

Every operation `/openapi.json` lists (whatever other branches add) gets generated requests,
valid and invalid, from a real gunicorn serving wsgi.py on a migrated database (SQLite and
PostgreSQL). Every answer is held to the document by four checks, none excluded: no 5xx, a
documented status, a documented content type, a body matching the documented schema. All four
of schemathesis' phases run: the document's examples, coverage (boundary and type-violating
values), fuzzing, and the stateful phase, which follows the document's links: POST /manual's
answer feeds GET, PUT and DELETE /users/{username}, with its edit token as the bearer token.

Run through schemathesis' command line, its main interface: its pytest integration needs the
schema when tests are collected (no server runs then), and its fixture-based loader does not
work with pytest 9.2 (it reads the removed `Node._nodeid`).

Limits are off on the fuzzed server (the fuzzer would mostly meet 429s); a separate server with
a tiny limit checks that a 429 conforms too. The examples are bounded (MAX_EXAMPLES per
operation, STATEFUL_STEPS per scenario): this file adds 30 s to 2 minutes to `make test`; there
is no deadline, and the seed of a failing run is in the failure's output.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.core import NOT_SET
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.integration import app_env, call, served_gapfind
from tests.support.servers import GunicornServer, PostgresServer

pytestmark = pytest.mark.slow

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
PHASES = ["examples", "coverage", "fuzzing", "stateful"]
MAX_EXAMPLES = 40
STATEFUL_STEPS = 10
RUN_TIMEOUT = 600
# Explicit, so that no schemathesis.toml found around the checkout changes what the suite runs.
# No example database: nothing is written outside the test's directory.
CONFIG = f"""
[generation]
mode = "all"
max-examples = {MAX_EXAMPLES}
database = "none"

[phases.stateful]
max-steps = {STATEFUL_STEPS}
"""
# The students the document's examples name, registered before the run so that the examples
# phase reaches the answers of /results and /analyze, not only their 400s.
EXAMPLE_STUDENTS = {"ana": [[0, 1], [1, 1]], "bob": [[2, 0], [3, 0]], "carla": [[0, 0]]}


@dataclass
class Run:
    returncode: int
    output: str
    har: dict[str, Any]


def fuzz(server: GunicornServer, directory: Path) -> Run:
    """`schemathesis run` against the served document, with a HAR log of every exchange."""
    config = directory / "schemathesis.toml"
    config.write_text(CONFIG, encoding="utf-8")
    har = directory / "exchanges.har"
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(config),
        "--no-color",
        "run",
        f"{server.base_url}/openapi.json",
        "--checks",
        ",".join(check.__name__ for check in CHECKS),
        "--phases",
        ",".join(PHASES),
        "--workers",
        "1",
        "--continue-on-failure",
        "--report",
        "har",
        "--report-har-path",
        str(har),
        # The edit tokens stay readable in the log: the stateful test looks for them.
        "--output-sanitize",
        "false",
    ]
    result = subprocess.run(
        command,
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    log = json.loads(har.read_text(encoding="utf-8")) if har.exists() else {"log": {}}
    return Run(result.returncode, result.stdout + result.stderr, log)


def exchanges(run: Run) -> list[tuple[str, str, int, dict[str, str], str]]:
    """(method, path without the query, status, request headers, response text) of each
    logged exchange."""
    found = []
    for entry in run.har["log"].get("entries", []):
        request, response = entry["request"], entry["response"]
        path = urlsplit(request["url"]).path or "/"
        headers = {header["name"].lower(): header["value"] for header in request["headers"]}
        text = response.get("content", {}).get("text", "")
        found.append((request["method"], path, response["status"], headers, text))
    return found


def path_parameters(path: str) -> list[str]:
    return re.findall(r"\{(\w+)\}", path)


def template_pattern(template: str) -> re.Pattern[str]:
    """ "/users/{username}" -> what a request path for it looks like (one segment per name)."""
    parts = re.split(r"(\{\w+\})", template)
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts))


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]
)
def fuzzed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[GunicornServer, Run]]:
    """One served app per backend, fuzzed once; this module's tests read the run."""
    directory = tmp_path_factory.mktemp(f"fuzz-{request.param}")
    name = None
    if request.param == "sqlite":
        url = f"sqlite:///{directory / 'gapfind.sqlite'}"
    else:
        postgres: PostgresServer = request.getfixturevalue("postgres")
        name = f"fuzz_{uuid.uuid4().hex[:12]}"
        url = postgres.create_database(name)
    try:
        with served_gapfind(app_env(url)) as server:
            for username, pairs in EXAMPLE_STUDENTS.items():
                body = {"username": username, "list_of_indices": pairs}
                assert call(server.base_url, "POST", "/manual", body).status == 201
            yield server, fuzz(server, directory)
    finally:
        if name is not None:
            postgres.drop_database(name)


def test_every_documented_operation_conforms(fuzzed: tuple[GunicornServer, Run]) -> None:
    server, run = fuzzed
    assert run.returncode == 0, run.output[-12000:]
    for phase in ("Examples", "Coverage", "Fuzzing", "Stateful"):
        assert re.search(rf"✅\s+{phase}\b", run.output), f"{phase} did not pass:\n{run.output}"
    # Every operation of the document was reached, with a fair number of cases each.
    document = call(server.base_url, "GET", "/openapi.json").json()
    count = sum(len(operations) for operations in document["paths"].values())
    generated = re.search(r"(\d+) generated", run.output)
    assert generated and int(generated.group(1)) >= MAX_EXAMPLES * count, run.output[-3000:]
    sent = [(method, path) for method, path, _, _, _ in exchanges(run)]
    for template, operations in document["paths"].items():
        pattern = template_pattern(template)
        for method in operations:
            assert any(
                sent_method == method.upper() and pattern.fullmatch(path)
                for sent_method, path in sent
            ), f"{method.upper()} {template} was never called"
    assert "Traceback" not in server.read_log()


def test_the_happy_paths_were_checked_too(fuzzed: tuple[GunicornServer, Run]) -> None:
    """The schema checks saw real answers of the group endpoints, not only their 400s."""
    _, run = fuzzed
    answered = {(method, path) for method, path, status, _, _ in exchanges(run) if status == 200}
    assert {
        ("POST", "/results"),
        ("POST", "/analyze"),
        ("POST", "/blocks"),
        ("GET", "/calendar.ics"),
        ("GET", "/health"),
    } <= answered


def test_stateful_edits_use_real_edit_tokens(fuzzed: tuple[GunicornServer, Run]) -> None:
    """The links carried the token POST /manual returned: some edit or delete was let in with
    it (and every exchange of the stateful phase passed the four checks, see above)."""
    _, run = fuzzed
    tokens = set()
    for method, path, status, _, text in exchanges(run):
        if (method, path, status) == ("POST", "/manual", 201):
            tokens.add(json.loads(text)["edit_token"])
    let_in = [
        method
        for method, path, status, headers, _ in exchanges(run)
        if method in ("PUT", "DELETE")
        and status in (200, 204)
        and headers.get("authorization", "").removeprefix("Bearer ") in tokens
    ]
    assert tokens
    assert let_in, "no PUT/DELETE /users/{username} succeeded with a token from POST /manual"


def test_a_rate_limited_answer_conforms(tmp_path: Path) -> None:
    """The 429 the fuzzed server never gives (limits off there), under a limit of 2 a minute:
    the third call to each operation that documents 429 gets one, and it passes the checks
    (and the headers' one: Retry-After is documented)."""
    env = app_env(
        f"sqlite:///{tmp_path / 'gapfind.sqlite'}",
        RATELIMIT_ENABLED="true",
        RATELIMIT_DEFAULT="2 per minute",
        RATELIMIT_WRITES="2 per minute",
    )
    with served_gapfind(env) as server:
        schema = schemathesis.openapi.from_url(
            f"{server.base_url}/openapi.json", config=SchemathesisConfig.from_str(CONFIG)
        )
        limited, documented = set(), set()
        for result in schema.get_all_operations():
            operation = result.ok()
            if "429" in operation.definition.raw["responses"]:
                documented.add(operation.label)
            # An undocumented 429 fails status_code_conformance; one without the documented
            # Retry-After fails response_headers_conformance.
            for _ in range(3):
                case = operation.Case(
                    path_parameters={name: "ana" for name in path_parameters(operation.path)},
                    body={} if operation.body else NOT_SET,
                    media_type="application/json" if operation.body else None,
                )
                response = case.call()
                case.validate_response(response, checks=[*CHECKS, response_headers_conformance])
            if response.status_code == 429:
                limited.add(operation.label)
        assert limited == documented
        assert {"POST /manual", "GET /users/{username}", "POST /results"} <= limited
