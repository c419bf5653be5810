"""What a nurse sees in the query screens and F3: nothing cut, names not codes, windows on the screen."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QApplication, QTableView
from pytestqt.qtbot import QtBot

from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.services.children import create_child
from epimanager.services.doses import add_dose
from epimanager.store.database import Database
from epimanager.ui.main_window import MainWindow
from epimanager.ui.queries import DoseQueryScreen, GapQueryScreen
from tests.helpers.qt import type_text
from tests.ui.conftest import TODAY


def _column(table: QTableView, title: str) -> int:
    model = table.model()
    return next(c for c in range(model.columnCount()) if model.headerData(c, Qt.Orientation.Horizontal) == title)


def _fits(table: QTableView, title: str) -> None:
    """Every loaded cell of the column is narrower than the column (not elided)."""
    col = _column(table, title)
    model = table.model()
    width = table.horizontalHeader().sectionSize(col)
    metrics = table.fontMetrics()
    for row in range(model.rowCount()):
        text = str(model.index(row, col).data())
        assert metrics.horizontalAdvance(text) + 6 <= width, (title, text, width)


def _shown_whole(table: QTableView, title: str) -> None:
    """A wrapped column: every loaded cell's text fits its cell once wrapped (all lines shown)."""
    col = _column(table, title)
    model = table.model()
    width = table.horizontalHeader().sectionSize(col)
    metrics = table.fontMetrics()
    for row in range(model.rowCount()):
        text = str(model.index(row, col).data())
        box = metrics.boundingRect(QRect(0, 0, width - 8, 10_000), Qt.TextFlag.TextWordWrap, text)
        assert box.width() <= width and box.height() <= table.rowHeight(row), (text, box, width)


def _on_screen(widget: QTableView | GapQueryScreen | DoseQueryScreen) -> None:
    area = widget.screen().availableGeometry()
    assert area.contains(widget.frameGeometry()), (area, widget.frameGeometry())


def test_query_screens_fit_their_columns_name_vaccines_and_units_and_open_on_screen(
    qtbot: QtBot, db: Database, window: MainWindow
) -> None:
    code = create_child(
        db, ChildInput("徐琳", "2", date(2026, 9, 26), mother_name="王芳", committee="东风村"), today=TODAY
    ).code
    add_dose(db, code, DoseInput("HepB", 1, date(2026, 9, 26), unit_code="3201020201"), today=TODAY)

    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    gap = window._queries["GapQueryScreen"]
    assert isinstance(gap, GapQueryScreen)
    qtbot.waitUntil(gap.isVisible)
    _on_screen(gap)  # 1100×640 asked for, on an 800-pixel-wide screen: shrunk and moved inside
    qtbot.waitUntil(lambda: QApplication.focusWidget() is gap.on)
    qtbot.keyClick(gap.on, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: gap.model.rowCount() == 1)
    due = str(gap.model.index(0, _column(gap.table, "应种疫苗")).data())
    assert "乙肝疫苗第2剂" in due and "卡介苗第1剂" in due  # Chinese names, not HepB / BCG
    _fits(gap.table, "儿童编码")
    _shown_whole(gap.table, "应种疫苗")

    qtbot.keyClick(gap, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    doses = window._queries["DoseQueryScreen"]
    assert isinstance(doses, DoseQueryScreen)
    qtbot.waitUntil(doses.isVisible)
    _on_screen(doses)
    doses.start.setDate(doses.start.date().addYears(-1))
    qtbot.keyClick(doses.start, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: doses.model.rowCount() == 1)
    assert doses.model.index(0, _column(doses.table, "疫苗")).data() == "乙肝疫苗"
    place = doses.model.index(0, _column(doses.table, "接种地点")).data()
    assert place == "玄武区新街口社区卫生服务中心预防接种门诊"  # another unit by its name, not 3201020201
    for title in ("儿童编码", "接种地点", "疫苗"):
        _fits(doses.table, title)


def test_f3_tells_two_children_of_the_same_name_apart_by_age_mother_and_phone(
    qtbot: QtBot, db: Database, window: MainWindow
) -> None:
    create_child(db, ChildInput("徐琳", "2", date(2026, 9, 26), mother_name="王芳", phone="13800000001"), today=TODAY)
    create_child(db, ChildInput("徐琳琳", "2", date(2024, 8, 26), mother_name="李娟", phone="13900000002"), today=TODAY)
    dlg = window.quick_search()
    _on_screen(dlg)
    type_text(dlg.query, "徐琳")
    qtbot.waitUntil(lambda: dlg.model.rowCount() == 2)
    model = dlg.model
    titles = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert titles[:7] == ["姓名", "性别", "出生日期", "年龄", "母亲", "父亲", "联系电话"]
    rows = {
        (model.index(r, 0).data(), model.index(r, 3).data(), model.index(r, 4).data(), model.index(r, 6).data())
        for r in range(2)
    }
    # on 2026-11-26: born 2026-09-26 → 2个月; born 2024-08-26 → 27 months → 2岁
    assert rows == {("徐琳", "2个月", "王芳", "13800000001"), ("徐琳琳", "2岁", "李娟", "13900000002")}
    dlg.reject()
