"""The on-hand list as a table model: one row per :class:`StockLine`, warnings in colour and in words.

A clinic keeps tens of batches, so the model holds the whole list (no paging).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QCoreApplication, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont

from epimanager.services.stock.overview import StockLine
from epimanager.ui.i18n import QT_TRANSLATE_NOOP

_Index = QModelIndex | QPersistentModelIndex
_CTX = "StockModel"

HEADERS = (
    QT_TRANSLATE_NOOP("StockModel", "类别"),
    QT_TRANSLATE_NOOP("StockModel", "名称"),
    QT_TRANSLATE_NOOP("StockModel", "简称"),
    QT_TRANSLATE_NOOP("StockModel", "生产企业"),
    QT_TRANSLATE_NOOP("StockModel", "规格"),
    QT_TRANSLATE_NOOP("StockModel", "批号"),
    QT_TRANSLATE_NOOP("StockModel", "失效期"),
    QT_TRANSLATE_NOOP("StockModel", "库存"),
    QT_TRANSLATE_NOOP("StockModel", "单位"),
    QT_TRANSLATE_NOOP("StockModel", "提示"),
)
COL_KIND, COL_NAME, COL_ABBR, COL_MAKER, COL_SPEC, COL_BATCH, COL_EXPIRY, COL_QTY, COL_UNIT, COL_MARKS = range(10)

_KIND_LABEL = {
    "vaccine": QT_TRANSLATE_NOOP("StockModel", "疫苗"),
    "syringe": QT_TRANSLATE_NOOP("StockModel", "注射器"),
}
_RED = QColor("#b00020")
_AMBER = QColor("#9a4a00")
_EXPIRED_BACK = QColor("#fde7e9")


def _tr(text: str) -> str:
    return QCoreApplication.translate(_CTX, text)


class StockTableModel(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self._lines: list[StockLine] = []

    def set_lines(self, lines: list[StockLine]) -> None:
        self.beginResetModel()
        self._lines = list(lines)
        self.endResetModel()

    def line(self, row: int) -> StockLine | None:
        return self._lines[row] if 0 <= row < len(self._lines) else None

    def lines(self) -> list[StockLine]:
        return list(self._lines)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._lines)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def text(self, ln: StockLine, col: int) -> str:
        values = {
            COL_KIND: _tr(_KIND_LABEL.get(ln.kind, ln.kind)),
            COL_NAME: ln.name,
            COL_ABBR: ln.abbr,
            COL_MAKER: ln.manufacturer,
            COL_SPEC: ln.specification,
            COL_BATCH: ln.batch_no or _tr("（无库存）"),
            COL_EXPIRY: ln.expiry.isoformat() if ln.expiry else "",
            COL_QTY: str(ln.quantity),
            COL_UNIT: ln.unit,
            COL_MARKS: "；".join(ln.marks),
        }
        return values[col]

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        ln = self._lines[index.row()]
        col = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self.text(ln, col)
        if role == Qt.ItemDataRole.TextAlignmentRole and col == COL_QTY:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and ln.marks and col in (COL_BATCH, COL_EXPIRY, COL_QTY, COL_MARKS):
            return _RED if ln.status == "已过期" or ln.quantity == 0 else _AMBER
        if role == Qt.ItemDataRole.BackgroundRole and ln.status == "已过期":
            return _EXPIRED_BACK
        if role == Qt.ItemDataRole.FontRole and col == COL_KIND and self._first_of_kind(index.row()):
            font = QFont()
            font.setBold(True)
            return font
        return None

    def _first_of_kind(self, row: int) -> bool:
        return row == 0 or self._lines[row - 1].kind != self._lines[row].kind

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return _tr(HEADERS[section])
        return None
