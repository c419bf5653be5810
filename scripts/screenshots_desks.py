"""The desks of the clinic flow (#18 item 2), rendered by scripts/screenshots.py or on their own:
the queue at the 登记台 and at a 接种台 with a few tickets (30–31).

    xvfb-run -a env QT_QPA_PLATFORM=xcb .venv/bin/python scripts/screenshots_desks.py [--out DIR]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

UNIT = "3201020101"
UNIT_NAME = "某某社区卫生服务中心预防接种门诊"
CHILDREN = (
    ("徐梦瑶", "2", date(2026, 3, 1), "李梅"),
    ("张浩然", "1", date(2025, 11, 8), "王丽"),
    ("欧阳娜娜", "2", date(2026, 6, 20), "欧阳雪"),
    ("陈小宝", "1", date(2026, 9, 2), "林芳"),
    ("刘一诺", "2", date(2025, 5, 17), "赵敏"),
    ("王子豪", "1", date(2024, 12, 30), "孙红"),
    ("李思彤", "2", date(2026, 1, 9), "周静"),
)


def build(path: Path, now: datetime) -> dict[str, str]:
    """A clinic running 登记 → 接种 → 留观 with seven tickets at different points; ticket → child code."""
    from epimanager.domain.validation import ChildInput
    from epimanager.domain.visit import Step
    from epimanager.services import desks, visits
    from epimanager.services.children import create_child
    from epimanager.services.config import visit_flow
    from epimanager.services.units import init_database
    from epimanager.store.database import open_database

    init_database(path, UNIT, UNIT_NAME, ["东风村", "红旗村"])
    db = open_database(path)
    visit_flow.set_flow(db, steps=["登记", "接种", "留观"])
    codes: dict[str, str] = {}
    today = now.date()
    for i, (name, sex, born, mother) in enumerate(CHILDREN):
        code = create_child(db, ChildInput(name, sex, born, mother_name=mother, committee="东风村"), today=today).code
        r = visits.take(db, code, booked=i == 6, desk="登记台", now=now - timedelta(minutes=42 - 5 * i))
        codes[r.ticket] = code

    def at(minutes: int) -> datetime:
        return now - timedelta(minutes=minutes)

    for ticket, minutes in (("A001", 36), ("A002", 30), ("A003", 24)):  # registered, now at 接种
        visits.recall(db, ticket, desk="登记台", now=at(minutes))
        visits.finish(db, ticket, desk="登记台", now=at(minutes - 2))
    visits.call(db, "1号接种台", "接种", now=at(15))
    visits.start(db, "A001", desk="1号接种台", now=at(14))
    visits.call(db, "2号接种台", "接种", now=at(2))
    visits.recall(db, "A005", desk="登记台", now=at(12))
    visits.miss(db, "A005", desk="登记台", now=at(9))  # called, not there: back at the end
    desks.call_next(db, "登记台", (Step.REGISTER,), now=at(1))  # F11 at the 登记台: the booked Y001 first
    db.close()
    return codes


def render(
    app: QApplication,
    out: Path,
    settle: Callable[[QApplication, int], None],
    save: Callable[[QWidget, Path, str], None],
) -> None:
    from epimanager.settings import Settings
    from epimanager.store.database import open_database
    from epimanager.ui.main_window import MainWindow

    tmp = Path(tempfile.mkdtemp(prefix="epi-shots-desks-"))
    now = datetime.now().replace(second=0, microsecond=0)
    codes = build(tmp / "flow.sqlite", now)
    for desk, ticket, name in (
        ("登记台", "Y001", "30-desk-register.png"),
        ("1号接种台", "A001", "31-desk-inoculate.png"),
    ):
        db = open_database(tmp / "flow.sqlite")
        db.desk = desk
        w = MainWindow(db, Settings(nurse="王护士"), settings_path=tmp / f"{desk}.json")
        w.resize(1366, 740)
        w.show()
        w.desk_keys.clock = lambda: now
        w.desk_keys.refresh()
        w.current.open(codes[ticket])
        w.desk_keys.panel.select(ticket)
        said = {"Y001": "请 Y001 号 李思彤 到 登记台", "A001": "A001 接种 进行中"}  # what F11 / Enter said
        w.desk_keys.panel.say(said[ticket])
        w.resizeDocks([w.desk_keys.dock], [430], Qt.Orientation.Horizontal)
        settle(app, 600)
        save(w, out, name)
        w.close()
        db.close()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = ap.parse_args()
    import os

    os.environ["EPIMANAGER_DATA_DIR"] = tempfile.mkdtemp(prefix="epi-shots-data-")
    app = QApplication(sys.argv[:1])
    from epimanager.settings import Language
    from epimanager.ui import i18n
    from epimanager.ui.fonts import apply_cjk_font

    print("font:", apply_cjk_font(app))
    i18n.install(app, Language.ZH_CN)

    def settle(app: QApplication, ms: int = 300) -> None:
        QTest.qWait(ms)
        app.processEvents()

    def save(widget: QWidget, out: Path, name: str) -> None:
        widget.grab().save(str(out / name))
        print(f"{out / name}  {widget.width()}x{widget.height()}")

    render(app, args.out, settle, save)
    return 0


if __name__ == "__main__":
    sys.exit(main())
