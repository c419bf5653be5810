"""The one csv/xlsx writer of reports, query screens and the CLI."""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path

from openpyxl import load_workbook

from epimanager.services.table_files import Sheet, csv_text, write_csv, write_xlsx

ROWS = [("张浩", date(2026, 3, 1), datetime(2026, 11, 26, 9, 30, 5), None, 3)]


def test_csv_opens_in_excel_with_chinese_and_plain_dates(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    assert write_csv(path, ("姓名", "出生日期", "时间", "备注", "剂次"), iter(ROWS)) == 1
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    assert raw.decode("utf-8-sig") == "姓名,出生日期,时间,备注,剂次\r\n张浩,2026-03-01,2026-11-26 09:30:05,,3\r\n"
    stream = io.StringIO()
    assert write_csv(stream, ("a",), []) == 0 and stream.getvalue() == "a\r\n"
    assert csv_text(("a", "b"), [(1, None)]) == "a,b\r\n1,\r\n"


def test_xlsx_has_title_header_dates_and_frozen_panes(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    sheets = [
        Sheet("表6-1 [2026/03]", ("姓名", "出生日期", "时间", "备注", "剂次"), ROWS, title="标题", freeze="C3"),
        Sheet("第二页", ("a",), [], widths=(20,)),
    ]
    assert write_xlsx(path, sheets) == 1
    wb = load_workbook(path)
    assert wb.sheetnames == ["表6-1 202603", "第二页"]  # characters Excel refuses are left out
    ws = wb.worksheets[0]
    values = list(ws.iter_rows(values_only=True))
    assert values[0][0] == "标题" and values[1] == ("姓名", "出生日期", "时间", "备注", "剂次")
    assert values[2] == ("张浩", datetime(2026, 3, 1), "2026-11-26 09:30:05", None, 3)
    assert ws["B3"].number_format == "yyyy-mm-dd" and ws["A1"].font.b and ws["A2"].font.b
    assert ws.freeze_panes == "C3"
    assert wb.worksheets[1].column_dimensions["A"].width == 20


EVIL = ("=cmd|' /C calc'!A0", "+1+1", "@SUM(A1)", "-2+3", "\tTAB", "-3", "-1.5", "-", "张浩")


def test_no_cell_becomes_a_live_formula(tmp_path: Path) -> None:
    """#16 item 12: names, batches or manufacturers starting with = + - @ (or tab/CR) became formulas."""
    text = csv_text(("x",) * len(EVIL), [EVIL])
    assert text.splitlines()[1] == "'=cmd|' /C calc'!A0,'+1+1,'@SUM(A1),'-2+3,'\tTAB,-3,-1.5,-,张浩"
    path = tmp_path / "evil.xlsx"
    write_xlsx(path, [Sheet("s", ("x",) * len(EVIL), [EVIL])])
    ws = load_workbook(path).worksheets[0]
    cells = next(iter(ws.iter_rows(min_row=2, max_row=2)))
    assert [c.value for c in cells] == list(EVIL)  # the exact text …
    assert all(c.data_type == "s" for c in cells)  # … stored as text, never as a formula ("f")


def test_a_control_character_in_one_name_does_not_break_the_export(tmp_path: Path) -> None:
    path = tmp_path / "ctl.xlsx"
    write_xlsx(path, [Sheet("s", ("姓名",), [("张\x00浩",), ("\u202e浩张",), ("李梅",)])])
    values = [r[0] for r in load_workbook(path).worksheets[0].iter_rows(min_row=2, values_only=True)]
    assert values == ["张\ufffd浩", "\ufffd浩张", "李梅"]
    assert csv_text(("姓名",), [("a\x1bb",)]).splitlines()[1] == "a\ufffdb"
