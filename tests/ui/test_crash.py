"""A bug that escapes a slot shows the crash dialog with the traceback to copy; a known error
(EpiError, e.g. DatabaseError) shows its message instead."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from epimanager.store.database import open_database
from epimanager.ui import crash


def test_uncaught_exception_opens_the_crash_dialog(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    shown: list[tuple[str, str]] = []

    def fake_exec(box: QMessageBox) -> int:
        shown.append((box.text(), box.detailedText()))
        return 0

    monkeypatch.setattr(QMessageBox, "exec", fake_exec)
    crash.install()
    try:
        raise ValueError("程序缺陷示例")
    except ValueError as exc:
        sys.excepthook(type(exc), exc, exc.__traceback__)
    qtbot.waitUntil(lambda: bool(shown))
    text, detail = shown[0]
    assert "意外错误" in text
    assert "ValueError: 程序缺陷示例" in detail and "EpiManager" in detail


def test_a_known_error_that_escapes_is_a_plain_message_not_a_bug(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, answers: dict[str, list[object]]
) -> None:
    """A DatabaseError from a real service call escapes a slot on the UI thread and another
    thread: the nurse reads its Chinese message; no "程序缺陷" dialog."""
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    bug_boxes: list[str] = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: bug_boxes.append(box.text()) or 0)
    crash.install()
    missing = tmp_path / "gone.sqlite"

    def open_missing() -> None:
        open_database(missing)  # raises DatabaseError

    QTimer.singleShot(0, open_missing)  # a slot on the UI thread that does not catch it
    qtbot.waitUntil(lambda: len(answers["warnings"]) == 1)
    assert answers["warnings"] == [f"EpiManager: 数据库文件不存在：{missing}（请先运行 epimanager init）"]

    thread = threading.Thread(target=open_missing)
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: len(answers["warnings"]) == 2)
    assert answers["warnings"][1] == answers["warnings"][0]
    assert bug_boxes == []
