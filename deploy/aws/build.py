"""What the Lambda function's package holds; `sam build` runs it (Makefile: build-GapFindFunction).

    python deploy/aws/build.py ARTIFACTS_DIR [--no-dependencies] [--python-version 3.13]

1. gapfind/, config.py and lambda_handler.py, and nothing else of the repository: no tests,
   bench or migrations, no .env, no instance/ (a developer's SQLite file must not ship).
2. The packages of deploy/aws/requirements.txt as wheels for the function's platform (Linux on
   arm64, CPython 3.13), whatever machine builds: pip is told the platform, so psycopg's and
   orjson's compiled parts are the function's and not the builder's.
3. Bytecode for every module, written by a CPython of the runtime's version. The function's
   directory is read-only: without .pyc files each cold start compiles every module from source
   (2 to 4 s for GapFind and its libraries on the bench machine of bench/README.md, against
   0.35 s with them). "unchecked-hash" .pyc files stay valid whatever modification times the
   zip gives the sources.

--no-dependencies skips step 2 (offline, for the tests). Standard library only.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = Path(__file__).resolve().parent / "requirements.txt"
SOURCES = ("gapfind", "config.py", "lambda_handler.py")
#: The template's Runtime and Architectures (tests/deploy/test_aws_build.py checks they agree).
RUNTIME_PYTHON = "3.13"
# Amazon Linux 2023 (glibc 2.34) under python3.13. pip takes the tags as given, without the
# older manylinux ones: orjson ships manylinux2014 arm64 wheels, psycopg-binary 3.3 2_28 only.
PLATFORMS = ("manylinux_2_28_aarch64", "manylinux2014_aarch64")
SKIPPED = shutil.ignore_patterns("__pycache__", "*.pyc", ".*")


def copy_sources(artifacts: Path, root: Path = ROOT) -> None:
    """Step 1: the application's own code, caches left behind."""
    artifacts.mkdir(parents=True, exist_ok=True)
    for name in SOURCES:
        source, target = root / name, artifacts / name
        if source.is_dir():
            shutil.copytree(source, target, ignore=SKIPPED, dirs_exist_ok=True)
        else:
            shutil.copy2(source, target)


def install_dependencies(artifacts: Path, python_version: str) -> None:
    """Step 2: wheels only, for Linux arm64 and the runtime's CPython."""
    run(
        [
            sys.executable,
            *("-m", "pip", "install", "--disable-pip-version-check", "--no-compile"),
            *("--target", str(artifacts), "--upgrade"),
            *(option for tag in PLATFORMS for option in ("--platform", tag)),
            *("--implementation", "cp"),
            *("--python-version", python_version, "--only-binary=:all:"),
            *("-r", str(REQUIREMENTS)),
        ]
    )
    shutil.rmtree(artifacts / "bin", ignore_errors=True)  # console scripts: nothing runs them


def runtime_interpreter(python_version: str) -> str:
    """A CPython of the runtime's version: this one, or a working pythonX.Y on PATH."""
    if f"{sys.version_info.major}.{sys.version_info.minor}" == python_version:
        return sys.executable
    found = shutil.which(f"python{python_version}")
    check = "import sys; print('%d.%d' % sys.version_info[:2])"
    if found is not None:
        answer = subprocess.run([found, "-c", check], capture_output=True, text=True, check=False)
        if answer.returncode == 0 and answer.stdout.strip() == python_version:
            return found
    raise SystemExit(
        f"build.py: the bytecode must be written by Python {python_version}, the function's"
        f" runtime, and no working python{python_version} is on PATH. Install it, or run"
        " `sam build --use-container` (its build image has it)."
    )


def compile_bytecode(artifacts: Path, interpreter: str) -> None:
    """Step 3, in a CPython of the runtime's version (a .pyc is only read by its own)."""
    code = (
        "import compileall, py_compile, sys;"
        "mode = py_compile.PycInvalidationMode.UNCHECKED_HASH;"
        "sys.exit(not compileall.compile_dir(sys.argv[1], quiet=1, invalidation_mode=mode))"
    )
    run([interpreter, "-c", code, str(artifacts)])


def run(command: Sequence[str]) -> None:
    done = subprocess.run(command, check=False)
    if done.returncode != 0:
        raise SystemExit(f"build.py: `{' '.join(command[:4])} ...` failed ({done.returncode})")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("artifacts", type=Path, help="where sam build wants the package")
    parser.add_argument("--no-dependencies", action="store_true", help="skip pip (tests)")
    parser.add_argument("--python-version", default=RUNTIME_PYTHON, help="the runtime's")
    args = parser.parse_args(argv)
    interpreter = runtime_interpreter(args.python_version)  # before anything is downloaded
    copy_sources(args.artifacts)
    if not args.no_dependencies:
        install_dependencies(args.artifacts, args.python_version)
    compile_bytecode(args.artifacts, interpreter)
    return 0


if __name__ == "__main__":
    sys.exit(main())
