"""盘点: a count records the difference with its reason."""

from __future__ import annotations

from datetime import date

import pytest

from epimanager.errors import ValidationError
from epimanager.services.stock import counts
from epimanager.store.database import Database
from tests.unit.services.stock.conftest import receive


def test_a_count_records_the_difference_with_its_reason(db: Database) -> None:
    receive(db, "HepB", "B1", date(2027, 6, 30), 20)
    with pytest.raises(ValidationError, match="盘点数量 18 与账面 20 不符（差 -2 人份），请填写原因"):
        counts.count(db, vaccine="HepB", batch_no="B1", counted=18)
    m = counts.count(db, vaccine="HepB", batch_no="B1", counted=18, reason="破损未登记", user="王")
    assert (m.kind_label, m.delta, m.balance, m.reason) == ("盘点", -2, 18, "破损未登记")
    m = counts.count(db, vaccine="HepB", batch_no="B1", counted=18)  # agrees: a line of 0
    assert (m.delta, m.balance) == (0, 18)
