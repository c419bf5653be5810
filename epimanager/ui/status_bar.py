"""Status bar: unit, nurse, database, records waiting for upload."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from epimanager.errors import EpiError
from epimanager.ui.worker import Latest

REFRESH_MS = 60_000


class StatusBar(QStatusBar):
    def __init__(
        self, unit: str, db_path: str, pending: Callable[[], int | None], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._pending_fn = pending
        self.unit_label = QLabel(self.tr("单位：%1").replace("%1", unit))
        self.user_label = QLabel()
        self.db_label = QLabel(self.tr("数据库：%1").replace("%1", db_path))
        self.db_label.setToolTip(db_path)
        self.pending_label = QLabel(self.tr("待上传：—"))
        self.pending_label.setObjectName("pendingUploads")
        self.desk_label = QLabel()
        self.desk_label.setObjectName("deskLabel")
        self.lost_label = QLabel()
        self.lost_label.setObjectName("serverLost")
        self.lost_label.setStyleSheet("QLabel { color: white; background: #c62828; padding: 1px 6px; }")
        self.lost_label.hide()
        self.addWidget(self.lost_label)
        for w in (self.unit_label, self.desk_label, self.user_label, self.db_label, self.pending_label):
            self.addPermanentWidget(w)
        self._worker = Latest(self)
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh_pending)
        self._timer.start()

    def set_desk(self, desk: str, on_line: int | None, *, server: bool) -> None:
        text = self.tr("工作站：%1").replace("%1", desk)
        if server and on_line is not None:
            text += self.tr(" · 在线 %1 台").replace("%1", str(on_line))
        self.desk_label.setText(text)

    def set_connection_lost(self, where: str | None) -> None:
        """A red banner while the clinic server cannot be reached (saves are refused, forms keep their values)."""
        if where is None:
            self.lost_label.hide()
            return
        self.lost_label.setText(
            self.tr("与数据库服务器 %1 的连接已断开，正在重试…（已填写的内容会保留，连上后自动保存）").replace(
                "%1", where
            )
        )
        self.lost_label.show()

    def set_user(self, nurse: str) -> None:
        self.user_label.setText(self.tr("操作员：%1").replace("%1", nurse))

    def refresh_pending(self) -> None:
        self._worker.run(self._pending_fn, on_done=self._show_pending, on_error=self._no_count)

    def _show_pending(self, count: int | None) -> None:
        text = "—" if count is None else f"{count:,}"
        self.pending_label.setText(self.tr("待上传：%1").replace("%1", text))
        self.pending_label.setToolTip("")

    def _no_count(self, error: EpiError) -> None:
        # a count the status bar could not read is not worth a dialog every minute
        self._show_pending(None)
        self.pending_label.setToolTip(error.message)
