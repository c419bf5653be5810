"""配置工具 dialog: pick the unit from the list, edit 区域划分, folders, platform account."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from epimanager.services.config import folders, platform
from epimanager.store.database import Database
from epimanager.ui.config_dialog import ConfigDialog
from tests.helpers.qt import type_text


def click(qtbot: QtBot, button: object) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # type: ignore[arg-type]


def test_pick_the_unit_from_the_list_by_searching_in_chinese(qtbot: QtBot, db: Database) -> None:
    dlg = ConfigDialog(db)
    qtbot.addWidget(dlg)
    assert dlg.unit_list.count() == 12
    type_text(dlg.unit_search, "锁金")
    assert dlg.unit_list.count() == 1
    dlg.unit_list.setCurrentRow(0)
    assert dlg.unit_code.text() == "3201020401"
    assert dlg.unit_name.text() == "玄武区锁金村社区卫生服务中心预防接种门诊"
    click(qtbot, dlg.save_button)
    assert dlg.result() == ConfigDialog.DialogCode.Accepted
    assert db.own_unit_code() == "3201020401"


def test_unlisted_code_is_refused_unless_allowed(qtbot: QtBot, db: Database) -> None:
    dlg = ConfigDialog(db)
    qtbot.addWidget(dlg)
    dlg.unit_code.clear()
    qtbot.keyClicks(dlg.unit_code, "3201029999")
    click(qtbot, dlg.save_button)
    assert "不在 2026 年单位编码表中" in dlg.error.text()
    assert db.own_unit_code() == "3201020101"
    dlg.allow_unlisted.setChecked(True)
    click(qtbot, dlg.save_button)
    assert db.own_unit_code() == "3201029999"


def test_committee_editor_adds_renames_and_disables(qtbot: QtBot, db: Database) -> None:
    dlg = ConfigDialog(db)
    qtbot.addWidget(dlg)
    assert [dlg.committees.item(i).text() for i in range(dlg.committees.count())] == ["东风村", "红旗村", "城关社区"]
    type_text(dlg.committee_name, "新建村")
    click(qtbot, dlg.add_committee_button)
    assert dlg.committees.item(3).text() == "新建村"
    dlg.committees.setCurrentRow(1)
    type_text(dlg.committee_name, "红旗社区")
    click(qtbot, dlg.rename_committee_button)
    dlg.committees.setCurrentRow(0)
    click(qtbot, dlg.toggle_committee_button)
    texts = [dlg.committees.item(i).text() for i in range(dlg.committees.count())]
    assert texts == ["东风村（已停用）", "红旗社区", "城关社区", "新建村"]
    click(qtbot, dlg.add_committee_button)  # empty name
    assert "区域划分名称不能为空" in dlg.error.text()


def test_platform_account_and_backup_folder_are_saved_token_hidden(qtbot: QtBot, db: Database, tmp_path: Path) -> None:
    dlg = ConfigDialog(db)
    qtbot.addWidget(dlg)
    qtbot.keyClicks(dlg.platform_url, "https://10.1.2.3:8080")
    qtbot.keyClicks(dlg.platform_user, "xw01")
    qtbot.keyClicks(dlg.platform_token, "s3cret")
    assert dlg.platform_token.echoMode() == dlg.platform_token.EchoMode.Password
    dlg.backup_dir.setText(str(tmp_path / "备份"))
    click(qtbot, dlg.save_button)
    assert dlg.result() == ConfigDialog.DialogCode.Accepted
    st = platform.platform_settings(db)
    assert (st.url, st.user, st.token) == ("https://10.1.2.3:8080", "xw01", "s3cret")
    assert folders.backup_dir(db) == tmp_path / "备份"
    again = ConfigDialog(db)
    qtbot.addWidget(again)
    assert again.platform_token.text() == "" and "已设置" in again.platform_token.placeholderText()
    click(qtbot, again.save_button)
    assert platform.platform_settings(db).token == "s3cret"  # blank keeps it


def test_offers_an_earlier_installation_for_takeover(
    qtbot: QtBot, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from epimanager.services.units import init_database

    old = tmp_path / "old"
    init_database(old / "epimanager.sqlite", "3201020401", "旧门诊")
    monkeypatch.setenv("EPIMANAGER_PREVIOUS_DATA_DIRS", str(old))
    dlg = ConfigDialog(db)
    qtbot.addWidget(dlg)
    assert dlg.previous.count() == 1 and "3201020401" in dlg.previous.itemText(0)
    with qtbot.waitSignal(dlg.takeover_requested) as sig:
        click(qtbot, dlg.takeover_button)
    assert sig.args == [str((old / "epimanager.sqlite").resolve())]


def test_a_pc_becomes_a_desk_of_the_clinic_server_from_the_config_tool(
    qtbot: QtBot, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from epimanager import paths
    from tests.conftest import server_database

    monkeypatch.setenv("EPIMANAGER_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.delenv("EPIMANAGER_DB", raising=False)
    dlg = ConfigDialog(db)
    qtbot.addWidget(dlg)
    # a server that is not initialised yet is refused with the reason; nothing is kept
    with server_database() as empty:
        dlg.server_address.setText(empty.url)
        assert not dlg.use_server(dlg.server_address.text())
        assert "是空的" in dlg.error.text()
        assert paths.default_db_path() == paths.data_dir() / "epimanager.sqlite"
    dlg.server_address.setText("mysql://h/db")
    assert not dlg.use_server(dlg.server_address.text()) and "不支持的数据库地址" in dlg.error.text()
    # an initialised one is kept for the next start
    with server_database() as ready:
        from epimanager.services.units import init_database

        init_database(ready, "3201020101", "玄武门诊", ["东风村"])
        dlg.server_address.setText(ready.url)
        assert dlg.use_server(dlg.server_address.text())
        assert "重新启动 EpiManager 后生效" in dlg.error.text()
        assert paths.default_db_path() == ready
    # and back to standalone
    assert dlg.use_server("")
    assert paths.default_db_path() == paths.data_dir() / "epimanager.sqlite"
