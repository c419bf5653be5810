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


class ReportDone(Base):
    """A month's report handed in: exported (xlsx/CSV), printed, or marked done by hand.

    Only these count for F7 工作提醒; generating or previewing a report does not."""

    __tablename__ = "report_done"
    __table_args__ = (Index("ix_report_done_kind_period", "kind", "period"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    period: Mapped[str] = mapped_column(String(7))
    how: Mapped[str] = mapped_column(String(10))  # exported | printed | marked
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    done_by: Mapped[str | None] = mapped_column(String(50))
    target: Mapped[str | None] = mapped_column(Text)  # the exported file, if any


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


class ReportState(Base):
    """Whose 表6-1 due cells are stored (a cache), and for which forecast dates they hold.

    Written by 表6-1 with the child's :class:`ReportDue` rows; triggers
    (migration 0008) drop both in the same transaction as any change to the
    child's doses, birth date or sex, and bump :class:`ReportStateGen`, so
    stored rows are either current or absent.
    """

    __tablename__ = "report_state"
    child_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    key: Mapped[str] = mapped_column(String(40))  # schedule data, catalog and program they were made with
    basis: Mapped[str] = mapped_column(String(10))  # made from the doses before this day (ISO)
    latest: Mapped[str] = mapped_column(String(10))  # the latest of those doses ("" if none)
    next_after: Mapped[str] = mapped_column(String(10))  # the first dose on or after basis ("9999-12-31": none)
    v_from: Mapped[str] = mapped_column(String(10))  # the schedule version's span (ISO days)
    v_until: Mapped[str] = mapped_column(String(10))


class ReportDue(Base):
    """A 表6-1 column a child is due for in any month ending in [a_from, a_until) on or after ``earliest``."""

    __tablename__ = "report_due"
    __table_args__ = (Index("ix_report_due_earliest", "earliest"), Index("ix_report_due_child_id", "child_id"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    child_id: Mapped[int] = mapped_column(Integer)
    col: Mapped[str] = mapped_column(String(10))
    earliest: Mapped[str] = mapped_column(String(10))
    a_from: Mapped[str] = mapped_column(String(10))
    a_until: Mapped[str] = mapped_column(String(10))


class ReportCells(Base):
    """A child's 表6-1 cells of one month (a cache), with a fingerprint of everything they were made from.

    Written by 表6-1 for the children it had to forecast (those vaccinated in the month); a later
    report of that month uses them only when the fingerprint of the child's birth date, sex and
    doses up to the month's end, the month and the schedule key is the same, so no trigger is needed.
    """

    __tablename__ = "report_cells"
    child_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM
    fp: Mapped[str] = mapped_column(String(32))
    due: Mapped[str] = mapped_column(Text)  # columns, comma-separated
    given: Mapped[str] = mapped_column(Text)  # columns, comma-separated, repeats kept


class ReportStateGen(Base):
    """One row: how often a child's doses/birth date/sex changed (a report stores rows only if unchanged)."""

    __tablename__ = "report_state_gen"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    gen: Mapped[int] = mapped_column(Integer, default=0)
