"""The one way the GUI runs work off the UI thread.

``run_in_background(fn, on_done=…, on_error=…, on_progress=…, owner=…)`` runs ``fn()`` on a
thread of the GUI's thread pool and returns a :class:`Job`:

- ``on_done(result)``, ``on_error(error)`` and ``on_progress(done, of)`` are called on the UI
  thread (through a queued signal), never on the worker thread; ``fn`` must not touch widgets.
- ``fn`` takes no arguments (bind them with a lambda or ``functools.partial``, which mypy checks;
  it does not check ``*args`` through overloads yet).  With ``on_progress``, ``fn`` gets a
  thread-safe progress callback instead (``lambda progress: upload(db, progress=progress)``).
- A known error (:class:`~epimanager.errors.EpiError`, including ``DatabaseError`` for a locked,
  busy, full or read-only database) goes to ``on_error``; without one it is shown to the nurse
  as a plain message box.  Anything else is a bug: it is handed to ``sys.excepthook`` on the UI
  thread, i.e. the crash dialog (:mod:`epimanager.ui.crash`).
- :meth:`Job.cancel` (also done when ``owner`` is destroyed) means nothing more is delivered;
  ``fn`` may look at :attr:`Job.cancelled` to stop early.  :class:`Latest` keeps only the newest
  job of a view (typing in F3 never shows stale rows).

Only the job's own queued signal crosses threads; results wait in the job (set before the
signal is emitted), so no Python object travels through a queued connection.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
from collections.abc import Callable
from queue import Empty, SimpleQueue
from typing import Any, TypeVar, overload

from PySide6.QtCore import QCoreApplication, QEventLoop, QObject, Qt, QThreadPool, Signal, Slot
from PySide6.QtWidgets import QWidget

from epimanager.errors import EpiError
from epimanager.ui import notify
from epimanager.ui.fixes import worded

log = logging.getLogger("epimanager.ui.worker")

T = TypeVar("T")
M = TypeVar("M")  # what a progress report carries besides the count (a total, a message)

#: ``progress(done, total_or_message)`` as the services take it
Progress = Callable[[int, M], None]

_POOL_THREADS = 8  # searches must not queue behind a long upload or report
_pool: QThreadPool | None = None
_live: set[Job] = set()  # jobs not yet delivered (a caller may drop its handle)


def _thread_pool() -> QThreadPool:
    """The GUI's own pool, owned by the application (it waits for its threads when the app goes)."""
    global _pool  # noqa: PLW0603 - one pool per application
    if _pool is None:
        _pool = QThreadPool(QCoreApplication.instance())
        _pool.setMaxThreadCount(max(_POOL_THREADS, QThreadPool.globalInstance().maxThreadCount()))
        _pool.destroyed.connect(_forget_pool)
    return _pool


def _forget_pool() -> None:
    global _pool  # noqa: PLW0603
    _pool = None


