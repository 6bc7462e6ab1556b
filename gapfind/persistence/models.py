"""Persistence model: one row per registered student."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from gapfind.extensions import Base, db

if TYPE_CHECKING:
    # db.Model is built at run time from Base (Flask-SQLAlchemy adds the session and the
    # table-name rules); to the type checker it is the typed declarative base it derives from.
    Model = Base
else:
    Model = db.Model


def utc_now() -> datetime:
    """Timestamp for defaults, called per row (never evaluated once at import time)."""
    return datetime.now(timezone.utc)


class Student(Model):
    """A student's weekly timetable, keyed by a lowercase username."""

    __tablename__ = "students"
    __table_args__ = (
        # Guard the invariants in the database too, so no import or shell session can store a
        # schedule the core would misread.
        CheckConstraint("length(schedule) = 98", name="ck_students_schedule_length"),
        CheckConstraint("username = lower(username)", name="ck_students_username_lowercase"),
    )

    username: Mapped[str] = mapped_column(String(30), primary_key=True)
    schedule: Mapped[str] = mapped_column(String(98))
    # SHA-256 of the edit token; NULL for imported students until `flask users reset-token`.
    edit_token_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    # Indexed: retention purges and the "expired means absent" filter both range over it.
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utc_now, onupdate=utc_now, index=True
    )

    def __repr__(self) -> str:
        return f"<Student {self.username}>"
