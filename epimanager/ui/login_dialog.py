"""Login at start-up, and the first run's 系统管理员.

``LoginDialog(db)``: user name + password; on success the user is the actor of
``db`` (:func:`epimanager.services.users.login`) and ``dialog.actor`` holds it.
Wrong passwords, locked and disabled accounts show the service's message in
the dialog.  ``FirstAdminDialog(db)``: while the database has no user, create
the first 系统管理员 (and log in as them).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QWidget

from epimanager.errors import EpiError
from epimanager.services import users
from epimanager.services.permissions import Actor
from epimanager.store.database import Database
from epimanager.ui.grow import MIN_DIALOG_WIDTH, fit_placeholder, set_message
from epimanager.ui.visits.desk_choice import desk_combo


def error_label() -> QLabel:
    """A dialog's line for refusals (red, wrapped)."""
    label = QLabel()
    label.setObjectName("error")
    label.setStyleSheet("color: #b00020")
    label.setWordWrap(True)
    return label


def say(label: QLabel, text: str, ok: bool = False) -> None:
    """Put a result (green) or a refusal (red) on a dialog's message line; the dialog grows to show it."""
    set_message(label, text, "color: #1b5e20" if ok else "color: #b00020")


def password_field() -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    return field


class LoginDialog(QDialog):
    """Ask for a user name and password; ``actor`` is set when accepted."""

    def __init__(
        self,
        db: Database,
        parent: QWidget | None = None,
        *,
        user_name: str = "",
        title: str | None = None,
        lock_user: bool = False,
        desks: Sequence[str] | None = None,
        desk: str = "",
    ) -> None:
        super().__init__(parent)
        self.db = db
        self.actor: Actor | None = None
        self.setWindowTitle(title or self.tr("登录 EpiManager"))
        self.setMinimumWidth(MIN_DIALOG_WIDTH)
        self.form = form = QFormLayout(self)
        self.user = QLineEdit(user_name)
        self.user.setObjectName("user")
        self.user.setReadOnly(lock_user)
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow(self.tr("用户名(&U)："), self.user)
        form.addRow(self.tr("密码(&P)："), self.password)
        # the desk chosen with the login (``desks`` given: the clinic-flow desks to pick from)
        self.desk = desk
        self.desk_box: QComboBox | None = None
        if desks is not None:
            self.desk_box = desk_combo(desks, desk)
            form.addRow(self.tr("工作台(&D)："), self.desk_box)
        self.error = error_label()
        form.addRow(self.error)
        std = QDialogButtonBox.StandardButton
        buttons = QDialogButtonBox(std.Ok | std.Cancel)
        self.ok_button = buttons.button(std.Ok)
        self.ok_button.setText(self.tr("登录"))
        self.cancel_button = buttons.button(std.Cancel)
        self.cancel_button.setText(self.tr("退出"))
        buttons.accepted.connect(self._login)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        (self.password if user_name else self.user).setFocus()

    def _login(self) -> None:
        try:
            self.actor = users.login(self.db, self.user.text(), self.password.text())
        except EpiError as exc:
            say(self.error, exc.message)
            self.password.clear()
            self.password.setFocus()
            return
        finally:
            self.password.clear()  # the password does not stay in the widget
        if self.desk_box is not None:
            self.desk = str(self.desk_box.currentData() or "")
        self.accept()


