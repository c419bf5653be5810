"""#21 item 6: F7 items act — activating a 【待办】 opens what it points to; 完成 works on system notices."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QListWidgetItem
from pytestqt.qtbot import QtBot

from epimanager.domain.validation import ChildInput
from epimanager.services.children import create_child
from epimanager.services.reminders import previous_month
from epimanager.services.reports.runs import done_for
from epimanager.store.database import Database
from epimanager.ui.config_dialog import ConfigDialog
from epimanager.ui.main_window import MainWindow
from epimanager.ui.reports.dialog import ReportDialog
from epimanager.ui.reports.reminders_panel import RemindersPanel
from tests.ui.conftest import TODAY


def open_f7(qtbot: QtBot, w: MainWindow) -> RemindersPanel:
    qtbot.keyClick(w, Qt.Key.Key_F7)
    assert w.reminders_dock is not None
    panel = w.reminders_dock.widget()
    assert isinstance(panel, RemindersPanel)
    return panel


def item(panel: RemindersPanel, action: str) -> QListWidgetItem:
    for i in range(panel.list.count()):
        it = panel.list.item(i)
        if it.data(Qt.ItemDataRole.UserRole) == action:
            return it
    raise AssertionError(f"no F7 item {action}: {[panel.list.item(i).text() for i in range(panel.list.count())]}")


def has(panel: RemindersPanel, action: str) -> bool:
    return any(panel.list.item(i).data(Qt.ItemDataRole.UserRole) == action for i in range(panel.list.count()))


def test_enter_on_a_missing_report_opens_that_report_and_month(qtbot: QtBot, window: MainWindow) -> None:
    panel = open_f7(qtbot, window)
    month = previous_month(date.today())  # F7 asks for last month by the real calendar
    panel.list.setCurrentItem(item(panel, f"report:6-2:{month}"))
    panel.list.setFocus()
    qtbot.keyClick(panel.list, Qt.Key.Key_Return)
    dlg = next(d for d in window.findChildren(ReportDialog) if d.isVisible())
    assert (dlg.selected_kind(), dlg.selected_month()) == ("6-2", month)
    qtbot.waitUntil(lambda: dlg.report is not None, timeout=10000)  # generated at once
    assert has(panel, f"report:6-2:{month}")  # previewing alone does not hand it in
    dlg.hand_in("marked")
    dlg.close()
    qtbot.waitUntil(lambda: not has(panel, f"report:6-2:{month}"))  # F7 follows when the dialog closes


def test_done_on_a_report_notice_marks_the_month_done(
    qtbot: QtBot, db: Database, window: MainWindow, answers: dict[str, list[object]]
) -> None:
    panel = open_f7(qtbot, window)
    month = previous_month(date.today())
    panel.list.setCurrentItem(item(panel, f"report:cases:{month}"))
    answers["confirm"].append(True)
    qtbot.mouseClick(panel.done_button, Qt.MouseButton.LeftButton)
    assert answers["asked"] == [f"标记为已完成: 把 {month} 的个案统计分析月报标记为已完成（已用其他方式上报）？"]
    assert not has(panel, f"report:cases:{month}")
    assert done_for(db, month)["cases"].how == "marked"
    assert panel.message.text() == f"已标记为已完成：{month} 个案统计分析月报"


def test_activating_the_backup_notice_backs_up_and_the_notice_goes(
    qtbot: QtBot, db: Database, window: MainWindow
) -> None:
    panel = open_f7(qtbot, window)
    assert any("尚未备份过数据" in panel.list.item(i).text() for i in range(panel.list.count()))
    panel._activate(item(panel, "backup"))
    qtbot.waitUntil(lambda: window.status.currentMessage().startswith("备份完成："), timeout=20000)
    assert list((db.path.parent / "backups").glob("3201020101-*.epibak.gz"))
    qtbot.waitUntil(lambda: not has(panel, "backup"))


def test_done_on_the_backup_notice_does_the_backup(qtbot: QtBot, db: Database, window: MainWindow) -> None:
    panel = open_f7(qtbot, window)
    panel.list.setCurrentItem(item(panel, "backup"))
    qtbot.mouseClick(panel.done_button, Qt.MouseButton.LeftButton)
    assert panel.message.text() == "此提醒在备份或上传完成后自动消失"
    qtbot.waitUntil(lambda: not has(panel, "backup"), timeout=20000)


def test_waiting_uploads_without_a_platform_open_the_configuration_tool(
    qtbot: QtBot, db: Database, window: MainWindow
) -> None:
    create_child(db, ChildInput("张浩", "1", date(2026, 3, 1), mother_name="李梅"), today=TODAY)
    panel = open_f7(qtbot, window)
    panel._activate(item(panel, "upload"))
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), ConfigDialog))
    dlg = QApplication.activeModalWidget()
    assert isinstance(dlg, ConfigDialog)
    dlg.reject()
