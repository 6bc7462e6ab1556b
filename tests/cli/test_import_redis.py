"""`flask users import --from-redis`: the old deployment's hash, read from a real redis-server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import redis as redis_py

from gapfind import messages
from tests.support.flask_command import FlaskCommand
from tests.support.servers import RedisServer
from tests.support.student_table import StudentTable
from tests.support.weeks import EMPTY, FULL, MONDAYS

pytestmark = pytest.mark.redis


def fill(server: RedisServer, key: str, mapping: dict[bytes | str, bytes | str]) -> None:
    """Write the hash the way the old deployment did (HSET), then close the connection."""
    with redis_py.Redis.from_url(server.url) as client:
        client.hset(key, mapping=mapping)


def test_imports_the_hash_under_the_default_key(
    redis: RedisServer, flask_command: FlaskCommand, student_table: StudentTable
):
    fill(redis, "gapfind:usernames", {"Ana": MONDAYS, "bob": FULL})

    result = flask_command("users", "import", "--from-redis", redis.url)

    assert result.exit_code == 0, result.output
    assert {name: row.schedule for name, row in student_table.rows().items()} == {
        "ana": MONDAYS,
        "bob": FULL,
    }
    assert all(row.edit_token_hash is None for row in student_table.rows().values())


def test_bad_entries_are_reported_and_reimport_changes_nothing(
    redis: RedisServer, flask_command: FlaskCommand, student_table: StudentTable, tmp_path: Path
):
    fill(
        redis,
        "old:users",
        {
            "ana": MONDAYS,
            "José": EMPTY,
            b"\xffbob": FULL,
            "carl": "01",
            "dora": FULL.replace("1", "x", 1),
        },
    )
    report = tmp_path / "report.json"

    first = flask_command(
        "users", "import", "--from-redis", redis.url, "--key", "old:users",
        "--report", str(report),
    )  # fmt: skip
    before = student_table.rows()
    second = flask_command("users", "import", "--from-redis", redis.url, "--key", "old:users")

    assert first.exit_code == 1
    assert set(before) == {"ana"}
    rejected = {
        item["username"]: item["errors"] for item in json.loads(report.read_text())["rejected"]
    }
    assert rejected == {
        "José": {"username": ["El nombre de usuario solo puede contener letras"]},
        "\\xffbob": {"username": [messages.NOT_UTF8]},
        "carl": {"schedule": [messages.SCHEDULE_LENGTH.format(length=2)]},
        "dora": {"schedule": ["El horario solo puede contener los caracteres 0 y 1"]},
    }
    assert "unchanged: 1" in second.stdout
    assert student_table.rows() == before


def test_a_missing_key_is_an_error(
    redis: RedisServer, flask_command: FlaskCommand, student_table: StudentTable
):
    fill(redis, "gapfind:usernames", {"ana": MONDAYS})

    result = flask_command("users", "import", "--from-redis", redis.url, "--key", "typo")

    assert result.exit_code == 2
    assert "Redis key 'typo' does not exist" in result.stderr
    assert student_table.rows() == {}


def test_a_key_that_is_not_a_hash_is_an_error(redis: RedisServer, flask_command: FlaskCommand):
    with redis_py.Redis.from_url(redis.url) as client:
        client.set("gapfind:usernames", "ana")

    result = flask_command("users", "import", "--from-redis", redis.url)

    assert result.exit_code == 2
    assert "holds a string, not a hash" in result.stderr


def test_an_unreachable_redis_is_an_error(
    redis: RedisServer, flask_command: FlaskCommand, student_table: StudentTable
):
    redis.stop()

    result = flask_command("users", "import", "--from-redis", redis.url)

    assert result.exit_code == 2
    assert "cannot read Redis" in result.stderr
    assert student_table.rows() == {}


def test_format_does_not_apply_to_redis(redis: RedisServer, flask_command: FlaskCommand):
    result = flask_command("users", "import", "--from-redis", redis.url, "--format", "csv")

    assert result.exit_code == 2
    assert "--format applies to SOURCE files" in result.stderr
