"""Search results as a table model (the list can hold up to the search limit)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QColor

from epimanager.services.search import SearchRow
from epimanager.ui.child.fields import age_text
from epimanager.ui.i18n import QT_TRANSLATE_NOOP

_Index = QModelIndex | QPersistentModelIndex
#: The age column (worked out on the model's day, not stored).
AGE = QT_TRANSLATE_NOOP("Search", "年龄")
COLUMNS: tuple[tuple[str, Callable[[SearchRow], str]], ...] = (
    (QT_TRANSLATE_NOOP("Search", "姓名"), lambda r: r.name),
    (QT_TRANSLATE_NOOP("Search", "性别"), lambda r: QCoreApplication.translate("Codes", r.sex_label)),
    (QT_TRANSLATE_NOOP("Search", "出生日期"), lambda r: r.birth_date.isoformat()),
    (AGE, lambda r: ""),
    (QT_TRANSLATE_NOOP("Search", "母亲"), lambda r: r.mother_name or ""),
    (QT_TRANSLATE_NOOP("Search", "父亲"), lambda r: r.father_name or ""),
    (QT_TRANSLATE_NOOP("Search", "联系电话"), lambda r: r.phone or ""),
    (QT_TRANSLATE_NOOP("Search", "区域划分"), lambda r: r.committee or ""),
    (QT_TRANSLATE_NOOP("Search", "在册情况"), lambda r: QCoreApplication.translate("Codes", r.status_label)),
    (QT_TRANSLATE_NOOP("Search", "儿童编码"), lambda r: r.child_code),
    (QT_TRANSLATE_NOOP("Search", "匹配"), lambda r: QCoreApplication.translate("Search", r.matched)),
)
QT_TRANSLATE_NOOP("Search", "编码")  # matched labels from the search service
QT_TRANSLATE_NOOP("Search", "出生日期")


class SearchModel(QAbstractTableModel):
    def __init__(self, today: Callable[[], date] = date.today) -> None:
        super().__init__()
        self.rows: tuple[SearchRow, ...] = ()
        self._today = today

    def set_rows(self, rows: tuple[SearchRow, ...]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            title, value = COLUMNS[index.column()]
            return age_text(row.birth_date, self._today()) if title == AGE else value(row)
        if role == Qt.ItemDataRole.ForegroundRole and not row.in_register:
            return QColor("#777777")
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return QCoreApplication.translate("Search", COLUMNS[section][0])
        return None
