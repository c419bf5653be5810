"""Printing the vaccination record and today's receipt (to PDF; the print dialog is the only bypass)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pytestqt.qtbot import QtBot

from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.services.children import create_child
from epimanager.services.doses import add_dose
from epimanager.store.database import Database
from epimanager.ui.main_window import MainWindow
from tests.ui.conftest import TODAY


def test_record_and_receipt_print_to_pdf(qtbot: QtBot, db: Database, window: MainWindow, tmp_path: Path) -> None:
    code = create_child(db, ChildInput("张浩", "1", date(2026, 9, 26), mother_name="李梅"), today=TODAY).code
    add_dose(db, code, DoseInput("HepB", 1, date(2026, 9, 26)), today=TODAY)
    add_dose(db, code, DoseInput("HepB", 2, TODAY, batch_no="20261101"), user="护士", today=TODAY)
    window.current.open(code)

    record = window.page_html("record")
    assert record is not None
    assert "儿童预防接种记录" in record and "张浩" in record and "20261101" in record
    receipt = window.page_html("receipt")
    assert receipt is not None
    # today's dose, and the next one: HepB 3 from six months (2027-03-26)
    assert "今日接种" in receipt and "2026-11-26" in receipt
    assert "下次接种" in receipt

    for kind in ("record", "receipt"):
        pdf = tmp_path / f"{kind}.pdf"
        assert window.print_page(kind, pdf)
        data = pdf.read_bytes()
        assert data.startswith(b"%PDF") and len(data) > 2000


def test_print_without_a_child_says_what_to_do(window: MainWindow) -> None:
    assert window.page_html("record") is None
    assert "F3" in window.statusBar().currentMessage()
