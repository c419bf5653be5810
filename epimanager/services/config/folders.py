"""The backup and program folders, and moving the data folder (recorded in ``location.json``)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from epimanager.errors import ValidationError
from epimanager.paths import DbLocation, ServerUrl, backup_dir_for, data_dir, location_file, parse_db
from epimanager.services import permissions, token_box
from epimanager.services.config.common import (
    BACKUP_DIR_KEY,
    DB_FILE,
    INSTALL_ROOT_KEY,
    config_value,
    previous_dirs,
    writable_dir,
)
from epimanager.store.database import Database, open_database, set_config
from epimanager.store.sqlite_files import online_copy


def backup_dir(db: Database) -> Path:
    """The configured backup folder, else ``backups/`` next to the database."""
    value = config_value(db, BACKUP_DIR_KEY)
    return Path(value) if value else backup_dir_for(db.location)


def configured_install_root(db: Database) -> Path | None:
    value = config_value(db, INSTALL_ROOT_KEY)
    return Path(value) if value else None


def set_backup_dir(db: Database, path: Path) -> Path:
    permissions.check(db, "change_unit_config")
    folder = writable_dir(path, "备份文件夹")
    with db.transaction() as s:
        set_config(s, BACKUP_DIR_KEY, str(folder))
    return folder


def set_install_root(db: Database, path: Path) -> Path:
    permissions.check(db, "change_unit_config")
    folder = writable_dir(path, "程序安装文件夹")
    with db.transaction() as s:
        set_config(s, INSTALL_ROOT_KEY, str(folder))
    return folder


def carry_key_file(old_db: Path, new_db: Path) -> None:
    """The key that opens the sealed platform token goes with the database (if the new folder has none)."""
    old, new = token_box.key_path(old_db), token_box.key_path(new_db)
    if old.is_file() and not new.exists():
        shutil.copyfile(old, new)
        os.chmod(new, 0o600)


def move_data_dir(db_path: Path, new_dir: Path) -> Path:
    """Copy the database into ``new_dir`` and make that the data folder.

    The old folder is left as it is (nothing is moved or deleted).
    """
    db_path = Path(db_path)
    target_dir = writable_dir(new_dir, "数据文件夹")
    target = target_dir / DB_FILE
    if target.resolve() == db_path.resolve():
        raise ValidationError("新数据文件夹与当前相同")
    if target.exists():
        raise ValidationError(f"新数据文件夹中已有数据库：{target}；如需使用其中的数据，请用“接管旧数据”")
    if db_path.exists():
        tmp = target.with_name(f".{DB_FILE}.copy")
        online_copy(db_path, tmp)
        os.replace(tmp, target)
        carry_key_file(db_path, target)
    previous = previous_dirs()
    if str(db_path.parent) not in previous:
        previous.append(str(db_path.parent))
    path = location_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp_loc = path.with_name(path.name + ".tmp")
    tmp_loc.write_text(
        json.dumps({"data_dir": str(target_dir), "previous": previous}, ensure_ascii=False, indent=1),
        encoding="utf-8",
    )
    os.replace(tmp_loc, path)
    return target


def use_server(address: str | None) -> DbLocation:
    """Make this PC a desk of a clinic server (``address``), or standalone again (None / empty).

    The server is tried first (reachable, password right, initialised, not newer than this program);
    the choice is kept in this PC's ``location.json`` and used from the next start.
    """
    path = location_file()
    try:
        current = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except (OSError, ValueError):
        current = {}
    if not isinstance(current, dict):
        current = {}
    location: DbLocation
    if address and address.strip():
        location = parse_db(address.strip())
        if not isinstance(location, ServerUrl):
            raise ValidationError("请填写数据库服务器地址，形如 postgresql://用户:密码@主机:5432/数据库名")
        open_database(location).close()  # reachable, initialised, not newer: or a clear message
        current["server"] = location.url
    else:
        current.pop("server", None)
        location = data_dir() / DB_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(current, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)
    return location
