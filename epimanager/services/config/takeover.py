"""Taking over an earlier installation's data folder: found, inspected on a copy, copied in and migrated;
the old folder is only read."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from platformdirs import user_data_path

from epimanager.errors import DatabaseError, EpiError, NotFoundError, ValidationError
from epimanager.paths import APP_NAME, backup_dir_for
from epimanager.services.config.common import DB_FILE, previous_dirs
from epimanager.services.config.folders import carry_key_file
from epimanager.store import sqlite_files
from epimanager.store.database import open_database
from epimanager.store.sqlite_files import file_facts, in_use, integrity_check, online_copy, safety_copy


@dataclass(frozen=True)
class PreviousInstall:
    db_path: Path
    unit_code: str | None
    unit_name: str | None
    children: int
    doses: int
    modified: datetime

    def describe(self) -> str:
        unit = f"{self.unit_code} {self.unit_name or ''}".strip() if self.unit_code else "未设置单位"
        return (
            f"{self.db_path}（{unit}；儿童 {self.children} 人，接种 {self.doses} 剂；{self.modified:%Y-%m-%d %H:%M}）"
        )


def find_database(old: Path) -> Path:
    """The EpiManager database in a data folder (or the file itself)."""
    old = Path(old)
    if old.is_file():
        return old
    if not old.is_dir():
        raise NotFoundError(f"文件夹不存在：{old}")
    preferred = old / DB_FILE
    if preferred.is_file():
        return preferred
    candidates = sorted(p for p in old.glob("*.sqlite") if p.is_file())
    if len(candidates) == 1:
        return candidates[0]
    raise NotFoundError(f"在 {old} 中没有找到 EpiManager 数据库（{DB_FILE}）")


def _snapshot_readonly(db_file: Path, workdir: Path) -> Path:
    """Copy the file (and its -wal) byte for byte, never opening the original with SQLite."""
    copy = workdir / "source.sqlite"
    shutil.copyfile(db_file, copy)
    wal = db_file.with_name(db_file.name + "-wal")
    if wal.exists():
        shutil.copyfile(wal, copy.with_name(copy.name + "-wal"))
    return copy


def _describe_copy(copy: Path, original: Path) -> PreviousInstall:
    facts = file_facts(copy)  # DatabaseError for a file that is not a database
    if not facts.is_epimanager:
        raise ValidationError(f"不是 EpiManager 数据库：{original}")
    check = integrity_check(copy, quick=True)
    if check != "ok":
        raise DatabaseError(f"旧数据库已损坏（{check}）：{original}")
    return PreviousInstall(
        original,
        facts.own_unit,
        facts.unit_name,
        facts.children,
        facts.doses,
        datetime.fromtimestamp(original.stat().st_mtime),
    )


def inspect_previous(old: Path) -> PreviousInstall:
    db_file = find_database(old)
    with tempfile.TemporaryDirectory(prefix="epimanager-inspect-") as tmp:
        return _describe_copy(_snapshot_readonly(db_file, Path(tmp)), db_file)


def previous_install_candidates() -> list[Path]:
    """Folders where an earlier installation may have kept its data."""
    found: list[Path] = []
    env = os.environ.get("EPIMANAGER_PREVIOUS_DATA_DIRS", "")
    found += [Path(p) for p in env.split(os.pathsep) if p]
    found += [Path(p) for p in previous_dirs()]
    found.append(user_data_path(APP_NAME, appauthor=False))
    return found


def detect_previous_installs(current_db: Path, candidates: list[Path] | None = None) -> list[PreviousInstall]:
    """Earlier data folders holding an EpiManager database other than ``current_db``."""
    seen: set[Path] = set()
    result: list[PreviousInstall] = []
    current = Path(current_db).resolve()
    for folder in candidates if candidates is not None else previous_install_candidates():
        try:
            db_file = find_database(folder).resolve()
        except EpiError:
            continue
        if db_file == current or db_file in seen:
            continue
        seen.add(db_file)
        try:
            result.append(inspect_previous(db_file))
        except EpiError:
            continue
    return result


def _ensure_not_in_use(db_path: Path) -> None:
    if in_use(db_path):
        raise DatabaseError("当前数据库正被其他程序使用（请先关闭所有 EpiManager 窗口），未做任何改动")


def _count_children(db_path: Path) -> int:
    if not db_path.exists():
        return 0
    try:
        return file_facts(db_path).children
    except DatabaseError:
        return 0


@dataclass(frozen=True)
class TakeoverResult:
    source: Path
    db_path: Path
    unit_code: str | None
    children: int
    doses: int
    previous_saved_as: Path | None
    backups_copied: int


def takeover(old: Path, db_path: Path, *, force: bool = False) -> TakeoverResult:
    """Copy an earlier installation's database into ``db_path`` and migrate it.

    The old folder is only read.  A current database that already has children is
    replaced only with ``force`` (and is backed up first).
    """
    db_path = Path(db_path)
    source = find_database(old)
    if source.resolve() == db_path.resolve():
        raise ValidationError("这就是当前正在使用的数据库，无需接管")
    existing = _count_children(db_path)
    if existing and not force:
        raise ValidationError(
            f"当前数据库已有 {existing} 个儿童个案；接管会用旧数据替换它。确认请加 --force（当前数据库会先备份）"
        )
    db_path.parent.mkdir(parents=True, exist_ok=True)
    if db_path.exists():
        _ensure_not_in_use(db_path)
    work = db_path.with_name(f".{db_path.name}.takeover")
    saved: Path | None = None
    try:
        with tempfile.TemporaryDirectory(prefix="epimanager-takeover-") as tmp:
            snap = _snapshot_readonly(source, Path(tmp))
            info = _describe_copy(snap, source)
            online_copy(snap, work)
            migrated = open_database(work, backup_dir=Path(tmp) / "backups")
            migrated.close()
        if db_path.exists():
            saved = safety_copy(db_path, backup_dir_for(db_path), "before-takeover")
        for suffix in ("-wal", "-shm"):
            work.with_name(work.name + suffix).unlink(missing_ok=True)
            db_path.with_name(db_path.name + suffix).unlink(missing_ok=True)
        os.replace(work, db_path)
        carry_key_file(source, db_path)
    except BaseException:
        for suffix in ("", "-wal", "-shm"):
            work.with_name(work.name + suffix).unlink(missing_ok=True)
        raise
    copied = 0
    old_backups = source.parent / "backups"
    if old_backups.is_dir():
        new_backups = backup_dir_for(db_path)
        new_backups.mkdir(parents=True, exist_ok=True)
        for f in sorted(old_backups.iterdir()):
            if f.is_file() and not (new_backups / f.name).exists():
                shutil.copy2(f, new_backups / f.name)
                copied += 1
    return TakeoverResult(source, db_path, info.unit_code, info.children, info.doses, saved, copied)


def read_config_value(db_path: Path, key: str) -> str | None:
    """One ``app_config`` value read without migrating or writing; None if absent."""
    return sqlite_files.read_config_value(Path(db_path), key)