class UiCall(QObject):
    """A thread-safe callable that runs ``fn(*args)`` on the thread that created it (the UI thread).

    For callbacks that another package calls from its own thread (the automatic uploader).
    """

    _ping = Signal()

    def __init__(self, fn: Callable[..., object], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._fn = fn
        self._calls: SimpleQueue[tuple[Any, ...]] = SimpleQueue()
        self._ping.connect(self._drain, Qt.ConnectionType.QueuedConnection)

    def __call__(self, *args: Any) -> None:
        self._calls.put(args)
        # the receiver may be gone (its window closed while the other thread ran): nobody to tell
        with contextlib.suppress(RuntimeError):
            self._ping.emit()

    @Slot()
    def _drain(self) -> None:
        while True:
            try:
                args = self._calls.get_nowait()
            except Empty:
                return
            self._fn(*args)


class Job(QObject):
    """A handle on one piece of background work.  ``finished`` fires on the UI thread once the
    outcome was delivered (or dropped because the job was cancelled)."""

    finished = Signal()

    def __init__(
        self,
        on_done: Callable[[Any], object] | None,
        on_error: Callable[[EpiError], object] | None,
        on_progress: Callable[[int, Any], object] | None,
        owner: QObject | None,
    ) -> None:
        super().__init__()  # no parent: the worker thread may outlive the owner
        self._on_done, self._on_error, self._on_progress = on_done, on_error, on_progress
        self._owner = owner
        self._takes_progress = on_progress is not None
        self._cancel = threading.Event()
        self._returned = threading.Event()  # fn has returned (set on the worker thread)
        self._result: Any = None
        self._error: BaseException | None = None
        self.running = True
        self._to_ui = UiCall(self._deliver, self)
        if owner is not None:
            owner.destroyed.connect(self.cancel)

    @property
    def cancelled(self) -> bool:
        """True once :meth:`cancel` was called (safe to read from the worker thread)."""
        return self._cancel.is_set()

    def cancel(self) -> None:
        """Deliver nothing more; a running ``fn`` finishes unless it checks :attr:`cancelled`."""
        self._cancel.set()
        self._on_done = self._on_error = self._on_progress = None

    def wait(self) -> None:
        """Process events until the outcome was delivered (a backup after the main loop ended)."""
        while self.running:
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            self._returned.wait(0.02)

    # -- worker thread ---------------------------------------------------------------------

    def _run(self, fn: Callable[..., Any]) -> None:
        try:
            self._result = fn(self._report) if self._takes_progress else fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the UI thread: known → message, bug → crash dialog
            self._error = _known(exc) or exc
        self._returned.set()
        self._to_ui("outcome")

    def _report(self, done: int, of: Any) -> None:
        if not self.cancelled:
            self._to_ui("progress", done, of)

    # -- UI thread -------------------------------------------------------------------------

    def _deliver(self, kind: str, *payload: Any) -> None:
        if kind == "progress":
            if self._on_progress is not None and not self.cancelled:
                self._on_progress(*payload)
            return
        self.running = False
        _live.discard(self)
        error, result = self._error, self._result
        self._error = self._result = None
        try:
            if error is not None and not isinstance(error, EpiError):
                sys.excepthook(type(error), error, error.__traceback__)  # a bug, even in a cancelled job
            elif self.cancelled:
                return
            elif error is None:
                if self._on_done is not None:
                    self._on_done(result)
            else:
                log.info("background job refused: %s", error.message)
                if self._on_error is not None:
                    self._on_error(error)
                else:
                    parent = self._owner if isinstance(self._owner, QWidget) else None
                    notify.warning(parent, "EpiManager", worded(error))
        finally:
            self.finished.emit()


def _known(exc: BaseException) -> EpiError | None:
    """A full disk or a damaged database, as the message ``on_error`` shows (None: a bug)."""
    if isinstance(exc, EpiError | KeyboardInterrupt | SystemExit) or not isinstance(exc, Exception):
        return None
    from epimanager.services.environment import known_error

    return known_error(exc)


@overload
def run_in_background(
    fn: Callable[[], T],
    *,
    on_done: Callable[[T], object] | None = None,
    on_error: Callable[[EpiError], object] | None = None,
    owner: QObject | None = None,
) -> Job: ...


@overload
def run_in_background(
    fn: Callable[[Progress[M]], T],
    *,
    on_done: Callable[[T], object] | None = None,
    on_error: Callable[[EpiError], object] | None = None,
    on_progress: Callable[[int, M], object],
    owner: QObject | None = None,
) -> Job: ...


def run_in_background(
    fn: Callable[..., Any],
    *,
    on_done: Callable[[Any], object] | None = None,
    on_error: Callable[[EpiError], object] | None = None,
    on_progress: Callable[[int, Any], object] | None = None,
    owner: QObject | None = None,
) -> Job:
    """Run ``fn`` off the UI thread; see the module docstring."""
    job = Job(on_done, on_error, on_progress, owner)
    _live.add(job)
    _thread_pool().start(lambda: job._run(fn))
    return job


class Latest:
    """The newest job of one view: starting a job cancels the one before."""

    def __init__(self, owner: QObject) -> None:
        self._owner = owner
        self._job: Job | None = None

    @property
    def busy(self) -> bool:
        return self._job is not None and self._job.running

    def cancel(self) -> None:
        if self._job is not None:
            self._job.cancel()
            self._job = None

    def run(
        self,
        fn: Callable[[], T],
        *,
        on_done: Callable[[T], object],
        on_error: Callable[[EpiError], object] | None = None,
    ) -> Job:
        self.cancel()
        self._job = run_in_background(fn, on_done=on_done, on_error=on_error, owner=self._owner)
        return self._job
