"""日常接种 end to end: F3 → open the child → F4 record a dose → the grid and the forecast follow."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.services import users
from epimanager.services.children import create_child, get_child
from epimanager.services.clinical import add_immunoglobulin
from epimanager.services.doses import add_dose
from epimanager.store.database import Database
from epimanager.store.models import AuditLog
from epimanager.ui.child.dose_dialog import DoseDialog
from epimanager.ui.child.model import VaccinationModel
from epimanager.ui.main_window import MainWindow
from tests.ui.conftest import TODAY

BIRTH = date(2026, 9, 26)  # two months old on TODAY


def _child(db: Database) -> str:
    code = create_child(
        db, ChildInput("张浩", "1", BIRTH, mother_name="李梅", phone="13812345678"), user="护士", today=TODAY
    ).code
    add_dose(db, code, DoseInput("HepB", 1, BIRTH, batch_no="B1"), user="护士", today=TODAY)
    add_dose(db, code, DoseInput("BCG", 1, BIRTH), user="护士", today=TODAY)
    other = create_child(db, ChildInput("李明", "1", date(2026, 5, 1), mother_name="周红"), today=TODAY).code
    recent = DoseInput("HepB", 3, date(2026, 11, 23), batch_no="B7", manufacturer="深圳康泰", expiry=date(2028, 1, 31))
    add_dose(db, other, recent, today=TODAY)
    return code


def cell(model: VaccinationModel, vaccine_abbr: str, column_title: str) -> str:
    """The text of the grid cell at the vaccine's row and the column with that header."""
    row = next(r for r in range(model.rowCount()) if model.row(r).vaccine.abbr == vaccine_abbr)
    col = next(
        c
        for c in range(model.columnCount())
        if model.headerData(c, Qt.Orientation.Horizontal).replace("\n", "") == column_title
    )
    return str(model.index(row, col).data() or "")


def _open_with_f3(qtbot: QtBot, w: MainWindow, typed: str) -> None:
    qtbot.keyClick(w, Qt.Key.Key_F3)
    dlg = w.search_dialog
    qtbot.waitUntil(dlg.isVisible)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dlg.query)
    qtbot.keyClicks(dlg.query, typed)
    qtbot.waitUntil(lambda: dlg.model.rowCount() > 0)
    with qtbot.waitSignal(dlg.child_chosen):
        qtbot.keyClick(dlg.query, Qt.Key.Key_Return)
    assert not dlg.isVisible()
    qtbot.waitUntil(w.isActiveWindow)


def test_f3_open_child_record_dose_and_see_grid_and_forecast_update(
    qtbot: QtBot, db: Database, window: MainWindow
) -> None:
    code = _child(db)
    w = window
    # the nurse on duty logs in: her real name (not the login name) is the nurse on new doses
    users.create_first_admin(db, "wanghs", "Nurse-Pass-21", "王海生")
    users.login(db, "wanghs", "Nurse-Pass-21")
    w.set_operator("wanghs")
    _open_with_f3(qtbot, w, "zhanghao")
    assert w.current.child is not None and w.current.child.code == code
    panel = w.panel.model
    assert panel.index(panel.row_of("name"), 1).data() == "张浩"
    model = w.grid.model
    # HepB 1 given at birth: dose 2 due from 1 month (2026-10-26), so 应种 today
    assert cell(model, "HepB", "常规①").startswith("2026-09-26")
    assert cell(model, "HepB", "状态") == "应种"
    assert cell(model, "HepB", "最早日期") == "2026-10-26"
    assert "应种" in w.grid.summary.text() and "乙肝疫苗 第2剂" in w.grid.summary.text()

    qtbot.keyClick(w, Qt.Key.Key_F4)
    dlg = w.current.dialog
    assert isinstance(dlg, DoseDialog)
    qtbot.waitUntil(dlg.isVisible)
    # proposals: the due vaccine first, its next dose number, today, the nurse, the batch in use, default site
    assert dlg.current_vaccine().abbr == "HepB"
    assert dlg.dose_number.value() == 2
    assert dlg.day() == TODAY
    assert dlg.nurse.text() == "王海生"
    assert dlg.site.currentText() == "右上臂"
    assert dlg.route.currentData() == "IM"
    # a month after the earliest date: valid, but no longer 及时
    assert dlg.evaluation.text() == "评价：✓ 合格"
    # the batch this clinic used for HepB in the last 30 days (another child, 3 days ago)
    qtbot.waitUntil(lambda: dlg.batch.currentText() == "B7")
    assert dlg.manufacturer.text() == "深圳康泰"
    assert dlg.expiry.text() == "2028-01-31"
    dlg.batch.setEditText("20261101")
    qtbot.waitUntil(dlg.isActiveWindow)
    with qtbot.waitSignal(dlg.accepted):
        qtbot.keyClick(dlg, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)

    # the grid now shows dose 2 today, and HepB is no longer due (dose 3 at 6 months)
    qtbot.waitUntil(lambda: cell(model, "HepB", "常规②").startswith("2026-11-26"))
    assert "本单位" in cell(model, "HepB", "常规②")
    assert cell(model, "HepB", "状态") == "未到期"
    assert cell(model, "HepB", "下一剂") == "第3剂"
    assert cell(model, "HepB", "最早日期") == "2027-03-26"
    assert "乙肝疫苗 第2剂" not in w.grid.summary.text()
    saved = [d for d in get_child(db, code).doses if d.dose_number == 2]
    assert saved and saved[0].batch_no == "20261101" and saved[0].nurse == "王海生"
    assert "已保存" in w.statusBar().currentMessage()


