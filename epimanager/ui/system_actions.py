"""系统 functions of the main window: upload (manual and automatic), import, backup (now and on
exit), the upgrade dialog and the configuration tool.  Long work runs off the UI thread
through :mod:`epimanager.ui.worker`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QDialog, QFileDialog, QMessageBox, QProgressDialog, QWidget

from epimanager.errors import EpiError
from epimanager.services import backup
from epimanager.store.database import Database
from epimanager.sync.auto import AutoUploader
from epimanager.sync.upload import UploadReport, upload
from epimanager.ui import notify
from epimanager.ui.fixes import worded
from epimanager.ui.import_runner import ImportRunner
from epimanager.ui.worker import Job, Progress, UiCall, run_in_background


def upload_summary(report: UploadReport) -> str:
    text = QApplication.translate("System", "上传完成：接收 %1 条，被拒 %2 条，剩余 %3 条")
    return (
        text.replace("%1", str(report.accepted + report.stale))
        .replace("%2", str(report.rejected))
        .replace("%3", str(report.remaining))
    )


def _open(dlg: QDialog) -> QDialog:
    """Show a window-modal dialog that deletes itself when closed."""
    dlg.finished.connect(dlg.deleteLater)
    dlg.open()
    return dlg


class SystemActions(QObject):
    """Owns the automatic uploader; ``message(str)`` reports results to the status bar."""

    message = Signal(str)
    uploaded = Signal()
    #: rows were imported (系统 → 导入…)
    imported = Signal()

    def __init__(self, db: Database, parent: QWidget) -> None:
        super().__init__(parent)
        self.db = db
        self.window = parent
        # the uploader calls back on its own thread: UiCall hands the call to the UI thread
        self.auto = AutoUploader(db, on_done=UiCall(self._auto_done, self))
        self.progress_dialog: QProgressDialog | None = None
        self.progress_job: Job | None = None
        self.passphrase_dialog: QWidget | None = None
        self.users_dialog: QWidget | None = None
        #: the file the backup on exit wrote (None: none was needed, or it failed)
        self.exit_backup: Path | None = None
        self.importer = ImportRunner(db, parent)
        self.importer.message.connect(self.message)
        self.importer.imported.connect(self.imported)

    # -- upload -------------------------------------------------------------------------

    def start_auto_upload(self) -> None:
        self.auto.start()

    def _auto_done(self, report: UploadReport | None, error: str | None) -> None:
        if report is not None:
            self.message.emit(self.tr("自动上传：%1").replace("%1", upload_summary(report)))
            self.uploaded.emit()
        elif error:
            self.message.emit(self.tr("自动上传：%1").replace("%1", error))

    def upload_now(self) -> QProgressDialog:
        """Upload everything waiting, with a progress dialog; the UI stays responsive."""
        db = self.db
        return self._run(
            self.tr("正在上传个案到平台…"),
            lambda progress: upload_summary(upload(db, progress=progress)),
            after=self.uploaded.emit,
        )

    # -- import -------------------------------------------------------------------------

    def open_import(self, file: Path | None = None) -> QProgressDialog | None:
        """系统 → 导入…: children or doses from a CSV/JSON file, with progress and 取消."""
        return self.importer.open(file)

    # -- backup -------------------------------------------------------------------------

    def backup_now(self, passphrase: str | None = None, when: datetime | None = None) -> QProgressDialog:
        db, when = self.db, when or datetime.now()
        target = backup.target_path(db, when, encrypted=bool(passphrase))
        return self._run(
            self.tr("正在备份数据库到 %1 …").replace("%1", str(target)),
            lambda progress: self.tr("备份完成：%1").replace(
                "%1", str(backup.backup(db, progress=progress, passphrase=passphrase, now=when).path)
            ),
        )

    def backup_encrypted(self) -> QWidget:
        """Ask for a passphrase (twice), then back up encrypted."""
        from epimanager.ui.login_dialog import NewPasswordDialog

        dlg = NewPasswordDialog(
            self.tr("加密备份"),
            self.tr("备份文件将用此密码加密。没有密码无法恢复，请妥善保管。"),
            self.tr("备份密码："),
            self.window,
        )
        dlg.accepted.connect(lambda: self.backup_now(dlg.password()))
        self.passphrase_dialog = _open(dlg)
        return dlg

    def open_restore(self, file: Path | None = None) -> QWidget | None:
        """Choose a backup and restore it; the program closes afterwards (restart to continue)."""
        from epimanager.ui.restore_dialog import RestoreDialog

        if file is None:
            name, _ = QFileDialog.getOpenFileName(
                self.window,
                self.tr("选择备份文件"),
                str(backup.default_backup_dir(self.db)),
                self.tr("EpiManager 备份 (*%1 *%2)").replace("%1", backup.SUFFIX).replace("%2", backup.ENC_SUFFIX),
            )
            if not name:
                return None
            file = Path(name)
        dlg = RestoreDialog(self.db, file, parent=self.window, before=lambda: self.auto.stop(timeout=30.0))
        # the window's own periodic reads pause while the dialog is open: no connection of this
        # program may hold the file while the restore checks that nobody does
        timers = [t for t in (getattr(getattr(self.window, "status", None), "_timer", None),
                              getattr(self.window, "_feed_timer", None)) if t is not None]  # fmt: skip
        for timer in timers:
            timer.stop()
        dlg.finished.connect(lambda _result: [t.start() for t in timers])

        def done(safety: str) -> None:
            self.message.emit(self.tr("已恢复备份"))
            QMessageBox.information(
                self.window,
                self.tr("恢复完成"),
                self.tr("数据库已从备份恢复。恢复前的数据库已另存为：\n%1\n请重新启动程序。").replace("%1", safety),
            )
            self.window.close()

        dlg.restored.connect(done)
        dlg.open()
        return dlg

    def backup_on_exit(self) -> bool:
        """Back up before closing when anything changed since the last backup (not only when the
        last one is a day old: closing at the end of day 2 after a day-1 backup protects day 2).

        Runs on a worker thread behind a modal progress dialog that names the file; returns when
        done.  :attr:`exit_backup` is the file written; :meth:`exit_backup_message` says where.
        """
        self.exit_backup = None
        if backup.auto_backup_hours(self.db) <= 0 or not backup.changed_since_backup(self.db):
            return False
        when = datetime.now()
        self.backup_now(when=when)
        assert self.progress_job is not None
        self.progress_job.wait()
        target = backup.target_path(self.db, when)
        self.exit_backup = target if target.exists() else None  # a failure was shown by the dialog
        return True

    def exit_backup_message(self) -> str:
        assert self.exit_backup is not None
        return self.tr("退出前已备份数据到：\n%1").replace("%1", str(self.exit_backup))

    def tell_exit_backup(self, seconds: int = 8) -> None:
        """Say where the backup on exit went, in a box that closes by itself (the day is over)."""
        if self.exit_backup is None:
            return
        box = QMessageBox(QMessageBox.Icon.Information, "EpiManager", self.exit_backup_message())
        QTimer.singleShot(seconds * 1000, box.accept)
        box.exec()

    # -- upgrade and configuration -------------------------------------------------------

    def open_upgrade(self, package: Path | None = None) -> QWidget | None:
        from epimanager.ui.upgrade_dialog import UpgradeDialog

        if package is None:
            name, _ = QFileDialog.getOpenFileName(self.window, self.tr("选择升级包"), "", self.tr("升级包 (*.zip)"))
            if not name:
                return None
            package = Path(name)
        self.db.close()  # the upgrade checks that nobody holds the database open
        dlg = UpgradeDialog(package, self.db.path, parent=self.window, actor=self.db.actor)

        def done(version: str) -> None:
            QMessageBox.information(
                self.window,
                self.tr("升级完成"),
                self.tr("已升级到 %1 版。请重新启动程序。").replace("%1", version),
            )
            self.window.close()

        dlg.upgraded.connect(done)
        dlg.open()
        return dlg

    def open_config(self) -> QWidget:
        from epimanager.ui.config_dialog import ConfigDialog

        dlg = ConfigDialog(self.db, self.window)
        dlg.data_dir_moved.connect(
            lambda path: self.message.emit(self.tr("数据文件夹已改为 %1，重新启动后生效").replace("%1", path))
        )
        dlg.open()
        return dlg

    # -- users --------------------------------------------------------------------------

    def open_users(self) -> QWidget:
        from epimanager.ui.users_dialog import UsersDialog

        dlg = UsersDialog(self.db, self.window)
        self.users_dialog = _open(dlg)
        return dlg

    def change_password(self) -> QWidget | None:
        from epimanager.ui.users_dialog import ChangePasswordDialog

        actor = self.db.actor
        if actor is None:
            QMessageBox.information(self.window, "EpiManager", self.tr("尚未登录：还没有建立用户"))
            return None
        dlg = ChangePasswordDialog(self.db, actor.name, self.window)
        dlg.accepted.connect(lambda: self.message.emit(self.tr("密码已修改")))
        self.users_dialog = _open(dlg)
        return dlg

    # -- shared -------------------------------------------------------------------------

    def _run(
        self, title: str, fn: Callable[[Progress[int]], str], after: Callable[[], None] | None = None
    ) -> QProgressDialog:
        dlg = QProgressDialog(title, "", 0, 0, self.window)
        dlg.setWindowTitle("EpiManager")
        dlg.setCancelButton(None)
        dlg.setWindowModality(Qt.WindowModality.WindowModal)
        dlg.setMinimumDuration(0)
        dlg.setAutoClose(False)  # it closes when the work is done, not when the bar is full
        dlg.setAutoReset(False)

        def on_progress(done: int, total: int) -> None:
            dlg.setRange(0, max(total, 1))
            dlg.setValue(done)

        def on_done(text: str) -> None:
            self.message.emit(text)
            if after is not None:
                after()

        def on_error(error: EpiError) -> None:
            dlg.close()
            self.message.emit(worded(error))
            notify.warning(self.window, "EpiManager", worded(error))

        job = run_in_background(fn, on_done=on_done, on_error=on_error, on_progress=on_progress, owner=dlg)
        job.finished.connect(dlg.close)  # also after a bug (the crash dialog tells about it)
        dlg.show()
        self.progress_dialog, self.progress_job = dlg, job
        return dlg

    def shutdown(self) -> None:
        self.auto.stop(timeout=5.0)
