"""Operator commands (`flask users ...`) and the `flask shell` context."""

from __future__ import annotations

from typing import Any

from flask import Flask

from gapfind import core
from gapfind.core.grid import render_grid
from gapfind.extensions import db
from gapfind.models import Student


def show(username: str) -> None:
    """Print a student's week as a grid: easier to check by eye than 98 characters."""
    student = db.session.get(Student, username.lower())
    if student is None:
        print(f"No student named {username!r}")
        return
    print(render_grid(student.schedule))


def register_shell_context(app: Flask) -> None:
    """What `flask shell` has at hand without imports."""

    @app.shell_context_processor
    def _context() -> dict[str, Any]:
        return {"db": db, "Student": Student, "core": core, "show": show}


def register_commands(app: Flask) -> None:
    """Placeholder until the users command group lands."""
