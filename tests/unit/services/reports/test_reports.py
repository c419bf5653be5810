"""Monthly reports on a small hand-made database; expected cells worked out by hand.

Month under test: 2026-03 (schedule rules of 2026: DTaP at 2, 4, 6, 18 m and 6 y).
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from epimanager.domain.codes import Residence, Status
from epimanager.domain.reports import COLUMNS_6_1
from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.errors import ValidationError
from epimanager.services.children import create_child, update_child
from epimanager.services.doses import add_dose, delete_dose
from epimanager.services.reports.report_6_1 import report_6_1
from epimanager.services.reports.report_6_1_state import Stored as _Stored
from epimanager.services.reports.report_6_1_state import state_key
from epimanager.services.reports.report_6_1_state import store as _store
from epimanager.services.reports.runs import generate, runs_for
from epimanager.store.database import Database

TODAY = date(2026, 4, 5)
OTHER_UNIT = "3201040101"


def child(db: Database, name: str, sex: str, born: str, committee: str | None, **kw: object) -> str:
    inp = ChildInput(name, sex, date.fromisoformat(born), mother_name="母亲", committee=committee, **kw)  # type: ignore[arg-type]
    return create_child(db, inp, today=TODAY).code


def dose(
    db: Database,
    code: str,
    vaccine: str,
    n: int,
    day: str,
    *,
    batch: str = "",
    unit: str | None = None,
    free: bool = True,
) -> None:
    add_dose(
        db,
        code,
        DoseInput(vaccine, n, date.fromisoformat(day), batch_no=batch or None, unit_code=unit, free=free),
        today=TODAY,
        confirm_invalid=True,  # the reports count what was given, invalid doses included where the rules say so
    )


@pytest.fixture
def clinic(db: Database) -> Database:
    # A 东风村 boy born in the month: HepB1 on the birth day and BCG the next day, here.
    a = child(db, "张一", "1", "2026-03-10", "东风村")
    dose(db, a, "HepB", 1, "2026-03-10", batch="HB01")
    dose(db, a, "BCG", 1, "2026-03-11", batch="BC01")
    # B 东风村 girl born 2026-01-15: HepB2 (due 02-15, backlog) given here 03-05;
    #   IPV1 and DTaP1 newly due 03-15, not given; a paid Hib dose here (6-2 only).
    b = child(db, "李二", "2", "2026-01-15", "东风村")
    dose(db, b, "HepB", 1, "2026-01-15")
    dose(db, b, "BCG", 1, "2026-01-16")
    dose(db, b, "HepB", 2, "2026-03-05", batch="HB01")
    dose(db, b, "Hib", 1, "2026-03-20", batch="HI01", free=False)
    # C 红旗村 floating boy born 2025-09-20, on time so far: at 6 m (03-20) HepB3, DTaP3 and
    #   MenA1 fall due; HepB3 given at another unit, DTaP3 given here.
    c = child(db, "王三", "1", "2025-09-20", "红旗村", residence=Residence.FLOATING)
    for vac, n, day in [
        ("HepB", 1, "2025-09-20"),
        ("BCG", 1, "2025-09-21"),
        ("HepB", 2, "2025-10-20"),
        ("IPV", 1, "2025-11-20"),
        ("DTaP", 1, "2025-11-20"),
        ("IPV", 2, "2025-12-20"),
        ("DTaP", 2, "2026-01-20"),
        ("bOPV", 3, "2026-01-20"),
    ]:
        dose(db, c, vac, n, day)
    dose(db, c, "HepB", 3, "2026-03-25", unit=OTHER_UNIT)
    dose(db, c, "DTaP", 3, "2026-03-25", batch="DT01")
    # D 城关社区 girl who moved out: never counted.
    d = child(db, "赵四", "2", "2024-01-05", "城关社区", status=Status.MOVED_OUT)
    dose(db, d, "MMR", 1, "2024-09-10")
    # E a 临时接种 boy from elsewhere, no 区域划分: MMR1 given here counts (实种 and so 应种), nothing else.
    e = child(db, "钱五", "1", "2025-03-01", None, status=Status.TEMP_VACCINATION)
    dose(db, e, "MMR", 1, "2026-03-10", batch="MR01")
    # F 东风村 boy born 2023-02-10, stopped after HepB2: everything he misses fell due before
    #   2025-03-01, outside the 12-month backlog → nothing counted.
    f = child(db, "孙六", "1", "2023-02-10", "东风村")
    dose(db, f, "HepB", 1, "2023-02-10")
    dose(db, f, "BCG", 1, "2023-02-11")
    dose(db, f, "HepB", 2, "2023-03-10")
    # G 红旗村 girl born 2019-06-15 with DTaP1-4 (2021 ages) and MenA1-2, MenAC1: DTaP5 and MenAC2
    #   fell due 2025-06-15 (6 y), still not given → backlog in March 2026.
    g = child(db, "周七", "2", "2019-06-15", "红旗村")
    for vac, n, day in [
        ("DTaP", 1, "2019-09-15"),
        ("DTaP", 2, "2019-10-15"),
        ("DTaP", 3, "2019-11-15"),
        ("DTaP", 4, "2020-12-15"),
        ("MPSV-A", 1, "2019-12-15"),
        ("MPSV-A", 2, "2020-03-15"),
        ("MPSV-AC", 1, "2022-06-15"),
    ]:
        dose(db, g, vac, n, day)
    return db


def cells(block: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in block.items() if v}


def test_6_1_rows_per_committee_by_hand(clinic: Database) -> None:
    r = report_6_1(clinic, "2026-03")
    assert r["month"] == "2026-03" and r["unit"] == "3201020101"
    rows = {row["committee"]: row for row in r["rows"]}
    assert list(rows) == ["东风村", "红旗村", "城关社区", "（未划分）"]
    # 东风村 = A + B (+ F, nothing)
    assert cells(rows["东风村"]["due"]) == {"HepB1": 1, "HepB1_24h": 1, "BCG": 1, "HepB2": 1, "PV1": 1, "DTaP1": 1}
    assert cells(rows["东风村"]["given"]) == {"HepB1": 1, "HepB1_24h": 1, "BCG": 1, "HepB2": 1}
    # 红旗村 = C + G
    assert cells(rows["红旗村"]["due"]) == {"HepB3": 1, "DTaP3": 1, "MenA1": 1, "DTaP5": 1, "MenAC2": 1}
    assert cells(rows["红旗村"]["given"]) == {"DTaP3": 1}
    # 城关社区: D moved out
    assert cells(rows["城关社区"]["due"]) == {} and cells(rows["城关社区"]["given"]) == {}
    # E: 临时接种, counted only for what was given here
    assert cells(rows["（未划分）"]["due"]) == {"MMR1": 1}
    assert cells(rows["（未划分）"]["given"]) == {"MMR1": 1}
    assert cells(r["total"]["due"]) == {
        "HepB1": 1, "HepB1_24h": 1, "BCG": 1, "HepB2": 1, "PV1": 1, "DTaP1": 1, "HepB3": 1, "DTaP3": 1,
        "MenA1": 1, "DTaP5": 1, "MenAC2": 1, "MMR1": 1,
    }  # fmt: skip
    assert cells(r["total"]["given"]) == {"HepB1": 1, "HepB1_24h": 1, "BCG": 1, "HepB2": 1, "DTaP3": 1, "MMR1": 1}
    assert set(r["total"]["due"]) == set(COLUMNS_6_1)


def test_6_1_residence_filter_drops_the_floating_child(clinic: Database) -> None:
    r = report_6_1(clinic, "2026-03", residence=int(Residence.LOCAL))
    assert r["residence"] == "本地"
    rows = {row["committee"]: row for row in r["rows"]}
    assert cells(rows["红旗村"]["due"]) == {"DTaP5": 1, "MenAC2": 1}
    assert cells(rows["红旗村"]["given"]) == {}
    floating = report_6_1(clinic, "2026-03", residence=int(Residence.FLOATING))
    assert cells(floating["total"]["due"]) == {"HepB3": 1, "DTaP3": 1, "MenA1": 1}


def test_every_given_dose_is_also_due(clinic: Database) -> None:
    r = report_6_1(clinic, "2026-03")
    for row in r["rows"]:
        for col in COLUMNS_6_1:
            assert row["given"][col] <= row["due"][col], (row["committee"], col)


def test_6_2_counts_paid_and_non_nip_doses_given_here(clinic: Database) -> None:
    r = generate(clinic, "6-2", "2026-03", user="李护士")
    assert r["rows"] == [{"code": "2301", "vaccine": "Hib疫苗", "doses": 1}]
    assert r["total"] == 1


def test_consumption_log_per_day_vaccine_batch(clinic: Database) -> None:
    r = generate(clinic, "consumption", "2026-03")
    got = [(x["date"], x["code"], x["batch"], x["doses"]) for x in r["rows"]]
    assert got == [
        ("2026-03-05", "0201", "HB01", 1),
        ("2026-03-10", "0201", "HB01", 1),
        ("2026-03-10", "1201", "MR01", 1),
        ("2026-03-11", "0101", "BC01", 1),
        ("2026-03-20", "2301", "HI01", 1),
        ("2026-03-25", "0401", "DT01", 1),
    ]
    assert r["total"] == 6


def test_case_statistics(clinic: Database) -> None:
    r = generate(clinic, "cases", "2026-03")
    assert r["by_status"]["本地"] == 5
    assert r["by_status"]["迁出"] == 1 and r["by_status"]["临时接种"] == 1
    # managed children at 2026-03-31 by age: A, B, C <1; F 3 y; G 6 y
    assert r["managed_by_age"] == {"<1岁": 3, "1岁": 0, "2岁": 0, "3-6岁": 2, "7-14岁": 0, "15-17岁": 0, "≥18岁": 0}
    assert r["managed_by_committee"] == {"东风村": 3, "红旗村": 2, "城关社区": 0, "（未划分）": 0}


def test_generated_reports_are_remembered_with_who_and_when(clinic: Database) -> None:
    assert runs_for(clinic, "2026-03") == {}
    generate(clinic, "6-1", "2026-03", user="李护士")
    runs = runs_for(clinic, "2026-03")
    assert runs["6-1"].generated_by == "李护士"


def test_bad_month_is_refused(clinic: Database) -> None:
    with pytest.raises(ValidationError, match="月份格式不正确"):
        report_6_1(clinic, "2026-13")


def test_shortcuts_give_exactly_the_exhaustive_result(db: Database) -> None:
    """The report skips series that cannot count in the window; on realistic data across both DTaP eras
    and the HPV start, that must change nothing compared with forecasting every child in full."""
    from epimanager.services.demo import generate as demo

    demo(db, 800, seed=11, today=date(2026, 11, 26))
    for month in ("2024-12", "2025-01", "2025-11", "2026-10"):
        fast = report_6_1(db, month)
        full = report_6_1(db, month, exhaustive=True)
        assert fast["rows"] == full["rows"], month
        assert sum(full["total"]["due"].values()) > 50


def _stored(db: Database) -> dict[int, list[tuple[str, str, str, str]]]:
    """Stored 6-1 rows by child."""
    with db.session() as s:
        out: dict[int, list[tuple[str, str, str, str]]] = {
            cid: [] for cid in s.execute(text("SELECT child_id FROM report_state")).scalars()
        }
        for cid, *row in s.execute(text("SELECT child_id, col, earliest, a_from, a_until FROM report_due ORDER BY id")):
            out[cid].append(tuple(row))
    return out


def _child_with_doses_before(db: Database, month_start: str) -> tuple[int, str, str]:
    """(id, child code, uuid of its latest dose) of a child whose doses all lie before the month."""
    with db.session() as s:
        row = s.execute(
            text(
                "SELECT c.id, c.code, (SELECT uuid FROM dose WHERE child_id = c.id AND deleted = false "
                "ORDER BY date DESC LIMIT 1) FROM child c JOIN report_state r ON r.child_id = c.id "
                "WHERE c.birth_date BETWEEN '2024-06-01' AND '2025-06-01' "
                "AND NOT EXISTS (SELECT 1 FROM dose d WHERE d.child_id = c.id "
                "AND d.date >= :m) ORDER BY c.id LIMIT 1"
            ),
            {"m": month_start},
        ).one()
    return int(row[0]), str(row[1]), str(row[2])


def test_stored_rows_give_the_exhaustive_result_and_follow_every_change(db: Database) -> None:
    """The first 6-1 stores each child's due cells; later runs count from them.  Adding or deleting
    a dose or changing a birth date drops that child's rows in the same transaction, so every run
    still equals forecasting everyone in full from the doses."""
    from epimanager.services.demo import generate as demo

    today = date(2026, 11, 26)
    demo(db, 800, seed=5, today=today)
    month = "2026-10"

    def same(period: str) -> None:
        assert report_6_1(db, period, today=today)["rows"] == report_6_1(db, period, exhaustive=True)["rows"]

    full = report_6_1(db, month, exhaustive=True)
    assert _stored(db) == {}  # the exhaustive run neither reads nor writes stored rows
    assert report_6_1(db, month, today=today)["rows"] == full["rows"]  # computes and stores
    stored = _stored(db)
    assert len(stored) > 400
    same(month)  # counted from the stored rows
    same("2026-09")

    cid, code, latest = _child_with_doses_before(db, "2026-10-01")
    # a demo child's history decides whether this dose counts (or repeats a dose on record); the rows
    # must follow it either way
    add_dose(
        db, code, DoseInput("MMR", 1, date(2026, 9, 20)), today=today, confirm_invalid=True, confirm_duplicate=True
    )
    assert cid not in _stored(db)
    same(month)
    assert cid in _stored(db)

    delete_dose(db, latest)
    assert cid not in _stored(db)
    same(month)

    # vaccinated after the month: its new rows come from the doses before this month, so they
    # still serve last month's report
    add_dose(
        db, code, DoseInput("DTaP", 4, date(2026, 11, 20)), today=today, confirm_invalid=True, confirm_duplicate=True
    )
    same(month)
    with db.session() as s:
        state = s.execute(
            text("SELECT basis, latest < '2026-10-01', next_after FROM report_state WHERE child_id = :c"), {"c": cid}
        ).one()
    assert tuple(state) == ("2026-11-01", 1, "2026-11-20")
    same(month)

    update_child(db, code, {"birth_date": date(2024, 3, 3), "id_number": None}, today=today)
    assert cid not in _stored(db)
    same(month)
    assert cid in _stored(db) and _stored(db)[cid] != stored[cid]


def test_histories_are_not_stored_when_doses_changed_during_the_report(db: Database) -> None:
    """A dose recorded while a report runs would make the report's histories stale: none are kept."""
    code = child(db, "王五", "1", "2026-01-10", None)
    with db.session() as s:
        gen = s.execute(text("SELECT gen FROM report_state_gen")).scalar_one()
        cid = s.execute(text("SELECT id FROM child WHERE code = :c"), {"c": code}).scalar_one()
    dose(db, code, "HepB", 1, "2026-01-10")
    rows = _Stored(
        cid,
        "2026-11-01",
        "2026-01-10",
        "9999-12-31",
        "2026-01-01",
        "9999-12-31",
        [("HepB2", "2026-02-10", "2026-01-11", "2044-01-10")],
    )
    assert not _store(db, gen, state_key(), [rows])
    assert _stored(db) == {}
    with db.session() as s:
        gen = s.execute(text("SELECT gen FROM report_state_gen")).scalar_one()
    assert _store(db, gen, state_key(), [rows])
    assert _stored(db) == {cid: rows.due}
