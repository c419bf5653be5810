"""The table printer on real PDFs: 表6-1 and a query list read back with pdftotext, as a clerk reads them.

Every page must carry the title, the period, the header rows and 第 n 页 / 共 m 页; no number or
percentage may be broken over lines; a 区域划分's 应种/实种/接种率 stay on one page.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from dataclasses import replace
from datetime import date
from itertools import pairwise
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, Qt
from pytestqt.qtbot import QtBot

from epimanager.domain.validation import ChildInput
from epimanager.services import demo
from epimanager.services.children import create_child
from epimanager.services.units import add_committee
from epimanager.store.database import Database
from epimanager.ui.print import layout
from epimanager.ui.print.layout import Column, PrintTable
from epimanager.ui.print.table_printer import PrinterMetrics, new_printer, plan_for
from epimanager.ui.print.tables import column_6_1, list_table
from epimanager.ui.print.text import unbreakable, wrap
from epimanager.ui.queries import GapQueryScreen
from epimanager.ui.reports.dialog import ReportDialog

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext (poppler-utils)")

#: 13 more villages beside the fixture's three: 16 blocks of three rows and 合计 do not fit on one page
MORE = ("西街社区", "南山村", "北岭村", "柳树村", "杨家村", "王庄村", "李庄村", "张湾村", "石桥村", "光明社区")
MORE += ("永安村", "和平村", "胜利村")
TODAY = date(2026, 11, 26)


def pages(pdf: Path) -> list[str]:
    """The text of each page, laid out as printed (pdftotext -layout)."""
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return out.split("\f")[:-1]


def page_size(pdf: Path) -> tuple[float, float]:
    """Width and height of the first page, points (pdfinfo)."""
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    found = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
    assert found is not None
    return float(found.group(1)), float(found.group(2))


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture
def clinic(db: Database) -> Database:
    for name in MORE:
        add_committee(db, name)
    demo.generate(db, 1500, seed=7, today=TODAY)
    return db


def test_6_1_prints_like_the_paper_form_on_every_page(qtbot: QtBot, clinic: Database, tmp_path: Path) -> None:
    dlg = ReportDialog(clinic, "王护士", month="2026-10")
    qtbot.addWidget(dlg)
    qtbot.mouseClick(dlg.generate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dlg.report is not None, timeout=60000)
    report = dlg.report
    assert report is not None
    pdf = tmp_path / "6-1.pdf"
    count = dlg.print_to_pdf(pdf)
    text = pages(pdf)
    assert count == len(text) >= 2
    assert page_size(pdf) == (842.0, 595.0)  # A4 landscape: forty columns

    names = [r["committee"] for r in report["rows"]]
    assert len(names) >= 16  # the demo adds 新华社区
    for n, page in enumerate(text, start=1):
        flat = squeeze(page)
        # title, unit and period, the header rows, and the page number on every page
        assert "表6-1国家免疫规划疫苗常规接种情况报表" in flat
        assert "报告单位：3201020101玄武区测试社区卫生服务中心预防接种门诊" in flat
        assert "报告月份：2026-10" in flat and "居住属性：合计" in flat
        assert "区域划分" in flat and "项目" in flat and "第1剂" in flat and "第2剂" in flat
        assert f"第{n}页/共{count}页" in flat
        assert ("（续表）" in flat) == (n > 1)
        # the vaccine over its doses: each page shows some vaccines, each vaccine somewhere
        assert any(v in flat for v in ("乙肝疫苗", "A群流脑疫苗"))
        # 区域划分 blocks are whole: as many 应种 as 实种 as 接种率 lines, one name each
        body = page.replace("居住属性：合计", "")
        blocks = [name for name in [*names, "合计"] if name in body]
        assert body.count("应种") == body.count("实种") == body.count("接种率") == len(blocks) > 0
    # each block is on as many pages as there are column bands (its rows the same on each band)
    chunks = sum("乙肝疫苗" in p for p in text)
    assert chunks >= 2 and len(text) % chunks == 0
    spread = Counter(name for p in text for name in [*names, "合计"] if name in p.replace("居住属性：合计", ""))
    assert set(spread.values()) == {len(text) // chunks}
    assert any("HPV疫苗" in p for p in text)

    # every percentage whole on one line: exactly the rates worked out from the counts
    expected: Counter[str] = Counter()
    for block in [*report["rows"], report["total"]]:
        for c in report["columns"]:
            due, given = block["due"][c], block["given"][c]
            if due:
                expected[f"{100 * given / due:.1f}%"] += 1
    printed = Counter(tok for p in text for tok in re.findall(r"\S*%\S*", p))
    assert printed == expected
    assert all(re.fullmatch(r"\d{1,3}\.\d%", tok) for tok in printed)


def test_a_query_list_prints_whole_numbers_and_repeats_its_header(qtbot: QtBot, db: Database, tmp_path: Path) -> None:
    phones = []
    for i in range(130):
        phone = f"1390000{i:04d}"
        phones.append(phone)
        create_child(
            db,
            ChildInput(f"儿童{i:03d}", "1", date(2025, 3, 1), mother_name="李梅", phone=phone, committee="东风村"),
        )
    screen = GapQueryScreen(db, "王医生")
    qtbot.addWidget(screen)
    screen.on.setDate(QDate(2025, 6, 15))
    qtbot.mouseClick(screen.search_button, Qt.MouseButton.LeftButton)
    pdf = tmp_path / "call-up.pdf"
    count = screen.print_pdf(pdf)
    text = pages(pdf)
    assert count == len(text) >= 2
    assert page_size(pdf) == (595.0, 842.0)  # nine columns fit A4 portrait
    for n, page in enumerate(text, start=1):
        flat = squeeze(page)
        assert "预防接种通知单（玄武区测试社区卫生服务中心预防接种门诊）" in flat
        assert "接种日期：2025-06-15共130人" in flat
        assert "序号姓名性别出生日期月龄母亲姓名联系电话区域划分应种疫苗" in flat
        assert f"第{n}页/共{count}页" in flat
    # every phone number and birth date whole, each child once
    found = [tok for p in text for tok in re.findall(r"\d{11}", p)]
    assert sorted(found) == sorted(phones)
    assert sum(p.count("2025-03-01") for p in text) == 130
    assert all(f"儿童{i:03d}" in "".join(text) for i in range(130))


def test_numbers_never_narrower_than_they_are_and_font_has_a_floor(qtbot: QtBot) -> None:
    """Forty numeric columns of 100.0%: the font goes down to the floor, then the columns split into bands."""
    columns = ["区域划分", *[f"第{i}剂" for i in range(40)]]
    rows = [[f"村{r}", *["100.0%"] * 40] for r in range(5)]
    table: PrintTable = list_table("宽表", ["单位"], columns, rows, keys=("序号", "区域划分"))
    printer = new_printer()
    m = PrinterMetrics(printer)
    area = printer.pageLayout().paintRectPixels(printer.resolution())
    floor = layout.plan(table, area.width(), area.height(), m, max_size=layout.MIN_SIZE)
    assert floor.size == 7.0 and len(floor.bands) == 3  # even 7 pt needs three bands across
    plan = plan_for(table, printer)  # so: three bands, at the largest font that still needs only three
    assert len(plan.bands) == 3 and 7.0 <= plan.size < 10.0
    assert len(plan.sheets) == 3 and [s.band for s in plan.sheets] == [0, 1, 2]
    for band in plan.bands:
        assert band.columns[:2] == (0, 1)  # 序号 and 区域划分 on every band
        for c, width in zip(band.columns, band.widths, strict=True):
            for row in table.rows:
                if unbreakable(row[c]):
                    assert m.width(row[c], plan.size) < width
    narrow = list_table("窄表", ["单位"], ["姓名", "剂次"], [["张三", "1"]])
    assert plan_for(narrow, printer).size == 10.0


def test_6_1_header_paths() -> None:
    assert column_6_1("HepB2") == ("乙肝疫苗", "第2剂")
    assert column_6_1("HepB1_24h") == ("乙肝疫苗", "首针及时")
    assert column_6_1("BCG") == ("卡介苗",)
    assert column_6_1("MenAC1") == ("A群C群流脑疫苗", "第1剂")
    assert column_6_1("MenA2") == ("A群流脑疫苗", "第2剂")
    assert column_6_1("HepAL") == ("甲肝减毒活疫苗",)
    assert column_6_1("HepAI2") == ("甲肝灭活疫苗", "第2剂")


def test_wrap_breaks_between_items_never_inside_a_number() -> None:
    def width(text: str) -> float:  # Han characters twice as wide as Latin ones, as printed
        return sum(2 if not unbreakable(ch) else 1 for ch in text)

    due = "bOPV第3剂(超期)、MPSV-AC第2剂(超期)、HepA-L第1剂(超期)"
    assert wrap(due, 24, width) == ["bOPV第3剂(超期)、", "MPSV-AC第2剂(超期)、", "HepA-L第1剂(超期)"]
    assert wrap("区域划分", 8, width) == ["区域划分"]  # exactly as wide: one line
    assert wrap("区域划分", 4, width) == ["区域", "划分"]
    assert wrap("100.0%", 3, width) == ["100.0%"]  # too narrow, still whole


def test_pages_break_between_groups_unless_a_group_is_taller_than_a_page(qtbot: QtBot) -> None:
    printer = new_printer()
    rows = [(f"村{g}", item, "1") for g in range(40) for item in ("应种", "实种", "接种率")]
    table = PrintTable("表", ("单位",), (Column(("区域划分",)), Column(("项目",)), Column(("乙肝",))), tuple(rows))
    grouped = replace(table, groups=(3,) * 40)
    loose = plan_for(table, printer)
    kept = plan_for(grouped, printer)
    assert len(kept.sheets) >= 2
    assert all(s.first_row % 3 == 0 and s.end_row % 3 == 0 for s in kept.sheets)
    assert any(s.end_row % 3 for s in loose.sheets)  # without groups the page is simply filled
    # one group of 120 rows cannot stay whole: it is split, and nothing is lost or repeated
    huge = replace(table, groups=(120,))
    sheets = plan_for(huge, printer).sheets
    assert len(sheets) >= 2 and sheets[0].first_row == 0 and sheets[-1].end_row == 120
    assert all(a.end_row == b.first_row for a, b in pairwise(sheets))


def test_grouped_header_cells_span_their_doses_and_the_single_columns_span_down() -> None:
    cols = (Column(("区域划分",)), Column(("乙肝疫苗", "第1剂")), Column(("乙肝疫苗", "第2剂")), Column(("卡介苗",)))
    table = PrintTable("表", (), cols, ())
    cells = {(c.text, c.first, c.last, c.top, c.bottom) for c in layout.header_cells(table, range(4))}
    assert cells == {
        ("区域划分", 0, 0, 0, 1),
        ("乙肝疫苗", 1, 2, 0, 0),
        ("第1剂", 1, 1, 1, 1),
        ("第2剂", 2, 2, 1, 1),
        ("卡介苗", 3, 3, 0, 1),
    }
