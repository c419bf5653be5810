"""Page layout of a printed table, without Qt: font size, column bands, widths, page breaks.

A :class:`PrintTable` says what is printed (title and lines repeated on every page, header paths,
rows, groups that belong together); :func:`plan` decides how, given the printable area and a
:class:`Metrics` that measures text (the Qt side measures with ``QFontMetricsF`` on the printer).

The rules, in order (line breaking itself is in :mod:`epimanager.ui.print.text`):
- a cell without Han characters or spaces (numbers, percentages, dates, codes, phone numbers)
  is never wrapped: its column is at least as wide as it is;
- all columns on one page across, at the largest font size from ``max_size`` down to
  ``min_size``; when even ``min_size`` is too wide, the columns are split into bands printed on
  continuation pages, each band repeating the key columns, with as few bands as possible and,
  for that number of bands, the largest font;
- a group of rows (a 区域划分's 应种/实种/接种率, the totals) is never split across pages when it
  fits on one page; the rows on a page are the same in every band.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from epimanager.ui.print.text import narrowest, tokens, unbreakable, wrap

Align = Literal["left", "center", "right"]

#: cell padding, points (left/right, top/bottom)
PAD_X = 2.5
PAD_Y = 1.2
#: font sizes tried, points
MAX_SIZE = 10.0
MIN_SIZE = 7.0
STEP = 0.5
#: a wrapped cell keeps at least this many Han characters a line (a header label: HEADER_CHARS)
TEXT_CHARS = 4
HEADER_CHARS = 3


class Metrics(Protocol):
    """Text measurement in the caller's unit (the Qt side: printer device pixels)."""

    #: device units per point (so paddings given in points can be converted)
    per_point: float

    def width(self, text: str, size: float, bold: bool = False) -> float:
        """Width of ``text`` on one line at ``size`` points."""
        ...

    def line_height(self, size: float) -> float: ...


@dataclass(frozen=True)
class Column:
    """One printed column: its header path (top level first; a shorter path spans the rows below)."""

    header: tuple[str, ...]
    key: bool = False  # repeated on every band of continuation pages
    align: Align = "left"
    #: an empty cell joins the cell above it within a group (the 区域划分 of 应种/实种/接种率)
    merge: bool = False


@dataclass(frozen=True)
class PrintTable:
    title: str
    lines: tuple[str, ...]  # unit, period …: printed under the title on every page
    columns: tuple[Column, ...]
    rows: tuple[tuple[str, ...], ...]
    #: sizes of consecutive row groups kept on one page (empty: every row is its own group)
    groups: tuple[int, ...] = ()
    #: rows printed in bold (totals)
    bold_rows: frozenset[int] = frozenset()
    #: printed at the foot of every page, left (e.g. 填表人 / 填表日期)
    footer: str = ""

    def group_sizes(self) -> tuple[int, ...]:
        if not self.groups:
            return (1,) * len(self.rows)
        if sum(self.groups) != len(self.rows):
            raise ValueError("groups do not add up to the rows")
        return self.groups

    @property
    def levels(self) -> int:
        return max((len(c.header) for c in self.columns), default=1)


@dataclass(frozen=True)
class HeaderCell:
    """A header cell of one band: columns [first, last] of the band, levels [top, bottom]."""

    text: str
    first: int
    last: int
    top: int
    bottom: int


@dataclass(frozen=True)
class Band:
    columns: tuple[int, ...]  # indexes into PrintTable.columns
    widths: tuple[float, ...]
    header: tuple[HeaderCell, ...]
    level_heights: tuple[float, ...]


@dataclass(frozen=True)
class Sheet:
    """One printed page: a band of columns and a range of rows."""

    band: int
    first_row: int
    end_row: int


@dataclass(frozen=True)
class Plan:
    size: float
    bands: tuple[Band, ...]
    row_heights: tuple[float, ...]
    sheets: tuple[Sheet, ...]
    head_height: float  # title block, above the table
    foot_height: float  # page number line, below
    header_height: float = 0.0


def header_cells(table: PrintTable, columns: Sequence[int]) -> tuple[HeaderCell, ...]:
    """Merge equal header paths of adjacent columns into spanning cells (per band)."""
    levels = table.levels
    cells: list[HeaderCell] = []
    for level in range(levels):
        i = 0
        while i < len(columns):
            path = table.columns[columns[i]].header
            if level >= len(path):
                i += 1
                continue
            j = i
            while (
                j + 1 < len(columns)
                and len(table.columns[columns[j + 1]].header) > level
                and len(path) > level + 1
                and len(table.columns[columns[j + 1]].header) > level + 1
                and table.columns[columns[j + 1]].header[: level + 1] == path[: level + 1]
            ):
                j += 1
            bottom = level if len(path) > level + 1 else levels - 1
            cells.append(HeaderCell(path[level], i, j, level, bottom))
            i = j + 1
    return tuple(cells)


