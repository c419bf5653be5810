"""免疫空白查询 screen, printable as the clinic's call-up list (通知单)."""

from __future__ import annotations

import html
from datetime import date
from pathlib import Path

from PySide6.QtCore import QDate, QMarginsF
from PySide6.QtGui import QPageLayout, QPageSize, QTextDocument
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QDialog, QLineEdit, QPushButton, QWidget

from epimanager.services.queries.common import Query, display
from epimanager.services.queries.gap import GapQuery
from epimanager.services.units import unit_info
from epimanager.store.database import Database
from epimanager.ui.dates import to_date
from epimanager.ui.i18n import QT_TRANSLATE_NOOP
from epimanager.ui.queries.screen import QueryScreen, committee_combo, date_edit

#: Columns printed on the call-up list (indexes into GapQuery.columns).
_PRINTED = ("姓名", "性别", "出生日期", "月龄", "母亲姓名", "联系电话", "区域划分", "应种疫苗")


class GapQueryScreen(QueryScreen):
    """Children with due or overdue doses on a date, by vaccine and 区域划分."""

    title = QT_TRANSLATE_NOOP("Queries", "免疫空白查询")
    wrap_column = "应种疫苗"

    def __init__(self, db: Database, user: str, parent: QWidget | None = None) -> None:
        super().__init__(db, user, parent)
        self.on = date_edit(QDate.currentDate())
        self.series = QLineEdit()
        self.series.setPlaceholderText(self.tr("疫苗或系列：HepB、MMR、麻腮风 …（空 = 全部）"))
        self.committee = committee_combo(db)
        self.filters.addRow(self.tr("接种日期"), self.on)
        self.filters.addRow(self.tr("疫苗"), self.series)
        self.filters.addRow(self.tr("区域划分"), self.committee)
        self.print_button = QPushButton(self.tr("打印通知单…"))
        self.buttons.insertWidget(1, self.print_button)
        self.print_button.clicked.connect(self._ask_print)

    def build_query(self) -> Query:
        return GapQuery(
            to_date(self.on.date()),
            series=self.series.text().strip() or None,
            committee=self.committee.currentData(),
        )

    # -- printing ------------------------------------------------------------------------

    def call_up_html(self) -> str:
        """The whole list (every page loaded) as HTML for QTextDocument."""
        if self.model.query is None:
            self.run_query()
        self.model.fetch_all()
        query = self.model.query
        assert query is not None
        cols = [query.columns.index(c) for c in _PRINTED]
        info = unit_info(self.db)
        on: date = to_date(self.on.date())
        head = "".join(f"<th>{html.escape(c)}</th>" for c in _PRINTED)
        body = []
        for n in range(self.model.rowCount()):
            values = self.model.row(n).values
            cells = "".join(f"<td>{html.escape(display(values[i]))}</td>" for i in cols)
            body.append(f"<tr><td>{n + 1}</td>{cells}</tr>")
        heading = html.escape(self.tr("预防接种通知单（%1）").replace("%1", info.name))
        summary = html.escape(
            self.tr("接种日期：%1　共 %2 人").replace("%1", on.isoformat()).replace("%2", str(self.model.rowCount()))
        )
        number = html.escape(self.tr("序号"))
        return (
            "<html><body>"
            f"<h2 align='center'>{heading}</h2>"
            f"<p>{summary}</p>"
            "<table border='1' cellspacing='0' cellpadding='3' width='100%'>"
            f"<tr><th>{number}</th>{head}</tr>{''.join(body)}</table>"
            "</body></html>"
        )

    def print_to(self, printer: QPrinter) -> None:
        doc = QTextDocument()
        doc.setHtml(self.call_up_html())
        doc.print_(printer)

    def print_pdf(self, path: Path) -> None:
        """Write the call-up list to a PDF file (A4 landscape)."""
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(path))
        printer.setPageLayout(
            QPageLayout(
                QPageSize(QPageSize.PageSizeId.A4),
                QPageLayout.Orientation.Landscape,
                QMarginsF(12, 12, 12, 12),
                QPageLayout.Unit.Millimeter,
            )
        )
        self.print_to(printer)
        self.status.setText(self.tr("通知单已保存到 %1").replace("%1", str(path)))

    def _ask_print(self) -> None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dlg = QPrintDialog(printer, self)
        if dlg.exec() == QDialog.DialogCode.Accepted:
            self.print_to(printer)
