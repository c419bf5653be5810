"""Which batch to use for a dose: usable batches of a vaccine, best first (FEFO, open vial first)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from epimanager.domain import stock as rules
from epimanager.services.stock.ledger import resolve_vaccine, vial_state
from epimanager.services.stock.records import BatchOption, effective_open_vial_hours, vaccine_names
from epimanager.store.database import Database
from epimanager.store.models_stock import StockBatch, StockProduct


def batch_options(s: Session, batches: Sequence[StockBatch], on: date, now: datetime) -> list[BatchOption]:
    opts: list[tuple[tuple[int, date, str], BatchOption]] = []
    for b in batches:
        if b.expiry < on or b.quantity <= 0:
            continue
        p = b.product
        hours = effective_open_vial_hours(p)
        st = vial_state(b)
        good_open = st.open_remaining > 0 and not st.open_expired(hours, now)
        usable = st.quantity if good_open else st.closed
        if usable <= 0:
            continue
        until = rules.open_vial_expires_at(b.opened_at, hours) if good_open and b.opened_at else None
        opt = BatchOption(
            batch_id=b.id,
            vaccine_code=p.vaccine_code,
            vaccine_abbr=vaccine_names(p.vaccine_code)[0],
            manufacturer=p.manufacturer,
            batch_no=b.batch_no,
            expiry=b.expiry,
            quantity=usable,
            open_remaining=st.open_remaining if good_open else 0,
            open_until=until,
            doses_per_vial=p.doses_per_vial,
            days_to_expiry=(b.expiry - on).days,
        )
        opts.append(((0 if good_open else 1, b.expiry, b.batch_no), opt))
    opts.sort(key=lambda t: t[0])
    return [o for _, o in opts]


def propose_batches(
    db: Database, vaccine_code: str, on: date | None = None, *, now: datetime | None = None
) -> list[BatchOption]:
    """Usable batches of a vaccine, best first (FEFO).

    Usable = not expired on ``on`` and with doses left.  An open vial still
    within its hours comes first (its doses would otherwise be wasted), then
    the earliest expiry.
    """
    now = now or datetime.now()
    on = on or now.date()
    code = resolve_vaccine(vaccine_code)
    with db.session() as s:
        batches = s.scalars(
            select(StockBatch)
            .join(StockProduct)
            .where(StockProduct.vaccine_code == code, StockBatch.quantity > 0, StockBatch.expiry >= on)
        ).all()
        return batch_options(s, batches, on, now)
