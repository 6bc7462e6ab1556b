"""Running `flask <args>` on one app's CLI runner (flaskr's `auth` fixture, for commands).

Tests get it as the `flask_command` fixture (tests/cli/conftest.py), or build
`FlaskCommand(other_app.test_cli_runner())` for an app of their own.
"""

from __future__ import annotations

from click.testing import Result
from flask.testing import FlaskCliRunner


class FlaskCommand:
    """`flask_command("users", "import", path, stdin=...)` returns the click Result."""

    def __init__(self, runner: FlaskCliRunner) -> None:
        self.runner = runner

    def __call__(self, *args: str, stdin: str | bytes | None = None) -> Result:
        """Exceptions other than exits propagate, so a crash fails loudly instead of becoming an
        exit code the assertions might accept."""
        return self.runner.invoke(args=list(args), input=stdin, catch_exceptions=False)
