"""#21 item 9: GUI messages point to GUI places, never to command lines; placeholders are not cut;
dates read yyyy-MM-dd everywhere."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDateEdit
from pytestqt.qtbot import QtBot

from epimanager.domain.validation import ChildInput
from epimanager.services.children import create_child
from epimanager.store.database import Database
from epimanager.ui.first_run import FirstRunDialog
from epimanager.ui.main_window import MainWindow
from tests.helpers.cli import run_cli
from tests.ui.conftest import TODAY


def test_upload_without_a_platform_names_the_configuration_tool(
    qtbot: QtBot, db: Database, window: MainWindow, answers: dict[str, list[object]]
) -> None:
    create_child(db, ChildInput("张浩", "1", TODAY, mother_name="李梅"), today=TODAY)
    qtbot.keyClick(window, Qt.Key.Key_F10)
    qtbot.waitUntil(lambda: bool(answers["warnings"]), timeout=20000)
    text = str(answers["warnings"][0])
    assert text == "EpiManager: 尚未设置平台地址和令牌；请在 系统 → 配置工具 的“文件夹与平台”中设置平台地址和令牌"
    assert "epimanager " not in text and "--" not in text
    assert window.status.currentMessage() == text.removeprefix("EpiManager: ")


def test_the_command_line_still_names_its_command(db_path: Path) -> None:
    r = run_cli("sync", "upload", db=db_path)
    assert r.returncode == 2
    assert r.stderr.strip() == (
        "错误：尚未设置平台地址和令牌；请用 epimanager sync config --url 地址 --token 令牌 设置（或本次加 --url）"
    )


def test_first_run_placeholders_are_shown_whole(qtbot: QtBot, tmp_path: Path) -> None:
    dlg = FirstRunDialog(tmp_path / "new.sqlite")
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    for edit in (dlg.code, dlg.name):
        hint = edit.placeholderText()
        assert hint and edit.width() > edit.fontMetrics().horizontalAdvance(hint), hint


def test_every_date_field_reads_yyyy_mm_dd(qtbot: QtBot, db: Database, window: MainWindow) -> None:
    window.toggle_reminders()  # F7: its new reminder's date showed "2026/12/1"
    window.new_child()
    for name in ("DoseQueryScreen", "GapQueryScreen", "ChangeQueryScreen", "StatusChangeQueryScreen"):
        window.open_query(name)
    edits = [e for top in (window, *window._queries.values()) for e in top.findChildren(QDateEdit)]
    assert len(edits) >= 6
    for e in edits:
        assert e.displayFormat() in ("yyyy-MM-dd", "yyyy-MM"), (e.objectName(), e.displayFormat(), e.text())
    assert window.reminders_dock is not None
    due = window.reminders_dock.widget().findChild(QDateEdit)
    assert due is not None and len(due.text()) == 10 and due.text()[4] == "-" and due.text()[7] == "-"
