"""Stock movements: 入库 (receive), 出库 (issue), 损耗 (waste), and open vials past their hours."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from epimanager.domain import identifiers as ids
from epimanager.domain import stock as rules
from epimanager.domain.gs1 import is_valid_gtin
from epimanager.domain.stock import ShortStock
from epimanager.errors import ValidationError
from epimanager.services.stock.catalog import (
    check_product_numbers,
    find_products,
    learn_code,
    new_product,
    one_product,
)
from epimanager.services.stock.ledger import (
    add_movement,
    blank_to_none,
    check_date,
    check_floor,
    find_batch,
    resolve_vaccine,
    set_state,
    short_error,
    vial_state,
    write_off_open_vial,
)
from epimanager.services.stock.records import GTIN, TRACE7, MovementRecord, movement_record, vaccine_names
from epimanager.store.database import Database
from epimanager.store.models_stock import StockBatch


def receive(
    db: Database,
    *,
    vaccine: str,
    batch_no: str,
    expiry: date,
    quantity: int,
    manufacturer: str | None = None,
    specification: str | None = None,
    doses_per_vial: int | None = None,
    lot_release_no: str | None = None,
    supplier: str | None = None,
    document_no: str | None = None,
    trace_code: str | None = None,
    gtin: str | None = None,
    on: date | None = None,
    user: str | None = None,
    now: datetime | None = None,
) -> MovementRecord:
    """入库: receive ``quantity`` 人份 of a batch (the product is created on first receipt).

    A traceability code or GTIN given with the receipt teaches which product
    it stands for (by the code's first 7 digits / the GTIN).
    """
    now = now or datetime.now()
    on = on or now.date()
    code = resolve_vaccine(vaccine)
    bno = rules.normalize_batch_no(batch_no or "")
    problems = []
    if not bno:
        problems.append("批号不能为空")
    elif len(bno) > 40:
        problems.append("批号过长（最多40个字符）")
    if quantity <= 0:
        problems.append("入库数量应大于0")
    if on > now.date():
        problems.append(f"日期 {on.isoformat()} 晚于今天")
    if expiry < on:
        problems.append(f"批号 {bno} 已于 {expiry.isoformat()} 失效，不能入库")
    trace = blank_to_none(trace_code)
    if trace is not None and not ids.is_trace_code(trace):
        problems.append("追溯码应为以8开头的20位数字")
    gtin = blank_to_none(gtin)
    if gtin is not None and not is_valid_gtin(gtin):
        problems.append(f"GTIN 不正确：{gtin}")
    if problems:
        raise ValidationError(problems)
    check_product_numbers(doses_per_vial, None, None, None)
    with db.transaction() as s:
        found = find_products(s, code, manufacturer, specification)
        if len(found) > 1:
            product = one_product(s, code, manufacturer, specification)  # raises: ambiguous
        elif found:
            product = found[0]
            if doses_per_vial is not None and doses_per_vial != product.doses_per_vial:
                raise ValidationError(
                    f"产品 {vaccine_names(code)[0]} {product.manufacturer} 已登记为每瓶 "
                    f"{product.doses_per_vial} 人份，与本次 {doses_per_vial} 人份不符"
                )
        else:
            product = new_product(
                s, code, (manufacturer or "").strip(), (specification or "").strip(), doses_per_vial or 1
            )
        b = s.scalar(select(StockBatch).where(StockBatch.product_id == product.id, StockBatch.batch_no == bno))
        if b is None:
            b = StockBatch(
                product=product,
                batch_no=bno,
                expiry=expiry,
                lot_release_no=blank_to_none(lot_release_no),
                quantity=0,
                open_remaining=0,
                created_at=now,
            )
            s.add(b)
            s.flush()
        else:
            if b.expiry != expiry:
                raise ValidationError(
                    f"批号 {bno} 已登记失效期 {b.expiry.isoformat()}，与本次 {expiry.isoformat()} 不符"
                )
            if lot_release_no and not b.lot_release_no:
                b.lot_release_no = lot_release_no.strip()
        if trace is not None:
            learn_code(s, product, rules.trace_product_id(trace), TRACE7)
        if gtin is not None:
            learn_code(s, product, gtin, GTIN)
        set_state(b, rules.put(vial_state(b), quantity))
        m = add_movement(
            s,
            b,
            subtype="receipt",
            delta=quantity,
            on=on,
            now=now,
            user=user,
            document_no=document_no,
            supplier=supplier,
        )
        return movement_record(m, b.quantity)


def issue(
    db: Database,
    *,
    vaccine: str,
    batch_no: str,
    quantity: int,
    subtype: str = "use",
    manufacturer: str | None = None,
    specification: str | None = None,
    counterparty: str | None = None,
    document_no: str | None = None,
    reason: str | None = None,
    on: date | None = None,
    user: str | None = None,
    now: datetime | None = None,
) -> MovementRecord:
    """出库: use, return (退回) or transfer (调拨) ``quantity`` 人份 of a batch.

    Returns and transfers take whole, unopened vials only.
    """
    if subtype not in rules.ISSUE_SUBTYPES:
        raise ValidationError(f"出库类型不正确：{subtype}")
    if subtype == "transfer" and not blank_to_none(counterparty):
        raise ValidationError("调拨出库需填写调入单位")
    return _take_out(
        db,
        vaccine=vaccine,
        batch_no=batch_no,
        quantity=quantity,
        subtype=subtype,
        manufacturer=manufacturer,
        specification=specification,
        counterparty=counterparty,
        document_no=document_no,
        reason=reason,
        on=on,
        user=user,
        now=now,
    )


def waste(
    db: Database,
    *,
    vaccine: str,
    batch_no: str,
    quantity: int,
    subtype: str,
    reason: str | None = None,
    manufacturer: str | None = None,
    specification: str | None = None,
    document_no: str | None = None,
    on: date | None = None,
    user: str | None = None,
    now: datetime | None = None,
) -> MovementRecord:
    """损耗: broken, expired, cold-chain failure, opened vial discarded, or other (reason required)."""
    if subtype not in rules.WASTE_SUBTYPES:
        raise ValidationError(f"损耗类型不正确：{subtype}")
    if subtype == "other" and not blank_to_none(reason):
        raise ValidationError("其他损耗需填写原因")
    return _take_out(
        db,
        vaccine=vaccine,
        batch_no=batch_no,
        quantity=quantity,
        subtype=subtype,
        manufacturer=manufacturer,
        specification=specification,
        counterparty=None,
        document_no=document_no,
        reason=reason,
        on=on,
        user=user,
        now=now,
    )


def _take_out(
    db: Database,
    *,
    vaccine: str,
    batch_no: str,
    quantity: int,
    subtype: str,
    manufacturer: str | None,
    specification: str | None,
    counterparty: str | None,
    document_no: str | None,
    reason: str | None,
    on: date | None,
    user: str | None,
    now: datetime | None,
) -> MovementRecord:
    now = now or datetime.now()
    on = on or now.date()
    if quantity <= 0:
        raise ValidationError("数量应大于0")
    check_date(on, now.date())
    with db.transaction() as s:
        b = find_batch(s, vaccine, batch_no, manufacturer, specification)
        write_off_open_vial(s, b, now, user)
        closed_only = subtype in ("return", "transfer")
        try:
            new = rules.take(vial_state(b), quantity, closed_only=closed_only, open_first=subtype == "open_vial")
        except ShortStock as exc:
            note = "（未开启的）" if closed_only else ""
            raise short_error(b, exc.available, exc.needed, note) from None
        check_floor(s, b, -quantity, on)
        set_state(b, new)
        m = add_movement(
            s,
            b,
            subtype=subtype,
            delta=-quantity,
            on=on,
            now=now,
            user=user,
            document_no=document_no,
            counterparty=counterparty,
            reason=reason,
        )
        return movement_record(m, b.quantity)


def expire_open_vials(db: Database, *, now: datetime | None = None, user: str | None = None) -> list[MovementRecord]:
    """Write off (损耗, 开启后废弃) the remainder of every open vial past its hours."""
    now = now or datetime.now()
    with db.transaction() as s:
        out = []
        for b in s.scalars(select(StockBatch).where(StockBatch.open_remaining > 0).order_by(StockBatch.id)):
            m = write_off_open_vial(s, b, now, user)
            if m is not None:
                out.append(movement_record(m, b.quantity))
        return out
