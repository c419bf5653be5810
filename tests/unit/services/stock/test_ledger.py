"""The ledger never goes negative: refusals name the batch and the shortfall, and change nothing."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text, update
from sqlalchemy.exc import IntegrityError

from epimanager.errors import NotFoundError, ValidationError
from epimanager.services.stock import movements
from epimanager.store.database import Database
from epimanager.store.models_stock import StockBatch
from tests.unit.services.stock.conftest import ledger, qty, receive


def test_a_movement_that_would_go_negative_is_refused_naming_batch_and_shortfall(db: Database) -> None:
    receive(db, "HepB", "b1", date(2027, 6, 30), 10)
    with pytest.raises(ValidationError, match="HepB 批号 B1 可用 10 人份，需要 12 人份，缺少 2 人份"):
        movements.issue(db, vaccine="HepB", batch_no="B1", quantity=12)
    with pytest.raises(ValidationError, match="缺少 1 人份"):
        movements.waste(db, vaccine="HepB", batch_no="B1", quantity=11, subtype="cold_chain")
    with pytest.raises(ValidationError, match="调入单位"):
        movements.issue(db, vaccine="HepB", batch_no="B1", quantity=1, subtype="transfer")
    with pytest.raises(ValidationError, match="原因"):
        movements.waste(db, vaccine="HepB", batch_no="B1", quantity=1, subtype="other")
    with pytest.raises(NotFoundError, match="没有 HepB 批号 ZZZ"):
        movements.issue(db, vaccine="HepB", batch_no="ZZZ", quantity=1)
    # nothing changed
    assert qty(db, "HepB", "B1") == 10
    assert ledger(db) == [("in", "receipt", 10, None)]


def test_a_back_dated_issue_may_not_make_any_later_day_negative(db: Database) -> None:
    receive(db, "HepB", "B1", date(2027, 6, 30), 10, on=date(2026, 11, 1))
    movements.issue(db, vaccine="HepB", batch_no="B1", quantity=10, on=date(2026, 11, 20))
    receive(db, "HepB", "B1", date(2027, 6, 30), 5, on=date(2026, 11, 25))
    # 5 on hand now, but on the 20th the balance would have been 10 − 5 − 10 = −5
    with pytest.raises(ValidationError, match=r"可用 0 人份（按 2026-11-10 起的结存）.*缺少 5 人份"):
        movements.issue(db, vaccine="HepB", batch_no="B1", quantity=5, on=date(2026, 11, 10))
    # before the first receipt there was nothing to issue
    with pytest.raises(ValidationError, match="缺少 1 人份"):
        movements.issue(db, vaccine="HepB", batch_no="B1", quantity=1, on=date(2026, 10, 31))
    movements.issue(db, vaccine="HepB", batch_no="B1", quantity=5, on=date(2026, 11, 25))
    assert qty(db, "HepB", "B1") == 0


def test_the_database_itself_refuses_a_negative_balance(db: Database) -> None:
    receive(db, "HepB", "B1", date(2027, 6, 30), 1)
    with pytest.raises(IntegrityError, match=r"ck_stock_batch_(quantity|open_remaining)"), db.transaction() as s:
        s.execute(update(StockBatch).values(quantity=-1))
    with pytest.raises(IntegrityError, match="ck_stock_movement_in_positive"), db.transaction() as s:
        s.execute(text("UPDATE stock_movement SET delta = -1"))
