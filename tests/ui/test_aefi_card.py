"""The AEFI card by keyboard: from the 留观 board (A) and from a dose in the grid (Ctrl+Shift+A);
the reporting limit and time left, the cluster alert, a follow-up, 已报告, F7 until reported."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

from openpyxl import load_workbook
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.services import aefi, visits
from epimanager.services.children import create_child
from epimanager.services.doses import add_dose
from epimanager.services.reminders import notices
from epimanager.store.database import Database
from epimanager.ui.aefi import AefiCard
from epimanager.ui.main_window import MainWindow
from epimanager.ui.print.aefi_card import card_html
from epimanager.ui.reports import notice_actions
from epimanager.ui.visits.observe_board import ObserveBoard
from tests.helpers.qt import type_text
from tests.ui.conftest import TODAY

NOW = datetime(2026, 11, 26, 9, 40)


def observed_child(db: Database, name: str, mother: str, batch: str = "B202611") -> str:
    code = create_child(db, ChildInput(name, "2", date(2026, 3, 1), mother_name=mother), today=TODAY).code
    add_dose(db, code, DoseInput("HepB", 2, TODAY, batch_no=batch, manufacturer="深圳康泰"), today=TODAY)
    when = datetime(2026, 11, 26, 9, 5)
    ticket = visits.take(db, code, now=when).ticket
    for step in ("预检", "登记", "接种"):
        visits.call(db, "台", step, now=when)
        visits.finish(db, ticket, now=when)
    return code


def active(qtbot: QtBot, card: AefiCard) -> AefiCard:
    """The card as the nurse has it: the active window (its keys work)."""
    card.activateWindow()
    qtbot.waitUntil(card.isActiveWindow)
    return card


def press(card: AefiCard, key: Qt.Key, modifier: Qt.KeyboardModifier) -> None:
    """A key as the keyboard sends it: to whatever has the focus."""
    QTest.keyClick(QApplication.focusWidget() or card, key, modifier)


def tick(card: AefiCard, name: str) -> None:
    """Move to a symptom with the arrow keys and tick it with Space."""
    card.symptoms.setFocus()
    card.symptoms.setCurrentRow(0)
    while card.symptoms.currentItem().text() != name:
        QTest.keyClick(card.symptoms, Qt.Key.Key_Down)
    QTest.keyClick(card.symptoms, Qt.Key.Key_Space)


def open_from_board(qtbot: QtBot, db: Database) -> tuple[ObserveBoard, AefiCard]:
    """The board (kept by the caller: the card is its child) and the card A opened on it."""
    board = ObserveBoard(db, now=lambda: NOW)
    qtbot.addWidget(board)
    board.start()
    qtbot.waitUntil(lambda: board.table.rowCount() >= 1, timeout=3000)
    board.table.setFocus()
    QTest.keyClick(board.table, Qt.Key.Key_A)
    card = board.findChild(AefiCard)
    assert card is not None and card.isVisible()
    return board, active(qtbot, card)


def test_a_serious_case_from_the_observation_board(qtbot: QtBot, db: Database, tmp_path: Path) -> None:
    observed_child(db, "徐晓瑶", "李梅")
    _board, card = open_from_board(qtbot, db)
    assert card.who.text() == "徐晓瑶（" + card.choices[0].child_code + "）"
    assert card.dose.currentText().startswith("乙肝疫苗 第2剂") and "批号 B202611" in card.dose.currentText()
    # new card: discovered now (09:40), 一般 → 48 h
    assert card.limit.text() == "一般 AEFI：发现后 48 小时内报告；2026-11-28 09:40 前；剩余 48 小时 0 分钟"
    tick(card, "过敏性皮疹")
    tick(card, "喉头水肿")
    card.text.setFocus()
    type_text(card.text, "接种后 30 分钟出现全身皮疹、声音嘶哑")
    card.severity.setFocus()
    QTest.keyClick(card.severity, Qt.Key.Key_Down)  # 一般 → 严重
    assert card.limit.text() == "严重 AEFI：发现后 2 小时内报告；2026-11-26 11:40 前；剩余 2 小时 0 分钟"
    press(card, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    [saved] = aefi.list_cases(db, unreported=True)
    assert (saved.severity, saved.symptom_names) == ("严重", ("过敏性皮疹", "喉头水肿"))
    assert saved.symptom_text == "接种后 30 分钟出现全身皮疹、声音嘶哑"
    assert card.message.text() == "已保存。报告时限：2026-11-26 11:40"
    assert card.report_button.isVisible() and not card.cluster.isVisible()

    # a follow-up typed below, added with Alt+F
    card.follow_text.setFocus()
    type_text(card.follow_text, "皮疹消退，精神好")
    card.follow_outcome.setCurrentText("好转")
    press(card, Qt.Key.Key_F, Qt.KeyboardModifier.AltModifier)  # a mnemonic clicks after a short animation
    qtbot.waitUntil(lambda: card.message.text() == "已添加随访记录。")
    assert card.follow_list.item(0).text() == "2026-11-26 皮疹消退，精神好（好转）"
    assert aefi.get_case(db, saved.uuid).outcome == "好转"

    # the card as xlsx and as a printed page
    out = card.export_to(tmp_path / "card.xlsx")
    rows = {r[0]: r[1] for r in load_workbook(out)["1-徐晓瑶"].iter_rows(min_row=2, values_only=True)}
    assert rows["严重程度"] == "严重" and rows["随访记录"] == "2026-11-26 皮疹消退，精神好（好转）"
    pdf = card.print_to(tmp_path / "card.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1  # one A4 page
    html = card_html(aefi.get_case(db, saved.uuid), "某某门诊", NOW)
    assert html.count('class="s"') == 4  # the four sections; an empty 现住址 stays a row of its own
    assert '<td class="k">现住址</td><td></td>' in html

    # Alt+R: reported; it leaves F7
    assert [n.action for n in notices(db, today=TODAY, now=NOW) if n.kind == "aefi"] == [f"aefi:{saved.uuid}"]
    press(card, Qt.Key.Key_R, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: card.message.text() == "已标记为已报告。")
    assert card.limit.text().endswith("已报告 2026-11-26 09:40")
    assert not card.report_button.isEnabled()
    assert [n for n in notices(db, today=TODAY, now=NOW) if n.kind == "aefi"] == []
    press(card, Qt.Key.Key_Escape, Qt.KeyboardModifier.NoModifier)
    assert not card.isVisible()


def test_a_refused_card_says_why_and_saves_nothing(qtbot: QtBot, db: Database) -> None:
    observed_child(db, "徐晓瑶", "李梅")
    _board, card = open_from_board(qtbot, db)
    press(card, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert card.message.text() == "请至少选择一个主要症状或填写症状描述"
    assert aefi.list_cases(db) == []


def test_the_second_case_of_a_batch_shows_the_cluster_alert(qtbot: QtBot, db: Database) -> None:
    first = observed_child(db, "徐晓瑶", "李梅")
    observed_child(db, "张浩", "王芳")
    [dose] = aefi.dose_choices(db, first)
    from epimanager.domain.aefi import AefiInput

    aefi.add_case(db, dose.dose_uuid, AefiInput(datetime(2026, 11, 26, 9, 20), symptoms=("201",)), now=NOW)
    board = ObserveBoard(db, now=lambda: NOW)
    qtbot.addWidget(board)
    board.start()
    qtbot.waitUntil(lambda: board.table.rowCount() == 2, timeout=3000)
    board.table.setFocus()
    QTest.keyClick(board.table, Qt.Key.Key_Down)
    QTest.keyClick(board.table, Qt.Key.Key_A)
    card = board.findChild(AefiCard)
    assert card is not None and card.who.text().startswith("张浩")
    active(qtbot, card)
    tick(card, "局部红肿 2.6–5.0 cm")
    press(card, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert card.cluster.isVisible()
    assert card.cluster.text() == (
        "⚠ 同批号聚集：30 天内同一批号另有 1 例（徐晓瑶（发病 11-26）），请核查该批疫苗并评估是否为群体性 AEFI"
    )


def test_from_a_dose_in_the_grid_and_from_f7(qtbot: QtBot, db: Database, window: MainWindow) -> None:
    code = observed_child(db, "徐晓瑶", "李梅")
    window.current.open(code)
    [dose] = aefi.dose_choices(db, code, TODAY)
    window.grid.select_dose(dose.dose_uuid)
    qtbot.keyClick(window, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    card = window.findChild(AefiCard)
    assert card is not None and card.dose.currentText() == dose.label
    active(qtbot, card)
    tick(card, "发热 37.6–38.5 °C")
    press(card, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    [case] = aefi.list_cases(db)
    card.reject()
    QApplication.sendPostedEvents()
    # F7 lists it; Enter on it opens the saved card
    opened = notice_actions.act(window, f"aefi:{case.uuid}", window)
    assert isinstance(opened, AefiCard) and opened.case is not None and opened.case.uuid == case.uuid
    assert opened.report_button.isEnabled()
    opened.reject()
    # Ctrl+Shift+A on the same dose opens the card written for it
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.grid.select_dose(dose.dose_uuid)
    qtbot.keyClick(window, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    again = [c for c in window.findChildren(AefiCard) if c.isVisible()]
    assert len(again) == 1 and again[0].case is not None and again[0].case.uuid == case.uuid
