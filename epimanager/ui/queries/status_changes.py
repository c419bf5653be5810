"""在册变更查询 screen."""

from __future__ import annotations

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QComboBox, QWidget

from epimanager.domain.codes import Status
from epimanager.services.queries.common import Query
from epimanager.services.queries.status_changes import StatusChangeQuery
from epimanager.store.database import Database
from epimanager.ui.code_labels import tr_code
from epimanager.ui.dates import to_date
from epimanager.ui.i18n import QT_TRANSLATE_NOOP
from epimanager.ui.queries.screen import QueryScreen, all_label, committee_combo, date_edit


class StatusChangeQueryScreen(QueryScreen):
    """在册情况 changes by date range, new status and 区域划分."""

    title = QT_TRANSLATE_NOOP("Queries", "在册变更查询")

    def __init__(self, db: Database, user: str, parent: QWidget | None = None) -> None:
        super().__init__(db, user, parent)
        today = QDate.currentDate()
        self.start = date_edit(QDate(today.year(), 1, 1))
        self.end = date_edit(today)
        self.status_combo = QComboBox()
        self.status_combo.addItem(all_label(), None)
        for s in Status:
            self.status_combo.addItem(tr_code(s.label), int(s))
        self.committee = committee_combo(db)
        self.filters.addRow(self.tr("变更日期从"), self.start)
        self.filters.addRow(self.tr("到"), self.end)
        self.filters.addRow(self.tr("新在册情况"), self.status_combo)
        self.filters.addRow(self.tr("区域划分"), self.committee)

    def build_query(self) -> Query:
        return StatusChangeQuery(
            to_date(self.start.date()),
            to_date(self.end.date()),
            status=self.status_combo.currentData(),
            committee=self.committee.currentData(),
        )
