"""注射器管理: syringes received, issued and counted like vaccines, and taken by the doses that need them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
import pytest

from epimanager.domain.validation import ChildInput
from epimanager.errors import ValidationError
from epimanager.services.children import create_child
from epimanager.services.doses import delete_dose, update_dose
from epimanager.services.reminders import notices
from epimanager.services.stock import alerts, catalog, counts, export, movements, reports, syringes
from epimanager.store.database import Database
from tests.unit.services.stock.conftest import TODAY, dose, qty, receive


def second_child(db: Database) -> str:
    return create_child(db, ChildInput("王芳", "2", date(2026, 5, 2), mother_name="赵丽"), today=TODAY).code


@pytest.fixture
def stocked(db: Database) -> Database:
    """On 10-01: 100 AD-0.5, 20 AD-0.1, 10 MIX-5; HepB 10, BCG 2 vials of 10, bOPV 20 (oral)."""
    receive(db, "AD-0.5", "S05", date(2029, 1, 31), 100, manufacturer="山东威高")
    receive(db, "AD-0.1", "S01", date(2029, 1, 31), 20)
    receive(db, "MIX-5", "M5", date(2029, 1, 31), 10)
    receive(db, "HepB", "B1", date(2027, 6, 30), 10)
    receive(db, "BCG", "C1", date(2027, 6, 30), 20, doses_per_vial=10)
    receive(db, "bOPV", "P1", date(2027, 6, 30), 20)
    return db


def syringes_left(db: Database) -> tuple[int, int, int]:
    return (qty(db, "AD-0.5", "S05"), qty(db, "AD-0.1", "S01"), qty(db, "MIX-5", "M5"))


def test_a_days_doses_take_the_syringes_their_vaccines_need(stocked: Database, code: str) -> None:
    db = stocked
    other = second_child(db)
    hepb = dose(db, code, "HepB", "B1")  # IM: one 0.5 ml
    dose(db, code, "BCG", "C1")  # ID, opens a 10-dose vial: one 0.1 ml + one 5 ml to mix
    dose(db, other, "BCG", "C1")  # from the open vial: one 0.1 ml, no mixing
    dose(db, code, "bOPV", "P1")  # oral: none
    assert syringes_left(db) == (99, 18, 9)
    assert (qty(db, "HepB", "B1"), qty(db, "BCG", "C1"), qty(db, "bOPV", "P1")) == (9, 18, 19)
    # a deleted dose gives its syringe back, as it gives back its vaccine
    delete_dose(db, hepb.uuid, reason="录入错误")
    assert syringes_left(db) == (100, 18, 9) and qty(db, "HepB", "B1") == 10
    # the day's ledger for the syringes: each line names the dose it went to
    lines = reports.movements(db, TODAY, date(2026, 11, 27), vaccine="AD-0.5")
    assert [(m.subtype_label, m.delta, m.balance, m.dose_uuid, m.unit) for m in lines] == [
        ("接种使用", -1, 99, hepb.uuid, "支"),
        ("接种使用", 1, 100, hepb.uuid, "支"),
    ]


def test_a_changed_dose_keeps_one_syringe(stocked: Database, code: str) -> None:
    db = stocked
    receive(db, "HepB", "B2", date(2027, 8, 31), 5)
    d = dose(db, code, "HepB", "B1")
    update_dose(db, d.uuid, {"batch_no": "B2"}, today=TODAY)
    assert (qty(db, "HepB", "B1"), qty(db, "HepB", "B2"), qty(db, "AD-0.5", "S05")) == (10, 4, 99)
    # a change that does not touch stock leaves the syringe where it is
    update_dose(db, d.uuid, {"site": "左上臂"}, today=TODAY)
    assert qty(db, "AD-0.5", "S05") == 99


def test_no_syringe_in_stock_does_not_block_the_dose_and_is_shown_in_f7(db: Database, code: str) -> None:
    receive(db, "AD-0.5", "S05", date(2029, 1, 31), 1)
    receive(db, "HepB", "B1", date(2027, 6, 30), 10)
    dose(db, code, "HepB", "B1", 1, date(2026, 11, 20))
    second = dose(db, code, "HepB", "B1", 2, date(2026, 11, 25))  # no 0.5 ml syringe left: saved all the same
    assert (qty(db, "HepB", "B1"), qty(db, "AD-0.5", "S05")) == (8, 0)
    (short,) = syringes.shortages(db, date(2026, 11, 1))
    assert (short.abbr, short.label, short.doses, short.last) == (
        "AD-0.5",
        "自毁型注射器 0.5ml",
        1,
        date(2026, 11, 25),
    )
    f7 = [n.text for n in notices(db, TODAY) if n.kind == "stock"]
    assert "注射器短缺：自毁型注射器 0.5ml（AD-0.5）近 30 天有 1 剂次接种时库存无此注射器，请入库或盘点" in f7
    # deleting that dose clears the shortage and gives nothing back (it took no syringe)
    delete_dose(db, second.uuid)
    assert syringes.shortages(db, date(2026, 11, 1)) == []
    assert qty(db, "AD-0.5", "S05") == 0


def test_a_clinic_that_keeps_no_syringes_records_no_shortage(db: Database, code: str) -> None:
    receive(db, "HepB", "B1", date(2027, 6, 30), 10)
    dose(db, code, "HepB", "B1")
    assert syringes.shortages(db, date(2026, 1, 1)) == []


def test_syringes_follow_the_ledger_rules_of_vaccines(db: Database) -> None:
    receive(db, "AD-0.5", "s05", date(2029, 1, 31), 10)
    with pytest.raises(ValidationError, match=r"库存不足：AD-0\.5 批号 S05 可用 10 支，需要 12 支，缺少 2 支"):
        movements.issue(db, vaccine="AD-0.5", batch_no="S05", quantity=12, on=TODAY)
    movements.waste(db, vaccine="0.5ml", batch_no="S05", quantity=2, subtype="broken", on=TODAY)
    m = counts.count(db, vaccine="AD-0.5", batch_no="S05", counted=7, reason="盘点短少", on=TODAY)
    assert (m.delta, m.balance, m.unit) == (-1, 7, "支")
    with pytest.raises(ValidationError, match="不能入库"):
        receive(db, "AD-1", "OLD", date(2026, 9, 30), 10)
    p = catalog.find_product(db, "AD-0.5")
    assert (p.kind, p.vaccine_name) == ("syringe", "自毁型注射器 0.5ml")
    catalog.update_product(db, p.id, min_quantity=50)
    (low,) = alerts.below_minimum(db, TODAY)
    assert (low.product.vaccine_abbr, low.on_hand, low.shortfall) == ("AD-0.5", 7, 43)


def test_monthly_balance_holds_for_vaccines_and_syringes_and_xlsx_has_both_parts(
    stocked: Database, code: str, tmp_path: Path
) -> None:
    """November: 3 HepB doses (one deleted), one BCG vial opened; syringes issued, wasted and counted.

    AD-0.5: 100 − 2 doses − 5 issued − 3 broken = 90, counted 89 → −1: closing 89
    AD-0.1: 20 − 1 dose = 19;  MIX-5: 10 − 1 (the vial opened) = 9
    """
    db = stocked
    dose(db, code, "HepB", "B1", 1, date(2026, 11, 2))
    d2 = dose(db, code, "HepB", "B1", 2, date(2026, 11, 3))
    dose(db, code, "HepB", "B1", 3, date(2026, 11, 4))
    delete_dose(db, d2.uuid)
    dose(db, code, "BCG", "C1", 1, date(2026, 11, 5))
    movements.issue(
        db,
        vaccine="AD-0.5",
        batch_no="S05",
        quantity=5,
        subtype="transfer",
        counterparty="村卫生室",
        on=date(2026, 11, 6),
    )
    movements.waste(db, vaccine="AD-0.5", batch_no="S05", quantity=3, subtype="broken", on=date(2026, 11, 7))
    counts.count(db, vaccine="AD-0.5", batch_no="S05", counted=89, reason="盘点短少", on=date(2026, 11, 20))
    nov = reports.monthly_summary(db, 2026, 11)
    figures = {
        r.vaccine_abbr: (r.opening, r.received, r.issued, r.wasted, r.adjusted, r.closing, r.doses_given)
        for r in nov.rows
    }
    assert figures == {
        "HepB": (10, 0, 2, 0, 0, 8, 2),
        "BCG": (20, 0, 1, 0, 0, 19, 1),
        "bOPV": (20, 0, 0, 0, 0, 20, 0),
    }
    sy = {
        r.vaccine_abbr: (r.opening, r.received, r.issued, r.wasted, r.adjusted, r.closing, r.doses_given)
        for r in nov.syringe_rows
    }
    assert sy == {
        "AD-0.1": (20, 0, 1, 0, 0, 19, 1),
        "AD-0.5": (100, 0, 7, 3, -1, 89, 2),
        "MIX-5": (10, 0, 1, 0, 0, 9, 1),
    }
    assert all(r.balanced for r in nov.rows + nov.syringe_rows)
    assert [t.closing for t in nov.syringe_totals()] == [19, 89, 9]
    # October: everything received, nothing used
    assert {r.vaccine_abbr: r.closing for r in reports.monthly_summary(db, 2026, 10).syringe_rows} == {
        "AD-0.1": 20,
        "AD-0.5": 100,
        "MIX-5": 10,
    }
    path = export.write_xlsx(
        [*export.summary_tables(nov), export.movements_table(reports.month_movements(db, 2026, 11))],
        tmp_path / "nov.xlsx",
    )
    wb = openpyxl.load_workbook(path)
    vac, syr, _lines = wb.worksheets
    assert vac["A1"].value == "2026年11月 疫苗出入库汇总"
    assert syr["A1"].value == "2026年11月 注射器出入库汇总"
    assert [c.value for c in syr[2]] == [
        "注射器编码",
        "注射器",
        "名称",
        "生产企业",
        "规格",
        "批号",
        "失效期",
        "期初",
        "入库",
        "出库",
        "损耗",
        "盘点调整",
        "期末",
        "其中接种使用",
    ]
    ad05 = [[c.value for c in row] for row in syr.iter_rows(min_row=3) if row[1].value == "AD-0.5"]
    assert [r[:6] for r in ad05] == [
        ["AD05", "AD-0.5", "自毁型注射器 0.5ml", "山东威高", None, "S05"],
        ["AD05", "AD-0.5", "自毁型注射器 0.5ml", None, None, "小计"],
    ]
    assert [r[7:] for r in ad05] == [[100, 0, 7, 3, -1, 89, 2]] * 2
    assert [r[1].value for r in syr.iter_rows(min_row=3)] == ["AD-0.1", "AD-0.1", "AD-0.5", "AD-0.5", "MIX-5", "MIX-5"]


def test_on_hand_lists_vaccines_then_syringes_in_their_units(stocked: Database) -> None:
    rows = reports.on_hand(stocked, TODAY)
    assert [(r.vaccine_abbr, r.quantity, r.unit) for r in rows] == [
        ("HepB", 10, "人份"),
        ("BCG", 20, "人份"),
        ("bOPV", 20, "人份"),
        ("AD-0.1", 20, "支"),
        ("AD-0.5", 100, "支"),
        ("MIX-5", 10, "支"),
    ]


def test_a_back_dated_dose_takes_no_syringe_the_ledger_did_not_yet_hold(db: Database, code: str) -> None:
    receive(db, "HepB", "B1", date(2027, 6, 30), 10)
    receive(db, "AD-0.5", "S1", date(2029, 1, 31), 1)  # 10-01
    movements.issue(
        db,
        vaccine="AD-0.5",
        batch_no="S1",
        quantity=1,
        subtype="transfer",
        counterparty="村卫生室",
        on=date(2026, 11, 20),
    )
    receive(db, "AD-0.5", "S2", date(2029, 1, 31), 5, on=date(2026, 11, 25))
    # entered today, given on 11-05: S1 was empty by now, S2 not yet received on 11-05
    dose(db, code, "HepB", "B1", 1, date(2026, 11, 5))
    assert (qty(db, "AD-0.5", "S1"), qty(db, "AD-0.5", "S2"), qty(db, "HepB", "B1")) == (0, 5, 9)
    assert [(x.abbr, x.doses) for x in syringes.shortages(db, date(2026, 11, 1))] == [("AD-0.5", 1)]
    # given today: S2
    dose(db, code, "HepB", "B1", 2, TODAY)
    assert qty(db, "AD-0.5", "S2") == 4
