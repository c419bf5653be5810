"""The Qt binding does not leak references to None (PySide6 6.12.0 did: each call of a Qt method returning
void took one away, and after ~10,000 label updates the interpreter aborted with ``none_dealloc`` — a
nurse's session would crash within the day).  requirements.lock pins a version without the bug."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot


def test_updating_a_label_many_times_leaves_none_alone(qtbot: QtBot) -> None:
    label = QLabel()
    qtbot.addWidget(label)
    before = sys.getrefcount(None)
    for i in range(2000):
        label.setText(str(i % 10))
    # a few references come and go with the interpreter's own work; the 6.12.0 leak is 2,000
    assert abs(sys.getrefcount(None) - before) < 50
