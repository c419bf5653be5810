"""The desk's queue (a dock of the main window): called, in progress and waiting tickets of its steps.

One row per ticket: 号, 姓名, 步骤, 状态 (colour **and** word), 等候 (minutes in this step; at 留观 the
minutes observed), 过号 and the desk that called it.  Enter (or a double click) on a row asks to open
that child; Esc gives the keyboard back to the grid.  Results and refusals of the desk's keys show on
the panel's message line (green / red).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from epimanager.domain import visit as dv
from epimanager.services.visits import VisitRecord

#: background per status: called (waiting for the child) amber, in progress green
_COLOURS = {dv.Status.CALLED.value: "#ffe0b2", dv.Status.IN_PROGRESS.value: "#c8e6c9"}
OK_STYLE = "color: #1b5e20"
ERROR_STYLE = "color: #b00020"


class QueueTable(QTableWidget):
    """The rows; Enter activates the current row, Esc leaves."""

    activated_row = Signal(int)
    leave = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentRow() >= 0:
            self.activated_row.emit(self.currentRow())
            return
        if key == Qt.Key.Key_Escape:
            self.leave.emit()
            return
        super().keyPressEvent(event)


class DeskPanel(QWidget):
    """The queue of one desk; ``open_ticket(ticket)`` when a row is opened (Enter, double click)."""

    open_ticket = Signal(str)
    leave = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.records: list[VisitRecord] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.title = QLabel()
        self.title.setObjectName("deskTitle")
        bold = QFont(self.title.font())
        bold.setBold(True)
        self.title.setFont(bold)
        self.counts = QLabel()
        self.counts.setObjectName("deskCounts")
        headers = [self.tr("号"), self.tr("姓名"), self.tr("步骤"), self.tr("状态"), self.tr("等候"),
                   self.tr("过号"), self.tr("工作台")]  # fmt: skip
        self.table = t = QueueTable(0, len(headers), self)
        t.setHorizontalHeaderLabels(headers)
        t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        t.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        t.horizontalHeader().setStretchLastSection(True)
        t.verticalHeader().hide()
        self.table.setObjectName("deskQueue")
        self.table.activated_row.connect(self._open_row)
        self.table.doubleClicked.connect(lambda index: self._open_row(index.row()))
        self.table.leave.connect(self.leave)
        self.message = QLabel()
        self.message.setObjectName("deskMessage")
        self.message.setWordWrap(True)
        self.keys = QLabel()
        self.keys.setObjectName("deskKeys")
        self.keys.setWordWrap(True)
        self.keys.setStyleSheet("color: #555")
        for w in (self.title, self.counts, self.table, self.message, self.keys):
            layout.addWidget(w)

    # -- showing ----------------------------------------------------------------------------

    def set_desk(self, desk: str, steps: Sequence[dv.Step], keys: str) -> None:
        self.title.setText(
            self.tr("%1 · %2").replace("%1", desk).replace("%2", "、".join(s.value for s in steps) or "—")
        )
        self.keys.setText(keys)

    def show_queue(self, records: Sequence[VisitRecord], now: datetime) -> None:
        """Replace the rows (the selected ticket stays selected when it is still there)."""
        keep = self.selected_ticket()
        self.records = list(records)
        t = self.table
        t.setRowCount(len(self.records))
        for r, v in enumerate(self.records):
            waited = max(0, int((now - v.queued_at).total_seconds() // 60))
            values = (v.ticket, v.child_name, v.step, v.status, self.tr("%1 分钟").replace("%1", str(waited)),
                      str(v.misses) if v.misses else "", v.desk or "")  # fmt: skip
            colour = _COLOURS.get(v.status)
            for c, text in enumerate(values):
                item = QTableWidgetItem(text)
                if colour is not None:
                    item.setBackground(QBrush(QColor(colour)))
                t.setItem(r, c, item)
        waiting = sum(1 for v in self.records if v.status == dv.Status.WAITING.value)
        called = sum(1 for v in self.records if v.status == dv.Status.CALLED.value)
        busy = sum(1 for v in self.records if v.status == dv.Status.IN_PROGRESS.value)
        self.counts.setText(
            self.tr("已叫号 %1 · 进行中 %2 · 等候 %3")
            .replace("%1", str(called))
            .replace("%2", str(busy))
            .replace("%3", str(waiting))
        )
        if keep is not None:
            self.select(keep)
        elif self.records and t.currentRow() < 0:
            t.setCurrentCell(0, 0)

    def say(self, text: str, *, ok: bool = True) -> None:
        self.message.setStyleSheet(OK_STYLE if ok else ERROR_STYLE)
        self.message.setText(text)

    # -- the selection ------------------------------------------------------------------------

    def selected(self) -> VisitRecord | None:
        row = self.table.currentRow()
        return self.records[row] if 0 <= row < len(self.records) else None

    def selected_ticket(self) -> str | None:
        record = self.selected()
        return record.ticket if record is not None else None

    def select(self, ticket: str) -> bool:
        for r, v in enumerate(self.records):
            if v.ticket == ticket:
                self.table.setCurrentCell(r, 0)
                return True
        return False

    def _open_row(self, row: int) -> None:
        if 0 <= row < len(self.records):
            self.open_ticket.emit(self.records[row].ticket)
