"""F4 / Enter proposals, the grid's dose columns, site alternation, duplicates and the receipt."""

from __future__ import annotations

import re
import subprocess
from datetime import date
from pathlib import Path

from PySide6.QtCore import QDate
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.services.children import create_child, get_child
from epimanager.services.doses import add_dose
from epimanager.store.database import Database
from epimanager.store.models import AuditLog
from epimanager.ui.child.dose_dialog import DoseDialog
from epimanager.ui.main_window import MainWindow
from tests.ui.conftest import TODAY
from tests.ui.test_daily_vaccination import cell

#: a boy two years old on TODAY (2026-11-26) who followed the 2025 schedule up to 18 months, except 甲肝
BIRTH = date(2024, 11, 26)
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


def _boy(db: Database) -> str:
    code = create_child(db, ChildInput("王小明", "1", BIRTH, mother_name="李梅"), today=TODAY).code
    for vaccine, n, day in ON_TIME:
        add_dose(db, code, DoseInput(vaccine, n, day), today=TODAY)
    return code


def _f4(qtbot: QtBot, window: MainWindow) -> DoseDialog:
    from PySide6.QtCore import Qt

    qtbot.keyClick(window, Qt.Key.Key_F4)
    dlg = window.current.dialog
    assert isinstance(dlg, DoseDialog)
    qtbot.waitUntil(dlg.isVisible)
    return dlg


def test_receipt_names_the_next_visit_after_todays_live_vaccine(
    qtbot: QtBot, db: Database, window: MainWindow, tmp_path: Path
) -> None:
    """JE-L 第2剂 today: HepA-L, open since 18 months, must now wait 28 days (2026-11-26 + 28 =
    2026-12-24).  The receipt says so, its table agrees, the grid's 下次 line too, and the printed
    page keeps every date on one line."""
    code = _boy(db)
    add_dose(db, code, DoseInput("JE-L", 2, TODAY), today=TODAY)
    window.current.open(code)
    receipt = window.page_html("receipt")
    assert receipt is not None
    assert "下次接种：2026-12-24 起" in receipt
    assert "届时接种：甲肝减毒活疫苗 第1剂" in receipt
    assert "A群C群流脑多糖疫苗 第1剂，2027-11-26 起" not in receipt  # the old headline: a year too late
    # the table under it: HepA-L first, then MenAC at 3 years
    assert receipt.index("2026-12-24") < receipt.index("2027-11-26")
    assert "下次" in window.grid.summary.text() and "甲肝减毒活疫苗 第1剂（2026-12-24）" in window.grid.summary.text()

    pdf = tmp_path / "receipt.pdf"
    assert window.print_page("receipt", pdf)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    lines = text.splitlines()
    assert any("下次接种：2026-12-24 起" in line for line in lines)
    # every date printed whole, on one line: today's dose, the next visit and the table under it
    assert any("乙脑减毒" in line and "2026-11-26" in line for line in lines)
    for name, day in (
        ("甲肝减毒活疫苗", "2026-12-24"),
        ("A群C群流脑多糖疫苗", "2027-11-26"),
        ("百白破疫苗", "2030-11-26"),
    ):
        assert any(name in line and "第" in line and day in line for line in lines), (name, day)
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", piece) for piece in re.findall(r"\d{4}-[\d-]*", text))


def test_f4_with_nothing_due_preselects_no_vaccine(qtbot: QtBot, db: Database, window: MainWindow) -> None:
    """After JE-L 2 and HepA-L today nothing is due: F4 leaves the vaccine to the nurse (never
    "乙肝疫苗 第4剂") and refuses to save until one is chosen."""
    code = _boy(db)
    add_dose(db, code, DoseInput("JE-L", 2, TODAY), today=TODAY)
    add_dose(db, code, DoseInput("HepA-L", 1, TODAY), today=TODAY)
    window.current.open(code)
    dlg = _f4(qtbot, window)
    assert dlg.vaccine.currentIndex() == -1 and dlg.vaccine.currentData() is None
    dlg.try_save()
    assert dlg.error.text() == "请先选择疫苗" and dlg.isVisible()
    # choosing HepB (complete) proposes no dose number either
    dlg.vaccine.setCurrentIndex(dlg.vaccine.findData("0201"))
    assert dlg.dose_number.value() == 0 and dlg.dose_number.text() == "请选择"
    dlg.reject()


def test_f4_proposes_the_next_missing_dose_and_the_grid_agrees(qtbot: QtBot, db: Database, window: MainWindow) -> None:
    """DTaP recorded as 第1剂 and 第2剂 shows in ①②, 下一剂 第3剂, and F4 proposes 第3剂."""
    code = create_child(db, ChildInput("李想", "1", date(2026, 1, 1), mother_name="赵敏"), today=TODAY).code
    add_dose(db, code, DoseInput("DTaP", 1, date(2026, 3, 1)), today=TODAY)
    add_dose(db, code, DoseInput("DTaP", 2, date(2026, 5, 1)), today=TODAY)
    window.current.open(code)
    model = window.grid.model
    assert cell(model, "DTaP", "常规①").startswith("2026-03-01")
    assert cell(model, "DTaP", "常规②").startswith("2026-05-01")
    assert cell(model, "DTaP", "常规③") == ""
    assert cell(model, "DTaP", "下一剂") == "第3剂"
    dlg = window.current.record_dose("0401")
    assert dlg is not None
    assert dlg.dose_number.value() == 3
    dlg.reject()


