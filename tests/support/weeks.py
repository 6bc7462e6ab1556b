"""Distinct, valid weeks for tests that only need some schedule: MONDAYS has a class on Monday
6:30 only, EVERY_OTHER alternates, FULL is booked all week."""

EMPTY = "0" * 98
MONDAYS = "1" + "0" * 97
EVERY_OTHER = "01" * 49
FULL = "1" * 98
