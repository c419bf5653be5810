"""Issue #16 item 14 in the GUI: a full disk (a real ENOSPC from /dev/full) is the message
"磁盘空间不足…", in a background job and when it escapes a slot — never the crash dialog."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from epimanager.errors import EpiError
from epimanager.ui import crash
from epimanager.ui.worker import run_in_background

FULL = Path("/dev/full")
pytestmark = pytest.mark.skipif(not FULL.exists(), reason="needs /dev/full")


def write_to_full_disk() -> None:
    with FULL.open("w") as f:
        f.write("x" * 100_000)


def test_a_background_job_on_a_full_disk_gets_the_message(qtbot: QtBot) -> None:
    errors: list[EpiError] = []
    job = run_in_background(write_to_full_disk, on_done=lambda _r: None, on_error=errors.append)
    qtbot.waitUntil(lambda: not job.running, timeout=10_000)
    assert [(e.exit_code, e.message) for e in errors] == [
        (4, "磁盘空间不足：请清理磁盘（或换一个位置）后重试，未保存任何改动")
    ]


def test_a_full_disk_that_escapes_a_slot_is_a_plain_message(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[object]]
) -> None:
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    bug_boxes: list[str] = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: bug_boxes.append(box.text()) or 0)
    crash.install()
    QTimer.singleShot(0, write_to_full_disk)
    qtbot.waitUntil(lambda: len(answers["warnings"]) == 1)
    assert str(answers["warnings"][0]).startswith("EpiManager: 磁盘空间不足")
    assert bug_boxes == []
