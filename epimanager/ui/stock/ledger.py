"""出入库明细 of one batch: every movement, oldest first, with the balance after each."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QTableView, QVBoxLayout, QWidget

from epimanager.services.stock.overview import StockLine
from epimanager.services.stock.records import MovementRecord
from epimanager.ui.reports.table_model import ReportTableModel
from epimanager.ui.stock.dialogs import describe


class LedgerDialog(QDialog):
    """Read-only; Esc or 关闭 closes it."""

    def __init__(self, line: StockLine, records: Sequence[MovementRecord], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("出入库明细 — %1 批号 %2").replace("%1", line.abbr).replace("%2", line.batch_no))
        self.resize(900, 480)
        header = [
            self.tr("日期"),
            self.tr("类型"),
            self.tr("数量"),
            self.tr("结存"),
            self.tr("单据号"),
            self.tr("供货/调入单位"),
            self.tr("原因"),
            self.tr("操作员"),
        ]
        rows: list[list[Any]] = [
            [
                m.date.isoformat(),
                m.subtype_label,
                m.delta,
                m.balance if m.balance is not None else "",
                m.document_no or "",
                m.supplier or m.counterparty or "",
                m.reason or "",
                m.user or "",
            ]
            for m in records
        ]
        self.model = ReportTableModel()
        self.model.set_table(header, rows)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setAlternatingRowColors(True)
        self.view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.view.verticalHeader().hide()
        self.view.resizeColumnsToContents()
        header_view = self.view.horizontalHeader()
        for col in range(len(header) - 1):
            header_view.resizeSection(col, header_view.sectionSize(col) + 14)
        self.view.horizontalHeader().setStretchLastSection(True)
        summary = self.tr("%1 条记录，单位：%2").replace("%1", str(len(rows))).replace("%2", line.unit)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        assert close is not None
        close.setText(self.tr("关闭"))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(describe(line)))
        layout.addWidget(self.view, 1)
        layout.addWidget(QLabel(summary))
        layout.addWidget(buttons)
        self.view.setFocus()
        if rows:
            self.view.selectRow(len(rows) - 1)  # the newest line, where a nurse looks first
