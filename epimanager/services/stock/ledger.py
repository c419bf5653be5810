"""The stock ledger (``stock_movement``) that never goes negative, and what every movement shares.

Every change is a row in the ledger plus an update of the batch's cached balance in the
same transaction.  A movement that would take a batch below zero — now, or at the end of
any later day in the ledger — is refused with the batch and the shortfall named.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache

from sqlalchemy import Date, Select, bindparam, func, select
from sqlalchemy.orm import Session

from epimanager.domain import stock as rules
from epimanager.domain.stock import VialState
from epimanager.errors import NotFoundError, ValidationError
from epimanager.resources import catalog
from epimanager.services.stock.records import effective_open_vial_hours, unit_of, vaccine_names
from epimanager.services.stock.syringe_types import syringe_type
from epimanager.store.models_stock import StockBatch, StockMovement, StockProduct


def resolve_vaccine(text: str) -> str:
    """A vaccine code from its code, abbreviation or alias — or a syringe type (``AD-0.5``, ``MIX-5``)."""
    try:
        return catalog().resolve(text).code
    except KeyError as exc:
        stype = syringe_type(text)
        if stype is not None:
            return stype
        raise ValidationError(str(exc.args[0])) from None


def blank_to_none(v: str | None) -> str | None:
    return v.strip() if v and v.strip() else None


def check_date(on: date, today: date) -> None:
    if on > today:
        raise ValidationError(f"日期 {on.isoformat()} 晚于今天")


def find_batch(
    s: Session, vaccine: str, batch_no: str, manufacturer: str | None = None, specification: str | None = None
) -> StockBatch:
    code = resolve_vaccine(vaccine)
    bno = rules.normalize_batch_no(batch_no)
    q = select(StockBatch).join(StockProduct).where(StockProduct.vaccine_code == code, StockBatch.batch_no == bno)
    if manufacturer and manufacturer.strip():
        q = q.where(StockProduct.manufacturer == manufacturer.strip())
    if specification and specification.strip():
        q = q.where(StockProduct.specification == specification.strip())
    found = list(s.scalars(q))
    abbr = vaccine_names(code)[0]
    if not found:
        raise NotFoundError(f"库存中没有 {abbr} 批号 {bno}")
    if len(found) > 1:
        raise ValidationError(f"{abbr} 批号 {bno} 属于多个产品，请指定生产企业或规格")
    return found[0]


# ---------------------------------------------------------------- balances


def vial_state(b: StockBatch) -> VialState:
    return VialState(b.quantity, b.open_remaining, b.opened_at)


def set_state(b: StockBatch, st: VialState) -> None:
    b.quantity = st.quantity
    b.open_remaining = st.open_remaining
    b.opened_at = st.opened_at


@cache
def _later_days_statement() -> Select[date, int]:
    # each day after ``on`` with movements, its sum: a range of the (batch, date) index, so a dose of
    # today reads nothing however long the batch's ledger is
    return (
        select(StockMovement.date, func.sum(StockMovement.delta))
        .where(StockMovement.batch_id == bindparam("batch"), StockMovement.date > bindparam("on", type_=Date))
        .group_by(StockMovement.date)
    )


def _balance_floor(s: Session, b: StockBatch, on: date) -> int:
    """The lowest end-of-day balance from ``on`` onwards (by the ledger).

    The batch's quantity is its ledger's balance (every movement changes it by its delta, in the same
    transaction), so the balance at the end of ``on`` is the quantity less the later days' movements;
    only those are read (the whole ledger was summed for each dose: ~2.6 ms a save under the clinic
    write lock for a batch with ~30,000 movements)."""
    later = sorted((d, int(t)) for d, t in s.execute(_later_days_statement(), {"batch": b.id, "on": on}))
    running = b.quantity - sum(t for _d, t in later)
    floor = running
    for _d, t in later:
        running += t
        floor = min(floor, running)
    return floor


def short_error(b: StockBatch, available: int, needed: int, note: str = "") -> ValidationError:
    abbr = vaccine_names(b.product.vaccine_code)[0]
    u = unit_of(b.product.kind)
    return ValidationError(
        f"库存不足：{abbr} 批号 {b.batch_no} 可用 {available} {u}{note}，"
        f"需要 {needed} {u}，缺少 {needed - available} {u}"
    )


def check_floor(s: Session, b: StockBatch, delta: int, on: date) -> None:
    """Refuse a decrease that would make any end-of-day balance from ``on`` negative."""
    if delta >= 0:
        return
    s.flush()
    floor = _balance_floor(s, b, on)
    if floor + delta < 0:
        note = f"（按 {on.isoformat()} 起的结存）" if floor < b.quantity else ""
        raise short_error(b, floor, -delta, note)


def add_movement(
    s: Session,
    b: StockBatch,
    *,
    subtype: str,
    delta: int,
    on: date,
    now: datetime,
    user: str | None,
    document_no: str | None = None,
    supplier: str | None = None,
    counterparty: str | None = None,
    reason: str | None = None,
    dose_uuid: str | None = None,
    vial_opened_at: datetime | None = None,
) -> StockMovement:
    kind = rules.SUBTYPES[subtype][0]
    m = StockMovement(
        batch=b,
        kind=kind.value,
        subtype=subtype,
        delta=delta,
        date=on,
        at=now,
        document_no=blank_to_none(document_no),
        supplier=blank_to_none(supplier),
        counterparty=blank_to_none(counterparty),
        reason=blank_to_none(reason),
        user=user,
        dose_uuid=dose_uuid,
        vial_opened_at=vial_opened_at,
    )
    s.add(m)
    s.flush()
    return m


def write_off_open_vial(s: Session, b: StockBatch, now: datetime, user: str | None) -> StockMovement | None:
    """损耗 for the remainder of an open vial past its hours (None when it is still good)."""
    hours = effective_open_vial_hours(b.product)
    st = vial_state(b)
    if not st.open_expired(hours, now):
        return None
    assert st.opened_at is not None
    expired_at = rules.open_vial_expires_at(st.opened_at, hours)
    n = st.open_remaining
    set_state(b, rules.take(st, n, open_first=True))
    return add_movement(
        s,
        b,
        subtype="open_vial",
        delta=-n,
        on=min(expired_at.date(), now.date()),
        now=now,
        user=user,
        reason=f"开启于 {st.opened_at:%Y-%m-%d %H:%M}，超过 {hours:g} 小时未用完",
    )
