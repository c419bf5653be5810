"""Start the GUI: QApplication, font, database (first-run dialog), main window."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace
from pathlib import Path

from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from epimanager import settings
from epimanager.errors import EpiError
from epimanager.logs import setup_logging
from epimanager.paths import local_dir_for, resolve_db_path
from epimanager.services import backup
from epimanager.store.database import open_database
from epimanager.ui import crash, i18n
from epimanager.ui.first_run import FirstRunDialog
from epimanager.ui.fonts import apply_cjk_font
from epimanager.ui.lock_screen import IdleLock
from epimanager.ui.login_dialog import login_at_desk
from epimanager.ui.main_window import MainWindow
from epimanager.ui.visits.desk_choice import desk_choices


def _display_available() -> bool:
    if sys.platform != "linux":
        return True
    if os.environ.get("QT_QPA_PLATFORM", "").startswith(("offscreen", "minimal", "vnc")):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run(args: argparse.Namespace) -> int:
    if not _display_available():
        print(
            "没有图形显示（DISPLAY 未设置）。请在桌面环境中运行，或在虚拟显示中运行：\n"
            "  xvfb-run -a epimanager        （源码目录中：xvfb-run -a ./scripts/start）\n"
            "No display found (DISPLAY is not set). "
            "Run it on a desktop, or under Xvfb: xvfb-run -a epimanager "
            "(from the source tree: xvfb-run -a ./scripts/start)",
            file=sys.stderr,
        )
        return 3
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("EpiManager")
    apply_cjk_font(app)
    crash.install()
    preferences = settings.load()
    i18n.install(app, preferences.language)
    try:
        path = resolve_db_path(getattr(args, "db", None))
        if isinstance(path, Path) and not path.exists() and FirstRunDialog(path).exec() != QDialog.DialogCode.Accepted:
            return 1
        db = open_database(path)
    except EpiError as exc:
        QMessageBox.critical(None, "EpiManager", exc.message)
        return exc.exit_code
    setup_logging(local_dir_for(path))
    backup.clean_leftovers(db)  # what a killed backup or restore left behind
    # the first 系统管理员 on a new database, else the login dialog, which also asks for the desk
    logged_in = login_at_desk(db, desk_choices(db), preferences.desk)
    if logged_in is None:
        db.close()
        return 1
    actor, desk = logged_in
    if desk != preferences.desk:
        preferences = replace(preferences, desk=desk)
        settings.save(preferences)  # remembered for the next start
    if desk:
        db.desk = desk  # recorded on every change this window makes
    window = MainWindow(db, preferences)
    window.set_operator(actor.name)
    lock = IdleLock(window, db, minutes=preferences.idle_lock_minutes)
    lock.user_switched.connect(window.set_operator)
    lock.start()
    window.present()  # active with the keyboard in it: F3 works at once, also without a window manager
    window.system.start_auto_upload()
    if getattr(args, "calling_screen", False):  # epimanager --calling-screen
        window.visit_windows.open_calling_screen()
    try:
        code = app.exec()
        if window.system.backup_on_exit():  # when anything changed since the last backup
            window.system.tell_exit_backup()  # names the file
        return code
    finally:
        db.close()
