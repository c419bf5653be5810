"""Idle lock: after N minutes without keyboard or mouse input the window is covered
by a modal re-login; the same user (or another, who then becomes the actor) unlocks it.

Wire it in the app after login::

    lock = IdleLock(main_window, db, minutes=settings.idle_lock_minutes)
    lock.start()

``minutes <= 0`` turns the lock off.  ``lock.lock_now()`` locks at once (e.g. a
menu item 锁定 / Ctrl+L).  Signals: ``locked()``, ``unlocked(str user_name)``;
``user_switched(str)`` when someone else unlocked (the window should refresh
the nurse shown).  If the dialog is closed without logging in the lock stays.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from epimanager.store.database import Database
from epimanager.ui.login_dialog import LoginDialog

#: Events that count as the nurse being at the PC.
ACTIVITY = {
    QEvent.Type.KeyPress,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseMove,
    QEvent.Type.Wheel,
    QEvent.Type.TouchBegin,
}


class LockDialog(LoginDialog):
    """The re-login shown over a locked window (cannot be dismissed with Esc)."""

    def __init__(self, db: Database, parent: QWidget | None, user_name: str) -> None:
        super().__init__(db, parent, user_name=user_name)
        self.setWindowTitle(self.tr("已锁定 · 请重新登录"))
        self.setWindowModality(Qt.WindowModality.ApplicationModal)
        note = QLabel(self.tr("屏幕已因长时间无操作而锁定。"))
        note.setWordWrap(True)
        self.form.insertRow(0, note)
        self.cancel_button.hide()

    def reject(self) -> None:  # Esc / close: stay locked
        return


class IdleLock(QObject):
    """Counts idle time through an application-wide event filter and locks when it runs out."""

    locked = Signal()
    unlocked = Signal(str)
    user_switched = Signal(str)

    def __init__(self, window: QWidget, db: Database, minutes: float = 10, parent: QObject | None = None) -> None:
        super().__init__(parent or window)
        self.window = window
        self.db = db
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.lock_now)
        self.dialog: LockDialog | None = None
        self._locked_by = ""
        # hides the children's data behind the re-login while locked
        self.cover = QLabel(self.tr("已锁定"), window)
        self.cover.setObjectName("idleCover")
        self.cover.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.cover.setAutoFillBackground(True)
        self.cover.setStyleSheet("background: #2b2b2b; color: #ffffff; font-size: 24px")
        self.cover.hide()
        self.set_timeout(minutes)

    def set_timeout(self, minutes: float) -> None:
        """Change the idle time (minutes; 0 or less = never lock)."""
        self.minutes = minutes
        self.timer.setInterval(max(1, int(minutes * 60_000)))
        if minutes <= 0:
            self.timer.stop()
        elif self.dialog is None and self.timer.isActive():
            self.timer.start()

    def start(self) -> None:
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        if self.minutes > 0:
            self.timer.start()

    def stop(self) -> None:
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        self.timer.stop()

    @property
    def is_locked(self) -> bool:
        return self.dialog is not None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Qt API name
        if watched is self.window and event.type() == QEvent.Type.Resize:
            self.cover.setGeometry(self.window.rect())
        if self.dialog is None and self.minutes > 0 and event.type() in ACTIVITY:
            self.timer.start()  # restart the idle count
        return False

    def lock_now(self) -> None:
        if self.dialog is not None:
            return
        self.timer.stop()
        before = self.db.actor
        name = before.name if before else ""
        self._locked_by = name
        self.dialog = LockDialog(self.db, self.window, name)
        self.dialog.setModal(True)
        self.dialog.accepted.connect(self._on_unlocked)
        self.cover.setGeometry(self.window.rect())
        self.cover.raise_()
        self.cover.show()
        self.locked.emit()
        self.dialog.open()

    def _on_unlocked(self) -> None:
        dialog, self.dialog = self.dialog, None
        actor = dialog.actor if dialog else None
        if dialog is not None:
            dialog.deleteLater()
        self.cover.hide()
        name = actor.name if actor else ""
        self.unlocked.emit(name)
        if name and name != self._locked_by:
            self.user_switched.emit(name)
        if self.minutes > 0:
            self.timer.start()
