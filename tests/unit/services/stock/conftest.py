"""Stock tests on a real database: a child to give doses to, and short helpers for receipts, doses, the ledger."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.services.children import create_child
from epimanager.services.doses import add_dose
from epimanager.services.stock import catalog, movements
from epimanager.store.database import Database
from epimanager.store.models_stock import StockMovement

TODAY = date(2026, 11, 26)
OTHER_UNIT = "3201020202"


@pytest.fixture
def code(db: Database) -> str:
    return create_child(db, ChildInput("张浩", "1", date(2026, 3, 1), mother_name="李梅"), today=TODAY).code


def qty(db: Database, vaccine: str, batch: str) -> int:
    return catalog.get_batch(db, vaccine, batch).quantity


def receive(db: Database, vaccine: str, batch: str, expiry: date, n: int, on: date = date(2026, 10, 1), **kw: object):  # type: ignore[no-untyped-def]
    return movements.receive(db, vaccine=vaccine, batch_no=batch, expiry=expiry, quantity=n, on=on, **kw)  # type: ignore[arg-type]


def dose(db: Database, code: str, vaccine: str, batch: str | None, n: int = 1, on: date = TODAY, **kw: object):  # type: ignore[no-untyped-def]
    # stock tests put doses anywhere in a history: whether each counts in the schedule, or repeats a
    # dose number already on record, is not their concern
    inp = DoseInput(vaccine, n, on, batch_no=batch, **kw)  # type: ignore[arg-type]
    return add_dose(db, code, inp, today=TODAY, confirm_invalid=True, confirm_duplicate=True)


def ledger(db: Database) -> list[tuple[str, str, int, str | None]]:
    with db.session() as s:
        rows = s.execute(
            select(StockMovement.kind, StockMovement.subtype, StockMovement.delta, StockMovement.dose_uuid).order_by(
                StockMovement.id
            )
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]
