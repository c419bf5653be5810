"""#21 item 7: who gave the dose — the logged-in nurse by her real name, 设置 → 接种护士 a default a
login never overwrites, doses given elsewhere without a local nurse."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from pytestqt.qtbot import QtBot

from epimanager import settings as prefs
from epimanager.domain.validation import ChildInput
from epimanager.services import users
from epimanager.services.children import create_child, get_child
from epimanager.store.database import Database
from epimanager.ui.child.dose_dialog import DoseDialog
from epimanager.ui.main_window import MainWindow
from tests.helpers.qt import type_text
from tests.ui.conftest import TODAY

PW = "Nurse-Ui-Pass-21"


def logged_in(db: Database, w: MainWindow) -> None:
    users.create_first_admin(db, "wanghs", PW, "王海生")
    users.login(db, "wanghs", PW)
    w.set_operator("wanghs")  # what start-up does after the login dialog


def test_the_logged_in_nurse_is_named_by_her_real_name(qtbot: QtBot, db: Database, window: MainWindow) -> None:
    logged_in(db, window)
    assert "操作员：王海生" in window.status.user_label.text()
    code = create_child(db, ChildInput("张浩", "1", date(2026, 9, 26), mother_name="李梅"), today=TODAY).code
    window.current.open(code)
    dlg = window.current.record_dose("0201")
    assert isinstance(dlg, DoseDialog)
    assert dlg.nurse.text() == "王海生"  # not "wanghs"
    dlg.place.setCurrentIndex(dlg.place.findData("外地"))
    assert dlg.nurse.text() == ""  # a dose given elsewhere carries no local nurse
    dlg.place.setCurrentIndex(0)
    assert dlg.nurse.text() == "王海生"
    dlg.batch.setEditText("B1")
    with qtbot.waitSignal(dlg.accepted):
        dlg.try_save()
    assert [d.nurse for d in get_child(db, code).doses] == ["王海生"]
    html = window.page_html("record")
    assert html is not None and "王海生" in html and "wanghs" not in html


def test_the_nurse_setting_is_a_default_a_login_does_not_overwrite(
    qtbot: QtBot, db: Database, window: MainWindow, settings_file: object
) -> None:
    window.update_settings(replace(window.settings, nurse="李芳"))  # the injecting nurse at this desk
    logged_in(db, window)
    assert window.settings.nurse == "李芳" and window.nurse() == "李芳"
    assert prefs.load().nurse == "李芳"  # still saved as chosen after the login
    code = create_child(db, ChildInput("张浩", "1", date(2026, 9, 26), mother_name="李梅"), today=TODAY).code
    window.current.open(code)
    dlg = window.current.record_dose("0201")
    assert isinstance(dlg, DoseDialog) and dlg.nurse.text() == "李芳"
    dlg.reject()
    settings = window.open_settings()
    assert settings.nurse.text() == "李芳"  # the dialog shows the preference, not the login name
    settings.nurse.clear()
    settings.accept()
    assert window.settings.nurse == "" and window.nurse() == "王海生"


def test_birth_doses_from_the_birth_hospital_carry_no_local_nurse(
    qtbot: QtBot, db: Database, window: MainWindow
) -> None:
    logged_in(db, window)
    dlg = window.new_child()
    type_text(dlg.name, "陈小宝")
    type_text(dlg.mother_name, "林芳")
    dlg.birth_date.setDate(dlg.birth_date.date().addDays(-3))
    dlg.birth_checks["0201"].setChecked(True)
    dlg.birth_checks["0101"].setChecked(True)
    assert dlg.birth_place.currentText() == "出生医院（外地）"
    with qtbot.waitSignal(dlg.accepted):
        dlg.try_save()
    assert dlg.created is not None
    doses = get_child(db, dlg.created.code).doses
    assert sorted((d.vaccine_abbr, d.place_text, d.nurse) for d in doses) == [
        ("BCG", "外地", None),
        ("HepB", "外地", None),
    ]
