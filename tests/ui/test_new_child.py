"""新建儿童: validated as you type; a bad ID number is refused with its message; duplicates are pointed out."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from epimanager.domain.identifiers import id_check_char
from epimanager.domain.validation import ChildInput
from epimanager.services.children import create_child, get_child
from epimanager.services.summary import summary
from epimanager.store.database import Database
from epimanager.ui.child.new_child import NewChildDialog
from epimanager.ui.main_window import MainWindow
from tests.helpers.qt import type_text
from tests.ui.conftest import TODAY

# 320102 + 2026-10-01 + sequence 003 (odd = boy) + check character, worked out by GB 11643
GOOD_ID = "32010220261001003" + id_check_char("32010220261001003")
BAD_ID = GOOD_ID[:17] + ("0" if GOOD_ID[17] != "0" else "1")


def _open(qtbot: QtBot, w: MainWindow) -> NewChildDialog:
    qtbot.keyClick(w, Qt.Key.Key_F2)
    dlg = w.new_child_dialog
    assert dlg is not None
    qtbot.waitUntil(dlg.isVisible)
    return dlg


def test_bad_id_number_is_refused_with_the_message(qtbot: QtBot, db: Database, window: MainWindow) -> None:
    dlg = _open(qtbot, window)
    type_text(dlg.name, "陈小宝")
    type_text(dlg.mother_name, "林芳")
    qtbot.keyClicks(dlg.id_number, BAD_ID)
    assert "身份证号校验位错误" in dlg.id_status.text()  # said while typing
    assert "身份证号校验位错误" in dlg.problems.text()
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    assert dlg.isVisible() and dlg.created is None
    assert "身份证号校验位错误" in dlg.problems.text()
    assert summary(db).children == 0


def test_good_id_fills_sex_and_birth_date_and_birth_doses_are_recorded(
    qtbot: QtBot, db: Database, window: MainWindow
) -> None:
    dlg = _open(qtbot, window)
    type_text(dlg.name, "陈小宝")
    type_text(dlg.mother_name, "林芳")
    dlg.sex.setCurrentIndex(dlg.sex.findData("2"))
    qtbot.keyClicks(dlg.id_number, GOOD_ID)
    assert dlg.sex.currentData() == "1"  # sequence 003 is odd: a boy
    assert dlg.birth_date.date().toString("yyyy-MM-dd") == "2026-10-01"
    assert "身份证号有效" in dlg.id_status.text()
    assert dlg.problems.text() == ""
    dlg.committee.setCurrentIndex(dlg.committee.findData("红旗村"))
    dlg.birth_checks["0201"].setChecked(True)
    dlg.birth_checks["0101"].setChecked(True)
    with qtbot.waitSignal(dlg.accepted):
        qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    created = dlg.created
    assert created is not None
    assert created.code.startswith("32010201012026")  # unit + birth year + serial
    child = get_child(db, created.code)
    assert (child.sex, child.birth_date, child.committee) == ("1", date(2026, 10, 1), "红旗村")
    assert sorted((d.vaccine_abbr, d.dose_number, d.date, d.place_text) for d in child.doses) == [
        ("BCG", 1, date(2026, 10, 1), "外地"),
        ("HepB", 1, date(2026, 10, 1), "外地"),
    ]
    # the new child is the current child at once
    assert window.current.child is not None and window.current.child.code == created.code


def test_duplicate_warning_then_confirmation(
    qtbot: QtBot, db: Database, window: MainWindow, answers: dict[str, list[object]]
) -> None:
    old = create_child(db, ChildInput("陈小宝", "1", date(2026, 10, 1), mother_name="林芳"), today=TODAY)
    dlg = _open(qtbot, window)
    type_text(dlg.name, "陈小宝")
    type_text(dlg.mother_name, "林芳")
    dlg.birth_date.setDate(dlg.birth_date.date().fromString("2026-10-01", "yyyy-MM-dd"))
    qtbot.waitUntil(lambda: old.code in dlg.duplicate_note.text())
    assert "可能重复" in dlg.duplicate_note.text()
    answers["confirm"].append(False)
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    assert "仍要新建吗" in str(answers["asked"][-1])
    assert dlg.created is None and summary(db).children == 1
    answers["confirm"].append(True)
    with qtbot.waitSignal(dlg.accepted):
        qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    assert summary(db).children == 2
