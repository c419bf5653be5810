"""登记's 今日接种安排 (#18 item 3), rendered by scripts/screenshots.py — or alone, on a small database:
``xvfb-run -a -s "-screen 0 1366x768x24" env QT_QPA_PLATFORM=xcb .venv/bin/python scripts/screenshots_order.py``
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from PySide6.QtWidgets import QApplication, QWidget

REPO = Path(__file__).resolve().parent.parent


def render(
    app: QApplication,
    window: object,
    out: Path,
    settle: Callable[[QApplication, int], None],
    save: Callable[[QWidget, Path, str], None],
    code: str | None = None,
) -> None:
    """32: the order dialog (Ctrl+O) for the open child (or ``code``), after it took a ticket today."""
    from epimanager.errors import EpiError
    from epimanager.services import visits
    from epimanager.ui.main_window import MainWindow

    w = window
    assert isinstance(w, MainWindow)
    code = code or (w.current.child.code if w.current.child else None)
    if code is None:
        return
    try:
        visits.take(w.db, code, desk="取号机")
    except EpiError as exc:  # a ticket from an earlier run of the script: use it
        print("visit:", exc.message)
    w.current.open(code)
    settle(app, 300)
    dialog = w.current.open_order()
    if dialog is None:
        return
    settle(app, 300)
    save(dialog, out, "32-visit-order.png")
    dialog.reject()


def main() -> int:
    sys.path.insert(0, str(REPO))
    from epimanager.domain.validation import ChildInput, DoseInput
    from epimanager.services.children import create_child
    from epimanager.services.units import init_database
    from epimanager.settings import Language, Settings
    from epimanager.store.database import open_database
    from epimanager.ui import i18n
    from epimanager.ui.fonts import apply_cjk_font
    from epimanager.ui.main_window import MainWindow
    from scripts.screenshots import UNIT, UNIT_NAME, save, settle

    app = QApplication(sys.argv[:1])
    print("font:", apply_cjk_font(app))
    i18n.install(app, Language.ZH_CN)
    tmp = Path(tempfile.mkdtemp(prefix="epi-shots-order-"))
    init_database(tmp / "epi.sqlite", UNIT, UNIT_NAME, ["东风村"])
    db = open_database(tmp / "epi.sqlite")
    born = date.today() - timedelta(days=67)  # past 2 months: HepB 2, IPV 1, DTaP 1 due
    birth = [DoseInput("HepB", 1, born, site="右上臂"), DoseInput("BCG", 1, born, site="左上臂")]
    code = create_child(db, ChildInput("陈小宝", "1", born, mother_name="林芳"), birth_doses=birth).code
    w = MainWindow(db, Settings(nurse="王护士"), settings_path=tmp / "settings.json")
    w.resize(1366, 740)
    w.show()
    settle(app, 500)
    render(app, w, REPO / "docs" / "screenshots", settle, save, code)
    w.close()
    db.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
