"""The printed ticket (PDF read back), a scanned ticket in F3, and the day summary dialog with its xlsx."""

from __future__ import annotations

import subprocess
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from epimanager.domain.validation import ChildInput
from epimanager.services import visits
from epimanager.services.children import create_child
from epimanager.store.database import Database
from epimanager.ui.main_window import MainWindow
from epimanager.ui.visits import ticket as T
from epimanager.ui.visits.day_summary import DaySummaryDialog

TODAY = date(2026, 11, 26)


def at(hour: int, minute: int) -> datetime:
    return datetime(2026, 11, 26, hour, minute)


def new_child(db: Database, name: str) -> str:
    return create_child(db, ChildInput(name, "2", date(2026, 3, 1), mother_name="李梅"), today=TODAY).code


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def pdf_images(path: Path) -> list[str]:
    out = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True).stdout
    return out.splitlines()[2:]  # after the two header lines


def page_size_mm(path: Path) -> tuple[int, int]:
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    words = next(line for line in out.splitlines() if line.startswith("Page size:")).split()
    return round(float(words[2]) * 25.4 / 72), round(float(words[4]) * 25.4 / 72)


@pytest.mark.parametrize(
    ("paper", "size"),
    [(T.Paper.ROLL_80, (80, 120)), (T.Paper.ROLL_58, (58, 110)), (T.Paper.A4, (210, 297))],
)
def test_the_ticket_has_number_masked_name_date_step_order_and_a_qr_image(
    qtbot: QtBot, db: Database, tmp_path: Path, paper: T.Paper, size: tuple[int, int]
) -> None:
    record = visits.take(db, new_child(db, "徐晓瑶"), now=at(8, 5))
    order = ["乙肝疫苗 第2剂 左上臂", "脊灰灭活疫苗 第1剂 右大腿"]  # wt-order's order_lines go through this hook
    content = T.content(record, "玄武区测试社区卫生服务中心", lambda ticket: order if ticket == "A001" else [])
    pdf = T.print_to_pdf(content, tmp_path / "ticket.pdf", paper)
    text = pdf_text(pdf)
    for expected in ("A001", "徐*瑶", "2026-11-26", "08:05", "请到 预检 等候叫号", "EPIV:2026-11-26:A001", *order):
        assert expected in text, expected
    assert "徐晓瑶" not in text  # the full name is never on the ticket
    assert len(pdf_images(pdf)) == 1  # the QR code
    assert page_size_mm(pdf) == size  # a roll is cut after the ticket


def test_the_window_prints_the_order_set_at_registration_on_the_ticket(
    qtbot: QtBot, db: Database, window: MainWindow, tmp_path: Path
) -> None:
    from epimanager.services import visit_order

    now = datetime.now().replace(microsecond=0)
    record = visits.take(db, new_child(db, "徐晓瑶"), now=now)
    visit_order.set_order(db, record.ticket, [visit_order.parse_item("HepB:1:右上臂")], now=now)
    content = T.content(record, "测试门诊", window.visit_windows.order_lines)
    text = pdf_text(T.print_to_pdf(content, tmp_path / "ticket.pdf", T.Paper.ROLL_80))
    assert "今日接种：" in text and "1. 乙肝疫苗 第1剂 右上臂" in text
    assert "今日接种安排" not in text  # one heading, the ticket's own


def test_a_scanned_ticket_in_f3_opens_the_child(qtbot: QtBot, db: Database, window: MainWindow) -> None:
    code = new_child(db, "徐晓瑶")
    new_child(db, "张浩")
    visits.take(db, code, now=datetime(TODAY.year, TODAY.month, TODAY.day, 8, 0))
    window.quick_search()
    dialog = window.search_dialog
    QTest.keyClicks(dialog.query, "EPIV:2026-11-26:A009")  # no such ticket: said, nothing opened
    QTest.keyClick(dialog.query, Qt.Key.Key_Return)
    assert dialog.notice.text() == "2026-11-26 没有 A009 号"
    assert window.current.child is None
    dialog.query.clear()
    QTest.keyClicks(dialog.query, "EPIV:2026-11-26:A001")  # what the scanner types, then Enter
    QTest.keyClick(dialog.query, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.current.child is not None and window.current.child.code == code, timeout=3000)
    assert not dialog.isVisible()


