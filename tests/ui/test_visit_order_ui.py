"""登记's 今日接种安排 at the desks: Ctrl+O chooses the order, the child screen shows it, F4 at the
接种台 is pre-filled from it, and a dose off the order is saved only after the nurse confirms."""

from __future__ import annotations

from datetime import date, datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.services import visit_order as O
from epimanager.services import visits as V
from epimanager.services.children import create_child
from epimanager.store.database import Database
from epimanager.ui.child.dose_dialog import DoseDialog
from epimanager.ui.main_window import MainWindow
from epimanager.ui.visits.order_dialog import OrderDialog
from tests.ui.conftest import TODAY

BIRTH = date(2026, 9, 26)  # two months old on TODAY (2026-11-26)
MORNING = datetime(2026, 11, 26, 8, 0)


def _child(db: Database) -> str:
    """HepB 1 and BCG at birth: on TODAY HepB 2 (from 1 month), IPV 1 and DTaP 1 (2 months) are due."""
    birth = [DoseInput("HepB", 1, BIRTH), DoseInput("BCG", 1, BIRTH)]
    inp = ChildInput("张浩", "1", BIRTH, mother_name="李梅")
    return create_child(db, inp, today=TODAY, birth_doses=birth).code


def _rows(dlg: OrderDialog) -> list[tuple[str, bool, int, str]]:
    return [(r.check.text(), r.check.isChecked(), r.dose.value(), r.site.currentText()) for r in dlg.rows]


def test_ctrl_o_lists_the_due_items_checked_and_enter_saves_the_order(
    qtbot: QtBot, db: Database, window: MainWindow
) -> None:
    code = _child(db)
    V.take(db, code, now=MORNING)
    w = window
    w.current.open(code)
    assert not w.grid.order_line.isVisible()  # a ticket, no order yet
    qtbot.keyClick(w, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)
    dlg = w.current.order_dialog
    assert isinstance(dlg, OrderDialog)
    qtbot.waitUntil(dlg.isVisible)
    assert dlg.windowTitle() == "今日接种安排 · 张浩（A001 号）"
    # the due items, earliest first, each at a free site (DTaP's usual right arm is HepB's)
    assert _rows(dlg) == [
        ("乙肝疫苗  HepB  【应种】", True, 2, "右上臂"),
        ("脊灰灭活疫苗  IPV  【应种】", True, 1, "左上臂"),
        ("百白破疫苗  DTaP  【应种】", True, 1, "左大腿"),
    ]
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dlg.rows[0].check)
    # DTaP another day: Tab to its box (box, dose, site per row), Space unchecks it, Enter saves
    for _ in range(6):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is dlg.rows[2].check
    qtbot.keyClick(dlg.rows[2].check, Qt.Key.Key_Space)
    assert not dlg.rows[2].check.isChecked()
    with qtbot.waitSignal(dlg.accepted):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    order = O.order_of(db, "A001", day=TODAY)
    assert order is not None and [(i.abbr, i.dose_number, i.site) for i in order.items] == [
        ("HepB", 2, "右上臂"),
        ("IPV", 1, "左上臂"),
    ]
    qtbot.waitUntil(w.grid.order_line.isVisible)
    assert w.grid.order_line.text() == "今日安排（A001）：乙肝疫苗 第2剂 右上臂、脊灰灭活疫苗 第1剂 左上臂"
    # opened again: the order's items checked, DTaP offered unchecked; a refused item is named; Esc closes
    qtbot.waitUntil(w.isActiveWindow)
    qtbot.keyClick(w, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)
    dlg = w.current.order_dialog
    assert isinstance(dlg, OrderDialog)
    qtbot.waitUntil(dlg.isVisible)
    assert [(t[:6], c) for t, c, _n, _s in _rows(dlg)] == [
        ("乙肝疫苗  ", True),
        ("脊灰灭活疫苗", True),
        ("百白破疫苗 ", False),
    ]
    dlg.rows[1].dose.setValue(2)
    dlg.try_save()
    assert dlg.isVisible() and dlg.error.text() == "第2项：脊灰灭活疫苗 第2剂：该儿童下一剂应为第1剂"
    qtbot.keyClick(dlg, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not dlg.isVisible())
    assert O.order_of(db, "A001", day=TODAY).version == 1  # type: ignore[union-attr]


