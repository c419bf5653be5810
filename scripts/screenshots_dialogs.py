"""The dialogs of the daily loop's edges (#21 items 5–9), rendered by scripts/screenshots.py:
first run, first administrator and login messages, users with real names, fields that say what is
wrong, a report opened from F7, the upload message that names the GUI place."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QApplication, QMessageBox, QWidget


def render(
    app: QApplication,
    window: object,
    out: Path,
    settle: Callable[[QApplication, int], None],
    save: Callable[[QWidget, Path, str], None],
) -> None:
    from PySide6.QtTest import QTest

    from epimanager.domain.identifiers import id_check_char
    from epimanager.errors import EpiError
    from epimanager.services import users
    from epimanager.services.units import init_database
    from epimanager.store.database import open_database
    from epimanager.sync.upload import make_client
    from epimanager.ui.first_run import FirstRunDialog
    from epimanager.ui.fixes import worded
    from epimanager.ui.login_dialog import FirstAdminDialog, LoginDialog
    from epimanager.ui.main_window import MainWindow
    from epimanager.ui.users_dialog import UsersDialog
    from tests.helpers.qt import type_text

    w = window
    assert isinstance(w, MainWindow)
    tmp = Path(tempfile.mkdtemp(prefix="epi-shots-dialogs-"))

    first = FirstRunDialog(tmp / "new" / "epi.sqlite")
    first.show()
    settle(app, 200)
    save(first, out, "21-first-run.png")
    first.close()

    init_database(tmp / "epi.sqlite", "3201020101", "某某社区卫生服务中心预防接种门诊", ["东风村"])
    db = open_database(tmp / "epi.sqlite")
    admin = FirstAdminDialog(db)
    admin.show()
    type_text(admin.user, "lizz")
    QTest.keyClicks(admin.password, "Admin-Shot-Pass-1")
    QTest.keyClicks(admin.repeat, "Admin-Shot-Pass-1")
    admin.ok_button.click()  # no real name yet: asked for, at once
    settle(app, 200)
    save(admin, out, "22-first-admin.png")
    type_text(admin.display_name, "李站长")
    admin.ok_button.click()
    users.add_user(db, "wanghs", "Nurse-Shot-Pass-1", "普通用户", display_name="王海生")
    users.add_user(db, "lif", "Nurse-Shot-Pass-2", "普通用户", display_name="李芳")
    people = UsersDialog(db)
    people.show()
    settle(app, 200)
    save(people, out, "23-users-real-names.png")
    people.close()
    users.logout(db)

    login = LoginDialog(db)
    login.show()
    settle(app, 100)
    for _ in range(6):
        login.user.setText("wanghs")
        login.password.setText("wrong-password")
        login.ok_button.click()
    settle(app, 200)
    save(login, out, "24-login-locked.png")
    login.close()
    db.close()

    new = w.new_child()
    type_text(new.name, "陈小宝")
    type_text(new.mother_name, "林芳")
    QTest.keyClicks(new.id_number, "32010220271115001" + id_check_char("32010220271115001"))  # born 2027
    QTest.keyClicks(new.phone, "1381234567")
    settle(app, 300)
    save(new, out, "25-new-child-future-id.png")
    new.reject()

    dose = w.current.record_dose()
    if dose is not None:
        today = dose.date.date()
        dose.date.setDate(today.addYears(1))  # as typed: kept, and said at the field
        settle(app, 300)
        save(dose, out, "26-record-dose-future-date.png")
        dose.reject()

    try:
        make_client(w.db)
    except EpiError as exc:
        box = QMessageBox(QMessageBox.Icon.Warning, "EpiManager", worded(exc), parent=w)
        box.show()
        settle(app, 200)
        save(box, out, "27-upload-no-platform.png")
        box.close()
