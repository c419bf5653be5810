"""Generating a report and storing it (who, when, parameters, content); the latest generation
of each kind; and a month's report *handed in* — exported, printed or explicitly marked done —
which is what F7 工作提醒 asks for (generating or previewing alone does not count)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from epimanager.errors import ValidationError
from epimanager.services.reports.cases import case_statistics
from epimanager.services.reports.common import KINDS, Progress, parse_period
from epimanager.services.reports.consumption import consumption_log
from epimanager.services.reports.report_6_1 import report_6_1
from epimanager.services.reports.report_6_2 import report_6_2
from epimanager.store.database import Database
from epimanager.store.models_reports import ReportDone, ReportRun

_BUILDERS: dict[str, Callable[..., dict[str, Any]]] = {
    "6-1": report_6_1,
    "6-2": report_6_2,
    "consumption": consumption_log,
    "cases": case_statistics,
}


def generate(
    db: Database,
    kind: str,
    period: str,
    *,
    residence: int | None = None,
    user: str | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Compute a report and store it as generated (kind, month, who, when)."""
    if kind not in _BUILDERS:
        raise ValidationError(f"未知报表：“{kind}”（可选：{'、'.join(KINDS)}）")
    if kind == "6-1":
        report = report_6_1(db, period, residence, progress=progress)
    else:
        report = _BUILDERS[kind](db, period)
    params = {"residence": residence} if kind == "6-1" else {}
    with db.transaction() as s:
        s.add(
            ReportRun(
                kind=kind,
                period=period,
                params=json.dumps(params),
                generated_at=datetime.now(),
                generated_by=user,
                payload=json.dumps(report, ensure_ascii=False),
            )
        )
    return report


@dataclass(frozen=True)
class ReportRunInfo:
    kind: str
    period: str
    generated_at: datetime
    generated_by: str | None


def runs_for(db: Database, period: str) -> dict[str, ReportRunInfo]:
    """The latest generation of each report kind for ``period``."""
    with db.session() as s:
        rows = s.scalars(select(ReportRun).where(ReportRun.period == period).order_by(ReportRun.id)).all()
        return {r.kind: ReportRunInfo(r.kind, r.period, r.generated_at, r.generated_by) for r in rows}


#: How a month's report was handed in, as a nurse reads it.
DONE_HOW: dict[str, str] = {"exported": "已导出", "printed": "已打印", "marked": "已标记完成"}


@dataclass(frozen=True)
class ReportDoneInfo:
    kind: str
    period: str
    how: str
    at: datetime
    done_by: str | None
    target: str | None


def mark_done(
    db: Database,
    kind: str,
    period: str,
    how: str = "marked",
    *,
    user: str | None = None,
    target: str | None = None,
    now: datetime | None = None,
) -> ReportDoneInfo:
    """Record that ``kind`` for ``period`` was exported, printed or marked done by hand."""
    if kind not in KINDS:
        raise ValidationError(f"未知报表：“{kind}”（可选：{'、'.join(KINDS)}）")
    if how not in DONE_HOW:
        raise ValidationError(f"未知的完成方式：“{how}”（可选：{'、'.join(DONE_HOW)}）")
    parse_period(period)
    row = ReportDone(kind=kind, period=period, how=how, at=now or datetime.now(), done_by=user, target=target)
    with db.transaction() as s:
        s.add(row)
        s.flush()
        return ReportDoneInfo(row.kind, row.period, row.how, row.at, row.done_by, row.target)


def done_for(db: Database, period: str) -> dict[str, ReportDoneInfo]:
    """The latest hand-in of each report kind for ``period`` (kinds not handed in are absent)."""
    with db.session() as s:
        rows = s.scalars(select(ReportDone).where(ReportDone.period == period).order_by(ReportDone.id)).all()
        return {r.kind: ReportDoneInfo(r.kind, r.period, r.how, r.at, r.done_by, r.target) for r in rows}
