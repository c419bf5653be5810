"""在册变更 dialog: change a child's 在册情况 with date, reason and remark.

迁出 needs a reason from the list, and the reason “其他” needs a remark; the
dialog says so in Chinese and stays open.  The rules are the service's
(:func:`epimanager.services.registry.change_status`), so the CLI and the
GUI refuse the same things.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QDate
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from epimanager.domain.codes import Status
from epimanager.domain.registry import MOVEOUT_REASONS, OTHER_REASON
from epimanager.errors import EpiError
from epimanager.services.children import get_child
from epimanager.services.registry import StatusChangeRecord, change_status
from epimanager.store.database import Database
from epimanager.ui.code_labels import tr_code
from epimanager.ui.dates import to_date
from epimanager.ui.i18n import QT_TRANSLATE_NOOP

#: The 迁出 reasons of :data:`MOVEOUT_REASONS` (domain data, saved as is), listed for translation.
_REASON_LABELS = (
    QT_TRANSLATE_NOOP("Registry", "迁往外地"),
    QT_TRANSLATE_NOOP("Registry", "迁往外省"),
    QT_TRANSLATE_NOOP("Registry", "出国"),
    QT_TRANSLATE_NOOP("Registry", "失访"),
    QT_TRANSLATE_NOOP("Registry", "长期外出"),
    QT_TRANSLATE_NOOP("Registry", "其他"),
)


class RegistryDialog(QDialog):
    """Change the 在册情况 of the child ``child_code``; ``record`` holds the saved change."""

    def __init__(self, db: Database, user: str, child_code: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.user = user
        self.child_code = child_code
        self.record: StatusChangeRecord | None = None
        child = get_child(db, child_code)
        self.current = Status(child.status)
        self.setWindowTitle(self.tr("在册变更"))

        self.child_label = QLabel(
            self.tr("%1  %2  当前在册情况：%3")
            .replace("%1", child.code)
            .replace("%2", child.name)
            .replace("%3", tr_code(self.current.label))
        )
        self.status_combo = QComboBox()
        self.status_combo.addItem(self.tr("（请选择）"), None)  # no default: the nurse chooses
        for s in Status:
            if s not in (Status.DELETED, self.current):
                self.status_combo.addItem(tr_code(s.label), int(s))
        self.date = QDateEdit(QDate.currentDate())
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("yyyy-MM-dd")
        self.reason = QComboBox()
        self.reason.addItem(self.tr("（请选择）"), None)
        for r in MOVEOUT_REASONS:
            self.reason.addItem(QCoreApplication.translate("Registry", r), r)
        self.remark = QLineEdit()
        self.remark.setMaxLength(200)
        self.remark_label = QLabel(self.tr("备注"))
        self.error = QLabel("")
        self.error.setStyleSheet("color: #b00020")
        self.error.setWordWrap(True)

        form = QFormLayout()
        form.addRow(self.tr("个案"), self.child_label)
        form.addRow(self.tr("新在册情况"), self.status_combo)
        form.addRow(self.tr("变更日期"), self.date)
        form.addRow(self.tr("迁出原因"), self.reason)
        form.addRow(self.remark_label, self.remark)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        cancel = buttons.button(QDialogButtonBox.StandardButton.Cancel)
        assert ok is not None and cancel is not None
        ok.setText(self.tr("保存"))
        cancel.setText(self.tr("取消"))
        self.ok_button: QPushButton = ok
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

        self.status_combo.currentIndexChanged.connect(self._update)
        self.reason.currentIndexChanged.connect(self._update)
        self._update()

    def select_status(self, status: Status) -> None:
        self.status_combo.setCurrentIndex(self.status_combo.findData(int(status)))

    def _moving_out(self) -> bool:
        return self.status_combo.currentData() == int(Status.MOVED_OUT)

    def _update(self) -> None:
        moving_out = self._moving_out()
        self.reason.setEnabled(moving_out)
        if not moving_out:
            self.reason.setCurrentIndex(0)
        need_remark = moving_out and self.reason.currentData() == OTHER_REASON
        self.remark_label.setText(self.tr("备注（必填）") if need_remark else self.tr("备注"))
        self.error.clear()

    def save(self) -> None:
        """Save the change through the service; on a refused change show why and stay open."""
        reason = self.reason.currentData() if self._moving_out() else None
        try:
            self.record = change_status(
                self.db,
                self.child_code,
                self.status_combo.currentData(),
                to_date(self.date.date()),
                reason,
                self.remark.text(),
                self.user,
            )
        except EpiError as exc:
            self.error.setText(exc.message)
            return
        self.accept()
