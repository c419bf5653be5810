"""左面基本资料: double-click a field, type, Enter — saved with an audit record; bad values refused."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from epimanager.domain.validation import ChildInput
from epimanager.services.children import create_child, get_child
from epimanager.store.database import Database
from epimanager.store.models import AuditLog
from epimanager.ui.main_window import MainWindow
from tests.ui.conftest import TODAY


def _double_click_value(qtbot: QtBot, w: MainWindow, key: str) -> QLineEdit:
    view = w.panel.view
    index = w.panel.model.index(w.panel.model.row_of(key), 1)
    rect = view.visualRect(index)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: isinstance(QApplication.focusWidget(), QLineEdit))
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit)
    return editor


def test_double_click_edit_is_saved_and_audited(qtbot: QtBot, db: Database, window: MainWindow) -> None:
    code = create_child(
        db, ChildInput("张浩", "1", date(2026, 3, 1), mother_name="李梅", phone="13812345678"), today=TODAY
    ).code
    window.current.open(code)
    editor = _double_click_value(qtbot, window, "phone")
    assert editor.text() == "13812345678"
    editor.clear()
    qtbot.keyClicks(editor, "13987654321")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: get_child(db, code).phone == "13987654321")
    model = window.panel.model
    assert model.index(model.row_of("phone"), 1).data() == "13987654321"
    with db.session() as s:
        row = s.execute(
            select(AuditLog.field, AuditLog.old_value, AuditLog.new_value, AuditLog.user, AuditLog.at).where(
                AuditLog.kind == "update"
            )
        ).one()
    assert row[:4] == ("phone", "13812345678", "13987654321", "护士")
    assert row[4] is not None


def test_a_bad_value_is_refused_with_the_message(
    qtbot: QtBot, db: Database, window: MainWindow, answers: dict[str, list[object]]
) -> None:
    code = create_child(db, ChildInput("张浩", "1", date(2026, 3, 1), mother_name="李梅"), today=TODAY).code
    window.current.open(code)
    editor = _double_click_value(qtbot, window, "id_number")
    qtbot.keyClicks(editor, "110105194912310021")  # check character should be X
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(answers["warnings"]))
    assert "身份证号校验位错误" in str(answers["warnings"][-1])
    assert get_child(db, code).id_number is None
    with db.session() as s:
        assert s.scalar(select(AuditLog.id).where(AuditLog.kind == "update")) is None


def test_panel_fields_and_order_follow_the_settings(qtbot: QtBot, db: Database, window: MainWindow) -> None:
    from dataclasses import replace

    window.update_settings(replace(window.settings, panel_fields=("phone", "name")))
    model = window.panel.model
    assert [model.index(r, 0).data() for r in range(model.rowCount())] == ["联系电话", "姓名"]
