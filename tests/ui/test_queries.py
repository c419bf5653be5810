"""Query screens on a real database: paged model, filters, open a child, export, print."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from openpyxl import load_workbook
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.services.children import create_child, update_child
from epimanager.services.doses import add_dose
from epimanager.services.queries.common import Page, Row
from epimanager.services.queries.managed import ManagedQuery
from epimanager.services.registry import change_status
from epimanager.store.database import Database
from epimanager.ui.queries import (
    ChangeQueryScreen,
    DoseQueryScreen,
    GapQueryScreen,
    ManagedQueryScreen,
    PagedTableModel,
    StatusChangeQueryScreen,
)


def children(db: Database, n: int, birth: date = date(2025, 3, 1)) -> list[str]:
    return [
        create_child(
            db, ChildInput(f"儿童{i}", "1", birth, mother_name="李梅", phone=f"1380000{i:04d}", committee="东风村")
        ).code
        for i in range(n)
    ]


def test_paged_model_loads_page_by_page(qtmodeltester: ModelTester, db: Database) -> None:
    codes = children(db, 7)
    model = PagedTableModel(db, ManagedQuery(), page_size=3)
    assert model.rowCount() == 0 and model.canFetchMore()
    model.fetchMore()
    assert model.rowCount() == 3 and model.has_more
    qtmodeltester.check(model)
    model.fetch_all()
    assert model.rowCount() == 7 and not model.canFetchMore()
    assert [model.child_code(i) for i in range(7)] == codes
    assert model.headerData(0, Qt.Orientation.Horizontal) == "儿童编码"
    assert model.data(model.index(0, 1)) == "儿童0"


def test_scrolling_to_the_end_loads_the_next_page(qtbot: QtBot, db: Database) -> None:
    children(db, 60)
    screen = ManagedQueryScreen(db, "王医生")
    qtbot.addWidget(screen)
    screen.model.page_size = 20
    screen.resize(900, 500)
    screen.show()
    qtbot.waitExposed(screen)
    qtbot.mouseClick(screen.search_button, Qt.MouseButton.LeftButton)
    first = screen.model.rowCount()
    assert 20 <= first < 60
    screen.table.scrollToBottom()
    qtbot.waitUntil(lambda: screen.model.rowCount() > first)
    assert "已显示" in screen.status.text()


def test_dose_screen_filters_opens_a_child_and_exports(qtbot: QtBot, db: Database, tmp_path: Path) -> None:
    a, b = children(db, 2)
    add_dose(db, a, DoseInput("HepB", 1, date(2025, 3, 1), batch_no="B1"))
    add_dose(db, b, DoseInput("BCG", 1, date(2025, 3, 2), unit_code="5224240101"))
    screen = DoseQueryScreen(db, "王医生")
    qtbot.addWidget(screen)
    screen.start.setDate(QDate(2025, 3, 1))
    screen.end.setDate(QDate(2025, 3, 31))
    qtbot.mouseClick(screen.search_button, Qt.MouseButton.LeftButton)
    assert screen.model.rowCount() == 2
    screen.place.setCurrentIndex(screen.place.findData("own"))
    qtbot.mouseClick(screen.search_button, Qt.MouseButton.LeftButton)
    assert screen.model.rowCount() == 1 and screen.model.child_code(0) == a
    with qtbot.waitSignal(screen.open_child) as sig:
        screen.table.doubleClicked.emit(screen.model.index(0, 3))
    assert sig.args == [a]
    assert screen.export_to(tmp_path / "d.xlsx") == 1
    ws = load_workbook(tmp_path / "d.xlsx").active
    assert ws is not None and list(ws.iter_rows(values_only=True))[1][8] == a
    screen.end.setDate(QDate(2025, 2, 1))
    qtbot.mouseClick(screen.search_button, Qt.MouseButton.LeftButton)
    assert "晚于结束日期" in screen.error.text()


def test_gap_screen_prints_the_call_up_list_to_pdf(qtbot: QtBot, db: Database, tmp_path: Path) -> None:
    codes = children(db, 3)
    change_status(db, codes[2], "迁出", date(2025, 4, 1), "出国", None, "王医生")
    screen = GapQueryScreen(db, "王医生")
    qtbot.addWidget(screen)
    screen.on.setDate(QDate(2025, 6, 15))
    qtbot.mouseClick(screen.search_button, Qt.MouseButton.LeftButton)
    assert [screen.model.child_code(i) for i in range(screen.model.rowCount())] == codes[:2]
    page = screen.print_table()
    cells = [c for row in page.rows for c in row]
    assert "13800000000" in cells and "儿童1" in cells and "儿童2" not in cells and "共 2 人" in page.lines[0]
    pdf = tmp_path / "call-up.pdf"
    assert screen.print_pdf(pdf) == 1
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 1000


def test_change_and_status_screens(qtbot: QtBot, db: Database) -> None:
    a, b = children(db, 2)
    update_child(db, a, {"address": "东风村3组"}, user="乙")
    change_status(db, b, "迁出", date(2025, 4, 1), "出国", None, "王医生")
    changes = ChangeQueryScreen(db, "王医生")
    qtbot.addWidget(changes)
    changes.kind.setCurrentIndex(changes.kind.findData("基本资料"))
    changes.user_edit.setText("乙")
    qtbot.mouseClick(changes.search_button, Qt.MouseButton.LeftButton)
    assert changes.model.rowCount() == 1
    assert changes.model.data(changes.model.index(0, 5)) == "家庭住址"
    status = StatusChangeQueryScreen(db, "王医生")
    qtbot.addWidget(status)
    status.start.setDate(QDate(2025, 1, 1))
    status.committee.setCurrentIndex(status.committee.findData("东风村"))
    qtbot.mouseClick(status.search_button, Qt.MouseButton.LeftButton)
    assert status.model.rowCount() == 1 and status.model.child_code(0) == b
    assert status.model.data(status.model.index(0, 7)) == "迁出"


class _Sparse:
    """A query whose first pages come back empty (as a bounded scan does)."""

    title = "测试"
    columns = ("编号",)

    def __init__(self) -> None:
        self.calls = 0

    def fetch(self, db: Database, after: tuple[object, ...] | None = None, limit: int = 200) -> Page:
        self.calls += 1
        n = int(after[0]) if after else 0
        rows = (Row((n,), None),) if n >= 5 else ()
        return Page(rows, (n + 1,) if n < 8 else None)


def test_model_keeps_loading_in_the_background_after_empty_pages(qtbot: QtBot, db: Database) -> None:
    q = _Sparse()
    model = PagedTableModel(db, q, page_size=3)
    model.fetchMore()
    assert model.rowCount() == 0 and model.has_more  # returned at once: the window stays responsive
    qtbot.waitUntil(lambda: model.rowCount() == 3)
    assert [model.data(model.index(i, 0)) for i in range(3)] == ["5", "6", "7"]
    # stops once a page's worth arrived: nothing more is scheduled (a condition, not a clock)
    qtbot.waitUntil(lambda: not model.filling)
    calls = q.calls
    QApplication.processEvents()
    assert model.rowCount() == 3 and model.has_more and q.calls == calls
    model.fetch_all()
    assert model.rowCount() == 4 and not model.has_more
