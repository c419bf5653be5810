"""Alerts for F7: batches expiring soon, products below their minimum."""

from __future__ import annotations

from datetime import date

from epimanager.services.stock import alerts, catalog, movements
from epimanager.store.database import Database
from tests.unit.services.stock.conftest import TODAY, receive


def test_expiring_batches_and_products_below_their_minimum(db: Database) -> None:
    receive(db, "HepB", "SOON", date(2026, 12, 20), 8, manufacturer="深圳康泰")
    receive(db, "HepB", "LATER", date(2027, 6, 30), 10, manufacturer="深圳康泰")
    receive(db, "BCG", "GONE", date(2026, 11, 20), 3)
    receive(db, "DTaP", "USED", date(2026, 12, 1), 2)
    movements.issue(db, vaccine="DTaP", batch_no="USED", quantity=2)
    found = alerts.expiring_batches(db, within_days=30, on=TODAY)
    assert [(e.batch.batch_no, e.days_left) for e in found] == [("GONE", -6), ("SOON", 24)]
    p = catalog.find_product(db, "HepB")
    catalog.update_product(db, p.id, min_quantity=20)
    (low,) = alerts.below_minimum(db, on=TODAY)
    assert (low.product.vaccine_abbr, low.on_hand, low.minimum, low.shortfall) == ("HepB", 18, 20, 2)
    # after SOON expires only LATER counts
    (low,) = alerts.below_minimum(db, on=date(2026, 12, 21))
    assert low.on_hand == 10
