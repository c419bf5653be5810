"""升级对话框: verify a package, show its release notes, apply it off the UI thread with progress.

The caller must close its own :class:`~epimanager.store.database.Database` before
``开始升级`` (an upgrade refuses a database another connection holds open) and restart the
program afterwards (signal :attr:`UpgradeDialog.upgraded`).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from epimanager.domain.actor import Actor
from epimanager.errors import EpiError
from epimanager.ui.worker import Job, run_in_background
from epimanager.upgrade.install.apply import ApplyResult, apply_package
from epimanager.upgrade.install.layout import Target, current_version
from epimanager.upgrade.install.verify import check_package
from epimanager.upgrade.package import VerifiedPackage


class UpgradeDialog(QDialog):
    """``UpgradeDialog(package, db_path, install_root=None, parent=None, actor=None)`` (``actor``: who applies it)."""

    upgraded = Signal(str)  # the new version

    def __init__(
        self,
        package: Path,
        db_path: Path,
        install_root: Path | None = None,
        parent: QWidget | None = None,
        actor: Actor | None = None,
    ) -> None:
        super().__init__(parent)
        self.actor = actor
        self.setWindowTitle(self.tr("安装升级包"))
        self.resize(560, 420)
        self.package = Path(package)
        self.target = Target.for_database(Path(db_path), install_root)
        self._job: Job | None = None
        self.new_version: str | None = None

        layout = QVBoxLayout(self)
        self.info = QLabel(
            self.tr("当前版本：%1\n升级包：%2")
            .replace("%1", str(current_version(self.target.install_root)))
            .replace("%2", self.package.name)
        )
        self.info.setWordWrap(True)
        layout.addWidget(self.info)
        layout.addWidget(QLabel(self.tr("更新说明：")))
        self.notes = QPlainTextEdit()
        self.notes.setReadOnly(True)
        layout.addWidget(self.notes, 1)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        layout.addWidget(self.progress)
        self.status = QLabel(self.tr("正在校验升级包……"))
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.error = QLabel()
        self.error.setStyleSheet("color: #b00020")
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.start_button = QPushButton(self.tr("开始升级(&S)"))
        self.start_button.setEnabled(False)
        self.start_button.clicked.connect(self.start)
        self.close_button = QPushButton(self.tr("关闭"))
        self.close_button.clicked.connect(self.reject)
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.close_button)
        layout.addLayout(buttons)
        package, target = self.package, self.target
        self._job = run_in_background(
            lambda: check_package(package, target), on_done=self._checked, on_error=self._failed, owner=self
        )

    @property
    def busy(self) -> bool:
        return self._job is not None and self._job.running

    def start(self) -> None:
        if self.busy:
            return
        self.start_button.setEnabled(False)
        self.close_button.setEnabled(False)
        self.error.clear()
        self.status.setText(self.tr("正在升级，请不要关闭电脑……"))
        package, target = self.package, self.target
        self._job = run_in_background(
            lambda progress: apply_package(package, target, progress=progress, actor=self.actor),
            on_done=self._applied,
            on_error=self._failed,
            on_progress=self._on_progress,
            owner=self,
        )
        self._job.finished.connect(self._settled)

    def _checked(self, pkg: VerifiedPackage) -> None:
        m = pkg.manifest
        self.notes.setPlainText(m.notes)
        self.info.setText(
            self.tr("当前版本：%1　→　新版本：%2（发布日期 %3）\n升级包：%4，%5 个文件，签名已验证")
            .replace("%1", str(current_version(self.target.install_root)))
            .replace("%2", str(m.version))
            .replace("%3", str(m.released))
            .replace("%4", self.package.name)
            .replace("%5", str(len(m.files)))
        )
        self.status.setText(self.tr("升级包校验通过。升级前会自动备份数据库，失败时自动恢复原状。"))
        self.start_button.setEnabled(True)

    def _on_progress(self, percent: int, message: str) -> None:
        self.progress.setValue(percent)
        self.status.setText(message)

    def _applied(self, result: ApplyResult) -> None:
        self.new_version = result.to_version
        self.progress.setValue(100)
        self.status.setText(
            self.tr("已从 %1 升级到 %2。请重新启动 EpiManager。")
            .replace("%1", str(result.from_version))
            .replace("%2", str(result.to_version))
        )
        self.close_button.setEnabled(True)
        self.close_button.setText(self.tr("完成"))
        self.close_button.clicked.disconnect()
        self.close_button.clicked.connect(self.accept)
        self.upgraded.emit(result.to_version)

    def _failed(self, error: EpiError) -> None:
        self.error.setText(error.message)
        self.status.setText(self.tr("升级未完成，原有程序和数据没有任何改动。"))
        self.close_button.setEnabled(True)

    def _settled(self) -> None:
        """After a bug (the crash dialog shows it; apply has rolled back) the dialog can be closed."""
        if self.new_version is None and not self.close_button.isEnabled():
            self.status.setText(self.tr("升级未完成，原有程序和数据没有任何改动。"))
            self.close_button.setEnabled(True)

    def reject(self) -> None:
        if self.busy:
            return  # never abandon a running upgrade
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.busy:
            event.ignore()
            return
        super().closeEvent(event)
