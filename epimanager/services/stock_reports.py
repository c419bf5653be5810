"""Stock reports: monthly 出入库 summary, stock on hand, movements list; CSV/xlsx export.

Every figure is summed from the ledger.  In the monthly summary the closing
balance is summed independently (all movements before the month's end), so
``opening + received − issued − wasted + adjusted = closing`` is a check on
the ledger, not an assignment.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import and_, case, func, select

from epimanager.domain import stock as rules
from epimanager.errors import ValidationError
from epimanager.resources import catalog
from epimanager.services.database import Database
from epimanager.services.stock import MovementRecord, movement_record, resolve_vaccine
from epimanager.store.models_stock import StockBatch, StockMovement, StockProduct


@dataclass(frozen=True)
class SummaryRow:
    """One batch in the monthly 出入库 summary (all figures in 人份)."""

    vaccine_code: str
    vaccine_abbr: str
    vaccine_name: str
    manufacturer: str
    specification: str
    batch_no: str
    expiry: date
    opening: int
    received: int
    #: 出库: doses given, use, returns, transfers (net of deleted doses)
    issued: int
    wasted: int
    #: 盘点 adjustments (+ surplus, − loss)
    adjusted: int
    closing: int
    #: of ``issued``: doses recorded for children
    doses_given: int

    @property
    def balanced(self) -> bool:
        return self.opening + self.received - self.issued - self.wasted + self.adjusted == self.closing

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["expiry"] = self.expiry.isoformat()
        return d


_FIGURES = ("opening", "received", "issued", "wasted", "adjusted", "closing", "doses_given")


@dataclass(frozen=True)
class MonthlySummary:
    year: int
    month: int
    rows: tuple[SummaryRow, ...]

    @property
    def title(self) -> str:
        return f"{self.year}年{self.month}月 疫苗出入库汇总"

    def vaccine_totals(self) -> list[SummaryRow]:
        """One row per vaccine (batch ``小计``, earliest expiry) adding up its batches."""
        totals: dict[str, SummaryRow] = {}
        for r in self.rows:
            t = totals.get(r.vaccine_code)
            if t is None:
                totals[r.vaccine_code] = replace(r, manufacturer="", specification="", batch_no="小计")
            else:
                sums = {f: getattr(t, f) + getattr(r, f) for f in _FIGURES}
                totals[r.vaccine_code] = replace(t, expiry=min(t.expiry, r.expiry), **sums)
        return list(totals.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "month": self.month,
            "rows": [r.to_json() for r in self.rows],
            "vaccines": [
                {
                    k: v
                    for k, v in t.to_json().items()
                    if k not in ("batch_no", "expiry", "manufacturer", "specification")
                }
                for t in self.vaccine_totals()
            ],
        }


def _class_order(code: str) -> tuple[int, str]:
    vac = catalog().get(code)
    if vac is None:
        return (999, code)
    order = {c.code: c.order for c in catalog().classes}
    return (order.get(vac.class_code, 999), code)


def monthly_summary(db: Database, year: int, month: int) -> MonthlySummary:
    """Opening, in, out, wastage, adjustments and closing per vaccine and batch for one month.

    A batch appears when it had a balance at the start of the month or any
    movement in it.
    """
    start, end = rules.month_bounds(year, month)
    m = StockMovement
    in_month = and_(m.date >= start, m.date < end)

    def in_month_sum(*cond: Any) -> Any:
        return func.coalesce(func.sum(case((and_(in_month, *cond), m.delta), else_=0)), 0)

    q = (
        select(
            m.batch_id,
            func.coalesce(func.sum(case((m.date < start, m.delta), else_=0)), 0),
            in_month_sum(m.kind == "in"),
            in_month_sum(m.kind == "out"),
            in_month_sum(m.kind == "waste"),
            in_month_sum(m.kind == "count"),
            func.coalesce(func.sum(m.delta), 0),
            in_month_sum(m.subtype == "dose"),
            func.count(case((in_month, 1))),
        )
        .where(m.date < end)
        .group_by(m.batch_id)
    )
    with db.session() as s:
        sums = {r[0]: r[1:] for r in s.execute(q).all()}
        batches = {
            b.id: b for b in s.scalars(select(StockBatch).where(StockBatch.id.in_(list(sums))).join(StockProduct)).all()
        }
        rows: list[SummaryRow] = []
        for bid, (opening, rec, out, wst, adj, closing, doses, n) in sums.items():
            if opening == 0 and n == 0:
                continue
            b = batches[bid]
            p = b.product
            vac = catalog().get(p.vaccine_code)
            rows.append(
                SummaryRow(
                    vaccine_code=p.vaccine_code,
                    vaccine_abbr=vac.abbr if vac else p.vaccine_code,
                    vaccine_name=vac.name if vac else p.vaccine_code,
                    manufacturer=p.manufacturer,
                    specification=p.specification,
                    batch_no=b.batch_no,
                    expiry=b.expiry,
                    opening=int(opening),
                    received=int(rec),
                    issued=-int(out),
                    wasted=-int(wst),
                    adjusted=int(adj),
                    closing=int(closing),
                    doses_given=-int(doses),
                )
            )
    rows.sort(key=lambda r: (_class_order(r.vaccine_code), r.manufacturer, r.expiry, r.batch_no))
    return MonthlySummary(year, month, tuple(rows))


@dataclass(frozen=True)
class OnHandRow:
    vaccine_code: str
    vaccine_abbr: str
    manufacturer: str
    specification: str
    doses_per_vial: int
    batch_no: str
    expiry: date
    days_left: int
    #: 人份 in all (closed vials + open vial)
    quantity: int
    closed_vials: int
    open_remaining: int
    #: "已过期" / "近效期" (within 30 days) / ""
    status: str

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["expiry"] = self.expiry.isoformat()
        return d


def on_hand(db: Database, on: date | None = None, *, near_days: int = 30) -> list[OnHandRow]:
    """Every batch with stock, by vaccine then expiry."""
    on = on or date.today()
    with db.session() as s:
        bs = s.scalars(select(StockBatch).join(StockProduct).where(StockBatch.quantity > 0)).all()
        rows = []
        for b in bs:
            p = b.product
            days = (b.expiry - on).days
            status = "已过期" if days < 0 else "近效期" if days <= near_days else ""
            vac = catalog().get(p.vaccine_code)
            rows.append(
                OnHandRow(
                    vaccine_code=p.vaccine_code,
                    vaccine_abbr=vac.abbr if vac else p.vaccine_code,
                    manufacturer=p.manufacturer,
                    specification=p.specification,
                    doses_per_vial=p.doses_per_vial,
                    batch_no=b.batch_no,
                    expiry=b.expiry,
                    days_left=days,
                    quantity=b.quantity,
                    closed_vials=(b.quantity - b.open_remaining) // p.doses_per_vial,
                    open_remaining=b.open_remaining,
                    status=status,
                )
            )
    rows.sort(key=lambda r: (_class_order(r.vaccine_code), r.expiry, r.batch_no))
    return rows


def movements(
    db: Database, start: date, end: date, *, vaccine: str | None = None, batch_no: str | None = None
) -> list[MovementRecord]:
    """Ledger lines dated ``start`` ≤ date < ``end``, in date order, with each batch's running balance."""
    if end <= start:
        raise ValidationError("结束日期应晚于开始日期")
    m = StockMovement
    q = select(m).join(StockBatch).join(StockProduct).where(m.date >= start, m.date < end)
    if vaccine:
        q = q.where(StockProduct.vaccine_code == resolve_vaccine(vaccine))
    if batch_no:
        q = q.where(StockBatch.batch_no == rules.normalize_batch_no(batch_no))
    with db.session() as s:
        lines = s.scalars(q.order_by(m.date, m.id)).all()
        ids = {ln.batch_id for ln in lines}
        opening = {
            bid: int(total)
            for bid, total in s.execute(
                select(m.batch_id, func.sum(m.delta)).where(m.batch_id.in_(ids), m.date < start).group_by(m.batch_id)
            )
        }
        running = {bid: int(opening.get(bid) or 0) for bid in ids}
        out = []
        for ln in lines:
            running[ln.batch_id] += ln.delta
            out.append(movement_record(ln, running[ln.batch_id]))
        return out


