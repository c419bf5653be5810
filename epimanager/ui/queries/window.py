"""Keys of a query screen's own window (接种明细 … 数据清理, opened with Ctrl+1…5).

Esc and Ctrl+W close it; the main window's keys (F3, F4, F7, F8, F9, Ctrl+1…5 …)
work in it too — the same actions, so a key remapped in 设置 is remapped here.
When opened, the keyboard is in its first filter.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import QFormLayout, QWidget

CLOSE_KEYS = ("Esc", "Ctrl+W")


def window_keys(screen: QWidget, actions: Iterable[QAction]) -> None:
    """Give ``screen`` the close keys and the main window's ``actions``."""
    screen.addActions(list(actions))
    for key in CLOSE_KEYS:
        shortcut = QShortcut(QKeySequence(key), screen)
        shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
        shortcut.activated.connect(screen.close)


def first_filter(screen: QWidget) -> QWidget | None:
    """The first field of the screen's filter form (None for a screen without one)."""
    filters = getattr(screen, "filters", None)
    if not isinstance(filters, QFormLayout):
        return None
    for row in range(filters.rowCount()):
        item = filters.itemAt(row, QFormLayout.ItemRole.FieldRole)
        widget = item.widget() if item is not None else None
        if widget is not None and widget.isEnabled():
            return widget
    return None
