"""Automatic upload in the background (Qt-free; the GUI starts it and relays its callbacks).

Every ``interval_s`` seconds (``sync.auto_interval_s``, 0 = off; read again on
each round) it checks that the platform is reachable and, if records are
waiting, uploads them.  A round that fails, or leaves records the platform did
not answer, doubles the wait before the next one (up to :data:`MAX_BACKOFF_S`);
a complete round goes back to the interval.  Callbacks run on the uploader's thread: a GUI must
hand them to its own thread (e.g. a Qt signal).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from epimanager.errors import EpiError
from epimanager.store.database import Database
from epimanager.sync import queue
from epimanager.sync.client import RetryPolicy
from epimanager.sync.config import load_settings
from epimanager.sync.upload import Progress, UploadReport, make_client, upload

log = logging.getLogger(__name__)

#: the longest wait between rounds after failures (one hour)
MAX_BACKOFF_S = 3600.0

#: ``on_done(report, error)``: exactly one of them is set; error is a Chinese message
Done = Callable[[UploadReport | None, str | None], None]


class AutoUploader:
    def __init__(
        self,
        db: Database,
        *,
        on_done: Done | None = None,
        on_progress: Progress | None = None,
        interval_s: float | None = None,
        first_delay_s: float = 5.0,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.db = db
        self.on_done = on_done
        self.on_progress = on_progress
        self._interval_override = interval_s
        self._first_delay = first_delay_s
        self._policy = policy
        #: rounds in a row that failed or left records unanswered
        self.failures = 0
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self.rounds = 0

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="epimanager-auto-upload", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop after the batch in flight (it is resumed next time if cut short)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def trigger(self) -> None:
        """Upload now instead of at the next tick."""
        self._wake.set()

    def _interval(self) -> float:
        if self._interval_override is not None:
            return self._interval_override
        return float(load_settings(self.db).interval_s)

    def _loop(self) -> None:
        delay = self._first_delay
        while not self._stop.is_set():
            self._wake.wait(delay)
            self._wake.clear()
            if self._stop.is_set():
                return
            interval = self._interval()
            delay = interval if interval > 0 else 60.0
            if interval <= 0:
                continue  # automatic upload is off; look again later
            self.run_once()
            if self.failures:
                delay = min(MAX_BACKOFF_S, max(delay, interval * 2**self.failures))

    def run_once(self) -> UploadReport | None:
        """One round: skip quietly when nothing waits or the platform is unreachable."""
        self.rounds += 1
        try:
            settings = load_settings(self.db)
            if not settings.url or not queue.count_waiting(self.db):
                return None
            client = make_client(self.db, settings=settings, policy=self._policy)
            try:
                if not client.ping():
                    return None
                report = upload(self.db, client=client, progress=self.on_progress, stop=self._stop)
            finally:
                client.close()
        except EpiError as exc:
            self.failures += 1
            if self.on_done:
                self.on_done(None, exc.message)
            return None
        except Exception:  # a bug must not kill the uploader thread
            self.failures += 1
            log.exception("automatic upload failed")
            if self.on_done:
                self.on_done(None, "自动上传出错（程序错误，已记录日志）")
            return None
        self.failures = 0 if report.complete or not report.unanswered else self.failures + 1
        if self.on_done:
            self.on_done(report, None)
        return report
