"""A flow window follows the other desks: it reads its data again when the change feed has news.

The feed (:meth:`~epimanager.store.database.Database.change_feed`) is drained every ``poll_ms`` (a
change shows within a second); a read also comes every ``refresh_ms`` regardless (the minutes shown
move on; a lost notification is caught up).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

from epimanager.store.database import Database

POLL_MS = 400
SERVER_REFRESH_MS = 1000
FILE_REFRESH_MS = 10000


class Follower(QObject):
    def __init__(self, parent: QObject, db: Database, reload: Callable[[], None]) -> None:
        super().__init__(parent)
        self.feed = db.change_feed()
        self._reload = reload
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._on_feed)
        self._poll.start()
        self._refresh = QTimer(self)
        self._refresh.setInterval(SERVER_REFRESH_MS if db.server is not None else FILE_REFRESH_MS)
        self._refresh.timeout.connect(reload)
        self._refresh.start()

    def _on_feed(self) -> None:
        state = self.feed.drain()
        if state.everything or state.children:
            self._reload()

    def stop(self) -> None:
        self._poll.stop()
        self._refresh.stop()
        self.feed.stop()
