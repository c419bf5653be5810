"""The query screens (接种明细 / 管理门诊 / 免疫空白 / 个案变更 / 在册变更) and their export.

Each query is a frozen dataclass of filters with ``title``, ``columns`` and
``fetch(db, after, limit) -> Page``.  Pages use keyset pagination: ``after``
is the ``cursor`` of the previous page (``None`` for the first), so every
page is one short indexed query however far the user scrolls — the GUI
model and the exporters just keep asking for the next page.  ``Page.cursor``
is ``None`` when there is nothing more.

Every function opens its own short read session, so the GUI may call them
from a worker thread.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import func, or_, select, tuple_
from sqlalchemy.orm import Session, aliased

from epimanager.domain.codes import MANAGED_STATUSES, DoseAttribute, Residence, Sex, Status
from epimanager.domain.dates import age_in_months
from epimanager.domain.schedule import SeriesStatus
from epimanager.errors import NotFoundError, ValidationError
from epimanager.resources import catalog
from epimanager.services.audit import KIND_LABELS
from epimanager.services.database import Database
from epimanager.services.doses import resolve_vaccine_code
from epimanager.services.forecast import gap_scan
from epimanager.store.models import AuditLog, Child, Committee, Dose
from epimanager.store.models_registry import StatusChange

Cursor = tuple[Any, ...]
PAGE_SIZE = 200
#: At most this many index entries are read per ``fetch`` (bounds the time of one call).
WINDOW = 20_000


@dataclass(frozen=True, slots=True)
class Row:
    """One result row: display values (in ``columns`` order) and the child's code (to open it)."""

    values: tuple[Any, ...]
    child_code: str | None


@dataclass(frozen=True, slots=True)
class Page:
    rows: tuple[Row, ...]
    #: pass as ``after`` to get the next page; None = no more rows
    cursor: Cursor | None


class Query(Protocol):
    """What every query object offers (the GUI model and the exporters use only this)."""

    @property
    def title(self) -> str: ...

    @property
    def columns(self) -> tuple[str, ...]: ...

    def fetch(self, db: Database, after: Cursor | None = None, limit: int = PAGE_SIZE) -> Page: ...


def iter_rows(db: Database, query: Query, page_size: int = 2000) -> Iterator[Row]:
    """Every row of ``query``, page by page (memory stays flat)."""
    after: Cursor | None = None
    while True:
        page = query.fetch(db, after, page_size)
        yield from page.rows
        if page.cursor is None:
            return
        after = page.cursor


def row_json(columns: Sequence[str], row: Row) -> dict[str, Any]:
    return {c: _plain(v) for c, v in zip(columns, row.values, strict=True)}


