"""What every query screen shares: pages and rows, the ``Query`` protocol, filters.

Each query (one module per screen: :mod:`.doses` 接种明细, :mod:`.managed`
管理门诊, :mod:`.gap` 免疫空白, :mod:`.changes` 个案变更, :mod:`.status_changes`
在册变更) is a frozen dataclass of filters with ``title``, ``columns`` and
``fetch(db, after, limit) -> Page``.  Pages use keyset pagination: ``after``
is the ``cursor`` of the previous page (``None`` for the first), so every
page is one short indexed query however far the user scrolls — the GUI
model and the exporters (:mod:`.export`) just keep asking for the next page.
``Page.cursor`` is ``None`` when there is nothing more.

Every function opens its own short read session, so the GUI may call them
from a worker thread.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from sqlalchemy import tuple_

from epimanager.domain.codes import Sex, Status
from epimanager.errors import ValidationError
from epimanager.services.table_files import cell_text, plain
from epimanager.store.database import Database

Cursor = tuple[Any, ...]
PAGE_SIZE = 200
#: At most this many index entries are read per ``fetch`` (bounds the time of one call).
WINDOW = 20_000


@dataclass(frozen=True, slots=True)
class Row:
    """One result row: display values (in ``columns`` order) and the child's code (to open it)."""

    values: tuple[Any, ...]
    child_code: str | None


@dataclass(frozen=True, slots=True)
class Page:
    rows: tuple[Row, ...]
    #: pass as ``after`` to get the next page; None = no more rows
    cursor: Cursor | None


class Query(Protocol):
    """What every query object offers (the GUI model and the exporters use only this)."""

    @property
    def title(self) -> str: ...

    @property
    def columns(self) -> tuple[str, ...]: ...

    def fetch(self, db: Database, after: Cursor | None = None, limit: int = PAGE_SIZE) -> Page: ...


def iter_rows(db: Database, query: Query, page_size: int = 2000) -> Iterator[Row]:
    """Every row of ``query``, page by page (memory stays flat)."""
    after: Cursor | None = None
    while True:
        page = query.fetch(db, after, page_size)
        yield from page.rows
        if page.cursor is None:
            return
        after = page.cursor


def row_json(columns: Sequence[str], row: Row) -> dict[str, Any]:
    return {c: plain(v) for c, v in zip(columns, row.values, strict=True)}


#: How a value is shown in a table cell (the same as in the exported files).
display = cell_text


# -- filters shared by the queries -------------------------------------------------------------------------


def status_codes(values: Iterable[Status | int | str] | None) -> list[int] | None:
    if values is None:
        return None
    out = []
    for v in values:
        try:
            out.append(int(v) if isinstance(v, int) else int(Status.parse(v)))
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
    return out


def day_range(start: date | None, end: date | None) -> None:
    """Refuse a date range that ends before it starts."""
    if start and end and start > end:
        raise ValidationError(f"开始日期 {start.isoformat()} 晚于结束日期 {end.isoformat()}")


def sex_label(v: str) -> str:
    try:
        return Sex(v).label
    except ValueError:
        return v


def status_label(v: int) -> str:
    try:
        return Status(v).label
    except ValueError:
        return str(v)


def after_key(cols: Sequence[Any], after: Cursor | None, *, desc: bool = False) -> list[Any]:
    """The keyset condition: rows after (or, with ``desc``, before) the cursor ``after``."""
    if after is None:
        return []
    if len(cols) == 1:
        return [cols[0] < after[0] if desc else cols[0] > after[0]]
    key = tuple_(*cols)
    return [key < tuple_(*after) if desc else key > tuple_(*after)]
