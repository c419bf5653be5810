"""The AEFI card and where it opens from: the 留观 board (A), a dose in the grid (Ctrl+Shift+A), F7."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from PySide6.QtWidgets import QWidget

from epimanager.services import aefi
from epimanager.store.database import Database
from epimanager.ui.aefi.card import AefiCard

__all__ = ["AefiCard", "for_child_on", "for_dose", "open_case"]


def _show(card: AefiCard) -> AefiCard:
    card.finished.connect(card.deleteLater)
    card.open()
    return card


def open_case(db: Database, uuid: str, parent: QWidget | None, now: Callable[[], datetime] = datetime.now) -> AefiCard:
    """A saved card (from F7)."""
    return _show(AefiCard(db, case_uuid=uuid, now=now, parent=parent))


def for_dose(
    db: Database, dose_uuid: str, parent: QWidget | None, now: Callable[[], datetime] = datetime.now
) -> AefiCard:
    """The card of a dose: the one already written for it, else a new one pre-filled from it."""
    existing = aefi.case_for_dose(db, dose_uuid)
    if existing is not None:
        return open_case(db, existing, parent, now)
    return _show(AefiCard(db, choices=[aefi.dose_choice(db, dose_uuid)], now=now, parent=parent))


def for_child_on(
    db: Database, child_code: str, day: date, parent: QWidget | None, now: Callable[[], datetime] = datetime.now
) -> AefiCard | None:
    """A new card for one of the child's doses of ``day`` (None: no dose that day)."""
    choices = aefi.dose_choices(db, child_code, day)
    if not choices:
        return None
    return _show(AefiCard(db, choices=choices, now=now, parent=parent))
