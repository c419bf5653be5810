"""系统 → 用户管理: the 系统管理员 lists users, creates them, changes roles, disables,
unlocks and resets passwords; 修改密码: anyone changes their own.

Every change goes through :mod:`epimanager.services.users`, which enforces the
rules (only a 系统管理员 manages users, the last active 系统管理员 stays); a
refusal is shown in the dialog and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from epimanager.errors import EpiError
from epimanager.services import users
from epimanager.services.permissions import ROLES
from epimanager.store.database import Database
from epimanager.ui.grow import fit_placeholder
from epimanager.ui.login_dialog import NewPasswordDialog, error_label, password_field, say
from epimanager.ui.tables import fill, read_only_table


def _role_box() -> QComboBox:
    box = QComboBox()
    box.addItems(list(ROLES))
    return box


class UsersDialog(QDialog):
    def __init__(self, db: Database, parent: QWidget | None = None, now: Callable[[], datetime] = datetime.now) -> None:
        super().__init__(parent)
        self.db = db
        self._now = now
        self.records: list[users.UserRecord] = []
        self.password_dialog: NewPasswordDialog | None = None
        self.setWindowTitle(self.tr("用户管理"))
        self.resize(640, 460)
        layout = QVBoxLayout(self)

        self.table = read_only_table(
            [self.tr("用户名"), self.tr("姓名"), self.tr("角色"), self.tr("状态"), self.tr("最近登录")], stretch=True
        )
        self.table.itemSelectionChanged.connect(self._selected)
        layout.addWidget(self.table)

        row = QHBoxLayout()
        self.role = _role_box()
        self.set_role_button = QPushButton(self.tr("修改角色"))
        self.active_button = QPushButton(self.tr("停用"))
        self.unlock_button = QPushButton(self.tr("解锁"))
        self.reset_button = QPushButton(self.tr("重设密码…"))
        self.rename_button = QPushButton(self.tr("修改姓名…"))
        row.addWidget(QLabel(self.tr("所选用户：")))
        for w in (
            self.role,
            self.set_role_button,
            self.active_button,
            self.unlock_button,
            self.reset_button,
            self.rename_button,
        ):
            row.addWidget(w)
        row.addStretch(1)
        layout.addLayout(row)
        self.set_role_button.clicked.connect(self.change_role)
        self.active_button.clicked.connect(self.toggle_active)
        self.unlock_button.clicked.connect(self.unlock)
        self.reset_button.clicked.connect(self.reset_password)
        self.rename_button.clicked.connect(self.ask_display_name)

        group = QGroupBox(self.tr("新建用户"))
        form = QFormLayout(group)
        self.new_name = QLineEdit()
        self.new_name.setPlaceholderText(self.tr("登录用，如 wanghs"))
        self.new_display_name = QLineEdit()
        self.new_display_name.setMaxLength(20)
        self.new_display_name.setPlaceholderText(self.tr("真实姓名，接种记录上的接种护士"))
        self.new_role = _role_box()
        self.new_password = password_field()
        self.new_password2 = password_field()
        fit_placeholder(self.new_name, self.new_display_name)
        form.addRow(self.tr("用户名："), self.new_name)
        form.addRow(self.tr("姓名："), self.new_display_name)
        form.addRow(self.tr("角色："), self.new_role)
        form.addRow(self.tr("密码："), self.new_password)
        form.addRow(self.tr("再次输入："), self.new_password2)
        self.add_button = QPushButton(self.tr("新建(&N)"))
        self.add_button.clicked.connect(self.add)
        form.addRow(self.add_button)
        layout.addWidget(group)

        self.error = error_label()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._selection_widgets = (self.role, self.set_role_button, self.active_button, self.unlock_button)
        self._all_widgets = (*self._selection_widgets, self.reset_button, self.rename_button, group)
        self.refresh()

    # -- reading ----------------------------------------------------------------------------

    def refresh(self, select: str | None = None) -> None:
        try:
            self.records = users.list_users(self.db)
        except EpiError as exc:  # not a 系统管理员
            self.records = []
            self.error.setText(exc.message)
            for w in self._all_widgets:
                w.setEnabled(False)
            return
        now = self._now()
        rows = []
        for u in self.records:
            if not u.active:
                state = self.tr("已停用")
            elif u.locked_until and u.locked_until > now:
                state = self.tr("已锁定至 %1").replace("%1", u.locked_until.strftime("%H:%M"))
            else:
                state = self.tr("正常")
            last = u.last_login.strftime("%Y-%m-%d %H:%M") if u.last_login else ""
            rows.append((u.name, u.display_name or "", u.role, state, last))
        fill(self.table, rows)
        names = [u.name for u in self.records]
        self.table.selectRow(names.index(select) if select in names else 0)
        self._selected()

    def selected(self) -> users.UserRecord | None:
        rows = self.table.selectionModel().selectedRows()
        return self.records[rows[0].row()] if rows and self.records else None

    def _selected(self) -> None:
        u = self.selected()
        for w in (*self._selection_widgets, self.reset_button, self.rename_button):
            w.setEnabled(u is not None)
        if u is not None:
            self.role.setCurrentText(u.role)
            self.active_button.setText(self.tr("停用") if u.active else self.tr("启用"))

    # -- changes ----------------------------------------------------------------------------

    def _say(self, text: str, ok: bool = False) -> None:
        say(self.error, text, ok)

    def _do(self, change: Callable[[], object], select: str | None, done: str) -> bool:
        """Apply a change; say what was done, or why it was refused (then nothing changed)."""
        try:
            change()
        except EpiError as exc:
            self._say(exc.message)
            return False
        self.refresh(select)
        self._say(done, ok=True)
        return True

    def add(self) -> None:
        name = self.new_name.text().strip()
        if self.new_password.text() != self.new_password2.text():
            self._say(self.tr("两次输入的密码不一致"))
            return
        if not self.new_display_name.text().strip():
            self._say(self.tr("请填写姓名：接种记录和打印中的接种护士用真实姓名"))
            self.new_display_name.setFocus()
            return
        role, real = self.new_role.currentText(), self.new_display_name.text()
        if self._do(
            lambda: users.add_user(self.db, name, self.new_password.text(), role, display_name=real),
            name,
            self.tr("已新建用户 %1").replace("%1", name),
        ):
            for field in (self.new_name, self.new_display_name, self.new_password, self.new_password2):
                field.clear()

    def ask_display_name(self) -> None:
        u = self.selected()
        if u is None:
            return
        from epimanager.ui import notify

        text = notify.ask_text(
            self, self.tr("修改姓名"), self.tr("%1 的真实姓名：").replace("%1", u.name), u.display_name or ""
        )
        if text is not None:
            self.set_display_name(u.name, text)

    def set_display_name(self, name: str, display_name: str) -> bool:
        return self._do(
            lambda: users.set_display_name(self.db, name, display_name),
            name,
            self.tr("%1 的姓名已改为 %2").replace("%1", name).replace("%2", display_name.strip()),
        )

    def change_role(self) -> None:
        u = self.selected()
        if u is None:
            return
        role = self.role.currentText()
        self._do(
            lambda: users.set_role(self.db, u.name, role),
            u.name,
            self.tr("%1 的角色已改为 %2").replace("%1", u.name).replace("%2", role),
        )

    def toggle_active(self) -> None:
        u = self.selected()
        if u is None:
            return
        done = self.tr("已停用 %1") if u.active else self.tr("已启用 %1")
        self._do(lambda: users.set_active(self.db, u.name, not u.active), u.name, done.replace("%1", u.name))

    def unlock(self) -> None:
        u = self.selected()
        if u is None:
            return
        self._do(lambda: users.unlock(self.db, u.name), u.name, self.tr("已解锁 %1").replace("%1", u.name))

    def reset_password(self) -> NewPasswordDialog | None:
        u = self.selected()
        if u is None:
            return None
        dlg = NewPasswordDialog(
            self.tr("重设密码"),
            self.tr("为 %1 设置新密码，并请其登录后自行修改。").replace("%1", u.name),
            self.tr("新密码："),
            self,
        )

        def apply() -> None:
            self._do(
                lambda: users.reset_password(self.db, u.name, dlg.password()),
                u.name,
                self.tr("已重设 %1 的密码").replace("%1", u.name),
            )

        dlg.accepted.connect(apply)
        dlg.open()
        self.password_dialog = dlg
        return dlg


class ChangePasswordDialog(NewPasswordDialog):
    """The logged-in user changes their own password (the current one is required)."""

    def __init__(self, db: Database, user: str, parent: QWidget | None = None) -> None:
        super().__init__(
            QApplication.translate("ChangePasswordDialog", "修改密码"),
            QApplication.translate("ChangePasswordDialog", "用户名：%1").replace("%1", user),
            QApplication.translate("ChangePasswordDialog", "新密码："),
            parent,
        )
        self.db = db
        self.user = user
        self.old = password_field()
        self.form.insertRow(1, QApplication.translate("ChangePasswordDialog", "当前密码："), self.old)
        self.new, self.new2 = self.first, self.second

    def apply(self) -> None:
        self._check()

    def _use(self, password: str) -> bool:
        try:
            users.change_password(self.db, self.user, self.old.text(), password)
        except EpiError as exc:
            self.error.setText(exc.message)
            return False
        return True
