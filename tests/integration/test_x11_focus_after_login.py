"""On an X server without a window manager, F3 works straight after login.

Nothing gives a newly mapped window the input focus there; the main window must ask for
it itself.  The real start-up (``epimanager.ui.app.run``: login dialog, main window) runs
under Xvfb with the xcb platform; the login is typed with key events, then F3 is pressed
where the keyboard is.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from epimanager.services import backup, users
from epimanager.store.database import open_database

pytestmark = pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="needs Xvfb (xvfb-run)")

SCRIPT = r"""
import argparse, json, sys
from PySide6.QtCore import QTimer, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from epimanager.ui import app as gui
from epimanager.ui.login_dialog import LoginDialog
from epimanager.ui.main_window import MainWindow

result = {}

def login():
    dlg = QApplication.activeModalWidget()
    if not isinstance(dlg, LoginDialog):
        QTimer.singleShot(100, login)
        return
    QTest.keyClicks(dlg.user, "wanghs")
    QTest.keyClicks(dlg.password, "secret-123")
    QTest.keyClick(dlg.password, Qt.Key.Key_Return)
    press_f3()

def main_window():
    return next((w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()), None)

def press_f3(shown_ms=0):
    # the main window must get the focus by itself within 1.5 s of being shown (however long the login took)
    w = main_window()
    if w is None or (not w.isActiveWindow() and shown_ms < 1500):
        QTimer.singleShot(50, lambda: press_f3(shown_ms + (50 if w is not None else 0)))
        return
    result["active"] = w.isActiveWindow()
    QTest.keyClick(QApplication.focusWidget() or w, Qt.Key.Key_F3)
    finish()

def finish(waited_ms=0):
    w = main_window()
    if not w.search_dialog.isVisible() and waited_ms < 800:
        QTimer.singleShot(50, lambda: finish(waited_ms + 50))
        return
    result["search_shown"] = w.search_dialog.isVisible()
    print("RESULT " + json.dumps(result), flush=True)
    w.search_dialog.hide()
    QApplication.quit()

QTimer.singleShot(0, login)
sys.exit(gui.run(argparse.Namespace(db=sys.argv[1])))
"""


def test_f3_works_straight_after_login_without_a_window_manager(db_path: Path, tmp_path: Path) -> None:
    db = open_database(db_path)
    try:
        users.create_first_admin(db, "wanghs", "secret-123")
        # backed up since: closing after a login alone makes no backup, whose box would stay 8 s
        backup.backup(db, tmp_path / "backups")
    finally:
        db.close()
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "xcb",
        "EPIMANAGER_DATA_DIR": str(tmp_path / "data"),
        "EPIMANAGER_SETTINGS": str(tmp_path / "settings.json"),
        "PYTHONIOENCODING": "utf-8",
    }
    r = subprocess.run(
        ["xvfb-run", "-a", "-s", "-screen 0 1280x800x24", sys.executable, "-c", SCRIPT, str(db_path)],
        capture_output=True,
        check=False,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        timeout=120,
    )
    lines = [line for line in r.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, r.stdout + r.stderr
    result = json.loads(lines[0][len("RESULT ") :])
    assert result == {"active": True, "search_shown": True}
