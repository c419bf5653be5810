"""Receipts, returns and wastage; open multi-dose vials written off after their hours."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import update

from epimanager.domain.validation import ChildInput
from epimanager.errors import ValidationError
from epimanager.services.children import create_child
from epimanager.services.stock import catalog, movements
from epimanager.store.database import Database
from epimanager.store.models_stock import StockBatch
from tests.unit.services.stock.conftest import TODAY, dose, ledger, receive


def test_receipt_checks_and_product_details(db: Database) -> None:
    m = receive(
        db, "HepB", " b9 ", date(2027, 6, 30), 20, manufacturer="深圳康泰", supplier="玄武区疾控", document_no="RK-7"
    )
    assert (m.batch_no, m.delta, m.balance, m.supplier, m.document_no) == ("B9", 20, 20, "玄武区疾控", "RK-7")
    with pytest.raises(ValidationError, match="已登记失效期 2027-06-30"):
        receive(db, "HepB", "B9", date(2027, 7, 31), 5)
    with pytest.raises(ValidationError, match="已于 2026-09-30 失效，不能入库"):
        receive(db, "HepB", "OLD", date(2026, 9, 30), 5)
    with pytest.raises(ValidationError, match="每瓶 1 人份"):
        receive(db, "HepB", "B10", date(2027, 6, 30), 5, doses_per_vial=10)
    with pytest.raises(ValidationError, match="入库数量应大于0"):
        receive(db, "HepB", "B10", date(2027, 6, 30), 0)
    catalog.add_product(db, vaccine="HepB", manufacturer="大连汉信", specification="10μg")
    with pytest.raises(ValidationError, match="有多个产品"):
        receive(db, "HepB", "B11", date(2027, 6, 30), 5)
    (p,) = [p for p in catalog.list_products(db) if p.manufacturer == "深圳康泰"]
    assert (p.vaccine_code, p.doses_per_vial, p.open_vial_hours) == ("0201", 1, 1.0)  # inactivated: 1 hour


def _age_open_vial(db: Database, batch: str, minutes: int) -> None:
    with db.transaction() as s:
        s.execute(
            update(StockBatch)
            .where(StockBatch.batch_no == batch)
            .values(opened_at=datetime.now() - timedelta(minutes=minutes))
        )


def test_open_vial_remainder_is_written_off_after_its_hours(db: Database, code: str) -> None:
    catalog.add_product(db, vaccine="BCG", doses_per_vial=5)  # live vaccine: half an hour
    receive(db, "BCG", "V1", date(2027, 5, 31), 15)
    kid2 = create_child(db, ChildInput("王芳", "2", date(2026, 2, 1), mother_name="赵敏"), today=TODAY).code
    dose(db, code, "BCG", "V1")
    b = catalog.get_batch(db, "BCG", "V1")
    assert (b.quantity, b.open_remaining, b.closed_vials) == (14, 4, 2)
    # 40 minutes later the next child: the 4 left are wasted, a new vial is opened
    _age_open_vial(db, "V1", 40)
    dose(db, kid2, "BCG", "V1")
    b = catalog.get_batch(db, "BCG", "V1")
    assert (b.quantity, b.open_remaining) == (9, 4)
    assert ledger(db)[-2:] == [("waste", "open_vial", -4, None), ("out", "dose", -1, ledger(db)[-1][3])]
    # an explicit sweep before the half hour writes off nothing; after it, the rest
    opened = catalog.get_batch(db, "BCG", "V1").opened_at
    assert opened is not None
    assert movements.expire_open_vials(db, now=opened + timedelta(minutes=29)) == []
    (m,) = movements.expire_open_vials(db, now=opened + timedelta(minutes=30), user="李护士")
    assert (m.subtype_label, m.quantity, m.balance, m.user) == ("开启后废弃", 4, 5, "李护士")
    assert "超过 0.5 小时未用完" in (m.reason or "")
    assert catalog.get_batch(db, "BCG", "V1").open_remaining == 0


def test_returns_take_whole_unopened_vials_only(db: Database, code: str) -> None:
    catalog.add_product(db, vaccine="BCG", doses_per_vial=5, open_vial_hours=4)
    receive(db, "BCG", "V1", date(2027, 5, 31), 10)
    dose(db, code, "BCG", "V1")
    with pytest.raises(ValidationError, match="可用 5 人份（未开启的），需要 9 人份，缺少 4 人份"):
        movements.issue(db, vaccine="BCG", batch_no="V1", quantity=9, subtype="return", counterparty="县疾控")
    m = movements.issue(db, vaccine="BCG", batch_no="V1", quantity=5, subtype="return", counterparty="县疾控")
    assert m.balance == 4
    # discarding the open vial by hand
    m = movements.waste(db, vaccine="BCG", batch_no="V1", quantity=4, subtype="open_vial", reason="门诊结束")
    assert m.balance == 0
