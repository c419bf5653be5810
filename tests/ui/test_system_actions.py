"""系统 menu: upload with progress to a real platform on 127.0.0.1, backup now and on exit."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.platform_sim.server import RunningServer
from epimanager.services import backup
from epimanager.services.children import create_child
from epimanager.services.doses import add_dose
from epimanager.store.database import Database
from epimanager.sync import queue
from epimanager.sync.config import save_settings
from epimanager.ui.actions import ActionId
from epimanager.ui.main_window import MainWindow

TOKEN = "t-3201020101-ui"


def window(qtbot: QtBot, db: Database, tmp_path: Path) -> MainWindow:
    from epimanager.settings import Settings

    w = MainWindow(db, Settings(), settings_path=tmp_path / "settings.json", today=lambda: date(2026, 11, 26))
    qtbot.addWidget(w)
    w.show()
    return w


def test_upload_action_sends_everything_waiting_with_progress(qtbot: QtBot, db: Database, tmp_path: Path) -> None:
    code = create_child(
        db, ChildInput("张浩", "1", date(2026, 3, 1), mother_name="李梅"), today=date(2026, 11, 26)
    ).code
    add_dose(db, code, DoseInput("HepB", 1, date(2026, 3, 1)), today=date(2026, 11, 26))
    with RunningServer(tmp_path / "platform.sqlite", tokens=[TOKEN]) as srv:
        save_settings(db, url=srv.url, token=TOKEN)
        w = window(qtbot, db, tmp_path)
        assert queue.count_waiting(db) == 2
        w.registry[ActionId.UPLOAD].trigger()
        dlg = w.system.progress_dialog
        assert dlg is not None
        qtbot.waitUntil(lambda: not dlg.isVisible(), timeout=20000)
        assert queue.count_waiting(db) == 0
        assert "上传完成：接收 2 条，被拒 0 条，剩余 0 条" in w.status.currentMessage()


def test_upload_without_a_platform_says_why(qtbot: QtBot, db: Database, tmp_path: Path, monkeypatch) -> None:
    create_child(db, ChildInput("张浩", "1", date(2026, 3, 1), mother_name="李梅"), today=date(2026, 11, 26))
    warnings: list[str] = []
    monkeypatch.setattr("epimanager.ui.system_actions.QMessageBox.warning", lambda _p, _t, text: warnings.append(text))
    w = window(qtbot, db, tmp_path)
    dlg = w.system.upload_now()
    qtbot.waitUntil(lambda: not dlg.isVisible(), timeout=20000)
    assert warnings and "平台" in warnings[0]
    assert queue.count_waiting(db) == 1  # nothing marked sent


def test_backup_now_and_on_exit(qtbot: QtBot, db: Database, tmp_path: Path) -> None:
    w = window(qtbot, db, tmp_path)
    w.registry[ActionId.BACKUP].trigger()
    dlg = w.system.progress_dialog
    assert dlg is not None
    qtbot.waitUntil(lambda: not dlg.isVisible(), timeout=20000)
    files = list((db.path.parent / "backups").glob("3201020101-*.epibak.gz"))
    assert len(files) == 1
    assert w.status.currentMessage().startswith("备份完成：")
    # the last backup is minutes old: closing does not back up again
    assert w.system.backup_on_exit() is False
    with db.transaction() as s:
        from epimanager.store.database import set_config

        set_config(s, backup.AUTO_BACKUP_KEY, "0")
    assert w.system.backup_on_exit() is False  # switched off
    QApplication.processEvents()


def test_logged_in_user_becomes_the_operator(qtbot: QtBot, db: Database, tmp_path: Path) -> None:
    w = window(qtbot, db, tmp_path)
    w.set_operator("李护士")
    assert "操作员：李护士" in w.status.user_label.text()
    assert w.nurse() == "李护士"  # no 接种护士 preference: the logged-in user gives the doses
    assert w.settings.nurse == ""  # a login never overwrites the preference (#21 item 7)
    assert not (tmp_path / "settings.json").exists()  # a login is not a saved preference


def test_closing_without_a_recent_backup_backs_up_first(qtbot: QtBot, db: Database, tmp_path: Path) -> None:
    w = window(qtbot, db, tmp_path)
    assert backup.status(db).last_ok is None  # never backed up: due
    assert w.system.backup_on_exit() is True  # returns once the backup is written
    files = list((db.path.parent / "backups").glob("3201020101-*.epibak.gz"))
    assert len(files) == 1
    assert backup.status(db).last_ok is not None
    dlg = w.system.progress_dialog
    assert dlg is not None and not dlg.isVisible()


def test_automatic_upload_reports_in_the_status_bar(qtbot: QtBot, db: Database, tmp_path: Path) -> None:
    create_child(db, ChildInput("张浩", "1", date(2026, 3, 1), mother_name="李梅"), today=date(2026, 11, 26))
    with RunningServer(tmp_path / "platform.sqlite", tokens=[TOKEN]) as srv:
        save_settings(db, url=srv.url, token=TOKEN, interval_s=3600)
        w = window(qtbot, db, tmp_path)
        w.system.start_auto_upload()
        try:
            w.system.auto.trigger()  # now, not after the first delay
            qtbot.waitUntil(lambda: w.status.currentMessage().startswith("自动上传："), timeout=20000)
        finally:
            w.system.shutdown()
        assert w.status.currentMessage() == "自动上传：上传完成：接收 1 条，被拒 0 条，剩余 0 条"
        assert queue.count_waiting(db) == 0


def test_closing_backs_up_whenever_anything_changed_and_names_the_file(
    qtbot: QtBot, db: Database, tmp_path: Path
) -> None:
    """#21 item 8: day 1 backed up; a dose recorded on day 2 is backed up at closing although the
    day-1 backup is less than a day old; nothing changed: no backup."""
    w = window(qtbot, db, tmp_path)
    assert w.system.backup_on_exit() is True  # day 1: never backed up
    first = w.system.exit_backup
    assert first is not None and first.exists()
    assert w.system.exit_backup_message() == f"退出前已备份数据到：\n{first}"
    assert w.system.backup_on_exit() is False  # nothing changed since
    assert w.system.exit_backup is None
    code = create_child(
        db, ChildInput("张浩", "1", date(2026, 3, 1), mother_name="李梅"), today=date(2026, 11, 26)
    ).code
    add_dose(db, code, DoseInput("HepB", 1, date(2026, 3, 1)), today=date(2026, 11, 26))
    time.sleep(1.1)  # backup files are named by the second
    assert w.system.backup_on_exit() is True  # day 2: the new dose is protected at once
    second = w.system.exit_backup
    assert second is not None and second.exists() and second != first
    assert backup.changed_since_backup(db) is False
    QApplication.processEvents()
