"""The current child: loads it, keeps the panel and the grid in step, runs the dose actions.

Dialogs are opened window-modal but non-blocking (``open()``), and the
controller reacts to their ``accepted`` signal, so tests can drive them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from epimanager.domain.schedule import Forecast
from epimanager.errors import EpiError, StaleRecord
from epimanager.services.children import get_child, update_child
from epimanager.services.consent import ConsentRecord, consents_of
from epimanager.services.doses import delete_dose
from epimanager.services.forecast import forecast_record, record_facts
from epimanager.services.next_visit import NextVisit, next_visit
from epimanager.services.records import ChildRecord, DoseRecord
from epimanager.services.ui_support import batch_proposals
from epimanager.services.visit_order import OrderLine, VisitOrderRecord, order_of
from epimanager.settings import Settings
from epimanager.store.database import Database
from epimanager.ui import notify
from epimanager.ui.child.dose_dialog import DoseContext, DoseDialog
from epimanager.ui.child.grid import VaccinationView
from epimanager.ui.child.panel import ChildPanel
from epimanager.ui.consent.dialog import ConsentDialog
from epimanager.ui.events import Events
from epimanager.ui.visits.order_dialog import OrderDialog


class CurrentChild(QObject):
    def __init__(
        self,
        db: Database,
        settings: Callable[[], Settings],
        save_key: Callable[[], str],
        events: Events,
        own_unit: str,
        window: QWidget,
        today: Callable[[], date] = date.today,
    ) -> None:
        super().__init__(window)
        self.db, self._settings, self._save_key, self.events = db, settings, save_key, events
        self.own_unit, self.window, self.today = own_unit, window, today
        self.child: ChildRecord | None = None
        self.forecast: Forecast | None = None
        #: the next visit after today (today's doses count): the receipt, the record print, the grid
        self.visit: NextVisit | None = None
        self.dialog: DoseDialog | None = None
        #: today's visit of the child with its order (登记's 今日接种安排); None: no ticket today
        self.order: VisitOrderRecord | None = None
        self.order_dialog: OrderDialog | None = None
        #: today's 知情告知 records of the child (the receipt shows them)
        self.consents: list[ConsentRecord] = []
        self.consent_dialog: ConsentDialog | None = None
        self.panel: ChildPanel | None = None
        self.view: VaccinationView | None = None

    def attach(self, panel: ChildPanel, view: VaccinationView) -> None:
        self.panel, self.view = panel, view
        view.record_requested.connect(self.record_dose)
        view.edit_requested.connect(self.edit_dose)

    # -- loading ------------------------------------------------------------------------

    def open(self, code: str) -> None:
        try:
            self.child = get_child(self.db, code)
        except EpiError as exc:
            notify.warning(self.window, self.tr("打开个案"), exc.message)
            return
        self._show()
        self.events.child_opened.emit(code)

    def reload(self) -> None:
        if self.child is not None:
            self.child = get_child(self.db, self.child.code)
            self._show()

    def _show(self) -> None:
        child = self.child
        self.forecast = None
        self.visit = None
        self.order = None
        self.consents = []
        if child is not None:
            as_of = max(self.today(), child.birth_date)
            facts = record_facts(self.db, child)
            self.forecast = forecast_record(self.db, child, as_of, facts=facts)
            self.visit = next_visit(self.db, child, self.today(), facts=facts)
            self.order = order_of(self.db, child_code=child.code, day=self.today())
            self.consents = consents_of(self.db, child.code, self.today())
        if self.panel is not None:
            self.panel.set_child(child)
        if self.view is not None:
            self.view.set_child(child, self.forecast, self.visit)
            self.view.set_order(self._order_text())

    def _order_text(self) -> str | None:
        """今日安排（A001）：乙肝疫苗 第2剂 右上臂 ✓、… — None when the child has no order today."""
        o = self.order
        if o is None or not o.items:
            return None
        return self.tr("今日安排（%1）：%2").replace("%1", o.ticket).replace("%2", o.summary)

    def save_fields(self, code: str, changes: dict[str, Any]) -> ChildRecord:
        """The panel's in-place edit: validated and audited by the service."""
        seen = self.child.version if self.child is not None and self.child.code == code else None
        try:
            updated = update_child(
                self.db, code, changes, user=self._settings().nurse, today=self.today(), expected_version=seen
            )
        except StaleRecord:
            self.reload()  # show what the other desk saved; the message says to redo the change
            raise
        self.child = updated
        self._show()
        self.events.child_changed.emit(code)
        return updated

    # -- doses ------------------------------------------------------------------------------

    def _context(self) -> DoseContext | None:
        if self.child is None:
            self.events.message.emit(self.tr("请先按 F3 查找并打开一个儿童"))
            return None
        db = self.db
        return DoseContext(
            child=self.child,
            forecast=self.forecast,
            nurse=self._settings().nurse,
            own_unit=self.own_unit,
            today=self.today(),
            batches=lambda code, on: batch_proposals(db, code, on),
            facts=record_facts(db, self.child),
        )

    def record_dose(self, vaccine: str | None = None) -> DoseDialog | None:
        ctx = self._context()
        if ctx is None:
            return None
        planned, ticket = self._planned(vaccine), self.order.ticket if self.order else None
        dialog = DoseDialog(self.db, ctx, vaccine=vaccine, save_key=self._save_key(), parent=self.window,
                            planned=planned, ticket=ticket)  # fmt: skip
        return self._open_dialog(dialog)

    def _planned(self, vaccine: str | None) -> OrderLine | None:
        """The order item F4 pre-fills: the next ungiven one (Enter on a row: that vaccine's, if ordered)."""
        o = self.order
        if o is None or o.step in ("完成", "取消"):
            return None
        if vaccine is None:
            return o.next_item
        return next((i for i in o.items if i.code == vaccine and not i.given), None)

    # -- today's order (登记) --------------------------------------------------------------------

    def open_order(self) -> OrderDialog | None:
        """今日接种安排 for the open child's visit today (Ctrl+O)."""
        child, order = self.child, self.order
        if child is None:
            self.events.message.emit(self.tr("请先按 F3 查找并打开一个儿童"))
            return None
        if order is None:
            notify.warning(self.window, self.tr("今日接种安排"), self.tr("%1 今天还没有取号").replace("%1", child.name))
            return None
        if not order.open:
            text = self.tr("%1 号已%2，不能再改今日接种安排").replace("%1", order.ticket).replace("%2", order.step)
            notify.warning(self.window, self.tr("今日接种安排"), text)
            return None
        user = self._settings().nurse or None
        dialog = OrderDialog(self.db, child, self.forecast, order, user=user, parent=self.window)
        self.order_dialog = dialog
        dialog.accepted.connect(lambda: self._order_saved(dialog))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog

    def _order_saved(self, dialog: OrderDialog) -> None:
        self.reload()
        saved = dialog.saved
        if saved is not None:
            text = saved.summary or self.tr("（已清空）")
            self.events.message.emit(self.tr("已保存今日接种安排：%1").replace("%1", text))

    # -- 知情告知 (登记) ---------------------------------------------------------------------------

    def open_consent(self) -> ConsentDialog | None:
        """知情告知 for the vaccines on the open child's order today (Ctrl+Shift+I)."""
        child, order = self.child, self.order
        if child is None:
            self.events.message.emit(self.tr("请先按 F3 查找并打开一个儿童"))
            return None
        title = self.tr("知情告知")
        if order is None:
            notify.warning(self.window, title, self.tr("%1 今天还没有取号").replace("%1", child.name))
            return None
        if not order.items:
            text = self.tr("%1 号还没有今日接种安排：请先按 Ctrl+O 选择今天要接种的疫苗").replace("%1", order.ticket)
            notify.warning(self.window, title, text)
            return None
        user = self._settings().nurse or None
        dialog = ConsentDialog(self.db, child, order, user=user, save_key=self._save_key(), parent=self.window)
        self.consent_dialog = dialog
        dialog.finished.connect(lambda _r: self._consent_done(dialog))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog

    def _consent_done(self, dialog: ConsentDialog) -> None:
        if dialog.saved:
            self.reload()
            done = "、".join(f"{c.vaccine_name}{c.status}" for c in dialog.saved)
            self.events.message.emit(self.tr("已保存知情告知：%1").replace("%1", done))

    def edit_dose(self, dose: DoseRecord | None = None) -> DoseDialog | None:
        ctx = self._context()
        if ctx is None:
            return None
        dose = dose or (self.view.current_dose() if self.view else None)
        if dose is None:
            self.events.message.emit(self.tr("请先在接种登记表中选中一剂"))
            return None
        return self._open_dialog(DoseDialog(self.db, ctx, dose=dose, save_key=self._save_key(), parent=self.window))

    def _open_dialog(self, dialog: DoseDialog) -> DoseDialog:
        self.dialog = dialog
        dialog.accepted.connect(lambda: self._dose_saved(dialog))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog

    def _dose_saved(self, dialog: DoseDialog) -> None:
        saved = dialog.saved
        self.reload()
        if saved is not None and self.view is not None:
            self.view.select_dose(saved.uuid)
            self.events.message.emit(
                self.tr("已保存：%1 第%2剂 %3")
                .replace("%1", saved.vaccine_name)
                .replace("%2", str(saved.dose_number))
                .replace("%3", saved.date.isoformat())
            )
        if self.child is not None:
            self.events.child_changed.emit(self.child.code)

    def delete_current_dose(self) -> bool:
        dose = self.view.current_dose() if self.view else None
        if self.child is None or dose is None:
            self.events.message.emit(self.tr("请先在接种登记表中选中一剂"))
            return False
        what = f"{dose.vaccine_name} " + self.tr("第%1剂").replace("%1", str(dose.dose_number)) + f" {dose.date}"
        reason = notify.ask_text(
            self.window, self.tr("删除接种记录"), self.tr("删除 %1？\n请填写删除原因：").replace("%1", what)
        )
        if reason is None:
            return False
        try:
            delete_dose(
                self.db,
                dose.uuid,
                user=self._settings().nurse,
                reason=reason.strip() or None,
                expected_version=dose.version,
            )
        except EpiError as exc:
            notify.warning(self.window, self.tr("不能删除"), exc.message)
            if isinstance(exc, StaleRecord):
                self.reload()
            return False
        self.reload()
        self.events.child_changed.emit(self.child.code)
        self.events.message.emit(self.tr("已删除：%1").replace("%1", what))
        return True
