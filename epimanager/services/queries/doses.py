"""接种明细查询: doses in a date range with the child's basic data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import or_, select, tuple_

from epimanager.domain.codes import DoseAttribute
from epimanager.errors import ValidationError
from epimanager.resources import catalog
from epimanager.services.doses import resolve_vaccine_code
from epimanager.services.queries import common
from epimanager.services.queries.common import (
    PAGE_SIZE,
    Cursor,
    Page,
    Row,
    after_key,
    day_range,
    sex_label,
    status_label,
)
from epimanager.services.units import require_committee_ids, unit_names_in
from epimanager.store.database import Database
from epimanager.store.models import Child, Committee, Dose

PLACE_OWN, PLACE_OTHER = "own", "other"


@dataclass(frozen=True)
class DoseQuery:
    """接种明细查询: doses in a date range with the child's basic data."""

    start: date
    end: date
    vaccine: str | None = None
    batch: str | None = None
    nurse: str | None = None
    attribute: str | int | None = None
    #: ``own`` (given here), ``other`` (another unit or 外地), None = both
    place: str | None = None
    committee: str | None = None

    title = "接种明细查询"
    columns = (
        "接种日期",
        "疫苗",
        "剂次",
        "接种属性",
        "批号",
        "生产企业",
        "接种护士",
        "接种地点",
        "儿童编码",
        "姓名",
        "性别",
        "出生日期",
        "母亲姓名",
        "联系电话",
        "区域划分",
        "在册情况",
    )

    def fetch(self, db: Database, after: Cursor | None = None, limit: int = PAGE_SIZE) -> Page:
        day_range(self.start, self.end)
        own = db.own_unit_code()
        conds: list[Any] = [Dose.deleted.is_(False), Child.deleted.is_(False)]
        if self.vaccine:
            conds.append(Dose.vaccine_code == resolve_vaccine_code(self.vaccine))
        if self.batch:
            conds.append(Dose.batch_no == self.batch.strip())
        if self.nurse:
            conds.append(Dose.nurse == self.nurse.strip())
        if self.attribute is not None and self.attribute != "":
            try:
                attr = DoseAttribute.parse(
                    str(int(self.attribute) if isinstance(self.attribute, int) else self.attribute)
                )
            except ValueError as exc:
                raise ValidationError(str(exc)) from None
            conds.append(Dose.attribute == int(attr))
        if self.place == PLACE_OWN:
            conds.append(Dose.unit_code == own)
        elif self.place == PLACE_OTHER:
            conds.append(or_(Dose.unit_code.is_(None), Dose.unit_code != own))
        elif self.place:
            raise ValidationError("接种地点应为 own（本单位）或 other（外地/其他单位）")
        cat = catalog()
        # Each call reads at most WINDOW doses of the date index (then filters them), so a
        # rare filter over a long period never scans millions of rows in one call.
        in_range = [Dose.date >= self.start, Dose.date <= self.end, *after_key((Dose.date, Dose.id), after)]
        with db.session() as s:
            if self.committee:
                conds.append(Child.committee_id.in_(require_committee_ids(s, own, self.committee, by_code=True)))
            # the WINDOW-th dose from here (an index-only probe) bounds this call's scan
            bound = s.execute(
                select(Dose.date, Dose.id)
                .where(*in_range)
                .order_by(Dose.date, Dose.id)
                .offset(common.WINDOW - 1)
                .limit(1)
            ).first()
            if bound is not None:
                in_range += [Dose.date <= bound[0], tuple_(Dose.date, Dose.id) <= tuple_(bound[0], bound[1])]
            q = (
                select(
                    Dose.id,
                    Dose.date,
                    Dose.vaccine_code,
                    Dose.dose_number,
                    Dose.attribute,
                    Dose.batch_no,
                    Dose.manufacturer,
                    Dose.nurse,
                    Dose.unit_code,
                    Dose.place_text,
                    Child.code,
                    Child.name,
                    Child.sex,
                    Child.birth_date,
                    Child.mother_name,
                    Child.phone,
                    Committee.name,
                    Child.status,
                )
                .join(Child, Child.id == Dose.child_id)
                .outerjoin(Committee, Committee.id == Child.committee_id)
                .where(*conds, *in_range)
                .order_by(Dose.date, Dose.id)
                .limit(limit)
            )
            rows = s.execute(q).all()
            units = unit_names_in(s, (r[8] for r in rows if r[8] != own))
        if len(rows) == limit:
            cursor: Cursor | None = (rows[-1][1], rows[-1][0])
        else:
            cursor = (bound[0], bound[1]) if bound is not None else None
        out = []
        for r in rows:
            vac = cat.get(r[2])
            attr_label = DoseAttribute(r[4]).label if r[4] in {a.value for a in DoseAttribute} else str(r[4])
            if r[8] == own:
                place = "本单位"
            elif r[8] is None:
                place = r[9] or "外地"
            elif r[8] in units:  # another unit, by its name
                place = units[r[8]]
            else:
                place = r[8] + (f" {r[9]}" if r[9] and r[9] != r[8] else "")
            out.append(
                Row(
                    (
                        r[1],
                        vac.name if vac else r[2],
                        r[3],
                        attr_label,
                        r[5],
                        r[6],
                        r[7],
                        place,
                        r[10],
                        r[11],
                        sex_label(r[12]),
                        r[13],
                        r[14],
                        r[15],
                        r[16],
                        status_label(r[17]),
                    ),
                    r[10],
                )
            )
        return Page(tuple(out), cursor)
