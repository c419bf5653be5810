"""库存一览 (Ctrl+6, 库存 → 库存一览, or a stock notice in F7): vaccines and syringes on hand.

The list is read off the UI thread (:func:`epimanager.services.stock.overview.overview`); Enter on
a batch opens its 出入库明细 (read off the UI thread too); 入库 / 报损 / 盘点 open small forms
over the stock services and the list is read again after a save.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from epimanager.errors import EpiError
from epimanager.services.stock.overview import StockLine, batch_ledger, overview
from epimanager.services.stock.records import MovementRecord
from epimanager.store.database import Database
from epimanager.ui.stock.dialogs import CountDialog, MovementDialog, ReceiveDialog, WasteDialog
from epimanager.ui.stock.ledger import LedgerDialog
from epimanager.ui.stock.model import COL_MARKS, StockTableModel
from epimanager.ui.worker import Latest, run_in_background


def _key(line: StockLine) -> tuple[int, int, str]:
    return (line.batch_id, line.product_id, line.code)


def _matches(line: StockLine, action: str) -> bool:
    """Whether an F7 notice is this line's: ``stock:batch:ID`` / ``stock:product:ID`` / ``stock:syringe:CODE``."""
    _, what, value = [*action.split(":", 2), "", ""][:3]
    if what == "batch":
        return str(line.batch_id) == value
    if what == "product":
        return str(line.product_id) == value
    return what == "syringe" and line.is_syringe and line.code == value


