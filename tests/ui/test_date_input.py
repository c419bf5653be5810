"""#21 item 5: dates and ID numbers are never changed silently; each out-of-range value is said at its field."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDateEdit, QDateTimeEdit
from pytestqt.qtbot import QtBot

from epimanager.domain.identifiers import id_check_char
from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.services.children import create_child, get_child
from epimanager.services.doses import add_dose
from epimanager.store.database import Database
from epimanager.ui.child.dose_dialog import DoseDialog
from epimanager.ui.child.new_child import NewChildDialog
from epimanager.ui.dates import to_date
from epimanager.ui.main_window import MainWindow
from tests.helpers.qt import type_text
from tests.ui.conftest import TODAY

# 320102 + 2027-11-15 + sequence 001 (a boy) + check character: a valid number born after TODAY
FUTURE_ID = "32010220271115001" + id_check_char("32010220271115001")


def type_year(qtbot: QtBot, edit: QDateEdit, year: str) -> None:
    """Type a year into the date field the way a nurse does: into its year section."""
    edit.setFocus()
    edit.setCurrentSection(QDateTimeEdit.Section.YearSection)
    edit.setSelectedSection(QDateTimeEdit.Section.YearSection)
    qtbot.keyClicks(edit, year)


def new_child(qtbot: QtBot, w: MainWindow) -> NewChildDialog:
    qtbot.keyClick(w, Qt.Key.Key_F2)
    dlg = w.new_child_dialog
    assert dlg is not None
    qtbot.waitUntil(dlg.isVisible)
    type_text(dlg.name, "陈小宝")
    type_text(dlg.mother_name, "林芳")
    return dlg


def test_a_typed_future_birth_year_stays_and_is_refused_at_the_field(
    qtbot: QtBot, db: Database, window: MainWindow
) -> None:
    dlg = new_child(qtbot, window)
    note = dlg.notes.notes["birth_date"]
    assert not note.isVisible()
    type_year(qtbot, dlg.birth_date, "2027")
    assert to_date(dlg.birth_date.date()) == date(2027, 11, 26)  # not clamped to 2026
    assert note.isVisible() and note.text() == "✗ 出生日期 2027-11-26 晚于今天"
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    assert dlg.created is None and dlg.isVisible()
    type_year(qtbot, dlg.birth_date, "2026")
    assert to_date(dlg.birth_date.date()) == TODAY
    assert not note.isVisible() and dlg.problems.text() == ""


def test_an_id_number_born_in_the_future_is_one_clear_error(qtbot: QtBot, db: Database, window: MainWindow) -> None:
    dlg = new_child(qtbot, window)
    qtbot.keyClicks(dlg.id_number, FUTURE_ID)
    message = "✗ 身份证号中的出生日期 2027-11-15 晚于今天，请核对身份证号"
    assert dlg.id_status.text() == message  # not "✓ 身份证号有效：已填入 … 2027-11-15"
    assert to_date(dlg.birth_date.date()) == TODAY  # nothing filled in from a bad number
    assert dlg.problems.text() == message  # one error, no "… 不符" beside it
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    assert dlg.created is None


def _child(db: Database) -> str:
    code = create_child(db, ChildInput("张浩", "1", date(2026, 9, 26), mother_name="李梅"), today=TODAY).code
    add_dose(db, code, DoseInput("HepB", 1, date(2026, 9, 26)), today=TODAY)
    return code


def test_a_typed_future_dose_year_stays_and_is_refused_at_the_field(
    qtbot: QtBot, db: Database, window: MainWindow, answers: dict[str, list[object]]
) -> None:
    window.current.open(_child(db))
    dlg = window.current.record_dose("0201")
    assert isinstance(dlg, DoseDialog)
    type_year(qtbot, dlg.date, "2027")
    assert dlg.day() == date(2027, 11, 26)
    note = dlg.notes.notes["date"]
    assert note.isVisible() and note.text() == "✗ 接种日期 2027-11-26 晚于今天"
    dlg.try_save()
    assert dlg.error.text() == "接种日期 2027-11-26 晚于今天"
    assert answers["asked"] == [] and dlg.isVisible()


def test_a_dose_before_birth_is_refused_first_with_its_own_reason(
    qtbot: QtBot, db: Database, window: MainWindow, answers: dict[str, list[object]]
) -> None:
    code = _child(db)
    window.current.open(code)
    dlg = window.current.record_dose("0201")
    assert isinstance(dlg, DoseDialog)
    dlg.date.setDate(dlg.date.date().fromString("2026-09-01", "yyyy-MM-dd"))
    assert dlg.notes.text("date") == "✗ 接种日期 2026-09-01 早于出生日期 2026-09-26"
    assert "首针提前" not in dlg.evaluation.text()
    dlg.try_save()
    # not first "✗首针提前 … 仍要保存吗？": no question at all, the real reason at once
    assert answers["asked"] == []
    assert dlg.error.text() == "接种日期 2026-09-01 早于出生日期 2026-09-26"
    assert len(get_child(db, code).doses) == 1


def test_a_note_at_a_field_is_shown_whole(qtbot: QtBot, db: Database, window: MainWindow) -> None:
    """#21 item 9: the form grows with its notes (a wrapped note under a field was cut off)."""
    dlg = new_child(qtbot, window)
    qtbot.keyClicks(dlg.id_number, FUTURE_ID)  # a long status under the ID widens the form first
    qtbot.keyClicks(dlg.phone, "1381234567")  # one digit short
    note = dlg.notes.notes["phone"]
    assert note.isVisible() and note.text() == "✗ 电话号码格式不正确：“1381234567”（手机11位，或区号-号码）"
    assert note.height() >= note.heightForWidth(note.width())  # every wrapped line has room