def month_movements(db: Database, year: int, month: int, *, vaccine: str | None = None) -> list[MovementRecord]:
    start, end = rules.month_bounds(year, month)
    return movements(db, start, end, vaccine=vaccine)


# ---------------------------------------------------------------- tables and export


@dataclass(frozen=True)
class Table:
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


def summary_table(summary: MonthlySummary) -> Table:
    headers = (
        "疫苗编码",
        "疫苗",
        "生产企业",
        "规格",
        "批号",
        "失效期",
        "期初",
        "入库",
        "出库",
        "损耗",
        "盘点调整",
        "期末",
        "其中接种",
    )
    rows: list[tuple[Any, ...]] = []
    totals = {t.vaccine_code: t for t in summary.vaccine_totals()}
    for i, r in enumerate(summary.rows):
        rows.append(
            (
                r.vaccine_code,
                r.vaccine_abbr,
                r.manufacturer,
                r.specification,
                r.batch_no,
                r.expiry,
                r.opening,
                r.received,
                r.issued,
                r.wasted,
                r.adjusted,
                r.closing,
                r.doses_given,
            )
        )
        last_of_vaccine = i + 1 == len(summary.rows) or summary.rows[i + 1].vaccine_code != r.vaccine_code
        if last_of_vaccine:
            t = totals[r.vaccine_code]
            rows.append(
                (
                    t.vaccine_code,
                    t.vaccine_abbr,
                    "",
                    "",
                    "小计",
                    None,
                    t.opening,
                    t.received,
                    t.issued,
                    t.wasted,
                    t.adjusted,
                    t.closing,
                    t.doses_given,
                )
            )
    return Table(summary.title, headers, tuple(rows))


