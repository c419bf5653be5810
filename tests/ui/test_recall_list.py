"""库存 → 召回/封存批号 (Ctrl+7): a 业务管理员 adds and lifts entries from the keyboard; a 普通用户
sees the list but cannot change it; a lift from a stale list is refused in red."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from epimanager.services import recalls, users
from epimanager.store.database import Database
from epimanager.ui.main_window import MainWindow
from epimanager.ui.stock.recalls import RecallForm, RecallListDialog
from tests.helpers.qt import type_text


def _open(qtbot: QtBot, window: MainWindow) -> RecallListDialog:
    qtbot.keyClick(window, Qt.Key.Key_7, Qt.KeyboardModifier.ControlModifier)
    found = [w for w in QApplication.topLevelWidgets() if isinstance(w, RecallListDialog) and w.isVisible()]
    assert len(found) == 1
    dlg = found[0]
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dlg.table)
    return dlg


def cells(dlg: RecallListDialog) -> list[list[str]]:
    t = dlg.table
    return [[t.item(r, c).text() for c in range(t.columnCount())] for r in range(t.rowCount())]


def test_a_business_admin_adds_and_lifts_from_the_keyboard(
    qtbot: QtBot, db: Database, window: MainWindow, answers: dict[str, list[object]]
) -> None:
    users.create_first_admin(db, "admin", "Admin-Pass-1")
    users.login(db, "admin", "Admin-Pass-1")
    users.add_user(db, "boss", "Boss-Pass-1", "业务管理员")
    users.login(db, "boss", "Boss-Pass-1")
    dlg = _open(qtbot, window)
    assert dlg.table.rowCount() == 0
    qtbot.keyClick(dlg.table, Qt.Key.Key_Insert)
    form = next(w for w in QApplication.topLevelWidgets() if isinstance(w, RecallForm) and w.isVisible())
    qtbot.waitUntil(lambda: QApplication.focusWidget() is form.batch)
    qtbot.keyClicks(form.batch, "b2611")
    form.vaccine.setCurrentIndex(form.vaccine.findData("0201"))
    form.lock.setChecked(True)
    form.save()  # no reason: refused in the form, nothing added
    assert form.isVisible() and form.error.text() == "请填写封存原因"
    type_text(form.reason, "待检验")
    with qtbot.waitSignal(form.accepted):
        qtbot.keyClick(form.reason, Qt.Key.Key_Return)
    [row] = cells(dlg)
    assert row[:4] == ["B2611", "封存", "HepB", "待检验"] and row[4].startswith("boss ") and row[6] == "生效"
    assert dlg.message.text() == "已加入清单：批号 B2611"
    # another desk lifts it meanwhile: this list is stale, the lift is refused and the list read again
    [entry] = recalls.list_recalls(db)
    recalls.lift_recall(db, entry.uuid, reason="别处解除", expected_version=entry.version)
    answers["text"].append("检验合格")
    dlg.activateWindow()
    qtbot.waitUntil(dlg.isActiveWindow)
    qtbot.keyClick(dlg.table, Qt.Key.Key_Delete)
    assert dlg.message.text().startswith("此记录已被 boss 于 ")
    assert dlg.message.text().endswith("修改，请刷新后再保存（本次未保存任何改动）")
    assert dlg.table.rowCount() == 0
    dlg.show_lifted.click()  # 显示已解除(&A)
    assert dlg.show_lifted.isChecked() and cells(dlg)[0][6] == f"已解除 {entry.created_at:%Y-%m-%d}：别处解除"
    qtbot.keyClick(dlg, Qt.Key.Key_Escape)
    assert not dlg.isVisible()


def test_an_ordinary_user_sees_the_list_but_cannot_change_it(
    qtbot: QtBot, db: Database, window: MainWindow, answers: dict[str, list[object]]
) -> None:
    recalls.add_recall(db, "B1", reason="国家药监局召回通知", vaccine="DTaP")
    users.create_first_admin(db, "admin", "Admin-Pass-1")
    users.login(db, "admin", "Admin-Pass-1")
    users.add_user(db, "nurse", "Nurse-Pass-1", "普通用户")
    users.login(db, "nurse", "Nurse-Pass-1")
    dlg = _open(qtbot, window)
    assert [r[:4] for r in cells(dlg)] == [["B1", "召回", "DTaP", "国家药监局召回通知"]]
    assert not dlg.add_button.isEnabled() and not dlg.lift_button.isEnabled()
    qtbot.keyClick(dlg.table, Qt.Key.Key_Delete)
    assert dlg.message.text() == "维护召回/封存批号清单需要业务管理员或以上角色"
    assert answers["asked"] == [] and len(recalls.list_recalls(db)) == 1
