"""The clinic flow: today's visits (one per child per day, with its ticket) and every step change."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from epimanager.store.models import Base


class Visit(Base):
    """A child's visit on one day: ticket, current step and status within it (see ``domain/visit.py``).

    ``version`` is checked on every update (SQLAlchemy ``version_id_col``): a desk that moved a
    ticket another desk moved meanwhile gets an error instead of overwriting it.
    """

    __tablename__ = "visit"
    __table_args__ = (
        UniqueConstraint("day", "ticket", name="uq_visit_day_ticket"),
        UniqueConstraint("day", "child_id", name="uq_visit_day_child"),
        Index("ix_visit_day_step", "day", "step"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date)
    ticket: Mapped[str] = mapped_column(String(8))
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id", ondelete="CASCADE"))
    booked: Mapped[bool] = mapped_column(Boolean, default=False)
    step: Mapped[str] = mapped_column(String(4))
    status: Mapped[str] = mapped_column(String(4))
    misses: Mapped[int] = mapped_column(Integer, default=0)
    taken_at: Mapped[dt.datetime] = mapped_column(DateTime)
    queued_at: Mapped[dt.datetime] = mapped_column(DateTime)
    called_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_at: Mapped[dt.datetime] = mapped_column(DateTime)
    desk: Mapped[str | None] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class VisitEvent(Base):
    """One change of a visit (take, call, start, finish, miss, back, cancel): who, at which desk, when."""

    __tablename__ = "visit_event"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    from_step: Mapped[str] = mapped_column(String(4))
    from_status: Mapped[str | None] = mapped_column(String(4))
    to_step: Mapped[str] = mapped_column(String(4))
    to_status: Mapped[str] = mapped_column(String(4))
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    operator: Mapped[str | None] = mapped_column(String(50))
    desk: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(String(200))
