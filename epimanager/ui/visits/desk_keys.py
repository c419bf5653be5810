"""The desk's keys and its queue dock in the main window (one instance per window).

F11 叫下一位 calls the desk's next ticket and opens that child in 日常接种; Shift+F11 重呼 and
Ctrl+F11 过号 act on the selected ticket (a 3rd miss cancels it); F12 完成并转下一步 passes it on
(留观 before its time asks for a reason); Shift+F12 退回 goes back to an earlier enabled step with a reason;
Ctrl+F12 取消号 asks a reason; Ctrl+T 取号 for the child on screen (登记台, 预检台, 综合);
Ctrl+Shift+D puts the keyboard in the queue (Enter opens the child, a called one is then 进行中).
Every change goes through the services with this handle's desk; a refusal (a wrong state, another
desk was quicker) is said in Chinese on the panel and changes nothing.

The queue is read again after each key, when the change feed reports another desk's change
(:meth:`DeskController.feed_changed`) and on a timer that first returns unanswered calls to their
queue (``visits.expire_calls``, off the UI thread).  A PC without a desk shows no dock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QDockWidget

from epimanager.domain import visit as dv
from epimanager.domain.desk import desk_steps, takes_tickets
from epimanager.errors import EpiError
from epimanager.services import desks, visits
from epimanager.services.config.visit_flow import flow
from epimanager.services.visits import VisitRecord
from epimanager.store.database import default_desk
from epimanager.ui import notify
from epimanager.ui.actions import ActionId
from epimanager.ui.visits.desk_choice import DeskDialog, desk_choices
from epimanager.ui.visits.desk_panel import DeskPanel
from epimanager.ui.worker import Latest

if TYPE_CHECKING:
    from epimanager.ui.main_window import MainWindow

#: How often the queue returns unanswered calls and refreshes its waiting minutes.
EXPIRE_MS = 20_000


class DeskController(QObject):
    def __init__(self, window: MainWindow, clock: Callable[[], datetime] = datetime.now) -> None:
        super().__init__(window)
        self.window = window
        self.db = window.db
        self.clock = clock
        self.steps: tuple[dv.Step, ...] = ()
        self.panel = DeskPanel()
        self.dock = QDockWidget(self.tr("工作台队列"), window)
        self.dock.setObjectName("deskDock")
        self.dock.setWidget(self.panel)
        self.dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        self.dock.hide()
        self.panel.open_ticket.connect(self.open_ticket)
        self.panel.leave.connect(window.focus_chain.grid)
        a = window.registry
        a.on(ActionId.TAKE_TICKET, self.take)
        a.on(ActionId.DESK_CALL, self.call_next)
        a.on(ActionId.DESK_RECALL, self.recall)
        a.on(ActionId.DESK_MISS, self.miss)
        a.on(ActionId.DESK_FINISH, self.finish)
        a.on(ActionId.DESK_BACK, self.back)
        a.on(ActionId.DESK_CANCEL, self.cancel)
        a.on(ActionId.DESK_QUEUE, self.focus_queue)
        a.on(ActionId.SWITCH_DESK, self.choose_desk)
        self._expiry = Latest(self)
        self.timer = QTimer(self)
        self.timer.setInterval(EXPIRE_MS)
        self.timer.timeout.connect(self.expire_in_background)
        self.apply_desk()

    # -- the desk -----------------------------------------------------------------------------

    def apply_desk(self) -> None:
        """Show the dock for the handle's desk (hidden, timer stopped, at a PC outside the flow)."""
        try:
            self.steps = desk_steps(self.db.desk, flow(self.db))
        except EpiError:
            self.steps = ()
        if not self.steps:
            self.dock.hide()
            self.timer.stop()
            return
        keys = "  ".join(
            f"{self.window.registry.key(aid)} {label}"
            for aid, label in (
                (ActionId.DESK_CALL, self.tr("叫下一位")),
                (ActionId.DESK_FINISH, self.tr("完成")),
                (ActionId.DESK_MISS, self.tr("过号")),
                (ActionId.DESK_RECALL, self.tr("重呼")),
            )
        )
        if dv.Step.PRECHECK in self.steps:  # the 预检台 (or 综合): the dialog of the child called
            keys += f"  {self.window.registry.key(ActionId.PRECHECK)} {self.tr('预检')}"
        self.panel.set_desk(self.db.desk, self.steps, keys)
        self.dock.show()
        self.timer.start()
        self.refresh()

    def choose_desk(self) -> DeskDialog:
        """系统 → 切换工作台: the new desk applies at once and is remembered for the next start."""
        current = "" if self.db.desk == default_desk() else self.db.desk
        dlg = DeskDialog(desk_choices(self.db), current, self.window)
        dlg.accepted.connect(lambda: self.switch_to(dlg.desk()))
        dlg.finished.connect(dlg.deleteLater)
        dlg.open()
        return dlg

    def switch_to(self, desk: str) -> None:
        self.db.desk = desk or default_desk()
        w = self.window
        if w.settings.desk != desk:
            w.update_settings(replace(w.settings, desk=desk))
        w.show_desk()
        self.apply_desk()
        if self.steps:
            w.events.message.emit(self.tr("本机工作台：%1").replace("%1", self.db.desk))

    # -- the queue ----------------------------------------------------------------------------

    def refresh(self) -> None:
        if not self.steps:
            return
        now = self.clock()
        try:
            records = desks.queue(self.db, self.steps, now.date())
        except EpiError as exc:
            self.panel.say(exc.message, ok=False)
            return
        self.panel.show_queue(records, now)

    def feed_changed(self) -> None:
        """Another desk or window changed something: read the queue again."""
        self.refresh()

    def expire_in_background(self) -> None:
        db, now = self.db, self.clock()
        self._expiry.run(lambda: visits.expire_calls(db, now=now), on_done=lambda _t: self.refresh(),
                         on_error=lambda exc: self.panel.say(exc.message, ok=False))  # fmt: skip

    def focus_queue(self) -> None:
        if not self._need_desk():
            return
        self.dock.show()
        self.dock.raise_()
        self.panel.table.setFocus()

    # -- the keys -----------------------------------------------------------------------------

    def _need_desk(self) -> bool:
        if self.steps:
            return True
        self.window.events.message.emit(self.tr("本机没有选择工作台：请在 系统 → 切换工作台 选择"))
        return False

    def _act(self, do: Callable[[], VisitRecord], done: Callable[[VisitRecord], str]) -> VisitRecord | None:
        try:
            record = do()
        except EpiError as exc:
            self.panel.say(exc.message, ok=False)
            self.refresh()
            return None
        self.refresh()
        self.panel.select(record.ticket)
        self.panel.say(done(record))
        return record

    def _selected(self) -> VisitRecord | None:
        record = self.panel.selected()
        if record is None:
            self.panel.say(self.tr("请先在队列中选中一个号"), ok=False)
        return record

    def take(self) -> VisitRecord | None:
        """取号 for the child on screen; the ticket shows on the panel and in the status bar."""
        if not self._need_desk():
            return None
        if not takes_tickets(self.db.desk):
            self.panel.say(self.tr("请在登记台、预检台或综合取号"), ok=False)
            return None
        child = self.window.current.child
        if child is None:
            self.panel.say(self.tr("请先按 F3 查找并打开一个儿童，再取号"), ok=False)
            return None
        record = self._act(
            lambda: visits.take(self.db, child.code, desk=self.db.desk, now=self.clock()),
            lambda r: (
                self.tr("%1 取号：%2（%3等候）")
                .replace("%1", r.child_name)
                .replace("%2", r.ticket)
                .replace("%3", r.step)
            ),
        )
        if record is not None:
            self.window.events.message.emit(self.panel.message.text())
        return record

    def call_next(self) -> VisitRecord | None:
        """F11: the desk's next ticket is called here and that child opens in 日常接种."""
        if not self._need_desk():
            return None
        record = self._act(
            lambda: desks.call_next(self.db, self.db.desk, self.steps, now=self.clock()),
            lambda r: self.tr("请 %1 号 %2 到 %3").replace("%1", r.ticket).replace("%2", r.child_name)
            .replace("%3", self.db.desk),
        )  # fmt: skip
        if record is not None:
            self.window.current.open(record.child_code)
        return record

    def recall(self) -> VisitRecord | None:
        record = self._selected() if self._need_desk() else None
        if record is None:
            return None
        return self._act(
            lambda: visits.recall(self.db, record.ticket, desk=self.db.desk, now=self.clock()),
            lambda r: self.tr("重呼：请 %1 号 %2 到 %3").replace("%1", r.ticket).replace("%2", r.child_name)
            .replace("%3", self.db.desk),
        )  # fmt: skip

    def miss(self) -> VisitRecord | None:
        record = self._selected() if self._need_desk() else None
        if record is None:
            return None

        def said(r: VisitRecord) -> str:
            if r.step == dv.Step.CANCELLED.value:
                return self.tr("%1 过号 %2 次，已取消").replace("%1", r.ticket).replace("%2", str(r.misses))
            return self.tr("%1 过号（第 %2 次），回到队尾").replace("%1", r.ticket).replace("%2", str(r.misses))

        return self._act(lambda: visits.miss(self.db, record.ticket, desk=self.db.desk, now=self.clock()), said)

    def finish(self) -> VisitRecord | None:
        """F12: this step is done, the ticket goes to the next step (or 完成)."""
        record = self._selected() if self._need_desk() else None
        if record is None:
            return None
        reason: str | None = None
        if record.step == dv.Step.OBSERVE.value:
            try:
                observe = flow(self.db).observe_minutes
            except EpiError as exc:
                self.panel.say(exc.message, ok=False)
                return None
            if (self.clock() - record.queued_at).total_seconds() < observe * 60:
                reason = notify.ask_text(
                    self.window,
                    self.tr("提前结束留观"),
                    self.tr("%1 留观未满 %2 分钟，提前离开的原因：").replace("%1", record.ticket)
                    .replace("%2", str(observe)),
                )  # fmt: skip
                if reason is None:
                    return None

        def said(r: VisitRecord) -> str:
            if r.step in (dv.Step.DONE.value, dv.Step.CANCELLED.value):
                return self.tr("%1 %2").replace("%1", r.ticket).replace("%2", r.step)
            return self.tr("%1 已转到 %2").replace("%1", r.ticket).replace("%2", r.step)

        return self._act(
            lambda: visits.finish(self.db, record.ticket, reason=reason, desk=self.db.desk, now=self.clock()), said
        )

    def back(self) -> VisitRecord | None:
        """Shift+F12: back to an earlier enabled step (asked when there are several), with a reason."""
        record = self._selected() if self._need_desk() else None
        if record is None:
            return None
        try:
            enabled = flow(self.db).steps
        except EpiError as exc:
            self.panel.say(exc.message, ok=False)
            return None
        here = dv.Step(record.step)
        earlier = [s for s in enabled if here in dv.DESK_STEPS and dv.DESK_STEPS.index(s) < dv.DESK_STEPS.index(here)]
        if not earlier:
            self.panel.say(self.tr("%1 在%2，没有可以退回的步骤").replace("%1", record.ticket)
                           .replace("%2", record.step), ok=False)  # fmt: skip
            return None
        target = earlier[-1]
        if len(earlier) > 1:  # which one: the step just before is offered first
            names = [step.value for step in reversed(earlier)]
            label = self.tr("%1 退回到哪一步：").replace("%1", record.ticket)
            chosen = notify.ask_choice(self.window, self.tr("退回"), label, names)
            if chosen is None:
                return None
            target = dv.Step(chosen)
        reason = notify.ask_text(
            self.window, self.tr("退回"), self.tr("%1 退回到%2的原因：").replace("%1", record.ticket)
            .replace("%2", target.value),
        )  # fmt: skip
        if reason is None:
            return None
        return self._act(
            lambda: visits.back(self.db, record.ticket, target, reason, desk=self.db.desk, now=self.clock()),
            lambda r: self.tr("%1 已退回到 %2").replace("%1", r.ticket).replace("%2", r.step),
        )

    def cancel(self) -> VisitRecord | None:
        record = self._selected() if self._need_desk() else None
        if record is None:
            return None
        reason = notify.ask_text(
            self.window, self.tr("取消号"), self.tr("取消 %1 号（%2）的原因：").replace("%1", record.ticket)
            .replace("%2", record.child_name),
        )  # fmt: skip
        if reason is None:
            return None
        return self._act(
            lambda: visits.cancel(self.db, record.ticket, reason=reason, desk=self.db.desk, now=self.clock()),
            lambda r: self.tr("%1 已取消").replace("%1", r.ticket),
        )

    def open_ticket(self, ticket: str) -> None:
        """Enter on a row: that child opens in 日常接种; a ticket called to this desk is now 进行中 (the child
        came); one called to another desk stays theirs."""
        record = next((r for r in self.panel.records if r.ticket == ticket), None)
        if record is None:
            return
        if record.status == dv.Status.CALLED.value and record.desk == self.db.desk:
            self._act(
                lambda: visits.start(self.db, ticket, desk=self.db.desk, now=self.clock()),
                lambda r: self.tr("%1 %2 进行中").replace("%1", r.ticket).replace("%2", r.step),
            )
        self.window.current.open(record.child_code)
        self.window.present()
