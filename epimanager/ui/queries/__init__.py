"""Query screens (接种明细 / 管理门诊 / 免疫空白 / 个案变更 / 在册变更 / 数据清理), one module each.

Every screen is a ``QWidget`` built with ``(db, user, parent=None)`` and
emits ``open_child(str)`` with a child code when a row is double-clicked (or
Enter is pressed on it).  :func:`window_keys` gives a screen opened in its own
window the close keys (Esc, Ctrl+W) and the main window's keys.
"""

from epimanager.ui.queries.changes import ChangeQueryScreen
from epimanager.ui.queries.cleaning import CleaningScreen
from epimanager.ui.queries.doses import DoseQueryScreen
from epimanager.ui.queries.gap import GapQueryScreen
from epimanager.ui.queries.managed import ManagedQueryScreen
from epimanager.ui.queries.paged_model import PagedTableModel
from epimanager.ui.queries.status_changes import StatusChangeQueryScreen
from epimanager.ui.queries.window import first_filter, window_keys

__all__ = [
    "ChangeQueryScreen",
    "CleaningScreen",
    "DoseQueryScreen",
    "GapQueryScreen",
    "ManagedQueryScreen",
    "PagedTableModel",
    "StatusChangeQueryScreen",
    "first_filter",
    "window_keys",
]
