"""预检 (#19 item 1): 40 the dialog at the 预检台 (a fever and a severe reaction to DTaP), 41 the child
screen after it (暂缓 / 禁忌 in the grid) and the printed 医学建议书 (PDF → pdftoppm):

    xvfb-run -a -s "-screen 0 1366x768x24" env QT_QPA_PLATFORM=xcb .venv/bin/python scripts/screenshots_precheck.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

from PySide6.QtWidgets import QApplication

REPO = Path(__file__).resolve().parent.parent


def main() -> int:
    sys.path.insert(0, str(REPO))
    from epimanager.domain.validation import ChildInput, DoseInput
    from epimanager.services import visits
    from epimanager.services.children import create_child
    from epimanager.services.units import init_database
    from epimanager.settings import Language, Settings
    from epimanager.store.database import open_database
    from epimanager.ui import i18n
    from epimanager.ui.fonts import apply_cjk_font
    from epimanager.ui.main_window import MainWindow
    from epimanager.ui.print import documents
    from epimanager.ui.visits.precheck_launch import open_precheck
    from scripts.screenshots import UNIT, UNIT_NAME, save, settle

    out = REPO / "docs" / "screenshots"
    app = QApplication(sys.argv[:1])
    print("font:", apply_cjk_font(app))
    i18n.install(app, Language.ZH_CN)
    tmp = Path(tempfile.mkdtemp(prefix="epi-shots-precheck-"))
    init_database(tmp / "epi.sqlite", UNIT, UNIT_NAME, ["东风村"])
    db = open_database(tmp / "epi.sqlite")
    born = date.today() - timedelta(days=67)  # past 2 months: HepB 2, IPV 1, DTaP 1 due
    birth = [DoseInput("HepB", 1, born, site="右上臂"), DoseInput("BCG", 1, born, site="左上臂")]
    code = create_child(db, ChildInput("陈小宝", "1", born, mother_name="林芳"), birth_doses=birth).code
    visits.take(db, code, desk="取号机")
    w = MainWindow(db, Settings(nurse="王护士"), settings_path=tmp / "settings.json")
    w.resize(1366, 740)
    w.show()
    settle(app, 500)
    w.current.open(code)
    settle(app, 300)
    dialog = open_precheck(w)
    assert dialog is not None
    settle(app, 300)
    dialog.temperature.setText("37.8")
    dialog.questions[1].check.setChecked(True)
    detail = dialog.questions[1].detail
    assert detail is not None
    detail.setText("DTaP")
    settle(app, 200)
    save(dialog, out, "40-precheck.png")
    dialog.try_save()
    settle(app, 300)
    save(dialog, out, "40-precheck-saved.png")
    html = dialog.slip_html()
    assert html is not None
    pdf = documents.print_to_pdf(documents.document(html), tmp / "slip.pdf")
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-singlefile", str(pdf), str(out / "41-precheck-slip")], check=True)
    dialog.reject()
    settle(app, 500)
    save(w, out, "41-precheck-deferred-grid.png")
    w.close()
    db.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
