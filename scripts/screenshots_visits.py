"""The clinic-flow screens (#18 items 4–7), rendered by scripts/screenshots.py or on their own:
33 叫号屏, 34 留观看板, 35 the printed ticket (PDF → pdftoppm), 36 接种流程日汇总.

    xvfb-run -a -s "-screen 0 1366x768x24" env QT_QPA_PLATFORM=xcb .venv/bin/python scripts/screenshots_visits.py
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

UNIT = "3201020101"
UNIT_NAME = "某某社区卫生服务中心预防接种门诊"
NAMES = ("徐晓瑶", "张浩然", "李梓涵", "王一诺", "陈思远", "刘子墨", "欧阳娜娜", "赵雨桐", "孙浩宇", "周欣怡", "吴俊熙")


def render(
    app: QApplication,
    out: Path,
    settle: Callable[[QApplication, int], None],
    save: Callable[[QWidget, Path, str], None],
) -> None:
    from epimanager.domain.validation import ChildInput
    from epimanager.services import visits as V
    from epimanager.services.children import create_child
    from epimanager.services.units import init_database
    from epimanager.settings import Settings
    from epimanager.store.database import open_database
    from epimanager.ui.visits import ticket as T
    from epimanager.ui.visits.calling_screen import CallingScreen
    from epimanager.ui.visits.day_summary import DaySummaryDialog
    from epimanager.ui.visits.observe_board import ObserveBoard

    tmp = Path(tempfile.mkdtemp(prefix="epi-shots-visits-"))
    day = date.today()

    def at(minutes: float) -> datetime:
        return datetime.combine(day, time(8, 0)) + timedelta(minutes=minutes)

    init_database(tmp / "epi.sqlite", UNIT, UNIT_NAME, ["东风村"])
    db = open_database(tmp / "epi.sqlite")
    codes = [
        create_child(
            db, ChildInput(n, "2" if i % 2 else "1", date(2026, 1 + i % 9, 3), mother_name="李梅"), today=day
        ).code
        for i, n in enumerate(NAMES)
    ]
    for i, code in enumerate(codes):
        V.take(db, code, booked=i == 5, now=at(i * 3))
    # four through to 留观 (one there for 35 minutes), then calls at three desks
    for i in range(4):
        for step, desk in (("预检", "预检台 1"), ("登记", "登记台 1"), ("接种", f"接种台 {1 + i % 2}")):
            r = V.call(db, desk, step, now=at(8 + i * 4))
            V.finish(db, r.ticket, now=at(9 + i * 4))
    V.call(db, "预检台 1", "预检", now=at(40))
    r = V.call(db, "预检台 1", "预检", now=at(41))
    V.finish(db, r.ticket, now=at(42))
    V.call(db, "登记台 1", "登记", now=at(43))
    V.call(db, "预检台 2", "预检", now=at(44))
    V.note(db, "A002", "注射部位红肿约 1 cm", desk="留观台", now=at(45))

    screen = CallingScreen(db, Settings(calling_speech=False), tmp / "settings.json", title=UNIT_NAME)
    screen.resize(1280, 720)
    screen.show()
    while screen.board is None:
        settle(app, 100)
    settle(app, 300)
    save(screen, out, "33-calling-screen.png")
    screen.close()

    board = ObserveBoard(db, now=lambda: at(47))
    board.resize(760, 300)
    board.start()
    while board.table.rowCount() == 0:
        settle(app, 100)
    settle(app, 300)
    save(board, out, "34-observe-board.png")
    board.close()

    record = V.find_by_payload(db, f"EPIV:{day.isoformat()}:A007")
    assert record is not None
    order = ["乙肝疫苗 第2剂 左上臂", "脊灰灭活疫苗 第1剂 右大腿"]  # what wt-order's order_lines will give
    pdf = T.print_to_pdf(T.content(record, UNIT_NAME, lambda _t: order), tmp / "ticket.pdf", T.Paper.ROLL_80)
    subprocess.run(["pdftoppm", "-png", "-r", "150", "-singlefile", str(pdf), str(out / "35-ticket")], check=True)
    print(out / "35-ticket.png")

    V.finish(db, "A001", now=at(60))
    V.finish(db, "A003", reason="家长有急事", now=at(45))
    summary = DaySummaryDialog(db, UNIT_NAME)
    summary.show()
    while summary.shown is None:
        settle(app, 100)
    settle(app, 300)
    save(summary, out, "36-visit-day-summary.png")
    summary.close()
    db.close()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
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
    raise SystemExit(main())
