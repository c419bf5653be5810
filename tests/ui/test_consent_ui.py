"""知情告知 at 登记: the signature pad driven by synthetic mouse and pen (tablet) events, the consent
screen from the keyboard (Ctrl+Shift+I, Enter / Ctrl+S saves, Esc closes) and the receipt."""

from __future__ import annotations

import subprocess
from datetime import date, datetime
from pathlib import Path

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QInputDevice, QPointingDevice, QTabletEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from epimanager.domain.consent import Choice
from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.services import consent as C
from epimanager.services import visit_order as O
from epimanager.services import visits as V
from epimanager.services.children import create_child
from epimanager.store.database import Database
from epimanager.ui.consent.dialog import ConsentDialog
from epimanager.ui.consent.signature_pad import SignaturePad
from epimanager.ui.main_window import MainWindow
from tests.helpers.qt import type_text
from tests.ui.conftest import TODAY

BIRTH = date(2026, 9, 26)
MORNING = datetime(2026, 11, 26, 8, 0)
PEN = QPointingDevice(
    "test pen", 4711, QInputDevice.DeviceType.Stylus, QPointingDevice.PointerType.Pen,
    QInputDevice.Capability.Position | QInputDevice.Capability.Pressure, 1, 2,
)  # fmt: skip


def pen(widget: SignaturePad, kind: QEvent.Type, x: float, y: float, pressure: float) -> None:
    """One event of a pen on a tablet, as Qt delivers it to the widget."""
    pos = QPointF(x, y)
    down = Qt.MouseButton.NoButton if kind == QEvent.Type.TabletRelease else Qt.MouseButton.LeftButton
    event = QTabletEvent(kind, PEN, pos, widget.mapToGlobal(pos), pressure, 0.0, 0.0, 0.0, 0.0, 0.0,
                         Qt.KeyboardModifier.NoModifier, Qt.MouseButton.LeftButton, down)  # fmt: skip
    QApplication.sendEvent(widget, event)


def sign_with_pen(pad: SignaturePad) -> None:
    pen(pad, QEvent.Type.TabletPress, 20, 80, 0.2)
    pen(pad, QEvent.Type.TabletMove, 60, 40, 0.6)
    pen(pad, QEvent.Type.TabletMove, 120, 90, 0.9)
    pen(pad, QEvent.Type.TabletRelease, 160, 60, 0.4)


def sign_with_mouse(pad: SignaturePad) -> None:
    QTest.mousePress(pad, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(200, 50))
    QTest.mouseMove(pad, QPoint(230, 90))
    QTest.mouseRelease(pad, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(260, 40))


def test_the_pad_takes_a_pen_with_pressure_and_the_mouse(qtbot: QtBot) -> None:
    pad = SignaturePad()
    qtbot.addWidget(pad)
    pad.show()
    qtbot.waitExposed(pad)
    with qtbot.waitSignal(pad.changed):
        sign_with_pen(pad)
    # the pen's stroke with its pressure; the accepted tablet events made no mouse stroke as well
    assert pad.strokes == [[(20, 80, 0.2), (60, 40, 0.6), (120, 90, 0.9), (160, 60, 0.4)]]
    sign_with_mouse(pad)
    assert len(pad.strokes) == 2
    assert pad.strokes[1][0] == (200, 50, 0.5) and pad.strokes[1][-1] == (260, 40, 0.5)  # a mouse has no pressure
    png = pad.to_png()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 500
    pad.undo()
    assert len(pad.strokes) == 1 and pad.strokes[0][0] == (20, 80, 0.2)
    pad.clear()
    assert pad.is_empty()
    pad.setEnabled(False)  # 纸质签字: the pad takes nothing
    sign_with_pen(pad)
    assert pad.is_empty()


def _order(db: Database) -> str:
    birth = [DoseInput("HepB", 1, BIRTH), DoseInput("BCG", 1, BIRTH)]
    code = create_child(db, ChildInput("张浩", "1", BIRTH, mother_name="李梅"), today=TODAY, birth_doses=birth).code
    V.take(db, code, now=MORNING)
    O.set_order(db, "A001", [O.OrderItem("HepB", 2), O.OrderItem("IPV", 1), O.OrderItem("PCV13", 1)], now=MORNING)
    return code


def _open(qtbot: QtBot, w: MainWindow) -> ConsentDialog:
    qtbot.waitUntil(w.isActiveWindow)
    qtbot.keyClick(w, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    dlg = w.current.consent_dialog
    assert isinstance(dlg, ConsentDialog)
    qtbot.waitUntil(dlg.isVisible)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dlg.vaccines)
    return dlg


