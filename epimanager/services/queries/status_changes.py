"""在册变更查询: 在册情况 changes by date range, new status and 区域划分."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import aliased

from epimanager.domain.codes import Status
from epimanager.services.queries.common import (
    PAGE_SIZE,
    Cursor,
    Page,
    Row,
    after_key,
    day_range,
    sex_label,
    status_codes,
    status_label,
)
from epimanager.services.units import require_committee_ids
from epimanager.store.database import Database
from epimanager.store.models import Child, Committee
from epimanager.store.models_registry import StatusChange


@dataclass(frozen=True)
class StatusChangeQuery:
    """在册变更查询: 在册情况 changes by date range, new status and 区域划分."""

    start: date | None = None
    end: date | None = None
    status: Status | int | str | None = None
    committee: str | None = None

    title = "在册变更查询"
    columns = (
        "变更日期",
        "儿童编码",
        "姓名",
        "性别",
        "出生日期",
        "区域划分",
        "原在册情况",
        "新在册情况",
        "原因",
        "备注",
        "操作员",
        "录入时间",
    )

    def fetch(self, db: Database, after: Cursor | None = None, limit: int = PAGE_SIZE) -> Page:
        day_range(self.start, self.end)
        own = db.own_unit_code()
        conds: list[Any] = [Child.deleted.is_(False)]
        if self.start:
            conds.append(StatusChange.change_date >= self.start)
        if self.end:
            conds.append(StatusChange.change_date <= self.end)
        if self.status is not None and self.status != "":
            st = status_codes([self.status])
            assert st is not None
            conds.append(StatusChange.new_status == st[0])
        with db.session() as s:
            if self.committee:
                conds.append(Child.committee_id.in_(require_committee_ids(s, own, self.committee, by_code=True)))
            c = aliased(Committee)
            q = (
                select(
                    StatusChange.id,
                    StatusChange.change_date,
                    Child.code,
                    Child.name,
                    Child.sex,
                    Child.birth_date,
                    c.name,
                    StatusChange.old_status,
                    StatusChange.new_status,
                    StatusChange.reason,
                    StatusChange.remark,
                    StatusChange.user,
                    StatusChange.at,
                )
                .join(Child, Child.id == StatusChange.child_id)
                .outerjoin(c, c.id == Child.committee_id)
                .where(*conds, *after_key((StatusChange.change_date, StatusChange.id), after))
                .order_by(StatusChange.change_date, StatusChange.id)
                .limit(limit)
            )
            rows = s.execute(q).all()
        out = [
            Row(
                (
                    r[1],
                    r[2],
                    r[3],
                    sex_label(r[4]),
                    r[5],
                    r[6],
                    status_label(r[7]),
                    status_label(r[8]),
                    r[9],
                    r[10],
                    r[11],
                    r[12],
                ),
                r[2],
            )
            for r in rows
        ]
        cursor = (rows[-1][1], rows[-1][0]) if len(rows) == limit else None
        return Page(tuple(out), cursor)
