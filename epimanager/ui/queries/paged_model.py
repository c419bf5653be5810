"""A read-only table model that loads a query page by page (keyset cursor).

The view asks ``canFetchMore``/``fetchMore`` when the user scrolls near the
end; each call runs one short indexed query (``Query.fetch``) and appends
its rows.  Nothing else is loaded, so a million-row result opens as fast as
a ten-row one.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal

from epimanager.errors import EpiError
from epimanager.services.queries.common import Cursor, Query, Row, display
from epimanager.store.database import Database

_Index = QModelIndex | QPersistentModelIndex

#: Pages whose scan is bounded (a rare filter, 免疫空白) may come back short or
#: empty: the model then goes on in the next event-loop turns (QTimer, 0 ms) until a
#: page's worth of rows has arrived, so the window stays responsive meanwhile.
_CONTINUE_MS = 0


class PagedTableModel(QAbstractTableModel):
    """Rows of ``query`` loaded lazily, ``page_size`` at a time."""

    #: a known error while fetching (bad filter …): the message, in Chinese
    failed = Signal(str)
    #: rows loaded so far, and whether there are more
    loaded = Signal(int, bool)

    def __init__(self, db: Database, query: Query | None = None, page_size: int = 200) -> None:
        super().__init__()
        self._db = db
        self._page_size = page_size
        self._query: Query | None = None
        self._rows: list[Row] = []
        self._cursor: Cursor | None = None
        self._more = False
        self._target = 0
        self._generation = 0
        if query is not None:
            self.set_query(query)

    # -- state -----------------------------------------------------------------------

    @property
    def query(self) -> Query | None:
        return self._query

    @property
    def page_size(self) -> int:
        return self._page_size

    @page_size.setter
    def page_size(self, n: int) -> None:
        self._page_size = max(1, int(n))

    @property
    def has_more(self) -> bool:
        return self._more

    @property
    def filling(self) -> bool:
        """Still loading pages in the background towards what the view asked for (a timer is pending)."""
        return self._more and self._query is not None and len(self._rows) < self._target

    def set_query(self, query: Query | None) -> None:
        """Show another query (or none); the first page loads when the view asks for it."""
        self.beginResetModel()
        self._query = query
        self._rows = []
        self._cursor = None
        self._more = query is not None
        self._target = 0
        self._generation += 1
        self.endResetModel()

    def row(self, n: int) -> Row:
        return self._rows[n]

    def child_code(self, n: int) -> str | None:
        return self._rows[n].child_code if 0 <= n < len(self._rows) else None

    def fetch_all(self) -> None:
        """Load every remaining page (used before printing a whole list)."""
        while self._more:
            self._fetch_page()

    # -- Qt model ----------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() or self._query is None else len(self._query.columns)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        value = self._rows[index.row()].values[index.column()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return display(value)
        if role == Qt.ItemDataRole.TextAlignmentRole and isinstance(value, int):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal and self._query is not None:
            return self._query.columns[section]
        if orientation == Qt.Orientation.Vertical:
            return str(section + 1)
        return None

    def canFetchMore(self, parent: _Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._more

    def fetchMore(self, parent: _Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid() or not self._more or self._query is None:
            return
        self._target = max(self._target, len(self._rows) + self._page_size)
        self._fetch_page()
        self._schedule()

    def _schedule(self) -> None:
        if self.filling:
            generation = self._generation
            QTimer.singleShot(_CONTINUE_MS, lambda: self._continue(generation))

    def _continue(self, generation: int) -> None:
        if generation != self._generation or not self._more:
            return  # the query changed meanwhile
        self._fetch_page()
        self._schedule()

    def _fetch_page(self) -> None:
        """Run one ``Query.fetch`` and append what it returns."""
        if self._query is None:
            self._more = False
            return
        try:
            page = self._query.fetch(self._db, self._cursor, self._page_size)
        except EpiError as exc:
            self._more = False
            self.failed.emit(exc.message)
            return
        self._cursor = page.cursor
        self._more = page.cursor is not None
        if page.rows:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(page.rows) - 1)
            self._rows.extend(page.rows)
            self.endInsertRows()
        self.loaded.emit(len(self._rows), self._more)
