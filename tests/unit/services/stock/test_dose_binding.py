"""Every dose given here takes its batch in the same transaction and gives it back when deleted or changed."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from epimanager.errors import ValidationError
from epimanager.services.children import get_child
from epimanager.services.doses import delete_dose, update_dose
from epimanager.services.stock import catalog, movements
from epimanager.store.database import Database
from epimanager.store.models_stock import StockMovement
from tests.unit.services.stock.conftest import OTHER_UNIT, TODAY, dose, ledger, qty, receive


def test_a_dose_takes_one_dose_and_deleting_it_puts_it_back(db: Database, code: str) -> None:
    receive(db, "HepB", "B1", date(2027, 6, 30), 10, manufacturer="深圳康泰")
    d = dose(db, code, "HepB", "b1")  # typed in lower case
    assert qty(db, "HepB", "B1") == 9
    # the dose got the batch's expiry and manufacturer
    assert (d.expiry, d.manufacturer) == (date(2027, 6, 30), "深圳康泰")
    delete_dose(db, d.uuid, user="李护士", reason="录入错误")
    assert qty(db, "HepB", "B1") == 10
    assert ledger(db) == [("in", "receipt", 10, None), ("out", "dose", -1, d.uuid), ("out", "dose", 1, d.uuid)]
    with db.session() as s:
        back = s.scalars(select(StockMovement).order_by(StockMovement.id.desc()).limit(1)).one()
    assert (back.date, back.user, back.reason) == (TODAY, "李护士", "删除接种记录")


def test_a_dose_beyond_the_stock_is_refused_and_not_saved(db: Database, code: str) -> None:
    receive(db, "HepB", "B1", date(2027, 6, 30), 1)
    dose(db, code, "HepB", "B1", 1, date(2026, 10, 5))
    with pytest.raises(ValidationError, match="HepB 批号 B1 可用 0 人份，需要 1 人份，缺少 1 人份"):
        dose(db, code, "HepB", "B1", 2, TODAY)
    assert [d.dose_number for d in get_child(db, code).doses] == [1]
    assert qty(db, "HepB", "B1") == 0


def test_doses_that_stock_does_not_apply_to_still_save(db: Database, code: str) -> None:
    # a clinic with no stock records at all
    dose(db, code, "HepB", "ANY", 1, date(2026, 3, 1))
    receive(db, "HepB", "B1", date(2027, 6, 30), 5, on=date(2026, 10, 1))
    # batch not in stock, another unit, 外地, no batch, before the batch was received
    dose(db, code, "HepB", "NOT-HERE", 2, date(2026, 4, 1))
    dose(db, code, "HepB", "B1", 3, date(2026, 10, 2), unit_code=OTHER_UNIT)
    dose(db, code, "DTaP", "B1", 1, date(2026, 5, 1))  # same batch number, other vaccine
    dose(db, code, "HepB", "B1", 1, date(2026, 9, 1), place_text="外地")
    dose(db, code, "HepB", None, 1, TODAY)
    dose(db, code, "HepB", "B1", 1, date(2026, 9, 30))
    assert len(get_child(db, code).doses) == 7
    assert qty(db, "HepB", "B1") == 5
    assert [r[0] for r in ledger(db)] == ["in"]


def test_a_dose_from_an_expired_batch_is_refused(db: Database, code: str) -> None:
    receive(db, "HepB", "B1", date(2026, 10, 31), 5)
    with pytest.raises(ValidationError, match="批号 B1 已于 2026-10-31 失效"):
        dose(db, code, "HepB", "B1", 1, date(2026, 11, 1))
    dose(db, code, "HepB", "B1", 1, date(2026, 10, 31))  # the last valid day
    assert qty(db, "HepB", "B1") == 4


def test_changing_a_doses_batch_moves_its_dose_between_batches(db: Database, code: str) -> None:
    receive(db, "HepB", "A", date(2027, 6, 30), 10)
    receive(db, "HepB", "B", date(2027, 6, 30), 10)
    receive(db, "HepB", "EMPTY", date(2027, 6, 30), 1)
    movements.issue(db, vaccine="HepB", batch_no="EMPTY", quantity=1, subtype="return", counterparty="县疾控")
    d = dose(db, code, "HepB", "A")
    update_dose(db, d.uuid, {"batch_no": "B"}, today=TODAY)
    assert (qty(db, "HepB", "A"), qty(db, "HepB", "B")) == (10, 9)
    # a change to a batch with nothing left is refused, the dose and stock unchanged
    with pytest.raises(ValidationError, match="EMPTY 可用 0 人份"):
        update_dose(db, d.uuid, {"batch_no": "EMPTY"}, today=TODAY)
    assert get_child(db, code).doses[0].batch_no == "B"
    # a change that does not touch stock fields leaves the ledger alone
    n = len(ledger(db))
    update_dose(db, d.uuid, {"site": "右上臂"}, today=TODAY)
    assert len(ledger(db)) == n
    # another vaccine with that batch number is not in stock: the dose goes back
    update_dose(db, d.uuid, {"vaccine": "0202"}, today=TODAY)
    assert (qty(db, "HepB", "A"), qty(db, "HepB", "B")) == (10, 10)
    # the month's figures net to zero uses for B
    assert sum(r[2] for r in ledger(db) if r[3] == d.uuid) == 0


def test_deleting_a_dose_from_the_open_vial_puts_it_back_in_that_vial(db: Database, code: str) -> None:
    catalog.add_product(db, vaccine="BCG", doses_per_vial=5, open_vial_hours=4)
    receive(db, "BCG", "V1", date(2027, 5, 31), 10)
    d = dose(db, code, "BCG", "V1")
    delete_dose(db, d.uuid)
    b = catalog.get_batch(db, "BCG", "V1")
    # the vial is full again: two closed vials, nothing open
    assert (b.quantity, b.open_remaining, b.opened_at, b.closed_vials) == (10, 0, None, 2)
