"""The clinic-flow windows open from the main window's menus and close with it."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from epimanager.ui.actions import ActionId
from epimanager.ui.main_window import MainWindow


def _menu_texts(window: MainWindow) -> dict[str, list[str]]:
    return {
        m.text(): [a.text() for a in m.menu().actions() if a.text()]  # type: ignore[attr-defined]
        for m in window.menuBar().actions()
        if m.menu() is not None
    }


def test_menus_open_the_calling_screen_board_and_summary(qtbot: QtBot, window: MainWindow) -> None:
    menus = _menu_texts(window)
    assert {"叫号屏(&H)", "留观看板(&O)", "打印排队小票(&I)…"} <= set(menus["接种(&V)"])
    assert "接种流程日汇总(&Y)" in menus["查询(&Q)"]
    window.registry[ActionId.VISIT_SUMMARY].trigger()
    summary = window.visit_windows.summary
    assert summary is not None and summary.isVisible()
    qtbot.waitUntil(lambda: summary.shown is not None, timeout=3000)
    assert summary.headline.text().endswith("取号 0 个（预约 0，现场 0）；过号未到 0 个")
    summary.close()
    window.registry[ActionId.OBSERVE_BOARD].trigger()
    board = window.visit_windows.board
    assert board is not None and board.isVisible()
    window.registry[ActionId.CALLING_SCREEN].trigger()  # one screen: no question, full screen on it
    screen = window.visit_windows.calling
    assert screen is not None
    qtbot.waitUntil(screen.isFullScreen)
    assert "叫号屏" in screen.windowTitle()
    window.close()
    assert not screen.isVisible() and not board.isVisible()
