"""The upgrade dialog: verifies, shows the notes, applies on a thread, shows refusals."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from epimanager.ui.upgrade_dialog import UpgradeDialog
from epimanager.upgrade.install.layout import current_version
from epimanager.upgrade.package import build_package

REPO = Path(__file__).resolve().parents[2]
DEV_KEY = REPO / "tests" / "keys" / "dev-upgrade-key.pem"


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("EPIMANAGER_DEV_KEYS", "1")
    out = tmp_path / "EpiManager-0.2.0.zip"
    build_package(REPO / "upgrades" / "0.2.0", DEV_KEY, out)
    return out


def test_shows_notes_then_upgrades_with_progress(qtbot: QtBot, package: Path, db_path: Path, tmp_path: Path) -> None:
    root = tmp_path / "install"
    dlg = UpgradeDialog(package, db_path, root)
    qtbot.addWidget(dlg)
    qtbot.waitUntil(dlg.start_button.isEnabled, timeout=20_000)
    assert "2027 年单位编码表" in dlg.notes.toPlainText()
    assert "当前版本：0.1.0" in dlg.info.text() and "新版本：0.2.0" in dlg.info.text()
    with qtbot.waitSignal(dlg.upgraded, timeout=60_000) as sig:
        qtbot.mouseClick(dlg.start_button, Qt.MouseButton.LeftButton)
    assert sig.args == ["0.2.0"]
    assert dlg.progress.value() == 100
    assert "已从 0.1.0 升级到 0.2.0" in dlg.status.text()
    assert current_version(root) == "0.2.0"
    assert dlg.close_button.text() == "完成"


def test_refused_package_shows_the_reason_and_changes_nothing(
    qtbot: QtBot, package: Path, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EPIMANAGER_DEV_KEYS")
    before = hashlib.sha256(db_path.read_bytes()).hexdigest()
    dlg = UpgradeDialog(package, db_path, tmp_path / "install")
    qtbot.addWidget(dlg)
    qtbot.waitUntil(lambda: bool(dlg.error.text()), timeout=20_000)
    assert "不受信任" in dlg.error.text()
    assert "没有任何改动" in dlg.status.text()
    assert not dlg.start_button.isEnabled()
    assert hashlib.sha256(db_path.read_bytes()).hexdigest() == before
    assert not (tmp_path / "install").exists()
