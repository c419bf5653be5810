"""Run a service call off the UI thread and get its result back on the UI thread.

Used for calls that may touch many rows on a big database (search, upload
counts).  A newer request supersedes an older one: :class:`Latest` drops
results that arrive after a newer call was started, so typing fast never shows
stale results.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from epimanager.errors import EpiError


class _Signals(QObject):
    # Only plain ints cross the thread boundary; results wait in ``results`` (a dict
    # write is atomic under the GIL), which keeps Python objects out of queued signals.
    done = Signal(int)
    failed = Signal(int)

    def __init__(self) -> None:
        super().__init__()
        self.results: dict[int, Any] = {}


class _Job(QRunnable):
    def __init__(self, seq: int, fn: Callable[[], Any], signals: _Signals) -> None:
        super().__init__()
        self.seq, self.fn, self.signals = seq, fn, signals

    def run(self) -> None:
        try:
            result = self.fn()
        except EpiError as exc:  # known errors go to the view; bugs reach the crash handler
            self.signals.results[self.seq] = exc.message
            self._emit(self.signals.failed)
            return
        self.signals.results[self.seq] = result
        self._emit(self.signals.done)

    def _emit(self, signal: Any) -> None:
        # the view may have been closed while this ran (e.g. at exit): then nobody is told
        with contextlib.suppress(RuntimeError):
            signal.emit(self.seq)


class Latest(QObject):
    """Start jobs; only the newest job's result is delivered (``done(result)`` / ``failed(msg)``)."""

    done = Signal(object)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None, pool: QThreadPool | None = None) -> None:
        super().__init__(parent)
        self._seq = 0
        self._pool = pool or QThreadPool.globalInstance()
        self._signals = _Signals()  # no parent: a job may outlive this object
        self._signals.done.connect(self._done)
        self._signals.failed.connect(self._failed)
        self.busy = False

    def start(self, fn: Callable[[], Any]) -> None:
        self._seq += 1
        self.busy = True
        self._pool.start(_Job(self._seq, fn, self._signals))

    def _done(self, seq: int) -> None:
        result = self._signals.results.pop(seq, None)
        if seq == self._seq:
            self.busy = False
            self.done.emit(result)

    def _failed(self, seq: int) -> None:
        message = self._signals.results.pop(seq, "")
        if seq == self._seq:
            self.busy = False
            self.failed.emit(str(message))
