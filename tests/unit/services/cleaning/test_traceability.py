"""The data-quality report counts, by month and vaccine, the doses given here without a 追溯码 and
those recorded with a code already used as often as its package holds (一码多用)."""

from __future__ import annotations

from datetime import date

from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.services.children import create_child
from epimanager.services.cleaning.quality import quality_report
from epimanager.services.doses import add_dose
from epimanager.services.stock import movements
from epimanager.store.database import Database

TODAY = date(2026, 11, 26)
TRACE = "81234560000000000001"  # single-dose HepB


def test_doses_without_a_trace_code_and_over_used_codes_by_month_and_vaccine(db: Database) -> None:
    receive = movements.receive
    receive(db, vaccine="HepB", batch_no="B1", expiry=date(2027, 6, 30), quantity=10, on=date(2026, 9, 1),
            manufacturer="深圳康泰", doses_per_vial=1, trace_code=TRACE)  # fmt: skip
    a = create_child(db, ChildInput("张浩", "1", date(2026, 3, 1), mother_name="李梅"), today=TODAY).code
    b = create_child(db, ChildInput("李娜", "2", date(2026, 3, 2), mother_name="王芳"), today=TODAY).code

    def give(code: str, vac: str, n: int, day: date, **kw: object) -> None:
        inp = DoseInput(vac, n, day, **kw)  # type: ignore[arg-type]
        add_dose(db, code, inp, today=TODAY, confirm_invalid=True, confirm_duplicate=True)

    give(a, "HepB", 1, date(2026, 10, 8), trace_code=TRACE)  # October: with its code
    give(a, "HepB", 2, date(2026, 11, 8))  # November: none
    give(b, "HepB", 1, date(2026, 11, 9))  # November: none
    give(b, "BCG", 1, date(2026, 11, 9))  # November, BCG: none
    give(b, "DTaP", 1, date(2026, 11, 9), place_text="外地")  # given elsewhere: not this unit's
    # the single-dose package's code once more (let through by override in setup mode): over-used
    add_dose(db, b, DoseInput("HepB", 2, date(2026, 11, 10)), today=TODAY, confirm_invalid=True,
             confirm_duplicate=True, scan=TRACE, scan_override="补录纸质记录")  # fmt: skip
    rep = quality_report(db, TODAY)
    rows = [(r.month, r.vaccine_abbr, r.doses, r.no_trace_code, r.overused, r.overused_codes) for r in rep.traceability]
    assert rows == [
        ("2026-11", "HepB", 3, 2, 1, 1),
        ("2026-11", "BCG", 1, 1, 0, 0),
        ("2026-10", "HepB", 1, 0, 0, 0),
    ]
    assert (rep.no_trace_code, rep.overused) == (3, 1)
    assert rep.to_json()["traceability"][0]["month"] == "2026-11"
