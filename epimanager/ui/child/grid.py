"""The 接种登记 view: the vaccination grid with the forecast summary above it."""

from __future__ import annotations

import html

from PySide6.QtCore import QModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QMenu, QTableView, QVBoxLayout, QWidget

from epimanager.domain.schedule import Forecast, SeriesStatus
from epimanager.resources import catalog
from epimanager.services.next_visit import NextVisit, next_dose_number
from epimanager.services.records import ChildRecord, DoseRecord
from epimanager.ui.child.model import STATUS_STYLE, VACCINE_ROLE, VaccinationModel, status_label
from epimanager.ui.code_labels import tr_code


class _Table(QTableView):
    activated_key = Signal(QModelIndex)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.activated_key.emit(self.currentIndex())
            return
        super().keyPressEvent(event)


class VaccinationView(QWidget):
    """Emits ``record_requested(vaccine_code)`` and ``edit_requested(dose)``; context menu from the registry."""

    record_requested = Signal(str)
    edit_requested = Signal(object)

    def __init__(self, menu_actions: list[QAction | None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._menu_actions = menu_actions
        self.model = VaccinationModel()
        self.heading = QLabel()
        self.heading.setObjectName("gridHeading")
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.summary = QLabel()
        self.summary.setObjectName("forecastSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.order_line = QLabel()
        self.order_line.setObjectName("todayOrder")
        self.order_line.setWordWrap(True)
        self.order_line.setTextFormat(Qt.TextFormat.PlainText)
        self.order_line.setStyleSheet("background: #e3f2fd; padding: 2px 4px")
        self.order_line.hide()
        self.empty = QLabel(self.tr("按 F3 查找儿童，或按 F2 新建儿童。"))
        self.empty.setObjectName("emptyHint")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.table = _Table()
        self.table.setObjectName("vaccinationGrid")
        self.table.setModel(self.model)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignCenter)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.doubleClicked.connect(self._activate)
        self.table.activated_key.connect(self._activate)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(lambda p: self._context_menu(self.table.mapFrom(self, p)))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.heading)
        layout.addWidget(self.summary)
        layout.addWidget(self.order_line)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty, 1)
        self.set_child(None, None)

    # -- content ------------------------------------------------------------------

    def set_child(self, child: ChildRecord | None, forecast: Forecast | None, visit: NextVisit | None = None) -> None:
        current = self.current_dose()
        self.model.set_child(child, forecast)
        self.table.setVisible(child is not None)
        self.empty.setVisible(child is None)
        if child is None:
            self.heading.setText(self.tr("接种登记"))
            self.summary.setText("")
            return
        self.heading.setText(
            self.tr("接种登记 · %1（%2，%3）")
            .replace("%1", child.name)
            .replace("%2", tr_code(child.sex_label))
            .replace("%3", child.birth_date.isoformat())
        )
        self.summary.setText(self.summary_html(forecast, visit))
        self._fit_columns()
        if current is not None:
            idx = self.model.index_of_dose(current.uuid)
            if idx.isValid():
                self.table.setCurrentIndex(idx)

    def set_order(self, text: str | None) -> None:
        """The line 今日安排（A001）：… of the child's visit today (hidden without an order)."""
        self.order_line.setText(text or "")
        self.order_line.setVisible(bool(text))

    def summary_html(self, forecast: Forecast | None, visit: NextVisit | None = None) -> str:
        """今日应种 / 超期 / 下次: one line each, with the colour *and* the word.  After doses today
        the 下次 line is the receipt's next visit (the same service)."""
        if forecast is None:
            return ""
        cat = catalog()
        doses = self.model.child.doses if self.model.child is not None else ()
        parts: dict[SeriesStatus, list[str]] = {}
        for f in forecast.series:
            number = next_dose_number(forecast, doses, f.series)
            if number is not None and f.vaccine:
                vac = cat.get(f.vaccine)
                name = vac.name if vac else f.vaccine
                when = f.earliest.isoformat() if f.earliest else ""
                parts.setdefault(f.status, []).append(
                    self.tr("%1 第%2剂（%3）").replace("%1", name).replace("%2", str(number)).replace("%3", when)
                )
        if visit is not None and visit.date is not None and any(d.date == visit.visit_day for d in doses):
            parts[SeriesStatus.NOT_YET] = [
                self.tr("%1 第%2剂（%3）")
                .replace("%1", d.name)
                .replace("%2", str(d.dose_number))
                .replace("%3", d.date.isoformat())
                for d in visit.doses
                if d.status is SeriesStatus.NOT_YET
            ]
        next_word = self.tr("下次")
        nothing_due = self.tr("目前没有应种疫苗")
        lines = []
        for status in (SeriesStatus.OVERDUE, SeriesStatus.DUE, SeriesStatus.DEFERRED):
            if status in parts:
                colour = STATUS_STYLE[status][1]
                label = status_label(status)
                lines.append(
                    f'<span style="background:{colour}">&nbsp;<b>{label}</b>&nbsp;</span> ' + "；".join(parts[status])
                )
        upcoming = sorted(parts.get(SeriesStatus.NOT_YET, []), key=lambda s: s[-11:-1])[:3]
        if upcoming:
            colour = STATUS_STYLE[SeriesStatus.NOT_YET][1]
            lines.append(f'<span style="background:{colour}">&nbsp;{next_word}&nbsp;</span> ' + "；".join(upcoming))
        if not lines:
            colour = STATUS_STYLE[SeriesStatus.COMPLETE][1]
            lines.append(f'<span style="background:{colour}">&nbsp;{nothing_due}&nbsp;</span>')
        # what the schedule says about an open dose (HBIG, PPD test, why it comes later)
        for f in forecast.series:
            if f.notes and f.status in (
                SeriesStatus.DUE, SeriesStatus.OVERDUE, SeriesStatus.NOT_YET, SeriesStatus.DEFERRED,
                SeriesStatus.CONTRAINDICATED,
            ):  # fmt: skip
                vac = cat.get(f.vaccine or "")
                name = html.escape(vac.name if vac else f.series)
                lines.append(f"<small>{name}：{html.escape('；'.join(f.notes))}</small>")
        return "<br>".join(lines)

    def _fit_columns(self) -> None:
        self.table.resizeColumnsToContents()
        header = self.table.horizontalHeader()
        for c in range(self.model.columnCount()):
            if self.model.column(c).key == "dose":
                header.resizeSection(c, min(max(header.sectionSize(c), 96), 170))
        self.table.resizeRowsToContents()

    # -- selection ----------------------------------------------------------------

    def current_dose(self) -> DoseRecord | None:
        return self.model.dose_at(self.table.currentIndex())

    def current_vaccine(self) -> str | None:
        idx = self.table.currentIndex()
        code = idx.data(VACCINE_ROLE) if idx.isValid() else None
        return code if isinstance(code, str) else None

    def select_dose(self, uuid: str) -> None:
        idx = self.model.index_of_dose(uuid)
        if idx.isValid():
            self.table.setCurrentIndex(idx)

    def _activate(self, index: QModelIndex) -> None:
        dose = self.model.dose_at(index)
        if dose is not None:
            self.edit_requested.emit(dose)
            return
        code = index.data(VACCINE_ROLE)
        if isinstance(code, str):
            self.record_requested.emit(code)

    def _context_menu(self, pos: QPoint) -> None:
        idx = self.table.indexAt(pos)
        if idx.isValid():
            self.table.setCurrentIndex(idx)
        menu = QMenu(self)
        for action in self._menu_actions:
            if action is None:
                menu.addSeparator()
            else:
                menu.addAction(action)
        menu.popup(self.table.viewport().mapToGlobal(pos))
        self.last_menu = menu
