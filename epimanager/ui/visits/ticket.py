"""The visit ticket (排队小票): on a receipt printer (58 or 80 mm roll) or A4, through Qt printing.

Printed with :class:`QPainter` on a :class:`QPrinter` (a real printer through :class:`QPrintDialog`,
or a PDF): the unit, the ticket number in large type, the child's name masked, the date and time, the
step to go to, the lines of today's order when there are any, and a QR code of the visit
(``EPIV:<day>:<ticket>``, made with ``segno``) that any desk's F3 quick search opens.

Today's order comes in through ``order_lines`` (:data:`OrderLines`, the main window passes
``services.visit_order.order_lines``); without it nothing is printed there.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QMarginsF, QRectF, QSizeF, Qt
from PySide6.QtGui import QFont, QImage, QPageLayout, QPageSize, QPainter
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from epimanager.domain.visit import CALLED_STEPS
from epimanager.domain.visit_ticket import mask_name, payload
from epimanager.services.visits import VisitRecord

_CALLED = frozenset(step.value for step in CALLED_STEPS)

#: the hook for today's order (wt-order): ticket → the lines to print (vaccine, dose, site …)
OrderLines = Callable[[str], Sequence[str]]


class Paper(StrEnum):
    ROLL_58 = "58"
    ROLL_80 = "80"
    A4 = "A4"


#: page size (mm) of each paper; a roll is cut after the ticket, so its height is the ticket's
_PAGE_MM = {Paper.ROLL_58: (58.0, 110.0), Paper.ROLL_80: (80.0, 120.0), Paper.A4: (210.0, 297.0)}
_MARGIN_MM = {Paper.ROLL_58: 3.0, Paper.ROLL_80: 4.0, Paper.A4: 20.0}
#: width of the printed ticket (A4: a ticket-sized block at the top of the page)
_BLOCK_MM = {Paper.ROLL_58: 52.0, Paper.ROLL_80: 72.0, Paper.A4: 90.0}


def tr(text: str) -> str:
    return QCoreApplication.translate("Ticket", text)


@dataclass(frozen=True)
class TicketContent:
    unit_name: str
    ticket: str
    masked_name: str
    day: str
    time: str
    step: str
    payload: str
    order: tuple[str, ...] = ()


def content(record: VisitRecord, unit_name: str, order_lines: OrderLines | None = None) -> TicketContent:
    order = tuple(order_lines(record.ticket)) if order_lines is not None else ()
    return TicketContent(
        unit_name,
        record.ticket,
        mask_name(record.child_name),
        record.day.isoformat(),
        record.taken_at.strftime("%H:%M"),
        record.step,
        payload(record.day, record.ticket),
        order,
    )


def qr_image(text: str) -> QImage:
    """The QR code as a black-and-white image, one pixel per module (scaled without smoothing)."""
    import segno

    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=1, border=2)
    image = QImage()
    image.loadFromData(buffer.getvalue(), "PNG")
    return image


def setup_printer(printer: QPrinter, paper: Paper) -> QPrinter:
    width, height = _PAGE_MM[paper]
    if paper is Paper.A4:
        printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    else:
        size = QPageSize(QSizeF(width, height), QPageSize.Unit.Millimeter, f"{paper.value} mm",
                         QPageSize.SizeMatchPolicy.ExactMatch)  # fmt: skip
        printer.setPageSize(size)
    printer.setPageOrientation(QPageLayout.Orientation.Portrait)
    m = _MARGIN_MM[paper]
    printer.setPageMargins(QMarginsF(m, m, m, m), QPageLayout.Unit.Millimeter)
    return printer


def paint(printer: QPrinter, ticket: TicketContent, paper: Paper) -> None:
    painter = QPainter(printer)
    try:
        _paint(painter, printer, ticket, paper)
    finally:
        painter.end()


def _paint(painter: QPainter, printer: QPrinter, t: TicketContent, paper: Paper) -> None:
    dpi = printer.resolution()

    def mm(v: float) -> float:
        return v * dpi / 25.4

    page = printer.pageLayout().paintRectPixels(dpi)
    width = min(float(page.width()), mm(_BLOCK_MM[paper]))
    left = (page.width() - width) / 2 if paper is not Paper.A4 else 0.0
    y = 0.0
    base = QFont(QApplication.font())
    scale = _BLOCK_MM[paper] / 72.0

    def line(text: str, points: float, bold: bool = False, gap_mm: float = 1.5) -> None:
        nonlocal y
        font = QFont(base)
        font.setPointSizeF(points * min(scale, 1.2))
        font.setBold(bold)
        painter.setFont(font)
        rect = QRectF(left, y, width, mm(200))
        flags = int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap)
        used = painter.boundingRect(rect, flags, text)
        painter.drawText(rect, flags, text)
        y += used.height() + mm(gap_mm)

    line(t.unit_name, 8)
    line(tr("排队号"), 9)
    line(t.ticket, 30, bold=True, gap_mm=1)
    line(t.masked_name, 12, bold=True)
    line(f"{t.day}  {t.time}", 9)
    if t.step in _CALLED:
        line(tr("请到 %1 等候叫号").replace("%1", t.step), 10, bold=True, gap_mm=2)
    else:  # a ticket printed again later (留观, 完成 …)
        line(tr("当前：%1").replace("%1", t.step), 10, bold=True, gap_mm=2)
    if t.order:
        line(tr("今日接种："), 9, bold=True, gap_mm=0.5)
        for text in t.order:
            line(text, 9, gap_mm=0.5)
        y += mm(1.5)
    side = mm(min(30.0, _BLOCK_MM[paper] * 0.5))
    image = qr_image(t.payload)
    painter.drawImage(QRectF(left + (width - side) / 2, y, side, side), image)
    y += side + mm(1)
    line(t.payload, 6)
    line(tr("请保管好本票，过号请到服务台重新排队。"), 7)


def print_to_pdf(ticket: TicketContent, path: Path, paper: Paper = Paper.ROLL_80) -> Path:
    printer = setup_printer(QPrinter(QPrinter.PrinterMode.HighResolution), paper)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(path))
    paint(printer, ticket, paper)
    return path


def print_with_dialog(ticket: TicketContent, parent: QWidget | None, paper: Paper = Paper.ROLL_80) -> bool:
    """Qt's print dialog preset to ``paper`` (a receipt printer, A4, or 'Print to File'); False if cancelled."""
    printer = setup_printer(QPrinter(QPrinter.PrinterMode.HighResolution), paper)
    dialog = QPrintDialog(printer, parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return False
    paint(printer, ticket, paper)
    return True
