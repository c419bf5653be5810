"""疑似预防接种异常反应 (AEFI) case cards and their follow-up entries (issue 19, item 4)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from epimanager.store.models import Base, new_uuid


class AefiCase(Base):
    """One 个案报告卡: the dose it follows (child, vaccine, batch copied when written), the reaction,
    the reporting limit and when it was reported (NULL until then).

    ``version`` is the version a user saw: a save from an older one is refused (like a dose's).
    """

    __tablename__ = "aefi_case"
    __table_args__ = (
        Index("ix_aefi_case_child_id", "child_id"),
        Index("ix_aefi_case_batch", "vaccine_code", "batch_no"),
        Index("ix_aefi_case_reported_deadline", "reported_at", "report_deadline"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id", ondelete="CASCADE"))
    dose_id: Mapped[int | None] = mapped_column(ForeignKey("dose.id", ondelete="SET NULL"))
    dose_uuid: Mapped[str | None] = mapped_column(String(36))
    vaccine_code: Mapped[str] = mapped_column(String(4))
    batch_no: Mapped[str | None] = mapped_column(String(40))
    manufacturer: Mapped[str | None] = mapped_column(String(100))
    dose_number: Mapped[int] = mapped_column(Integer)
    dose_date: Mapped[dt.date] = mapped_column(Date)
    dose_time: Mapped[dt.datetime | None] = mapped_column(DateTime)
    onset_at: Mapped[dt.datetime] = mapped_column(DateTime)
    discovered_at: Mapped[dt.datetime] = mapped_column(DateTime)
    #: symptom codes of ``resources/aefi/symptoms.json``, comma-separated
    symptoms: Mapped[str] = mapped_column(String(200), default="")
    symptom_list_version: Mapped[str | None] = mapped_column(String(20))
    symptom_text: Mapped[str | None] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(4))
    group_event: Mapped[bool] = mapped_column(Boolean, default=False)
    outcome: Mapped[str | None] = mapped_column(String(10))
    diagnosis: Mapped[str | None] = mapped_column(String(200))
    reporter: Mapped[str | None] = mapped_column(String(50))
    report_deadline: Mapped[dt.datetime] = mapped_column(DateTime)
    reported_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    created_by: Mapped[str | None] = mapped_column(String(50))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)


class AefiFollowUp(Base):
    """A 随访 entry of a case: the day, what was found, the outcome then."""

    __tablename__ = "aefi_follow_up"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("aefi_case.id", ondelete="CASCADE"), index=True)
    date: Mapped[dt.date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    created_by: Mapped[str | None] = mapped_column(String(50))
