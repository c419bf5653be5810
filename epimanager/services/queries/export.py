"""Exporting a query screen to csv or xlsx (through :mod:`epimanager.services.table_files`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from epimanager.errors import ValidationError
from epimanager.services.queries.common import Query, Row, iter_rows
from epimanager.services.table_files import Sheet, write_csv, write_xlsx
from epimanager.store.database import Database

EXPORT_FORMATS = ("csv", "xlsx", "json")


def export_csv(columns: Sequence[str], rows: Iterable[Row], path: Path) -> int:
    """Write a CSV (UTF-8 with BOM, so Excel opens the Chinese right).  Returns the row count."""
    return write_csv(Path(path), columns, (row.values for row in rows))


def export_xlsx(columns: Sequence[str], rows: Iterable[Row], path: Path, *, title: str = "查询结果") -> int:
    """Write an .xlsx (streamed: write-only workbook).  Returns the row count."""
    return write_xlsx(path, [Sheet(title, columns, (row.values for row in rows))])


def export_query(db: Database, query: Query, path: Path, fmt: str | None = None) -> int:
    """Run ``query`` to the end and write it as csv or xlsx (by ``fmt`` or the file suffix)."""
    fmt = (fmt or Path(path).suffix.lstrip(".")).lower()
    if fmt == "csv":
        return export_csv(query.columns, iter_rows(db, query), path)
    if fmt == "xlsx":
        return export_xlsx(query.columns, iter_rows(db, query), path, title=query.title)
    raise ValidationError(f"导出格式“{fmt}”无效，应为 csv 或 xlsx")
