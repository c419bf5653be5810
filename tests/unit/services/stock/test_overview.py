"""The 库存一览 read: the on-hand list with F7's warnings on its lines, and one batch's ledger."""

from __future__ import annotations

from datetime import date

from epimanager.services.reminders import notices
from epimanager.services.stock import catalog, movements, overview
from epimanager.store.database import Database
from tests.unit.services.stock.conftest import TODAY, dose, receive


def test_lines_carry_the_warnings_f7_shows(db: Database, code: str) -> None:
    receive(db, "HepB", "B1", date(2026, 11, 20), 5, on=date(2026, 9, 1))  # expired 6 days before TODAY
    receive(db, "DTaP", "D1", date(2027, 6, 30), 3, manufacturer="武汉生物")
    catalog.update_product(db, catalog.find_product(db, "DTaP").id, min_quantity=10)
    catalog.add_product(db, vaccine="IPV", manufacturer="北京生物", min_quantity=4)  # none ever received
    receive(db, "AD-0.5", "S1", date(2029, 1, 31), 1)
    dose(db, code, "DTaP", "D1", 1, date(2026, 11, 20))  # takes the one AD-0.5
    dose(db, code, "DTaP", "D1", 2, TODAY)  # finds no AD-0.5: a shortage, the dose is saved all the same
    lines = overview.overview(db, TODAY)
    # by hand: HepB 5 (expired); DTaP 3 − 2 = 1 < 10; IPV 0 < 4; AD-0.5 1 − 1 = 0, one dose short
    assert [(ln.abbr, ln.batch_no, ln.quantity, ln.unit, ln.marks) for ln in lines] == [
        ("HepB", "B1", 5, "人份", ("已过期",)),
        ("DTaP", "D1", 1, "人份", ("低于最低库存 10 人份",)),
        ("IPV", "", 0, "人份", ("低于最低库存 4 人份",)),
        ("AD-0.5", "", 0, "支", ("注射器短缺（1 剂次无库存）",)),
    ]
    assert [ln.kind for ln in lines] == ["vaccine"] * 3 + ["syringe"]
    # every F7 stock notice has its line: the same sources, the same products
    stock_notices = [n for n in notices(db, TODAY) if n.kind == "stock"]
    assert len(stock_notices) == 4
    assert {ln.product_id for ln in lines if ln.minimum is not None} == {
        int(n.action.rsplit(":", 1)[1]) for n in stock_notices if n.action.startswith("stock:product:")
    }


def test_a_batch_ledger_is_that_batch_only(db: Database, code: str) -> None:
    # two manufacturers happen to use the same batch number
    receive(db, "HepB", "X1", date(2027, 6, 30), 10, manufacturer="深圳康泰")
    receive(db, "HepB", "X1", date(2027, 8, 31), 4, manufacturer="大连汉信")
    movements.waste(db, vaccine="HepB", batch_no="X1", manufacturer="深圳康泰", quantity=1, subtype="broken", on=TODAY)
    kt = catalog.get_batch(db, "HepB", "X1", manufacturer="深圳康泰")
    ledger = overview.batch_ledger(db, kt.id)
    assert [(m.subtype_label, m.delta, m.balance, m.manufacturer) for m in ledger] == [
        ("领取入库", 10, 10, "深圳康泰"),
        ("破损", -1, 9, "深圳康泰"),
    ]
    # the on-hand rows know their batch and product
    (row,) = [ln for ln in overview.overview(db, TODAY) if ln.manufacturer == "深圳康泰"]
    assert (row.batch_id, row.product_id, row.quantity) == (kt.id, kt.product_id, 9)
