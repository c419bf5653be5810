"""Stock reports: monthly 出入库 summary, stock on hand, movements list.

Every figure is summed from the ledger.  In the monthly summary the closing
balance is summed independently (all movements before the month's end), so
``opening + received − issued − wasted + adjusted = closing`` is a check on
the ledger, not an assignment.  Tables and CSV/xlsx files: :mod:`.export`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import and_, case, func, select

from epimanager.domain import stock as rules
from epimanager.errors import ValidationError
from epimanager.resources import catalog
from epimanager.services.stock.ledger import resolve_vaccine
from epimanager.services.stock.records import MovementRecord, batch_record, movement_record, unit_of, vaccine_names
from epimanager.services.stock.syringe_types import SYRINGE, VACCINE
from epimanager.store.database import Database
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
    #: of ``issued``: doses recorded for children (for a syringe: syringes those doses took)
    doses_given: int
    #: vaccine (figures in 人份) / syringe (figures in 支)
    kind: str = VACCINE

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
    #: the vaccine part
    rows: tuple[SummaryRow, ...]
    #: the syringe part (注射器, by type then batch)
    syringe_rows: tuple[SummaryRow, ...] = ()

    @property
    def title(self) -> str:
        return f"{self.year}年{self.month}月 疫苗出入库汇总"

    @property
    def syringe_title(self) -> str:
        return f"{self.year}年{self.month}月 注射器出入库汇总"

    def vaccine_totals(self) -> list[SummaryRow]:
        """One row per vaccine (batch ``小计``, earliest expiry) adding up its batches."""
        return _totals(self.rows)

    def syringe_totals(self) -> list[SummaryRow]:
        """One row per syringe type adding up its batches."""
        return _totals(self.syringe_rows)

    def to_json(self) -> dict[str, Any]:
        def short(t: SummaryRow) -> dict[str, Any]:
            drop = ("batch_no", "expiry", "manufacturer", "specification", "kind")
            return {k: v for k, v in t.to_json().items() if k not in drop}

        return {
            "year": self.year,
            "month": self.month,
            "rows": [r.to_json() for r in self.rows],
            "vaccines": [short(t) for t in self.vaccine_totals()],
            "syringe_rows": [r.to_json() for r in self.syringe_rows],
            "syringes": [short(t) for t in self.syringe_totals()],
        }


def _totals(rows: tuple[SummaryRow, ...]) -> list[SummaryRow]:
    """One row per product code (batch ``小计``, earliest expiry) adding up its batches."""
    totals: dict[str, SummaryRow] = {}
    for r in rows:
        t = totals.get(r.vaccine_code)
        if t is None:
            totals[r.vaccine_code] = replace(r, manufacturer="", specification="", batch_no="小计")
        else:
            sums = {f: getattr(t, f) + getattr(r, f) for f in _FIGURES}
            totals[r.vaccine_code] = replace(t, expiry=min(t.expiry, r.expiry), **sums)
    return list(totals.values())


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
            abbr, name = vaccine_names(p.vaccine_code)
            rows.append(
                SummaryRow(
                    vaccine_code=p.vaccine_code,
                    vaccine_abbr=abbr,
                    vaccine_name=name,
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
                    kind=p.kind,
                )
            )
    rows.sort(key=lambda r: (_class_order(r.vaccine_code), r.manufacturer, r.expiry, r.batch_no))
    vaccines = tuple(r for r in rows if r.kind == VACCINE)
    return MonthlySummary(year, month, vaccines, tuple(r for r in rows if r.kind == SYRINGE))


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
    #: vaccine (quantities in 人份) / syringe (in 支)
    kind: str = VACCINE
    #: the stock batch and its product (to open its ledger, or to find it in a notice)
    batch_id: int = 0
    product_id: int = 0

    @property
    def unit(self) -> str:
        return unit_of(self.kind)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["expiry"] = self.expiry.isoformat()
        return d


def on_hand(db: Database, on: date | None = None, *, near_days: int = 30) -> list[OnHandRow]:
    """Every batch with stock, by vaccine then expiry; then the syringes, by type then expiry."""
    on = on or date.today()
    with db.session() as s:
        bs = s.scalars(select(StockBatch).join(StockProduct).where(StockBatch.quantity > 0)).all()
        rows = []
        for b in map(batch_record, bs):
            days = (b.expiry - on).days
            status = "已过期" if days < 0 else "近效期" if days <= near_days else ""
            rows.append(
                OnHandRow(
                    vaccine_code=b.vaccine_code,
                    vaccine_abbr=b.vaccine_abbr,
                    manufacturer=b.manufacturer,
                    specification=b.specification,
                    doses_per_vial=b.doses_per_vial,
                    batch_no=b.batch_no,
                    expiry=b.expiry,
                    days_left=days,
                    quantity=b.quantity,
                    closed_vials=b.closed_vials,
                    open_remaining=b.open_remaining,
                    status=status,
                    kind=b.kind,
                    batch_id=b.id,
                    product_id=b.product_id,
                )
            )
    # vaccines first (by class), then syringes (by type)
    rows.sort(key=lambda r: (r.kind == SYRINGE, _class_order(r.vaccine_code), r.expiry, r.batch_no))
    return rows


def movements(
    db: Database,
    start: date,
    end: date,
    *,
    vaccine: str | None = None,
    batch_no: str | None = None,
    batch_id: int | None = None,
) -> list[MovementRecord]:
    """Ledger lines dated ``start`` ≤ date < ``end``, in date order, with each batch's running balance.

    ``batch_id`` keeps one stock batch (the on-hand list's row), whatever its product's name.
    """
    if end <= start:
        raise ValidationError("结束日期应晚于开始日期")
    m = StockMovement
    q = select(m).join(StockBatch).join(StockProduct).where(m.date >= start, m.date < end)
    if vaccine:
        q = q.where(StockProduct.vaccine_code == resolve_vaccine(vaccine))
    if batch_no:
        q = q.where(StockBatch.batch_no == rules.normalize_batch_no(batch_no))
    if batch_id is not None:
        q = q.where(StockBatch.id == batch_id)
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