def test_consent_screen_signs_refuses_and_the_receipt_shows_it(
    qtbot: QtBot, db: Database, window: MainWindow, tmp_path: Path
) -> None:
    code = _order(db)
    w = window
    w.current.open(code)
    dlg = _open(qtbot, w)
    assert dlg.windowTitle() == "知情告知 · 张浩（A001 号）"
    items = [dlg.vaccines.item(i).text().split("\n") for i in range(dlg.vaccines.count())]
    assert [(a, b.strip()) for a, b in items] == [
        ("乙肝疫苗 第2剂", "【未告知】"),
        ("脊灰灭活疫苗 第1剂", "【未告知】"),
        ("13价肺炎结合疫苗 第1剂", "【未告知】"),
    ]
    assert dlg.vaccines.currentRow() == 0
    assert "乙型肝炎疫苗接种知情告知书" in dlg.browser.toPlainText() and "禁忌" in dlg.browser.toPlainText()
    assert not dlg.generic.isVisible() and dlg.version.text() == "告知书版本：2026.1"
    # Enter without a signature: refused by the service, said in the dialog, nothing stored
    qtbot.keyClick(dlg.vaccines, Qt.Key.Key_Return)
    assert dlg.error.text() == "同意需要监护人签名：请在签名板上签字，或勾选纸质签字"
    assert C.consents_of(db, code) == []
    # the guardian signs with the pen; Enter saves and the screen goes on to IPV
    sign_with_pen(dlg.pad)
    qtbot.keyClick(dlg.vaccines, Qt.Key.Key_Return)
    assert dlg.error.text() == "" and dlg.vaccines.currentRow() == 1
    assert dlg.vaccines.item(0).text().endswith("【已签署知情同意】") and dlg.pad.is_empty()
    # IPV: 不同意 (Alt+2), the reason, 纸质签字 (Alt+Z); Ctrl+S saves
    qtbot.keyClick(dlg, Qt.Key.Key_2, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: dlg.choice() is Choice.REFUSE)  # a mnemonic clicks the button "animated"
    assert dlg.reason.isEnabled()
    qtbot.keyClick(dlg, Qt.Key.Key_Z, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(dlg.paper.isChecked)
    assert not dlg.pad.isEnabled()
    dlg.reason.setFocus()
    type_text(dlg.reason, "孩子发热")
    qtbot.keyClick(dlg.reason, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    # PCV13 has no text of its own: the generic one, marked
    assert dlg.vaccines.currentRow() == 2 and dlg.generic.isVisible()
    assert dlg.browser.toPlainText().startswith("13价肺炎结合疫苗接种知情告知书（通用）")
    # 到点再议 (Alt+3) needs no signature; the screen stays open on the one still undecided
    qtbot.keyClick(dlg, Qt.Key.Key_3, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: dlg.choice() is Choice.DEFER)
    assert not dlg.pad.isEnabled() and not dlg.paper.isEnabled()
    qtbot.keyClick(dlg.vaccines, Qt.Key.Key_Return)
    assert dlg.isVisible() and dlg.vaccines.currentRow() == 2
    assert dlg.state.text().startswith("已记录：到点再议")
    qtbot.keyClick(dlg, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not dlg.isVisible())
    stored = {c.vaccine_abbr: c for c in C.consents_of(db, code, TODAY)}
    assert {k: (c.choice, c.paper, c.reason, c.dose_number) for k, c in stored.items()} == {
        "HepB": (Choice.AGREE, False, None, 2),
        "IPV": (Choice.REFUSE, True, "孩子发热", 1),
        "PCV13": (Choice.DEFER, False, None, 1),
    }
    assert stored["HepB"].strokes[0][:2] == ((20.0, 80.0, 0.2), (60.0, 40.0, 0.6)) and stored["HepB"].has_png
    assert C.verify(db, stored["HepB"].uuid)
    # opened again: the guardian agrees to PCV13 after all (the version seen goes with it); all decided: it closes
    dlg = _open(qtbot, w)
    assert dlg.vaccines.currentRow() == 2 and dlg.choice() is Choice.DEFER
    qtbot.keyClick(dlg, Qt.Key.Key_1, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: dlg.choice() is Choice.AGREE)
    sign_with_mouse(dlg.pad)
    with qtbot.waitSignal(dlg.accepted):
        qtbot.keyClick(dlg.vaccines, Qt.Key.Key_Return)
    assert [(c.vaccine_abbr, c.status, c.version) for c in C.consents_of(db, code, TODAY)] == [
        ("HepB", "已签署知情同意", 1),
        ("IPV", "拒绝", 1),
        ("PCV13", "已签署知情同意", 2),
    ]
    # the receipt says it per vaccine
    receipt = w.page_html("receipt")
    assert receipt is not None and "知情告知" in receipt
    pdf = tmp_path / "receipt.pdf"
    assert w.print_page("receipt", pdf)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    lines = [" ".join(line.split()) for line in text.splitlines()]
    assert "乙肝疫苗 第2剂 已签署知情同意" in lines
    assert "脊灰灭活疫苗 第1剂 拒绝（孩子发热）" in lines
    assert "13价肺炎结合疫苗 第1剂 已签署知情同意" in lines


def test_consent_needs_a_ticket_and_an_order(
    qtbot: QtBot, db: Database, window: MainWindow, answers: dict[str, list[object]]
) -> None:
    birth = [DoseInput("HepB", 1, BIRTH)]
    code = create_child(db, ChildInput("李想", "2", BIRTH, mother_name="王芳"), today=TODAY, birth_doses=birth).code
    window.current.open(code)
    keys = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(window, Qt.Key.Key_I, keys)
    V.take(db, code, now=MORNING)
    window.current.reload()
    qtbot.keyClick(window, Qt.Key.Key_I, keys)
    assert answers["warnings"] == [
        "知情告知: 李想 今天还没有取号",
        "知情告知: A001 号还没有今日接种安排：请先按 Ctrl+O 选择今天要接种的疫苗",
    ]
    assert window.current.consent_dialog is None
