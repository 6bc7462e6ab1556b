"""Services the suite starts itself, and what it does when one cannot be had.

On a developer machine without a server binary the tests that need it are skipped with the
reason; CI sets GAPFIND_REQUIRE_SERVICES=1, which turns a missing service into a failure.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TypeVar

import pytest

from tests.support.servers import REQUIRE_SERVICES_ENV, ServiceUnavailable

T = TypeVar("T")

#: The databases every API test runs on (GAPFIND_TEST_BACKENDS, default both).
BACKENDS = [
    name.strip()
    for name in os.environ.get("GAPFIND_TEST_BACKENDS", "sqlite,postgresql").split(",")
    if name.strip()
]


def service_missing(reason: str) -> None:
    """Skip on a developer machine without the service; fail in CI, where it must exist."""
    if os.environ.get(REQUIRE_SERVICES_ENV) == "1":
        pytest.fail(f"required service unavailable: {reason}")
    pytest.skip(f"service unavailable: {reason}")


def start_service(manager: AbstractContextManager[T]) -> tuple[T, Callable[[], None]]:
    """Enter a server's context manager, turning a missing binary into skip/fail."""
    try:
        server = manager.__enter__()
    except ServiceUnavailable as error:
        service_missing(str(error))
        raise  # unreachable: skip/fail raise
    return server, lambda: manager.__exit__(None, None, None)
