"""Generated reports, backup history and user-defined reminders."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from epimanager.store.models import Base


class ReportRun(Base):
    """A report that was generated (so F7 knows last month's duty is done)."""

    __tablename__ = "report_run"
    __table_args__ = (Index("ix_report_run_kind_period", "kind", "period"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    period: Mapped[str] = mapped_column(String(7))
    params: Mapped[str] = mapped_column(Text, default="{}")
    generated_at: Mapped[dt.datetime] = mapped_column(DateTime)
    generated_by: Mapped[str | None] = mapped_column(String(50))
    payload: Mapped[str] = mapped_column(Text)


class BackupLog(Base):
    """Every backup attempt, successful or not."""

    __tablename__ = "backup_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    path: Mapped[str | None] = mapped_column(Text)
    ok: Mapped[bool] = mapped_column(Boolean)
    size: Mapped[int | None] = mapped_column(Integer)
    message: Mapped[str | None] = mapped_column(Text)


class Reminder(Base):
    """A user-defined reminder shown in F7 工作提醒."""

    __tablename__ = "reminder"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(String(200))
    due: Mapped[dt.date] = mapped_column(Date)
    repeat: Mapped[str | None] = mapped_column(String(10))
    snooze_until: Mapped[dt.date | None] = mapped_column(Date)
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str | None] = mapped_column(String(50))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
