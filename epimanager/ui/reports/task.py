"""Run one service call off the UI thread; deliver the result on the UI thread."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from epimanager.errors import EpiError


class _Signals(QObject):
    done = Signal(object)
    failed = Signal(str)
    progress = Signal(int, int)


class Task(QRunnable):
    """``fn(progress)`` runs in the thread pool; ``done``/``failed`` fire on the UI thread."""

    def __init__(self, fn: Callable[[Callable[[int, int], None]], Any]) -> None:
        super().__init__()
        self.fn = fn
        self.signals = _Signals()

    def run(self) -> None:
        try:
            result = self.fn(self.signals.progress.emit)
        except EpiError as exc:
            self.signals.failed.emit(exc.message)
            return
        self.signals.done.emit(result)

    def start(self) -> None:
        QThreadPool.globalInstance().start(self)
