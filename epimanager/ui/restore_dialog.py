"""恢复备份 and 加密备份 dialogs.

Restoring checks the backup (decrypts, decompresses, integrity check, unit and
version) before anything is replaced; a wrong passphrase, a damaged file, a
backup of a newer version or — unless confirmed — of another unit is refused
with the reason shown in the dialog, and the database is left as it was.  The
work runs off the UI thread (:mod:`epimanager.ui.worker`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from epimanager.errors import EpiError
from epimanager.services import backup
from epimanager.store.database import Database
from epimanager.ui.fixes import worded
from epimanager.ui.grow import set_message
from epimanager.ui.login_dialog import error_label, password_field
from epimanager.ui.worker import run_in_background


class RestoreDialog(QDialog):
    """Replace the database with a backup.  ``restored(safety_copy_path)`` when done;
    ``db`` is closed then (the program must be restarted)."""

    restored = Signal(str)

    def __init__(
        self,
        db: Database,
        file: Path,
        parent: QWidget | None = None,
        before: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.db = db
        self.file = file
        self._before = before
        self.setWindowTitle(self.tr("恢复备份"))
        self.setMinimumWidth(460)
        layout = QVBoxLayout(self)
        intro = QLabel(self.tr("将用备份文件替换当前数据库。恢复前先校验备份，并把当前数据库另存为安全副本。"))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        users_note = QLabel(self.tr("恢复后的用户账号就是备份中的用户账号，当前的用户账号不会保留。"))
        users_note.setWordWrap(True)
        layout.addWidget(users_note)
        form = QFormLayout()
        form.addRow(self.tr("备份文件："), QLabel(file.name))
        self.encrypted = backup.is_encrypted(file)
        self.passphrase = password_field()
        if self.encrypted:
            form.addRow(self.tr("备份密码："), self.passphrase)
        layout.addLayout(form)
        self.other_unit = QCheckBox(self.tr("这是其他接种单位的备份，我确认要恢复"))
        layout.addWidget(self.other_unit)
        self.no_users = QCheckBox(self.tr("备份中没有用户账号，恢复后不再需要登录：我是系统管理员，确认要恢复"))
        self.no_users.hide()  # shown when the backup turns out to have no users
        layout.addWidget(self.no_users)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.hide()
        layout.addWidget(self.busy)
        self.error = error_label()
        layout.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.restore_button = self.buttons.addButton(self.tr("恢复(&R)"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.start)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def start(self) -> None:
        if self.encrypted and not self.passphrase.text():
            self.error.setText(self.tr("请输入备份密码"))
            self.passphrase.setFocus()
            return
        self.error.clear()
        self.buttons.setEnabled(False)
        self.busy.show()
        db, file = self.db, self.file
        passphrase = self.passphrase.text() if self.encrypted else None
        other = self.other_unit.isChecked()
        no_users = self.no_users.isChecked()
        before = self._before

        def work() -> Path:
            if before is not None:
                before()
            return backup.restore(db, file, allow_other_unit=other, allow_no_users=no_users, passphrase=passphrase)

        job = run_in_background(work, on_done=self._restored, on_error=self._refused, owner=self)
        job.finished.connect(self._settled)  # after success, refusal or a bug

    def _restored(self, safety: Path) -> None:
        self.restored.emit(str(safety))
        self.accept()

    def _refused(self, error: EpiError) -> None:
        if isinstance(error, backup.NoUsersInBackup):
            self.no_users.show()
        set_message(self.error, worded(error))

    def _settled(self) -> None:
        self.busy.hide()
        self.buttons.setEnabled(True)
