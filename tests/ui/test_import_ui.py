"""系统 → 导入…: the import with a progress bar off the UI thread; 取消 stops at a chunk boundary."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from epimanager.services import importer
from epimanager.services.importer import ProgressFn, StopFn
from epimanager.store.database import Database
from epimanager.store.models import Child
from epimanager.ui import import_runner
from epimanager.ui.actions import ActionId
from epimanager.ui.main_window import MainWindow

HEADER = "name,sex,birth_date,mother_name,father_name,phone,id_number,address,committee,residence\n"


def window(qtbot: QtBot, db: Database, tmp_path: Path) -> MainWindow:
    from epimanager.settings import Settings

    w = MainWindow(db, Settings(), settings_path=tmp_path / "settings.json", today=lambda: date(2026, 11, 26))
    qtbot.addWidget(w)
    w.show()
    return w


def children_file(tmp_path: Path, n: int) -> Path:
    path = tmp_path / "children.csv"
    rows = "".join(
        f"孩子{i},{'男' if i % 2 else '女'},2025-0{1 + i % 9}-1{i % 9},母亲{i},,,,,东风村,本地\n" for i in range(n)
    )
    path.write_text(HEADER + rows + "坏行,男,2025-03-01,,,,,,东风村,本地\n", encoding="utf-8")
    return path


def count(db: Database) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(Child)) or 0


def test_import_from_the_system_menu_shows_progress_and_the_bad_rows(
    qtbot: QtBot, db: Database, tmp_path: Path
) -> None:
    w = window(qtbot, db, tmp_path)
    assert w.registry[ActionId.IMPORT].text() == "导入(&I)…"
    dlg = w.system.open_import(children_file(tmp_path, 1200))
    assert dlg is not None and dlg.isVisible()
    qtbot.waitUntil(lambda: w.system.importer.result_box is not None, timeout=120_000)
    assert not dlg.isVisible()
    box = w.system.importer.result_box
    assert box is not None
    assert box.text() == "共 1201 行：已导入儿童 1200 条，错误 1 行"
    assert box.detailedText() == "第 1202 行：母亲姓名和父亲姓名至少填写一个"
    assert w.system.importer.last_progress == (1201, 1201)  # after three chunks of 500
    assert count(db) == 1200
    assert w.status.currentMessage() == "共 1201 行：已导入儿童 1200 条，错误 1 行"


def test_cancel_stops_at_a_chunk_boundary_and_the_same_file_then_finishes(
    qtbot: QtBot, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "CHUNK_ROWS", 2)
    real = import_runner.import_file

    def waits_after_each_chunk(db: Database, path: Path, *, progress: ProgressFn, should_stop: StopFn) -> object:
        """The real import, held after each chunk until the nurse's 取消 arrives (a condition, not a clock)."""

        def report(done: int, total: int) -> None:
            progress(done, total)
            deadline = time.monotonic() + 30
            while not should_stop() and time.monotonic() < deadline:
                time.sleep(0.01)

        return real(db, path, progress=report, should_stop=should_stop)

    monkeypatch.setattr(import_runner, "import_file", waits_after_each_chunk)
    csv = children_file(tmp_path, 300)
    w = window(qtbot, db, tmp_path)
    dlg = w.system.open_import(csv)
    assert dlg is not None
    qtbot.waitUntil(lambda: dlg.value() > 0, timeout=60_000)
    button = dlg.findChild(QPushButton)
    assert button is not None and button.text() == "取消"
    button.click()
    qtbot.waitUntil(lambda: w.system.importer.result_box is not None, timeout=60_000)
    box = w.system.importer.result_box
    assert box is not None and "导入已取消" in box.text()
    done = count(db)
    assert done == 2  # the one whole chunk written before 取消
    box.close()
    w.system.importer.result_box = None
    monkeypatch.setattr(import_runner, "import_file", real)

    w.system.open_import(csv)
    qtbot.waitUntil(lambda: w.system.importer.result_box is not None, timeout=120_000)
    again = w.system.importer.result_box
    assert again is not None
    assert f"已导入儿童 {300 - done} 条" in again.text()
    assert f"第 {done + 1} 行及以前的 {done} 行已在上次未完成的导入" in again.text()
    assert count(db) == 300


def test_a_file_that_is_neither_children_nor_doses_is_refused_with_a_message(
    qtbot: QtBot, db: Database, tmp_path: Path, answers: dict[str, list[object]]
) -> None:
    bad = tmp_path / "x.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    w = window(qtbot, db, tmp_path)
    dlg = w.system.open_import(bad)
    assert dlg is not None
    qtbot.waitUntil(lambda: bool(answers["warnings"]), timeout=30_000)
    assert "x.csv 的表头既不是儿童" in str(answers["warnings"][0])
    assert count(db) == 0
