"""App-wide signals, declared in one place.

Views subscribe; whoever changes data emits.  Arguments:

- ``child_opened(code: str)`` — the nurse opened a child (search, new child).
- ``child_changed(code: str)`` — basic data or doses of that child changed (saved).
- ``settings_changed()`` — preferences were saved; views re-read what they show.
- ``message(text: str)`` — a short confirmation for the status bar (errors use dialogs).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class Events(QObject):
    child_opened = Signal(str)
    child_changed = Signal(str)
    settings_changed = Signal()
    message = Signal(str)
