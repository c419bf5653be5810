"""A bug that escapes a slot shows the crash dialog with the traceback to copy."""

from __future__ import annotations

import sys
import threading

import pytest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

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
