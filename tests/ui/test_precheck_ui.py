"""预检 by keyboard in the main window: Ctrl+J opens it on the child on screen, the outcome follows
the answers, Enter saves, the grid then shows 暂缓 / 禁忌, and the 医学建议书 prints to a PDF."""

from __future__ import annotations

import subprocess
from datetime import date, datetime
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.services import precheck as P
from epimanager.services import visits as V
from epimanager.services.children import create_child
from epimanager.store.database import Database
from epimanager.ui.main_window import MainWindow
from epimanager.ui.print import documents
from epimanager.ui.visits.precheck_dialog import PrecheckDialog
from tests.helpers.qt import type_text
from tests.ui.conftest import TODAY

BIRTH = date(2026, 9, 26)  # two months old on TODAY (2026-11-26)


def _child(db: Database) -> str:
    """HepB 1 and BCG at birth: on TODAY HepB 2, IPV 1 and DTaP 1 are due."""
    birth = [DoseInput("HepB", 1, BIRTH), DoseInput("BCG", 1, BIRTH)]
    return create_child(db, ChildInput("张浩", "1", BIRTH, mother_name="李梅"), today=TODAY, birth_doses=birth).code


def _open(qtbot: QtBot, w: MainWindow) -> PrecheckDialog:
    qtbot.keyClick(w, Qt.Key.Key_J, Qt.KeyboardModifier.ControlModifier)
    dlg = w.findChild(PrecheckDialog)
    assert isinstance(dlg, PrecheckDialog)
    qtbot.waitUntil(dlg.isVisible)
    return dlg


def _status(w: MainWindow, abbr: str) -> str:
    model = w.grid.model
    for r in range(model.rowCount()):
        if abbr in str(model.index(r, 0).data()):
            return str(model.index(r, 1).data())
    raise AssertionError(abbr)


def test_a_fever_by_keyboard_defers_today_and_the_grid_shows_it(qtbot: QtBot, db: Database, window: MainWindow) -> None:
    code = _child(db)
    V.take(db, code, now=datetime(2026, 11, 26, 8, 0))
    w = window
    w.current.open(code)
    dlg = _open(qtbot, w)
    assert dlg.windowTitle() == "预检 · 张浩（A001 号）"
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dlg.temperature)
    assert "填写体温后" in dlg.outcome.text()
    type_text(dlg.temperature, "37.8")
    # the outcome follows at once: every vaccine of today 暂缓 7 days
    assert dlg.outcome.text().count("暂缓至 2026-12-03") == 3
    assert "发热：全部疫苗暂缓接种" in dlg.outcome.text()
    # back to normal, then question 4 (immunodeficiency) by its digit from the first question
    dlg.temperature.clear()
    type_text(dlg.temperature, "36.6")
    assert dlg.outcome.text().count("可接种") == 3
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is dlg.questions[0].check
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_4)
    assert dlg.questions[3].check.isChecked()
    # nothing live is due today: the three due vaccines stay 可接种
    assert dlg.outcome.text().count("可接种") == 3
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_N)  # 否 again on question 4
    assert not dlg.questions[3].check.isChecked()
    assert QApplication.focusWidget() is dlg.questions[3].check
    # question 5 by Tab and Y on it, then 否 again by its digit
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is dlg.questions[4].check
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Y)
    assert dlg.questions[4].check.isChecked()
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_5)
    assert not dlg.questions[4].check.isChecked()
    # question 2 by its digit: its field asks which vaccine and takes the keyboard
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_2)
    assert dlg.questions[1].check.isChecked()
    detail = dlg.questions[1].detail
    assert detail is not None and detail.isVisible()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is detail)
    qtbot.keyClicks(detail, "DTaP")
    assert "禁忌&nbsp;</span> 百白破疫苗（既往接种该疫苗后出现严重反应）" in dlg.outcome.text()
    dlg.temperature.clear()
    type_text(dlg.temperature, "37.8")
    qtbot.keyClick(detail, Qt.Key.Key_Return)  # Enter saves
    qtbot.waitUntil(lambda: dlg.saved is not None and dlg.saved.version == 1)
    assert dlg.isVisible() and "已保存（第1版）" in dlg.outcome.text()
    saved = P.precheck_of(db, code, TODAY)
    assert saved is not None and {o.code: o.text for o in saved.outcomes} == {
        "0201": "暂缓至 2026-12-03", "0303": "暂缓至 2026-12-03", "0401": "禁忌",
    }  # fmt: skip
    qtbot.keyClick(dlg, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not dlg.isVisible())
    # the grid reads the child again: HepB 暂缓, DTaP 禁忌
    qtbot.waitUntil(lambda: _status(w, "HepB") == "暂缓")
    assert _status(w, "DTaP") == "禁忌"


def test_the_slip_prints_to_pdf(qtbot: QtBot, db: Database, window: MainWindow, tmp_path: Path) -> None:
    code = _child(db)
    w = window
    w.current.open(code)
    dlg = _open(qtbot, w)
    type_text(dlg.temperature, "38.1")
    dlg.try_save()
    html = dlg.slip_html()
    assert html is not None
    pdf = documents.print_to_pdf(documents.document(html), tmp_path / "slip.pdf")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    for words in (
        "医学建议书",
        "张浩",
        code,
        "38.1",
        "乙肝疫苗",
        "暂缓，2026-12-03 起可接种",
        "发热（体温38.1°C，",
    ):
        assert words in text, words
    dlg.reject()


def test_at_the_precheck_desk_f11_calls_and_ctrl_j_opens_the_precheck(
    qtbot: QtBot, db: Database, tmp_path: Path
) -> None:
    from tests.ui.test_desk_queue import Clock, desk_window, press

    code = _child(db)
    V.take(db, code, now=datetime(2026, 11, 26, 8, 0))
    w = desk_window(qtbot, db, "预检台", tmp_path / "s.json", Clock())
    assert "Ctrl+J 预检" in w.desk_keys.panel.keys.text()
    press(qtbot, Qt.Key.Key_F11)
    assert w.current.child is not None and w.current.child.code == code
    press(qtbot, Qt.Key.Key_J, Qt.KeyboardModifier.ControlModifier)
    dlg = w.findChild(PrecheckDialog)
    assert isinstance(dlg, PrecheckDialog)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dlg.temperature)
    type_text(dlg.temperature, "36.7")
    qtbot.keyClick(dlg.temperature, Qt.Key.Key_Return)  # nothing stands in the way: saved and closed
    qtbot.waitUntil(lambda: not dlg.isVisible())
    record = P.precheck_of(db, code, TODAY)
    assert record is not None and (record.ticket, record.desk, record.temperature) == ("A001", "预检台", 36.7)
    assert "已保存预检：今天的疫苗均可接种" in w.status.currentMessage()
