"""接种流程日汇总: the day summary of the clinic flow for a chosen day, with an xlsx export.

Tickets by step (where each visit is now), median and 90th-percentile waits per called step, the
no-shows and the children not observed for the full time — :func:`epimanager.services.visit_summary.summary`,
read off the UI thread.  Enter in the date reads that day; Esc closes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDateEdit,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from epimanager.errors import EpiError
from epimanager.services.visit_summary import DaySummary, summary
from epimanager.services.visit_summary_export import export_xlsx
from epimanager.store.database import Database
from epimanager.ui import notify
from epimanager.ui.dates import to_date, to_qdate
from epimanager.ui.worker import Latest


def _minutes(v: float | None) -> str:
    return "—" if v is None else f"{v:g}"


class DaySummaryDialog(QDialog):
    def __init__(
        self,
        db: Database,
        unit_name: str = "",
        *,
        today: Callable[[], date] = date.today,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.db = db
        self.unit_name = unit_name
        self.setWindowTitle(self.tr("接种流程日汇总"))
        self.resize(720, 560)
        self.day = QDateEdit(to_qdate(today()))
        self.day.setObjectName("day")
        self.day.setDisplayFormat("yyyy-MM-dd")
        self.day.setCalendarPopup(True)
        label = QLabel(self.tr("日期(&D)："))
        label.setBuddy(self.day)
        self.run_button = QPushButton(self.tr("查询(&Q)"))
        self.export_button = QPushButton(self.tr("导出 Excel(&E)…"))
        self.export_button.setEnabled(False)
        top = QHBoxLayout()
        top.addWidget(label)
        top.addWidget(self.day)
        top.addWidget(self.run_button)
        top.addStretch(1)
        top.addWidget(self.export_button)
        self.headline = QLabel()
        self.headline.setObjectName("headline")
        self.headline.setWordWrap(True)
        self.steps = self._table([self.tr("步骤"), self.tr("人数")])
        self.waits = self._table(
            [self.tr("步骤"), self.tr("叫号人数"), self.tr("等候中位数（分钟）"), self.tr("第90百分位（分钟）")]
        )
        self.short = self._table([self.tr("号"), self.tr("留观（分钟）"), self.tr("原因")])
        self.short_label = QLabel()
        row = QHBoxLayout()
        row.addWidget(self.steps, 1)
        row.addWidget(self.waits, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.headline)
        layout.addLayout(row, 2)
        layout.addWidget(self.short_label)
        layout.addWidget(self.short, 1)
        self.shown: DaySummary | None = None
        self._reader = Latest(self)
        self.run_button.clicked.connect(self.run)
        self.export_button.clicked.connect(self._ask_export)
        self.day.editingFinished.connect(self.run)
        self.run()

    def _table(self, header: list[str]) -> QTableWidget:
        table = QTableWidget(0, len(header))
        table.setHorizontalHeaderLabels(header)
        table.verticalHeader().hide()
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        table.horizontalHeader().setStretchLastSection(True)
        return table

    def run(self) -> None:
        db, day = self.db, to_date(self.day.date())
        self._reader.run(lambda: summary(db, day), on_done=self.show_summary,
                         on_error=lambda e: self.headline.setText(e.message))  # fmt: skip

    @staticmethod
    def _fill(table: QTableWidget, rows: Sequence[Sequence[Any]]) -> None:
        table.setRowCount(len(rows))
        for i, values in enumerate(rows):
            for j, v in enumerate(values):
                item = QTableWidgetItem(str(v))
                if isinstance(v, int | float) or (isinstance(v, str) and v.replace(".", "").isdigit()):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                table.setItem(i, j, item)

    def show_summary(self, s: DaySummary) -> None:
        self.shown = s
        self.headline.setText(
            self.tr("%1：取号 %2 个（预约 %3，现场 %4）；过号未到 %5 个%6")
            .replace("%1", s.day.isoformat())
            .replace("%2", str(s.tickets))
            .replace("%3", str(s.booked))
            .replace("%4", str(s.tickets - s.booked))
            .replace("%5", str(len(s.no_shows)))
            .replace("%6", f"（{'、'.join(s.no_shows)}）" if s.no_shows else "")
        )
        self._fill(self.steps, list(s.by_step.items()))
        self._fill(
            self.waits, [(w.step, w.count, _minutes(w.median_minutes), _minutes(w.p90_minutes)) for w in s.waits]
        )
        self.short_label.setText(
            self.tr("留观不足 %1 分钟：%2 人").replace("%1", str(s.observe_minutes))
            .replace("%2", str(len(s.short_observation)))
        )  # fmt: skip
        self._fill(self.short, [(o.ticket, f"{o.minutes:g}", o.reason or "") for o in s.short_observation])
        self.export_button.setEnabled(True)

    def export(self, path: Path) -> Path:
        """The shown day as an xlsx file."""
        if self.shown is None:
            raise EpiError("请先查询")
        return export_xlsx(self.shown, path, self.unit_name)

    def _ask_export(self) -> None:
        if self.shown is None:
            return
        name, _ = QFileDialog.getSaveFileName(
            self, self.tr("导出 Excel"), f"接种流程日汇总-{self.shown.day.isoformat()}.xlsx",
            self.tr("Excel 文件 (*.xlsx)"),
        )  # fmt: skip
        if not name:
            return
        try:
            path = self.export(Path(name))
        except (EpiError, OSError) as exc:
            notify.warning(self, self.tr("导出 Excel"), getattr(exc, "message", str(exc)))
            return
        self.headline.setText(self.tr("已导出：%1").replace("%1", str(path)))
