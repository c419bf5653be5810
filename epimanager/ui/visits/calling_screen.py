"""叫号屏: a full-screen window for a TV or a second monitor, readable from 5 m.

The newest call in very large type ("请 A012 号 徐*瑶 到 2 号接种台", names masked), the calls
before it, the next tickets of each called step and how many wait.  It reads
:func:`~epimanager.services.visit_boards.calling_board` whenever the database change feed reports a
change (:mod:`.follow`: polled every 400 ms; on a clinic server it also reads every second, which
keeps the clock going), so another desk's call shows within a second.  A new call or a recall (a new
call event) plays the chime and speaks the call (:mod:`.announcer`); 语音播报 in the right-click
menu turns speech off (``Settings.calling_speech``).

Keys: F11 full screen on/off; Esc leaves full screen, or closes the window.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QFont, QFontMetrics, QKeyEvent, QResizeEvent, QScreen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from epimanager import settings as prefs
from epimanager.domain.visit_ticket import call_sentence, spoken_call
from epimanager.services.visit_boards import CallingBoard, calling_board
from epimanager.settings import Settings
from epimanager.store.database import Database
from epimanager.ui.visits.announcer import Announcer
from epimanager.ui.visits.follow import Follower
from epimanager.ui.worker import Latest

#: calls shown under the newest one
EARLIER_CALLS = 3

_STYLE = """
CallingScreen { background: #0b2545; }
QLabel { color: #ffffff; }
QLabel#callNow { color: #ffd23f; }
QLabel#earlier { color: #d6e4f0; }
QLabel#nextLine { color: #9fd8cb; }
QLabel#waiting, QLabel#clock { color: #ffffff; }
"""


class CallingScreen(QWidget):
    """``speech_changed(on)`` when 语音播报 is switched (already saved in settings.json)."""

    speech_changed = Signal(bool)

    def __init__(
        self,
        db: Database,
        settings: Settings,
        settings_path: Path | None = None,
        *,
        title: str = "",
        today: Callable[[], date] = date.today,
        now: Callable[[], datetime] = datetime.now,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("callingScreen")
        self.db = db
        self.settings = settings
        self._settings_path = settings_path
        self._today, self._now = today, now
        self.setWindowTitle(self.tr("叫号屏") + (f" · {title}" if title else ""))
        self.setStyleSheet(_STYLE)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.resize(1280, 720)
        self.heading = QLabel(title or self.tr("叫号"))
        self.heading.setObjectName("heading")
        self.clock = QLabel()
        self.clock.setObjectName("clock")
        self.clock.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        top = QHBoxLayout()
        top.addWidget(self.heading, 1)
        top.addWidget(self.clock)
        self.call_now = QLabel(self.tr("请稍候"))
        self.call_now.setObjectName("callNow")
        self.call_now.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.call_now.setWordWrap(True)
        self.earlier = QLabel()
        self.earlier.setObjectName("earlier")
        self.earlier.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.next_lines = QLabel()
        self.next_lines.setObjectName("nextLine")
        self.waiting = QLabel()
        self.waiting.setObjectName("waiting")
        self.waiting.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom)
        bottom = QHBoxLayout()
        bottom.addWidget(self.next_lines, 1)
        bottom.addWidget(self.waiting)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(40, 24, 40, 24)
        layout.addLayout(top)
        layout.addStretch(1)
        layout.addWidget(self.call_now)
        layout.addSpacing(24)
        layout.addWidget(self.earlier)
        layout.addStretch(1)
        layout.addLayout(bottom)

        self.speech_action = QAction(self.tr("语音播报(&S)"), self)
        self.speech_action.setCheckable(True)
        self.speech_action.setChecked(settings.calling_speech)
        self.speech_action.toggled.connect(self._set_speech)
        full = QAction(self.tr("全屏(&F)"), self)
        full.triggered.connect(self.toggle_full_screen)
        close = QAction(self.tr("关闭(&C)"), self)
        close.triggered.connect(self.close)
        for action in (self.speech_action, full, close):
            self.addAction(action)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)

        self.announcer = Announcer(self, speech=settings.calling_speech)
        self.board: CallingBoard | None = None
        self.announced: list[str] = []  # what was announced (newest last)
        self._last_call_id: int | None = None  # None: nothing read yet (calls already on are not announced)
        self._reader = Latest(self)
        self.follower = Follower(self, db, self.reload)
        self._fit_fonts()
        self.reload()

    # -- reading ----------------------------------------------------------------------------

    def reload(self) -> None:
        db, day = self.db, self._today()
        self._reader.run(lambda: calling_board(db, day), on_done=self.show_board, on_error=self._error)

    def _error(self, exc: Exception) -> None:
        self.waiting.setText(str(getattr(exc, "message", exc)))

    def show_board(self, board: CallingBoard) -> None:
        self.board = board
        self.clock.setText(self._now().strftime("%H:%M"))
        calls = board.calls
        if calls:
            self.call_now.setText(call_sentence(calls[0].ticket, calls[0].child_name, calls[0].desk))
        else:
            self.call_now.setText(self.tr("请留意叫号"))
        self._fit_fonts()
        self.earlier.setText(
            "\n".join(call_sentence(c.ticket, c.child_name, c.desk) for c in calls[1 : 1 + EARLIER_CALLS])
        )
        lines = []
        for step in board.steps:
            tickets = board.next_by_step.get(step, [])
            shown = "  ".join(tickets) if tickets else self.tr("无")
            lines.append(self.tr("%1 下一位：%2").replace("%1", step).replace("%2", shown))
        self.next_lines.setText("\n".join(lines))
        self.waiting.setText(self.tr("等候 %1 人").replace("%1", str(board.waiting)))
        newest = max((c.call_id for c in calls), default=0)
        if self._last_call_id is not None:
            for c in sorted(calls, key=lambda c: c.call_id):
                if c.call_id > self._last_call_id:
                    self.announced.append(call_sentence(c.ticket, c.child_name, c.desk))
                    self.announcer.announce(spoken_call(c.ticket, c.desk))
        self._last_call_id = max(newest, self._last_call_id or 0)

    # -- look and keys ------------------------------------------------------------------------

    def _fit_fonts(self) -> None:
        h = max(self.height(), 300)

        def font(pixels: float, bold: bool = False) -> QFont:
            f = QFont(self.font())
            f.setPixelSize(max(12, int(pixels)))
            f.setBold(bold)
            return f

        self.call_now.setFont(self._fitting(self.call_now.text(), font(h / 8, bold=True)))
        self.earlier.setFont(font(h / 17))
        self.next_lines.setFont(font(h / 20))
        self.waiting.setFont(font(h / 14, bold=True))
        self.heading.setFont(font(h / 18, bold=True))
        self.clock.setFont(font(h / 18, bold=True))

    def _fitting(self, text: str, font: QFont) -> QFont:
        """``font`` made smaller until ``text`` fits on one line of the window (not below half its size)."""
        room = self.width() - 100
        smallest = font.pixelSize() // 2
        while font.pixelSize() > smallest and QFontMetrics(font).horizontalAdvance(text) > room:
            font.setPixelSize(font.pixelSize() - 2)
        return font

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_fonts()

    def open_on(self, screen: QScreen | None, full_screen: bool = True) -> None:
        """Show the window on ``screen`` (None: where it is), full screen when asked."""
        if screen is not None:
            self.setScreen(screen)
            self.move(screen.geometry().topLeft())
        if full_screen:
            self.showFullScreen()
        else:
            self.show()
        self.raise_()
        self.activateWindow()

    def toggle_full_screen(self) -> None:
        if self.isFullScreen():
            self.showNormal()
        else:
            self.showFullScreen()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_F11:
            self.toggle_full_screen()
            return
        if event.key() == Qt.Key.Key_Escape:
            if self.isFullScreen():
                self.showNormal()
            else:
                self.close()
            return
        super().keyPressEvent(event)

    def _set_speech(self, on: bool) -> None:
        self.announcer.speech = on
        self.settings = replace(self.settings, calling_speech=on)
        prefs.save(replace(prefs.load(self._settings_path), calling_speech=on), self._settings_path)
        self.speech_changed.emit(on)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.follower.stop()
        self.announcer.stop()
        super().closeEvent(event)
