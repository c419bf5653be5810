"""今日接种安排 (登记): choose today's vaccines, dose numbers and sites for the open child's visit.

The forecast's due items are listed first, pre-checked when no order is set yet (the service's
:func:`~epimanager.services.visit_order.proposed_items`); an order already set shows its items
checked, the ones given today ticked off and locked.  Another vaccine can be added from the
catalogue.  Space checks an item, Tab walks dose and site, Enter saves (the service checks every
item and names each problem), Esc closes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from epimanager.domain.schedule import Forecast
from epimanager.errors import EpiError, StaleRecord
from epimanager.resources import catalog
from epimanager.services.next_visit import due_vaccines, proposed_dose_number, proposed_site
from epimanager.services.records import ChildRecord
from epimanager.services.visit_order import MAX_DOSE_NUMBER, OrderItem, VisitOrderRecord, proposed_items, set_order
from epimanager.store.database import Database
from epimanager.ui.child.dose_context import SITES
from epimanager.ui.child.model import status_label
from epimanager.ui.code_labels import tr_code


@dataclass
class _Row:
    code: str
    check: QCheckBox
    dose: QSpinBox
    site: QComboBox
    given: bool


class OrderDialog(QDialog):
    """Set ``order``'s items for ``child`` (``forecast`` as of today); ``saved`` holds the result."""

    def __init__(
        self,
        db: Database,
        child: ChildRecord,
        forecast: Forecast | None,
        order: VisitOrderRecord,
        user: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.db, self.child, self.forecast, self.order, self.user = db, child, forecast, order, user
        self.saved: VisitOrderRecord | None = None
        self.rows: list[_Row] = []
        self.setWindowTitle(self.tr("今日接种安排 · %1（%2 号）").replace("%1", child.name).replace("%2", order.ticket))
        self.setMinimumWidth(560)
        self._status = dict(due_vaccines(forecast))
        self.grid = QGridLayout()
        for col, text in enumerate((self.tr("疫苗"), self.tr("剂次"), self.tr("接种部位"))):
            head = QLabel(f"<b>{text}</b>")
            self.grid.addWidget(head, 0, col)
        self.empty = QLabel(self.tr("今天没有应种疫苗；可在下方添加其他疫苗。"))
        self.other = QComboBox()
        self.other.setObjectName("otherVaccine")
        self.other.setPlaceholderText(self.tr("选择疫苗"))
        for vac in catalog().sorted():
            self.other.addItem(f"{vac.name}  {vac.abbr}", vac.code)
        self.other.setCurrentIndex(-1)
        add = QPushButton(self.tr("添加(&A)"))
        add.setAutoDefault(False)
        add.clicked.connect(self.add_other)
        more = QHBoxLayout()
        other_label = QLabel(self.tr("其他疫苗(&O)："))
        other_label.setBuddy(self.other)
        more.addWidget(other_label)
        more.addWidget(self.other, 1)
        more.addWidget(add)
        self.error = QLabel()
        self.error.setObjectName("error")
        self.error.setStyleSheet("color: #b00020")
        self.error.setWordWrap(True)
        std = QDialogButtonBox.StandardButton
        buttons = QDialogButtonBox(std.Save | std.Cancel)
        self.save_button = buttons.button(std.Save)
        self.save_button.setText(self.tr("保存(&S)"))
        self.save_button.setDefault(True)
        buttons.button(std.Cancel).setText(self.tr("关闭"))
        buttons.accepted.connect(self.try_save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        self.heading = QLabel(
            self.tr("%1 号　%2（%3）　出生 %4　当前：%5")
            .replace("%1", order.ticket)
            .replace("%2", child.name)
            .replace("%3", tr_code(child.sex_label))
            .replace("%4", child.birth_date.isoformat())
            .replace("%5", f"{order.step}·{order.status}")
        )
        self.heading.setObjectName("orderHeading")
        self.heading.setStyleSheet("font-weight: bold; font-size: 14pt")
        layout.addWidget(self.heading)
        info = QLabel(self.tr("勾选今天要接种的疫苗（空格勾选，Tab 改剂次和部位，Enter 保存，Esc 关闭）"))
        info.setWordWrap(True)
        layout.addWidget(info)
        layout.addLayout(self.grid)
        layout.addWidget(self.empty)
        layout.addLayout(more)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self._fill()
        if self.rows:
            self.rows[0].check.setFocus()

    # -- rows -------------------------------------------------------------------------------

    def _fill(self) -> None:
        today = self.order.day
        for line in self.order.items:
            self._add_row(line.code, line.dose_number, line.site, checked=True, given=line.given)
        shown = {line.code for line in self.order.items}
        fresh = self.order.version == 0
        for item in proposed_items(self.forecast, self.child.doses, today):
            if item.vaccine not in shown:
                self._add_row(item.vaccine, item.dose_number, item.site, checked=fresh)
        self.empty.setVisible(not self.rows)

    def _add_row(self, code: str, number: int, site: str | None, *, checked: bool, given: bool = False) -> _Row:
        vac = catalog().get(code)
        name = f"{vac.name}  {vac.abbr}" if vac else code
        state = self.tr("已接种") if given else (status_label(self._status[code]) if code in self._status else "")
        check = QCheckBox(f"{name}  【{state}】" if state else name)
        check.setChecked(checked)
        check.setEnabled(not given)
        dose = QSpinBox()
        dose.setRange(1, MAX_DOSE_NUMBER)
        dose.setValue(min(max(number, 1), MAX_DOSE_NUMBER))
        dose.setPrefix(self.tr("第 "))
        dose.setSuffix(self.tr(" 剂"))
        dose.setEnabled(not given)
        combo = QComboBox()
        combo.setEditable(True)
        combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        combo.addItems([tr_code(s) for s in SITES])
        i = combo.findText(tr_code(site)) if site else -1
        if i >= 0:
            combo.setCurrentIndex(i)
        else:
            combo.setEditText(site or "")
        combo.setEnabled(not given)
        r = len(self.rows) + 1
        self.grid.addWidget(check, r, 0)
        self.grid.addWidget(dose, r, 1)
        self.grid.addWidget(combo, r, 2)
        row = _Row(code, check, dose, combo, given)
        self.rows.append(row)
        return row

    def add_other(self) -> None:
        """Add the vaccine chosen under 其他疫苗 (checked, with its next dose number and a free site)."""
        code = self.other.currentData()
        if code is None:
            self.error.setText(self.tr("请先选择要添加的疫苗"))
            return
        found = next((r for r in self.rows if r.code == code), None)
        if found is None:
            number = proposed_dose_number(self.forecast, self.child.doses, code) or 1
            day = self.order.day
            planned = [(r.code, r.site.currentText()) for r in self.rows if r.check.isChecked()]
            site = proposed_site(code, [*self.child.doses, *_as_doses(planned, day)], day)
            found = self._add_row(code, number, site, checked=True)
        found.check.setChecked(True)
        found.check.setFocus()
        self.empty.setVisible(False)
        self.error.setText("")

    def items(self) -> list[OrderItem]:
        """The checked rows as the service takes them (site as typed, in the interface's words)."""
        out = []
        for r in self.rows:
            if r.check.isChecked():
                site = r.site.currentText().strip()
                source = next((s for s in SITES if tr_code(s) == site), site)
                out.append(OrderItem(r.code, r.dose.value(), source or None))
        return out

    # -- saving -------------------------------------------------------------------------------

    def try_save(self) -> None:
        try:
            now = dt.datetime.combine(self.order.day, dt.datetime.now().time())  # the visit's day
            self.saved = set_order(
                self.db, self.order.ticket, self.items(), expected_version=self.order.version, user=self.user, now=now
            )
        except StaleRecord as exc:
            self.error.setText(exc.message)
            return
        except EpiError as exc:
            self.error.setText(exc.message)
            return
        self.accept()


@dataclass(frozen=True)
class _PlannedDose:
    vaccine_code: str
    dose_number: int
    date: dt.date
    site: str | None
    route: str | None


def _as_doses(planned: list[tuple[str, str]], day: dt.date) -> list[_PlannedDose]:
    """Checked rows as doses of the day, so an added vaccine gets a site no other row takes."""
    cat = catalog()
    out = []
    for code, site in planned:
        vac = cat.get(code)
        source = next((s for s in SITES if tr_code(s) == site), site)
        out.append(_PlannedDose(code, 0, day, source or None, vac.route if vac else None))
    return out
