"""The next visit (receipt, record print, grid) and what F4 / Enter proposes: one service."""

from __future__ import annotations

from datetime import date

import pytest

from epimanager.domain.schedule import SeriesStatus
from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.services.children import create_child, get_child
from epimanager.services.doses import add_dose
from epimanager.services.forecast import forecast_record
from epimanager.services.next_visit import (
    next_visit,
    proposed_dose_number,
    proposed_site,
    proposed_vaccine,
)
from epimanager.store.database import Database

TODAY = date(2026, 11, 26)

#: a boy born 2024-11-26 who followed the 2025 schedule up to 18 months — except 甲肝
ON_TIME = (
    ("HepB", 1, date(2024, 11, 26)),
    ("BCG", 1, date(2024, 11, 26)),
    ("HepB", 2, date(2024, 12, 26)),
    ("IPV", 1, date(2025, 1, 26)),
    ("DTaP", 1, date(2025, 1, 26)),
    ("IPV", 2, date(2025, 2, 26)),
    ("bOPV", 3, date(2025, 3, 26)),
    ("DTaP", 2, date(2025, 3, 26)),
    ("HepB", 3, date(2025, 5, 26)),
    ("DTaP", 3, date(2025, 5, 26)),
    ("MPSV-A", 1, date(2025, 5, 26)),
    ("MMR", 1, date(2025, 7, 26)),
    ("JE-L", 1, date(2025, 7, 26)),
    ("MPSV-A", 2, date(2025, 8, 26)),
    ("DTaP", 4, date(2026, 5, 26)),
    ("MMR", 2, date(2026, 5, 26)),
)


@pytest.fixture
def boy(db: Database) -> str:
    code = create_child(db, ChildInput("王小明", "1", date(2024, 11, 26), mother_name="李梅"), today=TODAY).code
    for vaccine, n, day in ON_TIME:
        add_dose(db, code, DoseInput(vaccine, n, day), today=TODAY)
    return code


def test_the_next_visit_counts_todays_live_vaccine(db: Database, boy: str) -> None:
    """JE-L 第2剂 today (2 years old).  On the day itself HepA-L could go with it (open since
    18 months, 2026-05-26, 超期未种 from 2 years); after it, the 28-day rule between injectable
    live vaccines puts HepA-L at 2026-11-26 + 28 days = 2026-12-24 — the next visit, not 应种 now
    and not MenAC in a year."""
    add_dose(db, boy, DoseInput("JE-L", 2, TODAY), today=TODAY)
    child = get_child(db, boy)
    today_forecast = forecast_record(db, child, TODAY)
    hepa = today_forecast.for_series("HepA")
    assert hepa is not None and hepa.status is SeriesStatus.OVERDUE

    visit = next_visit(db, child, TODAY)
    assert visit.date == date(2026, 12, 24)
    assert [(d.name, d.dose_number, d.date, d.status) for d in visit.first] == [
        ("甲肝减毒活疫苗", 1, date(2026, 12, 24), SeriesStatus.NOT_YET)
    ]
    # then MenAC at 3 years, polio 4 at 4, DTaP 5 at 6
    assert [(d.series, d.dose_number, d.date) for d in visit.doses] == [
        ("HepA", 1, date(2026, 12, 24)),
        ("MenAC", 1, date(2027, 11, 26)),
        ("Polio", 4, date(2028, 11, 26)),
        ("DTaP", 5, date(2030, 11, 26)),
    ]


def test_a_due_dose_not_given_at_the_visit_is_due_the_next_day(db: Database, boy: str) -> None:
    """Without today's JE-L both JE-L 2 (due today at 2 years) and HepA-L (overdue from 2 years)
    stay open: come back from tomorrow for both."""
    visit = next_visit(db, get_child(db, boy), TODAY)
    assert visit.date == date(2026, 11, 27)
    assert [(d.series, d.dose_number, d.status) for d in visit.first] == [
        ("JE", 2, SeriesStatus.DUE),
        ("HepA", 1, SeriesStatus.OVERDUE),
    ]


def test_nothing_due_means_nothing_proposed(db: Database, boy: str) -> None:
    """After JE-L 2 and HepA-L today nothing is due: F4 pre-selects no vaccine; HepB (complete) has
    no dose number to propose (never 乙肝疫苗 第4剂); MenAC (not yet due) proposes its first dose."""
    add_dose(db, boy, DoseInput("JE-L", 2, TODAY), today=TODAY)
    add_dose(db, boy, DoseInput("HepA-L", 1, TODAY), today=TODAY)
    child = get_child(db, boy)
    fc = forecast_record(db, child, TODAY)
    assert proposed_vaccine(fc) is None
    assert proposed_dose_number(fc, child.doses, "0201") is None
    assert proposed_dose_number(fc, child.doses, "1701") == 1
    # a vaccine outside the schedule is numbered on from the record
    assert proposed_dose_number(fc, child.doses, "2101") == 1


