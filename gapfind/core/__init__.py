"""GapFind's domain rules, kept free of Flask, SQLAlchemy and any I/O.

Purity is what lets the rules be tested exhaustively in milliseconds, reused from
the CLI and `flask shell`, benchmarked in isolation, and kept fast: nothing here
waits on a request, a session or a database. Only the standard library is allowed, and
icalendar, which meeting_calendar imports inside the one function that writes a file.
"""

from gapfind.core.availability import (
    SlotAvailability,
    joined_weekday_availability,
    weekday_availability,
)
from gapfind.core.blocks import Block, BlockOptions, find_blocks
from gapfind.core.gaps import (
    MAX_STUDENTS,
    Gap,
    GapOptions,
    class_free_day_is_free,
    distance_profile,
    find_gaps,
    member_profile,
)
from gapfind.core.grid import (
    DAY_LABELS,
    DAYS_PER_WEEK,
    HOUR_LABELS,
    HOURS_PER_DAY,
    SLOT_COUNT,
    WEEKDAY_COUNT,
    IndicesProblem,
    InvalidIndices,
    day_column,
    indices_from_schedule,
    is_schedule,
    render_grid,
    schedule_from_indices,
    slot_index,
    validate_indices,
)
from gapfind.core.meeting_calendar import (
    InvalidMeeting,
    MeetingProblem,
    TitleProblem,
    WeeklyMeeting,
    calendar_document,
    meeting_problem,
    plan_meeting,
    title_problem,
)
from gapfind.core.usernames import (
    USERNAME_MAX_LENGTH,
    UsernameProblem,
    distinct_names,
    is_valid_username,
    normalize_username,
    username_key,
    username_keys,
    username_problem,
)

__all__ = [
    "DAYS_PER_WEEK",
    "DAY_LABELS",
    "HOURS_PER_DAY",
    "HOUR_LABELS",
    "MAX_STUDENTS",
    "SLOT_COUNT",
    "USERNAME_MAX_LENGTH",
    "WEEKDAY_COUNT",
    "Block",
    "BlockOptions",
    "Gap",
    "GapOptions",
    "IndicesProblem",
    "InvalidIndices",
    "InvalidMeeting",
    "MeetingProblem",
    "SlotAvailability",
    "TitleProblem",
    "UsernameProblem",
    "WeeklyMeeting",
    "calendar_document",
    "class_free_day_is_free",
    "day_column",
    "distance_profile",
    "distinct_names",
    "find_blocks",
    "find_gaps",
    "indices_from_schedule",
    "is_schedule",
    "is_valid_username",
    "joined_weekday_availability",
    "meeting_problem",
    "member_profile",
    "normalize_username",
    "plan_meeting",
    "render_grid",
    "schedule_from_indices",
    "slot_index",
    "title_problem",
    "username_key",
    "username_keys",
    "username_problem",
    "validate_indices",
    "weekday_availability",
]
