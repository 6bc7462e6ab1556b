"""Username rules.

Names are plain ASCII letters so they read the same on every phone keyboard,
need no Unicode normalisation and are case-insensitive by simple lowercasing.
They are deliberately not trimmed: " ana" is refused rather than silently
becoming another user's name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import Enum

USERNAME_MAX_LENGTH = 30


class UsernameProblem(Enum):
    """Short stable codes; the HTTP layer owns the (Spanish) wording."""

    EMPTY = "empty"
    TOO_LONG = "too_long"
    NOT_LETTERS = "not_letters"


def username_problem(name: str) -> UsernameProblem | None:
    """First problem found (EMPTY, TOO_LONG, NOT_LETTERS), None when the name is valid.

    Group requests validate thousands of names, so the letter test stays in C:
    str.isalpha alone would accept "é" or "ß", hence the isascii guard.
    """
    if not name:
        return UsernameProblem.EMPTY
    if len(name) > USERNAME_MAX_LENGTH:
        return UsernameProblem.TOO_LONG
    if not (name.isascii() and name.isalpha()):
        return UsernameProblem.NOT_LETTERS
    return None


def is_valid_username(name: str) -> bool:
    """username_problem(name) is None, in one expression: /analyze checks thousands of names
    per request and only needs the yes/no."""
    return len(name) <= USERNAME_MAX_LENGTH and name.isascii() and name.isalpha()


def username_key(name: str) -> str | None:
    """The key a name is stored and looked up under, or None when no student can have it
    (URLs, lists of names and operator commands treat such a name as simply absent)."""
    return normalize_username(name) if is_valid_username(name) else None


# Every name valid, one per line: the common case of a group request, checked in one C scan.
_VALID_NAME = f"[A-Za-z]{{1,{USERNAME_MAX_LENGTH}}}"
_VALID_LINES = re.compile(rf"{_VALID_NAME}(?:\n{_VALID_NAME})*")


def username_keys(names: Iterable[str]) -> list[str | None]:
    """username_key of each name, in order.

    /analyze looks up thousands of names; when all are valid (the usual request) they are
    checked and lowercased as one joined string by the regex engine and str methods, without
    a Python-level step per name. Otherwise, or if a name hides a line break, name by name.
    """
    names = list(names)
    joined = "\n".join(names)
    if _VALID_LINES.fullmatch(joined):
        keys: list[str | None] = list(joined.lower().split("\n"))
        if len(keys) == len(names):
            return keys
    return [username_key(name) for name in names]


def normalize_username(name: str) -> str:
    """Canonical key for lookups and uniqueness; only meaningful on validated names."""
    return name.lower()