def _plain(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.isoformat(sep=" ", timespec="seconds")
    if isinstance(v, date):
        return v.isoformat()
    return v


def display(v: Any) -> str:
    """How a value is shown in a table cell."""
    if v is None:
        return ""
    return str(_plain(v))


# -- helpers -------------------------------------------------------------------------


def _committee_ids(s: Session, unit: str, text: str) -> list[int]:
    t = text.strip()
    ids = list(
        s.scalars(
            select(Committee.id).where(Committee.unit_code == unit, or_(Committee.name == t, Committee.code == t))
        )
    )
    if not ids:
        known = s.scalars(select(Committee.name).where(Committee.unit_code == unit)).all()
        raise ValidationError(f"区域划分“{text}”不存在；可选：{'、'.join(known) or '（无）'}")
    return ids


def _statuses(values: Iterable[Status | int | str] | None) -> list[int] | None:
    if values is None:
        return None
    out = []
    for v in values:
        try:
            out.append(int(v) if isinstance(v, int) else int(Status.parse(v)))
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
    return out


def _day_range(start: date | None, end: date | None) -> None:
    if start and end and start > end:
        raise ValidationError(f"开始日期 {start.isoformat()} 晚于结束日期 {end.isoformat()}")


def _sex(v: str) -> str:
    try:
        return Sex(v).label
    except ValueError:
        return v


def _status(v: int) -> str:
    try:
        return Status(v).label
    except ValueError:
        return str(v)


def _after(cols: Sequence[Any], after: Cursor | None, *, desc: bool = False) -> list[Any]:
    if after is None:
        return []
    if len(cols) == 1:
        return [cols[0] < after[0] if desc else cols[0] > after[0]]
    key = tuple_(*cols)
    return [key < tuple_(*after) if desc else key > tuple_(*after)]


# -- 接种明细查询 ----------------------------------------------------------------------

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
        _day_range(self.start, self.end)
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
        in_range = [Dose.date >= self.start, Dose.date <= self.end, *_after((Dose.date, Dose.id), after)]
        with db.session() as s:
            if self.committee:
                conds.append(Child.committee_id.in_(_committee_ids(s, own, self.committee)))
            # the WINDOW-th dose from here (an index-only probe) bounds this call's scan
            bound = s.execute(
                select(Dose.date, Dose.id).where(*in_range).order_by(Dose.date, Dose.id).offset(WINDOW - 1).limit(1)
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
            else:
                place = r[8] + (f" {r[9]}" if r[9] and r[9] != r[8] else "")
            out.append(
                Row(
                    (
                        r[1],
                        vac.abbr if vac else r[2],
                        r[3],
                        attr_label,
                        r[5],
                        r[6],
                        r[7],
                        place,
                        r[10],
                        r[11],
                        _sex(r[12]),
                        r[13],
                        r[14],
                        r[15],
                        r[16],
                        _status(r[17]),
                    ),
                    r[10],
                )
            )
        return Page(tuple(out), cursor)


# -- 管理门诊查询 ----------------------------------------------------------------------


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
        _day_range(self.born_from, self.born_to)
        own = db.own_unit_code()
        conds: list[Any] = [Child.deleted.is_(False)]
        if self.managing_unit:
            conds.append(Child.managing_unit == self.managing_unit.strip())
        statuses = _statuses(self.statuses)
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
                conds.append(Child.committee_id.in_(_committee_ids(s, own, self.committee)))
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
                .where(*conds, Child.id > start, Child.id <= start + WINDOW)
                .order_by(Child.id)
                .limit(limit)
            )
            rows = s.execute(q).all()
            top = int(s.scalar(select(func.max(Child.id))) or 0)
        out = []
        for r in rows:
            try:
                res = Residence(r[10]).label
            except ValueError:
                res = str(r[10])
            out.append(
                Row(
                    (r[1], r[2], _sex(r[3]), r[4], r[5], r[6], r[7], r[8], _status(r[9]), res, r[11], r[12]),
                    r[1],
                )
            )
        if len(rows) == limit:
            return Page(tuple(out), (rows[-1][0],))
        return Page(tuple(out), (start + WINDOW,) if start + WINDOW < top else None)


#: 在册情况 counted as managed here (the default of the 管理门诊 screen's "在册" choice).
MANAGED: tuple[Status, ...] = tuple(sorted(MANAGED_STATUSES))


# -- 免疫空白查询 ----------------------------------------------------------------------

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
                    name = vac.abbr if vac else f.name
                    late = "(超期)" if f.status == SeriesStatus.OVERDUE else ""
                    items.append(f"{name}第{f.next_dose}剂{late}")
                values = (
                    child.code,
                    child.name,
                    _sex(child.sex),
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


# -- 个案变更查询 ----------------------------------------------------------------------

#: 个案变更查询 kinds → audit kinds.
CHANGE_KINDS: dict[str, tuple[str, ...]] = {
    "基本资料": ("create", "import", "update", "status"),
    "接种剂次": ("dose_add", "dose_update", "dose_delete", "dose_restore"),
    "删除个案": ("child_delete", "child_restore"),
    "合并个案": ("merge", "merge_undo"),
}

FIELD_LABELS: dict[str, str] = {
    "name": "姓名",
    "sex": "性别",
    "birth_date": "出生日期",
    "birth_time": "出生时间",
    "birth_weight_kg": "出生体重",
    "mother_name": "母亲姓名",
    "mother_id_number": "母亲身份证号",
    "father_name": "父亲姓名",
    "father_id_number": "父亲身份证号",
    "phone": "联系电话",
    "id_number": "身份证号",
    "birth_cert_no": "出生证号",
    "address": "家庭住址",
    "hukou_county": "户籍县",
    "residence": "居住属性",
    "committee": "区域划分",
    "school": "学校",
    "mother_hbsag": "母亲HBsAg",
    "allergy": "过敏史",
    "remark": "备注",
    "status": "在册情况",
    "vaccine": "疫苗",
    "dose_number": "剂次",
    "date": "接种日期",
    "attribute": "接种属性",
    "batch_no": "批号",
    "expiry": "失效期",
    "manufacturer": "生产企业",
    "site": "接种部位",
    "route": "接种途径",
    "nurse": "接种护士",
    "unit_code": "接种单位",
    "place_text": "接种地点",
    "free": "免费",
    "trace_code": "追溯码",
}


def parse_change_kind(text: str) -> tuple[str, ...]:
    t = text.strip()
    aliases = {"basic": "基本资料", "dose": "接种剂次", "delete": "删除个案", "merge": "合并个案"}
    t = aliases.get(t, t)
    if t not in CHANGE_KINDS:
        raise ValidationError(f"变更类别“{text}”无效，应为：" + "、".join(CHANGE_KINDS))
    return CHANGE_KINDS[t]


@dataclass(frozen=True)
class ChangeQuery:
    """个案变更查询 over the audit log, newest first."""

    start: date | None = None
    end: date | None = None
    #: 基本资料 / 接种剂次 / 删除个案 / 合并个案 (or basic / dose / delete / merge)
    kind: str | None = None
    user: str | None = None
    child_code: str | None = None

    title = "个案变更查询"
    columns = ("时间", "类别", "操作", "儿童编码", "姓名", "字段", "原值", "新值", "操作员")

    def fetch(self, db: Database, after: Cursor | None = None, limit: int = PAGE_SIZE) -> Page:
        _day_range(self.start, self.end)
        conds: list[Any] = []
        if self.start:
            conds.append(AuditLog.at >= datetime.combine(self.start, datetime.min.time()))
        if self.end:
            conds.append(AuditLog.at < datetime.combine(self.end + timedelta(days=1), datetime.min.time()))
        kinds = parse_change_kind(self.kind) if self.kind else None
        if kinds:
            conds.append(AuditLog.kind.in_(kinds))
        if self.user:
            conds.append(AuditLog.user == self.user.strip())
        group_of = {k: g for g, ks in CHANGE_KINDS.items() for k in ks}
        with db.session() as s:
            top = int(after[0]) if after else int(s.scalar(select(func.max(AuditLog.id))) or 0) + 1
            low = top - WINDOW  # each call looks at no more than WINDOW entries
            conds += [AuditLog.id < top, AuditLog.id >= low]
            if self.child_code:
                cid = s.scalar(select(Child.id).where(Child.code == self.child_code.strip()))
                if cid is None:
                    raise NotFoundError(f"找不到儿童编码为 {self.child_code} 的个案")
                conds.append(AuditLog.child_id == cid)
            q = (
                select(
                    AuditLog.id,
                    AuditLog.at,
                    AuditLog.kind,
                    Child.code,
                    Child.name,
                    AuditLog.field,
                    AuditLog.old_value,
                    AuditLog.new_value,
                    AuditLog.user,
                )
                .outerjoin(Child, Child.id == AuditLog.child_id)
                .where(*conds)
                .order_by(AuditLog.id.desc())
                .limit(limit)
            )
            rows = s.execute(q).all()
        out = [
            Row(
                (
                    r[1],
                    group_of.get(r[2], "其他"),
                    KIND_LABELS.get(r[2], r[2]),
                    r[3],
                    r[4],
                    FIELD_LABELS.get(r[5], r[5]) if r[5] else None,
                    r[6],
                    r[7],
                    r[8],
                ),
                r[3],
            )
            for r in rows
        ]
        if len(rows) == limit:
            return Page(tuple(out), (rows[-1][0],))
        return Page(tuple(out), (low,) if low > 1 else None)


# -- 在册变更查询 ----------------------------------------------------------------------


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
        _day_range(self.start, self.end)
        own = db.own_unit_code()
        conds: list[Any] = [Child.deleted.is_(False)]
        if self.start:
            conds.append(StatusChange.change_date >= self.start)
        if self.end:
            conds.append(StatusChange.change_date <= self.end)
        if self.status is not None and self.status != "":
            st = _statuses([self.status])
            assert st is not None
            conds.append(StatusChange.new_status == st[0])
        with db.session() as s:
            if self.committee:
                conds.append(Child.committee_id.in_(_committee_ids(s, own, self.committee)))
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
                .where(*conds, *_after((StatusChange.change_date, StatusChange.id), after))
                .order_by(StatusChange.change_date, StatusChange.id)
                .limit(limit)
            )
            rows = s.execute(q).all()
        out = [
            Row(
                (r[1], r[2], r[3], _sex(r[4]), r[5], r[6], _status(r[7]), _status(r[8]), r[9], r[10], r[11], r[12]),
                r[2],
            )
            for r in rows
        ]
        cursor = (rows[-1][1], rows[-1][0]) if len(rows) == limit else None
        return Page(tuple(out), cursor)


# -- export --------------------------------------------------------------------------

EXPORT_FORMATS = ("csv", "xlsx", "json")


def export_csv(columns: Sequence[str], rows: Iterable[Row], path: Path) -> int:
    """Write a CSV (UTF-8 with BOM, so Excel opens the Chinese right).  Returns the row count."""
    n = 0
    with Path(path).open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(columns)
        for row in rows:
            w.writerow([display(v) for v in row.values])
            n += 1
    return n


def export_xlsx(columns: Sequence[str], rows: Iterable[Row], path: Path, *, title: str = "查询结果") -> int:
    """Write an .xlsx (streamed: write-only workbook).  Returns the row count."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title[:31])
    header = []
    for c in columns:
        cell = WriteOnlyCell(ws, value=c)
        cell.font = Font(bold=True)
        header.append(cell)
    ws.append(header)
    n = 0
    for row in rows:
        values: list[Any] = []
        for v in row.values:
            if isinstance(v, datetime):
                values.append(v.isoformat(sep=" ", timespec="seconds"))
            elif isinstance(v, date):
                cell = WriteOnlyCell(ws, value=datetime.combine(v, datetime.min.time()))
                cell.number_format = "yyyy-mm-dd"
                values.append(cell)
            else:
                values.append(v)
        ws.append(values)
        n += 1
    wb.save(str(path))
    return n


def export_query(db: Database, query: Query, path: Path, fmt: str | None = None) -> int:
    """Run ``query`` to the end and write it as csv or xlsx (by ``fmt`` or the file suffix)."""
    fmt = (fmt or Path(path).suffix.lstrip(".")).lower()
    if fmt == "csv":
        return export_csv(query.columns, iter_rows(db, query), path)
    if fmt == "xlsx":
        return export_xlsx(query.columns, iter_rows(db, query), path, title=query.title)
    raise ValidationError(f"导出格式“{fmt}”无效，应为 csv 或 xlsx")
