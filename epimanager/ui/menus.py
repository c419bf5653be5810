"""The main window's menu bar and shortcut bar: the menus as data over the action registry.

Titles keep the ``MainWindow`` translation context they always had.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QSize, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QMainWindow, QToolBar

from epimanager.ui.actions import ActionId, ActionRegistry
from epimanager.ui.i18n import QT_TRANSLATE_NOOP

#: (title, actions; None = a separator), in menu-bar order.
MENUS: tuple[tuple[str, tuple[ActionId | None, ...]], ...] = (
    (
        QT_TRANSLATE_NOOP("MainWindow", "系统(&S)"),
        (
            ActionId.UPLOAD,
            ActionId.BACKUP,
            ActionId.BACKUP_ENCRYPTED,
            ActionId.RESTORE,
            ActionId.IMPORT,
            None,
            ActionId.CONFIG,
            ActionId.UPGRADE,
            ActionId.USERS,
            ActionId.CHANGE_PASSWORD,
            ActionId.SWITCH_DESK,
            None,
            ActionId.SETTINGS,
            None,
            ActionId.QUIT,
        ),
    ),
    (
        QT_TRANSLATE_NOOP("MainWindow", "儿童(&C)"),
        (
            ActionId.NEW_CHILD,
            ActionId.QUICK_SEARCH,
            ActionId.REFRESH,
            ActionId.STATUS_CHANGE,
            None,
            ActionId.CLEANING,
        ),
    ),
    (
        QT_TRANSLATE_NOOP("MainWindow", "接种(&V)"),
        (
            ActionId.PRECHECK,
            ActionId.VISIT_ORDER,
            ActionId.CONSENT,
            ActionId.RECORD_DOSE,
            ActionId.EDIT_DOSE,
            ActionId.DELETE_DOSE,
            ActionId.AEFI_CARD,
            None,
            ActionId.PRINT_RECORD,
            ActionId.PRINT_RECEIPT,
            None,
            ActionId.CALLING_SCREEN,
            ActionId.OBSERVE_BOARD,
            ActionId.PRINT_TICKET,
        ),
    ),
    (
        QT_TRANSLATE_NOOP("MainWindow", "查询(&Q)"),
        (
            ActionId.QUERY_DOSES,
            ActionId.QUERY_MANAGED,
            ActionId.QUERY_GAP,
            ActionId.QUERY_CHANGES,
            ActionId.QUERY_STATUS_CHANGES,
            None,
            ActionId.REPORTS,
            ActionId.VISIT_SUMMARY,
            ActionId.REMINDERS,
        ),
    ),
    (QT_TRANSLATE_NOOP("MainWindow", "库存(&K)"), (ActionId.STOCK, ActionId.RECALLS)),
    (
        QT_TRANSLATE_NOOP("MainWindow", "叫号(&L)"),
        (
            ActionId.TAKE_TICKET,
            None,
            ActionId.DESK_CALL,
            ActionId.DESK_RECALL,
            ActionId.DESK_MISS,
            ActionId.DESK_FINISH,
            ActionId.DESK_BACK,
            ActionId.DESK_CANCEL,
            None,
            ActionId.DESK_QUEUE,
            ActionId.SWITCH_DESK,
        ),
    ),
)


def _tr(text: str) -> str:
    return QCoreApplication.translate("MainWindow", text)


def build_toolbar(window: QMainWindow, registry: ActionRegistry) -> QToolBar:
    """The shortcut bar: every action marked for it, text under the icon."""
    bar = QToolBar(_tr(QT_TRANSLATE_NOOP("MainWindow", "快捷栏")), window)
    bar.setObjectName("shortcutBar")
    bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
    bar.setIconSize(QSize(24, 24))
    bar.setMovable(False)
    for spec, action in registry:
        if spec.toolbar:
            bar.addAction(action)
    window.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
    return bar


def build_menus(
    window: QMainWindow,
    registry: ActionRegistry,
    panel_dock: QDockWidget,
    toolbar: QToolBar,
    on_hints: Callable[[bool], None],
) -> QAction:
    """The menu bar and the 视图 menu (also the shortcut bar's context menu); returns the hints toggle."""
    for title, ids in MENUS:
        menu = window.menuBar().addMenu(_tr(title))
        for aid in ids:
            if aid is None:
                menu.addSeparator()
            else:
                menu.addAction(registry[aid])
    hints = QAction(_tr(QT_TRANSLATE_NOOP("MainWindow", "显示快捷键提示(&H)")), window)
    hints.setObjectName("action_toggle_hints")
    hints.setCheckable(True)
    hints.toggled.connect(on_hints)
    view = window.menuBar().addMenu(_tr(QT_TRANSLATE_NOOP("MainWindow", "视图(&W)")))
    view.addAction(hints)
    view.addAction(panel_dock.toggleViewAction())
    toolbar.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
    toolbar.customContextMenuRequested.connect(lambda pos: view.popup(toolbar.mapToGlobal(pos)))
    return hints