def test_an_invalid_dose_is_flagged_and_needs_confirmation(
    qtbot: QtBot, db: Database, window: MainWindow, answers: dict[str, list[object]]
) -> None:
    code = create_child(db, ChildInput("王丽", "2", date(2026, 5, 1), mother_name="赵敏"), today=TODAY).code
    add_dose(db, code, DoseInput("HepB", 1, date(2026, 11, 1)), today=TODAY)
    window.current.open(code)
    dlg = window.current.record_dose("0201")
    assert dlg is not None
    # HepB 2 only 25 days after dose 1 (minimum interval 28 days) at 7 months old: 间短
    assert "间短" in dlg.evaluation.text() and "✗" in dlg.evaluation.text()
    answers["confirm"].append(False)
    dlg.try_save()
    assert "间短" in str(answers["asked"][-1])
    assert dlg.isVisible() and len(get_child(db, code).doses) == 1
    answers["confirm"].append(True)
    with qtbot.waitSignal(dlg.accepted):
        dlg.try_save()
    assert len(get_child(db, code).doses) == 2
    qtbot.waitUntil(lambda: "✗间短" in cell(window.grid.model, "HepB", "常规②"))


def test_edit_and_delete_a_dose_are_audited(
    qtbot: QtBot, db: Database, window: MainWindow, answers: dict[str, list[object]]
) -> None:
    code = _child(db)
    window.update_settings(replace(window.settings, nurse="护士"))  # 设置 → 接种护士 (nobody logged in)
    window.current.open(code)
    uuid = next(d.uuid for d in get_child(db, code).doses if d.vaccine_code == "0201")
    window.grid.select_dose(uuid)
    qtbot.keyClick(window, Qt.Key.Key_F6)
    dlg = window.current.dialog
    assert dlg is not None and dlg.dose is not None and dlg.dose.uuid == uuid
    dlg.batch.setEditText("B2")
    with qtbot.waitSignal(dlg.accepted):
        dlg.try_save()
    window.grid.select_dose(uuid)
    answers["text"].append("重复录入")
    qtbot.keyClick(window, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: all(d.uuid != uuid for d in get_child(db, code).doses))
    assert cell(window.grid.model, "HepB", "常规①") == ""
    with db.session() as s:
        rows = s.execute(
            select(AuditLog.kind, AuditLog.field, AuditLog.old_value, AuditLog.new_value, AuditLog.user).where(
                AuditLog.entity_uuid == uuid
            )
        ).all()
    assert ("dose_update", "batch_no", "B1", "B2", "护士") in rows
    assert any(k == "dose_delete" and new == "重复录入" for k, _f, _o, new, _u in rows)


def test_right_click_menu_offers_quick_search(qtbot: QtBot, db: Database, window: MainWindow) -> None:
    window.current.open(_child(db))
    view = window.grid
    view._context_menu(view.table.visualRect(view.model.index(0, 0)).center())
    texts = [a.text() for a in view.last_menu.actions()]
    assert "快速查询(&F)" in texts
    view.last_menu.close()


def test_immunoglobulin_reason_and_ppd_note_on_the_forecast(qtbot: QtBot, db: Database, window: MainWindow) -> None:
    # 9 months old on TODAY; IVIG on 2026-10-01: MMR (8 m = 2026-10-26) waits 3 months
    code = create_child(db, ChildInput("孙悦", "2", date(2026, 2, 26), mother_name="钱芳"), today=TODAY).code
    add_immunoglobulin(db, code, "IVIG", date(2026, 10, 1))
    window.current.open(code)
    model = window.grid.model
    assert cell(model, "MMR", "状态") == "未到期"
    assert cell(model, "MMR", "最早日期") == "2027-01-01"
    row = next(r for r in range(model.rowCount()) if model.row(r).vaccine.abbr == "MMR")
    col = next(c for c in range(model.columnCount()) if model.headerData(c, Qt.Orientation.Horizontal) == "最早日期")
    assert "IVIG（2026-10-01）后需间隔3个月" in model.index(row, col).data(Qt.ItemDataRole.ToolTipRole)
    summary = window.grid.summary.text()
    assert "IVIG（2026-10-01）后需间隔3个月" in summary
    # BCG at 9 months: overdue, and the PPD test comes first
    assert cell(model, "BCG", "状态") == "超期未种"
    assert "需PPD试验阴性" in summary


def test_dose_dialog_judges_with_the_childs_hbsag_and_weight(qtbot: QtBot, db: Database, window: MainWindow) -> None:
    inp = ChildInput("周宁", "1", BIRTH, mother_name="吴静", mother_hbsag="2", birth_weight_kg=1.8)
    code = create_child(db, inp, today=TODAY).code
    add_dose(db, code, DoseInput("HepB", 1, BIRTH), today=TODAY)
    add_dose(db, code, DoseInput("HepB", 2, date(2026, 10, 26)), today=TODAY)
    window.current.open(code)
    # dose 3 of 0, 1, 2, 7 m is due today (2 months old)
    assert (cell(window.grid.model, "HepB", "状态"), cell(window.grid.model, "HepB", "最早日期")) == (
        "应种",
        "2026-11-26",
    )
    dlg = window.current.record_dose("0201")
    assert dlg is not None
    # <2000 g, positive mother: HepB 3 at 2 months (today) is valid, not 未到月龄
    assert "✗" not in dlg.evaluation.text() and "未到月龄" not in dlg.evaluation.text()
    dlg.reject()
