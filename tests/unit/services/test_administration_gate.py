"""The two refusals that come from the other clinic-safety parts of issue #19: 预检 not passed
(``services/precheck.py: precheck_block``) and no consent (知情告知, ``services/consent.py:
consent_block``) for a vaccine on the day's order, through ``administration.consent_and_precheck``:
each recorded through its own service, then refused at the scan field and by the dose service with
its reason, nothing changed — the same shape as every other refusal in ``test_administration.py``."""

from __future__ import annotations

import pytest

from epimanager.services import consent, precheck, visit_order, visits
from epimanager.services.administration import consent_and_precheck, verify_scan
from epimanager.store.database import Database
from epimanager.store.models import Child
from tests.unit.services.test_administration import HEPB_GTIN, HEPB_TRACE, NOW, TODAY, child, gs1, refused, state

__all__ = ["child"]  # the fixture


def _gate(db: Database, code: str) -> list[str]:
    with db.session() as s:
        child_id = s.query(Child.id).filter(Child.code == code).scalar()
        return consent_and_precheck(s, child_id, "0201", TODAY)


def _ordered(db: Database, code: str, item: str = "HepB:1") -> None:
    """The child has a ticket today, passed 预检, and HepB on its order (登记 asks the consent for it)."""
    ticket = visits.take(db, code, now=NOW).ticket
    precheck.save_precheck(db, code, 36.6, {}, now=NOW)
    visit_order.set_order(db, ticket, [visit_order.parse_item(item)], now=NOW)


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        (None, "乙肝疫苗今天还没有监护人的知情同意"),
        ("不同意", "监护人不同意接种乙肝疫苗（原因：家长担心不良反应）"),
        ("到点再议", "监护人对乙肝疫苗选择到点再议，尚未同意接种"),
    ],
)
def test_no_consent_stops_the_scan(db: Database, child: str, choice: str | None, expected: str) -> None:
    _ordered(db, child)
    if choice is not None:
        reason = "家长担心不良反应" if choice == "不同意" else None
        consent.record_consent(db, child, "HepB", choice, paper=choice != "到点再议", reason=reason, now=NOW)
    assert any(expected in r for r in _gate(db, child))
    for scan in (HEPB_TRACE, gs1(HEPB_GTIN, "270630", "B1")):
        refused(db, child, scan, expected)
    # signed (on paper): the same scan passes
    consent.record_consent(db, child, "HepB", "同意", paper=True, expected_version=1 if choice else 0, now=NOW)
    assert _gate(db, child) == []
    assert verify_scan(db, child, HEPB_TRACE, vaccine="HepB", day=TODAY, now=NOW).batch_no == "B1"


def test_a_dose_with_no_order_asks_no_consent(db: Database, child: str) -> None:
    """A clinic that records doses without 登记's order (one PC, no flow) takes no consent on screen."""
    before = state(db)
    assert _gate(db, child) == []
    for scan in (HEPB_TRACE, gs1(HEPB_GTIN, "270630", "B1")):
        assert verify_scan(db, child, scan, vaccine="HepB", day=TODAY, now=NOW).reasons == ()
    assert state(db) == before


def test_precheck_not_passed_stops_the_scan(db: Database, child: str) -> None:
    # a fever at 预检: every vaccine 暂缓 for 7 days
    precheck.save_precheck(db, child, 37.9, {}, now=NOW)
    expected = "乙肝疫苗：预检暂缓，2026-12-03起方可接种"
    assert any(expected in r for r in _gate(db, child))
    for scan in (HEPB_TRACE, gs1(HEPB_GTIN, "270630", "B1")):
        refused(db, child, scan, expected)


def test_a_visit_not_yet_through_the_precheck_step_is_stopped(db: Database, child: str) -> None:
    from epimanager.services.config.visit_flow import set_flow  # the clinic runs 预检 → 登记 → 接种 → 留观

    set_flow(db, steps=["预检", "登记", "接种", "留观"])
    ticket = visits.take(db, child, now=NOW).ticket
    refused(db, child, HEPB_TRACE, f"{ticket} 号今天尚未预检，请先完成预检")
    precheck.save_precheck(db, child, 36.6, {}, now=NOW)
    assert verify_scan(db, child, HEPB_TRACE, vaccine="HepB", day=TODAY, now=NOW).batch_no == "B1"
