"""知情告知 (#19 item 2): 42 the consent screen with a signature, 43 the printed receipt with the
consents.  Alone, on a small database:
``xvfb-run -a -s "-screen 0 1366x768x24" env QT_QPA_PLATFORM=xcb .venv/bin/python scripts/screenshots_consent.py``
"""

from __future__ import annotations

import math
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from PySide6.QtWidgets import QApplication, QWidget

REPO = Path(__file__).resolve().parent.parent


def _sign(pad: QWidget) -> None:
    """A pen signature: a few cursive strokes with the pressure rising and falling."""
    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QInputDevice, QPointingDevice, QTabletEvent

    pen = QPointingDevice("screenshot pen", 4712, QInputDevice.DeviceType.Stylus, QPointingDevice.PointerType.Pen,
                          QInputDevice.Capability.Position | QInputDevice.Capability.Pressure, 1, 2)  # fmt: skip

    def send(kind: QEvent.Type, x: float, y: float, p: float) -> None:
        pos = QPointF(x, y)
        left = Qt.MouseButton.LeftButton
        ev = QTabletEvent(kind, pen, pos, pad.mapToGlobal(pos), p, 0.0, 0.0, 0.0, 0.0, 0.0,
                          Qt.KeyboardModifier.NoModifier, left, left)  # fmt: skip
        QApplication.sendEvent(pad, ev)

    for x0, width, loops, lift in ((40, 120, 3, 8), (190, 90, 2, -6), (300, 150, 4, 4)):
        n = 60
        for i in range(n + 1):
            t = i / n
            x = x0 + width * t + 12 * math.sin(t * loops * 2 * math.pi)
            y = 80 - 30 * math.sin(t * loops * math.pi) * (1 - t / 2) + lift * t
            p = 0.25 + 0.6 * math.sin(t * math.pi)
            kind = (
                QEvent.Type.TabletPress if i == 0 else (QEvent.Type.TabletRelease if i == n else QEvent.Type.TabletMove)
            )
            send(kind, x, y, p)


def render(
    app: QApplication,
    window: object,
    out: Path,
    settle: Callable[[QApplication, int], None],
    save: Callable[[QWidget, Path, str], None],
    code: str,
) -> None:
    """42: the consent screen (Ctrl+Shift+I) with HepB agreed and IPV being signed; 43: the receipt."""
    from epimanager.services import consent, visit_order, visits
    from epimanager.ui.main_window import MainWindow
    from epimanager.ui.print import documents

    w = window
    assert isinstance(w, MainWindow)
    visits.take(w.db, code, desk="取号机")
    visit_order.set_order(
        w.db, "A001", [visit_order.OrderItem(c, n) for c, n in (("HepB", 2), ("IPV", 1), ("DTaP", 1))]
    )
    w.current.open(code)
    settle(app, 300)
    dialog = w.current.open_consent()
    if dialog is None:
        return
    settle(app, 300)
    dialog.resize(1100, 760)
    _sign(dialog.pad)
    dialog.try_save()  # HepB: 同意, signed; on to IPV
    settle(app, 200)
    _sign(dialog.pad)
    settle(app, 300)
    save(dialog, out, "42-consent-signature.png")
    dialog.try_save()  # IPV signed too
    dialog.buttons[1].setChecked(True)  # DTaP: 不同意 on paper
    dialog.paper.setChecked(True)
    dialog.reason.setText("孩子近两天腹泻，家长要求下次再种")
    dialog.try_save()
    settle(app, 300)
    w.current.reload()
    print("consents:", [(c.vaccine_abbr, c.status) for c in consent.consents_of(w.db, code)])
    html = w.page_html("receipt")
    assert html is not None
    pdf = Path(tempfile.mkdtemp(prefix="epi-shots-consent-")) / "receipt.pdf"
    documents.print_to_pdf(documents.document(html), pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", "-singlefile", str(pdf), str(out / "43-receipt-consent")], check=True
    )
    print(out / "43-receipt-consent.png")


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
    tmp = Path(tempfile.mkdtemp(prefix="epi-shots-consent-"))
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
