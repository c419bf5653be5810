"""管理门诊查询 screen."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QComboBox, QLineEdit, QWidget

from epimanager.domain.codes import Status
from epimanager.services.queries.common import Query
from epimanager.services.queries.managed import MANAGED, ManagedQuery
from epimanager.store.database import Database
from epimanager.ui.code_labels import tr_code
from epimanager.ui.i18n import QT_TRANSLATE_NOOP
from epimanager.ui.queries.screen import QueryScreen, all_label, committee_combo

IN_REGISTER = QT_TRANSLATE_NOOP("Queries", "在册（本单位管理）")


class ManagedQueryScreen(QueryScreen):
    """Children by managing unit, 区域划分 and 在册情况."""

    title = QT_TRANSLATE_NOOP("Queries", "管理门诊查询")

    def __init__(self, db: Database, user: str, parent: QWidget | None = None) -> None:
        super().__init__(db, user, parent)
        self.unit = QLineEdit(db.own_unit_code())
        self.unit.setPlaceholderText(self.tr("管理单位编码（空 = 全部）"))
        self.committee = committee_combo(db)
        self.status_combo = QComboBox()
        self.status_combo.addItem(
            QCoreApplication.translate("Queries", str(IN_REGISTER)), tuple(int(s) for s in MANAGED)
        )
        self.status_combo.addItem(all_label(), None)
        for s in Status:
            self.status_combo.addItem(tr_code(s.label), (int(s),))
        self.filters.addRow(self.tr("管理单位"), self.unit)
        self.filters.addRow(self.tr("区域划分"), self.committee)
        self.filters.addRow(self.tr("在册情况"), self.status_combo)

    def build_query(self) -> Query:
        statuses = self.status_combo.currentData()
        return ManagedQuery(
            managing_unit=self.unit.text().strip() or None,
            committee=self.committee.currentData(),
            statuses=tuple(statuses) if statuses is not None else None,
        )
