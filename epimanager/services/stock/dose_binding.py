"""Doses bound to stock batches, called by :mod:`epimanager.services.doses` inside its own transaction.

A dose given at this unit whose vaccine + batch number is a batch in stock takes one 人份
from it, and the syringes its vaccine needs (:mod:`.syringes`); deleting the dose or
changing its batch puts them back.  Doses for batches not in
stock (外地, back-entry, clinics not using stock) and doses dated before the batch's first
receipt are saved without touching stock.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import ScalarSelect, Select, bindparam, func, select
from sqlalchemy.orm import Session, contains_eager

from epimanager.domain import stock as rules
from epimanager.domain.stock import MovementKind, ShortStock
from epimanager.errors import ValidationError
from epimanager.services.stock.ledger import (
    add_movement,
    check_floor,
    set_state,
    short_error,
    vial_state,
    write_off_open_vial,
)
from epimanager.services.stock.records import TRACE7, MovementRecord, movement_record, vaccine_names
from epimanager.services.stock.syringe_types import VACCINE
from epimanager.services.stock.syringes import (
    clear_shortages,
    consume_syringes,
    keeps_syringes,
    syringes_kept_since,
)
from epimanager.store.database import cached_own_unit
from epimanager.store.models import Dose
from epimanager.store.models_stock import StockBatch, StockMovement, StockProduct, StockProductCode


def _first_receipt(batch_id: Any) -> ScalarSelect[date]:
    return (
        select(func.min(StockMovement.date))
        .where(StockMovement.batch_id == batch_id, StockMovement.kind == MovementKind.IN.value)
        .scalar_subquery()
    )


@cache
def _batches_statement() -> Select[StockBatch, date, date]:
    """The batches of a product code and batch number, each with its product (no lazy load later),
    its first receipt, and the clinic's first syringe receipt; built once."""
    return (
        select(StockBatch, _first_receipt(StockBatch.id), syringes_kept_since())
        .join(StockBatch.product)
        .options(contains_eager(StockBatch.product))
        .where(StockProduct.vaccine_code == bindparam("code"), StockBatch.batch_no == bindparam("bno"))
        .order_by(StockBatch.expiry, StockBatch.id)
    )


def _dose_batch(s: Session, dose: Dose) -> StockBatch | None:
    """The stock batch a dose draws on, or None when stock does not apply."""
    found = _dose_batch_and_syringes(s, dose)
    return None if found is None else found[0]


def _dose_batch_and_syringes(s: Session, dose: Dose) -> tuple[StockBatch, bool] | None:
    """:func:`_dose_batch`, and whether the clinic keeps syringes in stock on the dose's day
    (:func:`.syringes.keeps_syringes`), both read in one statement."""
    if dose.deleted or not dose.batch_no or not dose.batch_no.strip():
        return None
    # a dose that is one component of a combination product: the product's own dose carries the stock
    if dose.combination_code and dose.combination_code != dose.vaccine_code:
        return None
    own = cached_own_unit(s)
    if own is None or dose.unit_code != own:
        return None
    bno = rules.normalize_batch_no(dose.batch_no)
    rows = s.execute(_batches_statement(), {"code": dose.vaccine_code, "bno": bno}).all()
    if len(rows) > 1 and dose.manufacturer:
        same = [r for r in rows if r[0].product.manufacturer == dose.manufacturer.strip()]
        rows = same or rows
    if not rows:
        return None
    row = next((r for r in rows if r[0].quantity > 0), rows[0])
    first, syringes_since = row[1], row[2]
    if first is None or dose.date < first:
        return None  # the clinic did not yet hold this batch: back-entry
    return row[0], keeps_syringes(syringes_since, dose.date)


