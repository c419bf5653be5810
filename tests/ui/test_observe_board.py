"""留观看板: the countdown, green when done, an early release needs a reason, N notes a reaction."""

from __future__ import annotations

from datetime import date, datetime

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from epimanager.domain.validation import ChildInput
from epimanager.services import visits
from epimanager.services.children import create_child
from epimanager.services.visit_boards import visit_notes
from epimanager.services.visit_summary import summary
from epimanager.store.database import Database
from epimanager.ui.visits.observe_board import DONE_COLOUR, ObserveBoard

TODAY = date(2026, 11, 26)


def at(hour: int, minute: int) -> datetime:
    return datetime(2026, 11, 26, hour, minute)


def to_observation(db: Database, name: str, when: datetime) -> str:
    code = create_child(db, ChildInput(name, "2", date(2026, 3, 1), mother_name="李梅"), today=TODAY).code
    ticket = visits.take(db, code, now=when).ticket
    for step in ("预检", "登记", "接种"):
        visits.call(db, "台", step, now=when)
        visits.finish(db, ticket, now=when)
    return ticket


def test_countdown_early_release_and_a_note(qtbot: QtBot, db: Database, answers: dict[str, list[object]]) -> None:
    a = to_observation(db, "徐晓瑶", at(9, 0))
    b = to_observation(db, "张浩", at(9, 5))
    clock = [at(9, 10)]
    board = ObserveBoard(db, now=lambda: clock[0])
    qtbot.addWidget(board)
    board.start()
    qtbot.waitUntil(lambda: board.table.rowCount() == 2, timeout=3000)
    cells = [[board.table.item(r, c).text() for c in range(6)] for r in range(2)]
    assert cells == [
        [a, "徐晓瑶", "09:00", "10 分钟", "20 分钟", "留观中"],
        [b, "张浩", "09:05", "5 分钟", "25 分钟", "留观中"],
    ]
    assert board.table.item(0, 0).background().color() != DONE_COLOUR

    # Enter on A001 at 10 minutes: the service refuses, the board asks why; no answer → stays
    board.table.setFocus()
    QTest.keyClick(board.table, Qt.Key.Key_Return)
    assert answers["asked"][-1].startswith("提前离开: A001 留观未满 30 分钟（已 10 分钟），提前离开需填写原因")
    assert visits.list_visits(db, "留观", TODAY)[0].ticket == a

    # N: a note on a reaction, kept on the visit, which stays in 留观
    answers["text"].append("注射部位红肿约 1 cm")
    QTest.keyClick(board.table, Qt.Key.Key_N)
    assert answers["asked"][-1].startswith("不良反应记录: A001 徐晓瑶")
    assert [n.reason for n in visit_notes(db, a, TODAY)] == ["注射部位红肿约 1 cm"]

    # Enter again, with a reason this time: released, and the summary counts a short observation
    answers["text"].append("家长有急事")
    QTest.keyClick(board.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: board.table.rowCount() == 1, timeout=3000)
    short = summary(db, TODAY).short_observation
    assert [(o.ticket, o.minutes, o.reason) for o in short] == [(a, 10.0, "家长有急事")]

    # B's 30 minutes are over at 09:35: green, 已满; Enter releases without a question
    clock[0] = at(9, 35)
    board.update_times()
    assert [board.table.item(0, c).text() for c in (0, 3, 4, 5)] == [b, "30 分钟", "—", "已满 30 分钟，可离开"]
    assert board.table.item(0, 1).background().color() == DONE_COLOUR
    asked = len(answers["asked"])
    QTest.keyClick(board.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: board.table.rowCount() == 0, timeout=3000)
    assert len(answers["asked"]) == asked
    assert visits.list_visits(db, None, TODAY)[-1].step == "完成"
    assert "没有正在留观的儿童" in board.notice.text()
    QTest.keyClick(board.table, Qt.Key.Key_Escape)
    assert not board.isVisible()
