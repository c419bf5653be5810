"""The clinic-flow windows of the main window: 叫号屏, 留观看板, 打印排队小票, 接种流程日汇总.

One object per main window keeps each window (opened once, brought forward after that).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QGuiApplication, QScreen
from PySide6.QtWidgets import QInputDialog, QWidget

from epimanager.errors import EpiError
from epimanager.services import visit_order, visits
from epimanager.ui import notify
from epimanager.ui.visits import ticket as tickets
from epimanager.ui.visits.calling_screen import CallingScreen
from epimanager.ui.visits.day_summary import DaySummaryDialog
from epimanager.ui.visits.observe_board import ObserveBoard

if TYPE_CHECKING:
    from epimanager.ui.main_window import MainWindow


def tr(text: str) -> str:
    return QCoreApplication.translate("VisitWindows", text)


def choose_screen(parent: QWidget | None) -> QScreen | None:
    """The screen for the calling screen: asked when there are several (the last one proposed)."""
    screens = QGuiApplication.screens()
    if len(screens) <= 1:
        return screens[0] if screens else None
    names = [f"{i + 1}：{s.name()} {s.geometry().width()}×{s.geometry().height()}" for i, s in enumerate(screens)]
    name, ok = QInputDialog.getItem(parent, tr("叫号屏"), tr("显示在哪个屏幕："), names, len(names) - 1, False)
    return screens[names.index(name)] if ok else None


class VisitWindows:
    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.calling: CallingScreen | None = None
        self.board: ObserveBoard | None = None
        self.summary: DaySummaryDialog | None = None
        #: today's order lines on the ticket (ticket → lines; none when 登记 has not set one)
        #: (the ticket prints its own heading: the service's first line is left out)
        self.order_lines: tickets.OrderLines | None = lambda ticket: visit_order.order_lines(window.db, ticket)[1:]

    def open_calling_screen(self, full_screen: bool = True) -> CallingScreen | None:
        w = self.window
        if self.calling is None or not self.calling.isVisible():
            screen = choose_screen(w) if full_screen else None
            if full_screen and screen is None:
                return None
            if self.calling is not None:
                self.calling.deleteLater()  # closed earlier: its feed and timers are stopped
            self.calling = CallingScreen(w.db, w.settings, w._settings_path, title=w.info.name, today=w.today, parent=w)
            self.calling.speech_changed.connect(self._speech_changed)
            self.calling.open_on(screen, full_screen)
        else:
            self.calling.raise_()
            self.calling.activateWindow()
        return self.calling

    def _speech_changed(self, on: bool) -> None:
        self.window.settings = replace(self.window.settings, calling_speech=on)

    def open_observe_board(self) -> ObserveBoard:
        if self.board is None or not self.board.isVisible():
            if self.board is not None:
                self.board.deleteLater()
            self.board = ObserveBoard(self.window.db, parent=self.window)
        self.board.start()
        return self.board

    def open_summary(self) -> DaySummaryDialog:
        w = self.window
        if self.summary is None:
            self.summary = DaySummaryDialog(w.db, w.info.name, today=w.today, parent=w)
        self.summary.show()
        self.summary.raise_()
        self.summary.activateWindow()
        self.summary.day.setFocus()
        return self.summary

    def print_ticket(self) -> bool:
        """Asks a ticket of today (and the paper), then Qt's print dialog."""
        w = self.window
        text = notify.ask_text(w, tr("打印排队小票"), tr("号（如 A012）："))
        if not (text or "").strip():
            return False
        assert text is not None
        today = w.today()
        try:
            record = visits.find_by_payload(w.db, f"EPIV:{today.isoformat()}:{text.strip()}")
        except EpiError as exc:
            notify.warning(w, tr("打印排队小票"), exc.message)
            return False
        if record is None:
            notify.warning(w, tr("打印排队小票"), tr("号应为 A 或 Y 加三位数字，如 A012"))
            return False
        papers = [tr("80 mm 小票"), tr("58 mm 小票"), tr("A4")]
        choice, ok = QInputDialog.getItem(w, tr("打印排队小票"), tr("纸张："), papers, 0, False)
        if not ok:
            return False
        paper = (tickets.Paper.ROLL_80, tickets.Paper.ROLL_58, tickets.Paper.A4)[papers.index(choice)]
        return self.print_ticket_for(record, paper)

    def print_ticket_for(self, record: visits.VisitRecord, paper: tickets.Paper = tickets.Paper.ROLL_80) -> bool:
        """Qt's print dialog for ``record``'s ticket (e.g. right after 取号 at a desk)."""
        w = self.window
        return tickets.print_with_dialog(tickets.content(record, w.info.name, self.order_lines), w, paper)

    def close(self) -> None:
        for window in (self.calling, self.board):
            if window is not None:
                window.close()