def on_hand_table(rows: Sequence[OnHandRow], on: date | None = None) -> Table:
    headers = (
        "疫苗编码",
        "疫苗",
        "生产企业",
        "规格",
        "每瓶人份",
        "批号",
        "失效期",
        "剩余天数",
        "库存人份",
        "未开启瓶数",
        "开启瓶剩余人份",
        "状态",
    )
    body = tuple(
        (
            r.vaccine_code,
            r.vaccine_abbr,
            r.manufacturer,
            r.specification,
            r.doses_per_vial,
            r.batch_no,
            r.expiry,
            r.days_left,
            r.quantity,
            r.closed_vials,
            r.open_remaining,
            r.status,
        )
        for r in rows
    )
    return Table(f"疫苗库存（{(on or date.today()).isoformat()}）", headers, body)


def movements_table(lines: Sequence[MovementRecord], title: str = "疫苗出入库明细") -> Table:
    headers = (
        "日期",
        "类型",
        "小类",
        "疫苗编码",
        "疫苗",
        "生产企业",
        "批号",
        "失效期",
        "数量",
        "结存",
        "单据号",
        "供货单位",
        "对方单位",
        "原因",
        "操作人",
        "接种记录",
    )
    body = tuple(
        (
            m.date,
            m.kind_label,
            m.subtype_label,
            m.vaccine_code,
            m.vaccine_abbr,
            m.manufacturer,
            m.batch_no,
            m.expiry,
            m.delta,
            m.balance,
            m.document_no,
            m.supplier,
            m.counterparty,
            m.reason,
            m.user,
            m.dose_uuid,
        )
        for m in lines
    )
    return Table(title, headers, body)


def _cell(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, date):
        return v.isoformat()
    return v


def table_csv(table: Table) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(table.headers)
    for r in table.rows:
        w.writerow([_cell(v) for v in r])
    return buf.getvalue()


def write_csv(table: Table, path: Path) -> Path:
    """UTF-8 with BOM, so that Excel on a Chinese Windows opens it correctly."""
    path.write_text(table_csv(table), encoding="utf-8-sig", newline="")
    return path


def write_xlsx(tables: Iterable[Table], path: Path) -> Path:
    """One sheet per table: a title row, a bold header row, then the rows (dates as dates)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    for i, t in enumerate(tables):
        ws = wb.create_sheet(title=_sheet_name(t.title, i))
        ws.append([t.title])
        ws["A1"].font = Font(bold=True, size=13)
        ws.append(list(t.headers))
        for cell in ws[2]:
            cell.font = Font(bold=True)
        for r in t.rows:
            ws.append(["" if v is None else v for v in r])
        for col, h in enumerate(t.headers, start=1):
            ws.column_dimensions[get_column_letter(col)].width = max(10, len(h) * 2 + 2)
            for row in ws.iter_rows(min_row=3, min_col=col, max_col=col):
                if isinstance(row[0].value, date):
                    row[0].number_format = "yyyy-mm-dd"
        ws.freeze_panes = "A3"
    wb.save(path)
    return path


def _sheet_name(title: str, i: int) -> str:
    bad = set("[]:*?/\\")
    name = "".join(ch for ch in title if ch not in bad)[:31]
    return name or f"Sheet{i + 1}"


def write_table(table: Table, path: Path, fmt: str) -> Path:
    if fmt == "csv":
        return write_csv(table, path)
    if fmt == "xlsx":
        return write_xlsx([table], path)
    raise ValidationError(f"导出格式应为 csv 或 xlsx：{fmt}")