def _column_needs(table: PrintTable, m: Metrics, size: float) -> tuple[list[float], list[float], list[float]]:
    """(minimum, header on one line, preferred) width of every column at ``size``, paddings included."""
    pad = 2 * PAD_X * m.per_point
    least: list[float] = []
    mid: list[float] = []
    wish: list[float] = []
    for c, col in enumerate(table.columns):
        lo, hi = 0.0, 0.0
        for r, row in enumerate(table.rows):
            text = row[c]
            if not text:
                continue
            bold = r in table.bold_rows
            w = m.width(text, size, bold)
            hi = max(hi, w)
            if unbreakable(text):
                lo = max(lo, w)
            else:  # wraps, but not to fewer than TEXT_CHARS characters a line
                floor = min(w, m.width("汉" * TEXT_CHARS, size, bold))
                lo = max(lo, floor, *(m.width(t, size, bold) for t in tokens(text)))
        head = 0.0
        if col.header:
            label = col.header[-1]
            head = m.width(label, size, True)
            floor = min(head, m.width("汉" * HEADER_CHARS, size, True))
            lo = max(lo, floor, *(m.width(t, size, True) for t in tokens(label)))
            # a label standing over several header rows (卡介苗 beside 乙肝疫苗/第1剂) may take a line each
            rows = table.levels - len(col.header) + 1
            if rows > 1:
                head = narrowest(label, rows, lambda t: m.width(t, size, True))
        least.append(lo + pad)
        mid.append(max(head, lo) + pad)
        wish.append(max(hi, head, lo) + pad)
    # a spanning label (a vaccine over its doses) would rather not wrap either
    for cell in header_cells(table, range(len(table.columns))):
        if cell.first == cell.last:
            continue
        span = range(cell.first, cell.last + 1)
        short = m.width(cell.text, size, True) + pad - sum(wish[c] for c in span)
        for c in span:
            wish[c] += max(short, 0.0) / len(span)
        short = m.width(cell.text, size, True) + pad - sum(mid[c] for c in span)
        for c in span:
            mid[c] += max(short, 0.0) / len(span)
    return least, mid, wish


def _spread(columns: Sequence[int], needs: Sequence[list[float]], room: float) -> tuple[float, ...]:
    """Widths filling ``room``: everyone its minimum, then its next wish in turn, then the rest pro rata."""
    widths = [needs[0][c] for c in columns]
    spare = room - sum(widths)
    for wish in needs[1:]:
        want = [max(wish[c] - w, 0.0) for c, w in zip(columns, widths, strict=True)]
        total_want = sum(want)
        if total_want > 0 and spare > 0:
            share = min(1.0, spare / total_want)
            widths = [w + x * share for w, x in zip(widths, want, strict=True)]
            spare -= total_want * share
    if spare > 0 and widths:
        total = sum(widths)
        widths = [w + spare * w / total for w in widths]
    return tuple(widths)


def _pack(table: PrintTable, least: list[float], room: float) -> list[list[int]] | None:
    """Columns in bands (key columns on each), breaking at top-level header groups when possible."""
    keys = [c for c, col in enumerate(table.columns) if col.key]
    rest = [c for c, col in enumerate(table.columns) if not col.key]
    key_width = sum(least[c] for c in keys)
    if key_width >= room or any(key_width + least[c] > room for c in rest):
        return None
    # top-level groups of adjacent columns (a vaccine with its doses)
    chunks: list[list[int]] = []
    for c in rest:
        top = table.columns[c].header[:1]
        if chunks and len(table.columns[chunks[-1][-1]].header) > 1 and table.columns[chunks[-1][-1]].header[:1] == top:
            chunks[-1].append(c)
        else:
            chunks.append([c])
    bands: list[list[int]] = []
    used = room  # forces a first band
    for chunk in chunks:
        width = sum(least[c] for c in chunk)
        if used + width <= room:
            bands[-1].extend(chunk)
            used += width
        elif key_width + width <= room:
            bands.append(list(chunk))
            used = key_width + width
        else:  # a group wider than a page: split it column by column
            for c in chunk:
                if used + least[c] > room:
                    bands.append([])
                    used = key_width
                bands[-1].append(c)
                used += least[c]
    if not bands:
        bands = [[]]
    return [sorted(keys + band) for band in bands]


