"""预检: the health check of a child on a day, and the 暂缓 / 禁忌 it left per vaccine."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from epimanager.store.models import Base


class Precheck(Base):
    """One child's 预检 on one day (on that day's visit when there is one).

    ``answers`` is JSON text: ``[{"number": 2, "yes": true, "detail": "DTaP"}, …]``;
    ``question_version`` the version of the question list asked.  ``version`` is checked on every
    update (SQLAlchemy ``version_id_col``): a stale desk is refused instead of overwriting.
    """

    __tablename__ = "precheck"
    __table_args__ = (UniqueConstraint("child_id", "day", name="uq_precheck_child_day"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id", ondelete="CASCADE"))
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visit.id", ondelete="SET NULL"), index=True)
    day: Mapped[dt.date] = mapped_column(Date)
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    temperature: Mapped[float] = mapped_column(Float)
    answers: Mapped[str] = mapped_column(Text)
    question_version: Mapped[str] = mapped_column(String(20))
    operator: Mapped[str | None] = mapped_column(String(50))
    desk: Mapped[str | None] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Deferral(Base):
    """A 暂缓 (until ``until``, the first day the vaccine may be given) or a 禁忌 (until lifted by a
    业务管理员 with a doctor's note) of one vaccine for one child."""

    __tablename__ = "child_deferral"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id", ondelete="CASCADE"), index=True)
    precheck_id: Mapped[int | None] = mapped_column(ForeignKey("precheck.id", ondelete="SET NULL"), index=True)
    vaccine_code: Mapped[str] = mapped_column(String(4))
    kind: Mapped[str] = mapped_column(String(4))
    until: Mapped[dt.date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(400))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    created_by: Mapped[str | None] = mapped_column(String(50))
    lifted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    lifted_by: Mapped[str | None] = mapped_column(String(50))
    lift_reason: Mapped[str | None] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
