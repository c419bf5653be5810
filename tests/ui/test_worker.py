"""ui/worker.py: work off the UI thread, outcome on the UI thread; known errors are messages,
bugs reach the crash dialog; a newer search supersedes an older one."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from epimanager.errors import DatabaseError, EpiError
from epimanager.store.database import open_database
from epimanager.ui import crash
from epimanager.ui.worker import Latest, run_in_background


@pytest.fixture
def crash_boxes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The crash handler installed; the bug dialogs it would show (their details)."""
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    shown: list[str] = []

    def fake_exec(box: QMessageBox) -> int:
        shown.append(box.detailedText())
        return 0

    monkeypatch.setattr(QMessageBox, "exec", fake_exec)
    crash.install()
    return shown


def test_progress_and_result_arrive_on_the_ui_thread(qtbot: QtBot) -> None:
    ui_thread = threading.get_ident()
    seen: list[tuple[str, object, bool]] = []

    def count(progress: Callable[[int, int], None]) -> int:
        assert threading.get_ident() != ui_thread  # the work itself is off the UI thread
        for i in range(1, 4):
            progress(i, 3)
        return 42

    job = run_in_background(
        count,
        on_progress=lambda done, total: seen.append(("progress", (done, total), threading.get_ident() == ui_thread)),
        on_done=lambda result: seen.append(("done", result, threading.get_ident() == ui_thread)),
    )
    with qtbot.waitSignal(job.finished, timeout=5000):
        pass
    assert seen == [
        ("progress", (1, 3), True),
        ("progress", (2, 3), True),
        ("progress", (3, 3), True),
        ("done", 42, True),
    ]
    assert not job.running


def test_a_known_error_is_shown_as_a_message(
    qtbot: QtBot, tmp_path: Path, answers: dict[str, list[object]], crash_boxes: list[str]
) -> None:
    # a real service call that refuses: the database file is not there
    missing = tmp_path / "gone.sqlite"
    owner = QWidget()
    qtbot.addWidget(owner)
    job = run_in_background(lambda: open_database(missing), owner=owner)
    with qtbot.waitSignal(job.finished, timeout=5000):
        pass
    assert answers["warnings"] == [f"EpiManager: 数据库文件不存在：{missing}（请先运行 epimanager init）"]
    assert crash_boxes == []

    errors: list[EpiError] = []
    job = run_in_background(lambda: open_database(missing), on_error=errors.append, owner=owner)
    with qtbot.waitSignal(job.finished, timeout=5000):
        pass
    assert len(errors) == 1 and isinstance(errors[0], DatabaseError)
    assert len(answers["warnings"]) == 1  # the view showed it itself


def test_a_bug_in_a_job_reaches_the_crash_dialog(
    qtbot: QtBot, answers: dict[str, list[object]], crash_boxes: list[str]
) -> None:
    def broken() -> int:
        return {"a": 1}["b"]

    done: list[int] = []
    job = run_in_background(broken, on_done=done.append)
    qtbot.waitUntil(lambda: bool(crash_boxes), timeout=5000)
    assert "KeyError: 'b'" in crash_boxes[0] and "broken" in crash_boxes[0]
    assert done == [] and answers["warnings"] == [] and not job.running


def test_only_the_newest_job_is_delivered(qtbot: QtBot) -> None:
    owner = QWidget()
    qtbot.addWidget(owner)
    latest = Latest(owner)
    release = threading.Event()
    shown: list[str] = []

    def slow() -> str:
        release.wait(5)
        return "zh"

    first = latest.run(slow, on_done=shown.append)
    second = latest.run(lambda: "zhang", on_done=shown.append)
    with qtbot.waitSignal(second.finished, timeout=5000):
        pass
    assert latest.busy is False
    release.set()  # the older query answers last: its rows must not replace the newer ones
    with qtbot.waitSignal(first.finished, timeout=5000):
        pass
    assert shown == ["zhang"]
    assert first.cancelled and not second.cancelled


def test_a_closed_view_gets_nothing(qtbot: QtBot) -> None:
    owner = QWidget()
    release = threading.Event()
    shown: list[str] = []
    job = run_in_background(lambda: release.wait(5) and "late", on_done=shown.append, owner=owner)
    owner.deleteLater()
    qtbot.waitUntil(lambda: job.cancelled, timeout=5000)
    release.set()
    with qtbot.waitSignal(job.finished, timeout=5000):
        pass
    assert shown == []
