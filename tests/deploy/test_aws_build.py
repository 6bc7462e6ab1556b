"""The Lambda package (deploy/aws/build.py, run by `sam build` through the Makefile): the app's
code and nothing else of the repository, bytecode that stays valid in a zip, a package that
answers on its own, and requirements, runtime and platform that agree with the template.

The pip step needs the network and is not run here (--no-dependencies); its inputs are checked.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from samtranslator.yaml_helper import yaml_parse

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "deploy" / "aws" / "build.py"
THIS_PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
# Of requirements.txt, what the function does not install (see deploy/aws/requirements.txt).
NOT_ON_LAMBDA = {"gunicorn", "waitress", "flask-migrate", "alembic"}


def load_build() -> ModuleType:
    """deploy/aws/build.py, which is a script and not in a package."""
    spec = importlib.util.spec_from_file_location("gapfind_aws_build", BUILD)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build = load_build()


def pins(path: Path) -> dict[str, str]:
    """name -> the whole pinned line (extras included), comments and includes left out."""
    lines = [line.split("#")[0].strip() for line in path.read_text().splitlines()]
    found = {}
    for line in lines:
        if line and not line.startswith("-"):
            name = re.split(r"[\[=<>!~ ]", line, maxsplit=1)[0].lower()
            found[name] = line
    return found


def test_the_function_installs_requirements_txt_minus_the_servers_tools() -> None:
    runtime = pins(ROOT / "requirements.txt")
    assert NOT_ON_LAMBDA <= set(runtime), "requirements.txt changed: update NOT_ON_LAMBDA"
    expected = {name: line for name, line in runtime.items() if name not in NOT_ON_LAMBDA}
    assert pins(build.REQUIREMENTS) == expected
    assert "apig-wsgi" in expected


def test_build_targets_the_templates_runtime_and_architecture() -> None:
    function = yaml_parse((ROOT / "deploy/aws/template.yaml").read_text())["Resources"][
        "GapFindFunction"
    ]
    assert function["Properties"]["Runtime"] == f"python{build.RUNTIME_PYTHON}"
    assert function["Properties"]["Architectures"] == ["arm64"]
    assert all(tag.endswith("_aarch64") for tag in build.PLATFORMS)
    assert function["Metadata"] == {"BuildMethod": "makefile"}
    code = (ROOT / "deploy/aws" / function["Properties"]["CodeUri"]).resolve()
    assert code == ROOT, "the Makefile sam build runs is the repository's"
    assert re.search(r"^build-GapFindFunction:", (ROOT / "Makefile").read_text(), re.M)


def test_only_the_apps_code_is_copied(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    for name in ("gapfind/api", "gapfind/__pycache__", "tests", "instance", "migrations"):
        (root / name).mkdir(parents=True)
    for name in ("gapfind/__init__.py", "gapfind/api/gaps.py", "config.py", "lambda_handler.py"):
        (root / name).write_text("# code\n")
    for name in (
        "gapfind/__pycache__/x.cpython-311.pyc",
        "gapfind/.swp",
        ".env",
        "instance/gapfind.sqlite",
        "tests/test_x.py",
        "wsgi.py",
    ):
        (root / name).write_text("not for the function\n")
    artifacts = tmp_path / "artifacts"
    build.copy_sources(artifacts, root)
    copied = sorted(str(p.relative_to(artifacts)) for p in artifacts.rglob("*") if p.is_file())
    assert copied == [
        "config.py",
        "gapfind/__init__.py",
        "gapfind/api/gaps.py",
        "lambda_handler.py",
    ]


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This repository built as sam build would, without the pip step, for this interpreter."""
    artifacts = tmp_path_factory.mktemp("lambda") / "GapFindFunction"
    done = subprocess.run(
        [sys.executable, str(BUILD), str(artifacts), "--no-dependencies"]
        + ["--python-version", THIS_PYTHON],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return artifacts


def test_every_module_has_bytecode_that_never_checks_its_source(package: Path) -> None:
    """The function's directory is read-only: a missing or stale .pyc means compiling on every
    cold start. "Unchecked hash" (PEP 552 flags = 1) ignores the zip's modification times."""
    sources = sorted(package.rglob("*.py"))
    assert {p.name for p in sources} >= {"lambda_handler.py", "config.py", "aws_lambda.py"}
    tag = sys.implementation.cache_tag
    for source in sources:
        compiled = source.parent / "__pycache__" / f"{source.stem}.{tag}.pyc"
        assert compiled.is_file(), compiled
        flags = int.from_bytes(compiled.read_bytes()[4:8], "little")
        assert flags == 0b01, (compiled, flags)


def test_the_package_answers_on_its_own(package: Path) -> None:
    """Imported from the package alone (its libraries from the environment, as pip puts them
    beside it): no module of the repository outside the package is needed."""
    code = (
        "import json, lambda_handler, gapfind;"
        "event = json.loads(input());"
        "answer = lambda_handler.handler(event, None);"
        "print(json.dumps([lambda_handler.__file__, gapfind.__file__, answer['statusCode']]))"
    )
    event = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/openapi.json",
        "rawQueryString": "",
        "headers": {"host": "api.example"},
        "requestContext": {
            "http": {
                "method": "GET",
                "path": "/openapi.json",
                "protocol": "HTTP/1.1",
                "sourceIp": "192.0.2.1",
                "userAgent": "test",
            }
        },
        "isBase64Encoded": False,
    }
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    # An in-memory database without tables: /health would rightly answer 503 (no write could
    # succeed), so the package proves itself on /openapi.json, which needs every library it ships.
    env["GAPFIND_CONFIG"] = "testing"
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=package,
        env=env,
        input=json.dumps(event),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    handler_file, package_file, status = json.loads(done.stdout.splitlines()[-1])
    assert Path(handler_file).parent == package
    assert Path(package_file).parent.parent == package
    assert status == 200


def test_without_the_runtimes_python_nothing_is_built(tmp_path: Path) -> None:
    """Bytecode of another Python would be ignored on Lambda: the build says so and stops,
    before it downloads anything."""
    env = {**os.environ, "PATH": str(tmp_path)}  # no pythonX.Y to be found
    done = subprocess.run(
        [sys.executable, str(BUILD), str(tmp_path / "out"), "--python-version", "3.99"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "no working python3.99 is on PATH" in done.stderr
    assert "sam build --use-container" in done.stderr
    assert not (tmp_path / "out").exists()