def test_ctrl_o_without_a_ticket_says_so(
    qtbot: QtBot, db: Database, window: MainWindow, answers: dict[str, list[object]]
) -> None:
    window.current.open(_child(db))
    qtbot.keyClick(window, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)
    assert answers["warnings"] == ["今日接种安排: 张浩 今天还没有取号"]
    assert window.current.order_dialog is None


def test_f4_is_prefilled_from_the_order_and_a_dose_off_it_needs_a_yes(
    qtbot: QtBot, db: Database, window: MainWindow, answers: dict[str, list[object]]
) -> None:
    code = _child(db)
    V.take(db, code, now=MORNING)
    O.set_order(db, "A001", [O.OrderItem("IPV", 1, "左大腿"), O.OrderItem("HepB", 2)], now=MORNING)
    w = window
    w.current.open(code)
    assert w.grid.order_line.text() == "今日安排（A001）：脊灰灭活疫苗 第1剂 左大腿、乙肝疫苗 第2剂 右上臂"
    # F4: the first item of the order (not the most urgent due one), its dose and its planned site
    qtbot.keyClick(w, Qt.Key.Key_F4)
    dlg = w.current.dialog
    assert isinstance(dlg, DoseDialog)
    qtbot.waitUntil(dlg.isVisible)
    assert (dlg.current_vaccine().abbr, dlg.dose_number.value(), dlg.site.currentText()) == ("IPV", 1, "左大腿")
    assert dlg.plan.text() == "按今日安排（A001 号）：脊灰灭活疫苗 第1剂 左大腿"
    with qtbot.waitSignal(dlg.accepted):
        dlg.try_save()
    assert answers["asked"] == []  # on the order: no question
    qtbot.waitUntil(lambda: "脊灰灭活疫苗 第1剂 左大腿 ✓" in w.grid.order_line.text())
    # F4 again: the next ungiven item
    qtbot.waitUntil(w.isActiveWindow)
    qtbot.keyClick(w, Qt.Key.Key_F4)
    dlg = w.current.dialog
    assert isinstance(dlg, DoseDialog)
    qtbot.waitUntil(dlg.isVisible)
    assert (dlg.current_vaccine().abbr, dlg.dose_number.value(), dlg.site.currentText()) == ("HepB", 2, "右上臂")
    # the nurse gives DTaP instead: asked; No keeps the dialog open with nothing saved, Yes saves
    dlg.vaccine.setCurrentIndex(dlg.vaccine.findData("0401"))
    dlg.dose_number.setValue(1)
    answers["confirm"].append(False)
    dlg.try_save()
    assert answers["asked"] == [
        "今日安排外: 百白破疫苗 第1剂不在 A001 号的今日接种安排中（今日安排：脊灰灭活疫苗 第1剂（左大腿）、"
        "乙肝疫苗 第2剂（右上臂））。\n仍要登记吗？"
    ]
    assert dlg.isVisible() and dlg.saved is None
    answers["confirm"].append(True)
    with qtbot.waitSignal(dlg.accepted):
        dlg.try_save()
    assert dlg.saved is not None and dlg.saved.vaccine_code == "0401"


def test_another_vaccine_is_added_at_a_free_site_and_a_visit_past_inoculation_refuses(
    qtbot: QtBot, db: Database, window: MainWindow, answers: dict[str, list[object]]
) -> None:
    code = _child(db)
    V.take(db, code, now=MORNING)
    w = window
    w.current.open(code)
    dlg = w.current.open_order()
    assert dlg is not None
    qtbot.waitUntil(dlg.isVisible)
    # PCV13 (outside the programme, numbered on from the record): dose 1; HepB, IPV and DTaP hold both
    # upper arms and the left thigh, so the right thigh
    dlg.other.setCurrentIndex(dlg.other.findData("2503"))
    dlg.add_other()
    assert _rows(dlg)[-1] == ("13价肺炎结合疫苗  PCV13", True, 1, "右大腿")
    with qtbot.waitSignal(dlg.accepted):
        dlg.try_save()
    order = O.order_of(db, "A001", day=TODAY)
    assert order is not None and [i.abbr for i in order.items] == ["HepB", "IPV", "DTaP", "PCV13"]
    for minute, step in ((10, "预检"), (20, "登记"), (30, "接种")):
        V.call(db, f"{step}台", step, now=MORNING.replace(minute=minute))
        V.finish(db, "A001", now=MORNING.replace(minute=minute + 1))
    w.current.reload()
    qtbot.waitUntil(w.isActiveWindow)
    qtbot.keyClick(w, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)
    assert answers["warnings"] == ["今日接种安排: A001 号已留观，不能再改今日接种安排"]
