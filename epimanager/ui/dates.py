"""Dates between Python and Qt's date widgets.

``QDate.toPython()`` is typed ``-> object`` in PySide6's stubs; these two keep ``date``.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate


def to_date(q: QDate) -> date:
    return date(q.year(), q.month(), q.day())


def to_qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)
