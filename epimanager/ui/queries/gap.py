"""免疫空白查询 screen, printable as the clinic's call-up list (通知单)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QLineEdit, QWidget

from epimanager.services.queries.common import Query, display
from epimanager.services.queries.gap import GapQuery
from epimanager.services.units import unit_info
from epimanager.store.database import Database
from epimanager.ui.dates import to_date
from epimanager.ui.i18n import QT_TRANSLATE_NOOP
from epimanager.ui.print.layout import PrintTable
from epimanager.ui.print.table_printer import print_table_to_pdf
from epimanager.ui.print.tables import list_table
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
        self.print_button.setText(self.tr("打印通知单…"))

    def build_query(self) -> Query:
        return GapQuery(
            to_date(self.on.date()),
            series=self.series.text().strip() or None,
            committee=self.committee.currentData(),
        )

    # -- printing ------------------------------------------------------------------------

    def print_table(self) -> PrintTable:
        """The call-up list (通知单): every child of the current filters, with phone and 应种疫苗."""
        if self.model.query is None:
            self.run_query()
        self.model.fetch_all()
        query = self.model.query
        assert query is not None
        cols = [query.columns.index(c) for c in _PRINTED]
        rows = [[display(self.model.row(n).values[i]) for i in cols] for n in range(self.model.rowCount())]
        info = unit_info(self.db)
        on: date = to_date(self.on.date())
        heading = self.tr("预防接种通知单（%1）").replace("%1", info.name)
        summary = self.tr("接种日期：%1　共 %2 人").replace("%1", on.isoformat()).replace("%2", str(len(rows)))
        return list_table(heading, [summary], _PRINTED, rows, keys=("序号", "姓名"))

    def print_pdf(self, path: Path) -> int:
        """Write the call-up list to a PDF file; the number of pages."""
        pages = print_table_to_pdf(self.print_table(), path)
        self.status.setText(self.tr("通知单已保存到 %1").replace("%1", str(path)))
        return pages
