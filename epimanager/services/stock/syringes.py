"""注射器管理: syringes kept in stock beside vaccines, and the syringes a dose takes.

A syringe is a stock product of kind ``syringe`` whose code is its type (``AD05`` for
``AD-0.5``, ``MX50`` for ``MIX-5``, …: :mod:`.syringe_types`); receipts, issues, wastage,
counts, reports and alerts are the vaccine ones (quantities in 支 instead of 人份).
Which syringe a vaccine needs is data in ``vaccines.json`` (``"syringe"``; oral
vaccines none; ``"mixing_syringe"`` for a vaccine reconstituted before use).

A dose drawn from a vaccine batch in stock takes one syringe of its type, and one
mixing syringe when it opened a new multi-dose vial, in the dose's transaction
(:func:`consume_syringes`).  No syringe in stock never refuses the dose: the shortage
is recorded (``stock_syringe_shortage``) and shown in F7.  Giving a dose back
(:func:`.dose_binding.release_for_dose`) returns its syringes and clears its shortages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache

from sqlalchemy import ScalarSelect, delete, func, select
from sqlalchemy.orm import Session

from epimanager.domain import stock as rules
from epimanager.domain.stock import MovementKind
from epimanager.errors import ValidationError
from epimanager.resources import load_json
from epimanager.services.stock.ledger import add_movement, check_floor, set_state, vial_state
from epimanager.services.stock.syringe_types import SYRINGE, SYRINGE_TYPES, syringe_type
from epimanager.store.database import Database
from epimanager.store.models import Dose
from epimanager.store.models_stock import StockBatch, StockMovement, StockProduct, StockSyringeShortage


@cache
def _vaccine_syringes() -> dict[str, tuple[str | None, str | None]]:
    def code(text: str | None) -> str | None:
        if not text:
            return None
        found = syringe_type(text)
        if found is None:
            raise ValueError(f"vaccines.json: unknown syringe type {text!r}")
        return found

    return {
        str(v["code"]): (code(v.get("syringe")), code(v.get("mixing_syringe")))
        for v in load_json("vaccines.json")["vaccines"]
    }


def syringes_for(vaccine_code: str) -> tuple[str | None, str | None]:
    """The codes of the (injection, mixing) syringes a vaccine's catalog entry names (None = none)."""
    return _vaccine_syringes().get(vaccine_code, (None, None))


def _syringe_batch(s: Session, stype: str, on: date) -> StockBatch | None:
    """The syringe batch a dose on ``on`` takes from: first to expire, unexpired, with stock
    now and on every day from ``on`` (the ledger never goes negative), or None."""
    candidates = s.scalars(
        select(StockBatch)
        .join(StockProduct)
        .where(
            StockProduct.kind == SYRINGE,
            StockProduct.vaccine_code == stype,
            StockBatch.quantity > 0,
            StockBatch.expiry >= on,
        )
        .order_by(StockBatch.expiry, StockBatch.id)
    ).all()
    for b in candidates:
        try:
            check_floor(s, b, -1, on)
        except ValidationError:
            continue  # e.g. a back-dated dose, before this batch was received
        return b
    return None


def syringes_kept_since() -> ScalarSelect[date]:
    """The day of the clinic's first syringe receipt (None: it keeps no syringes), as a scalar subquery."""
    return (
        select(func.min(StockMovement.date))
        .join(StockBatch)
        .join(StockProduct)
        .where(StockProduct.kind == SYRINGE, StockMovement.kind == MovementKind.IN.value)
        .correlate(None)  # about every syringe batch, also inside a statement that reads one batch
        .scalar_subquery()
    )


def keeps_syringes(since: date | None, on: date) -> bool:
    """Whether the clinic keeps syringes in stock on ``on``, given :func:`syringes_kept_since`'s answer
    (a receipt of any syringe on or before that day)."""
    return since is not None and since <= on


def _manages_syringes(s: Session, on: date) -> bool:
    return keeps_syringes(s.scalar(select(syringes_kept_since())), on)


def consume_syringes(
    s: Session, dose: Dose, vial_opened: bool, *, user: str | None, now: datetime, kept: bool | None = None
) -> list[StockMovement]:
    """Take the syringes a dose needs (its vaccine batch was taken just before); record any shortage.

    ``kept``: whether the clinic keeps syringes on the dose's day, when the caller read it already."""
    if not (_manages_syringes(s, dose.date) if kept is None else kept):
        return []
    injection, mixing = syringes_for(dose.vaccine_code)
    needed = [t for t in (injection, mixing if vial_opened else None) if t]
    if not needed:
        return []
    out = []
    for stype in needed:
        b = _syringe_batch(s, stype, dose.date)
        if b is None:
            s.add(StockSyringeShortage(dose_uuid=dose.uuid, syringe_type=stype, date=dose.date, at=now, user=user))
            continue
        set_state(b, rules.take(vial_state(b), 1))
        out.append(add_movement(s, b, subtype="dose", delta=-1, on=dose.date, now=now, user=user, dose_uuid=dose.uuid))
    s.flush()
    return out


def clear_shortages(s: Session, dose_uuid: str) -> None:
    """The dose is deleted or re-bound: its recorded shortages no longer stand."""
    s.execute(delete(StockSyringeShortage).where(StockSyringeShortage.dose_uuid == dose_uuid))


@dataclass(frozen=True)
class SyringeShortage:
    #: the syringe code and its abbreviation and name
    syringe_type: str
    abbr: str
    label: str
    #: doses given without a syringe from stock
    doses: int
    first: date
    last: date

    def to_json(self) -> dict[str, object]:
        return {
            "syringe_type": self.syringe_type,
            "abbr": self.abbr,
            "label": self.label,
            "doses": self.doses,
            "first": self.first.isoformat(),
            "last": self.last.isoformat(),
        }


def shortages(db: Database, since: date) -> list[SyringeShortage]:
    """Doses since ``since`` that found no syringe of their type in stock, by type."""
    t = StockSyringeShortage
    with db.session() as s:
        rows = s.execute(
            select(t.syringe_type, func.count(), func.min(t.date), func.max(t.date))
            .where(t.date >= since)
            .group_by(t.syringe_type)
            .order_by(t.syringe_type)
        ).all()
    return [SyringeShortage(st, *SYRINGE_TYPES.get(st, (st, st)), int(n), a, b) for st, n, a, b in rows]


#: F7 and ``stock alerts`` list the syringe shortages of the last 30 days
SHORTAGE_DAYS = 30


def shortage_window_start(today: date) -> date:
    return today - timedelta(days=SHORTAGE_DAYS)
