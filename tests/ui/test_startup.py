"""The GUI starts on a real database; first run creates one."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from epimanager.domain.validation import ChildInput
from epimanager.services.children import create_child
from epimanager.store.database import Database, open_database
from epimanager.ui.first_run import FirstRunDialog
from epimanager.ui.fonts import PREFERRED, apply_cjk_font
from epimanager.ui.main_window import MainWindow
from tests.helpers.qt import type_text


def test_main_window_shows_unit_database_and_counts(qtbot: QtBot, db: Database) -> None:
    create_child(db, ChildInput("张浩", "1", date(2025, 3, 1), mother_name="李梅"), today=date(2026, 11, 26))
    w = MainWindow(db)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    assert "玄武区测试社区卫生服务中心预防接种门诊" in w.windowTitle()
    assert "3201020101" in w.status.unit_label.text()
    assert str(db.path) in w.status.db_label.text()
    assert "护士" in w.status.user_label.text()
    # counts are read off the UI thread once the window is up
    qtbot.waitUntil(lambda: "儿童个案 1 人" in w.summary.text())
    qtbot.waitUntil(lambda: "待上传" in w.status.pending_label.text() and "—" not in w.status.pending_label.text())


def test_first_run_refuses_a_bad_unit_code_then_creates_the_database(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite"
    dlg = FirstRunDialog(path)
    qtbot.addWidget(dlg)
    qtbot.keyClicks(dlg.code, "32010")
    type_text(dlg.name, "测试门诊")
    assert dlg.name.text() == "测试门诊"
    qtbot.mouseClick(dlg.ok_button, Qt.MouseButton.LeftButton)
    assert "单位编码应为10位数字" in dlg.error.text()
    assert not path.exists()
    dlg.code.clear()
    qtbot.keyClicks(dlg.code, "3201020101")
    qtbot.mouseClick(dlg.ok_button, Qt.MouseButton.LeftButton)
    assert dlg.result() == FirstRunDialog.DialogCode.Accepted
    db = open_database(path)
    assert db.own_unit_code() == "3201020101"
    db.close()


def test_ui_font_prefers_a_simplified_chinese_family(qtbot: QtBot) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    chosen = apply_cjk_font(app)
    families = app.font().families()
    if chosen is not None:
        assert chosen in PREFERRED and families[0] == chosen
    else:  # no CJK font installed: the preferred list still leads the fallback chain
        assert families[: len(PREFERRED)] == list(PREFERRED)


def test_the_window_starts_with_defaults_over_a_garbage_settings_file(
    qtbot: QtBot, db: Database, tmp_path: Path
) -> None:
    path = tmp_path / "settings.json"
    path.write_bytes(b'{"schema_version": null, "nurse": "\xff\xfe"}')  # bad version, bad bytes
    w = MainWindow(db, settings_path=path)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    assert "玄武区测试社区卫生服务中心预防接种门诊" in w.windowTitle()
    assert "护士" in w.status.user_label.text()  # the default nurse
    assert (tmp_path / "settings.json.bad").exists() and not path.exists()