class FirstAdminDialog(QDialog):
    """First run: create the first 系统管理员 (name, password twice) and log in."""

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.actor: Actor | None = None
        self.setWindowTitle(self.tr("首次使用：创建系统管理员"))
        self.setMinimumWidth(MIN_DIALOG_WIDTH + 60)
        form = QFormLayout(self)
        intro = QLabel(
            self.tr(
                "本机多人共用并保存儿童个人信息，请先创建系统管理员账户。"
                "系统管理员可以在用户管理中添加业务管理员和普通用户。"
            )
        )
        intro.setWordWrap(True)
        form.addRow(intro)
        self.user = QLineEdit()
        self.user.setObjectName("user")
        self.user.setPlaceholderText(self.tr("登录用，如 wanghs"))
        self.display_name = QLineEdit()
        self.display_name.setObjectName("displayName")
        self.display_name.setMaxLength(20)
        self.display_name.setPlaceholderText(self.tr("真实姓名，接种记录上的接种护士"))
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText(self.tr("至少 %1 个字符").replace("%1", str(users.MIN_PASSWORD_LENGTH)))
        self.repeat = QLineEdit()
        self.repeat.setObjectName("repeat")
        self.repeat.setEchoMode(QLineEdit.EchoMode.Password)
        fit_placeholder(self.user, self.display_name, self.password)
        form.addRow(self.tr("用户名(&U)："), self.user)
        form.addRow(self.tr("姓名(&N)："), self.display_name)
        form.addRow(self.tr("密码(&P)："), self.password)
        form.addRow(self.tr("再输入一次(&R)："), self.repeat)
        self.error = error_label()
        form.addRow(self.error)
        std = QDialogButtonBox.StandardButton
        buttons = QDialogButtonBox(std.Ok | std.Cancel)
        self.ok_button = buttons.button(std.Ok)
        self.ok_button.setText(self.tr("创建并登录"))
        buttons.button(std.Cancel).setText(self.tr("取消"))
        buttons.accepted.connect(self._create)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _create(self) -> None:
        if not self.display_name.text().strip():
            say(self.error, self.tr("请填写姓名：接种记录和打印中的接种护士用真实姓名"))
            self.display_name.setFocus()
            return
        if self.password.text() != self.repeat.text():
            say(self.error, self.tr("两次输入的密码不一致"))
            return
        try:
            users.create_first_admin(self.db, self.user.text(), self.password.text(), self.display_name.text())
            self.actor = users.login(self.db, self.user.text(), self.password.text())
        except EpiError as exc:
            say(self.error, exc.message)
            return
        self.password.clear()
        self.repeat.clear()
        self.accept()


def ensure_login(db: Database, parent: QWidget | None = None) -> Actor | None:
    """Start-up helper: first administrator if there is no user, else the login dialog.

    Returns the actor, or None if the nurse cancelled (the app should quit).
    """
    dialog: FirstAdminDialog | LoginDialog
    dialog = FirstAdminDialog(db, parent) if not users.has_users(db) else LoginDialog(db, parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.actor


def login_at_desk(db: Database, desks: Sequence[str], desk: str) -> tuple[Actor, str] | None:
    """Start-up with the clinic flow: the login dialog also asks for the desk (``desk`` preselected).

    The first 系统管理员 of a new database keeps ``desk`` (系统 → 切换工作台 changes it later).
    Returns the actor and the desk ("" = no desk), or None if the nurse cancelled.
    """
    dialog: FirstAdminDialog | LoginDialog
    dialog = FirstAdminDialog(db) if not users.has_users(db) else LoginDialog(db, desks=desks, desk=desk)
    if dialog.exec() != QDialog.DialogCode.Accepted or dialog.actor is None:
        return None
    return dialog.actor, dialog.desk if isinstance(dialog, LoginDialog) else desk


class NewPasswordDialog(QDialog):
    """Ask twice for a new password or passphrase (at least 8 characters); ``password()`` when accepted.

    Subclasses add rows to ``form`` and override :meth:`_use` to do something with the password
    before the dialog closes (returning False keeps it open, with the reason on ``error``).
    """

    def __init__(self, title: str, note: str, label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(MIN_DIALOG_WIDTH)
        self.form = form = QFormLayout(self)
        intro = QLabel(note)
        intro.setWordWrap(True)
        form.addRow(intro)
        self.first = password_field()
        self.second = password_field()
        form.addRow(label, self.first)
        form.addRow(self.tr("再次输入："), self.second)
        self.error = error_label()
        form.addRow(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def password(self) -> str:
        return self.first.text()

    def _check(self) -> None:
        if len(self.first.text()) < users.MIN_PASSWORD_LENGTH:
            say(self.error, self.tr("密码至少 %1 个字符").replace("%1", str(users.MIN_PASSWORD_LENGTH)))
        elif self.first.text() != self.second.text():
            say(self.error, self.tr("两次输入的密码不一致"))
        elif self._use(self.first.text()):
            self.accept()

    def _use(self, password: str) -> bool:
        return True
