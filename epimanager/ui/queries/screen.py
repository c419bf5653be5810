"""The frame every query screen shares: filters on top, a paged table, export buttons."""

from __future__ import annotations

import itertools
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QDate, QModelIndex, Qt, Signal
from PySide6.QtGui import QKeyEvent, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from epimanager.errors import EpiError
from epimanager.services.queries.common import Query, display
from epimanager.services.queries.export import export_query
from epimanager.services.units import committee_ids, unit_info
from epimanager.store.database import Database
from epimanager.ui.i18n import QT_TRANSLATE_NOOP
from epimanager.ui.print.layout import PrintTable
from epimanager.ui.print.table_printer import print_table_to_pdf, print_table_with_dialog
from epimanager.ui.print.tables import list_table
from epimanager.ui.queries.paged_model import PagedTableModel

ALL = QT_TRANSLATE_NOOP("Queries", "（全部）")


def all_label() -> str:
    """The “all” entry of a filter combo, in the current language."""
    return QCoreApplication.translate("Queries", str(ALL))


def date_edit(value: QDate | None = None) -> QDateEdit:
    w = QDateEdit(value or QDate.currentDate())
    w.setCalendarPopup(True)
    w.setDisplayFormat("yyyy-MM-dd")
    return w


def committee_combo(db: Database) -> QComboBox:
    combo = QComboBox()
    combo.addItem(all_label(), None)
    for name in committee_ids(db):
        combo.addItem(name, name)
    return combo


