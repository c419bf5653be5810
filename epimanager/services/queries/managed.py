"""管理门诊查询: children by managing unit, 区域划分 and 在册情况."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select

from epimanager.domain.codes import MANAGED_STATUSES, Residence, Status
from epimanager.services.queries import common
from epimanager.services.queries.common import (
    PAGE_SIZE,
    Cursor,
    Page,
    Row,
    day_range,
    sex_label,
    status_codes,
    status_label,
)
from epimanager.services.units import require_committee_ids, unit_names_in
from epimanager.store.database import Database
from epimanager.store.models import Child, Committee


@dataclass(frozen=True)
class ManagedQuery:
    """管理门诊查询: children by managing unit, 区域划分 and 在册情况."""

    managing_unit: str | None = None
    committee: str | None = None
    #: 在册情况 codes or labels; None = all; see :data:`MANAGED` for the ones counted here
    statuses: tuple[Status | int | str, ...] | None = None
    born_from: date | None = None
    born_to: date | None = None

    title = "管理门诊查询"
    columns = (
        "儿童编码",
        "姓名",
        "性别",
        "出生日期",
        "母亲姓名",
        "父亲姓名",
        "联系电话",
        "区域划分",
        "在册情况",
        "居住属性",
        "管理单位",
        "家庭住址",
    )

    def fetch(self, db: Database, after: Cursor | None = None, limit: int = PAGE_SIZE) -> Page:
        day_range(self.born_from, self.born_to)
        own = db.own_unit_code()
        conds: list[Any] = [Child.deleted.is_(False)]
        if self.managing_unit:
            conds.append(Child.managing_unit == self.managing_unit.strip())
        statuses = status_codes(self.statuses)
        if statuses is not None:
            conds.append(Child.status.in_(statuses))
        if self.born_from:
            conds.append(Child.birth_date >= self.born_from)
        if self.born_to:
            conds.append(Child.birth_date <= self.born_to)
        # id windows: each call looks at no more than WINDOW ids, whatever the filters
        start = int(after[0]) if after else 0
        with db.session() as s:
            if self.committee:
                conds.append(Child.committee_id.in_(require_committee_ids(s, own, self.committee, by_code=True)))
            q = (
                select(
                    Child.id,
                    Child.code,
                    Child.name,
                    Child.sex,
                    Child.birth_date,
                    Child.mother_name,
                    Child.father_name,
                    Child.phone,
                    Committee.name,
                    Child.status,
                    Child.residence,
                    Child.managing_unit,
                    Child.address,
                )
                .outerjoin(Committee, Committee.id == Child.committee_id)
                .where(*conds, Child.id > start, Child.id <= start + common.WINDOW)
                .order_by(Child.id)
                .limit(limit)
            )
            rows = s.execute(q).all()
            top = int(s.scalar(select(func.max(Child.id))) or 0)
            units = unit_names_in(s, (r[11] for r in rows))
        out = []
        for r in rows:
            try:
                res = Residence(r[10]).label
            except ValueError:
                res = str(r[10])
            out.append(
                Row(
                    (
                        *(r[1], r[2], sex_label(r[3]), r[4], r[5], r[6], r[7], r[8], status_label(r[9]), res),
                        units.get(r[11], r[11]),
                        r[12],
                    ),
                    r[1],
                )
            )
        if len(rows) == limit:
            return Page(tuple(out), (rows[-1][0],))
        return Page(tuple(out), (start + common.WINDOW,) if start + common.WINDOW < top else None)


#: 在册情况 counted as managed here (the default of the 管理门诊 screen's "在册" choice).
MANAGED: tuple[Status, ...] = tuple(sorted(MANAGED_STATUSES))
