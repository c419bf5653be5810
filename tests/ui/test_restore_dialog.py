"""系统 → 加密备份 / 恢复备份 in the GUI: a wrong passphrase or another unit's backup is refused in
the dialog and changes nothing; the right one restores, keeps a safety copy and closes the program."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox
from pytestqt.qtbot import QtBot

from epimanager.domain.validation import ChildInput
from epimanager.services import backup
from epimanager.services.children import create_child
from epimanager.services.units import init_database
from epimanager.settings import Settings
from epimanager.store.database import Database, open_database
from epimanager.ui.actions import ActionId
from epimanager.ui.login_dialog import NewPasswordDialog
from epimanager.ui.main_window import MainWindow
from epimanager.ui.restore_dialog import RestoreDialog
from tests.helpers.qt import type_text

TODAY = date(2026, 11, 26)
SECRET = "接种门诊-备份-2026"


@pytest.fixture(autouse=True)
def shown(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Texts of the information boxes (modal: they would wait for a click)."""
    texts: list[str] = []
    monkeypatch.setattr("epimanager.ui.system_actions.QMessageBox.information", lambda _p, _t, text: texts.append(text))
    return texts


def window(qtbot: QtBot, db: Database, tmp_path: Path) -> MainWindow:
    w = MainWindow(db, Settings(), settings_path=tmp_path / "settings.json", today=lambda: TODAY)
    qtbot.addWidget(w)
    w.show()
    return w


def names(path: Path) -> list[str]:
    """The children in a database file, read directly (as a later start of the program would)."""
    con = sqlite3.connect(path)
    try:
        return sorted(r[0] for r in con.execute("SELECT name FROM child WHERE deleted = 0"))
    finally:
        con.close()


def ok(dlg: QDialog) -> None:
    box = dlg.findChild(QDialogButtonBox)
    assert box is not None
    box.button(QDialogButtonBox.StandardButton.Ok).click()


def add(db: Database, name: str) -> None:
    create_child(db, ChildInput(name, "1", date(2026, 3, 1), mother_name="李梅"), today=TODAY)


def test_encrypted_backup_asks_the_passphrase_twice(qtbot: QtBot, db: Database, tmp_path: Path) -> None:
    w = window(qtbot, db, tmp_path)
    w.registry[ActionId.BACKUP_ENCRYPTED].trigger()
    dlg = w.system.passphrase_dialog
    assert isinstance(dlg, NewPasswordDialog)
    type_text(dlg.first, SECRET)
    type_text(dlg.second, SECRET + "x")
    ok(dlg)
    assert dlg.error.text() == "两次输入的密码不一致" and dlg.isVisible()
    dlg.second.clear()
    type_text(dlg.second, SECRET)
    ok(dlg)
    progress = w.system.progress_dialog
    assert progress is not None
    qtbot.waitUntil(lambda: not progress.isVisible(), timeout=20000)
    [file] = (db.path.parent / "backups").glob(f"3201020101-*{backup.ENC_SUFFIX}")
    assert backup.is_encrypted(file)
    assert w.status.currentMessage().startswith("备份完成：")


def test_restore_refuses_a_wrong_passphrase_then_restores(
    qtbot: QtBot, db: Database, tmp_path: Path, shown: list[str]
) -> None:
    add(db, "张浩")
    file = backup.backup(db, tmp_path / "saved", passphrase=SECRET).path
    add(db, "王小明")  # after the backup: gone once restored
    w = window(qtbot, db, tmp_path)
    dlg = w.system.open_restore(file)
    assert isinstance(dlg, RestoreDialog) and dlg.encrypted

    qtbot.mouseClick(dlg.restore_button, Qt.MouseButton.LeftButton)  # no passphrase yet
    assert dlg.error.text() == "请输入备份密码"
    type_text(dlg.passphrase, "wrong-passphrase")
    qtbot.mouseClick(dlg.restore_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dlg.error.text() != "", timeout=20000)
    assert "密码" in dlg.error.text() and dlg.buttons.isEnabled()
    assert names(db.path) == ["张浩", "王小明"]  # untouched

    dlg.passphrase.clear()
    type_text(dlg.passphrase, SECRET)
    with qtbot.waitSignal(dlg.restored, timeout=20000) as restored:
        qtbot.mouseClick(dlg.restore_button, Qt.MouseButton.LeftButton)
    safety = Path(restored.args[0])
    qtbot.waitUntil(lambda: not w.isVisible(), timeout=5000)  # closed: restart to continue
    assert shown and str(safety) in shown[0] and "请重新启动程序" in shown[0]
    assert names(db.path) == ["张浩"]
    assert names(safety) == ["张浩", "王小明"]


