"""Open the 预检 dialog for the child on screen (Ctrl+J; 接种 → 预检) and read the child again after it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QKeySequence

from epimanager.errors import EpiError
from epimanager.services import precheck
from epimanager.ui import notify
from epimanager.ui.actions import ActionId
from epimanager.ui.visits.precheck_dialog import PrecheckDialog

if TYPE_CHECKING:
    from epimanager.ui.main_window import MainWindow


def tr(text: str) -> str:
    return QCoreApplication.translate("Precheck", text)


def open_precheck(window: MainWindow) -> PrecheckDialog | None:
    """预检 of the open child today (its visit's ticket when it has one); None when no child is open."""
    child = window.current.child
    if child is None:
        window.events.message.emit(tr("请先按 F3 查找并打开一个儿童"))
        return None
    try:
        ctx = precheck.context(window.db, child.code, window.today())
    except EpiError as exc:
        notify.warning(window, tr("预检"), exc.message)
        return None
    dialog = PrecheckDialog(
        window.db, ctx, user=window.nurse() or None, unit_name=window.info.name,
        save_key=QKeySequence(window.registry.key(ActionId.SAVE)), parent=window,
    )  # fmt: skip

    def saved() -> None:
        window.current.reload()
        record = dialog.saved
        if record is not None:
            bad = [f"{o.name}{o.text}" for o in record.outcomes if o.text != "可接种"]
            text = "、".join(bad) if bad else tr("今天的疫苗均可接种")
            window.events.message.emit(tr("已保存预检：%1").replace("%1", text))

    dialog.accepted.connect(saved)
    dialog.finished.connect(dialog.deleteLater)
    dialog.open()
    return dialog