class QueryScreen(QWidget):
    """Base class: subclasses add filter fields to ``self.filters`` and implement :meth:`build_query`."""

    #: a row was double-clicked: the child's code
    open_child = Signal(str)
    #: the screen's title (marked with ``QT_TRANSLATE_NOOP("Queries", …)``, translated where shown)
    title = QT_TRANSLATE_NOOP("Queries", "查询")
    #: a long last column (the query's column title) that takes the remaining width and wraps
    wrap_column: str | None = None

    def __init__(self, db: Database, user: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.user = user
        self.setWindowTitle(QCoreApplication.translate("Queries", str(self.title)))
        self.filters = QFormLayout()
        self.search_button = QPushButton(self.tr("查询(&Q)"))
        self.export_xlsx_button = QPushButton(self.tr("导出 Excel…"))
        self.export_csv_button = QPushButton(self.tr("导出 CSV…"))
        self.print_button = QPushButton(self.tr("打印(&P)…"))
        self.status = QLabel("")
        self.error = QLabel("")
        self.error.setStyleSheet("color: #b00020")
        self.model = PagedTableModel(db)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table (back to the filters)
        self.table.setWordWrap(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self._sized = False

        self.buttons = QHBoxLayout()
        self.buttons.addWidget(self.search_button)
        self.buttons.addStretch(1)
        self.buttons.addWidget(self.export_xlsx_button)
        self.buttons.addWidget(self.export_csv_button)
        self.buttons.addWidget(self.print_button)
        layout = QVBoxLayout(self)
        layout.addLayout(self.filters)
        layout.addLayout(self.buttons)
        layout.addWidget(self.error)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)

        self.search_button.clicked.connect(self.run_query)
        self.export_xlsx_button.clicked.connect(lambda: self._ask_export("xlsx"))
        self.export_csv_button.clicked.connect(lambda: self._ask_export("csv"))
        self.print_button.clicked.connect(self._ask_print)
        self.table.doubleClicked.connect(self._double_clicked)
        self.model.failed.connect(self._show_error)
        self.model.loaded.connect(self._show_count)
        self.model.rowsInserted.connect(self._fit_rows)

    # -- for subclasses --------------------------------------------------------------------

    def build_query(self) -> Query:
        raise NotImplementedError

    # -- actions ---------------------------------------------------------------------------

    def run_query(self) -> None:
        """Build the query from the filters and show its first page."""
        self.error.clear()
        try:
            query = self.build_query()
        except EpiError as exc:
            self._show_error(exc.message)
            return
        self.model.set_query(query)
        self._sized = False
        if self.model.canFetchMore():
            self.model.fetchMore()

    def export_to(self, path: Path) -> int:
        """Export the whole result of the current filters (all pages) to ``path`` (.xlsx or .csv)."""
        self.error.clear()
        try:
            n = export_query(self.db, self.build_query(), path)
        except EpiError as exc:
            self._show_error(exc.message)
            return 0
        self.status.setText(self.tr("已导出 %1 行到 %2").replace("%1", str(n)).replace("%2", str(path)))
        return n

    # -- printing --------------------------------------------------------------------------

    def filter_lines(self) -> list[str]:
        """The filters as printed under the title (label：value, the empty ones left out)."""
        parts = []
        for n in range(self.filters.rowCount()):
            label = self.filters.itemAt(n, QFormLayout.ItemRole.LabelRole)
            field = self.filters.itemAt(n, QFormLayout.ItemRole.FieldRole)
            widget = field.widget() if field is not None else None
            value = ""
            if isinstance(widget, QLineEdit):
                value = widget.text().strip()
            elif isinstance(widget, QComboBox):
                value = widget.currentText() if widget.currentData() is not None else ""
            elif isinstance(widget, QDateEdit):
                value = widget.date().toString("yyyy-MM-dd")
            lab = label.widget() if label is not None else None
            if value and isinstance(lab, QLabel):
                parts.append(f"{lab.text().replace('&', '')}：{value}")
        return ["　".join(parts)] if parts else []

    def print_table(self) -> PrintTable:
        """The whole result of the current filters (every page loaded) as printed."""
        if self.model.query is None:
            self.run_query()
        self.model.fetch_all()
        query = self.model.query
        assert query is not None
        rows = [[display(v) for v in self.model.row(n).values] for n in range(self.model.rowCount())]
        info = unit_info(self.db)
        count = self.tr("共 %1 行").replace("%1", str(len(rows)))
        unit = self.tr("单位：%1").replace("%1", f"{info.code} {info.name}")
        lines = [f"{unit}　{count}", *self.filter_lines()]
        return list_table(self.windowTitle(), lines, query.columns, rows)

    def print_pdf(self, path: Path) -> int:
        """Print the list to a PDF file; the number of pages."""
        pages = print_table_to_pdf(self.print_table(), path)
        self.status.setText(self.tr("已打印到 %1").replace("%1", str(path)))
        return pages

    def _ask_print(self) -> None:
        print_table_with_dialog(self.print_table(), self)

    def _ask_export(self, fmt: str) -> None:
        caption = self.tr("导出 Excel") if fmt == "xlsx" else self.tr("导出 CSV")
        pattern = self.tr("Excel 文件 (*.xlsx)") if fmt == "xlsx" else self.tr("CSV 文件 (*.csv)")
        name, _ = QFileDialog.getSaveFileName(self, caption, f"{self.windowTitle()}.{fmt}", pattern)
        if name:
            path = Path(name)
            self.export_to(path if path.suffix.lower() == f".{fmt}" else path.with_suffix(f".{fmt}"))

    def _double_clicked(self, index: QModelIndex) -> None:
        if not index.isValid():
            return
        code = self.model.child_code(index.row())
        if code:
            self.open_child.emit(code)

    def _show_error(self, message: str) -> None:
        self.error.setText(message)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter: on a row, open the child; in a filter, run the query and go to the rows."""
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if self.table.hasFocus():
                self._double_clicked(self.table.currentIndex())
            else:
                self.run_query()
                if not self.error.text():
                    self.table.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        super().keyPressEvent(event)

    def showEvent(self, event: QShowEvent) -> None:
        """Tab goes filters → 查询 → the rows → the other buttons (set once the subclass built its filters)."""
        if not getattr(self, "_tab_order_set", False):
            self._tab_order_set = True
            chain: list[QWidget] = []
            for row in range(self.filters.rowCount()):
                item = self.filters.itemAt(row, QFormLayout.ItemRole.FieldRole)
                field = item.widget() if item is not None else None
                if field is not None:
                    chain.append(field)
            chain += [self.search_button, self.table]
            for i in range(self.buttons.count()):
                button = self.buttons.itemAt(i)
                w = button.widget() if button is not None else None
                if w is not None and w not in chain:
                    chain.append(w)
            for a, b in itertools.pairwise(chain):
                QWidget.setTabOrder(a, b)
        super().showEvent(event)

    def fit_columns(self) -> None:
        """Every column as wide as its header and the loaded rows (a child code is never cut)."""
        self.table.resizeColumnsToContents()
        header = self.table.horizontalHeader()
        for c in range(self.model.columnCount()):
            header.resizeSection(c, header.sectionSize(c) + 8)
        query = self.model.query
        if self.wrap_column and query is not None and self.wrap_column in query.columns:
            c = query.columns.index(self.wrap_column)
            others = sum(header.sectionSize(i) for i in range(self.model.columnCount()) if i != c)
            # what the viewport will be once the row numbers and the vertical scroll bar show up
            t = self.table
            bars = t.verticalHeader().sizeHint().width() + t.verticalScrollBar().sizeHint().width()
            room = t.width() - 2 * t.frameWidth() - bars - others
            header.resizeSection(c, max(room, 240))
            self.table.setWordWrap(True)
            self.table.resizeRowsToContents()

    def _fit_rows(self, _parent: QModelIndex, first: int, last: int) -> None:
        """Rows of a wrapped column grow to show all of it (only the rows just loaded are measured)."""
        if self.wrap_column and self._sized:
            for row in range(first, last + 1):
                self.table.resizeRowToContents(row)

    def _show_count(self, n: int, more: bool) -> None:
        if not self._sized and n:
            self._sized = True
            self.fit_columns()
            if not self.table.currentIndex().isValid():
                self.table.setCurrentIndex(self.model.index(0, 0))
        text = self.tr("已显示 %1 行，向下滚动加载更多") if more else self.tr("已显示 %1 行（全部）")
        self.status.setText(text.replace("%1", str(n)))
