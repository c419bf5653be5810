"""The two refusals that come from the other clinic-safety parts of issue #19: no consent
(知情告知, ``services/consent.py: consent_block``) and 预检 not passed (``services/precheck.py:
precheck_block``).  Both are called through ``administration.consent_and_precheck``.

Those services are not on this branch.  Until the lead wires them at merge, these tests check the
gate with nothing recorded (no part objects: the scan passes).  **At merge** the lead completes
each test at the ``# merge:`` lines: record the guardian's 不同意 / a 预检 with fever through the
other part's service, then expect ``ScanRefused`` with its reason and ``state(db) == before`` —
the same shape as every other refusal in ``test_administration.py``.
"""

from __future__ import annotations

from datetime import date

from epimanager.services.administration import consent_and_precheck, verify_scan
from epimanager.store.database import Database
from epimanager.store.models import Child
from tests.unit.services.test_administration import HEPB_GTIN, HEPB_TRACE, NOW, TODAY, child, gs1, state

__all__ = ["child"]  # the fixture


def _gate(db: Database, code: str) -> list[str]:
    with db.session() as s:
        child_id = s.query(Child.id).filter(Child.code == code).scalar()
        return consent_and_precheck(s, child_id, "0201", TODAY)


def test_no_consent_stops_the_scan(db: Database, child: str) -> None:
    # merge: consent.record(db, child, vaccine="HepB", choice="不同意", …) — then expect
    #   pytest.raises(ScanRefused, match=<consent_block's reason>) for both scans, state unchanged
    before = state(db)
    assert _gate(db, child) == []
    for scan in (HEPB_TRACE, gs1(HEPB_GTIN, "270630", "B1")):
        assert verify_scan(db, child, scan, vaccine="HepB", day=TODAY, now=NOW).reasons == ()
    assert state(db) == before


def test_precheck_not_passed_stops_the_scan(db: Database, child: str) -> None:
    # merge: precheck.record(db, child, temperature=37.8, …) — then expect
    #   pytest.raises(ScanRefused, match=<precheck_block's reason>) for both scans, state unchanged
    before = state(db)
    assert _gate(db, child) == []
    assert verify_scan(db, child, HEPB_TRACE, vaccine="HepB", day=date(2026, 11, 26), now=NOW).batch_no == "B1"
    assert state(db) == before
