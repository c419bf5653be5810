"""The whole daily loop with the keyboard only: every step is a key pressed where the focus is.

login → F3 → open the child → F4 → save → Ctrl+Shift+B edit in place → Tab / Ctrl+Tab out of
the grid → F7 and a 工作提醒 item → a query screen (Enter opens the child, Esc / Ctrl+W close,
the main window's F-keys work in it) → F9 (no status chosen for the nurse).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QApplication, QComboBox, QDateEdit, QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from epimanager.domain.codes import Status
from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.services import users
from epimanager.services.children import create_child, get_child
from epimanager.services.doses import add_dose
from epimanager.services.reminders import add_reminder, notices
from epimanager.store.database import Database
from epimanager.ui.child.dose_dialog import DoseDialog
from epimanager.ui.login_dialog import LoginDialog
from epimanager.ui.main_window import MainWindow
from epimanager.ui.queries import GapQueryScreen
from epimanager.ui.registry_dialog import RegistryDialog
from tests.ui.conftest import TODAY

Mod = Qt.KeyboardModifier
CTRL, SHIFT, ALT = Mod.ControlModifier, Mod.ShiftModifier, Mod.AltModifier


def focus() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None, "nothing has the keyboard"
    return widget


def press(qtbot: QtBot, key: Qt.Key, modifier: Qt.KeyboardModifier = Mod.NoModifier) -> None:
    """A key as the keyboard sends it: to whatever has the focus."""
    qtbot.keyClick(focus(), key, modifier)


def until(qtbot: QtBot, condition: Callable[[], object]) -> None:
    qtbot.waitUntil(lambda: bool(condition()), timeout=5000)


def _clinic(db: Database) -> tuple[str, str]:
    code = create_child(
        db, ChildInput("张浩", "1", date(2026, 9, 26), mother_name="李梅", phone="13812345678"), today=TODAY
    ).code
    add_dose(db, code, DoseInput("HepB", 1, date(2026, 9, 26)), today=TODAY)
    add_dose(db, code, DoseInput("BCG", 1, date(2026, 9, 26)), today=TODAY)
    other = create_child(db, ChildInput("李明", "1", date(2026, 5, 1), mother_name="周红"), today=TODAY).code
    recent = DoseInput("HepB", 3, date(2026, 11, 23), batch_no="B7", manufacturer="深圳康泰", expiry=date(2028, 1, 31))
    add_dose(db, other, recent, today=TODAY)
    users.create_first_admin(db, "wanghs", "secret-123")
    return code, other


def test_the_daily_loop_with_key_events_only(qtbot: QtBot, db: Database, settings_file: Path) -> None:
    code, other = _clinic(db)
    add_reminder(db, "给疫苗冰箱测温", date.today())
    db.actor = None

    # -- login: user name, Tab, password, Enter ----------------------------------------------
    login = LoginDialog(db)
    qtbot.addWidget(login)
    login.show()
    qtbot.waitExposed(login)
    login.activateWindow()
    until(qtbot, lambda: QApplication.focusWidget() is login.user)
    qtbot.keyClicks(focus(), "wanghs")
    press(qtbot, Qt.Key.Key_Tab)
    assert focus() is login.password
    qtbot.keyClicks(focus(), "secret-123")
    with qtbot.waitSignal(login.accepted):
        press(qtbot, Qt.Key.Key_Return)
    assert login.actor is not None and login.actor.name == "wanghs"

    # -- the main window comes up active, as the app starts it ----------------------------
    w = MainWindow(db, settings_path=settings_file, today=lambda: TODAY)
    qtbot.addWidget(w)
    w.set_operator(login.actor.name)
    w.present()
    qtbot.waitExposed(w)
    until(qtbot, w.isActiveWindow)
    assert w.isAncestorOf(focus())

    # -- F3, type, Enter: the child is open and the keyboard is in the grid ------------------
    press(qtbot, Qt.Key.Key_F3)
    until(qtbot, lambda: w.search_dialog.isVisible() and focus() is w.search_dialog.query)
    qtbot.keyClicks(focus(), "zhanghao")
    until(qtbot, lambda: w.search_dialog.model.rowCount() > 0)
    press(qtbot, Qt.Key.Key_Return)
    until(qtbot, lambda: w.current.child is not None and w.current.child.code == code)
    until(qtbot, lambda: focus() is w.grid.table)
    assert not w.search_dialog.isVisible()

    # -- F4 proposes HepB 2 with the batch in use; Ctrl+S saves it ---------------------------
    press(qtbot, Qt.Key.Key_F4)
    dlg = w.current.dialog
    assert isinstance(dlg, DoseDialog)
    until(qtbot, dlg.isVisible)
    assert dlg.current_vaccine().abbr == "HepB" and dlg.dose_number.value() == 2
    until(qtbot, lambda: dlg.batch.currentText() == "B7")
    until(qtbot, dlg.isActiveWindow)
    with qtbot.waitSignal(dlg.accepted):
        press(qtbot, Qt.Key.Key_S, CTRL)
    saved = [d for d in get_child(db, code).doses if d.vaccine_code == "0201" and d.dose_number == 2]
    assert len(saved) == 1 and saved[0].batch_no == "B7" and saved[0].nurse == "wanghs"
    until(qtbot, lambda: w.isActiveWindow() and w.isAncestorOf(focus()))

    # -- Ctrl+Shift+B: 基本资料, ↓ to 联系电话, Enter edits it in place -----------------------------
    press(qtbot, Qt.Key.Key_B, CTRL | SHIFT)
    panel = w.panel.view
    until(qtbot, lambda: focus() is panel)
    for _ in range(panel.model().rowCount()):
        if w.panel.model.field_at(panel.currentIndex().row()).key == "phone":
            break
        press(qtbot, Qt.Key.Key_Down)
    assert w.panel.model.field_at(panel.currentIndex().row()).key == "phone"
    press(qtbot, Qt.Key.Key_Return)
    until(qtbot, lambda: panel.state() == QAbstractItemView.State.EditingState)
    editor = focus()
    assert isinstance(editor, QLineEdit) and editor.text() == "13812345678"
    editor.selectAll()
    qtbot.keyClicks(editor, "13900001111")
    press(qtbot, Qt.Key.Key_Return)
    until(qtbot, lambda: get_child(db, code).phone == "13900001111")

    # -- Ctrl+Shift+J: the grid; Tab leaves it, Ctrl+Tab / Ctrl+Shift+Tab go round the panels -----
    press(qtbot, Qt.Key.Key_J, CTRL | SHIFT)
    until(qtbot, lambda: focus() is w.grid.table)
    column = w.grid.table.currentIndex().column()
    press(qtbot, Qt.Key.Key_Tab)
    assert focus() is not w.grid.table  # not trapped cell by cell
    assert w.grid.table.currentIndex().column() == column
    press(qtbot, Qt.Key.Key_J, CTRL | SHIFT)
    until(qtbot, lambda: focus() is w.grid.table)
    press(qtbot, Qt.Key.Key_Tab, CTRL)
    assert focus() is panel
    press(qtbot, Qt.Key.Key_Tab, CTRL | SHIFT)
    assert focus() is w.grid.table

    # -- F7: the dock opens with the keyboard in it; ↓ to the reminder, Alt+D marks it done --------
    press(qtbot, Qt.Key.Key_F7)
    dock = w.reminders_dock
    assert dock is not None
    reminders = dock.widget().list  # type: ignore[attr-defined]
    until(qtbot, lambda: dock.isVisible() and focus() is reminders)
    for _ in range(reminders.count()):
        if "给疫苗冰箱测温" in reminders.currentItem().text():
            break
        press(qtbot, Qt.Key.Key_Down)
    assert "给疫苗冰箱测温" in reminders.currentItem().text()
    press(qtbot, Qt.Key.Key_D, ALT)
    until(qtbot, lambda: all("给疫苗冰箱测温" not in reminders.item(i).text() for i in range(reminders.count())))
    assert all(n.text != "给疫苗冰箱测温" for n in notices(db))
    # Ctrl+Tab from the grid now reaches the dock too
    press(qtbot, Qt.Key.Key_J, CTRL | SHIFT)
    press(qtbot, Qt.Key.Key_Tab, CTRL)
    assert focus() is reminders
    press(qtbot, Qt.Key.Key_F7)  # F7 in the dock: away, back to the grid
    until(qtbot, lambda: not dock.isVisible() and focus() is w.grid.table)

    # -- Ctrl+3 免疫空白: the first filter has the keyboard; Enter runs, Enter on a row opens the child --
    press(qtbot, Qt.Key.Key_3, CTRL)
    gap = w._queries["GapQueryScreen"]
    assert isinstance(gap, GapQueryScreen)
    until(qtbot, lambda: gap.isActiveWindow() and focus() is gap.on)
    press(qtbot, Qt.Key.Key_Return)
    until(qtbot, lambda: gap.model.rowCount() > 0 and focus() is gap.table)
    row = next(r for r in range(gap.model.rowCount()) if gap.model.child_code(r) == other)  # 李明
    for _ in range(row):
        press(qtbot, Qt.Key.Key_Down)
    assert gap.model.child_code(gap.table.currentIndex().row()) == other
    press(qtbot, Qt.Key.Key_Return)
    until(qtbot, lambda: w.current.child is not None and w.current.child.code == other)
    until(qtbot, lambda: w.isActiveWindow() and focus() is w.grid.table)

    # the main window's keys work while a query screen has the keyboard: F3 there opens the search
    press(qtbot, Qt.Key.Key_3, CTRL)
    until(qtbot, lambda: gap.isActiveWindow() and focus() is gap.on)
    press(qtbot, Qt.Key.Key_F3)
    until(qtbot, lambda: w.search_dialog.isVisible() and focus() is w.search_dialog.query)
    press(qtbot, Qt.Key.Key_Escape)
    until(qtbot, lambda: not w.search_dialog.isVisible() and w.isActiveWindow() and focus() is w.grid.table)
    # Esc closes a query screen, and so does Ctrl+W
    press(qtbot, Qt.Key.Key_3, CTRL)
    until(qtbot, gap.isActiveWindow)
    press(qtbot, Qt.Key.Key_Escape)
    until(qtbot, lambda: not gap.isVisible() and w.isActiveWindow() and focus() is w.grid.table)
    press(qtbot, Qt.Key.Key_1, CTRL)
    doses = w._queries["DoseQueryScreen"]
    until(qtbot, lambda: doses.isActiveWindow() and isinstance(focus(), QDateEdit) and doses.isAncestorOf(focus()))
    press(qtbot, Qt.Key.Key_W, CTRL)
    until(qtbot, lambda: not doses.isVisible() and w.isActiveWindow() and focus() is w.grid.table)

    # -- F9: no status is chosen for the nurse; Enter says so, ↓ ↓ picks 临时外转, Enter saves ----------
    until(qtbot, w.isActiveWindow)
    press(qtbot, Qt.Key.Key_F9)
    reg = next(c for c in w.findChildren(RegistryDialog) if c.isVisible())
    until(qtbot, lambda: reg.isActiveWindow() and isinstance(focus(), QComboBox))
    assert reg.status_combo.currentData() is None and reg.status_combo.currentText() == "（请选择）"
    press(qtbot, Qt.Key.Key_Return)
    assert reg.error.text() == "请选择新的在册情况" and reg.isVisible()
    assert get_child(db, other).status == Status.LOCAL
    press(qtbot, Qt.Key.Key_Down)
    press(qtbot, Qt.Key.Key_Down)
    assert reg.status_combo.currentText() == "临时外转"
    with qtbot.waitSignal(reg.accepted):
        press(qtbot, Qt.Key.Key_Return)
    assert get_child(db, other).status == Status.TEMP_OUT
    w.close()
