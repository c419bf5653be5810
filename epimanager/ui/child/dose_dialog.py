"""Record or edit one dose, from the keyboard.

Proposals come from the service (:mod:`epimanager.services.next_visit`): due vaccines first and
the most urgent one chosen (none when nothing is due: the nurse chooses); the next missing dose
number; date today; nurse = the logged-in nurse; batch / manufacturer / expiry from the batches in
use; the vaccine's route and its site — another one when an injection of the same visit took it.
The evaluation (及时 / 合格 / 超期 / 首针提前 / 间短 …) is shown live; a dose the service refuses as
invalid or as a duplicate is saved only after the nurse confirms (更正/补录 for a duplicate).
When the child's visit today has an order (登记's 今日接种安排), F4 pre-fills the next ungiven item
(vaccine, dose, site), and a dose not on the order is saved only after the nurse confirms.
A new dose has a scan field (:mod:`.scan_field`): a refused scan is a hard stop, a passed one fills
batch, expiry and manufacturer, and the dose is saved with the scan (the service checks it again).
"""

from __future__ import annotations

import uuid
from datetime import date
from functools import partial
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from epimanager.domain.catalog import Vaccine
from epimanager.domain.codes import DoseAttribute
from epimanager.domain.dates import parse_date
from epimanager.domain.schedule import DoseEvaluation
from epimanager.domain.validation import DoseInput, dose_date_problem
from epimanager.errors import EpiError
from epimanager.resources import catalog
from epimanager.services.administration import ScanVerdict
from epimanager.services.doses import OTHER_PLACE, DuplicateDose, InvalidDose, add_dose, update_dose
from epimanager.services.next_visit import due_vaccines, proposed_dose_number, proposed_site, proposed_vaccine
from epimanager.services.order_check import OffOrderDose
from epimanager.services.records import DoseRecord
from epimanager.services.ui_support import BatchProposal
from epimanager.services.visit_order import OrderLine
from epimanager.store.database import Database, ServerLost
from epimanager.ui import notify
from epimanager.ui.child.dose_context import ROUTES, SITES, DoseContext, evaluate_new
from epimanager.ui.child.model import status_label
from epimanager.ui.child.model import tr as grid_tr
from epimanager.ui.child.scan_field import ScanField
from epimanager.ui.code_labels import tr_code
from epimanager.ui.dates import to_date, to_qdate
from epimanager.ui.field_notes import FieldNotes
from epimanager.ui.server_retry import SaveRetry
from epimanager.ui.worker import Latest

__all__ = ["ROUTES", "SITES", "DoseContext", "DoseDialog", "evaluate_new"]


