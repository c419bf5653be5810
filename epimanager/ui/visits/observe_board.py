"""留观看板: the children in observation with the minutes left, green when their time is done.

Rows come from :func:`~epimanager.services.visit_boards.observing` (read again when the change feed
reports a change); the minutes are counted down locally every second from the time each child
entered 留观 and the clinic's ``observe_minutes``.

Keys: ↑/↓ choose a child; Enter 释放 (the visit ends — before the time the service refuses without
a reason: its message is shown and the reason asked); N writes a note on an adverse reaction
(:func:`~epimanager.services.visits.note`, kept as a visit event); A opens an AEFI card
(疑似预防接种异常反应个案) pre-filled from the child's doses of the day; Esc closes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QCloseEvent, QColor, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from epimanager.errors import EpiError, ValidationError
from epimanager.services import visits
from epimanager.services.visit_boards import Observed, observing
from epimanager.store.database import Database
from epimanager.ui import notify
from epimanager.ui.visits.follow import Follower
from epimanager.ui.worker import Latest

TICK_MS = 1000
DONE_COLOUR = QColor("#c8f0c8")


class ObserveBoard(QWidget):
    """``released(ticket)`` after a child left 留观; ``noted(ticket)`` after a note was saved."""

    released = Signal(str)
    noted = Signal(str)

    def __init__(
        self,
        db: Database,
        *,
        now: Callable[[], datetime] = datetime.now,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("observeBoard")
        self.db = db
        self._now = now
        self.setWindowTitle(self.tr("留观看板"))
        self.resize(760, 480)
        self.table = QTableWidget(0, 6)
        self.table.setObjectName("observing")
        self.table.setHorizontalHeaderLabels(
            [self.tr("号"), self.tr("儿童"), self.tr("开始留观"), self.tr("已留观"), self.tr("剩余"), self.tr("状态")]
        )
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        font = self.table.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        self.table.setFont(font)
        self.table.installEventFilter(self)
        self.notice = QLabel(self.tr("↑/↓ 选择，回车 释放（离开），N 记录不良反应，A 异常反应个案，Esc 关闭。"))
        self.notice.setObjectName("notice")
        self.notice.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.notice)
        self.rows: list[Observed] = []
        self._reader = Latest(self)
        self._tick = QTimer(self)
        self._tick.setInterval(TICK_MS)
        self._tick.timeout.connect(self.update_times)
        self._tick.start()
        self.follower = Follower(self, db, self.reload)
        self.reload()

    # -- reading ----------------------------------------------------------------------------

    def _day(self) -> date:
        return self._now().date()

    def reload(self) -> None:
        db, day = self.db, self._day()
        self._reader.run(lambda: observing(db, day), on_done=self.show_rows,
                         on_error=lambda e: self.notice.setText(e.message))  # fmt: skip

    def show_rows(self, rows: list[Observed]) -> None:
        current = self.current_ticket()
        self.rows = rows
        self.table.setRowCount(len(rows))
        for i, r in enumerate(rows):
            for col, text in enumerate((r.ticket, r.child_name, r.since.strftime("%H:%M"), "", "", "")):
                self.table.setItem(i, col, QTableWidgetItem(text))
        self.update_times()
        tickets = [r.ticket for r in rows]
        if rows:
            self.table.selectRow(tickets.index(current) if current in tickets else 0)
        if not rows:
            self.notice.setText(self.tr("没有正在留观的儿童。Esc 关闭。"))
        else:
            text = self.tr("留观 %1 人；↑/↓ 选择，回车 释放（离开），N 记录不良反应，A 异常反应个案，Esc 关闭。")
            self.notice.setText(text.replace("%1", str(len(rows))))

    def update_times(self) -> None:
        """The minutes columns and colours, from the clock (no database read)."""
        now = self._now()
        for i, r in enumerate(self.rows):
            if i >= self.table.rowCount():
                break
            spent = max(0, int((now - r.since).total_seconds() // 60))
            done = r.done(now)
            texts = (
                self.tr("%1 分钟").replace("%1", str(spent)),
                self.tr("—") if done else self.tr("%1 分钟").replace("%1", str(r.minutes_left(now))),
                self.tr("已满 %1 分钟，可离开").replace("%1", str(r.observe_minutes)) if done else self.tr("留观中"),
            )
            for col, text in zip((3, 4, 5), texts, strict=True):
                item = self.table.item(i, col)
                if item is not None:
                    item.setText(text)
            for col in range(self.table.columnCount()):
                item = self.table.item(i, col)
                if item is not None:
                    item.setBackground(QBrush(DONE_COLOUR) if done else QBrush())

    def current_ticket(self) -> str | None:
        row = self.table.currentRow()
        return self.rows[row].ticket if 0 <= row < len(self.rows) else None

    def _current(self) -> Observed | None:
        row = self.table.currentRow()
        return self.rows[row] if 0 <= row < len(self.rows) else None

    # -- actions ------------------------------------------------------------------------------

    def release(self) -> bool:
        """释放 the chosen child; before the time, the service's refusal is shown and a reason asked."""
        chosen = self._current()
        if chosen is None:
            return False
        try:
            visits.finish(self.db, chosen.ticket, now=self._now())
        except ValidationError as exc:
            reason = notify.ask_text(self, self.tr("提前离开"), exc.message + "\n" + self.tr("请填写提前离开的原因："))
            if not (reason or "").strip():
                self.notice.setText(self.tr("未释放 %1：没有填写原因。").replace("%1", chosen.ticket))
                return False
            try:
                visits.finish(self.db, chosen.ticket, reason=reason, now=self._now())
            except EpiError as again:
                notify.warning(self, self.tr("留观看板"), again.message)
                return False
        except EpiError as exc:
            notify.warning(self, self.tr("留观看板"), exc.message)
            return False
        self.notice.setText(self.tr("%1 已离开留观。").replace("%1", chosen.ticket))
        self.released.emit(chosen.ticket)
        self.reload()
        return True

    def write_note(self) -> bool:
        """N: a note on an adverse reaction for the chosen child's visit."""
        chosen = self._current()
        if chosen is None:
            return False
        text = notify.ask_text(
            self,
            self.tr("不良反应记录"),
            self.tr("%1 %2：观察到的反应（如 注射部位红肿、发热、皮疹）").replace("%1", chosen.ticket)
            .replace("%2", chosen.child_name),
        )  # fmt: skip
        if text is None:
            return False
        try:
            visits.note(self.db, chosen.ticket, text, now=self._now())
        except EpiError as exc:
            notify.warning(self, self.tr("不良反应记录"), exc.message)
            return False
        self.notice.setText(self.tr("已记录 %1 的不良反应。").replace("%1", chosen.ticket))
        self.noted.emit(chosen.ticket)
        return True

    def open_aefi(self) -> QWidget | None:
        """A: an AEFI card for the chosen child, pre-filled from the doses given today."""
        chosen = self._current()
        if chosen is None:
            return None
        from epimanager.ui import aefi

        try:
            card = aefi.for_child_on(self.db, chosen.child_code, self._day(), self, now=self._now)
        except EpiError as exc:
            notify.warning(self, self.tr("异常反应个案"), exc.message)
            return None
        if card is None:
            self.notice.setText(self.tr("%1 今天没有接种记录，无法填写异常反应个案。").replace("%1", chosen.child_name))
        return card

    def eventFilter(self, obj: object, event: object) -> bool:
        if obj is self.table and isinstance(event, QKeyEvent) and event.type() == QKeyEvent.Type.KeyPress:
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.release()
                return True
            plain = not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
            if event.key() == Qt.Key.Key_N and plain:
                self.write_note()
                return True
            if event.key() == Qt.Key.Key_A and plain:
                self.open_aefi()
                return True
        return super().eventFilter(obj, event)  # type: ignore[arg-type]

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.close()
            return
        super().keyPressEvent(event)

    def start(self) -> None:
        self.show()
        self.raise_()
        self.activateWindow()
        self.table.setFocus()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.follower.stop()
        self._tick.stop()
        super().closeEvent(event)
