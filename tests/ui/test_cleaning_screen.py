"""儿童 → 数据清理 on a real database: find the probable duplicates off the UI thread, merge a pair
(confirmed), undo the merge, and list data-quality issues; double-click opens the child."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.services.children import create_child, get_child
from epimanager.services.doses import add_dose
from epimanager.settings import Settings
from epimanager.store.database import Database
from epimanager.ui.actions import ActionId
from epimanager.ui.main_window import MainWindow
from epimanager.ui.queries import CleaningScreen

TODAY = date(2026, 11, 26)


def child(db: Database, name: str, birth: date = date(2026, 3, 1), **kw: object) -> str:
    inp = ChildInput(name, "1", birth, mother_name="李梅", **kw)  # type: ignore[arg-type]
    return create_child(db, inp, today=TODAY).code


def screen(qtbot: QtBot, db: Database, tmp_path: Path) -> tuple[MainWindow, CleaningScreen]:
    w = MainWindow(db, Settings(), settings_path=tmp_path / "settings.json", today=lambda: TODAY)
    qtbot.addWidget(w)
    w.show()
    w.registry[ActionId.CLEANING].trigger()
    s = w._queries["CleaningScreen"]
    assert isinstance(s, CleaningScreen)
    return w, s


def test_find_merge_and_undo(qtbot: QtBot, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a = child(db, "张浩")
    b = child(db, "张浩")
    add_dose(db, b, DoseInput("HepB", 1, date(2026, 3, 1)), today=TODAY)
    child(db, "王芳")
    asked: list[str] = []

    def answer(_parent: object, _title: str, text: str) -> QMessageBox.StandardButton:
        asked.append(text)
        return QMessageBox.StandardButton.No if len(asked) == 1 else QMessageBox.StandardButton.Yes

    monkeypatch.setattr("epimanager.ui.queries.cleaning.QMessageBox.question", answer)
    _w, s = screen(qtbot, db, tmp_path)
    s.find_button.click()
    qtbot.waitUntil(lambda: s.pairs_label.text() == "疑似重复 1 对", timeout=10000)
    assert s.pairs_table.item(0, 11).text() == "姓名、出生日期、母亲姓名相同"
    assert (s.pairs_table.item(0, 1).text(), s.pairs_table.item(0, 5).text()) == (b, "1")  # keeps the one with doses

    with qtbot.waitSignal(s.open_child) as opened:
        s.pairs_table.cellDoubleClicked.emit(0, 6)
    assert opened.args == [a]  # the record to merge in
    s.swap_button.click()
    assert s.pairs_table.item(0, 1).text() == a
    s.merge_button.click()  # answered No: nothing happens
    assert get_child(db, b).code == b and s.pairs_table.rowCount() == 1
    s.merge_button.click()
    assert asked[1].startswith(f"把 张浩（{b}）并入 张浩（{a}）")
    assert s.message.text() == f"已合并：{b} 并入 {a}，移入剂次 1 条"
    assert s.pairs_table.rowCount() == 0
    assert len(get_child(db, a).doses) == 1
    assert (s.merges_table.item(0, 1).text(), s.merges_table.item(0, 2).text()) == (a, b)

    s.merges_table.selectRow(0)
    s.undo_button.click()
    assert s.message.text() == f"已撤销合并：{b} 恢复为独立个案"
    assert len(get_child(db, b).doses) == 1 and s.merges_table.item(0, 4).text() != ""


def test_quality_issues_open_the_child(qtbot: QtBot, db: Database, tmp_path: Path) -> None:
    old = child(db, "李老大", birth=date(2007, 5, 1), phone="13800000001", committee="东风村")
    # a dose given here with no 追溯码 shows in the traceability table
    add_dose(db, old, DoseInput("HepB", 1, date(2026, 11, 2)), today=TODAY, confirm_invalid=True)
    _w, s = screen(qtbot, db, tmp_path)
    s.check_button.click()
    qtbot.waitUntil(lambda: s.issues_table.rowCount() > 0, timeout=10000)
    assert s.counts_label.text().startswith("已检查 1 名儿童：")
    assert "满18周岁仍在册 1" in s.counts_label.text()
    assert "本单位接种无追溯码 1，追溯码超量使用 0" in s.counts_label.text()
    trace = [[s.trace_table.item(0, c).text() for c in range(5)]]
    assert trace == [["2026-11", "HepB", "1", "1", "0"]] and s.trace_table.rowCount() == 1
    row = [s.issues[i].child_code for i in range(len(s.issues))].index(old)
    assert s.issues_table.item(row, 0).text() == "满18周岁仍在册"
    with qtbot.waitSignal(s.open_child) as opened:
        s.issues_table.cellDoubleClicked.emit(row, 1)
    assert opened.args == [old]