def test_another_units_backup_needs_confirmation(qtbot: QtBot, db: Database, tmp_path: Path) -> None:
    other_path = tmp_path / "other" / "epi.sqlite"
    other_path.parent.mkdir()
    init_database(other_path, "3201040101", "另一接种门诊", ["东风村"])
    other = open_database(other_path)
    add(other, "赵六")
    file = backup.backup(other, tmp_path / "saved").path
    other.close()
    add(db, "张浩")
    w = window(qtbot, db, tmp_path)
    dlg = w.system.open_restore(file)
    assert isinstance(dlg, RestoreDialog) and not dlg.encrypted
    qtbot.mouseClick(dlg.restore_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dlg.error.text() != "", timeout=20000)
    assert "3201040101" in dlg.error.text()
    # the way out is the dialog's own check box, not a command-line option (#21 item 9)
    assert dlg.error.text().endswith("；确认无误请勾选“这是其他接种单位的备份，我确认要恢复”")
    assert "--other-unit" not in dlg.error.text()
    assert names(db.path) == ["张浩"]
    dlg.other_unit.setChecked(True)
    with qtbot.waitSignal(dlg.restored, timeout=20000):
        qtbot.mouseClick(dlg.restore_button, Qt.MouseButton.LeftButton)
    assert names(db.path) == ["赵六"]


def test_restore_is_refused_while_another_program_holds_the_database(
    qtbot: QtBot, db: Database, tmp_path: Path
) -> None:
    """#16 item 1: the file was replaced under another desk's open connection."""
    add(db, "张浩")
    file = backup.backup(db, tmp_path / "saved").path
    add(db, "王小明")
    other = sqlite3.connect(db.path)  # another desk, idle but connected
    other.execute("SELECT count(*) FROM child").fetchone()
    w = window(qtbot, db, tmp_path)
    dlg = w.system.open_restore(file)
    assert isinstance(dlg, RestoreDialog)
    qtbot.mouseClick(dlg.restore_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dlg.error.text() != "", timeout=60000)
    assert "正被其他程序使用" in dlg.error.text() and "未做任何改动" in dlg.error.text()
    assert dlg.buttons.isEnabled() and w.isVisible()
    assert names(db.path) == ["张浩", "王小明"]
    other.close()
    # (two in-use checks, each may wait out the busy timeout while the window's own timers read: slow
    # on a loaded machine, never wrong)
    dlg.error.setText("")
    with qtbot.waitSignal(dlg.restored, timeout=60000, raising=False) as done:
        qtbot.mouseClick(dlg.restore_button, Qt.MouseButton.LeftButton)
    assert done.signal_triggered, dlg.error.text()
    assert names(db.path) == ["张浩"]


def test_a_backup_without_users_asks_for_confirmation(qtbot: QtBot, db: Database, tmp_path: Path) -> None:
    """#16 item 16: restoring a backup without users turned login off without a word."""
    from epimanager.services import users

    add(db, "张浩")
    file = backup.backup(db, tmp_path / "saved").path  # before any user existed
    users.add_user(db, "admin", "Admin-Pass-2026", "系统管理员")
    users.login(db, "admin", "Admin-Pass-2026")
    add(db, "王小明")
    w = window(qtbot, db, tmp_path)
    dlg = w.system.open_restore(file)
    assert isinstance(dlg, RestoreDialog) and dlg.no_users.isHidden()
    qtbot.mouseClick(dlg.restore_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dlg.error.text() != "", timeout=20000)
    assert "没有任何用户账号" in dlg.error.text() and "用户就是备份中的用户" in dlg.error.text()
    assert dlg.no_users.isVisible() and not dlg.no_users.isChecked()
    assert names(db.path) == ["张浩", "王小明"]
    dlg.no_users.setChecked(True)
    with qtbot.waitSignal(dlg.restored, timeout=20000):
        qtbot.mouseClick(dlg.restore_button, Qt.MouseButton.LeftButton)
    assert names(db.path) == ["张浩"]
