"""The crash handler: an unexpected exception (a bug) shows a dialog with copyable details.

Known errors (:class:`~epimanager.errors.EpiError`) are handled where they happen and shown
with their Chinese message; anything else that escapes a slot reaches ``sys.excepthook``
(or ``threading.excepthook`` for worker threads) and lands here instead of vanishing into a
console nobody reads at a clinic.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from types import TracebackType

from PySide6.QtCore import QMetaObject, QObject, Qt, Slot
from PySide6.QtWidgets import QApplication, QMessageBox

from epimanager import __version__

log = logging.getLogger("epimanager.crash")


def details(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> str:
    return f"EpiManager {__version__}\n" + "".join(traceback.format_exception(kind, value, tb))


class _Reporter(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.pending: list[str] = []
        self.showing = False

    @Slot()
    def show(self) -> None:
        if self.showing:
            return
        self.showing = True
        try:
            while self.pending:
                text = self.pending.pop(0)
                box = QMessageBox(QMessageBox.Icon.Critical, "EpiManager", box_text(), QMessageBox.StandardButton.Ok)
                box.setDetailedText(text)
                box.exec()
        finally:
            self.showing = False


def box_text() -> str:
    from PySide6.QtCore import QCoreApplication

    return QCoreApplication.translate(
        "Crash", "程序出现意外错误（程序缺陷）。已保存的数据不受影响。\n请点“显示详细信息”，复制内容发给技术支持。"
    )


_reporter: _Reporter | None = None


def install() -> None:
    """Route uncaught exceptions (UI and worker threads) to the crash dialog."""
    global _reporter  # noqa: PLW0603 - one handler per process
    _reporter = _Reporter()
    reporter = _reporter

    def hook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, value, tb)
            return
        text = details(kind, value, tb)
        log.error("uncaught exception\n%s", text)
        sys.stderr.write(text)
        reporter.pending.append(text)
        if QApplication.instance() is not None:
            QMetaObject.invokeMethod(reporter, "show", Qt.ConnectionType.QueuedConnection)

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        hook(args.exc_type, args.exc_value or args.exc_type(), args.exc_traceback)

    sys.excepthook = hook
    threading.excepthook = thread_hook
