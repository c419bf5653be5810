"""接种明细查询 screen."""

from __future__ import annotations

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QComboBox, QLineEdit, QWidget

from epimanager.domain.codes import DoseAttribute
from epimanager.services.queries.common import Query
from epimanager.services.queries.doses import PLACE_OTHER, PLACE_OWN, DoseQuery
from epimanager.store.database import Database
from epimanager.ui.code_labels import tr_code
from epimanager.ui.dates import to_date
from epimanager.ui.i18n import QT_TRANSLATE_NOOP
from epimanager.ui.queries.screen import QueryScreen, all_label, committee_combo, date_edit


class DoseQueryScreen(QueryScreen):
    """Doses in a date range with the child's basic data."""

    title = QT_TRANSLATE_NOOP("Queries", "接种明细查询")

    def __init__(self, db: Database, user: str, parent: QWidget | None = None) -> None:
        super().__init__(db, user, parent)
        today = QDate.currentDate()
        self.start = date_edit(QDate(today.year(), today.month(), 1))
        self.end = date_edit(today)
        self.vaccine = QLineEdit()
        self.vaccine.setPlaceholderText(self.tr("HepB、乙肝、0201 …"))
        self.batch = QLineEdit()
        self.nurse = QLineEdit()
        self.attribute = QComboBox()
        self.attribute.addItem(all_label(), None)
        for a in DoseAttribute:
            self.attribute.addItem(tr_code(a.label), a.label)
        self.place = QComboBox()
        self.place.addItem(all_label(), None)
        self.place.addItem(self.tr("本单位"), PLACE_OWN)
        self.place.addItem(self.tr("外单位/外地"), PLACE_OTHER)
        self.committee = committee_combo(db)
        self.filters.addRow(self.tr("接种日期从"), self.start)
        self.filters.addRow(self.tr("到"), self.end)
        self.filters.addRow(self.tr("疫苗"), self.vaccine)
        self.filters.addRow(self.tr("批号"), self.batch)
        self.filters.addRow(self.tr("接种护士"), self.nurse)
        self.filters.addRow(self.tr("接种属性"), self.attribute)
        self.filters.addRow(self.tr("接种地点"), self.place)
        self.filters.addRow(self.tr("区域划分"), self.committee)

    def build_query(self) -> Query:
        return DoseQuery(
            to_date(self.start.date()),
            to_date(self.end.date()),
            vaccine=self.vaccine.text().strip() or None,
            batch=self.batch.text().strip() or None,
            nurse=self.nurse.text().strip() or None,
            attribute=self.attribute.currentData(),
            place=self.place.currentData(),
            committee=self.committee.currentData(),
        )
