"""GapFind's domain rules, kept free of Flask, SQLAlchemy and any I/O.

Purity is what lets the rules be tested exhaustively in milliseconds, reused from
the CLI and `flask shell`, benchmarked in isolation, and kept fast: nothing here
waits on a request, a session or a database. Only the standard library is allowed.
"""

from gapfind.core.availability import (
    SlotAvailability,
    joined_weekday_availability,
    weekday_availability,
)
from gapfind.core.gaps import MAX_STUDENTS, Gap, GapOptions, distance_profile, find_gaps
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
    "Gap",
    "GapOptions",
    "IndicesProblem",
    "InvalidIndices",
    "SlotAvailability",
    "UsernameProblem",
    "day_column",
    "distance_profile",
    "distinct_names",
    "find_gaps",
    "indices_from_schedule",
    "is_schedule",
    "is_valid_username",
    "joined_weekday_availability",
    "normalize_username",
    "render_grid",
    "schedule_from_indices",
    "slot_index",
    "username_key",
    "username_keys",
    "username_problem",
    "validate_indices",
    "weekday_availability",
]
