"""Issue #16 item 17: the platform token is never in clear in the database or its backups, and
``--token`` on a command line is warned about (``--token-stdin`` keeps it off the process list)."""

from __future__ import annotations

import gzip
import shutil
import sqlite3
import stat
from pathlib import Path

import pytest

from epimanager.services import token_box
from epimanager.services.backup import backup
from epimanager.services.config import folders
from epimanager.store.database import Database, open_database
from epimanager.sync.config import load_settings, save_settings
from tests.helpers.cli import run_cli

TOKEN = "t-3201020101-Secret-Token-7f3a"
#: the file, its key beside it and its file backups (on a clinic server the key stays in the desk's data folder)
BACKENDS = ("sqlite",)


def stored(db_path: Path) -> str:
    con = sqlite3.connect(db_path)
    try:
        return con.execute("SELECT value FROM app_config WHERE key = 'sync.token'").fetchone()[0]
    finally:
        con.close()


def test_the_token_is_sealed_in_the_database_and_its_backups(db: Database, tmp_path: Path) -> None:
    save_settings(db, url="https://platform.example", token=TOKEN)
    assert load_settings(db).token == TOKEN
    raw = stored(db.path)
    assert raw.startswith("enc1:") and TOKEN not in raw
    key = db.path.parent / "secret.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    info = backup(db, tmp_path / "bk")
    with gzip.open(info.path) as f:
        assert TOKEN.encode() not in f.read()
    assert TOKEN.encode() not in db.path.read_bytes()


def test_a_copy_without_its_key_file_must_have_the_token_set_again(db: Database, tmp_path: Path) -> None:
    save_settings(db, token=TOKEN)
    elsewhere = tmp_path / "other-pc"
    elsewhere.mkdir()
    shutil.copyfile(db.path, elsewhere / "epimanager.sqlite")  # as a restored backup on another PC
    other = open_database(elsewhere / "epimanager.sqlite")
    try:
        assert load_settings(other).token is None
        save_settings(other, token="new-token-here")
        assert load_settings(other).token == "new-token-here"
    finally:
        other.close()
    assert load_settings(db).token == TOKEN  # this PC's key is untouched


def test_a_token_stored_in_clear_by_an_older_version_is_sealed_when_read(db: Database) -> None:
    con = sqlite3.connect(db.path)
    with con:
        con.execute("INSERT INTO app_config (key, value) VALUES ('sync.token', ?)", (TOKEN,))
    con.close()
    assert load_settings(db).token == TOKEN
    assert token_box.is_sealed(stored(db.path))
    assert load_settings(db).token == TOKEN


def test_moving_the_data_folder_takes_the_key_along(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EPIMANAGER_CONFIG_DIR", str(tmp_path / "cfg"))
    save_settings(db, token=TOKEN)
    target = folders.move_data_dir(db.path, tmp_path / "new-folder")
    moved = open_database(target)
    try:
        assert load_settings(moved).token == TOKEN
    finally:
        moved.close()


def test_token_on_the_command_line_is_warned_about(db_path: Path) -> None:
    r = run_cli("sync", "config", "--token", TOKEN, db=db_path)
    assert r.returncode == 0
    assert "警告：--token 的令牌会出现在进程列表中，本机其他用户可以看到；请改用 --token-stdin" in r.stderr
    r = run_cli("sync", "config", "--token-stdin", db=db_path, stdin=TOKEN + "\n")
    assert r.returncode == 0 and "警告" not in r.stderr
    assert TOKEN not in stored(db_path)
