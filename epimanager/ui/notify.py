"""One way to tell the nurse something (the error policy's GUI end).

Known errors (:class:`~epimanager.errors.EpiError`) are shown with their
Chinese message; questions ask for confirmation.  Tests replace these
functions (monkeypatch) to answer without a modal dialog.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QMessageBox, QWidget


def warning(parent: QWidget | None, title: str, text: str) -> None:
    QMessageBox.warning(parent, title, text)


def info(parent: QWidget | None, title: str, text: str) -> None:
    QMessageBox.information(parent, title, text)


def confirm(parent: QWidget | None, title: str, text: str, *, default_yes: bool = False) -> bool:
    """Yes/No question; Esc and the default button say No unless ``default_yes``."""
    std = QMessageBox.StandardButton
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, std.Yes | std.No, parent)
    yes, no = box.button(std.Yes), box.button(std.No)
    yes.setText(QCoreApplication.translate("Notify", "是(&Y)"))
    no.setText(QCoreApplication.translate("Notify", "否(&N)"))
    box.setDefaultButton(std.Yes if default_yes else std.No)
    box.setEscapeButton(no)
    return box.exec() == std.Yes


def ask_choice(parent: QWidget | None, title: str, label: str, items: list[str]) -> str | None:
    """One of ``items`` (the first preselected; arrows choose, Enter takes it); None when cancelled."""
    from PySide6.QtWidgets import QInputDialog

    value, ok = QInputDialog.getItem(parent, title, label, items, 0, False)
    return value if ok else None


def ask_text(parent: QWidget | None, title: str, label: str, text: str = "") -> str | None:
    """One line of text (e.g. a reason); None when cancelled."""
    from PySide6.QtWidgets import QInputDialog

    value, ok = QInputDialog.getText(parent, title, label, text=text)
    return value if ok else None
