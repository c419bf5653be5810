"""The 在册变更 dialog refuses 迁出 without a reason and 其他 without a remark."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, Qt
from pytestqt.qtbot import QtBot

from epimanager.domain.codes import Status
from epimanager.domain.validation import ChildInput
from epimanager.services.children import create_child, get_child
from epimanager.services.registry import status_history
from epimanager.store.database import Database
from epimanager.ui.registry_dialog import RegistryDialog
from tests.helpers.qt import type_text


def make(db: Database) -> str:
    return create_child(db, ChildInput("张浩", "1", date(2025, 3, 1), mother_name="李梅")).code


def test_move_out_needs_reason_then_remark_for_other(qtbot: QtBot, db: Database) -> None:
    code = make(db)
    dlg = RegistryDialog(db, "王医生", code)
    qtbot.addWidget(dlg)
    assert "当前在册情况：本地" in dlg.child_label.text()
    assert dlg.status_combo.findData(int(Status.LOCAL)) == -1  # the current status is not offered
    assert dlg.status_combo.findData(int(Status.DELETED)) == -1  # deleting is a separate action
    dlg.select_status(Status.MOVED_OUT)
    dlg.date.setDate(QDate(2025, 6, 1))
    assert dlg.reason.isEnabled()
    qtbot.mouseClick(dlg.ok_button, Qt.MouseButton.LeftButton)
    assert "迁出时必须选择迁出原因" in dlg.error.text()
    assert dlg.result() != RegistryDialog.DialogCode.Accepted
    dlg.reason.setCurrentIndex(dlg.reason.findData("其他"))
    assert dlg.remark_label.text() == "备注（必填）"
    qtbot.mouseClick(dlg.ok_button, Qt.MouseButton.LeftButton)
    assert dlg.error.text() == "迁出原因为“其他”时必须填写备注"
    assert get_child(db, code).status == Status.LOCAL and status_history(db, code) == []
    type_text(dlg.remark, "随父母务工")
    assert dlg.remark.text() == "随父母务工"
    qtbot.mouseClick(dlg.ok_button, Qt.MouseButton.LeftButton)
    assert dlg.result() == RegistryDialog.DialogCode.Accepted
    assert dlg.record is not None and dlg.record.new_label == "迁出"
    [h] = status_history(db, code)
    assert (h.reason, h.remark, h.user, h.change_date) == ("其他", "随父母务工", "王医生", date(2025, 6, 1))


def test_reason_only_for_move_out(qtbot: QtBot, db: Database) -> None:
    code = make(db)
    dlg = RegistryDialog(db, "王医生", code)
    qtbot.addWidget(dlg)
    dlg.select_status(Status.MOVED_OUT)
    dlg.reason.setCurrentIndex(dlg.reason.findData("出国"))
    dlg.select_status(Status.DEAD)
    assert not dlg.reason.isEnabled() and dlg.reason.currentData() is None
    dlg.date.setDate(QDate(2025, 6, 1))
    qtbot.mouseClick(dlg.ok_button, Qt.MouseButton.LeftButton)
    assert dlg.result() == RegistryDialog.DialogCode.Accepted
    assert get_child(db, code).status == Status.DEAD


def test_no_status_is_chosen_for_the_nurse(qtbot: QtBot, db: Database) -> None:
    """F9 preselects nothing (迁出 used to be preselected): saving without a choice says so and changes nothing."""
    code = make(db)
    dlg = RegistryDialog(db, "王医生", code)
    qtbot.addWidget(dlg)
    assert dlg.status_combo.currentText() == "（请选择）" and dlg.status_combo.currentData() is None
    assert not dlg.reason.isEnabled()
    qtbot.mouseClick(dlg.ok_button, Qt.MouseButton.LeftButton)
    assert dlg.error.text() == "请选择新的在册情况"
    assert dlg.result() != RegistryDialog.DialogCode.Accepted
    assert get_child(db, code).status == Status.LOCAL and status_history(db, code) == []
