"""库存一览 on a real database: vaccines and syringes received and used by a day's doses (all through the
services), reached by Ctrl+6, the 库存 menu and an F7 stock notice; Enter opens a batch's ledger; a
报损 beyond what is on hand is refused in Chinese and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.services.children import create_child
from epimanager.services.doses import add_dose
from epimanager.services.stock import catalog, movements, overview
from epimanager.store.database import Database
from epimanager.ui.main_window import MainWindow
from epimanager.ui.stock.dialogs import CountDialog, ReceiveDialog, WasteDialog
from epimanager.ui.stock.model import COL_ABBR, COL_BATCH, COL_KIND, COL_MARKS, COL_QTY, COL_UNIT, StockTableModel
from epimanager.ui.stock.screen import StockScreen
from tests.helpers.qt import type_text
from tests.ui.conftest import TODAY  # 2026-11-26

RECEIVED = date(2026, 10, 1)


@pytest.fixture
def stocked(db: Database) -> Database:
    """Received 10-01: HepB 20, BCG 20 (vials of 10, expiring 12-10), AD-0.5 100, AD-0.1 20, MIX-5 10.
    On 11-26: 张浩 HepB + BCG (opens a vial), 王芳 BCG (from the open vial).  AD-0.5 has a minimum of 120."""

    def receive(vaccine: str, batch: str, expiry: date, n: int, **kw: object) -> None:
        movements.receive(db, vaccine=vaccine, batch_no=batch, expiry=expiry, quantity=n, on=RECEIVED, **kw)  # type: ignore[arg-type]

    receive("HepB", "B1", date(2027, 6, 30), 20, manufacturer="深圳康泰")
    receive("BCG", "C1", date(2026, 12, 10), 20, manufacturer="上海生物", doses_per_vial=10)
    receive("AD-0.5", "S05", date(2029, 1, 31), 100, manufacturer="山东威高")
    receive("AD-0.1", "S01", date(2029, 1, 31), 20, manufacturer="山东威高")
    receive("MIX-5", "M5", date(2029, 1, 31), 10, manufacturer="山东威高")
    ad05 = catalog.find_product(db, "AD-0.5")
    catalog.update_product(db, ad05.id, min_quantity=120)
    a = create_child(db, ChildInput("张浩", "1", date(2026, 3, 1), mother_name="李梅"), today=TODAY).code
    b = create_child(db, ChildInput("王芳", "2", date(2026, 5, 2), mother_name="赵丽"), today=TODAY).code
    for code, vaccine, batch in ((a, "HepB", "B1"), (a, "BCG", "C1"), (b, "BCG", "C1")):
        add_dose(db, code, DoseInput(vaccine, 1, TODAY, batch_no=batch), today=TODAY, confirm_invalid=True)
    return db


def rows(screen: StockScreen) -> list[tuple[str, ...]]:
    m = screen.model
    cols = (COL_KIND, COL_ABBR, COL_BATCH, COL_QTY, COL_UNIT, COL_MARKS)
    return [tuple(m.data(m.index(r, c)) for c in cols) for r in range(m.rowCount())]


def open_by_keyboard(qtbot: QtBot, w: MainWindow) -> StockScreen:
    qtbot.keyClick(w, Qt.Key.Key_6, Qt.KeyboardModifier.ControlModifier)
    screen = w.stock_screen
    assert screen is not None
    qtbot.waitUntil(lambda: screen.isVisible() and screen.model.rowCount() > 0)
    return screen


def select(screen: StockScreen, abbr: str) -> None:
    row = next(r for r, ln in enumerate(screen.model.lines()) if ln.abbr == abbr)
    screen.table.selectRow(row)


def test_ctrl_6_lists_vaccines_and_syringes_with_what_needs_attention(
    qtbot: QtBot, stocked: Database, make_window: Callable[[], MainWindow]
) -> None:
    w = make_window()
    screen = open_by_keyboard(qtbot, w)
    # by hand: HepB 20 − 1 = 19; BCG 20 − 2 = 18, expiring 12-10 = 14 days after 11-26;
    # AD-0.5 100 − 1 (HepB) = 99 < minimum 120; AD-0.1 20 − 2 (two BCG) = 18; MIX-5 10 − 1 (vial opened once) = 9
    assert rows(screen) == [
        ("疫苗", "HepB", "B1", "19", "人份", ""),
        ("疫苗", "BCG", "C1", "18", "人份", "近效期（14天后过期）"),
        ("注射器", "AD-0.1", "S01", "18", "支", ""),
        ("注射器", "AD-0.5", "S05", "99", "支", "低于最低库存 120 支"),
        ("注射器", "MIX-5", "M5", "9", "支", ""),
    ]
    assert "疫苗 2 个批号，注射器 3 个批号；需要注意 2 行" in screen.summary.text()
    assert "2026-11-26" in screen.summary.text()
    # the first control has the keyboard: ↓ and Enter open the AD-0.1 ledger (read off the UI thread)
    assert QApplication.focusWidget() is screen.table
    select(screen, "AD-0.1")
    qtbot.keyClick(screen.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: screen.ledger_dialog is not None and screen.ledger_dialog.isVisible())
    ledger = screen.ledger_dialog
    assert ledger is not None and "AD-0.1 批号 S01" in ledger.windowTitle()
    m = ledger.model
    lines = [[m.data(m.index(r, c)) for c in range(4)] for r in range(m.rowCount())]
    assert lines == [
        ["2026-10-01", "领取入库", "20", "20"],
        ["2026-11-26", "接种使用", "-1", "19"],
        ["2026-11-26", "接种使用", "-1", "18"],
    ]
    qtbot.keyClick(ledger.view, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not ledger.isVisible())
    # Esc closes the screen; Ctrl+6 opens it again, read afresh
    qtbot.keyClick(screen.table, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not screen.isVisible())
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow)
    assert open_by_keyboard(qtbot, w) is screen


def test_the_stock_menu_has_the_screen_and_its_key(window: MainWindow) -> None:
    menus = {a.text(): a.menu() for a in window.menuBar().actions()}
    stock_menu = menus["库存(&K)"]
    action, recalls = stock_menu.actions()  # type: ignore[union-attr]
    assert action.text() == "库存一览(&K)"
    assert action.shortcut().toString() == "Ctrl+6"
    # the county's recall/lock list (issue #19)
    assert (recalls.text(), recalls.shortcut().toString()) == ("召回/封存批号(&R)", "Ctrl+7")


def test_an_f7_stock_notice_opens_the_screen_on_its_line(
    qtbot: QtBot, stocked: Database, make_window: Callable[[], MainWindow]
) -> None:
    w = make_window()
    qtbot.keyClick(w, Qt.Key.Key_F7)
    assert w.reminders_dock is not None
    panel = w.reminders_dock.widget()
    items = [panel.list.item(i) for i in range(panel.list.count())]  # type: ignore[attr-defined]
    low = next(i for i in items if "低于最低库存" in i.text())
    assert "自毁型注射器 0.5ml（山东威高）库存 99 支" in low.text()
    panel.list.setCurrentItem(low)  # type: ignore[attr-defined]
    panel.list.itemActivated.emit(low)  # type: ignore[attr-defined]
    screen = w.stock_screen
    assert screen is not None
    qtbot.waitUntil(lambda: screen.isVisible() and screen.model.rowCount() == 5)
    line = screen.current_line()
    assert line is not None and (line.abbr, line.batch_no) == ("AD-0.5", "S05")
    # a report notice is not stock's: the screen does not move
    screen.table.selectRow(0)
    w.open_stock_notice("report:6-1:2026-10")
    line = screen.current_line()
    assert line is not None and line.abbr == "HepB"


def test_a_wastage_beyond_what_is_on_hand_is_refused_and_changes_nothing(
    qtbot: QtBot, stocked: Database, make_window: Callable[[], MainWindow]
) -> None:
    w = make_window()
    screen = open_by_keyboard(qtbot, w)
    select(screen, "HepB")
    before = overview.batch_ledger(stocked, catalog.get_batch(stocked, "HepB", "B1").id)
    dlg = screen.waste()
    assert isinstance(dlg, WasteDialog)
    dlg.kind.setCurrentIndex(dlg.kind.findText("破损"))
    dlg.quantity.setValue(25)
    qtbot.mouseClick(dlg.ok_button, Qt.MouseButton.LeftButton)
    assert dlg.error.text() == "库存不足：HepB 批号 B1 可用 19 人份，需要 25 人份，缺少 6 人份"
    assert dlg.isVisible()
    assert catalog.get_batch(stocked, "HepB", "B1").quantity == 19
    assert overview.batch_ledger(stocked, catalog.get_batch(stocked, "HepB", "B1").id) == before
    # 2 broken: accepted, and the list is read again
    dlg.quantity.setValue(2)
    with qtbot.waitSignal(screen.loaded):
        qtbot.mouseClick(dlg.ok_button, Qt.MouseButton.LeftButton)
    assert rows(screen)[0] == ("疫苗", "HepB", "B1", "17", "人份", "")
    assert screen.message.text() == "已报损：HepB 批号 B1 -2 人份，结存 17 人份"
    assert w.statusBar().currentMessage() == screen.message.text()


def test_receive_and_count_through_the_forms(
    qtbot: QtBot, stocked: Database, make_window: Callable[[], MainWindow]
) -> None:
    w = make_window()
    screen = open_by_keyboard(qtbot, w)
    select(screen, "AD-0.5")
    dlg = screen.receive()
    assert isinstance(dlg, ReceiveDialog)
    # filled in from the selected line: the product and its manufacturer, counted in 支
    assert dlg.product.currentText().startswith("AD-0.5") and dlg.manufacturer.text() == "山东威高"
    assert dlg.unit_label.text() == "数量单位：支" and not dlg.doses_per_vial.isEnabled()
    type_text(dlg.batch_no, "S06")
    dlg.quantity.setValue(50)
    with qtbot.waitSignal(screen.loaded):
        qtbot.mouseClick(dlg.ok_button, Qt.MouseButton.LeftButton)
    ad05 = [r for r in rows(screen) if r[1] == "AD-0.5"]
    # 99 + 50 = 149 usable ≥ 120: no longer low; the new batch expires first (a year from today), so it comes first
    assert ad05 == [("注射器", "AD-0.5", "S06", "50", "支", ""), ("注射器", "AD-0.5", "S05", "99", "支", "")]
    # a count that differs needs a reason (the service's rule), then it is recorded
    select(screen, "MIX-5")
    count = screen.count()
    assert isinstance(count, CountDialog) and count.counted.value() == 9
    count.counted.setValue(8)
    qtbot.mouseClick(count.ok_button, Qt.MouseButton.LeftButton)
    assert "请填写原因" in count.error.text() and count.isVisible()
    type_text(count.reason, "破损一支")
    with qtbot.waitSignal(screen.loaded):
        qtbot.mouseClick(count.ok_button, Qt.MouseButton.LeftButton)
    assert [r for r in rows(screen) if r[1] == "MIX-5"] == [("注射器", "MIX-5", "M5", "8", "支", "")]


def test_an_empty_stock_says_how_to_start(qtbot: QtBot, db: Database, make_window: Callable[[], MainWindow]) -> None:
    w = make_window()
    screen = w.open_stock()
    qtbot.waitUntil(lambda: "入库" in screen.summary.text())
    assert screen.model.rowCount() == 0
    screen.waste()
    assert screen.message.text() == "请先选择一个有库存的批号"


def test_the_table_model_is_a_well_behaved_qt_model(qtmodeltester: ModelTester, stocked: Database) -> None:
    model = StockTableModel()
    model.set_lines(overview.overview(stocked, TODAY))
    qtmodeltester.check(model)
    assert model.rowCount() == 5
