"""The one shape of the core's refusals: an exception that carries a problem code.

Codes, not words: the wording belongs to the HTTP layer (gapfind.messages, in Spanish), so the
core never changes for a typo and callers branch on the code instead of parsing text.
"""

from __future__ import annotations

from enum import Enum
from typing import Generic, TypeVar

Problem = TypeVar("Problem", bound=Enum)


class DomainError(ValueError, Generic[Problem]):
    """A refusal of the core, with the code of what is wrong in `problem`."""

    def __init__(self, problem: Problem, detail: str | None = None) -> None:
        super().__init__(problem.value if detail is None else f"{problem.value}: {detail}")
        self.problem = problem
