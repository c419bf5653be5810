"""Choosing the desk this PC works at: a combo box (also on the login dialog) and 系统 → 切换工作台.

The first entry, 不分工作台（不叫号）, is a PC outside the flow: it works exactly as before the flow
existed (the desk recorded on changes is the PC's name).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QWidget

from epimanager.domain.desk import desk_names
from epimanager.errors import EpiError
from epimanager.services.config.visit_flow import flow
from epimanager.store.database import Database


def desk_choices(db: Database) -> list[str]:
    """The desks of this clinic's flow (its enabled steps); none when the flow settings cannot be read."""
    try:
        return desk_names(flow(db))
    except EpiError:
        return []


def desk_combo(names: Sequence[str], current: str) -> QComboBox:
    """不分工作台 + the clinic's desks; ``current`` selected (kept as an entry when it is not one of them)."""
    combo = QComboBox()
    combo.setObjectName("desk")
    combo.addItem(QCoreApplication.translate("DeskChoice", "不分工作台（不叫号）"), "")
    for name in names:
        combo.addItem(name, name)
    if current and current not in names:
        combo.addItem(current, current)
    combo.setCurrentIndex(max(0, combo.findData(current)))
    return combo


def chosen(combo: QComboBox) -> str:
    return str(combo.currentData() or "")


class DeskDialog(QDialog):
    """系统 → 切换工作台: pick the desk; :meth:`desk` when accepted."""

    def __init__(self, names: Sequence[str], current: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("切换工作台"))
        form = QFormLayout(self)
        intro = QLabel(self.tr("本机在哪个工作台工作？叫号、完成等操作都记在这个工作台名下，下次启动时沿用。"))
        intro.setWordWrap(True)
        form.addRow(intro)
        self.combo = desk_combo(names, current)
        form.addRow(self.tr("工作台(&D)："), self.combo)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.combo.setFocus()

    def desk(self) -> str:
        return chosen(self.combo)
