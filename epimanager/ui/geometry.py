"""Windows placed fully on the screen they open on."""

from __future__ import annotations

from PySide6.QtCore import QRect
from PySide6.QtWidgets import QWidget


def place_on_screen(window: QWidget, anchor: QWidget | None = None) -> None:
    """Shrink ``window`` to the available screen area if needed and move it fully inside it,
    centred on ``anchor`` (the main window) when there is one.

    The available area leaves out task bars; the window frame (title bar, borders) counts.
    """
    screen = (anchor or window).screen()
    area: QRect = screen.availableGeometry()
    frame = window.frameGeometry()
    extra_w = max(frame.width() - window.width(), 0)
    extra_h = max(frame.height() - window.height(), 0)
    width = min(window.width(), area.width() - extra_w)
    height = min(window.height(), area.height() - extra_h)
    if (width, height) != (window.width(), window.height()):
        window.resize(width, height)
    outer_w, outer_h = width + extra_w, height + extra_h
    if anchor is not None and anchor.isVisible():
        centre = anchor.frameGeometry().center()
        x, y = centre.x() - outer_w // 2, centre.y() - outer_h // 2
    else:
        x, y = frame.x(), frame.y()
    x = min(max(x, area.left()), area.right() + 1 - outer_w)
    y = min(max(y, area.top()), area.bottom() + 1 - outer_h)
    window.move(x, y)
