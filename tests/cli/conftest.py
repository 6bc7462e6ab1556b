"""Fixtures for the operator-command tests: the command runner, the table, data files on disk.

The helpers themselves live in tests/support/ (tests import classes from there, never from a
conftest); these fixtures bind them to the test's `app` and `runner`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskCliRunner

from tests.support.flask_command import FlaskCommand
from tests.support.student_table import StudentTable


@pytest.fixture
def student_table(app: Flask) -> StudentTable:
    """The test app's students table, read and written with plain SQL."""
    return StudentTable(app)


@pytest.fixture
def flask_command(runner: FlaskCliRunner) -> FlaskCommand:
    """Run `flask <args>` on the test app: `flask_command("users", "export")`."""
    return FlaskCommand(runner)


@pytest.fixture
def write_json(tmp_path: Path) -> Callable[[str, Any], Path]:
    """Write `document` as JSON to a file named `name` in the test's tmp_path."""

    def write(name: str, document: Any) -> Path:
        path = tmp_path / name
        path.write_text(json.dumps(document), encoding="utf-8")
        return path

    return write


@pytest.fixture
def import_file(
    flask_command: FlaskCommand, write_json: Callable[[str, Any], Path]
) -> Callable[..., Result]:
    """Write `document` as JSON and import it with extra options; returns the Result."""

    def run(document: Any, *options: str) -> Result:
        source = write_json("source.json", document)
        return flask_command("users", "import", str(source), *options)

    return run
