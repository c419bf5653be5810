"""A message at the field: each form field can carry a red line right under it.

Forms validate through the domain rules (e.g. :func:`~epimanager.domain.validation.child_field_problems`,
which names the field of each problem); :meth:`FieldNotes.show` puts each message under its
field and hides the others, so an out-of-range value is said where it was typed and never
changed silently.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from epimanager.ui.grow import grow_to_fit

ERROR_STYLE = "color: #b00020"


def note_label(name: str) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setStyleSheet(ERROR_STYLE)
    label.setWordWrap(True)
    label.setVisible(False)
    return label


class FieldNotes:
    """Notes under fields, keyed by the field's name in the domain's input (``birth_date`` …)."""

    def __init__(self) -> None:
        self.notes: dict[str, QLabel] = {}

    def wrap(self, key: str, field: QWidget, note: QLabel | None = None) -> QWidget:
        """A cell with ``field`` and its note under it.  With ``note`` an existing label the caller
        keeps up to date serves (it is not managed by :meth:`show`)."""
        cell = QWidget()
        box = QVBoxLayout(cell)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(1)
        box.addWidget(field)
        if note is not None:
            box.addWidget(note)
            return cell
        label = note_label(f"note_{key}")
        box.addWidget(label)
        self.notes[key] = label
        return cell

    def show(self, problems: Iterable[tuple[str, str]]) -> list[str]:
        """Each problem under its field (all of a field's problems, one per line); returns the
        messages that have no field here (the caller shows them elsewhere)."""
        by_field: dict[str, list[str]] = {}
        rest: list[str] = []
        for key, message in problems:
            if key in self.notes:
                by_field.setdefault(key, []).append(message)
            else:
                rest.append(message)
        shown: list[QLabel] = []
        for key, label in self.notes.items():
            messages = by_field.get(key, [])
            label.setText("\n".join("✗ " + m for m in messages))
            label.setVisible(bool(messages))
            if messages:
                shown.append(label)
        if shown:  # the form grows so that every note shows whole
            grow_to_fit(*shown)
        return rest

    def text(self, key: str) -> str:
        return self.notes[key].text()
