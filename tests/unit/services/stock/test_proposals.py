"""FEFO: which batch the dose form proposes first."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from epimanager.services.stock import catalog, movements, proposals
from epimanager.store.database import Database
from tests.unit.services.stock.conftest import TODAY, dose, receive


def test_fefo_proposes_the_earliest_expiring_usable_batch_first(db: Database) -> None:
    receive(db, "HepB", "A-JUN", date(2027, 6, 30), 50)
    receive(db, "HepB", "B-JAN", date(2027, 1, 31), 50)
    receive(db, "HepB", "C-OLD", date(2026, 11, 20), 10)  # expired on the 26th
    receive(db, "HepB", "D-EMPTY", date(2026, 12, 31), 5)
    movements.waste(db, vaccine="HepB", batch_no="D-EMPTY", quantity=5, subtype="broken", on=date(2026, 10, 2))
    receive(db, "BCG", "X1", date(2027, 1, 31), 10)  # another vaccine
    options = proposals.propose_batches(db, "乙肝", TODAY)
    assert [(o.batch_no, o.quantity, o.days_to_expiry) for o in options] == [("B-JAN", 50, 66), ("A-JUN", 50, 216)]
    # on the 19th the old batch was still good and expires first
    assert next(o.batch_no for o in proposals.propose_batches(db, "HepB", date(2026, 11, 19))) == "C-OLD"


def test_an_open_vial_within_its_hours_is_proposed_before_an_earlier_expiry(db: Database, code: str) -> None:
    catalog.add_product(db, vaccine="BCG", manufacturer="上海生物", doses_per_vial=5)
    receive(db, "BCG", "LATE", date(2027, 5, 31), 10)
    receive(db, "BCG", "SOON", date(2027, 2, 28), 10)
    dose(db, code, "BCG", "LATE")
    first = proposals.propose_batches(db, "BCG", TODAY)[0]
    assert (first.batch_no, first.quantity, first.open_remaining) == ("LATE", 9, 4)
    assert first.open_until is not None
    # an hour later the open vial is past its half hour: its 4 doses no longer count, SOON leads
    later = datetime.now() + timedelta(hours=1)
    options = proposals.propose_batches(db, "BCG", TODAY, now=later)
    assert [(o.batch_no, o.quantity, o.open_remaining) for o in options] == [("SOON", 10, 0), ("LATE", 5, 0)]
