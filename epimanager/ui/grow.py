"""Dialogs grow with their text.

A top-level dialog keeps the size it was shown with; a message set later on a word-wrapped
label then wraps into more lines than the label has room for, and is cut off.  Call
:func:`grow_to_fit` after changing such a text: the window grows (never shrinks) until its
layout fits at the current width.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QLineEdit, QWidget

#: A dialog with a message line is at least this wide (the message wraps into lines, not letters).
MIN_DIALOG_WIDTH = 380


def grow_to_fit(widget: QWidget, *changed: QWidget) -> None:
    """Make ``widget``'s window tall (and wide) enough for its layout; never smaller.  ``widget`` and
    ``changed`` are the widgets whose text changed (nested ones included)."""
    win = widget.window()
    layout = win.layout()
    if layout is None:
        return
    # a nested field's new text reaches the window's layout only through posted layout requests:
    # drop the size caches on the way up now, so that the sizes below are the current ones
    for start in (widget, *changed):
        w: QWidget | None = start
        while w is not None and w is not win:
            w.updateGeometry()
            inner = w.layout()
            if inner is not None:
                inner.invalidate()
            w = w.parentWidget()
    layout.invalidate()
    layout.activate()
    minimum = layout.totalMinimumSize()
    width = max(win.width(), minimum.width())
    if layout.hasHeightForWidth():
        height = layout.totalHeightForWidth(width)
    else:
        height = layout.totalSizeHint().height()
    height = max(height, minimum.height())
    if width > win.width() or height > win.height():
        win.resize(width, max(height, win.height()))


def set_message(label: QLabel, text: str, style: str | None = None) -> None:
    """Set a (wrapped) message and let its window grow so that every line shows."""
    if style is not None:
        label.setStyleSheet(style)
    label.setText(text)
    grow_to_fit(label)


def fit_placeholder(*edits: QLineEdit) -> None:
    """Line edits at least as wide as their placeholder text (a hint cut in the middle says nothing)."""
    for edit in edits:
        text = edit.placeholderText()
        if text:
            # the frame and the text margins of the platform style, plus a little air
            edit.setMinimumWidth(edit.fontMetrics().horizontalAdvance(text) + 24)
