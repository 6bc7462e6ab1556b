from __future__ import annotations

import pytest

from gapfind.core.grid import IndicesProblem, InvalidIndices
from gapfind.core.meeting_calendar import InvalidMeeting, MeetingProblem
from gapfind.core.problems import DomainError
from gapfind.core.timetable_import import CalendarImportError, CalendarProblem


@pytest.mark.parametrize(
    "error, problem, text",
    [
        (InvalidIndices(IndicesProblem.BAD_DAY), IndicesProblem.BAD_DAY, "bad_day"),
        (
            InvalidMeeting(MeetingProblem.SPAN_TOO_LONG),
            MeetingProblem.SPAN_TOO_LONG,
            "span_too_long",
        ),
        (
            CalendarImportError(CalendarProblem.INVALID_EVENT, "Cálculo"),
            CalendarProblem.INVALID_EVENT,
            "invalid_event: Cálculo",
        ),
    ],
)
def test_every_refusal_of_the_core_carries_its_code(
    error: ValueError, problem: object, text: str
) -> None:
    assert isinstance(error, DomainError) and isinstance(error, ValueError)
    assert error.problem is problem
    assert str(error) == text
