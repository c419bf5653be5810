"""召回/封存批号: the county's recall/lock list, kept by a 业务管理员 (库存 → 召回/封存批号, Ctrl+7).

Keyboard: the list has the focus; Ins (or Alt+N) adds, Del (or Alt+L) lifts the selected entry
with a reason, Alt+A shows lifted entries too, Esc closes.  Every rule is the service's
(:mod:`epimanager.services.recalls`): a refusal (no reason, not a 业务管理员, a list read before
another desk changed it) is shown in red and nothing is changed.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from epimanager.errors import EpiError, PermissionDenied
from epimanager.resources import catalog
from epimanager.services import permissions, recalls
from epimanager.services.recalls import RecallRecord
from epimanager.store.database import Database
from epimanager.ui import notify
from epimanager.ui.login_dialog import error_label, say
from epimanager.ui.tables import fill, read_only_table


class RecallForm(QDialog):
    """新增召回/封存: batch, product (optional), 召回 or 封存, reason."""

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.saved: RecallRecord | None = None
        self.setWindowTitle(self.tr("新增召回/封存批号"))
        self.batch = QLineEdit()
        self.batch.setObjectName("batch")
        self.vaccine = QComboBox()
        self.vaccine.addItem(self.tr("（任何产品）"), None)
        for vac in catalog().sorted():
            self.vaccine.addItem(f"{vac.name}  {vac.abbr}", vac.code)
        self.manufacturer = QLineEdit()
        self.manufacturer.setPlaceholderText(self.tr("不填：任何企业"))
        self.recall = QRadioButton(self.tr("召回(&C)"))
        self.recall.setChecked(True)
        self.lock = QRadioButton(self.tr("封存/锁定(&F)"))
        kinds = QHBoxLayout()
        kinds.addWidget(self.recall)
        kinds.addWidget(self.lock)
        kinds.addStretch(1)
        self.reason = QLineEdit()
        self.reason.setObjectName("reason")
        self.reason.setPlaceholderText(self.tr("如：县疾控通知，冷链温度超标"))
        self.error = error_label()
        form = QFormLayout()
        form.addRow(self.tr("批号(&B)："), self.batch)
        form.addRow(self.tr("疫苗(&V)："), self.vaccine)
        form.addRow(self.tr("生产企业(&M)："), self.manufacturer)
        form.addRow(self.tr("类别："), kinds)
        form.addRow(self.tr("原因(&R)："), self.reason)
        std = QDialogButtonBox.StandardButton
        buttons = QDialogButtonBox(std.Ok | std.Cancel)
        buttons.button(std.Ok).setText(self.tr("加入清单"))
        buttons.button(std.Cancel).setText(self.tr("取消"))
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        v = QVBoxLayout(self)
        v.addLayout(form)
        v.addWidget(self.error)
        v.addWidget(buttons)
        self.batch.setFocus()

    def save(self) -> None:
        try:
            self.saved = recalls.add_recall(
                self.db,
                self.batch.text(),
                reason=self.reason.text(),
                vaccine=self.vaccine.currentData(),
                manufacturer=self.manufacturer.text(),
                lock=self.lock.isChecked(),
            )
        except EpiError as exc:
            say(self.error, exc.message)
            return
        self.accept()


class RecallListDialog(QDialog):
    """The list in force (and, when asked, the lifted entries) with 新增 and 解除."""

    #: a status-bar message after a change
    changed = Signal(str)

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.rows: list[RecallRecord] = []
        self.setWindowTitle(self.tr("召回/封存批号清单"))
        self.resize(900, 420)
        self.table = read_only_table(
            [
                self.tr("批号"),
                self.tr("类别"),
                self.tr("产品"),
                self.tr("原因"),
                self.tr("录入"),
                self.tr("来源"),
                self.tr("状态"),
            ]
        )
        self.table.setObjectName("recalls")
        self.show_lifted = QCheckBox(self.tr("显示已解除(&A)"))
        self.show_lifted.toggled.connect(self.refresh)
        self.add_button = QPushButton(self.tr("新增(&N)…"))
        self.add_button.clicked.connect(self.add)
        self.lift_button = QPushButton(self.tr("解除(&L)…"))
        self.lift_button.clicked.connect(self.lift)
        close = QPushButton(self.tr("关闭"))
        close.clicked.connect(self.reject)
        self.message = error_label()
        may = self._may_manage()
        for b in (self.add_button, self.lift_button):
            b.setEnabled(may)
            if not may:
                b.setToolTip(self.tr("需要业务管理员或以上角色"))
        QShortcut(QKeySequence(Qt.Key.Key_Insert), self).activated.connect(self.add)
        QShortcut(QKeySequence(Qt.Key.Key_Delete), self).activated.connect(self.lift)
        row = QHBoxLayout()
        row.addWidget(self.show_lifted)
        row.addStretch(1)
        row.addWidget(self.add_button)
        row.addWidget(self.lift_button)
        row.addWidget(close)
        v = QVBoxLayout(self)
        v.addWidget(self.table, 1)
        v.addWidget(self.message)
        v.addLayout(row)
        self.refresh()
        self.table.setFocus()

    def _may_manage(self) -> bool:
        try:
            permissions.check(self.db, "manage_recalls")
        except PermissionDenied:
            return False
        return True

    def refresh(self) -> None:
        try:
            self.rows = recalls.list_recalls(self.db, include_lifted=self.show_lifted.isChecked())
        except EpiError as exc:
            say(self.message, exc.message)
            return
        fill(self.table, [self._cells(r) for r in self.rows])
        if self.rows:
            self.table.selectRow(0)

    def _cells(self, r: RecallRecord) -> tuple[str, ...]:
        product = r.product_text if r.vaccine_code or r.manufacturer else self.tr("任何产品")
        entered = f"{r.created_by or ''} {r.created_at:%Y-%m-%d}".strip()
        if r.active:
            state = self.tr("生效")
        else:
            assert r.lifted_at is not None
            state = self.tr("已解除 %1：%2").replace("%1", f"{r.lifted_at:%Y-%m-%d}").replace("%2", r.lift_reason or "")
        kind = self.tr("召回") if r.kind == recalls.RECALL else self.tr("封存")
        return (r.batch_no, kind, product, r.reason, entered, r.source, state)

    def selected(self) -> RecallRecord | None:
        rows = self.table.selectionModel().selectedRows()
        return self.rows[rows[0].row()] if rows and self.rows else None

    def add(self) -> RecallForm | None:
        if not self.add_button.isEnabled():
            say(self.message, self.tr("维护召回/封存批号清单需要业务管理员或以上角色"))
            return None
        form = RecallForm(self.db, self)
        form.accepted.connect(lambda: self._added(form))
        form.open()
        return form

    def _added(self, form: RecallForm) -> None:
        r = form.saved
        assert r is not None
        self.refresh()
        text = self.tr("已加入清单：批号 %1").replace("%1", r.batch_no)
        say(self.message, text, ok=True)
        self.changed.emit(text)

    def lift(self) -> None:
        r = self.selected()
        if r is None or not r.active:
            say(self.message, self.tr("请先选择一条生效的召回/封存记录"))
            return
        if not self.lift_button.isEnabled():
            say(self.message, self.tr("维护召回/封存批号清单需要业务管理员或以上角色"))
            return
        label = self.tr("解除批号 %1 的%2，原因：").replace("%1", r.batch_no).replace("%2", r.kind_label)
        reason = notify.ask_text(self, self.tr("解除召回/封存"), label)
        if reason is None:
            return
        try:
            recalls.lift_recall(self.db, r.uuid, reason=reason, expected_version=r.version)
        except EpiError as exc:
            say(self.message, exc.message)
            self.refresh()
            return
        self.refresh()
        text = self.tr("已解除：批号 %1").replace("%1", r.batch_no)
        say(self.message, text, ok=True)
        self.changed.emit(text)
