"""The main window's focus chain: every panel is reachable from the keyboard.

The panels, in order: 基本资料 (the left dock, edited in place with Enter),
接种登记 (the grid) and, when shown, 工作提醒 (the F7 dock).  Ctrl+Tab and
Ctrl+Shift+Tab go round them; Ctrl+Shift+B and Ctrl+Shift+J go straight to
基本资料 and 接种登记; F7 shows the 工作提醒 dock and puts the keyboard in it
(pressed again there, it hides the dock and the keyboard goes back to the grid).
Tab inside the grid and the 基本资料 list leaves the table (no cell-by-cell trap).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QChildEvent, QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QAbstractItemView, QApplication, QDockWidget, QMainWindow, QWidget


def leave_on_tab(view: QAbstractItemView) -> None:
    """Tab / Shift+Tab move the focus to the next widget instead of the next cell."""
    view.setTabKeyNavigation(False)


def present(window: QWidget, focus: QWidget | None = None) -> None:
    """Bring ``window`` to the front with the keyboard in it.

    On an X server without a window manager nothing gives a new window the
    input focus; ``activateWindow`` asks for it directly, so the window's keys
    (F3 …) work at once.
    """
    window.show()
    window.raise_()
    window.activateWindow()
    if focus is not None and focus.isVisible():
        focus.setFocus(Qt.FocusReason.ActiveWindowFocusReason)


class FocusReturn(QObject):
    """When a dialog or query screen of ``window`` closes while it had the keyboard, the
    keyboard comes back to ``window`` (``target()``, the grid): a window manager would do this,
    an X server without one does not, and then F3 … would be dead."""

    def __init__(self, window: QWidget, target: Callable[[], QWidget | None]) -> None:
        super().__init__(window)
        self._window = window
        self._target = target
        window.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self._window and event.type() == QEvent.Type.ChildPolished:
            assert isinstance(event, QChildEvent)
            child = event.child()
            if isinstance(child, QWidget):
                child.installEventFilter(self)
        elif (
            event.type() == QEvent.Type.Hide
            and isinstance(obj, QWidget)
            and obj is not self._window
            and obj.isWindow()
            and QApplication.applicationState() == Qt.ApplicationState.ApplicationActive
        ):
            QTimer.singleShot(0, self._restore)
        return False

    def _restore(self) -> None:
        if (
            QApplication.activeWindow() is None
            and self._window.isVisible()
            and QApplication.activeModalWidget() is None
        ):
            present(self._window, self._target())


class FocusChain:
    """Moves the keyboard between the panels of ``window``."""

    def __init__(
        self,
        window: QMainWindow,
        panel_dock: QDockWidget,
        panel_view: QAbstractItemView,
        grid_view: QAbstractItemView,
        reminders: Callable[[], QDockWidget | None],
    ) -> None:
        self._window = window
        self._panel_dock = panel_dock
        self._panel_view = panel_view
        self._grid_view = grid_view
        self._reminders = reminders
        leave_on_tab(panel_view)
        leave_on_tab(grid_view)
        QWidget.setTabOrder(panel_view, grid_view)

    # -- the panels ----------------------------------------------------------------------

    def _targets(self) -> list[QWidget]:
        """The focus target of each visible panel, in chain order."""
        out: list[QWidget] = [self._panel_view, self._grid_view]
        dock = self._reminders()
        if dock is not None and dock.isVisible() and dock.widget() is not None:
            out.append(_first_focusable(dock.widget()))
        return out

    def _current(self) -> int | None:
        focus = QApplication.focusWidget()
        dock = self._reminders()
        for i, target in enumerate(self._targets()):
            if focus is target:
                return i
            if i == 2 and dock is not None and focus is not None and dock.isAncestorOf(focus):
                return i
        return None

    def _focus(self, target: QWidget) -> None:
        present(self._window)
        target.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def panel(self) -> None:
        """基本资料: the keyboard on the first field (Enter edits it)."""
        self._panel_dock.show()
        self._panel_dock.raise_()
        view = self._panel_view
        model = view.model()
        if not view.currentIndex().isValid() and model is not None and model.rowCount() > 0:
            view.setCurrentIndex(model.index(0, 1))
        self._focus(view)

    def grid(self) -> None:
        """接种登记: the keyboard in the grid (F4 records, Enter edits or records)."""
        view = self._grid_view
        model = view.model()
        if view.isVisible() and not view.currentIndex().isValid() and model is not None and model.rowCount() > 0:
            view.setCurrentIndex(model.index(0, 0))
        self._focus(view)

    def reminders(self, dock: QDockWidget) -> None:
        """工作提醒: show the dock and put the keyboard in its list."""
        dock.show()
        dock.raise_()
        widget = dock.widget()
        if widget is not None:
            self._focus(_first_focusable(widget))

    def in_reminders(self) -> bool:
        dock = self._reminders()
        focus = QApplication.focusWidget()
        return dock is not None and dock.isVisible() and focus is not None and dock.isAncestorOf(focus)

    def step(self, forward: bool = True) -> None:
        """Ctrl+Tab / Ctrl+Shift+Tab: the next (previous) panel."""
        targets = self._targets()
        current = self._current()
        if current is None:
            i = 0 if forward else len(targets) - 1
        else:
            i = (current + (1 if forward else -1)) % len(targets)
        if i == 0:
            self.panel()
        elif i == 1:
            self.grid()
        else:
            self._focus(targets[i])


def _first_focusable(widget: QWidget) -> QWidget:
    """The first child of ``widget`` that takes the keyboard (the list of the 工作提醒 dock)."""
    for child in widget.findChildren(QWidget):
        if child.focusPolicy() & Qt.FocusPolicy.TabFocus and child.isEnabled():
            return child
    return widget
