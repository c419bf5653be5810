"""免疫空白查询: managed children with due or overdue doses (the call-up list)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from epimanager.domain.dates import age_in_months
from epimanager.domain.schedule import SeriesStatus
from epimanager.resources import catalog
from epimanager.services.forecast import gap_scan
from epimanager.services.queries.common import PAGE_SIZE, Cursor, Page, Row, sex_label
from epimanager.store.database import Database

_OPEN = (SeriesStatus.DUE, SeriesStatus.OVERDUE)


@dataclass(frozen=True)
class GapQuery:
    """免疫空白查询: managed children with due or overdue doses on ``on`` (the call-up list).

    Uses the schedule engine; children who moved out, died or are otherwise
    not managed here are skipped, and so are children 18 or older.
    """

    on: date
    series: str | None = None
    committee: str | None = None
    preferences: Mapping[str, str] | None = field(default=None, hash=False, compare=False)
    #: at most this many children are evaluated per ``fetch`` (keeps each call short)
    scan: int = 1000

    title = "免疫空白查询"
    columns = (
        "儿童编码",
        "姓名",
        "性别",
        "出生日期",
        "月龄",
        "母亲姓名",
        "父亲姓名",
        "联系电话",
        "区域划分",
        "家庭住址",
        "应种疫苗",
    )

    def fetch(self, db: Database, after: Cursor | None = None, limit: int = PAGE_SIZE) -> Page:
        cat = catalog()
        last_id = int(after[0]) if after else 0
        out: list[Row] = []
        chunk = max(limit, 500)
        scan = gap_scan(db, self.on, self.series, self.committee, self.preferences, after_id=last_id, page_size=chunk)
        for scanned, (cid, child) in enumerate(scan, start=1):
            last_id = cid
            if child is not None:
                items = []
                for f in child.due:
                    vac = cat.get(f.vaccine) if f.vaccine else None
                    name = vac.name if vac else f.name
                    late = "(超期)" if f.status == SeriesStatus.OVERDUE else ""
                    items.append(f"{name}第{f.next_dose}剂{late}")
                values = (
                    child.code,
                    child.name,
                    sex_label(child.sex),
                    child.birth_date,
                    age_in_months(child.birth_date, self.on),
                    child.mother_name,
                    child.father_name,
                    child.phone,
                    child.committee,
                    child.address,
                    "、".join(items),
                )
                out.append(Row(values, child.code))
            if len(out) >= limit or scanned >= self.scan:
                scan.close()
                return Page(tuple(out), (last_id,))
        return Page(tuple(out), None)  # read to the end
