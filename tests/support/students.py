"""Registering students through the API, as a client would (flaskr's `auth` fixture).

Tests get it as the `students` fixture (tests/conftest.py), bound to the test's `client`.
"""

from __future__ import annotations

from flask.testing import FlaskClient

from gapfind.core.grid import indices_from_schedule


def pairs_for(schedule: str) -> list[list[int]]:
    """The [hour, day] pairs a client sends for a 98-character schedule."""
    return [list(pair) for pair in indices_from_schedule(schedule)]


class Students:
    """POST /manual on one test client."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def register(self, username: str, pairs: list[list[int]] | None = None) -> dict[str, str]:
        """Register and return the 201 body (with the edit token)."""
        response = self.client.post(
            "/manual", json={"username": username, "list_of_indices": pairs or [[0, 0]]}
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()  # type: ignore[no-any-return]

    def register_schedule(self, username: str, schedule: str) -> dict[str, str]:
        """Register a student from a 98-character schedule string."""
        return self.register(username, pairs_for(schedule))
