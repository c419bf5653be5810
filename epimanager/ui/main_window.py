"""The main window (日常接种): composes the shortcut bar, menus, the 基本资料 dock,
the 接种登记 grid and the status bar.  It owns no business logic: the current
child lives in :class:`~epimanager.ui.child.controller.CurrentChild`, actions
in :class:`~epimanager.ui.actions.ActionRegistry`, preferences in
:mod:`epimanager.settings`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QShowEvent
from PySide6.QtWidgets import QApplication, QDialog, QDockWidget, QMainWindow, QWidget

from epimanager import settings as prefs
from epimanager.errors import EpiError, NotFoundError
from epimanager.paths import data_dir
from epimanager.services.children import get_child
from epimanager.services.forecast import engine
from epimanager.services.search import search
from epimanager.services.summary import Summary, summary
from epimanager.services.ui_support import pending_uploads, unit_names
from epimanager.services.units import unit_info
from epimanager.services.visits import find_by_payload
from epimanager.settings import Settings
from epimanager.store.database import Database
from epimanager.ui import i18n
from epimanager.ui.actions import ActionId, ActionRegistry
from epimanager.ui.child.controller import CurrentChild
from epimanager.ui.child.grid import VaccinationView
from epimanager.ui.child.new_child import NewChildDialog
from epimanager.ui.child.panel import ChildPanel
from epimanager.ui.events import Events
from epimanager.ui.focus import FocusChain, FocusReturn, present
from epimanager.ui.geometry import place_on_screen
from epimanager.ui.menus import build_menus, build_toolbar
from epimanager.ui.print import documents
from epimanager.ui.search.dialog import SearchDialog
from epimanager.ui.settings_dialog import SettingsDialog
from epimanager.ui.status_bar import StatusBar
from epimanager.ui.system_actions import SystemActions
from epimanager.ui.visits.desk_keys import DeskController
from epimanager.ui.visits.precheck_launch import open_precheck
from epimanager.ui.visits.windows import VisitWindows
from epimanager.ui.worker import Latest

if TYPE_CHECKING:
    from epimanager.ui.stock.recalls import RecallListDialog
    from epimanager.ui.stock.screen import StockScreen

#: who works while nobody has logged in (a database without users yet, before the first 系统管理员)
NOBODY = "护士"


def _window_state() -> QSettings:
    """Window geometry and dock layout: not preferences, kept apart from settings.json."""
    return QSettings(str(data_dir() / "window.ini"), QSettings.Format.IniFormat)


#: How often the window looks for other desks' changes (they show within a second).
FEED_POLL_MS = 400


class MainWindow(QMainWindow):
    def __init__(
        self,
        db: Database,
        settings: Settings | None = None,
        settings_path: Path | None = None,
        today: Callable[[], date] = date.today,
    ) -> None:
        super().__init__()
        self.db = db
        self._settings_path = settings_path
        self.settings = settings if settings is not None else prefs.load(settings_path)
        self.today = today
        self.info = unit_info(db)
        self._unit_names = unit_names(db)
        self.events = Events(self)
        self.registry = ActionRegistry(self.settings, self)
        for _spec, action in self.registry:
            self.addAction(action)  # keys work wherever the focus is in the window
        self.show_desk(status=False)
        self.resize(1280, 760)

        self.operator = ""  # the logged-in user's real name (set_operator)
        self.current = CurrentChild(
            db,
            lambda: replace(self.settings, nurse=self.nurse()),
            lambda: self.registry.key(ActionId.SAVE),
            self.events,
            self.info.code,
            self,
            today,
        )
        self.panel = ChildPanel(self.current.save_fields, lambda: self.info.committees)
        a = self.registry
        self.grid = VaccinationView(
            [
                a[ActionId.QUICK_SEARCH],
                None,
                a[ActionId.RECORD_DOSE],
                a[ActionId.EDIT_DOSE],
                a[ActionId.DELETE_DOSE],
                a[ActionId.AEFI_CARD],
                None,
                a[ActionId.PRINT_RECORD],
                a[ActionId.PRINT_RECEIPT],
            ]
        )
        self.current.attach(self.panel, self.grid)
        self.setCentralWidget(self.grid)
        self.panel_dock = QDockWidget(self.tr("基本资料"), self)
        self.panel_dock.setObjectName("panelDock")
        self.panel_dock.setWidget(self.panel)
        self.panel_dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.panel_dock)
        self.resizeDocks([self.panel_dock], [330], Qt.Orientation.Horizontal)
        self.reminders_dock: QDockWidget | None = None
        self._queries: dict[str, QWidget] = {}
        self.stock_screen: StockScreen | None = None
        self._focus_return = FocusReturn(self, lambda: self.grid.table)
        self.focus_chain = FocusChain(
            self, self.panel_dock, self.panel.view, self.grid.table, lambda: self.reminders_dock
        )

        self.toolbar = build_toolbar(self, self.registry)
        self.hints_action = build_menus(self, self.registry, self.panel_dock, self.toolbar, self.set_shortcut_hints)
        self.status = StatusBar(f"{self.info.code} {self.info.name}", str(db.location), lambda: pending_uploads(db))
        self.status.set_desk(db.desk, None, server=db.server is not None)
        self.setStatusBar(self.status)
        self.events.message.connect(lambda text: self.status.showMessage(text, 8000))
        self.events.child_changed.connect(lambda _code: self.status.refresh_pending())

        self.system = SystemActions(db, self)
        self.visit_windows = VisitWindows(self)
        self.system.message.connect(lambda text: self.status.showMessage(text, 10000))
        self.system.uploaded.connect(self.status.refresh_pending)
        self.system.imported.connect(self.status.refresh_pending)

        self.search_dialog = SearchDialog(
            lambda text: search(db, text), self, today, find_ticket=lambda text: find_by_payload(db, text)
        )
        self.search_dialog.child_chosen.connect(self.current.open)
        self.search_dialog.finished.connect(self._focus_grid)
        self.new_child_dialog: NewChildDialog | None = None
        self.settings_dialog: SettingsDialog | None = None
        self._connect_actions()
        self._apply_settings()
        self._summary = Latest(self)
        self.summary = self.grid.empty
        self._restore_state()
        self.desk_keys = DeskController(self)  # the clinic flow at this desk (its queue dock and keys)
        # other desks and windows: their saves show here within a second
        self.feed = db.change_feed()
        self._feed_timer = QTimer(self)
        self._feed_timer.setInterval(FEED_POLL_MS)
        self._feed_timer.timeout.connect(self.poll_changes)
        self._feed_timer.start()

    def poll_changes(self) -> None:
        """Show what other desks changed: the open child is read again; the desk count and the server
        connection go to the status bar."""
        state = self.feed.drain()
        self.status.set_desk(self.db.desk, state.desks, server=self.db.server is not None)
        self.status.set_connection_lost(state.lost)
        if state.everything or state.children:
            self.desk_keys.feed_changed()
        child = self.current.child
        if child is not None and (state.everything or child.id in state.children):
            try:
                self.current.reload()
            except EpiError as exc:  # the server went away meanwhile: the banner says so
                self.status.showMessage(exc.message, 8000)

    def show_desk(self, *, status: bool = True) -> None:
        """The desk this handle works at, in the title and the status bar."""
        self.setWindowTitle(
            self.tr("EpiManager 儿童预防接种信息管理系统 · %1 · %2")
            .replace("%1", self.info.name)
            .replace("%2", self.db.desk)
        )
        if status:
            self.status.set_desk(self.db.desk, None, server=self.db.server is not None)

    # -- building -------------------------------------------------------------------------

    def _connect_actions(self) -> None:
        a = self.registry
        for _spec, action in a:  # first: a key pressed in a query screen acts in the main window
            action.triggered.connect(self._come_forward)
        a.on(ActionId.FOCUS_PANEL, self.focus_chain.panel)
        a.on(ActionId.FOCUS_GRID, self.focus_chain.grid)
        a.on(ActionId.NEXT_PANEL, self.focus_chain.step)
        a.on(ActionId.PREVIOUS_PANEL, lambda: self.focus_chain.step(forward=False))
        a.on(ActionId.NEW_CHILD, self.new_child)
        a.on(ActionId.QUICK_SEARCH, self.quick_search)
        a.on(ActionId.RECORD_DOSE, self.current.record_dose)
        a.on(ActionId.VISIT_ORDER, self.current.open_order)
        a.on(ActionId.PRECHECK, lambda: open_precheck(self))
        a.on(ActionId.CONSENT, self.current.open_consent)
        a.on(ActionId.EDIT_DOSE, self.current.edit_dose)
        a.on(ActionId.DELETE_DOSE, self.current.delete_current_dose)
        a.on(ActionId.AEFI_CARD, self.open_aefi_card)
        a.on(ActionId.REFRESH, self.current.reload)
        a.on(ActionId.REMINDERS, self.toggle_reminders)
        a.on(ActionId.REPORTS, self.open_reports)
        a.on(ActionId.PRINT_RECORD, lambda: self.print_page("record"))
        a.on(ActionId.PRINT_RECEIPT, lambda: self.print_page("receipt"))
        a.on(ActionId.UPLOAD, self.system.upload_now)
        a.on(ActionId.BACKUP, self.system.backup_now)
        a.on(ActionId.BACKUP_ENCRYPTED, self.system.backup_encrypted)
        a.on(ActionId.RESTORE, self.system.open_restore)
        a.on(ActionId.IMPORT, self.system.open_import)
        a.on(ActionId.UPGRADE, self.system.open_upgrade)
        a.on(ActionId.CALLING_SCREEN, self.visit_windows.open_calling_screen)
        a.on(ActionId.OBSERVE_BOARD, self.visit_windows.open_observe_board)
        a.on(ActionId.PRINT_TICKET, self.visit_windows.print_ticket)
        a.on(ActionId.VISIT_SUMMARY, self.visit_windows.open_summary)
        a.on(ActionId.CONFIG, self.system.open_config)
        a.on(ActionId.USERS, self.system.open_users)
        a.on(ActionId.CHANGE_PASSWORD, self.system.change_password)
        a.on(ActionId.SETTINGS, self.open_settings)
        a.on(ActionId.QUIT, self.close)
        a.on(ActionId.SAVE, lambda: self.events.message.emit(self.tr("没有正在编辑的内容")))
        a.on(ActionId.STATUS_CHANGE, self.change_status)
        a.on(ActionId.STOCK, self.open_stock)
        a.on(ActionId.RECALLS, self.open_recalls)
        for aid, name in (
            (ActionId.QUERY_DOSES, "DoseQueryScreen"),
            (ActionId.QUERY_MANAGED, "ManagedQueryScreen"),
            (ActionId.QUERY_GAP, "GapQueryScreen"),
            (ActionId.QUERY_CHANGES, "ChangeQueryScreen"),
            (ActionId.QUERY_STATUS_CHANGES, "StatusChangeQueryScreen"),
            (ActionId.CLEANING, "CleaningScreen"),
        ):
            a.on(aid, partial(self.open_query, name))

    # -- settings -----------------------------------------------------------------------

    def _apply_settings(self) -> None:
        s = self.settings
        self.registry.apply_settings(s)
        self.hints_action.blockSignals(True)
        self.hints_action.setChecked(s.show_shortcut_hints)
        self.hints_action.blockSignals(False)
        self.panel.set_fields(s.panel_fields)
        self.grid.model.configure(s.grid_fields, s.place_display, self.info.code, self._unit_names)
        self.status.set_user(self.operator or self.nurse())
        self.current.reload()

    def update_settings(self, new: Settings) -> None:
        """Save the preferences and apply them at once."""
        language_changed = new.language != self.settings.language
        self.settings = new
        prefs.save(new, self._settings_path)
        app = QApplication.instance()
        if language_changed and app is not None:
            i18n.install(app, new.language)
        self._apply_settings()
        self.events.settings_changed.emit()

    def set_operator(self, name: str) -> None:
        """The logged-in user (their real name) is the status bar's 操作员, and the nurse on new doses
        unless 设置 → 接种护士 names one: that preference is never overwritten by a login."""
        actor = self.db.actor
        self.operator = actor.real_name if actor is not None and actor.name == name else name
        self.status.set_user(self.operator)

    def nurse(self) -> str:
        """The 接种护士 proposed on new doses: 设置 → 接种护士, else the logged-in user's real name."""
        return self.settings.nurse or self.operator or NOBODY

    def user(self) -> str:
        """Who is working (reports generated by, changes made by): the logged-in user, else the nurse."""
        return self.operator or self.nurse()

    def set_shortcut_hints(self, shown: bool) -> None:
        if shown != self.settings.show_shortcut_hints:
            self.update_settings(replace(self.settings, show_shortcut_hints=shown))

    def open_settings(self) -> SettingsDialog:
        dlg = SettingsDialog(self.settings, self)
        self.settings_dialog = dlg
        dlg.accepted.connect(lambda: self.update_settings(dlg.result_settings()))
        dlg.finished.connect(dlg.deleteLater)
        dlg.open()
        return dlg

    # -- actions ----------------------------------------------------------------------------

    def _focus_grid(self) -> None:
        """Back from a dialog: the keyboard goes to the grid (F4 records, Enter edits)."""
        present(self, self.grid.table)

    def present(self) -> None:
        """In front, active, the keyboard in the grid: F3 works at once (also without a window manager)."""
        present(self, self.grid.table)

    def _come_forward(self) -> None:
        if QApplication.activeWindow() in self._queries.values():
            present(self)

    def quick_search(self) -> SearchDialog:
        self.search_dialog.start()
        return self.search_dialog

    def new_child(self) -> NewChildDialog:
        dlg = NewChildDialog(
            self.db,
            self.info.committees,
            self.nurse(),
            self.info.code,
            today=self.today(),
            save_key=self.registry.key(ActionId.SAVE),
            parent=self,
        )
        self.new_child_dialog = dlg

        def created() -> None:
            if dlg.created is not None:
                self.current.open(dlg.created.code)
                self.events.message.emit(
                    self.tr("已新建儿童 %1，编码 %2").replace("%1", dlg.created.name).replace("%2", dlg.created.code)
                )
                self.events.child_changed.emit(dlg.created.code)

        dlg.accepted.connect(created)
        dlg.finished.connect(dlg.deleteLater)
        dlg.open()
        return dlg

    def toggle_reminders(self) -> None:
        if self.reminders_dock is None:
            from epimanager.ui.reports import notice_actions
            from epimanager.ui.reports.reminders_panel import RemindersPanel

            dock = QDockWidget(self.tr("工作提醒"), self)
            dock.setObjectName("remindersDock")
            panel = RemindersPanel(self.db, self.user(), dock)
            panel.action_requested.connect(self.open_stock_notice)
            panel.action_requested.connect(lambda action: notice_actions.act(self, action, self))
            self.system.message.connect(lambda _text: panel.refresh())  # a backup or upload done
            dock.setWidget(panel)
            self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
            self.reminders_dock = dock
        elif self.reminders_dock.isVisible() and self.focus_chain.in_reminders():
            self.reminders_dock.hide()  # F7 again: away, and the keyboard back in the grid
            self.focus_chain.grid()
            return
        self.focus_chain.reminders(self.reminders_dock)

    def open_aefi_card(self) -> QDialog | None:
        """The AEFI card of the dose selected in the grid (the one written for it, else a new one)."""
        dose = self.grid.current_dose()
        if self.current.child is None or dose is None:
            self.events.message.emit(self.tr("请先在接种登记表中选中一剂"))
            return None
        from epimanager.ui import aefi

        return aefi.for_dose(self.db, dose.uuid, self)

    def change_status(self) -> QDialog | None:
        """在册变更 of the current child (the registry screen's own dialog)."""
        child = self.current.child
        if child is None:
            self.events.message.emit(self.tr("请先按 F3 查找并打开一个儿童"))
            return None
        from epimanager.ui.registry_dialog import RegistryDialog

        dlg = RegistryDialog(self.db, self.user(), child.code, self)
        dlg.accepted.connect(self.current.reload)
        dlg.accepted.connect(lambda: self.events.child_changed.emit(child.code))
        dlg.finished.connect(dlg.deleteLater)
        dlg.open()
        return dlg

    def open_query(self, name: str) -> QWidget:
        """A query screen in its own window; double-clicking a row opens the child here."""
        from epimanager.ui import queries

        screen = self._queries.get(name)
        if screen is None:
            screen = getattr(queries, name)(self.db, self.user(), self)
            screen.setWindowFlag(Qt.WindowType.Window)
            queries.window_keys(screen, [action for _spec, action in self.registry])
            screen.resize(1100, 640)
            screen.open_child.connect(self.current.open)
            screen.open_child.connect(lambda _code: self._focus_grid())
            self._queries[name] = screen
        present(screen, queries.first_filter(screen))
        place_on_screen(screen, self)  # once shown: the frame (title bar, borders) is known
        return screen

    def open_stock(self) -> StockScreen:
        """库存一览 in its own window (one instance), read again each time it is opened."""
        from epimanager.ui.stock.screen import StockScreen

        screen = self.stock_screen
        if screen is None:
            screen = self.stock_screen = StockScreen(self.db, self.user(), self.today, self)
            screen.changed.connect(self.events.message)
        screen.refresh()
        screen.show()
        screen.raise_()
        screen.activateWindow()
        return screen

    def open_recalls(self) -> RecallListDialog:
        """召回/封存批号清单 (库存 menu, Ctrl+7)."""
        from epimanager.ui.stock.recalls import RecallListDialog

        dialog = RecallListDialog(self.db, self)
        dialog.changed.connect(self.events.message)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def open_stock_notice(self, action: str) -> None:
        """An F7 stock notice (``stock:…``) opens 库存一览 on its line; other kinds are not stock's."""
        if action.startswith("stock:"):
            self.open_stock().point_at(action)

    def open_reports(self, kind: str = "6-1", month: str | None = None, *, generate: bool = False) -> QDialog:
        from epimanager.ui.reports.dialog import ReportDialog

        dlg = ReportDialog(self.db, self.user(), self, kind=kind, month=month)
        dlg.finished.connect(dlg.deleteLater)
        from epimanager.ui.reports.reminders_panel import RemindersPanel

        panel = self.reminders_dock.widget() if self.reminders_dock is not None else None
        if isinstance(panel, RemindersPanel):  # a report handed in leaves F7
            dlg.finished.connect(panel.refresh)
        dlg.open()
        if generate:
            dlg.start()
        return dlg

    def page_html(self, kind: str) -> str | None:
        child = self.current.child
        if child is None:
            self.events.message.emit(self.tr("请先按 F3 查找并打开一个儿童"))
            return None
        args = (child, self.current.forecast, self.current.visit, self.info.name, self._unit_names, self.today())
        if kind == "record":
            return documents.record_html(*args)
        return documents.receipt_html(*args, consents=documents.consent_lines(self.current.consents))

    def print_page(self, kind: str, pdf: Path | None = None) -> bool:
        html = self.page_html(kind)
        if html is None:
            return False
        doc = documents.document(html)
        if pdf is not None:
            documents.print_to_pdf(doc, pdf)
            return True
        return documents.print_with_dialog(doc, self)

    # -- start-up and shut-down ------------------------------------------------------------

    def refresh(self) -> None:
        """Counts for the empty screen, off the UI thread (a million children take a while)."""
        db = self.db

        def counts() -> Summary:
            # warm what the first child opened would otherwise pay for on the UI thread:
            # the schedule engine and SQLAlchemy's compiled query for a child
            engine()
            with contextlib.suppress(NotFoundError):
                get_child(db, "0" * 18)
            return summary(db)

        self._summary.run(counts, on_done=self._show_summary)
        self.status.refresh_pending()

    def _show_summary(self, counts: Summary) -> None:
        self.grid.empty.setText(
            self.tr("儿童个案 %1 人（本单位管理 %2 人），接种记录 %3 条\n\n按 F3 查找儿童，或按 F2 新建儿童。")
            .replace("%1", f"{counts.children:,}")
            .replace("%2", f"{counts.managed:,}")
            .replace("%3", f"{counts.doses:,}")
        )

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not getattr(self, "_started", False):
            self._started = True
            self.refresh()

    def _restore_state(self) -> None:
        state = _window_state()
        geometry = state.value("geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        dock_state = state.value("state")
        if isinstance(dock_state, QByteArray):
            self.restoreState(dock_state)

    def closeEvent(self, event: QCloseEvent) -> None:
        self._feed_timer.stop()
        self.feed.stop()
        self.visit_windows.close()
        self.system.shutdown()
        state = _window_state()
        state.setValue("geometry", self.saveGeometry())
        state.setValue("state", self.saveState())
        super().closeEvent(event)
