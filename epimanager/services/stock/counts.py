"""盘点 (stock counts): what a batch really holds; the difference goes in the ledger as an adjustment."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select

from epimanager.domain import stock as rules
from epimanager.errors import ValidationError
from epimanager.services.stock.ledger import (
    add_movement,
    blank_to_none,
    check_date,
    check_floor,
    find_batch,
    set_state,
    vial_state,
    write_off_open_vial,
)
from epimanager.services.stock.records import MovementRecord, movement_record
from epimanager.store.database import Database
from epimanager.store.models_stock import StockMovement


def count(
    db: Database,
    *,
    vaccine: str,
    batch_no: str,
    counted: int,
    reason: str | None = None,
    manufacturer: str | None = None,
    specification: str | None = None,
    on: date | None = None,
    user: str | None = None,
    now: datetime | None = None,
) -> MovementRecord:
    """盘点: the batch holds ``counted`` 人份 at the end of ``on``; the difference is an adjustment.

    A difference needs a reason.  A count with no difference is recorded too
    (a ledger line of 0), so the count itself is on file.
    """
    now = now or datetime.now()
    on = on or now.date()
    if counted < 0:
        raise ValidationError("盘点数量不能为负数")
    check_date(on, now.date())
    with db.transaction() as s:
        b = find_batch(s, vaccine, batch_no, manufacturer, specification)
        write_off_open_vial(s, b, now, user)
        s.flush()
        at_on = int(
            s.scalar(
                select(func.coalesce(func.sum(StockMovement.delta), 0)).where(
                    StockMovement.batch_id == b.id, StockMovement.date <= on
                )
            )
            or 0
        )
        delta = counted - at_on
        if delta != 0 and not blank_to_none(reason):
            raise ValidationError(f"盘点数量 {counted} 与账面 {at_on} 不符（差 {delta:+d} 人份），请填写原因")
        check_floor(s, b, delta, on)
        set_state(b, rules.counted(vial_state(b), b.quantity + delta))
        m = add_movement(s, b, subtype="count", delta=delta, on=on, now=now, user=user, reason=reason)
        return movement_record(m, b.quantity)
