"""A signature pad: the guardian signs with a pen (tablet events, with pressure) or the mouse.

Strokes are kept as lists of ``(x, y, pressure)`` points in the pad's pixels; a mouse has no
pressure and draws at 0.5.  Tablet events are accepted, so Qt does not also synthesize mouse
events for the pen.  :meth:`undo` removes the last stroke, :meth:`clear` all; :meth:`to_png` is
the picture kept with the consent.  The pad is drawn grey and takes nothing while disabled
(纸质签字).
"""

from __future__ import annotations

from itertools import pairwise

from PySide6.QtCore import QBuffer, QByteArray, QEvent, QIODevice, QPointF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPen, QTabletEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

Point = tuple[float, float, float]
MOUSE_PRESSURE = 0.5


class SignaturePad(QWidget):
    """Collects strokes; ``changed`` after every finished stroke, undo and clear."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("signaturePad")
        self.setMinimumSize(440, 150)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAttribute(Qt.WidgetAttribute.WA_TabletTracking, False)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.strokes: list[list[Point]] = []
        self._drawing = False
        self.hint = self.tr("请监护人在此签名")

    # -- editing ----------------------------------------------------------------------------

    def clear(self) -> None:
        self.strokes.clear()
        self._drawing = False
        self.update()
        self.changed.emit()

    def undo(self) -> None:
        if self.strokes:
            self.strokes.pop()
            self._drawing = False
            self.update()
            self.changed.emit()

    def is_empty(self) -> bool:
        return not self.strokes

    def _start(self, pos: QPointF, pressure: float) -> None:
        self.strokes.append([(pos.x(), pos.y(), pressure)])
        self._drawing = True
        self.update()

    def _add(self, pos: QPointF, pressure: float) -> None:
        if self._drawing and self.strokes:
            self.strokes[-1].append((pos.x(), pos.y(), pressure))
            self.update()

    def _end(self) -> None:
        if self._drawing:
            self._drawing = False
            self.changed.emit()

    # -- input ------------------------------------------------------------------------------

    def tabletEvent(self, event: QTabletEvent) -> None:
        if not self.isEnabled():
            event.ignore()
            return
        kind = event.type()
        if kind == QEvent.Type.TabletPress:
            self._start(event.position(), event.pressure())
        elif kind == QEvent.Type.TabletMove:
            self._add(event.position(), event.pressure())
        elif kind == QEvent.Type.TabletRelease:
            self._add(event.position(), event.pressure())
            self._end()
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._start(event.position(), MOUSE_PRESSURE)
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        self._add(event.position(), MOUSE_PRESSURE)
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._add(event.position(), MOUSE_PRESSURE)
            self._end()
        event.accept()

    # -- drawing ----------------------------------------------------------------------------

    def _paint(self, p: QPainter, *, hint: bool) -> None:
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        enabled = self.isEnabled()
        p.fillRect(self.rect(), QColor("#ffffff") if enabled else QColor("#eeeeee"))
        if hint:
            p.setPen(QPen(QColor("#bbbbbb"), 1, Qt.PenStyle.DashLine))
            base = self.height() - 28
            p.drawLine(16, base, self.width() - 16, base)
            if not self.strokes:
                p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.hint)
        ink = QColor("#10206a") if enabled else QColor("#888888")
        for stroke in self.strokes:
            for (x0, y0, p0), (x1, y1, p1) in pairwise(stroke):
                pen = QPen(ink, 1.2 + 3.0 * (p0 + p1) / 2)
                pen.setCapStyle(Qt.PenCapStyle.RoundCap)
                p.setPen(pen)
                p.drawLine(QPointF(x0, y0), QPointF(x1, y1))

    def paintEvent(self, _event: QPaintEvent) -> None:
        p = QPainter(self)
        self._paint(p, hint=True)
        p.setPen(QPen(QColor("#888888")))
        p.drawRect(self.rect().adjusted(0, 0, -1, -1))
        p.end()

    def to_png(self) -> bytes:
        """The signature alone (no hint, no frame) on white, as PNG."""
        image = QImage(self.size(), QImage.Format.Format_RGB32)
        image.fill(QColor("#ffffff"))
        p = QPainter(image)
        self._paint(p, hint=False)
        p.end()
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        image.save(buffer, "PNG")  # type: ignore[call-overload]  # the stubs say bytes; Qt takes str
        buffer.close()
        return bytes(data.data())