def test_a_repeat_of_an_invalid_dose_sits_under_the_same_number(qtbot: QtBot, db: Database, window: MainWindow) -> None:
    """DTaP 第2剂 at 2½ months does not count (✗未到月龄: dose 2 is from 4 months); Enter on the row
    proposes 第2剂 again, and the repeat shows in a second ② column (②′), not in ③."""
    code = create_child(db, ChildInput("李想", "1", date(2026, 1, 1), mother_name="赵敏"), today=TODAY).code
    add_dose(db, code, DoseInput("DTaP", 1, date(2026, 3, 1)), today=TODAY)
    add_dose(db, code, DoseInput("DTaP", 2, date(2026, 3, 15)), today=TODAY, confirm_invalid=True)
    window.current.open(code)
    dlg = window.current.record_dose("0401")  # Enter on the DTaP row
    assert dlg is not None and dlg.dose_number.value() == 2
    with qtbot.waitSignal(dlg.accepted):
        dlg.try_save()
    model = window.grid.model
    qtbot.waitUntil(lambda: cell(model, "DTaP", "常规②′").startswith("2026-11-26"))
    assert "✗未到月龄" in cell(model, "DTaP", "常规②")
    assert cell(model, "DTaP", "常规③") == ""
    assert cell(model, "DTaP", "下一剂") == "第3剂"


def test_two_injections_in_one_visit_get_different_sites(qtbot: QtBot, db: Database, window: MainWindow) -> None:
    """A boy of 2 years: JE-L 2 due (左上臂) and HepA-L overdue (右上臂).  After a DTaP-like 右上臂
    injection is saved first — here HepA-L in its usual 右上臂 — the next injection (MMR, also a
    右上臂 vaccine) is offered the 左上臂, and a third one a thigh."""
    code = _boy(db)
    window.current.open(code)
    dlg = _f4(qtbot, window)
    dlg.vaccine.setCurrentIndex(dlg.vaccine.findData("1901"))
    assert dlg.site.currentText() == "右上臂"
    with qtbot.waitSignal(dlg.accepted):
        dlg.try_save()
    dlg = window.current.record_dose("1201")
    assert dlg is not None
    assert dlg.site.currentText() == "左上臂"
    dlg.date.setDate(QDate(2026, 11, 25))  # back-dated: another visit, the usual site
    assert dlg.site.currentText() == "右上臂"
    dlg.reject()
    add_dose(db, code, DoseInput("JE-L", 2, TODAY, site="左上臂"), today=TODAY)
    window.current.reload()
    dlg = window.current.record_dose("0401")
    assert dlg is not None
    assert dlg.site.currentText() == "左大腿"
    dlg.reject()


def test_a_duplicate_needs_confirmation_as_a_correction(
    qtbot: QtBot, db: Database, window: MainWindow, answers: dict[str, list[object]]
) -> None:
    """HepB 第2剂 typed again at six months (where it would count as the 3rd): the service refuses it
    as a duplicate of the valid 第2剂; the nurse is asked, and 是 saves it with the flag, audited."""
    code = create_child(db, ChildInput("王丽", "2", date(2026, 5, 1), mother_name="赵敏"), today=TODAY).code
    add_dose(db, code, DoseInput("HepB", 1, date(2026, 5, 1)), today=TODAY)
    add_dose(db, code, DoseInput("HepB", 2, date(2026, 6, 1)), today=TODAY)
    window.current.open(code)
    dlg = window.current.record_dose("0201")
    assert dlg is not None and dlg.dose_number.value() == 3
    dlg.dose_number.setValue(2)
    answers["confirm"].append(False)
    dlg.try_save()
    assert answers["asked"][-1] == "重复剂次: 该儿童已有有效的乙肝疫苗 第2剂（2026-06-01）。作为更正/补录保存吗？"
    assert dlg.isVisible() and len(get_child(db, code).doses) == 2
    answers["confirm"].append(True)
    with qtbot.waitSignal(dlg.accepted):
        dlg.try_save()
    assert [d.dose_number for d in get_child(db, code).doses] == [1, 2, 2]
    with db.session() as s:
        note = s.scalars(select(AuditLog.new_value).where(AuditLog.kind == "dose_add").order_by(AuditLog.id)).all()[-1]
    assert note == "HepB 第2剂 2026-11-26（确认作为更正/补录：已有乙肝疫苗 第2剂（2026-06-01））"
