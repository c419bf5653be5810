"""A form's save waiting for the clinic server: kept in the form, saved by itself when the server is back.

A save that fails with :class:`~epimanager.store.database.ServerLost` leaves the form open with
what the nurse typed; :class:`SaveRetry` then asks the server every few seconds, off the UI thread,
and calls the form's save again once it answers.  The form chose its record's id when it opened,
so a first attempt that was committed (only its answer lost) is found, not saved twice.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QObject, QTimer
from PySide6.QtWidgets import QDialog

from epimanager.store.database import Database, ServerLost
from epimanager.ui.worker import run_in_background

#: How often a save waiting for the clinic server looks whether it is back.
RETRY_MS = 2000


class SaveRetry(QObject):
    """Retries ``save`` for ``dialog`` once ``db`` answers again; stops when the dialog closes."""

    def __init__(self, dialog: QDialog, db: Database, save: Callable[[], object]) -> None:
        super().__init__(dialog)
        self._dialog, self._db, self._save = dialog, db, save
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(RETRY_MS)
        self._timer.timeout.connect(self._probe)
        dialog.finished.connect(self._timer.stop)

    @property
    def waiting(self) -> bool:
        return self._timer.isActive()

    def start(self, lost: ServerLost) -> str:
        """Wait for the server; the text for the form's message line."""
        self._timer.start()
        return (
            lost.message
            + "\n"
            + QCoreApplication.translate("SaveRetry", "已填写的内容保留在此，连上服务器后自动保存（Esc 取消）")
        )

    def stop(self) -> None:
        self._timer.stop()

    def _probe(self) -> None:
        run_in_background(self._db.ping, on_done=self._back, on_error=self._still_lost, owner=self)

    def _back(self, _: object) -> None:
        if self._dialog.isVisible():  # not cancelled meanwhile
            self._save()

    def _still_lost(self, _: object) -> None:
        if self._dialog.isVisible():
            self._timer.start()