def consume_for_dose(
    s: Session, dose: Dose, *, user: str | None = None, now: datetime | None = None, fill: bool = True
) -> MovementRecord | None:
    """Take one 人份 for a dose from its batch, in the caller's transaction.

    Returns None when stock does not apply to the dose.  Refuses (ValidationError)
    an expired batch, a trace code of another product, or a batch with no dose left.
    With ``fill`` (a new dose) the dose's empty expiry and manufacturer are
    filled from the batch.
    """
    found = _dose_batch_and_syringes(s, dose)
    if found is None:
        return None
    b, syringes_kept = found
    p = b.product
    abbr = vaccine_names(p.vaccine_code)[0]
    if b.expiry < dose.date:
        raise ValidationError(f"{abbr} 批号 {b.batch_no} 已于 {b.expiry.isoformat()} 失效，不能用于接种")
    if dose.trace_code:
        owner = s.scalar(
            select(StockProductCode.product_id).where(
                StockProductCode.code == rules.trace_product_id(dose.trace_code), StockProductCode.kind == TRACE7
            )
        )
        if owner is not None and owner != p.id:
            other = s.get(StockProduct, owner)
            assert other is not None
            raise ValidationError(
                f"追溯码对应的产品是 {vaccine_names(other.vaccine_code)[0]} {other.manufacturer}，"
                f"与批号 {b.batch_no}（{abbr} {p.manufacturer}）不符"
            )
    if fill and dose.expiry is None:
        dose.expiry = b.expiry
    if fill and not dose.manufacturer and p.manufacturer:
        dose.manufacturer = p.manufacturer
    now = now or datetime.now()
    write_off_open_vial(s, b, now, user)
    opens_vial = p.doses_per_vial > 1 and b.open_remaining == 0
    try:
        new, drawn_from = rules.draw_dose(vial_state(b), p.doses_per_vial, now)
    except ShortStock as exc:
        raise short_error(b, exc.available, exc.needed) from None
    check_floor(s, b, -1, dose.date)
    set_state(b, new)
    m = add_movement(
        s,
        b,
        subtype="dose",
        delta=-1,
        on=dose.date,
        now=now,
        user=user,
        dose_uuid=dose.uuid,
        vial_opened_at=drawn_from,
    )
    record = movement_record(m, b.quantity)
    # the syringe(s): one to inject, one to mix when this dose opened a multi-dose vial
    consume_syringes(s, dose, opens_vial, user=user, now=now, kept=syringes_kept)
    return record


def release_for_dose(
    s: Session,
    dose: Dose,
    *,
    user: str | None = None,
    reason: str = "删除接种记录",
    now: datetime | None = None,
) -> list[MovementRecord]:
    """Put back what a dose took from stock (dose deleted or its batch changed).

    The return is dated like the use it cancels, so the month the dose was
    counted in nets to zero.
    """
    now = now or datetime.now()
    clear_shortages(s, dose.uuid)
    rows = s.execute(
        select(StockMovement.batch_id, func.sum(StockMovement.delta))
        .where(StockMovement.dose_uuid == dose.uuid, StockMovement.kind == MovementKind.OUT.value)
        .group_by(StockMovement.batch_id)
    ).all()
    out = []
    for batch_id, net in rows:
        if int(net) >= 0:
            continue
        b = s.get(StockBatch, batch_id)
        assert b is not None
        last = s.scalars(
            select(StockMovement)
            .where(StockMovement.dose_uuid == dose.uuid, StockMovement.batch_id == batch_id, StockMovement.delta < 0)
            .order_by(StockMovement.id.desc())
            .limit(1)
        ).one()
        st = vial_state(b)
        for _ in range(-int(net)):
            st = rules.return_dose(st, b.product.doses_per_vial, last.vial_opened_at)
        set_state(b, st)
        m = add_movement(
            s,
            b,
            subtype="dose",
            delta=-int(net),
            on=last.date,
            now=now,
            user=user,
            reason=reason,
            dose_uuid=dose.uuid,
            vial_opened_at=last.vial_opened_at,
        )
        out.append(movement_record(m, b.quantity))
    return out


def rebind_dose(
    s: Session, dose: Dose, *, user: str | None = None, now: datetime | None = None
) -> MovementRecord | None:
    """After a dose's vaccine, batch, date or place changed: move its 人份 to the right batch."""
    target = _dose_batch(s, dose)
    bound = s.execute(
        select(StockMovement.batch_id, func.sum(StockMovement.delta), func.max(StockMovement.date))
        .join(StockBatch)
        .join(StockProduct)
        .where(
            StockMovement.dose_uuid == dose.uuid,
            StockMovement.kind == MovementKind.OUT.value,
            StockProduct.kind == VACCINE,
        )
        .group_by(StockMovement.batch_id)
        .having(func.sum(StockMovement.delta) < 0)
    ).all()
    if (
        target is not None
        and len(bound) == 1
        and bound[0][0] == target.id
        and int(bound[0][1]) == -1
        and bound[0][2] == dose.date
    ):
        return None  # still bound to the same batch on the same day
    release_for_dose(s, dose, user=user, reason="修改接种记录", now=now)
    # an edit is audited field by field by the caller: do not change other fields here
    return consume_for_dose(s, dose, user=user, now=now, fill=False)
