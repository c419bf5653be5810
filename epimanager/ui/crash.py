"""The crash handler: the last stop for an exception nobody caught.

- A known error (:class:`~epimanager.errors.EpiError`, e.g. ``DatabaseError`` when the
  database is locked, busy, full or read-only) is not a program bug: the nurse sees its Chinese
  message in a plain message box (:func:`epimanager.ui.notify.warning`). So is an error of the
  machine that nobody turned into one: a full disk (``ENOSPC``: "磁盘空间不足…") or a damaged
  database (:func:`epimanager.services.environment.known_error`).
- Anything else is a bug: a dialog says so, with the traceback to copy for support.

Views still catch known errors where they happen and show them in place; this handler is
what ``sys.excepthook`` (a slot on the UI thread), ``threading.excepthook`` (a thread of
another package) and :mod:`epimanager.ui.worker` (a background job) end in, so nothing
vanishes into a console nobody reads at a clinic.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from dataclasses import dataclass
from types import TracebackType

from PySide6.QtCore import QCoreApplication, QMetaObject, QObject, Qt, Slot
from PySide6.QtWidgets import QApplication, QMessageBox

from epimanager import __version__
from epimanager.errors import EpiError
from epimanager.ui import notify
from epimanager.ui.fixes import worded

log = logging.getLogger("epimanager.crash")


def details(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> str:
    return f"EpiManager {__version__}\n" + "".join(traceback.format_exception(kind, value, tb))


@dataclass(frozen=True)
class _Report:
    text: str  # the message (known error) or the traceback (bug)
    bug: bool


class _Reporter(QObject):
    """Shows the reports one after another on the UI thread."""

    def __init__(self) -> None:
        super().__init__()
        self.pending: list[_Report] = []
        self.showing = False

    @Slot()
    def show(self) -> None:
        if self.showing:
            return
        self.showing = True
        try:
            while self.pending:
                report = self.pending.pop(0)
                if not report.bug:
                    notify.warning(QApplication.activeWindow(), "EpiManager", report.text)
                    continue
                box = QMessageBox(QMessageBox.Icon.Critical, "EpiManager", box_text(), QMessageBox.StandardButton.Ok)
                box.setDetailedText(report.text)
                box.exec()
        finally:
            self.showing = False


def box_text() -> str:
    return QCoreApplication.translate(
        "Crash", "程序出现意外错误（程序缺陷）。已保存的数据不受影响。\n请点“显示详细信息”，复制内容发给技术支持。"
    )


_reporter: _Reporter | None = None


def _known(value: BaseException) -> EpiError | None:
    """A known error, or one of the machine (a full disk, a damaged database): a message, not a bug."""
    if isinstance(value, EpiError):
        return value
    from epimanager.services.environment import known_error

    return known_error(value)


def install() -> None:
    """Route uncaught exceptions (UI and other threads) to a message (known errors) or the crash dialog."""
    global _reporter  # noqa: PLW0603 - one handler per process
    _reporter = _Reporter()
    reporter = _reporter

    def hook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, value, tb)
            return
        known = _known(value)
        if known is not None:
            log.warning("%s reached the top: %s", kind.__name__, known.message)
            reporter.pending.append(_Report(worded(known), bug=False))
        else:
            text = details(kind, value, tb)
            log.error("uncaught exception\n%s", text)
            sys.stderr.write(text)
            reporter.pending.append(_Report(text, bug=True))
        if QApplication.instance() is not None:
            QMetaObject.invokeMethod(reporter, "show", Qt.ConnectionType.QueuedConnection)

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        hook(args.exc_type, args.exc_value or args.exc_type(), args.exc_traceback)

    sys.excepthook = hook
    threading.excepthook = thread_hook