class StockScreen(QDialog):
    """Non-modal; Esc closes it, the table has the focus, Enter opens the selected batch's ledger."""

    #: the list was (re)read and shown
    loaded = Signal()
    #: a receipt, wastage or count was saved (the message for the status bar)
    changed = Signal(str)

    def __init__(
        self, db: Database, user: str, today: Callable[[], date] = date.today, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.db, self.user, self.today = db, user, today
        self.setWindowTitle(self.tr("库存一览"))
        self.resize(1180, 560)
        self._latest = Latest(self)
        self._pending: str | None = None
        self.ledger_dialog: LedgerDialog | None = None
        self.form: MovementDialog | None = None

        self.summary = QLabel()
        self.model = StockTableModel()
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.ledger_button = QPushButton(self.tr("出入库明细(&L)"))
        self.receive_button = QPushButton(self.tr("入库(&I)…"))
        self.waste_button = QPushButton(self.tr("报损(&W)…"))
        self.count_button = QPushButton(self.tr("盘点(&C)…"))
        self.refresh_button = QPushButton(self.tr("刷新(&R)"))
        self.close_button = QPushButton(self.tr("关闭"))
        self.message = QLabel()
        self.message.setWordWrap(True)
        hint = QLabel(self.tr("回车：所选批号的出入库明细　F5：刷新　Esc：关闭"))
        hint.setStyleSheet("color: #555")

        buttons = QHBoxLayout()
        for b in (self.ledger_button, self.receive_button, self.waste_button, self.count_button, self.refresh_button):
            b.setAutoDefault(False)  # Enter in the table opens the ledger, never a button
            buttons.addWidget(b)
        buttons.addStretch(1)
        self.close_button.setAutoDefault(False)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        layout.addWidget(hint)

        self.table.activated.connect(lambda _index: self.open_ledger())
        self.ledger_button.clicked.connect(self.open_ledger)
        self.receive_button.clicked.connect(self.receive)
        self.waste_button.clicked.connect(self.waste)
        self.count_button.clicked.connect(self.count)
        self.refresh_button.clicked.connect(self.refresh)
        self.close_button.clicked.connect(self.reject)

    # -- reading ---------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the list again off the UI thread; the selected line stays selected."""
        db, on = self.db, self.today()
        self.summary.setText(self.tr("正在读取库存…"))
        self._latest.run(lambda: overview(db, on), on_done=self._loaded, on_error=self._failed)

    def point_at(self, action: str) -> None:
        """Select the line an F7 stock notice (``stock:…``) is about, once the list is read."""
        self._pending = action
        if not self._latest.busy:
            self._select_pending()

    def _loaded(self, lines: list[StockLine]) -> None:
        current = self.current_line()
        self.model.set_lines(lines)
        self.table.resizeColumnsToContents()
        header = self.table.horizontalHeader()
        for col in range(COL_MARKS):
            header.resizeSection(col, header.sectionSize(col) + 14)  # air between the columns
        header.setSectionResizeMode(COL_MARKS, QHeaderView.ResizeMode.Stretch)
        vaccines = sum(1 for ln in lines if not ln.is_syringe and ln.batch_id)
        syringes = sum(1 for ln in lines if ln.is_syringe and ln.batch_id)
        warned = sum(1 for ln in lines if ln.marks)
        self.summary.setText(
            self.tr("截至 %1：疫苗 %2 个批号，注射器 %3 个批号；需要注意 %4 行")
            .replace("%1", self.today().isoformat())
            .replace("%2", str(vaccines))
            .replace("%3", str(syringes))
            .replace("%4", str(warned))
        )
        if not lines:
            self.summary.setText(self.tr("库存中没有疫苗或注射器。按“入库”登记领取的疫苗和注射器。"))
        row = next((i for i, ln in enumerate(lines) if current is not None and _key(ln) == _key(current)), 0)
        if lines:
            self.table.selectRow(row)
        self._select_pending()
        self.loaded.emit()

    def _select_pending(self) -> None:
        if self._pending is None:
            return
        action, self._pending = self._pending, None
        for row, ln in enumerate(self.model.lines()):
            if _matches(ln, action):
                self.table.selectRow(row)
                self.table.scrollTo(self.model.index(row, 0))
                return

    def _failed(self, error: EpiError) -> None:
        self.summary.setText("")
        self._show(error.message, error=True)

    def current_line(self) -> StockLine | None:
        index = self.table.currentIndex()
        return self.model.line(index.row()) if index.isValid() else None

    def _show(self, text: str, *, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet("color: #b00020" if error else "")

    def _batch_line(self) -> StockLine | None:
        """The selected line if it is a batch; otherwise say why nothing happens."""
        line = self.current_line()
        if line is None or not line.batch_id:
            self._show(self.tr("请先选择一个有库存的批号"), error=True)
            return None
        return line

    # -- ledger ----------------------------------------------------------------------------

    def open_ledger(self) -> None:
        """The selected batch's movements, read off the UI thread, in their own dialog."""
        line = self._batch_line()
        if line is None:
            return
        db = self.db
        self._show(self.tr("正在读取出入库明细…"))
        run_in_background(
            lambda: batch_ledger(db, line.batch_id),
            on_done=lambda records: self._show_ledger(line, records),
            on_error=self._failed,
            owner=self,
        )

    def _show_ledger(self, line: StockLine, records: Sequence[MovementRecord]) -> None:
        self._show("")
        dlg = LedgerDialog(line, records, self)
        self.ledger_dialog = dlg
        dlg.finished.connect(dlg.deleteLater)
        dlg.open()

    # -- 入库 / 报损 / 盘点 ----------------------------------------------------------------

    def receive(self) -> ReceiveDialog:
        dlg = ReceiveDialog(self.db, self.user, self.today(), self.current_line(), self)
        self._open_form(dlg, self.tr("已入库"))
        return dlg

    def waste(self) -> WasteDialog | None:
        line = self._batch_line()
        if line is None:
            return None
        dlg = WasteDialog(self.db, self.user, self.today(), line, self)
        self._open_form(dlg, self.tr("已报损"))
        return dlg

    def count(self) -> CountDialog | None:
        line = self._batch_line()
        if line is None:
            return None
        dlg = CountDialog(self.db, self.user, self.today(), line, self)
        self._open_form(dlg, self.tr("已盘点"))
        return dlg

    def _open_form(self, dlg: MovementDialog, done: str) -> None:
        self.form = dlg

        def saved() -> None:
            m = dlg.record
            assert m is not None
            text = (
                self.tr("%1：%2 批号 %3 %4 %5，结存 %6 %5")
                .replace("%1", done)
                .replace("%2", m.vaccine_abbr)
                .replace("%3", m.batch_no)
                .replace("%4", f"{m.delta:+d}")
                .replace("%5", m.unit)
                .replace("%6", str(m.balance))
            )
            self._show(text)
            self.changed.emit(text)
            self.refresh()

        dlg.accepted.connect(saved)
        dlg.finished.connect(dlg.deleteLater)
        dlg.open()

    # -- keys and focus --------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.table.setFocus()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_F5:
            self.refresh()
            return
        super().keyPressEvent(event)
