"""Print a :class:`~epimanager.ui.print.layout.PrintTable` with QPainter: every table the client prints.

The layout (font size, bands, widths, page breaks) comes from :func:`layout.plan`, measured with
``QFontMetricsF`` on the printer itself; this module only chooses the page and paints: the title and
its lines, the (grouped) header and 第 n 页 / 共 m 页 on every page.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLineF, QMarginsF, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPageLayout, QPageSize, QPaintDevice, QPainter, QPen
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from epimanager.ui.fonts import PREFERRED
from epimanager.ui.print.layout import PAD_X, Band, Plan, PrintTable, Sheet, plan
from epimanager.ui.print.text import unbreakable, wrap, wrap_even

MARGIN_MM = 10.0
_GRID = QColor("#333333")
_HEADER_FILL = QColor("#e6e6e6")


class PrinterMetrics:
    """:class:`layout.Metrics` on a paint device (the printer: its own resolution, no screen hinting)."""

    def __init__(self, device: QPaintDevice) -> None:
        self.device = device
        self.per_point = device.logicalDpiY() / 72.0
        self._fonts: dict[tuple[float, bool], QFont] = {}
        self._metrics: dict[tuple[float, bool], QFontMetricsF] = {}
        self._widths: dict[tuple[str, float, bool], float] = {}

    def font(self, size: float, bold: bool = False) -> QFont:
        key = (size, bold)
        if key not in self._fonts:
            font = QFont(QApplication.font())
            font.setFamilies([*PREFERRED, *font.families()])
            font.setPointSizeF(size)
            font.setBold(bold)
            self._fonts[key] = font
        return self._fonts[key]

    def metrics(self, size: float, bold: bool = False) -> QFontMetricsF:
        key = (size, bold)
        if key not in self._metrics:
            self._metrics[key] = QFontMetricsF(self.font(size, bold), self.device)
        return self._metrics[key]

    def width(self, text: str, size: float, bold: bool = False) -> float:
        key = (text, size, bold)
        if key not in self._widths:
            # a little slack: the PDF/printer engine may round glyph advances up
            self._widths[key] = self.metrics(size, bold).horizontalAdvance(text) * 1.02
        return self._widths[key]

    def line_height(self, size: float) -> float:
        return self.metrics(size).lineSpacing()


def _wrap_flags(align: Qt.AlignmentFlag) -> int:
    return int(align | Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextWordWrap)


def _single_flags(align: Qt.AlignmentFlag) -> int:
    return int(align | Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextSingleLine | Qt.TextFlag.TextDontClip)


_ALIGN = {
    "left": Qt.AlignmentFlag.AlignLeft,
    "center": Qt.AlignmentFlag.AlignHCenter,
    "right": Qt.AlignmentFlag.AlignRight,
}


def page_words(n: int, total: int) -> str:
    return QCoreApplication.translate("Print", "第 %1 页 / 共 %2 页").replace("%1", str(n)).replace("%2", str(total))


def continued() -> str:
    return QCoreApplication.translate("Print", "（续表）")


# -- the page ----------------------------------------------------------------------------


def new_printer(orientation: QPageLayout.Orientation = QPageLayout.Orientation.Portrait) -> QPrinter:
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    set_page(printer, orientation)
    return printer


def set_page(printer: QPrinter, orientation: QPageLayout.Orientation) -> None:
    printer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4),
            orientation,
            QMarginsF(MARGIN_MM, MARGIN_MM, MARGIN_MM, MARGIN_MM),
            QPageLayout.Unit.Millimeter,
        )
    )


def _area(printer: QPrinter) -> QRectF:
    rect = printer.pageLayout().paintRectPixels(printer.resolution())
    return QRectF(0, 0, rect.width(), rect.height())


def plan_for(table: PrintTable, printer: QPrinter) -> Plan:
    area = _area(printer)
    return plan(table, area.width(), area.height(), PrinterMetrics(printer))


def best_orientation(table: PrintTable) -> QPageLayout.Orientation:
    """Portrait unless landscape needs fewer column bands or gives a clearly larger font."""
    portrait, landscape = QPageLayout.Orientation.Portrait, QPageLayout.Orientation.Landscape
    p = plan_for(table, new_printer(portrait))
    q = plan_for(table, new_printer(landscape))
    if len(q.bands) < len(p.bands):
        return landscape
    if len(q.bands) == len(p.bands) and p.size < 9.0 and q.size > p.size:
        return landscape
    return portrait


# -- painting ----------------------------------------------------------------------------
#
# PySide6 6.12 on Python 3.11 drops a reference to None on every call of a C++ method that
# returns void (QPainter.drawRect, setPen, setFont …): enough of them abort the interpreter
# ("none_dealloc").  So the painter batches: one drawRects per pen and page, setFont only when
# the font changes; drawText (it returns a rectangle) is safe.


class _Painter:
    def __init__(self, table: PrintTable, printer: QPrinter) -> None:
        self.table = table
        self.printer = printer
        self.m = PrinterMetrics(printer)
        self.area = _area(printer)
        self.plan = plan(table, self.area.width(), self.area.height(), self.m)
        self.starts: set[int] = set()
        r = 0
        for size in table.group_sizes():
            self.starts.add(r)
            r += size
        self._font: tuple[float, bool] | None = None

    def run(self) -> int:
        painter = QPainter()
        if not painter.begin(self.printer):
            raise OSError(QCoreApplication.translate("Print", "无法打开打印机或 PDF 文件"))
        try:
            total = len(self.plan.sheets)
            for n, sheet in enumerate(self.plan.sheets):
                if n:
                    self.printer.newPage()
                self._page(painter, sheet, n + 1, total)
        finally:
            painter.end()
        return total

    def _text(
        self, p: QPainter, rect: QRectF, text: str, align: Qt.AlignmentFlag, size: float, bold: bool, even: bool = False
    ) -> None:
        if not text:
            return
        if self._font != (size, bold):
            p.setFont(self.m.font(size, bold))
            self._font = (size, bold)
        if unbreakable(text):
            p.drawText(rect, _single_flags(align), text)
        else:  # the engine's own line breaks (the ones the layout counted), Qt's only as a fallback
            lines = (wrap_even if even else wrap)(text, rect.width(), lambda t: self.m.width(t, size, bold))
            p.drawText(rect, _wrap_flags(align), "\n".join(lines))

    def _pen(self, p: QPainter, points: float) -> None:
        p.setPen(QPen(_GRID, points * self.m.per_point))

    def _page(self, p: QPainter, sheet: Sheet, number: int, total: int) -> None:
        size, m, a = self.plan.size, self.m, self.area
        title = self.table.title + (continued() if number > 1 else "")
        th = m.line_height(size + 4) * 1.3
        self._text(p, QRectF(0, 0, a.width(), th), title, Qt.AlignmentFlag.AlignHCenter, size + 4, True)
        y = th
        for line in self.table.lines:
            lh = m.line_height(size)
            self._text(p, QRectF(0, y, a.width(), lh), line, Qt.AlignmentFlag.AlignLeft, size, False)
            y += lh
        band = self.plan.bands[sheet.band]
        xs = [0.0]
        for w in band.widths:
            xs.append(xs[-1] + w)
        top = self._header(p, band, xs, self.plan.head_height)
        self._rows(p, band, xs, sheet, top)
        fh = m.line_height(size)
        foot = QRectF(0, a.height() - fh, a.width(), fh)
        self._text(p, foot, self.table.footer, Qt.AlignmentFlag.AlignLeft, size, False)
        self._text(p, foot, page_words(number, total), Qt.AlignmentFlag.AlignRight, size, False)

    def _header(self, p: QPainter, band: Band, xs: list[float], top: float) -> float:
        ys = [top]
        for h in band.level_heights:
            ys.append(ys[-1] + h)
        rects = [
            QRectF(QPointF(xs[c.first], ys[c.top]), QPointF(xs[c.last + 1], ys[c.bottom + 1])) for c in band.header
        ]
        self._pen(p, 0.4)
        p.setBrush(_HEADER_FILL)
        p.drawRects(rects)
        p.setBrush(Qt.BrushStyle.NoBrush)
        pad = PAD_X * self.m.per_point
        for cell, rect in zip(band.header, rects, strict=True):
            inner = rect.adjusted(pad, 0, -pad, 0)
            self._text(p, inner, cell.text, Qt.AlignmentFlag.AlignHCenter, self.plan.size, True, even=True)
        return ys[-1]

    def _rows(self, p: QPainter, band: Band, xs: list[float], sheet: Sheet, top: float) -> None:
        heights = self.plan.row_heights
        ys = [top]
        for r in range(sheet.first_row, sheet.end_row):
            ys.append(ys[-1] + heights[r])
        rects: list[QRectF] = []
        texts: list[tuple[QRectF, str, Qt.AlignmentFlag, bool]] = []
        pad = PAD_X * self.m.per_point
        for i, c in enumerate(band.columns):
            col = self.table.columns[c]
            r = sheet.first_row
            while r < sheet.end_row:
                end = r + 1
                if col.merge:  # empty cells below, in the same group and on this page
                    while end < sheet.end_row and not self.table.rows[end][c] and end not in self.starts:
                        end += 1
                rect = QRectF(QPointF(xs[i], ys[r - sheet.first_row]), QPointF(xs[i + 1], ys[end - sheet.first_row]))
                rects.append(rect)
                bold = r in self.table.bold_rows
                texts.append((rect.adjusted(pad, 0, -pad, 0), self.table.rows[r][c], _ALIGN[col.align], bold))
                r = end
        self._pen(p, 0.3)
        p.drawRects(rects)
        for bold in (False, True):
            for rect, text, align, b in texts:
                if b == bold:
                    self._text(p, rect, text, align, self.plan.size, bold)
        lines = [
            QLineF(0, ys[r - sheet.first_row], xs[-1], ys[r - sheet.first_row])
            for r in range(sheet.first_row + 1, sheet.end_row)
            if r in self.starts
        ]
        self._pen(p, 1.0)
        p.drawLines(lines)
        p.drawRects([QRectF(0, top, xs[-1], ys[-1] - top)])


def print_table(table: PrintTable, printer: QPrinter) -> int:
    """Paint ``table`` on ``printer`` (its page as set); the number of pages printed."""
    return _Painter(table, printer).run()


def print_table_to_pdf(table: PrintTable, path: Path) -> int:
    """A4 PDF in the orientation that suits the table; the number of pages."""
    orientation = best_orientation(table)
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(path))
    set_page(printer, orientation)
    return print_table(table, printer)


def print_table_with_dialog(table: PrintTable, parent: QWidget | None) -> bool:
    """Qt's print dialog, preset to A4 in the orientation that suits the table; False when cancelled."""
    printer = new_printer(best_orientation(table))
    if QPrintDialog(printer, parent).exec() != QDialog.DialogCode.Accepted:
        return False
    print_table(table, printer)
    return True
