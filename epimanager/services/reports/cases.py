"""个案统计分析月报: children by 在册情况, age group and 区域划分, and the month's changes."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

from epimanager.domain.codes import Status
from epimanager.domain.reports import AGE_GROUPS, age_group
from epimanager.services.reports.common import KINDS, UNASSIGNED, parse_period
from epimanager.services.units import committee_names, unit_info
from epimanager.store.database import Database
from epimanager.store.dialect import has_table, run


def case_statistics(db: Database, period: str) -> dict[str, Any]:
    """个案统计分析月报: children by status, age group and 区域划分 at month end,
    and the month's new registrations, moves in/out and deaths."""
    start, end = parse_period(period)
    info = unit_info(db)
    with db.session() as s:
        names = committee_names(s, info.code)
        rows = run(
            s.connection(),
            "SELECT CAST(birth_date AS TEXT), status, committee_id, created_at FROM child "
            "WHERE deleted = false AND birth_date <= ?",
            (end.isoformat(),),
        ).all()
    by_status: Counter[str] = Counter()
    by_age: Counter[str] = Counter()
    by_committee: Counter[str] = Counter()
    new = moved_in = moved_out = dead = 0
    month_end_next = (end + timedelta(days=1)).isoformat()
    for birth, status, comm, created in rows:
        st = Status(status)
        by_status[st.label] += 1
        created_in_month = start.isoformat() <= str(created)[:10] < month_end_next
        if created_in_month:
            new += 1
            moved_in += st == Status.MOVED_IN
        if st.managed:
            by_age[age_group(date.fromisoformat(birth), end)] += 1
            by_committee[names.get(comm, UNASSIGNED) if comm is not None else UNASSIGNED] += 1
    moved_out, dead = _status_changes(db, start, end)
    return {
        "report": "cases",
        "title": KINDS["cases"],
        "month": period,
        "unit": info.code,
        "unit_name": info.name,
        "by_status": {s.label: by_status.get(s.label, 0) for s in Status},
        "managed_by_age": {g: by_age.get(g, 0) for g in AGE_GROUPS},
        "managed_by_committee": {n: by_committee.get(n, 0) for n in [*names.values(), UNASSIGNED]},
        "new_registrations": new,
        "moved_in": moved_in,
        "moved_out": moved_out,
        "deaths": dead,
    }


def _status_changes(db: Database, start: date, end: date) -> tuple[int, int]:
    """Moves out and deaths recorded in the month (from the 在册变更 history when present)."""
    with db.session() as s:
        conn = s.connection()
        has_history = has_table(conn, "status_change")
        if has_history is None:
            return 0, 0
        rows = run(
            conn,
            "SELECT new_status, count(*) FROM status_change WHERE change_date >= ? AND change_date <= ? "
            "GROUP BY new_status",
            (start.isoformat(), end.isoformat()),
        ).all()
    counts: dict[int, int] = {int(k): int(v) for k, v in rows}
    return int(counts.get(int(Status.MOVED_OUT), 0)), int(counts.get(int(Status.DEAD), 0))
