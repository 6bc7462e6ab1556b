"""Responses are built as plain dicts for speed; these tests hold them to the marshmallow
response schemas that the OpenAPI document is generated from, so the docs cannot drift."""

from __future__ import annotations

import io

import pytest
from marshmallow import RAISE, Schema

from gapfind import schemas
from tests.examples import WORKED_A, WORKED_B
from tests.support.students import Students, pairs_for

A = WORKED_A
B = WORKED_B


def conforms(schema: type[Schema], body: object) -> None:
    """Loading with unknown=RAISE fails on a missing type, a wrong type or an extra key."""
    schema(unknown=RAISE).load(body)  # raises ValidationError on any mismatch


@pytest.fixture
def seeded(client, students: Students):
    students.register("ana", pairs_for(A))
    students.register("bob", pairs_for(B))
    return client


def test_register_and_read_conform(client):
    created = client.post("/manual", json={"username": "Carla", "list_of_indices": [[0, 1]]})
    assert created.status_code == 201
    conforms(schemas.RegisterResponse, created.get_json())
    assert set(created.get_json()) == set(schemas.RegisterResponse().fields)
    read = client.get("/users/carla")
    conforms(schemas.StudentResponse, read.get_json())
    assert set(read.get_json()) == set(schemas.StudentResponse().fields)


@pytest.mark.parametrize("compute_sd", [False, True])
def test_results_conform_and_sd_appears_only_when_asked(seeded, compute_sd):
    body = seeded.post("/results", json={"usernames": ["ana", "bob"], "compute_sd": compute_sd})
    data = body.get_json()
    conforms(schemas.ResultsResponse, data)
    expected = set(schemas.GapResponse().fields) - (set() if compute_sd else {"sd"})
    assert data["gaps"], "the worked example has gaps"
    assert all(set(gap) == expected for gap in data["gaps"])


@pytest.mark.parametrize("as_file", [False, True])
def test_analyze_conforms(seeded, as_file):
    if as_file:
        response = seeded.post(
            "/analyze", data={"usernames_file": (io.BytesIO(b"ana\nbob\nzed\n"), "n.txt")}
        )
    else:
        response = seeded.post("/analyze", json={"usernames": ["ana", "bob", "zed"]})
    data = response.get_json()
    conforms(schemas.AnalyzeResponse, data)
    assert set(data) == set(schemas.AnalyzeResponse().fields)
    assert all(
        set(slot) == set(schemas.SlotAvailabilityResponse().fields) for slot in data["results"]
    )
