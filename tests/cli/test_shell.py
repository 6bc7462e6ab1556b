"""`flask shell`: what an operator has at hand, in process and through the real command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask

from gapfind import core
from gapfind.core import render_grid
from gapfind.extensions import db
from gapfind.persistence.models import Student
from tests.support.student_table import StudentTable
from tests.support.weeks import EVERY_OTHER, MONDAYS

ROOT = Path(__file__).resolve().parents[2]
FLASK = Path(sys.executable).with_name("flask")


def test_shell_context_has_the_model_the_core_and_show(
    app: Flask, student_table: StudentTable, capsys
):
    student_table.add("ana", MONDAYS)

    with app.app_context():
        context = app.make_shell_context()
        context["show"]("Ana")
        context["show"]("nobody")

    assert context["db"] is db
    assert context["Student"] is Student
    assert context["core"] is core
    assert context["find_gaps"] is core.find_gaps
    assert context["GapOptions"] is core.GapOptions
    assert context["weekday_availability"] is core.weekday_availability
    assert context["render_grid"] is core.render_grid
    printed = capsys.readouterr().out
    assert render_grid(MONDAYS) in printed
    assert "No student named 'nobody'" in printed


@pytest.mark.slow
def test_flask_shell_runs_show_and_the_core(student_table: StudentTable, database_url: str):
    """The real `flask --app wsgi shell`, fed a script on stdin as an operator would type it."""
    student_table.add("ana", MONDAYS)
    student_table.add("bob", EVERY_OTHER)
    script = (
        "show('ana')\n"
        "gaps = find_gaps([db.session.get(Student, n).schedule for n in ('ana', 'bob')], "
        "GapOptions(limit=1))\n"
        "print('gaps:', len(gaps))\n"
    )
    env = {
        **os.environ,
        "GAPFIND_CONFIG": "testing",
        "TEST_DATABASE_URL": database_url,
        "PYTHONWARNINGS": "error",
    }

    done = subprocess.run(
        [str(FLASK), "--app", "wsgi", "shell"],
        input=script,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert render_grid(MONDAYS) in done.stdout
    assert "gaps: 1" in done.stdout
    assert "Error" not in done.stderr, done.stderr
