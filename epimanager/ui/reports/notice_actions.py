"""What activating an F7 工作提醒 item does: open the place it points to.

``report:KIND:YYYY-MM`` opens 报表 on that report and month (and generates it), ``backup`` backs
up now, ``upload`` uploads now when the platform is set (else opens 系统 → 配置工具, where it is
set), ``upload:rejected`` lists the records the platform rejected, ``aefi:UUID`` opens that AEFI
card.  ``stock:…`` items belong to the stock screen and are left to it; ``reminder:…`` items are the
clinic's own (完成 / 推迟).
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from epimanager.services import outbox
from epimanager.services.platform import load_settings
from epimanager.store.database import Database
from epimanager.ui.system_actions import SystemActions
from epimanager.ui.tables import fill, read_only_table


class NoticeTarget(Protocol):
    """What the main window offers the F7 items."""

    db: Database
    system: SystemActions

    def open_reports(self, kind: str = "6-1", month: str | None = None, *, generate: bool = False) -> QDialog: ...


def act(window: NoticeTarget, action: str, parent: QWidget) -> QWidget | None:
    """Open what ``action`` points to; returns the dialog opened (None: not this module's item)."""
    head, _, rest = action.partition(":")
    if head == "report" and rest.count(":") == 1:
        kind, month = rest.split(":")
        return window.open_reports(kind, month, generate=True)
    if head == "backup":
        return window.system.backup_now()
    if head == "upload" and rest == "rejected":
        return RejectedDialog(window.db, parent).open_()
    if head == "aefi" and rest:
        from epimanager.ui import aefi

        return aefi.open_case(window.db, rest, parent)
    if head == "upload":
        if load_settings(window.db).url:
            return window.system.upload_now()
        return window.system.open_config()
    return None


class RejectedDialog(QDialog):
    """The records the platform rejected, with its reason (read-only; fixed in the child's record)."""

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("被平台拒收的记录"))
        self.resize(860, 420)
        self.table = read_only_table([self.tr("儿童编码"), self.tr("记录"), self.tr("拒收原因"), self.tr("修改时间")])
        rows = outbox.rejected(db)
        fill(self.table, [(r.child_code or "", r.label, r.reason or "", r.changed_at[:19]) for r in rows])
        note = QLabel(self.tr("请在儿童个案中改正后重新上传（F10）；改正的记录会自动重新排队。"))
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(note)
        layout.addWidget(buttons)

    def open_(self) -> RejectedDialog:
        self.finished.connect(self.deleteLater)
        self.open()
        return self
