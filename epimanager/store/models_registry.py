"""在册变更 history and child merges (数据清理) — issue 6."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from epimanager.store.models import Base, new_uuid


class StatusChange(Base):
    """One 在册情况 change of a child (platform ``chhe_*`` / t_child_move)."""

    __tablename__ = "status_change"
    __table_args__ = (
        Index("ix_status_change_change_date", "change_date", "id"),
        Index("ix_status_change_child_id", "child_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id", ondelete="CASCADE"))
    old_status: Mapped[int] = mapped_column(Integer)
    new_status: Mapped[int] = mapped_column(Integer)
    change_date: Mapped[dt.date] = mapped_column(Date)
    #: 迁出分类 for 迁出, free text otherwise
    reason: Mapped[str | None] = mapped_column(String(50))
    remark: Mapped[str | None] = mapped_column(String(200))
    #: the unit that recorded the change (chhe_depa_id)
    unit_code: Mapped[str] = mapped_column(String(10))
    user: Mapped[str | None] = mapped_column(String(50))
    at: Mapped[dt.datetime] = mapped_column(DateTime)


class ChildMerge(Base):
    """Two child records merged into one, with what is needed to undo it.

    ``moved_doses`` / ``moved_changes`` are JSON lists of the dose UUIDs and
    status-change ids moved from the duplicate to the kept child;
    ``filled_fields`` is a JSON object of the kept child's fields that were
    empty and filled from the duplicate (field → the kept child's old value);
    ``dup_prior`` is a JSON object of the duplicate's state before the merge.
    """

    __tablename__ = "child_merge"
    __table_args__ = (Index("ix_child_merge_dup_child_id", "dup_child_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kept_child_id: Mapped[int] = mapped_column(ForeignKey("child.id"))
    dup_child_id: Mapped[int] = mapped_column(ForeignKey("child.id"))
    reason: Mapped[str | None] = mapped_column(String(200))
    moved_doses: Mapped[str] = mapped_column(Text)
    moved_changes: Mapped[str] = mapped_column(Text)
    filled_fields: Mapped[str] = mapped_column(Text)
    dup_prior: Mapped[str] = mapped_column(Text)
    user: Mapped[str | None] = mapped_column(String(50))
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    undone_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    undone_by: Mapped[str | None] = mapped_column(String(50))
