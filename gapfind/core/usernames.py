"""Username rules.

Names are plain ASCII letters so they read the same on every phone keyboard,
need no Unicode normalisation and are case-insensitive by simple lowercasing.
They are deliberately not trimmed: " ana" is refused rather than silently
becoming another user's name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from enum import Enum

USERNAME_MAX_LENGTH = 30
# The rule, written once: 1 to USERNAME_MAX_LENGTH ASCII letters. Everything below derives from
# this pattern: is_valid_username matches one name against it, username_keys a whole list of
# joined names in one scan, and username_problem only says which part a refused name breaks.
# No re.IGNORECASE: with it, [A-Za-z] would also match the Kelvin sign and the dotless i.
USERNAME_PATTERN = f"[A-Za-z]{{1,{USERNAME_MAX_LENGTH}}}"
_matches_username = re.compile(USERNAME_PATTERN).fullmatch
# Every name valid, one per line: the common case of a group request, checked in one C scan.
_VALID_LINES = re.compile(rf"{USERNAME_PATTERN}(?:\n{USERNAME_PATTERN})*")


class UsernameProblem(Enum):
    """Short stable codes; the HTTP layer owns the (Spanish) wording."""

    EMPTY = "empty"
    TOO_LONG = "too_long"
    NOT_LETTERS = "not_letters"


def is_valid_username(name: str) -> bool:
    """Whether the name follows USERNAME_PATTERN: the yes/no that lookups need, one match in
    the regex engine (C) per name, as /analyze checks thousands when some are impossible."""
    return _matches_username(name) is not None


def username_problem(name: str) -> UsernameProblem | None:
    """Which part of the rule the name breaks (EMPTY, then TOO_LONG, then NOT_LETTERS), None
    when it is valid: an over-long name is told about its length even if it has digits."""
    if is_valid_username(name):
        return None
    if not name:
        return UsernameProblem.EMPTY
    if len(name) > USERNAME_MAX_LENGTH:
        return UsernameProblem.TOO_LONG
    return UsernameProblem.NOT_LETTERS


def username_key(name: str) -> str | None:
    """The key a name is stored and looked up under, or None when no student can have it
    (URLs, lists of names and operator commands treat such a name as simply absent)."""
    return normalize_username(name) if is_valid_username(name) else None


# The same rule in JSON Schema's terms, for the OpenAPI document clients generate code from.
# ECMA-262 patterns match anywhere, so they are anchored (`$` there is the end of the text, as
# fullmatch is here). A valid name, and the stored (lowercase) form the API answers with.
USERNAME_SCHEMA_PATTERN = f"^{USERNAME_PATTERN}$"
STORED_USERNAME_SCHEMA_PATTERN = f"^[a-z]{{1,{USERNAME_MAX_LENGTH}}}$"


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


def distinct_names(raw_names: Sequence[str]) -> list[tuple[str, str | None]]:
    """Each distinct name once, in input order: (name, lookup key, or None if no student can
    have it).

    Names that differ only in case are one student; impossible names are kept as given (a
    group analysis reports them rather than refusing the request), so only they need the
    raw text, and a valid name is carried as its key.
    """
    keys = username_keys(raw_names)
    if None not in keys:  # the usual request: every name valid, duplicates collapse by key
        return [(key, key) for key in dict.fromkeys(keys) if key is not None]
    seen: set[str] = set()
    entries: list[tuple[str, str | None]] = []
    for raw, key in zip(raw_names, keys, strict=True):
        marker = key if key is not None else "\0" + raw
        if marker not in seen:
            seen.add(marker)
            entries.append((raw, key))
    return entries
