"""报表: generate a monthly report off the UI thread, preview, export, print."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from epimanager.domain.dates import add_months
from epimanager.errors import EpiError
from epimanager.services.reports.common import KINDS
from epimanager.services.reports.export import table, title_line, to_csv, to_xlsx
from epimanager.services.reports.runs import generate, mark_done
from epimanager.store.database import Database
from epimanager.ui.print.layout import PrintTable
from epimanager.ui.print.table_printer import print_table_to_pdf, print_table_with_dialog
from epimanager.ui.print.tables import report_table
from epimanager.ui.reports.table_model import ReportTableModel
from epimanager.ui.worker import Job, run_in_background

RESIDENCES = (("合计", None), ("本地", 1), ("流动", 2), ("临时", 3))


class ReportDialog(QDialog):
    """Month, kind and (for 6-1) residence → 生成; then 导出 / 打印."""

    def __init__(
        self, db: Database, user: str, parent: QWidget | None = None, kind: str = "6-1", month: str | None = None
    ) -> None:
        super().__init__(parent)
        self.db, self.user = db, user
        self.report: dict[str, Any] | None = None
        self._job: Job | None = None
        self.setWindowTitle(self.tr("月报"))
        self.resize(1100, 640)
        self.kind = QComboBox()
        for key, title in KINDS.items():
            self.kind.addItem(title, key)
        self.kind.setCurrentIndex(list(KINDS).index(kind))
        self.month = QDateEdit()
        self.month.setDisplayFormat("yyyy-MM")
        first = add_months(date.today().replace(day=1), -1)
        if month:
            y, m = (int(x) for x in month.split("-"))
            first = date(y, m, 1)
        self.month.setDate(QDate(first.year, first.month, 1))
        self.residence = QComboBox()
        for label, code in RESIDENCES:
            self.residence.addItem(self.tr(label), code)
        self.generate_button = QPushButton(self.tr("生成(&G)"))
        self.generate_button.setDefault(True)
        self.xlsx_button = QPushButton(self.tr("导出 Excel(&E)"))
        self.csv_button = QPushButton(self.tr("导出 CSV(&C)"))
        self.print_button = QPushButton(self.tr("打印(&P)…"))
        self.done_button = QPushButton(self.tr("标记为已完成(&F)"))
        self.done_button.setToolTip(self.tr("已用其他方式上报：本月此报表记为已完成，F7 不再提醒"))
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.status = QLabel()
        self.title = QLabel()
        self.title.setStyleSheet("font-weight: bold")
        self.model = ReportTableModel()
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setAlternatingRowColors(True)
        top = QHBoxLayout()
        for label, widget in (
            (self.tr("报表(&K)："), self.kind),
            (self.tr("月份(&M)："), self.month),
            (self.tr("居住属性(&R)："), self.residence),
        ):
            lab = QLabel(label)
            lab.setBuddy(widget)
            top.addWidget(lab)
            top.addWidget(widget)
        top.addWidget(self.generate_button)
        top.addStretch(1)
        for b in (self.xlsx_button, self.csv_button, self.print_button, self.done_button):
            top.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.title)
        layout.addWidget(self.view, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.progress)
        layout.addLayout(bottom)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.generate_button.clicked.connect(self.start)
        self.xlsx_button.clicked.connect(lambda: self._export("xlsx"))
        self.csv_button.clicked.connect(lambda: self._export("csv"))
        self.print_button.clicked.connect(self._print)
        self.done_button.clicked.connect(lambda: self.hand_in("marked"))
        self._kind_changed()
        self._set_ready(False)

    def selected_kind(self) -> str:
        return str(self.kind.currentData())

    def selected_month(self) -> str:
        d = self.month.date()
        return f"{d.year():04d}-{d.month():02d}"

    def _kind_changed(self) -> None:
        self.residence.setEnabled(self.selected_kind() == "6-1")

    def _set_ready(self, ready: bool) -> None:
        for b in (self.xlsx_button, self.csv_button, self.print_button, self.done_button):
            b.setEnabled(ready)

    def start(self) -> None:
        """Generate the selected report on a worker thread (F5 while one runs does nothing)."""
        if self._job is not None and self._job.running:
            return
        kind, month = self.selected_kind(), self.selected_month()
        residence = self.residence.currentData() if kind == "6-1" else None
        self.generate_button.setEnabled(False)
        self.progress.setVisible(True)
        self.progress.setRange(0, 0)
        self.status.setText(self.tr("正在生成…"))
        self.status.setStyleSheet("")
        db, user = self.db, self.user
        self._job = run_in_background(
            lambda progress: generate(db, kind, month, residence=residence, user=user, progress=progress),
            on_done=self._done,
            on_error=self._failed,
            on_progress=self._progress,
            owner=self,
        )
        self._job.finished.connect(self._settled)  # after the report, a refusal or a bug

    def _settled(self) -> None:
        self.progress.setVisible(False)
        self.generate_button.setEnabled(True)

    def _progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def _done(self, report: dict[str, Any]) -> None:
        self.report = report
        header, rows = table(report)
        self.model.set_table(header, rows)
        self.view.resizeColumnsToContents()
        self.title.setText(title_line(report))
        # previewing is not handing in: the month counts as done once exported, printed or marked
        self.status.setText(self.tr("已生成。导出、打印或标记为已完成后，本月此报表才记为已完成"))
        self._set_ready(True)

    def _failed(self, error: EpiError) -> None:
        self.status.setText(error.message)
        self.status.setStyleSheet("color: #b00020")

    def _export(self, fmt: str) -> None:
        assert self.report is not None
        name = f"{self.report['report']}-{self.report['month']}.{fmt}"
        path, _ = QFileDialog.getSaveFileName(self, self.tr("导出"), name, f"*.{fmt}")
        if path:
            self.export(Path(path), fmt)

    def export(self, path: Path, fmt: str) -> None:
        assert self.report is not None
        if fmt == "xlsx":
            to_xlsx(self.report, path)
        else:
            path.write_text(to_csv(self.report), encoding="utf-8-sig")
        self.status.setText(self.tr("已导出：%1").replace("%1", str(path)))
        self.hand_in("exported", str(path))

    def hand_in(self, how: str, target: str | None = None) -> None:
        """The report shown was exported, printed or marked done: the month's duty is done (F7)."""
        assert self.report is not None
        kind, month = str(self.report["report"]), str(self.report["month"])
        try:
            mark_done(self.db, kind, month, how, user=self.user, target=target)
        except EpiError as exc:
            self.status.setText(exc.message)
            return
        if how == "marked":
            text = self.tr("已标记为已完成：%1 %2").replace("%1", month)
            self.status.setText(text.replace("%2", self.kind.currentText()))
        else:
            self.status.setText(self.status.text() + self.tr("（本月此报表已完成）"))

    def print_table(self) -> PrintTable:
        """The report as printed (表6-1 like the paper form), through the one table printer."""
        assert self.report is not None
        return report_table(self.report, date.today())

    def _print(self) -> None:
        if print_table_with_dialog(self.print_table(), self):
            self.hand_in("printed")

    def print_to_pdf(self, path: Path) -> int:
        """Write the printed report to a PDF file (a hand-in like printing); the number of pages."""
        pages = print_table_to_pdf(self.print_table(), path)
        self.hand_in("printed", str(path))
        return pages

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_F5:
            self.start()
            return
        super().keyPressEvent(event)
