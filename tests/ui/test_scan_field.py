"""The 接种台's scan field in the dose form (F4): a keyboard-wedge scanner types a 追溯码 or a GS1
string and Enter; a refusal is a hard stop in red with nothing saved, a pass fills batch, expiry and
manufacturer; only a 业务管理员 sees 强制通过, and the override is audited with the dose."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from epimanager.domain.validation import ChildInput
from epimanager.services import recalls, users
from epimanager.services.children import create_child, get_child
from epimanager.services.stock import catalog, movements
from epimanager.store.database import Database
from epimanager.store.models import AuditLog
from epimanager.ui.child.dose_dialog import DoseDialog
from epimanager.ui.main_window import MainWindow
from tests.ui.conftest import TODAY

HEPB = "81234560000000000001"
DTAP = "87654320000000000001"
GTIN = "09506000134352"


def _clinic(db: Database) -> str:
    code = create_child(db, ChildInput("张浩", "1", date(2026, 9, 26), mother_name="李梅"), today=TODAY).code
    products = (("HepB", "B1", "深圳康泰", HEPB, GTIN), ("DTaP", "D1", "武汉生物", DTAP, None))
    for vac, batch, maker, trace, gtin in products:
        movements.receive(db, vaccine=vac, batch_no=batch, expiry=date(2027, 6, 30), quantity=10, on=date(2026, 10, 1),
                          manufacturer=maker, doses_per_vial=1, trace_code=trace, gtin=gtin)  # fmt: skip
    return code


def scan(qtbot: QtBot, dlg: DoseDialog, text: str) -> None:
    """What the scanner does: types into the focused field, then Enter."""
    assert QApplication.focusWidget() is dlg.scan.edit
    qtbot.keyClicks(dlg.scan.edit, text)
    qtbot.keyClick(dlg.scan.edit, Qt.Key.Key_Return)


def _dialog(qtbot: QtBot, window: MainWindow, code: str) -> DoseDialog:
    window.current.open(code)
    dlg = window.current.record_dose("0201")
    assert dlg is not None
    qtbot.waitUntil(dlg.isVisible)
    dlg.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dlg.scan.edit)
    return dlg


def test_a_wrong_package_is_a_hard_stop_and_the_right_one_fills_the_form(
    qtbot: QtBot, db: Database, window: MainWindow
) -> None:
    code = _clinic(db)
    dlg = _dialog(qtbot, window, code)
    scan(qtbot, dlg, DTAP)
    assert dlg.isVisible()  # Enter checked the scan, it did not save the form
    panel = dlg.scan.result
    assert panel.isVisible() and "#b00020" in panel.styleSheet()
    assert panel.text() == "扫码核对未通过，不能接种：\n✗ 追溯码对应的产品是 DTaP 武汉生物，不是本次要接种的乙肝疫苗"
    assert dlg.scan.edit.text() == "" and QApplication.focusWidget() is dlg.scan.edit
    assert dlg.scan.override_row.isVisible()  # setup mode (no user yet): an implicit administrator
    dlg.try_save()
    assert dlg.isVisible() and dlg.error.text() == "扫码核对未通过，不能保存：请换一支疫苗重新扫码"
    assert get_child(db, code).doses == () and catalog.get_batch(db, "DTaP", "D1").quantity == 10

    scan(qtbot, dlg, f"]d201{GTIN}1727063010b1")  # the lot last: no group separator to type
    assert panel.text() == "✓ 扫码核对通过：批号 B1 效期 2027-06-30 深圳康泰"
    assert (dlg.batch.currentText(), dlg.manufacturer.text(), dlg.expiry.text()) == ("B1", "深圳康泰", "2027-06-30")
    with qtbot.waitSignal(dlg.accepted):
        qtbot.keyClick(dlg, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    [d] = get_child(db, code).doses
    assert (d.batch_no, d.manufacturer) == ("B1", "深圳康泰")
    assert catalog.get_batch(db, "HepB", "B1").quantity == 9


def test_only_a_business_admin_overrides_with_a_reason(qtbot: QtBot, db: Database, window: MainWindow) -> None:
    code = _clinic(db)
    users.create_first_admin(db, "admin", "Admin-Pass-1")
    users.login(db, "admin", "Admin-Pass-1")
    users.add_user(db, "nurse", "Nurse-Pass-1", "普通用户")
    users.add_user(db, "boss", "Boss-Pass-1", "业务管理员", display_name="王主任")
    recalls.add_recall(db, "B1", reason="县疾控通知：冷链异常", vaccine="HepB")
    users.login(db, "nurse", "Nurse-Pass-1")
    dlg = _dialog(qtbot, window, code)
    scan(qtbot, dlg, HEPB)
    assert "批号 B1 已被召回：县疾控通知：冷链异常" in dlg.scan.result.text()
    assert not dlg.scan.override_row.isVisible()  # a 普通用户 cannot let it through
    dlg.reject()

    users.login(db, "boss", "Boss-Pass-1")
    dlg = _dialog(qtbot, window, code)
    scan(qtbot, dlg, HEPB)
    assert dlg.scan.override_row.isVisible()
    dlg.scan.override_button.click()  # no reason: refused
    assert dlg.scan.result.text() == "请填写强制通过的原因" and dlg.scan.refused
    qtbot.keyClicks(dlg.scan.reason, "ok")
    dlg.scan.reason.setText("县疾控电话同意使用")
    qtbot.keyClick(dlg.scan.reason, Qt.Key.Key_Return)
    assert dlg.scan.result.text().startswith("已强制通过（县疾控电话同意使用）：批号 B1 已被召回")
    assert dlg.batch.currentText() == "B1"
    dlg.try_save()
    [d] = get_child(db, code).doses
    with db.session() as s:
        entry = s.scalars(select(AuditLog).where(AuditLog.kind == "scan_override")).one()
    assert (entry.user, entry.entity_uuid, entry.new_value) == ("boss", d.uuid, "强制通过扫码核对：县疾控电话同意使用")
