"""The shortcut bar: key hints toggle (remembered), keys remapped in settings, conflicts refused."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from epimanager import settings as prefs
from epimanager.domain.validation import ChildInput
from epimanager.services.children import create_child
from epimanager.store.database import Database
from epimanager.ui.actions import SPECS, ActionId
from epimanager.ui.main_window import MainWindow
from epimanager.ui.registry_dialog import RegistryDialog
from tests.ui.conftest import TODAY


def _toolbar_text(w: MainWindow, action_id: ActionId) -> str:
    return w.toolbar.widgetForAction(w.registry[action_id]).text()


def test_every_action_has_a_distinct_default_key() -> None:
    keys = [s.default_key for s in SPECS if s.default_key]
    assert len(keys) == len(set(keys))
    assert {s.id: s.default_key for s in SPECS}[ActionId.QUICK_SEARCH] == "F3"
    assert {s.id: s.default_key for s in SPECS}[ActionId.REMINDERS] == "F7"


def test_shortcut_hint_toggle_is_remembered(
    qtbot: QtBot, make_window: Callable[[], MainWindow], settings_file: Path
) -> None:
    w = make_window()
    assert _toolbar_text(w, ActionId.QUICK_SEARCH) == "快速查询\nF3"
    assert w.hints_action.isChecked()
    w.hints_action.trigger()  # 视图 → 显示快捷键提示 (also on the bar's context menu)
    assert _toolbar_text(w, ActionId.QUICK_SEARCH) == "快速查询"
    assert json.loads(settings_file.read_text(encoding="utf-8"))["show_shortcut_hints"] is False
    w.close()
    again = make_window()
    assert not again.hints_action.isChecked()
    assert _toolbar_text(again, ActionId.NEW_CHILD) == "新建儿童"
    # the key still works without its hint
    qtbot.keyClick(again, Qt.Key.Key_F3)
    qtbot.waitUntil(again.search_dialog.isVisible)


def test_remapped_key_works_and_a_conflict_is_refused(
    qtbot: QtBot, make_window: Callable[[], MainWindow], settings_file: Path
) -> None:
    w = make_window()
    dlg = w.open_settings()
    editor = dlg.shortcuts
    editor.select(ActionId.QUICK_SEARCH)
    assert not editor.set_key(ActionId.QUICK_SEARCH, "F2")  # F2 = 新建儿童
    assert "已用于“新建儿童”" in editor.message.text()
    # a free key (F11 and F12 are the clinic-flow desk keys now)
    editor.edit.setKeySequence("Shift+F3")
    qtbot.mouseClick(editor.assign, Qt.MouseButton.LeftButton)
    assert editor.keys[ActionId.QUICK_SEARCH] == "Shift+F3"
    with qtbot.waitSignal(dlg.accepted):
        dlg.accept()
    # only the difference from the defaults is stored
    assert json.loads(settings_file.read_text(encoding="utf-8"))["shortcuts"] == {"quick_search": "Shift+F3"}
    assert _toolbar_text(w, ActionId.QUICK_SEARCH) == "快速查询\nShift+F3"
    qtbot.waitUntil(w.isActiveWindow)
    qtbot.keyClick(w, Qt.Key.Key_F3)
    assert not w.search_dialog.isVisible()
    qtbot.keyClick(w, Qt.Key.Key_F3, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(w.search_dialog.isVisible)
    w.search_dialog.reject()
    # and after a restart
    w.close()
    again = make_window()
    assert again.registry.key(ActionId.QUICK_SEARCH) == "Shift+F3"


def test_a_hand_edited_conflicting_key_keeps_the_default(
    make_window: Callable[[], MainWindow], settings_file: Path
) -> None:
    prefs.save(prefs.Settings(shortcuts={"record_dose": "F3", "nonsense": "F12"}), settings_file)
    w = make_window()
    assert w.registry.key(ActionId.RECORD_DOSE) == "F4"
    assert w.registry.key(ActionId.QUICK_SEARCH) == "F3"


def test_grid_fields_and_place_display_from_settings(make_window: Callable[[], MainWindow]) -> None:
    w = make_window()
    dlg = w.open_settings()
    dlg.place.setCurrentIndex(dlg.place.findData("code"))
    for i in range(dlg.grid_fields.list.count()):
        item = dlg.grid_fields.list.item(i)
        if item.data(Qt.ItemDataRole.UserRole) == "earliest":
            item.setCheckState(Qt.CheckState.Unchecked)
    dlg.accept()
    assert w.settings.place_display is prefs.PlaceDisplay.CODE
    assert "earliest" not in w.settings.grid_fields
    assert w.grid.model.place_display is prefs.PlaceDisplay.CODE


def test_registry_change_and_query_keys_open_their_screens(
    qtbot: QtBot, db: Database, make_window: Callable[[], MainWindow]
) -> None:
    code = create_child(db, ChildInput("张浩", "1", date(2025, 3, 1), mother_name="李梅"), today=TODAY).code
    w = make_window()
    qtbot.keyClick(w, Qt.Key.Key_F9)
    assert "F3" in w.statusBar().currentMessage()  # no child open yet
    w.current.open(code)
    qtbot.keyClick(w, Qt.Key.Key_F9)
    qtbot.waitUntil(lambda: any(isinstance(c, RegistryDialog) and c.isVisible() for c in w.children()))
    dlg = next(c for c in w.children() if isinstance(c, RegistryDialog))
    assert code in dlg.child_label.text()
    dlg.reject()
    qtbot.waitUntil(w.isActiveWindow)
    qtbot.keyClick(w, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: "DoseQueryScreen" in w._queries and w._queries["DoseQueryScreen"].isVisible())
    w._queries["DoseQueryScreen"].open_child.emit(code)
    assert w.current.child is not None and w.current.child.code == code


def test_f7_shows_and_hides_the_work_reminders(qtbot: QtBot, make_window: Callable[[], MainWindow]) -> None:
    w = make_window()
    qtbot.keyClick(w, Qt.Key.Key_F7)
    dock = w.reminders_dock
    assert dock is not None and dock.isVisible()
    assert "工作提醒" in dock.windowTitle()
    qtbot.keyClick(w, Qt.Key.Key_F7)
    assert not dock.isVisible()