def _day(db: Database) -> None:
    """A001 waits 4 min at 预检, A002 7, A003 10; A003 leaves 留观 after 12 minutes; A004 misses three calls."""
    codes = [new_child(db, n) for n in ("徐晓瑶", "张浩", "李四", "王五")]
    for code in codes:
        visits.take(db, code, now=at(8, 0))
    for minute in (4, 7, 10):
        t = visits.call(db, "预检台", "预检", now=at(8, minute)).ticket
        visits.finish(db, t, now=at(8, minute))
    for _ in range(3):
        visits.call(db, "预检台", "预检", now=at(8, 11))
        visits.miss(db, "A004", now=at(8, 11))
    for step in ("登记", "接种"):
        visits.call(db, "台", step, now=at(8, 20))
        visits.finish(db, "A001", now=at(8, 20))
    visits.finish(db, "A001", reason="家长有急事", now=at(8, 32))


def test_day_summary_dialog_and_its_xlsx(qtbot: QtBot, db: Database, tmp_path: Path) -> None:
    _day(db)
    dialog = DaySummaryDialog(db, "测试门诊", today=lambda: TODAY)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.shown is not None, timeout=3000)
    assert dialog.headline.text() == "2026-11-26：取号 4 个（预约 0，现场 4）；过号未到 1 个（A004）"
    steps = {dialog.steps.item(r, 0).text(): dialog.steps.item(r, 1).text() for r in range(dialog.steps.rowCount())}
    assert steps == {"预检": "0", "登记": "2", "接种": "0", "留观": "0", "完成": "1", "取消": "1"}
    # 预检 waits 4, 7, 10 and 11 (A004's first call; its later calls are in the same stay): median 8.5,
    # p90 = the 4th of 4 (nearest rank ⌈3.6⌉); 登记 only A001, 8:04 → 8:20; 接种 A001 called at once
    waits = [[dialog.waits.item(r, c).text() for c in range(4)] for r in range(dialog.waits.rowCount())]
    assert waits == [["预检", "4", "8.5", "11"], ["登记", "1", "16", "16"], ["接种", "1", "0", "0"]]
    assert dialog.short_label.text() == "留观不足 30 分钟：1 人"
    assert [dialog.short.item(0, c).text() for c in range(3)] == ["A001", "12", "家长有急事"]
    path = dialog.export(tmp_path / "day.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == ["各步骤人数", "等候时间", "留观不足30分钟", "过号未到"]
    rows = list(wb["各步骤人数"].values)
    assert rows[0][0] == "测试门诊 接种流程日汇总 2026-11-26"
    assert rows[1] == ("步骤", "人数")
    assert ("完成", 1) in rows and ("合计取号", 4) in rows and ("过号未到", 1) in rows
    short = list(wb["留观不足30分钟"].values)
    assert short[2] == ("A001", 12, "家长有急事")
    assert list(wb["等候时间"].values)[2:] == [("预检", 4, 8.5, 11), ("登记", 1, 16, 16), ("接种", 1, 0, 0)]
    assert list(wb["过号未到"].values)[2] == ("A004",)


def test_a_ticket_printed_again_later_says_where_the_visit_is(qtbot: QtBot, db: Database, tmp_path: Path) -> None:
    record = visits.take(db, new_child(db, "徐晓瑶"), now=at(8, 5))
    for step in ("预检", "登记", "接种"):
        visits.call(db, "台", step, now=at(8, 10))
        record = visits.finish(db, record.ticket, now=at(8, 10))
    assert record.step == "留观"
    text = pdf_text(T.print_to_pdf(T.content(record, "测试门诊"), tmp_path / "again.pdf"))
    assert "当前：留观" in text and "等候叫号" not in text
    assert "今日接种" not in text  # no order hook given: no order part
