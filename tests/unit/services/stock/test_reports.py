"""Stock reports on a real database: monthly balance, on hand, movements, CSV/xlsx."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.errors import EpiError
from epimanager.services.children import create_child
from epimanager.services.doses import add_dose, delete_dose
from epimanager.services.stock import catalog, counts, export, movements, records, reports
from epimanager.store.database import Database

TODAY = date(2026, 11, 26)


def row(summary: reports.MonthlySummary, batch: str) -> tuple[int, ...]:
    (r,) = [r for r in summary.rows if r.batch_no == batch]
    return (r.opening, r.received, r.issued, r.wasted, r.adjusted, r.closing)


@pytest.fixture
def two_months(db: Database) -> Database:
    """HepB batch B1 over October and November 2026, and BCG batch C1 received in November.

    October: +100 received (10-05), −30 used (10-20), −2 broken (10-25)        → closing 68
    November: +50 received (11-03), −10 returned (11-10), −1 dose (11-15),
              a dose given and deleted (11-16, nets 0),
              count of 105 on 11-20 against 68 + 50 − 10 − 1 = 107 on the books → −2
              → 68 + 50 − 11 − 0 − 2 = 105
    """
    kw = {"vaccine": "HepB", "batch_no": "B1"}
    movements.receive(db, **kw, expiry=date(2027, 6, 30), quantity=100, manufacturer="深圳康泰", on=date(2026, 10, 5))
    movements.issue(db, **kw, quantity=30, subtype="use", on=date(2026, 10, 20))
    movements.waste(db, **kw, quantity=2, subtype="broken", on=date(2026, 10, 25))
    movements.receive(db, **kw, expiry=date(2027, 6, 30), quantity=50, on=date(2026, 11, 3), supplier="玄武区疾控")
    movements.issue(db, **kw, quantity=10, subtype="return", counterparty="玄武区疾控", on=date(2026, 11, 10))
    child = create_child(db, ChildInput("张浩", "1", date(2026, 3, 1), mother_name="李梅"), today=TODAY).code
    add_dose(db, child, DoseInput("HepB", 1, date(2026, 11, 15), batch_no="B1"), today=TODAY)
    # a day after dose 1 it does not count in the schedule; stock still gives it out (confirmed)
    d = add_dose(db, child, DoseInput("HepB", 2, date(2026, 11, 16), batch_no="B1"), today=TODAY, confirm_invalid=True)
    delete_dose(db, d.uuid)
    counts.count(db, **kw, counted=105, reason="盘点短少", on=date(2026, 11, 20))
    movements.receive(db, vaccine="BCG", batch_no="C1", expiry=date(2027, 1, 31), quantity=20, on=date(2026, 11, 4))
    return db


def test_monthly_summary_worked_by_hand(two_months: Database) -> None:
    oct_ = reports.monthly_summary(two_months, 2026, 10)
    nov = reports.monthly_summary(two_months, 2026, 11)
    assert row(oct_, "B1") == (0, 100, 30, 2, 0, 68)
    assert row(nov, "B1") == (68, 50, 11, 0, -2, 105)
    assert [r.batch_no for r in oct_.rows] == ["B1"]  # C1 not yet received
    assert row(nov, "C1") == (0, 20, 0, 0, 0, 20)
    (b1,) = [r for r in nov.rows if r.batch_no == "B1"]
    assert (b1.doses_given, b1.manufacturer, b1.balanced) == (1, "深圳康泰", True)
    # HepB (大类 order 1) comes before BCG (order 2), as in the catalog
    assert [r.vaccine_abbr for r in nov.rows] == ["HepB", "BCG"]
    # September: nothing; December: B1 and C1 carried forward
    assert reports.monthly_summary(two_months, 2026, 9).rows == ()
    dec = reports.monthly_summary(two_months, 2026, 12)
    assert row(dec, "B1") == (105, 0, 0, 0, 0, 105)
    # the ledger's closing equals the batch's cached balance
    assert catalog.get_batch(two_months, "HepB", "B1").quantity == 105


def test_movements_list_carries_a_running_balance(two_months: Database) -> None:
    lines = reports.month_movements(two_months, 2026, 11, vaccine="HepB")
    assert [(m.date.day, m.subtype_label, m.delta, m.balance) for m in lines] == [
        (3, "领取入库", 50, 118),
        (10, "退回", -10, 108),
        (15, "接种使用", -1, 107),
        (16, "接种使用", -1, 106),
        (16, "接种使用", 1, 107),
        (20, "盘点调整", -2, 105),
    ]
    assert lines[0].supplier == "玄武区疾控" and lines[1].counterparty == "玄武区疾控"


def test_on_hand_lists_batches_with_expiry_status(two_months: Database) -> None:
    rows = reports.on_hand(two_months, TODAY)
    assert [(r.vaccine_abbr, r.batch_no, r.quantity, r.days_left, r.status) for r in rows] == [
        ("HepB", "B1", 105, 216, ""),
        ("BCG", "C1", 20, 66, ""),
    ]
    assert [r.status for r in reports.on_hand(two_months, date(2027, 1, 10))] == ["", "近效期"]


def test_csv_and_xlsx_exports(two_months: Database, tmp_path: Path) -> None:
    table = export.summary_table(reports.monthly_summary(two_months, 2026, 11))
    csv_path = export.write_csv(table, tmp_path / "nov.csv")
    raw = csv_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM for Excel
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[0] == "疫苗编码,疫苗,生产企业,规格,批号,失效期,期初,入库,出库,损耗,盘点调整,期末,其中接种"
    assert lines[1] == "0201,HepB,深圳康泰,,B1,2027-06-30,68,50,11,0,-2,105,1"
    assert lines[2] == "0201,HepB,,,小计,,68,50,11,0,-2,105,1"
    xlsx = export.write_xlsx(
        [table, export.movements_table(reports.month_movements(two_months, 2026, 11))], tmp_path / "nov.xlsx"
    )
    wb = openpyxl.load_workbook(xlsx)
    ws = wb.worksheets[0]
    assert ws["A1"].value == "2026年11月 疫苗出入库汇总"
    assert [c.value for c in ws[3]][4:12] == ["B1", ws["F3"].value, 68, 50, 11, 0, -2, 105]
    assert ws["F3"].value.date() == date(2027, 6, 30)
    assert wb.worksheets[1].max_row == 2 + 7  # title, header, 7 movements


# ---------------------------------------------------------------- property: the balance identity

START = date(2026, 9, 1)
_serial = itertools.count()

movement = st.tuples(
    st.sampled_from(["receive", "use", "return", "broken", "expired", "count"]),
    st.integers(min_value=0, max_value=80),  # day offset from 1 September (up to 20 November)
    st.integers(min_value=0, max_value=40),
)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(moves=st.lists(movement, min_size=1, max_size=25))
def test_balance_identity_holds_for_any_sequence_of_movements(db: Database, moves: list[tuple[str, int, int]]) -> None:
    """opening + in − out − waste + adjustment = closing, every month; never below zero; closing = cache."""
    batch = f"P{next(_serial)}"
    kw = {"vaccine": "HepB", "batch_no": batch}
    for kind, offset, n in moves:
        on = START + timedelta(days=offset)
        try:
            if kind == "receive":
                movements.receive(db, **kw, expiry=date(2027, 12, 31), quantity=n, on=on)
            elif kind in ("use", "return"):
                movements.issue(db, **kw, quantity=n, subtype=kind, counterparty="县疾控", on=on)
            elif kind == "count":
                counts.count(db, **kw, counted=n, reason="盘点", on=on)
            else:
                movements.waste(db, **kw, quantity=n, subtype=kind, on=on)
        except EpiError:
            pass  # refused (nothing received yet, shortfall, zero quantity): must change nothing
    closings = []
    for month in (9, 10, 11, 12):
        found = [r for r in reports.monthly_summary(db, 2026, month).rows if r.batch_no == batch]
        if not found:
            closings.append(0)
            continue
        (r,) = found
        assert r.opening + r.received - r.issued - r.wasted + r.adjusted == r.closing
        assert r.opening == (closings[-1] if closings else 0)
        assert min(r.opening, r.closing, r.received, r.issued, r.wasted) >= 0
        closings.append(r.closing)
    lines = reports.movements(db, START, date(2027, 1, 1), batch_no=batch)
    assert _day_end_nonnegative(lines)
    try:
        cached = catalog.get_batch(db, "HepB", batch).quantity
    except EpiError:
        cached = 0
    assert closings[-1] == cached


def _day_end_nonnegative(lines: list[records.MovementRecord]) -> bool:
    """The balance at the end of every day with movements (lines are in date, then entry order)."""
    ends: dict[date, int] = {}
    for m in lines:
        assert m.balance is not None
        ends[m.date] = m.balance
    return all(v >= 0 for v in ends.values())
