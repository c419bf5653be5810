"""F7 工作提醒: what needs doing today, each with a one-click action."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from epimanager.errors import EpiError
from epimanager.services.reminders import Notice, add_reminder, complete, notices, snooze
from epimanager.services.reports.common import KINDS
from epimanager.services.reports.runs import mark_done
from epimanager.store.database import Database
from epimanager.ui import notify
from epimanager.ui.dates import to_date

_ACTION_ROLE = Qt.ItemDataRole.UserRole
_ID_ROLE = Qt.ItemDataRole.UserRole + 1


class RemindersPanel(QWidget):
    """Lists :func:`notices`; emits ``action_requested(action)`` for report/backup/upload items.

    The small list of reminders is an item view on purpose (a handful of rows).
    """

    action_requested = Signal(str)

    def __init__(self, db: Database, user: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db, self.user = db, user
        self.setWindowTitle(self.tr("工作提醒"))
        self.list = QListWidget()
        self.list.setWordWrap(True)  # long notices wrap instead of being cut off
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.itemActivated.connect(self._activate)
        self.setMinimumWidth(360)
        self.done_button = QPushButton(self.tr("完成(&D)"))
        self.snooze_button = QPushButton(self.tr("推迟一天(&S)"))
        self.refresh_button = QPushButton(self.tr("刷新(&R)"))
        self.new_text = QLineEdit()
        self.new_text.setPlaceholderText(self.tr("新提醒内容"))
        self.new_due = QDateEdit(QDate.currentDate())
        self.new_due.setDisplayFormat("yyyy-MM-dd")
        self.new_due.setCalendarPopup(True)
        self.add_button = QPushButton(self.tr("添加(&A)"))
        self.message = QLabel()
        self.message.setWordWrap(True)
        buttons = QHBoxLayout()
        for b in (self.done_button, self.snooze_button, self.refresh_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        adder = QHBoxLayout()
        adder.addWidget(self.new_text, 1)
        adder.addWidget(self.new_due)
        adder.addWidget(self.add_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        layout.addLayout(adder)
        layout.addWidget(self.message)
        self.done_button.clicked.connect(self._done)
        self.snooze_button.clicked.connect(self._snooze)
        self.refresh_button.clicked.connect(self.refresh)
        self.add_button.clicked.connect(self._add)
        self.new_text.returnPressed.connect(self._add)
        self.refresh()

    def refresh(self) -> list[Notice]:
        items = notices(self.db)
        self.list.clear()
        for n in items:
            mark = self.tr("【待办】") if n.severity == "warning" else self.tr("【提醒】")
            item = QListWidgetItem(mark + n.text)
            item.setData(_ACTION_ROLE, n.action)
            item.setData(_ID_ROLE, n.reminder_id)
            if n.severity == "warning":
                item.setForeground(QColor("#9a4a00"))
            self.list.addItem(item)
        if not items:
            self.list.addItem(QListWidgetItem(self.tr("今天没有需要处理的提醒")))
        if self.list.count():
            self.list.setCurrentRow(0)
        return items

    def _current_id(self) -> int | None:
        item = self.list.currentItem()
        return item.data(_ID_ROLE) if item is not None else None

    def _current_action(self) -> str:
        item = self.list.currentItem()
        return str(item.data(_ACTION_ROLE) or "") if item is not None else ""

    def _activate(self, item: QListWidgetItem) -> None:
        action = item.data(_ACTION_ROLE)
        if action and not str(action).startswith("reminder:"):
            self.action_requested.emit(str(action))

    def _done(self) -> None:
        """完成: the clinic's own reminder is done (or moves to its next date); last month's report is
        marked done by hand (handed in another way); a backup or upload notice is done by doing it."""
        rid = self._current_id()
        if rid is not None:
            complete(self.db, rid)
            self.refresh()
            return
        action = self._current_action()
        if action.startswith("report:"):
            _head, kind, month = action.split(":")
            title = KINDS.get(kind, kind)
            question = self.tr("把 %1 的%2标记为已完成（已用其他方式上报）？").replace("%1", month).replace("%2", title)
            if notify.confirm(self, self.tr("标记为已完成"), question, default_yes=True):
                mark_done(self.db, kind, month, "marked", user=self.user)
                self.refresh()
                self.message.setText(self.tr("已标记为已完成：%1 %2").replace("%1", month).replace("%2", title))
        elif action.startswith(("backup", "upload")):
            self.message.setText(self.tr("此提醒在备份或上传完成后自动消失"))
            self.action_requested.emit(action)

    def _snooze(self) -> None:
        rid = self._current_id()
        if rid is not None:
            snooze(self.db, rid, date.today() + timedelta(days=1))
            self.refresh()

    def _add(self) -> None:
        d = self.new_due.date()
        try:
            add_reminder(self.db, self.new_text.text(), to_date(d), user=self.user)
        except EpiError as exc:
            self.message.setText(exc.message)
            return
        self.new_text.clear()
        self.message.clear()
        self.refresh()
