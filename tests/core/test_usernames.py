from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gapfind.core import usernames as usernames_module
from gapfind.core.usernames import (
    STORED_USERNAME_SCHEMA_PATTERN,
    USERNAME_MAX_LENGTH,
    USERNAME_SCHEMA_PATTERN,
    UsernameProblem,
    is_valid_username,
    normalize_username,
    username_key,
    username_keys,
    username_problem,
)


def test_max_length() -> None:
    assert USERNAME_MAX_LENGTH == 30


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a", None),
        ("Ana", None),
        ("ANA", None),
        ("abcdefghijklmnopqrstuvwxyzABCD", None),
        ("a" * USERNAME_MAX_LENGTH, None),
        ("", UsernameProblem.EMPTY),
        ("a" * (USERNAME_MAX_LENGTH + 1), UsernameProblem.TOO_LONG),
        # Length is checked before letters.
        ("1" * (USERNAME_MAX_LENGTH + 1), UsernameProblem.TOO_LONG),
        ("\u00e9" * (USERNAME_MAX_LENGTH + 1), UsernameProblem.TOO_LONG),
        # Not trimmed: surrounding whitespace makes a different, invalid name.
        (" ana", UsernameProblem.NOT_LETTERS),
        ("ana ", UsernameProblem.NOT_LETTERS),
        ("ana\n", UsernameProblem.NOT_LETTERS),
        (" ", UsernameProblem.NOT_LETTERS),
        ("ana maria", UsernameProblem.NOT_LETTERS),
        ("ana1", UsernameProblem.NOT_LETTERS),
        ("1", UsernameProblem.NOT_LETTERS),
        ("ana_b", UsernameProblem.NOT_LETTERS),
        ("ana-b", UsernameProblem.NOT_LETTERS),
        ("Jos\u00e9", UsernameProblem.NOT_LETTERS),
        ("Nu\u00f1ez", UsernameProblem.NOT_LETTERS),
        ("stra\u00dfe", UsernameProblem.NOT_LETTERS),
        ("\uff41\uff4e\uff41", UsernameProblem.NOT_LETTERS),  # fullwidth "ana"
        ("\u0430na", UsernameProblem.NOT_LETTERS),  # Cyrillic a
        ("ana\x00", UsernameProblem.NOT_LETTERS),
    ],
)
def test_username_problem(name: str, expected: UsernameProblem | None) -> None:
    assert username_problem(name) is expected
    # The fast yes/no used on thousands of names must agree with the full rules.
    assert is_valid_username(name) is (expected is None)
    assert username_key(name) == (name.lower() if expected is None else None)
    assert username_keys([name]) == [username_key(name)]


def test_username_keys_keeps_order_and_length() -> None:
    names = ["Ana", "", "bob", "ana", "x" * (USERNAME_MAX_LENGTH + 1), "Jos\u00e9", "CARLA"]
    assert username_keys(names) == [username_key(name) for name in names]
    assert username_keys(names) == ["ana", None, "bob", "ana", None, None, "carla"]
    assert username_keys(iter(names)) == username_keys(names)  # any iterable
    assert username_keys([]) == []


@pytest.mark.parametrize(
    ("problem", "value"),
    [
        (UsernameProblem.EMPTY, "empty"),
        (UsernameProblem.TOO_LONG, "too_long"),
        (UsernameProblem.NOT_LETTERS, "not_letters"),
    ],
)
def test_problem_values_are_stable(problem: UsernameProblem, value: str) -> None:
    assert problem.value == value


@pytest.mark.parametrize(
    ("name", "expected"),
    [("ana", "ana"), ("Ana", "ana"), ("ANA", "ana"), ("aNaBeL", "anabel")],
)
def test_normalize_username_lowercases(name: str, expected: str) -> None:
    assert normalize_username(name) == expected


_NAME_PIECES = st.sampled_from(["a", "Z", "ana", "\n", "", " ", "\u00e9", "1", "K", "\u212a"])


@given(st.lists(st.lists(_NAME_PIECES, max_size=12).map("".join), max_size=8))
def test_username_keys_agrees_with_username_key(names: list[str]) -> None:
    """The joined-string fast path must give exactly the name-by-name answer: line breaks
    inside names, empty names, over-long ones and non-ASCII letters (the Kelvin sign
    lowercases to an ASCII k) included."""
    assert username_keys(names) == [username_key(name) for name in names]


def test_username_keys_checks_an_all_valid_list_in_one_pass(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The point of username_keys: thousands of valid names never go name by name (the
    per-name rule is made to fail here, so only the joined-string check can answer)."""

    def name_by_name(name: str) -> str | None:
        raise AssertionError(f"{name!r} was checked on its own")

    monkeypatch.setattr(usernames_module, "username_key", name_by_name)
    names = ["Ana" * 10] + [f"user{'abcdefghij'[i % 10]}" for i in range(5000)]
    assert username_keys(names) == [name.lower() for name in names]
    with pytest.raises(AssertionError, match="checked on its own"):
        username_keys(["a" * (USERNAME_MAX_LENGTH + 1), "bob"])


def _follows_the_rule(name: str) -> bool:
    """The rule as the docs state it, by brute force: 1 to 30 characters, each an ASCII letter."""
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return 1 <= len(name) <= 30 and all(character in letters for character in name)


@given(
    st.one_of(
        st.text(max_size=40),
        st.text(alphabet=st.sampled_from("aZk\u212a\u0131\u00e9 1\n"), max_size=40),
    )
)
def test_every_form_of_the_rule_agrees_with_brute_force(name: str) -> None:
    """One rule, several uses: the problem codes, the yes/no, the lookup key and the joined-list
    fast path must all say what the plain statement of the rule says."""
    valid = _follows_the_rule(name)
    problem = username_problem(name)

    assert (problem is None) is valid
    assert is_valid_username(name) is valid
    assert username_key(name) == (name.lower() if valid else None)
    assert username_keys([name, "ana"]) == [username_key(name), "ana"]
    if not name:
        assert problem is UsernameProblem.EMPTY
    elif len(name) > USERNAME_MAX_LENGTH:
        assert problem is UsernameProblem.TOO_LONG
    elif not valid:
        assert problem is UsernameProblem.NOT_LETTERS


# Names near the rules' edges: letters of both cases, the lengths around the limit, a trailing
# line break (where Python's `$` and JSON Schema's differ), non-ASCII letters, digits.
_EDGE_NAMES = st.text(
    alphabet=st.sampled_from(["a", "Z", "k", "\n", " ", "1", "\u00e9", "\u212a", "_"]),
    max_size=USERNAME_MAX_LENGTH + 3,
) | st.integers(USERNAME_MAX_LENGTH - 1, USERNAME_MAX_LENGTH + 1).map(lambda n: "a" * n)


@given(_EDGE_NAMES)
def test_username_pattern_is_the_rule(name: str) -> None:
    """The OpenAPI pattern accepts exactly the valid names. fullmatch of an anchored pattern is
    JSON Schema's (ECMA-262) reading, where "ana\\n" does not match `^[A-Za-z]+$`."""
    assert bool(re.fullmatch(USERNAME_SCHEMA_PATTERN, name)) == is_valid_username(name)


@given(_EDGE_NAMES)
def test_username_key_pattern_is_the_stored_form(name: str) -> None:
    """What the API answers with: the key of a valid name, and nothing else."""
    key = username_key(name)
    if key is not None:
        assert re.fullmatch(STORED_USERNAME_SCHEMA_PATTERN, key)
    assert bool(re.fullmatch(STORED_USERNAME_SCHEMA_PATTERN, name)) == (key == name)