def test_the_proposal_is_the_next_missing_dose_number(db: Database) -> None:
    """DTaP typed as 第2剂 and 第3剂 (the first one was never recorded): the engine counts two valid
    doses, so its next is the 3rd — but a valid 第3剂 is on record, so the next missing number is 4."""
    code = create_child(db, ChildInput("李想", "1", date(2026, 1, 1), mother_name="赵敏"), today=TODAY).code
    add_dose(db, code, DoseInput("DTaP", 2, date(2026, 3, 1)), today=TODAY)
    add_dose(db, code, DoseInput("DTaP", 3, date(2026, 5, 1)), today=TODAY)
    child = get_child(db, code)
    fc = forecast_record(db, child, TODAY)
    dtap = fc.for_series("DTaP")
    assert dtap is not None and dtap.next_dose == 3 and dtap.status is SeriesStatus.DUE
    assert proposed_dose_number(fc, child.doses, "0401") == 4


def test_an_invalid_dose_is_proposed_again_with_its_number(db: Database) -> None:
    """DTaP 第2剂 only 14 days after 第1剂 does not count (间短): the next missing dose is 第2剂 again."""
    code = create_child(db, ChildInput("李想", "1", date(2026, 1, 1), mother_name="赵敏"), today=TODAY).code
    add_dose(db, code, DoseInput("DTaP", 1, date(2026, 3, 1)), today=TODAY)
    add_dose(db, code, DoseInput("DTaP", 2, date(2026, 3, 15)), today=TODAY, confirm_invalid=True)
    child = get_child(db, code)
    fc = forecast_record(db, child, TODAY)
    assert proposed_vaccine(fc) is not None
    assert proposed_dose_number(fc, child.doses, "0401") == 2


def test_a_second_injection_of_the_visit_goes_to_another_site(db: Database, boy: str) -> None:
    """JE-L goes in the 左上臂 and HepA-L in the 右上臂 by default; after a 右上臂 injection today the
    next injectable is offered the 左上臂, and with both arms taken a thigh; oral stays 口服."""
    add_dose(db, boy, DoseInput("DTaP", 5, TODAY, site="右上臂"), today=TODAY, confirm_invalid=True)
    doses = get_child(db, boy).doses
    assert proposed_site("1901", doses, TODAY) == "左上臂"
    assert proposed_site("1901", doses, date(2026, 11, 27)) == "右上臂"  # another day: the usual site
    add_dose(db, boy, DoseInput("HepA-L", 1, TODAY, site="左上臂"), today=TODAY)
    doses = get_child(db, boy).doses
    assert proposed_site("1801", doses, TODAY) == "左大腿"
    assert proposed_site("0311", doses, TODAY) == "口服"


def test_demo_children_have_no_gaps_in_their_dose_numbers(db: Database) -> None:
    """A demo family that missed a visit gets the missed dose at the next one: the record numbers
    each series 1, 2, 3 … (the grid showed DTaP in ②③ with ① empty and 下一剂 第3剂), and the
    next missing number is the forecast's next dose."""
    from sqlalchemy import select

    from epimanager.resources import catalog
    from epimanager.services.demo import generate
    from epimanager.store.models import Child, Dose

    generate(db, 300, seed=11, today=TODAY)
    cat = catalog()
    routine = {"HepB", "Polio", "DTaP", "MMR", "JE", "MenA", "MenAC", "HepA"}
    numbers: dict[tuple[int, str], list[int]] = {}
    with db.session() as s:
        for cid, code, n in s.execute(select(Dose.child_id, Dose.vaccine_code, Dose.dose_number)):
            vac = cat.get(code)
            for series in vac.counts_for if vac else ():
                if series in routine:
                    numbers.setdefault((cid, series), []).append(n)
        codes = {int(i): str(c) for i, c in s.execute(select(Child.id, Child.code))}
    assert len(numbers) > 500
    gaps = {k: v for k, v in numbers.items() if sorted(v) != list(range(1, len(v) + 1))}
    assert gaps == {}
    checked = 0
    for (cid, series), given in list(numbers.items())[:200]:
        child = get_child(db, codes[cid])
        fc = forecast_record(db, child, TODAY)
        f = fc.for_series(series)
        if f is not None and f.next_dose is not None and f.doses_counted == len(given):
            assert proposed_dose_number(fc, child.doses, f.vaccine or "") in (f.next_dose, None)
            checked += 1
    assert checked > 20
