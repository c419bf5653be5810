"""Writing a table (a header row and data rows) as CSV or xlsx.

The one writer behind the report exports, the query screens' exports and the
CLI's ``--format csv`` output.  Rows may be any iterable (a generator that
pages through a query): both writers stream, so memory stays flat.

- CSV is UTF-8 with a BOM when written to a file (Excel on a Chinese Windows
  then opens it right); cells are shown as :func:`cell_text` shows them.
- No cell becomes a live formula: in CSV text starting like one gets a leading apostrophe
  (:func:`inert`); in xlsx it is stored as a plain string cell (a name such as ``=cmd|' /C calc'!A0``
  stays that text).
- xlsx has one sheet per :class:`Sheet`: an optional bold title line, a bold
  header row, then the rows; dates stay dates (``yyyy-mm-dd``), times become
  text.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, TextIO


def plain(v: Any) -> Any:
    """A value as JSON or a CSV cell wants it: dates and times as ISO text, the rest unchanged."""
    if isinstance(v, datetime):
        return v.isoformat(sep=" ", timespec="seconds")
    if isinstance(v, date):
        return v.isoformat()
    return v


def cell_text(v: Any) -> str:
    """How a value is shown in a table cell ("" for None)."""
    if v is None:
        return ""
    return str(plain(v))


_NEGATIVE = re.compile(r"-\d+(\.\d+)?")
#: characters an xlsx file cannot hold (openpyxl's ILLEGAL_CHARACTERS_RE) and the bidi overrides
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\u202a-\u202e\u2066-\u2069]")


def inert(v: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``@``, tab,
    CR or ``-``) gets a leading apostrophe, so Excel and WPS show it as text. A plain negative number
    (``-3``, ``-1.5``) and a lone ``-`` are left as they are. Control and direction-override characters
    (which an xlsx cannot hold, or which hide what a cell says) become U+FFFD."""
    if not isinstance(v, str) or not v:
        return v
    v = _CONTROL.sub("\ufffd", v)  # a control character (NUL, ESC …) would break the whole xlsx file
    if v[0] in "=+@\t\r" or (v[0] == "-" and v != "-" and not _NEGATIVE.fullmatch(v)):
        return "'" + v
    return v


def _write_rows(stream: TextIO, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    w = csv.writer(stream, lineterminator="\r\n")
    w.writerow([inert(h) for h in header])
    n = 0
    for row in rows:
        w.writerow([inert(cell_text(v)) for v in row])
        n += 1
    return n


def write_csv(target: Path | TextIO, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Write a CSV to a file (UTF-8 with BOM) or an open text stream.  Returns the row count."""
    if isinstance(target, (str, Path)):
        with Path(target).open("w", encoding="utf-8-sig", newline="") as f:
            return _write_rows(f, header, rows)
    return _write_rows(target, header, rows)


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """The CSV as a string (no BOM; add it when writing the file)."""
    buf = io.StringIO()
    _write_rows(buf, header, rows)
    return buf.getvalue()


@dataclass(frozen=True)
class Sheet:
    """One worksheet: ``name`` (cut to Excel's 31 characters), header and rows."""

    name: str
    header: Sequence[str]
    rows: Iterable[Sequence[Any]]
    #: a bold line above the header (e.g. report title, month and unit)
    title: str | None = None
    #: the top-left cell that stays in view when scrolling (e.g. "C3"), None = nothing frozen
    freeze: str | None = None
    #: column widths (in characters), None = Excel's default
    widths: Sequence[float] | None = None


def sheet_name(title: str, index: int = 0) -> str:
    """A valid worksheet name: no ``[]:*?/\\``, at most 31 characters."""
    name = "".join(ch for ch in title if ch not in "[]:*?/\\")[:31]
    return name or f"Sheet{index + 1}"


def write_xlsx(path: Path, sheets: Iterable[Sheet]) -> int:
    """Write an .xlsx (streamed: a write-only workbook).  Returns the number of data rows."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    n = 0
    for i, sheet in enumerate(sheets):
        ws = wb.create_sheet(sheet_name(sheet.name, i))
        if sheet.freeze:
            ws.freeze_panes = sheet.freeze
        for col, width in enumerate(sheet.widths or (), start=1):
            ws.column_dimensions[get_column_letter(col)].width = width
        if sheet.title is not None:
            cell = WriteOnlyCell(ws, value=sheet.title)
            cell.font = Font(bold=True, size=13)
            ws.append([cell])
        header = []
        for c in sheet.header:
            cell = WriteOnlyCell(ws, value=c)
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, horizontal="center")
            header.append(cell)
        ws.append(header)
        for row in sheet.rows:
            values: list[Any] = []
            for v in row:
                if isinstance(v, datetime):
                    values.append(plain(v))
                elif isinstance(v, date):
                    cell = WriteOnlyCell(ws, value=datetime.combine(v, datetime.min.time()))
                    cell.number_format = "yyyy-mm-dd"
                    values.append(cell)
                elif isinstance(v, str) and inert(v) != v:
                    cell = WriteOnlyCell(ws, value=_CONTROL.sub("\ufffd", v))
                    cell.data_type = "s"  # the exact text, never a formula
                    values.append(cell)
                else:
                    values.append(v)
            ws.append(values)
            n += 1
    wb.save(str(path))
    return n
