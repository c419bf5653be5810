"""个案变更查询 screen (the audit log)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QDate
from PySide6.QtWidgets import QComboBox, QLineEdit, QWidget

from epimanager.services.queries.changes import CHANGE_KINDS, ChangeQuery
from epimanager.services.queries.common import Query
from epimanager.store.database import Database
from epimanager.ui.dates import to_date
from epimanager.ui.i18n import QT_TRANSLATE_NOOP
from epimanager.ui.queries.screen import QueryScreen, all_label, date_edit

#: The change kinds of :data:`CHANGE_KINDS` (service data), listed for translation.
_KIND_LABELS = (
    QT_TRANSLATE_NOOP("Queries", "基本资料"),
    QT_TRANSLATE_NOOP("Queries", "接种剂次"),
    QT_TRANSLATE_NOOP("Queries", "删除个案"),
)


class ChangeQueryScreen(QueryScreen):
    """Changes to children's basic data and doses, and deleted children; newest first."""

    title = QT_TRANSLATE_NOOP("Queries", "个案变更查询")

    def __init__(self, db: Database, user: str, parent: QWidget | None = None) -> None:
        super().__init__(db, user, parent)
        today = QDate.currentDate()
        self.start = date_edit(today.addMonths(-1))
        self.end = date_edit(today)
        self.kind = QComboBox()
        self.kind.addItem(all_label(), None)
        for k in CHANGE_KINDS:
            self.kind.addItem(QCoreApplication.translate("Queries", k), k)
        self.user_edit = QLineEdit()
        self.child = QLineEdit()
        self.child.setPlaceholderText(self.tr("儿童编码"))
        self.filters.addRow(self.tr("日期从"), self.start)
        self.filters.addRow(self.tr("到"), self.end)
        self.filters.addRow(self.tr("类别"), self.kind)
        self.filters.addRow(self.tr("操作员"), self.user_edit)
        self.filters.addRow(self.tr("儿童"), self.child)

    def build_query(self) -> Query:
        return ChangeQuery(
            to_date(self.start.date()),
            to_date(self.end.date()),
            kind=self.kind.currentData(),
            user=self.user_edit.text().strip() or None,
            child_code=self.child.text().strip() or None,
        )
