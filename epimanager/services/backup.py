"""Backup and restore of the clinic database.

Backups use SQLite's online backup API (a consistent snapshot while the app
keeps writing), are checked with ``PRAGMA integrity_check`` before they count,
gzip-compressed, named ``<unit code>-<YYYYmmdd-HHMMSS>.epibak.gz`` and pruned to
the newest N.  Restore verifies the file first, keeps a safety copy of the
current database, then swaps the file in atomically.
"""

from __future__ import annotations

import gzip
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from epimanager.errors import DatabaseError, EpiError
from epimanager.services import config
from epimanager.services.database import OWN_UNIT_KEY, Database
from epimanager.store.migrate import backup_copy, known_revisions
from epimanager.store.models_reports import BackupLog

SUFFIX = ".epibak.gz"
DEFAULT_KEEP = 10
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    size: int
    at: datetime


def default_backup_dir(db: Database) -> Path:
    """The backup folder set in the configuration tool, else ``backups/`` next to the database."""
    return config.backup_dir(db)


def _integrity(path: Path) -> str:
    con = sqlite3.connect(path)
    try:
        return str(con.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        con.close()


def _snapshot(src_path: Path, dst: Path, progress: Progress | None) -> None:
    src = sqlite3.connect(src_path)
    try:
        out = sqlite3.connect(dst)
        try:

            def step(_status: int, remaining: int, total: int) -> None:
                if progress:
                    progress(total - remaining, total)

            src.backup(out, progress=step)
        finally:
            out.close()
    finally:
        src.close()


def backup(
    db: Database,
    to_dir: Path | None = None,
    *,
    keep: int = DEFAULT_KEEP,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> BackupInfo:
    """Write a verified, compressed backup; record the attempt (ok or failed)."""
    when = now or datetime.now()
    folder = Path(to_dir) if to_dir else default_backup_dir(db)
    unit = db.config(OWN_UNIT_KEY) or "unknown"
    target = folder / f"{unit}-{when:%Y%m%d-%H%M%S}{SUFFIX}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=folder) as tmp:
            raw = Path(tmp) / "snapshot.sqlite"
            _snapshot(db.path, raw, progress)
            check = _integrity(raw)
            if check != "ok":
                raise EpiError(f"备份校验失败：{check}")
            partial = target.with_suffix(".partial")
            with raw.open("rb") as f_in, gzip.open(partial, "wb", compresslevel=6) as f_out:
                shutil.copyfileobj(f_in, f_out, 1 << 20)
            with gzip.open(partial, "rb") as f:  # the compressed file reads back
                while f.read(1 << 20):
                    pass
            os.replace(partial, target)
    except (OSError, sqlite3.Error, EpiError) as exc:
        message = exc.message if isinstance(exc, EpiError) else str(exc)
        _log(db, None, ok=False, size=None, message=message, at=when)
        raise EpiError(f"备份失败：{message}") from None
    size = target.stat().st_size
    _log(db, target, ok=True, size=size, message=None, at=when)
    _prune(folder, unit, keep)
    return BackupInfo(target, size, when)


def _log(db: Database, path: Path | None, *, ok: bool, size: int | None, message: str | None, at: datetime) -> None:
    with db.transaction() as s:
        s.add(BackupLog(at=at, path=str(path) if path else None, ok=ok, size=size, message=message))


def _prune(folder: Path, unit: str, keep: int) -> None:
    if keep <= 0:
        return
    files = sorted(folder.glob(f"{unit}-*{SUFFIX}"))
    for old in files[:-keep]:
        old.unlink(missing_ok=True)


@dataclass(frozen=True)
class BackupStatus:
    last_ok: datetime | None
    last_path: str | None
    last_failed: datetime | None
    last_error: str | None


def status(db: Database) -> BackupStatus:
    with db.session() as s:
        ok = s.scalars(select(BackupLog).where(BackupLog.ok.is_(True)).order_by(BackupLog.id.desc()).limit(1)).first()
        last = s.scalars(select(BackupLog).order_by(BackupLog.id.desc()).limit(1)).first()
        failed = last if last is not None and not last.ok else None
        return BackupStatus(
            ok.at if ok else None,
            ok.path if ok else None,
            failed.at if failed else None,
            failed.message if failed else None,
        )


def backup_if_due(
    db: Database, max_age: timedelta = timedelta(days=1), to_dir: Path | None = None, keep: int = DEFAULT_KEEP
) -> BackupInfo | None:
    """Back up when the last successful backup is older than ``max_age`` (on exit)."""
    last = status(db).last_ok
    if last is not None and datetime.now() - last < max_age:
        return None
    return backup(db, to_dir, keep=keep)


@dataclass(frozen=True)
class RestoreCheck:
    unit: str | None
    revisions: frozenset[str]
    children: int


def inspect_backup(file: Path, work: Path) -> RestoreCheck:
    """Decompress ``file`` into ``work`` and check it is a sound EpiManager database."""
    try:
        with gzip.open(file, "rb") as f_in, work.open("wb") as f_out:
            shutil.copyfileobj(f_in, f_out, 1 << 20)
    except (OSError, EOFError) as exc:
        raise EpiError(f"备份文件已损坏或不是 EpiManager 备份：{file.name}（{exc}）") from None
    try:
        check = _integrity(work)
    except sqlite3.DatabaseError:
        raise EpiError(f"备份文件不是有效的数据库：{file.name}") from None
    if check != "ok":
        raise EpiError(f"备份文件完整性校验失败：{check}")
    con = sqlite3.connect(work)
    try:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "alembic_version" not in tables or "child" not in tables:
            raise EpiError(f"备份文件不是 EpiManager 数据库：{file.name}")
        revs = frozenset(r[0] for r in con.execute("SELECT version_num FROM alembic_version"))
        row = con.execute("SELECT value FROM app_config WHERE key = ?", (OWN_UNIT_KEY,)).fetchone()
        children = con.execute("SELECT count(*) FROM child WHERE deleted = 0").fetchone()[0]
    finally:
        con.close()
    return RestoreCheck(row[0] if row else None, revs, int(children))


def restore(db: Database, file: Path, *, allow_other_unit: bool = False) -> Path:
    """Replace the database with a verified backup; returns the safety copy's path.

    ``db`` is closed by this call (reopen it afterwards).  Refuses a backup from
    a newer EpiManager, and one from another unit unless ``allow_other_unit``.
    """
    file = Path(file)
    if not file.exists():
        raise EpiError(f"找不到备份文件：{file}")
    own = db.config(OWN_UNIT_KEY)
    with tempfile.TemporaryDirectory(dir=db.path.parent) as tmp:
        work = Path(tmp) / "restore.sqlite"
        info = inspect_backup(file, work)
        unknown = info.revisions - known_revisions()
        if unknown:
            raise DatabaseError("此备份由更新版本的 EpiManager 创建，请先升级程序再恢复")
        if info.unit != own and not allow_other_unit:
            raise EpiError(f"此备份属于接种单位 {info.unit}，本机为 {own}；确认无误后才能恢复（--other-unit）")
        safety = backup_copy(db.path, db.path.parent / "backups", "before-restore")
        db.close()
        for side in ("-wal", "-shm"):
            Path(str(db.path) + side).unlink(missing_ok=True)
        os.replace(work, db.path)
    return safety
