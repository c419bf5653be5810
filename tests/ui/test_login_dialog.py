"""Login dialog, first administrator and the idle lock, on a real database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from epimanager.services import permissions, users
from epimanager.store.database import Database
from epimanager.ui.lock_screen import IdleLock
from epimanager.ui.login_dialog import FirstAdminDialog, LoginDialog
from tests.helpers.qt import type_text

ADMIN_PW = "Admin-Ui-Pass-1"
NURSE_PW = "Nurse-Ui-Pass-1"


@pytest.fixture
def staffed(db: Database) -> Iterator[Database]:
    users.create_first_admin(db, "admin", ADMIN_PW)
    users.login(db, "admin", ADMIN_PW)
    users.add_user(db, "王护士", NURSE_PW, "普通用户")
    users.logout(db)
    yield db


def login(qtbot: QtBot, dlg: LoginDialog, name: str, password: str) -> None:
    dlg.user.clear()
    type_text(dlg.user, name)
    dlg.password.clear()
    QTest.keyClicks(dlg.password, password)
    qtbot.mouseClick(dlg.ok_button, Qt.MouseButton.LeftButton)


def test_first_run_creates_the_system_admin_and_logs_in(qtbot: QtBot, db: Database) -> None:
    dlg = FirstAdminDialog(db)
    qtbot.addWidget(dlg)
    type_text(dlg.user, "lizz")
    QTest.keyClicks(dlg.password, ADMIN_PW)
    QTest.keyClicks(dlg.repeat, ADMIN_PW + "x")
    qtbot.mouseClick(dlg.ok_button, Qt.MouseButton.LeftButton)
    # the real name is asked first: doses and prints name the nurse by it (#21 item 7)
    assert dlg.error.text() == "请填写姓名：接种记录和打印中的接种护士用真实姓名"
    type_text(dlg.display_name, "李站长")
    qtbot.mouseClick(dlg.ok_button, Qt.MouseButton.LeftButton)
    assert dlg.error.text() == "两次输入的密码不一致"
    assert not users.has_users(db)
    dlg.repeat.clear()
    QTest.keyClicks(dlg.repeat, ADMIN_PW)
    qtbot.mouseClick(dlg.ok_button, Qt.MouseButton.LeftButton)
    assert dlg.result() == FirstAdminDialog.DialogCode.Accepted
    assert dlg.actor == permissions.Actor("lizz", "系统管理员", "李站长")
    assert db.actor == dlg.actor
    assert users.get_user(db, "lizz").display_name == "李站长"


def test_a_long_login_error_is_shown_whole(qtbot: QtBot, staffed: Database) -> None:
    """#21 item 9: the dialog grows with its message (the lock-out message used to be cut off)."""
    dlg = LoginDialog(staffed)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    for _ in range(6):
        login(qtbot, dlg, "王护士", "wrong-password")
    assert "请 5 分钟后再试" in dlg.error.text()
    e = dlg.error
    assert e.height() >= e.heightForWidth(e.width())  # every wrapped line has room
    assert e.geometry().bottom() <= dlg.height()


def test_login_shows_wrong_password_then_lockout(qtbot: QtBot, staffed: Database) -> None:
    dlg = LoginDialog(staffed)
    qtbot.addWidget(dlg)
    assert dlg.password.echoMode() == dlg.password.EchoMode.Password
    for _ in range(4):  # the same words as for an unknown name (no count of tries left)
        login(qtbot, dlg, "王护士", "wrong-password")
        assert dlg.error.text() == "用户名或密码错误"
        assert dlg.password.text() == ""
        assert dlg.result() != LoginDialog.DialogCode.Accepted
    login(qtbot, dlg, "王护士", "wrong-password")
    assert "已锁定 5 分钟" in dlg.error.text()
    login(qtbot, dlg, "王护士", NURSE_PW)
    assert "请 5 分钟后再试" in dlg.error.text()
    assert staffed.actor is None


def test_login_success_makes_the_nurse_the_actor(qtbot: QtBot, staffed: Database) -> None:
    dlg = LoginDialog(staffed)
    qtbot.addWidget(dlg)
    login(qtbot, dlg, "王护士", NURSE_PW)
    assert dlg.result() == LoginDialog.DialogCode.Accepted
    assert dlg.actor == permissions.Actor("王护士", "普通用户")
    assert permissions.operator(staffed) == "王护士"
    assert dlg.password.text() == ""


def test_idle_lock_covers_the_window_and_asks_for_the_password(qtbot: QtBot, staffed: Database) -> None:
    users.login(staffed, "王护士", NURSE_PW)
    window = QWidget()
    window.resize(400, 300)
    qtbot.addWidget(window)
    window.show()
    lock = IdleLock(window, staffed, minutes=0.001)  # 60 ms without input
    unlocked: list[str] = []
    switched: list[str] = []
    lock.unlocked.connect(unlocked.append)
    lock.user_switched.connect(switched.append)
    lock.start()
    qtbot.waitUntil(lambda: lock.is_locked, timeout=5000)
    assert lock.cover.isVisible()
    dlg = lock.dialog
    assert dlg is not None and dlg.user.text() == "王护士"
    dlg.reject()  # Esc does not unlock
    assert lock.is_locked
    QTest.keyClicks(dlg.password, "wrong-password")
    qtbot.mouseClick(dlg.ok_button, Qt.MouseButton.LeftButton)
    assert lock.is_locked and "用户名或密码错误" in dlg.error.text()
    QTest.keyClicks(dlg.password, NURSE_PW)
    qtbot.mouseClick(dlg.ok_button, Qt.MouseButton.LeftButton)
    assert not lock.is_locked
    assert not lock.cover.isVisible()
    assert unlocked == ["王护士"] and switched == []
    lock.set_timeout(0)  # off
    lock.stop()


def test_another_user_can_unlock_and_becomes_the_actor(qtbot: QtBot, staffed: Database) -> None:
    users.login(staffed, "王护士", NURSE_PW)
    window = QWidget()
    qtbot.addWidget(window)
    lock = IdleLock(window, staffed, minutes=0)
    switched: list[str] = []
    lock.user_switched.connect(switched.append)
    lock.lock_now()
    dlg = lock.dialog
    assert dlg is not None
    login(qtbot, dlg, "admin", ADMIN_PW)
    assert switched == ["admin"]
    assert permissions.operator(staffed) == "admin"
