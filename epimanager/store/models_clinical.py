"""Clinical facts about a child that the schedule engine uses (immunoglobulin / blood products)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from epimanager.store.models import Base


class ChildImmunoglobulin(Base):
    """An immunoglobulin or blood product a child received (IVIG, HBIG, 输血 …) on a date.

    Injectable live vaccines wait after it (the schedule's ``immunoglobulin_wait``).
    """

    __tablename__ = "child_immunoglobulin"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id", ondelete="CASCADE"), index=True)
    product: Mapped[str] = mapped_column(String(50))
    date: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    created_by: Mapped[str | None] = mapped_column(String(50))
