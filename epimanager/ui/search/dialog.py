"""F3 个案快速查询: type, the list follows; ↑/↓ choose, Enter opens the child.

A scanned visit ticket (its QR code typed by the scanner, ``EPIV:<day>:<ticket>``, then Enter)
opens that visit's child at once (``find_ticket``).

The query runs on a worker thread (debounced) so typing never waits on the
database; only the newest query's rows are shown.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from epimanager.domain.visit_ticket import parse_payload
from epimanager.errors import EpiError
from epimanager.services.search import SearchResult
from epimanager.services.visits import VisitRecord
from epimanager.ui.geometry import place_on_screen
from epimanager.ui.search.model import SearchModel
from epimanager.ui.worker import Latest

DEBOUNCE_MS = 120


class SearchDialog(QDialog):
    """``child_chosen(code)`` when the nurse presses Enter or double-clicks a row."""

    child_chosen = Signal(str)
    results_shown = Signal(int)

    def __init__(
        self,
        search: Callable[[str], SearchResult],
        parent: QWidget | None = None,
        today: Callable[[], date] = date.today,
        find_ticket: Callable[[str], VisitRecord | None] | None = None,
    ) -> None:
        super().__init__(parent)
        self._search = search
        self._find_ticket = find_ticket
        self.setWindowTitle(self.tr("个案快速查询"))
        self.resize(900, 460)
        self.query = QLineEdit()
        self.query.setObjectName("query")
        self.query.setPlaceholderText(
            self.tr("姓名、拼音（zhanghao）、首字母（lpp）、出生日期（2013 / 2013-01）、编码、身份证号或电话")
        )
        self.query.setClearButtonEnabled(True)
        label = QLabel(self.tr("查询(&Q)："))
        label.setBuddy(self.query)
        self.model = SearchModel(today)
        self.table = QTableView()
        self.table.setObjectName("results")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # focus stays in the box; ↑/↓ move the row
        self.table.doubleClicked.connect(lambda _i: self.open_current())
        self.notice = QLabel(self.tr("输入后自动查询；↑/↓ 选择，回车打开，Esc 关闭。"))
        self.notice.setObjectName("notice")
        self.notice.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(self.query)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.notice)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self._run)
        self.query.textChanged.connect(lambda _t: self._timer.start())
        self.query.installEventFilter(self)
        self._worker = Latest(self)
        self.last_result: SearchResult | None = None

    def start(self, text: str = "") -> None:
        """Show the dialog with the box focused (previous text selected)."""
        if text:
            self.query.setText(text)
        self.query.selectAll()
        self.query.setFocus()
        self.show()
        self.raise_()
        self.activateWindow()
        place_on_screen(self, self.parentWidget())

    # -- searching ------------------------------------------------------------------------

    def _run(self) -> None:
        text = self.query.text()
        search = self._search
        self._worker.run(lambda: search(text), on_done=self._show, on_error=lambda e: self.notice.setText(e.message))

    def _show(self, result: SearchResult) -> None:
        self.last_result = result
        self.model.set_rows(result.rows)
        if result.rows:
            self.table.selectRow(0)
            self.table.resizeColumnsToContents()
        n = len(result.rows)
        if result.more:
            self.notice.setText(
                self.tr("结果多于 %1 条，只显示前 %1 条；请输入更多内容缩小范围。").replace("%1", str(n))
            )
        elif n == 0 and self.query.text().strip():
            self.notice.setText(self.tr("没有找到符合的儿童。"))
        else:
            self.notice.setText(self.tr("共 %1 条；↑/↓ 选择，回车打开。").replace("%1", str(n)))
        self.results_shown.emit(n)

    # -- keyboard ---------------------------------------------------------------------------

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.query and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            key = event.key()
            if key in (Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown):
                self._move(Qt.Key(key))
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                if self._open_ticket():
                    return True
                if self._timer.isActive() or self._worker.busy:
                    # Enter right after typing: search now, open the first row when it arrives
                    self._timer.stop()
                    self._open_when_ready()
                else:
                    self.open_current()
                return True
        return super().eventFilter(obj, event)

    def _open_ticket(self) -> bool:
        """A scanned ticket in the box: open its child (True), or say why not; False for any other text."""
        text = self.query.text()
        if self._find_ticket is None or parse_payload(text) is None:
            return False
        self._timer.stop()
        try:
            found = self._find_ticket(text)
        except EpiError as exc:
            self.notice.setText(exc.message)
            self.query.selectAll()
            return True
        if found is None:
            return False
        self.child_chosen.emit(found.child_code)
        self.accept()
        return True

    def _open_when_ready(self) -> None:
        def once(_n: int) -> None:
            self.results_shown.disconnect(once)
            self.open_current()

        self.results_shown.connect(once)
        self._run()

    def _move(self, key: Qt.Key) -> None:
        n = self.model.rowCount()
        if n == 0:
            return
        current = self.table.currentIndex().row()
        step = {Qt.Key.Key_Up: -1, Qt.Key.Key_Down: 1, Qt.Key.Key_PageUp: -10, Qt.Key.Key_PageDown: 10}[key]
        row = min(max((current if current >= 0 else 0) + step, 0), n - 1)
        self.table.selectRow(row)

    def open_current(self) -> None:
        row = self.table.currentIndex().row()
        if 0 <= row < len(self.model.rows):
            self.child_chosen.emit(self.model.rows[row].child_code)
            self.accept()
