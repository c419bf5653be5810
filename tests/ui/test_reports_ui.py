from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.services.children import create_child
from epimanager.services.doses import add_dose
from epimanager.services.reminders import notices
from epimanager.services.reports.runs import done_for
from epimanager.store.database import Database
from epimanager.ui.reports.dialog import ReportDialog
from epimanager.ui.reports.reminders_panel import RemindersPanel
from tests.helpers.qt import type_text


def test_generate_6_1_off_the_ui_thread_then_export_and_print(qtbot: QtBot, db: Database, tmp_path: Path) -> None:
    code = create_child(
        db, ChildInput("张一", "1", date(2026, 3, 10), mother_name="李梅", committee="东风村"), today=date(2026, 4, 1)
    ).code
    add_dose(db, code, DoseInput("HepB", 1, date(2026, 3, 10)), today=date(2026, 4, 1))
    dlg = ReportDialog(db, "王护士", month="2026-03")
    qtbot.addWidget(dlg)
    assert not dlg.print_button.isEnabled()
    qtbot.mouseClick(dlg.generate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dlg.report is not None, timeout=10000)
    assert "表6-1" in dlg.title.text() and "2026-03" in dlg.title.text()
    model = dlg.model
    header = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert header[:3] == ["区域划分", "项目", "乙肝1"]
    first = [model.data(model.index(0, c)) for c in range(3)]
    assert first == ["东风村", "应种", "1"]
    # previewing is not handing in: F7 still asks for the month (#21 item 6)
    asked = [n.text for n in notices(db, date(2026, 4, 2)) if n.action == "report:6-1:2026-03"]
    assert asked == ["上月（2026-03）表6-1 国家免疫规划疫苗常规接种情况报表已生成，尚未导出或打印"]
    assert "已完成" not in dlg.status.text() or "才记为已完成" in dlg.status.text()
    dlg.export(tmp_path / "r.xlsx", "xlsx")
    assert (tmp_path / "r.xlsx").stat().st_size > 0
    dlg.print_to_pdf(tmp_path / "r.pdf")
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")
    # exported (and printed): F7 no longer asks for it
    assert not [n for n in notices(db, date(2026, 4, 2)) if n.action == "report:6-1:2026-03"]
    done = done_for(db, "2026-03")["6-1"]
    assert (done.how, done.done_by, done.target) == ("printed", "王护士", str(tmp_path / "r.pdf"))


def test_marking_a_report_done_by_hand(qtbot: QtBot, db: Database) -> None:
    dlg = ReportDialog(db, "王护士", kind="cases", month="2026-03")
    qtbot.addWidget(dlg)
    assert not dlg.done_button.isEnabled()  # nothing shown yet
    dlg.start()
    qtbot.waitUntil(lambda: dlg.report is not None, timeout=10000)
    assert [n.action for n in notices(db, date(2026, 4, 2)) if n.action == "report:cases:2026-03"]
    qtbot.mouseClick(dlg.done_button, Qt.MouseButton.LeftButton)
    assert dlg.status.text() == "已标记为已完成：2026-03 个案统计分析月报"
    assert not [n for n in notices(db, date(2026, 4, 2)) if n.action == "report:cases:2026-03"]


def test_residence_only_for_6_1(qtbot: QtBot, db: Database) -> None:
    dlg = ReportDialog(db, "王护士", kind="6-2")
    qtbot.addWidget(dlg)
    assert not dlg.residence.isEnabled()
    dlg.kind.setCurrentIndex(0)
    assert dlg.residence.isEnabled()


def test_reminders_panel_lists_and_adds(qtbot: QtBot, db: Database) -> None:
    panel = RemindersPanel(db, "王护士")
    qtbot.addWidget(panel)
    texts = [panel.list.item(i).text() for i in range(panel.list.count())]
    assert any("尚未备份过数据" in t for t in texts)
    assert any("尚未生成" in t for t in texts)
    type_text(panel.new_text, "冷链温度检查")
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    texts = [panel.list.item(i).text() for i in range(panel.list.count())]
    assert any("冷链温度检查" in t for t in texts)
    with qtbot.waitSignal(panel.action_requested) as sig:
        panel._activate(panel.list.item(0))
    assert sig.args[0].startswith(("report:", "backup"))
