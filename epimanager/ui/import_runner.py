"""系统 → 导入…: a CSV/JSON file of children or doses (told apart by its header), imported off
the UI thread with a progress bar.

The import commits chunks of 500 rows (:mod:`epimanager.services.importer`), so the nurse can
keep working meanwhile; 取消 stops it at the next chunk boundary — what was imported stays, and
importing the same file again continues where it stopped. The outcome (how many rows, every bad
row with its line) is shown in a message box.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QProgressDialog, QWidget

from epimanager.errors import EpiError
from epimanager.services.importer import ImportReport, import_file
from epimanager.store.database import Database
from epimanager.ui import notify
from epimanager.ui.worker import Job, Progress, run_in_background

#: bad rows listed in the result box's details (the CLI lists them all)
MAX_SHOWN_ERRORS = 500


def details(report: ImportReport) -> str:
    lines = [f"第 {e.line} 行：{e.reason}" for e in report.errors[:MAX_SHOWN_ERRORS]]
    lines += [f"第 {e.line} 行：{e.reason}" for e in report.confirmed_invalid[:MAX_SHOWN_ERRORS]]
    if report.bad_rows > MAX_SHOWN_ERRORS:
        lines.append("……")
    return "\n".join(lines)


class ImportRunner(QObject):
    """Runs one import at a time; ``imported`` fires when rows were written."""

    message = Signal(str)
    imported = Signal()

    def __init__(self, db: Database, window: QWidget) -> None:
        super().__init__(window)
        self.db = db
        self.window = window
        self.progress_dialog: QProgressDialog | None = None
        self.result_box: QMessageBox | None = None
        self.job: Job | None = None
        #: the last progress shown: (rows done, rows in the file)
        self.last_progress = (0, 0)

    def open(self, file: Path | None = None) -> QProgressDialog | None:
        """Ask for the file (unless given), then import it."""
        if file is None:
            name, _ = QFileDialog.getOpenFileName(
                self.window, self.tr("选择导入文件（儿童或接种记录）"), "", self.tr("CSV 或 JSON 文件 (*.csv *.json)")
            )
            if not name:
                return None
            file = Path(name)
        return self.start(file)

    def start(self, path: Path) -> QProgressDialog:
        db = self.db
        stop = threading.Event()
        dlg = QProgressDialog(self.tr("正在导入 %1…").replace("%1", path.name), self.tr("取消"), 0, 0, self.window)
        dlg.setWindowTitle(self.tr("导入"))
        dlg.setWindowModality(Qt.WindowModality.WindowModal)
        dlg.setMinimumDuration(0)
        dlg.setAutoClose(False)
        dlg.setAutoReset(False)
        dlg.canceled.connect(stop.set)

        def work(progress: Progress[int]) -> ImportReport:
            return import_file(db, path, progress=progress, should_stop=stop.is_set)

        def on_progress(done: int, total: int) -> None:
            self.last_progress = (done, total)
            if not stop.is_set():
                dlg.setRange(0, max(total, 1))
                dlg.setValue(done)
                dlg.setLabelText(
                    self.tr("正在导入 %1：%2 / %3 行")
                    .replace("%1", path.name)
                    .replace("%2", str(done))
                    .replace("%3", str(total))
                )

        def on_done(report: ImportReport) -> None:
            dlg.close()
            self.message.emit(report.summary())
            if report.imported:
                self.imported.emit()
            self._show(report)

        def on_error(error: EpiError) -> None:
            dlg.close()
            self.message.emit(error.message)
            notify.warning(self.window, self.tr("导入"), error.message)

        self.job = run_in_background(work, on_done=on_done, on_error=on_error, on_progress=on_progress, owner=self)
        self.job.finished.connect(dlg.close)
        dlg.show()
        self.progress_dialog = dlg
        return dlg

    def _show(self, report: ImportReport) -> None:
        icon = QMessageBox.Icon.Warning if report.bad_rows or report.cancelled else QMessageBox.Icon.Information
        box = QMessageBox(icon, self.tr("导入"), report.summary(), QMessageBox.StandardButton.Ok, self.window)
        text = details(report)
        if text:
            box.setDetailedText(text)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.finished.connect(box.deleteLater)
        box.open()
        self.result_box = box