class DoseDialog(QDialog):
    #: the batch proposals for the chosen vaccine have been read and shown
    batches_loaded = Signal()

    def __init__(
        self,
        db: Database,
        ctx: DoseContext,
        dose: DoseRecord | None = None,
        vaccine: str | None = None,
        save_key: str = "Ctrl+S",
        parent: QWidget | None = None,
        planned: OrderLine | None = None,
        ticket: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.db, self.ctx, self.dose = db, ctx, dose
        self.saved: DoseRecord | None = None
        # a new dose's id, chosen now: a save retried after a lost connection is never saved twice
        self._uuid = str(uuid.uuid4()) if dose is None else None
        # what the nurse confirmed for this save (not asked again when it is retried)
        self._confirmed: set[str] = set()
        # while the clinic server cannot be reached: saved by itself when it answers again
        self._retry = SaveRetry(self, db, partial(self.try_save, retry=True))
        self.evaluations: list[DoseEvaluation] = []
        child = ctx.child
        self.setWindowTitle(
            (self.tr("修改接种记录") if dose else self.tr("接种登记")) + f" · {child.name}（{child.code}）"
        )
        self.setMinimumWidth(480)
        self.vaccine = QComboBox()
        self.vaccine.setObjectName("vaccine")
        self.vaccine.setPlaceholderText(self.tr("请选择疫苗"))
        self._fill_vaccines()
        self.dose_number = QSpinBox()
        self.dose_number.setRange(0, 10)
        self.dose_number.setSpecialValueText(self.tr("请选择"))  # 0: no proposal, the nurse chooses
        self.attribute = QComboBox()
        for a in DoseAttribute:
            self.attribute.addItem(tr_code(a.label), int(a))
        self.date = QDateEdit()
        self.date.setDisplayFormat("yyyy-MM-dd")
        self.date.setCalendarPopup(True)
        # no maximum: a typed future year stays as typed and is refused at the field (never clamped)
        self.notes = FieldNotes()
        self.batch = QComboBox()
        self.batch.setEditable(True)
        self.batch.setObjectName("batch")
        self.manufacturer = QLineEdit()
        self.expiry = QLineEdit()
        self.expiry.setPlaceholderText("YYYY-MM-DD")
        self.site = QComboBox()
        self.site.setEditable(True)
        self.site.addItems([tr_code(s) for s in SITES])
        self.route = QComboBox()
        for code, label in ROUTES:
            self.route.addItem(f"{code} {tr_code(label)}", code)
        self.nurse = QLineEdit(ctx.nurse)
        self.place = QComboBox()
        self.place.setEditable(True)
        self.place.addItem(self.tr("本单位"), ctx.own_unit)
        self.place.addItem(self.tr("外地"), OTHER_PLACE)
        self.place.setToolTip(self.tr("本单位、外地，或输入接种单位的10位编码"))
        self.evaluation = QLabel()
        self.evaluation.setObjectName("evaluation")
        self.evaluation.setWordWrap(True)
        self.plan = QLabel()
        self.plan.setObjectName("orderHint")
        self.plan.setVisible(planned is not None)
        if planned is not None:
            hint = self.tr("按今日安排（%1 号）：%2")
            self.plan.setText(hint.replace("%1", ticket or "").replace("%2", planned.text))
        self.error = QLabel()
        self.error.setObjectName("error")
        self.error.setStyleSheet("color: #b00020")
        self.error.setWordWrap(True)

        form = QFormLayout()
        self.scan = ScanField(db, child.code, self.vaccine.currentData, self.day)
        self.scan.passed.connect(self._scan_passed)
        self.scan.setVisible(dose is None)
        if dose is None:  # the 接种台 scans the package it is about to give
            form.addRow(self.tr("扫码(&Q)："), self.scan)
        for label, w in (
            (self.tr("疫苗(&V)："), self.vaccine),
            (self.tr("剂次(&N)："), self.dose_number),
            (self.tr("接种属性(&A)："), self.attribute),
            (self.tr("接种日期(&D)："), self.notes.wrap("date", self.date)),
            (self.tr("批号(&B)："), self.batch),
            (self.tr("生产企业(&M)："), self.manufacturer),
            (self.tr("失效期(&E)："), self.expiry),
            (self.tr("接种部位(&S)："), self.site),
            (self.tr("接种途径(&R)："), self.route),
            (self.tr("接种护士(&U)："), self.nurse),
            (self.tr("接种地点(&P)："), self.place),
        ):
            form.addRow(label, w)
        std = QDialogButtonBox.StandardButton
        buttons = QDialogButtonBox(std.Save | std.Cancel)
        self.save_button = buttons.button(std.Save)
        self.save_button.setText(self.tr("保存(&S)"))
        self.save_button.setDefault(True)
        buttons.button(std.Cancel).setText(self.tr("取消"))
        buttons.accepted.connect(self.try_save)
        buttons.rejected.connect(self.reject)
        QShortcut(QKeySequence(save_key), self).activated.connect(self.try_save)
        layout = QVBoxLayout(self)
        layout.addWidget(self.plan)
        layout.addLayout(form)
        layout.addWidget(self.evaluation)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

        self.vaccine.currentIndexChanged.connect(self._vaccine_changed)
        self.date.dateChanged.connect(self._date_changed)
        self.batch.currentIndexChanged.connect(self._batch_chosen)
        self._proposals: list[BatchProposal] = []
        self._batch_worker = Latest(self)
        if dose is not None:
            self._load(dose)
        else:
            self.date.setDate(to_qdate(ctx.today))
            # Enter on a row proposes its vaccine; F4 the most urgent due one — or none: the nurse chooses
            chosen = planned.code if planned else vaccine or proposed_vaccine(ctx.forecast)
            self.vaccine.setCurrentIndex(self.vaccine.findData(chosen))
            self._vaccine_changed()
            if planned is not None:  # the order's dose number and site
                self.dose_number.setValue(planned.dose_number)
                self._set_site_route(planned.site, None)
        self.place.currentIndexChanged.connect(self._place_changed)
        # a vaccine chosen (the order's, the most urgent): the scanner types into the scan field
        (self.scan.edit if dose is None and self.vaccine.currentData() is not None else self.vaccine).setFocus()

    def _place_changed(self) -> None:
        """A dose given elsewhere carries no local nurse; back to 本单位, the nurse on duty again."""
        here = self.place.currentData() == self.ctx.own_unit
        if not here and self.nurse.text().strip() == self.ctx.nurse:
            self.nurse.clear()
        elif here and not self.nurse.text().strip():
            self.nurse.setText(self.ctx.nurse)

    # -- vaccines -------------------------------------------------------------------

    def _fill_vaccines(self) -> None:
        """Due/overdue vaccines first (with their state), then the rest in catalog order."""
        cat = catalog()
        first = [(vac, status) for code, status in due_vaccines(self.ctx.forecast) if (vac := cat.get(code))]
        for vac, status in first:
            self.vaccine.addItem(f"{vac.name}  {vac.abbr}  【{status_label(status)}】", vac.code)
        if first:
            self.vaccine.insertSeparator(self.vaccine.count())
        shown = {v.code for v, _ in first}
        for vac in cat.sorted():
            if vac.code not in shown:
                self.vaccine.addItem(f"{vac.name}  {vac.abbr}", vac.code)

    def current_vaccine(self) -> Vaccine:
        vac = catalog().get(str(self.vaccine.currentData()))
        assert vac is not None
        return vac

    def _vaccine_changed(self) -> None:
        self.scan.reset()
        if self.vaccine.currentData() is None:
            return
        vac = self.current_vaccine()
        if self.dose is None:
            number = proposed_dose_number(self.ctx.forecast, self.ctx.child.doses, vac.code)
            self.dose_number.setValue(min(number or 0, 10))
            self._set_site_route(proposed_site(vac.code, self.ctx.child.doses, self.day()), vac.route)
            self._load_batches(vac.code)
        self._update_evaluation()

    def _date_changed(self) -> None:
        """Another day is another visit: that day's injections decide the site."""
        self.scan.reset()
        if self.dose is None and self.vaccine.currentData() is not None:
            self._set_site_route(proposed_site(self.current_vaccine().code, self.ctx.child.doses, self.day()), None)
        self._update_evaluation()

    def _set_site_route(self, site: str | None, route: str | None) -> None:
        if site:
            i = self.site.findText(tr_code(site))
            if i >= 0:
                self.site.setCurrentIndex(i)
            else:
                self.site.setEditText(site)
        i = self.route.findData(route)
        if i >= 0:
            self.route.setCurrentIndex(i)

    # -- batches ------------------------------------------------------------------

    def _load_batches(self, code: str) -> None:
        """Batches are read on a worker thread (on a big database the 30-day look-up can take
        longer than a keystroke should); the form stays usable meanwhile."""
        self._proposals = []
        self.batch.blockSignals(True)
        self.batch.clear()
        self.batch.blockSignals(False)
        self.batch.setEditText("")
        self._batch_hint(self.tr("正在读取可用批号…"))
        self.manufacturer.clear()
        self.expiry.clear()
        batches, today = self.ctx.batches, self.ctx.today
        self._batch_worker.run(
            lambda: batches(code, today),
            on_done=partial(self._show_batches, code),
            on_error=lambda e: self._batch_hint(e.message),
        )

    def _batch_hint(self, text: str) -> None:
        edit = self.batch.lineEdit()
        assert edit is not None  # the combo box is editable
        edit.setPlaceholderText(text)

    def _show_batches(self, code: str, proposals: list[BatchProposal]) -> None:
        if self.vaccine.currentData() != code or self.dose is not None:
            return
        self._proposals = list(proposals)
        typed = self.batch.currentText().strip()
        self.batch.blockSignals(True)
        self.batch.clear()
        for p in self._proposals:
            expiry = p.expiry.isoformat() if p.expiry else "—"
            source = self.tr("库存 %1 人份").replace("%1", str(p.count)) if p.source == "库存" else self.tr("近期使用")
            self.batch.addItem(f"{p.batch_no}  {p.manufacturer or ''}  {expiry}  ({source})", p.batch_no)
        self.batch.blockSignals(False)
        self._batch_hint("" if self._proposals else self.tr("无可用批号，请输入"))
        if typed:  # the nurse typed a batch already: keep it
            self.batch.setEditText(typed)
        elif self._proposals:
            self.batch.setCurrentIndex(0)
            self._batch_chosen(0)
        else:
            self.batch.setEditText("")
        self.batches_loaded.emit()

    def _batch_chosen(self, i: int) -> None:
        if 0 <= i < len(self._proposals):
            p = self._proposals[i]
            self.batch.setEditText(p.batch_no)
            self.manufacturer.setText(p.manufacturer or "")
            self.expiry.setText(p.expiry.isoformat() if p.expiry else "")

    def _scan_passed(self, v: ScanVerdict) -> None:
        """The scanned package's batch, expiry and manufacturer go into the form."""
        self.batch.setEditText(v.batch_no or "")
        self.manufacturer.setText(v.manufacturer or "")
        self.expiry.setText(v.expiry.isoformat() if v.expiry else "")
        self.save_button.setFocus()

    # -- editing an existing dose -------------------------------------------------------

    def _load(self, d: DoseRecord) -> None:
        i = self.vaccine.findData(d.vaccine_code)
        self.vaccine.setCurrentIndex(max(i, 0))
        self.dose_number.setValue(d.dose_number)
        self.attribute.setCurrentIndex(max(self.attribute.findData(d.attribute), 0))
        self.date.setDate(to_qdate(d.date))
        self.batch.setEditText(d.batch_no or "")
        self.manufacturer.setText(d.manufacturer or "")
        self.expiry.setText(d.expiry.isoformat() if d.expiry else "")
        self._set_site_route(d.site, d.route)
        self.nurse.setText(d.nurse or "")
        if d.unit_code == self.ctx.own_unit:
            self.place.setCurrentIndex(0)
        elif d.place_text == OTHER_PLACE or not d.unit_code:
            self.place.setCurrentIndex(1)
        else:
            self.place.setEditText(d.unit_code)

    # -- evaluation and saving ------------------------------------------------------------

    def day(self) -> date:
        q = self.date.date()
        return to_date(q)

    def date_problem(self) -> str | None:
        """Before birth or after today: said at the date field, before any evaluation."""
        problem = dose_date_problem(self.day(), self.ctx.child.birth_date, self.ctx.today)
        self.notes.show([("date", problem)] if problem else [])
        return problem

    def _update_evaluation(self) -> None:
        if self.vaccine.currentData() is None or self.date_problem():
            self.evaluations = []
            self.evaluation.setText("")
            return
        self.evaluations = evaluate_new(
            self.ctx.child,
            self.current_vaccine().code,
            self.day(),
            self.dose.uuid if self.dose else None,
            self.ctx.facts,
        )
        labels = [ev for ev in self.evaluations if ev.evaluation is not None]
        if not labels:
            self.evaluation.setText(self.tr("评价：—（不属于免疫程序的系列）"))
            self.evaluation.setStyleSheet("")
            return
        bad = [ev for ev in labels if not ev.valid]
        shown = bad or labels
        text = "、".join(dict.fromkeys(grid_tr(ev.evaluation.value) for ev in shown if ev.evaluation))
        if bad:
            self.evaluation.setText(self.tr("评价：✗ %1 —— 无效剂次，不计入免疫程序").replace("%1", text))
            self.evaluation.setStyleSheet("color: #b00020; font-weight: bold")
        else:
            self.evaluation.setText(self.tr("评价：✓ %1").replace("%1", text))
            self.evaluation.setStyleSheet("color: #1b5e20; font-weight: bold")

    def invalid(self) -> bool:
        return any(not ev.valid for ev in self.evaluations)

    def dose_input(self) -> DoseInput:
        expiry_text = self.expiry.text().strip()
        try:
            expiry = parse_date(expiry_text) if expiry_text else None
        except ValueError as exc:
            raise EpiError(self.tr("失效期格式不正确：%1").replace("%1", str(exc))) from None
        place = self.place.currentText().strip()
        unit_code: str | None
        place_text: str | None = None
        if place in (self.tr("本单位"), "本单位", ""):
            unit_code = self.ctx.own_unit
        elif place in (self.tr("外地"), OTHER_PLACE):
            unit_code, place_text = None, OTHER_PLACE
        else:
            unit_code = place
        site = self.site.currentText().strip()
        return DoseInput(
            vaccine=self.current_vaccine().code,
            dose_number=self.dose_number.value(),
            date=self.day(),
            attribute=int(self.attribute.currentData()),
            batch_no=self.batch.currentText().strip() or None,
            expiry=expiry,
            manufacturer=self.manufacturer.text().strip() or None,
            site=site or None,
            route=self.route.currentData(),
            nurse=self.nurse.text().strip() or None,
            unit_code=unit_code,
            place_text=place_text,
            uuid=self._uuid,
        )

    def try_save(self, *, retry: bool = False) -> None:
        if not retry:  # the nurse pressed save: a new save, asked anew
            self._confirmed.clear()
            self._retry.stop()
        if self.vaccine.currentData() is None:
            self.error.setText(self.tr("请先选择疫苗"))
            return
        if self.dose_number.value() == 0:
            self.error.setText(self.tr("请选择剂次"))
            return
        try:
            inp = self.dose_input()
        except EpiError as exc:
            self.error.setText(exc.message)
            return
        if self.scan.refused:  # a hard stop: this package is not given
            self.error.setText(self.tr("扫码核对未通过，不能保存：请换一支疫苗重新扫码"))
            self.scan.edit.setFocus()
            return
        problem = self.date_problem()
        if problem:  # refused with its own reason first (not "首针提前 … 仍要保存吗？")
            self.error.setText(problem)
            return
        # the service checks again in its transaction; each refusal it names is asked once, then audited
        while True:
            try:
                self.saved = self._save(inp)
                break
            except ServerLost as exc:  # nothing saved yet (or saved and the answer lost: the id tells)
                self.error.setText(self._retry.start(exc))
                return
            except OffOrderDose as exc:
                question = self.tr("%1不在 %2 号的今日接种安排中（今日安排：%3）。\n仍要登记吗？")
                planned = "、".join(p.text for p in exc.planned)
                question = question.replace("%1", exc.dose).replace("%2", exc.ticket).replace("%3", planned)
                if not notify.confirm(self, self.tr("今日安排外"), question):
                    return
                self._confirmed.add("off_order")
            except DuplicateDose as exc:
                question = self.tr("%1。作为更正/补录保存吗？").replace("%1", self._duplicate_text(exc))
                if not notify.confirm(self, self.tr("重复剂次"), question):
                    return
                self._confirmed.add("duplicate")
            except InvalidDose as exc:
                reasons = "、".join(exc.reasons)
                question = self.tr("这一剂评价为“%1”，是无效剂次，不计入免疫程序。\n仍要保存吗？").replace(
                    "%1", reasons
                )
                if not notify.confirm(self, self.tr("无效剂次"), question):
                    return
                self._confirmed.add("invalid")
            except EpiError as exc:
                self.error.setText(exc.message)
                return
        self.accept()

    def _duplicate_text(self, exc: DuplicateDose) -> str:
        """同一天已有… / 该儿童已有有效的乙肝疫苗 第2剂（2026-04-01）"""
        text = self.tr("同一天已有%1") if exc.same_day else self.tr("该儿童已有有效的%1")
        return text.replace("%1", exc.existing)

    def _save(self, inp: DoseInput) -> DoseRecord:
        """One attempt, with what the nurse confirmed so far."""
        confirmed = self._confirmed
        if self.dose is None:
            scan, override = self.scan.scanned, self.scan.override_reason
            off_order = "off_order" in confirmed
            code = self.ctx.child.code
            save = partial(add_dose, self.db, code, inp, confirm_off_order=off_order, scan=scan, scan_override=override)
        else:
            save = partial(update_dose, self.db, self.dose.uuid, self._changes(inp), expected_version=self.dose.version)
        return save(
            user=self.ctx.nurse,
            today=self.ctx.today,
            confirm_invalid="invalid" in confirmed,
            confirm_duplicate="duplicate" in confirmed,
        )

    def _changes(self, inp: DoseInput) -> dict[str, Any]:
        d = self.dose
        assert d is not None
        current = {
            "vaccine": d.vaccine_code,
            "dose_number": d.dose_number,
            "date": d.date,
            "attribute": d.attribute,
            "batch_no": d.batch_no,
            "expiry": d.expiry,
            "manufacturer": d.manufacturer,
            "site": d.site,
            "route": d.route,
            "nurse": d.nurse,
            "unit_code": d.unit_code,
            "place_text": d.place_text,
        }
        return {k: getattr(inp, k) for k, v in current.items() if getattr(inp, k) != v}
