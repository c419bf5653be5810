"""Render the main screens of the desktop client to PNG files (run through ./scripts/screenshots)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from PySide6.QtCore import QSize, Qt  # noqa: E402
from PySide6.QtGui import QImage, QPainter  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

UNIT = "3201020101"
UNIT_NAME = "某某社区卫生服务中心预防接种门诊"


def build_demo(path: Path, children: int) -> None:
    py = sys.executable
    run = [py, "-m", "epimanager", "--db", str(path)]
    subprocess.run(
        [
            *run,
            "init",
            "--unit",
            UNIT,
            "--unit-name",
            UNIT_NAME,
            "--committee",
            "东风村",
            "--committee",
            "红旗村",
            "--committee",
            "城关社区",
        ],
        check=True,
        cwd=REPO,
    )
    subprocess.run(
        [*run, "demo", "--children", str(children), "--seed", "1", "--quiet", "--stock"], check=True, cwd=REPO
    )


def settle(app: QApplication, ms: int = 300) -> None:
    QTest.qWait(ms)
    app.processEvents()


def save(widget: QWidget, out: Path, name: str) -> None:
    path = out / name
    widget.grab().save(str(path))
    print(f"{path}  {widget.width()}x{widget.height()}")


def pick_child(db: object, today: date) -> str:
    """A child about 8 months old, in register, with doses and something due (a typical visit)."""
    from epimanager.services.children import get_child
    from epimanager.services.forecast import engine
    from epimanager.services.search import search

    month = today - timedelta(days=245)
    for row in search(db, f"{month.year}-{month.month:02d}", limit=200).rows:  # type: ignore[arg-type]
        child = get_child(db, row.child_code)  # type: ignore[arg-type]
        if not row.in_register or len(child.doses) < 6:
            continue
        fc = engine().forecast(child.birth_date, today, child.doses, child.sex)
        if any(f.status.value in ("due", "overdue") for f in fc.series):
            return row.child_code
    raise SystemExit("no suitable child in the demo database")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", type=Path, default=REPO / "benchmarks" / ".cache" / "demo-20000.sqlite")
    ap.add_argument("--children", type=int, default=20000)
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = ap.parse_args()
    if not args.db.exists():
        args.db.parent.mkdir(parents=True, exist_ok=True)
        build_demo(args.db, args.children)
    args.out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="epi-shots-"))
    os.environ["EPIMANAGER_DATA_DIR"] = str(tmp)

    app = QApplication(sys.argv[:1])
    from epimanager.settings import Language, Settings
    from epimanager.store.database import open_database
    from epimanager.ui import i18n
    from epimanager.ui.fonts import apply_cjk_font
    from epimanager.ui.main_window import MainWindow
    from tests.helpers.qt import type_text

    print("font:", apply_cjk_font(app))
    i18n.install(app, Language.ZH_CN)
    db = open_database(args.db)
    today = date.today()
    from epimanager.services.demo_stock import receive_demo_stock
    from epimanager.services.stock.reports import on_hand

    if not on_hand(db, today):  # a demo database built before `demo --stock`: give it some stock to show
        print("demo stock received:", receive_demo_stock(db, today))
    w = MainWindow(db, Settings(nurse="王护士"), settings_path=tmp / "settings.json")
    w.resize(1366, 740)
    w.show()
    while "儿童个案" not in w.summary.text() or "—" in w.status.pending_label.text():
        settle(app, 100)
    save(w, args.out, "01-start.png")

    code = pick_child(db, today)
    dlg = w.quick_search()
    dlg.resize(960, 460)
    child = w.current
    from epimanager.services.children import get_child

    rec = get_child(db, code)
    from pypinyin import Style, lazy_pinyin

    # what a nurse types most: the initials of the name (e.g. "lpp"); wait for the results to arrive
    type_text(dlg.query, "".join(lazy_pinyin(rec.name, style=Style.FIRST_LETTER)))
    for _ in range(100):
        settle(app, 100)
        if dlg.model.rowCount() > 0:
            break
    settle(app, 300)
    save(dlg, args.out, "02-quick-search-f3.png")
    dlg.query.clear()
    type_text(dlg.query, rec.birth_date.isoformat())
    settle(app, 400)
    dlg.reject()
    child.open(code)
    settle(app, 500)
    save(w, args.out, "03-daily-vaccination.png")

    dose = child.record_dose()
    assert dose is not None
    while not dose.batch.count():
        settle(app, 100)
    settle(app, 200)
    save(dose, args.out, "04-record-dose.png")
    dose.reject()

    new = w.new_child()
    type_text(new.name, "陈小宝")
    type_text(new.mother_name, "林芳")
    from epimanager.domain.identifiers import id_check_char

    QTest.keyClicks(new.id_number, "32010220261001003" + id_check_char("32010220261001003"))
    QTest.keyClicks(new.phone, "1381234567")  # one digit short: the form says so while typing
    new.birth_checks["0201"].setChecked(True)
    new.birth_checks["0101"].setChecked(True)
    settle(app, 400)
    save(new, args.out, "05-new-child.png")
    new.reject()

    settings = w.open_settings()
    settings.resize(700, 540)
    settings.tabs.setCurrentIndex(3)
    settle(app, 300)
    save(settings, args.out, "06-settings-shortcuts.png")
    settings.tabs.setCurrentIndex(1)
    settle(app, 200)
    save(settings, args.out, "07-settings-panel-fields.png")
    settings.reject()

    from epimanager.ui.print import documents

    html = w.page_html("record")
    assert html is not None
    doc = documents.document(html)
    doc.setPageSize(QSize(794, 1123).toSizeF())  # A4 at 96 dpi
    image = QImage(794, 1123, QImage.Format.Format_RGB32)
    image.fill(Qt.GlobalColor.white)
    painter = QPainter(image)
    doc.drawContents(painter)
    painter.end()
    image.save(str(args.out / "08-print-record.png"))
    print(args.out / "08-print-record.png")

    # 表6-1 for last month, generated on a worker thread, then previewed
    reports = w.open_reports()
    reports.resize(1300, 640)
    reports.start()
    for _ in range(3000):  # up to 5 minutes on a busy machine
        settle(app, 100)
        if reports.report is not None:
            break
    settle(app, 300)
    save(reports, args.out, "09-report-6-1.png")
    # the same report printed (A4, through the table printer): pages 1 and 2 as the CDC gets them
    pdf = tmp / "6-1.pdf"
    reports.print_to_pdf(pdf)
    for n, name in ((1, "13-print-6-1-page1"), (2, "14-print-6-1-page2")):
        page = ["-f", str(n), "-l", str(n), "-singlefile"]
        subprocess.run(["pdftoppm", "-r", "110", "-png", *page, str(pdf), str(args.out / name)], check=True)
        print(args.out / f"{name}.png")
    reports.close()

    # F7 工作提醒 beside the main window
    w.toggle_reminders()
    settle(app, 800)
    save(w, args.out, "10-reminders-f7.png")

    # 儿童 → 数据清理: probable duplicates, found on a worker thread
    cleaning = w.open_query("CleaningScreen")
    cleaning.resize(1300, 640)
    cleaning.find_duplicates()  # type: ignore[attr-defined]
    for _ in range(600):
        settle(app, 100)
        if cleaning.find_button.isEnabled():  # type: ignore[attr-defined]
            break
    settle(app, 300)
    save(cleaning, args.out, "11-data-cleaning.png")
    cleaning.close()

    # 库存一览 (Ctrl+6): vaccines and syringes on hand, read on a worker thread
    stock = w.open_stock()
    stock.resize(1240, 560)
    for _ in range(100):
        settle(app, 100)
        if stock.model.rowCount() > 0:
            break
    settle(app, 300)
    save(stock, args.out, "12-stock-on-hand.png")
    stock.close()

    # Ctrl+3 免疫空白 and Ctrl+1 接种明细 (this month): placed on the screen, columns fitted to content
    for name, shot in (("GapQueryScreen", "16-query-gap.png"), ("DoseQueryScreen", "17-query-doses.png")):
        screen = w.open_query(name)
        screen.run_query()  # type: ignore[attr-defined]
        for _ in range(300):
            settle(app, 100)
            model = screen.model  # type: ignore[attr-defined]
            if model.rowCount() >= 25 or not model.filling:
                break
        settle(app, 300)
        save(screen, args.out, shot)
        screen.close()
    # the edges of the daily loop: first run, names, messages at their fields (#21 items 5–9)
    from scripts.screenshots_dialogs import render

    render(app, w, args.out, settle, save)
    # 登记's 今日接种安排 (Ctrl+O) for the child opened above, after it took a ticket
    from scripts.screenshots_order import render as render_order

    render_order(app, w, args.out, settle, save, code)
    # the desks of the clinic flow: the queue at the 登记台 and at a 接种台 (#18 item 2)
    from scripts.screenshots_desks import render as render_desks

    render_desks(app, args.out, settle, save)
    # the clinic flow (#18 items 4–7): calling screen, 留观 board, ticket, day summary
    from scripts.screenshots_visits import render as render_visits

    render_visits(app, args.out, settle, save)
    w.close()
    db.close()
    save_receipt(args.out, tmp)
    return 0


def save_receipt(out: Path, tmp: Path) -> None:
    """15-receipt.png: the printed 回执 (PDF → pdftoppm) of a two-year-old given JE-L 第2剂 on
    2026-11-26 — the next visit is HepA-L 28 days later (a fixed, hand-checked case)."""
    from epimanager.domain.validation import ChildInput, DoseInput
    from epimanager.services.children import create_child, get_child
    from epimanager.services.doses import add_dose
    from epimanager.services.forecast import forecast_record
    from epimanager.services.next_visit import next_visit
    from epimanager.services.units import init_database
    from epimanager.store.database import open_database
    from epimanager.ui.print import documents

    day = date(2026, 11, 26)
    path = tmp / "receipt.sqlite"
    init_database(path, UNIT, UNIT_NAME, ["东风村"])
    db = open_database(path)
    code = create_child(db, ChildInput("王小明", "1", date(2024, 11, 26), mother_name="李梅"), today=day).code
    history = (
        ("HepB", 1, "2024-11-26"), ("BCG", 1, "2024-11-26"), ("HepB", 2, "2024-12-26"), ("IPV", 1, "2025-01-26"),
        ("DTaP", 1, "2025-01-26"), ("IPV", 2, "2025-02-26"), ("bOPV", 3, "2025-03-26"), ("DTaP", 2, "2025-03-26"),
        ("HepB", 3, "2025-05-26"), ("DTaP", 3, "2025-05-26"), ("MPSV-A", 1, "2025-05-26"), ("MMR", 1, "2025-07-26"),
        ("JE-L", 1, "2025-07-26"), ("MPSV-A", 2, "2025-08-26"), ("DTaP", 4, "2026-05-26"), ("MMR", 2, "2026-05-26"),
    )  # fmt: skip
    for vaccine, n, when in history:
        add_dose(db, code, DoseInput(vaccine, n, date.fromisoformat(when)), today=day)
    add_dose(db, code, DoseInput("JE-L", 2, day, batch_no="202609A1", nurse="王护士"), today=day)
    child = get_child(db, code)
    html = documents.receipt_html(
        child, forecast_record(db, child, day), next_visit(db, child, day), UNIT_NAME, {UNIT: UNIT_NAME}, day
    )
    pdf = documents.print_to_pdf(documents.document(html), tmp / "receipt.pdf")
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-singlefile", str(pdf), str(out / "15-receipt")], check=True)
    print(out / "15-receipt.png")
    db.close()


if __name__ == "__main__":
    raise SystemExit(main())