def _band(table: PrintTable, m: Metrics, size: float, columns: list[int], widths: tuple[float, ...]) -> Band:
    cells = header_cells(table, columns)
    pad_y = 2 * PAD_Y * m.per_point
    pad_x = 2 * PAD_X * m.per_point
    lh = m.line_height(size)
    heights = [0.0] * table.levels
    for cell in sorted(cells, key=lambda h: h.bottom - h.top):
        width = sum(widths[cell.first : cell.last + 1]) - pad_x
        need = len(wrap(cell.text, width, lambda t: m.width(t, size, True))) * lh + pad_y
        have = sum(heights[cell.top : cell.bottom + 1])
        if need > have:
            heights[cell.bottom] += need - have
    return Band(tuple(columns), widths, cells, tuple(heights))


def _row_heights(table: PrintTable, m: Metrics, size: float, bands: Sequence[Band]) -> tuple[float, ...]:
    lh = m.line_height(size)
    pad_y = 2 * PAD_Y * m.per_point
    pad_x = 2 * PAD_X * m.per_point
    width_of: dict[int, float] = {}
    for band in bands:
        for c, w in zip(band.columns, band.widths, strict=True):
            width_of[c] = min(width_of.get(c, w), w)
    out = []
    for r, row in enumerate(table.rows):
        bold = r in table.bold_rows

        def measure(text: str, bold: bool = bold) -> float:
            return m.width(text, size, bold)

        lines = 1
        for c, text in enumerate(row):
            if text and not unbreakable(text) and measure(text) > width_of[c] - pad_x:
                lines = max(lines, len(wrap(text, width_of[c] - pad_x, measure)))
        out.append(lines * lh + pad_y)
    return tuple(out)


def _chunks(table: PrintTable, heights: Sequence[float], room: float) -> list[tuple[int, int]]:
    """Row ranges per page: groups kept whole when they fit on a page."""
    pages: list[tuple[int, int]] = []
    start, used, r = 0, 0.0, 0
    for size in table.group_sizes():
        group = sum(heights[r : r + size])
        if used + group > room and r > start and group <= room:
            pages.append((start, r))
            start, used = r, 0.0
        if group <= room:
            used += group
        else:  # taller than a page: fill row by row
            for i in range(r, r + size):
                if used + heights[i] > room and i > start:
                    pages.append((start, i))
                    start, used = i, 0.0
                used += heights[i]
        r += size
    pages.append((start, len(table.rows)))
    return pages


def head_height(table: PrintTable, m: Metrics, size: float) -> float:
    """Title (bold, 4 pt larger) and the lines under it, with a gap before the table."""
    return m.line_height(size + 4) * 1.3 + m.line_height(size) * len(table.lines) + 3 * m.per_point


def foot_height(m: Metrics, size: float) -> float:
    return m.line_height(size) + 3 * m.per_point


def plan(
    table: PrintTable,
    width: float,
    height: float,
    m: Metrics,
    *,
    max_size: float = MAX_SIZE,
    min_size: float = MIN_SIZE,
) -> Plan:
    """How ``table`` goes on pages of ``width`` × ``height`` (the printable area, Metrics' unit)."""
    best: tuple[int, float, list[list[int]], tuple[list[float], list[float], list[float]]] | None = None
    size = max_size
    while size >= min_size - 1e-9:
        needs = _column_needs(table, m, size)
        packed = _pack(table, needs[0], width)
        if packed is not None and (best is None or len(packed) < best[0]):
            best = (len(packed), size, packed, needs)
            if len(packed) == 1:
                break
        size = round(size - STEP, 2)
    if best is None:  # even the key columns do not fit: print them anyway, at the floor
        size = min_size
        needs = _column_needs(table, m, size)
        best = (1, size, [list(range(len(table.columns)))], needs)
    count, size, packed, needs = best
    least = needs[0]
    if count > 1:  # the same bands, as even as possible: the narrowest page width that still gives them
        lo, hi = width / count, width
        for _ in range(20):
            mid = (lo + hi) / 2
            trial = _pack(table, least, mid)
            if trial is not None and len(trial) <= count:
                hi, packed = mid, trial
            else:
                lo = mid
    bands = tuple(_band(table, m, size, cols, _spread(cols, needs, width)) for cols in packed)
    rows = _row_heights(table, m, size, bands)
    top, bottom = head_height(table, m, size), foot_height(m, size)
    header = max(sum(b.level_heights) for b in bands)
    room = height - top - bottom - header
    sheets = tuple(Sheet(b, first, end) for first, end in _chunks(table, rows, room) for b in range(len(bands)))
    return Plan(size, bands, rows, sheets, top, bottom, header)
