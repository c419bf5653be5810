"""系统 → 用户管理 and 修改密码 on a real database: the 系统管理员 creates a nurse, changes her role,
disables her and resets her password; refusals (last 系统管理员, mismatched passwords, a non-admin
opening the dialog, a wrong current password) are shown in the dialog and change nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialogButtonBox, QWidget
from pytestqt.qtbot import QtBot

from epimanager.errors import EpiError
from epimanager.services import users
from epimanager.settings import Settings
from epimanager.store.database import Database
from epimanager.ui.actions import ActionId
from epimanager.ui.main_window import MainWindow
from epimanager.ui.users_dialog import ChangePasswordDialog, UsersDialog
from tests.helpers.qt import type_text

ADMIN_PW = "Admin-Users-Pass-1"
NURSE_PW = "Nurse-Users-Pass-1"


@pytest.fixture
def admin(db: Database) -> Iterator[Database]:
    users.create_first_admin(db, "admin", ADMIN_PW)
    users.login(db, "admin", ADMIN_PW)
    yield db


def window(qtbot: QtBot, db: Database, tmp_path: Path) -> MainWindow:
    w = MainWindow(db, Settings(), settings_path=tmp_path / "settings.json", today=lambda: date(2026, 11, 26))
    qtbot.addWidget(w)
    w.show()
    return w


def click(qtbot: QtBot, button: QWidget) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def rows(dlg: UsersDialog) -> list[tuple[str, str, str]]:
    """(用户名, 角色, 状态) of each row (column 1 is the 姓名)."""
    t = dlg.table
    return [tuple(t.item(r, c).text() for c in (0, 2, 3)) for r in range(t.rowCount())]  # type: ignore[misc]


def select(dlg: UsersDialog, name: str) -> None:
    dlg.table.selectRow([u.name for u in dlg.records].index(name))


def test_admin_manages_a_nurse(qtbot: QtBot, admin: Database, tmp_path: Path) -> None:
    w = window(qtbot, admin, tmp_path)
    w.registry[ActionId.USERS].trigger()
    dlg = w.system.users_dialog
    assert isinstance(dlg, UsersDialog)
    assert rows(dlg) == [("admin", "系统管理员", "正常")]

    type_text(dlg.new_name, "李护士")
    type_text(dlg.new_display_name, "李芳")
    dlg.new_role.setCurrentText("普通用户")
    QTest.keyClicks(dlg.new_password, NURSE_PW)
    QTest.keyClicks(dlg.new_password2, NURSE_PW + "x")
    click(qtbot, dlg.add_button)
    assert dlg.error.text() == "两次输入的密码不一致"
    assert len(rows(dlg)) == 1
    dlg.new_password2.clear()
    QTest.keyClicks(dlg.new_password2, NURSE_PW)
    click(qtbot, dlg.add_button)
    assert dlg.error.text() == "已新建用户 李护士"
    assert ("李护士", "普通用户", "正常") in rows(dlg)
    assert dlg.selected() is not None and dlg.selected().name == "李护士"  # type: ignore[union-attr]

    dlg.role.setCurrentText("业务管理员")
    click(qtbot, dlg.set_role_button)
    assert users.get_user(admin, "李护士").role == "业务管理员"

    click(qtbot, dlg.active_button)
    assert ("李护士", "业务管理员", "已停用") in rows(dlg)
    with pytest.raises(EpiError):
        users.authenticate(admin, "李护士", NURSE_PW)
    click(qtbot, dlg.active_button)  # 启用 again
    assert users.get_user(admin, "李护士").active

    new_pw = "Reset-Users-Pass-2"
    click(qtbot, dlg.reset_button)
    pw = dlg.password_dialog
    assert pw is not None
    QTest.keyClicks(pw.first, new_pw)
    QTest.keyClicks(pw.second, new_pw)
    pw.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()
    assert dlg.error.text() == "已重设 李护士 的密码"
    assert users.authenticate(admin, "李护士", new_pw).name == "李护士"

    # the last 系统管理员 cannot be disabled: refused in the dialog, nothing changed
    select(dlg, "admin")
    click(qtbot, dlg.active_button)
    assert "至少要保留一个启用的系统管理员" in dlg.error.text()
    assert users.get_user(admin, "admin").active


def test_a_nurse_cannot_manage_users_but_changes_her_password(qtbot: QtBot, admin: Database, tmp_path: Path) -> None:
    users.add_user(admin, "王护士", NURSE_PW, "普通用户")
    users.login(admin, "王护士", NURSE_PW)
    w = window(qtbot, admin, tmp_path)
    dlg = w.system.open_users()
    assert isinstance(dlg, UsersDialog)
    assert "系统管理员" in dlg.error.text()
    assert dlg.table.rowCount() == 0 and not dlg.add_button.isEnabled()

    w.registry[ActionId.CHANGE_PASSWORD].trigger()
    change = w.system.users_dialog
    assert isinstance(change, ChangePasswordDialog) and change.user == "王护士"
    new_pw = "Nurse-Users-Pass-2"
    QTest.keyClicks(change.old, "not-her-password")
    QTest.keyClicks(change.new, new_pw)
    QTest.keyClicks(change.new2, new_pw)
    change.apply()
    assert change.error.text().startswith(users.BAD_LOGIN) and change.isVisible()
    change.old.clear()
    QTest.keyClicks(change.old, NURSE_PW)
    change.apply()
    assert not change.isVisible()
    assert users.authenticate(admin, "王护士", new_pw).name == "王护士"
    assert w.status.currentMessage() == "密码已修改"


def test_a_user_has_a_real_name_asked_when_created_and_changeable(
    qtbot: QtBot, admin: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """#21 item 7: the users dialog asks for the real name (姓名) that doses and prints carry."""
    w = window(qtbot, admin, tmp_path)
    w.registry[ActionId.USERS].trigger()
    dlg = w.system.users_dialog
    assert isinstance(dlg, UsersDialog)
    type_text(dlg.new_name, "wanghs")
    QTest.keyClicks(dlg.new_password, NURSE_PW)
    QTest.keyClicks(dlg.new_password2, NURSE_PW)
    click(qtbot, dlg.add_button)
    assert dlg.error.text() == "请填写姓名：接种记录和打印中的接种护士用真实姓名"
    assert [u.name for u in dlg.records] == ["admin"]
    type_text(dlg.new_display_name, "王海生")
    click(qtbot, dlg.add_button)
    assert dlg.error.text() == "已新建用户 wanghs"
    row = [u.name for u in dlg.records].index("wanghs")
    assert dlg.table.item(row, 1).text() == "王海生"
    assert users.get_user(admin, "wanghs").display_name == "王海生"
    from epimanager.ui import notify

    monkeypatch.setattr(notify, "ask_text", lambda *_a, **_k: "王海燕")
    select(dlg, "wanghs")
    click(qtbot, dlg.rename_button)
    assert dlg.error.text() == "wanghs 的姓名已改为 王海燕"
    assert users.get_user(admin, "wanghs").display_name == "王海燕"
