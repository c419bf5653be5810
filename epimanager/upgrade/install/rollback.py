"""Undo the most recent upgrade: version pointer, reference data and, if the schema changed, the database."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from epimanager.domain.actor import Actor
from epimanager.services import permissions
from epimanager.store.sqlite_files import SAFETY_KEEP, prune_copies
from epimanager.upgrade.install.database import byte_copy, quiesce, restore_db
from epimanager.upgrade.install.history import HistoryEntry, append_history, undoable
from epimanager.upgrade.install.layout import (
    CURRENT,
    Progress,
    Target,
    UpgradeError,
    current_version,
    read_pointer,
    restore_pointer,
    silent,
    stamp,
    write_pointer,
)
from epimanager.upgrade.package import sha256_file


@dataclass(frozen=True)
class RollbackResult:
    from_version: str
    to_version: str
    db_restored: bool
    db_saved_as: Path | None


def rollback(
    target: Target, *, force: bool = False, progress: Progress | None = None, actor: Actor | None = None
) -> RollbackResult:
    """Undo the most recent upgrade: version pointer, reference data and, if the schema changed, the database."""
    permissions.check_path(target.db_path, actor, "rollback_upgrade")
    report = progress or silent
    entry = undoable(target.install_root)
    if entry is None:
        raise UpgradeError("没有可以回滚的升级")
    current = current_version(target.install_root)
    # an upgrade killed during its switch may not have moved the pointer yet
    killed = entry.state == "switching"
    if current != entry.to_version and not (killed and current == entry.from_version):
        raise UpgradeError(f"当前版本 {current} 与最近一次升级（{entry.to_version}）不一致，无法回滚")
    db = target.db_path
    db_restored = entry.schema_changed and bool(entry.db_backup)
    saved: Path | None = None
    if db_restored:
        backup = Path(entry.db_backup)
        if not backup.exists():
            raise UpgradeError(f"升级前的数据库备份不存在：{backup}，无法回滚")
        if sha256_file(backup) != entry.db_sha256_before:
            raise UpgradeError(f"升级前的数据库备份已被改动：{backup}，无法回滚")
        if db.exists():
            quiesce(db)
            digest = sha256_file(db)
            if killed and digest == entry.db_sha256_before:
                db_restored = False  # killed before the database was switched: it is the previous one
            elif digest != entry.db_sha256_after and not force:
                raise UpgradeError(
                    f"升级到 {entry.to_version} 之后数据库已有新的录入；回滚会恢复升级前的数据库，"
                    "这些录入将不在回滚后的数据库中。确认请加 --force（当前数据库会先另存为备份）"
                )
            if db_restored:
                report(20, "正在另存当前数据库……")
                saved = target.backup_dir / f"{db.stem}-before-rollback-{entry.to_version}-{stamp()}.sqlite"
                byte_copy(db, saved, digest)
                prune_copies(target.backup_dir, f"{db.stem}-before-rollback-*.sqlite", SAFETY_KEEP)
    pointer = target.install_root / CURRENT
    overlay_pointer = target.overrides_root / CURRENT
    old_pointer = read_pointer(pointer)
    old_overlay = read_pointer(overlay_pointer)
    try:
        report(50, "正在恢复……")
        if db_restored:
            restore_db(Path(entry.db_backup), db)
        restore_pointer(overlay_pointer, entry.overlay_before)
        write_pointer(pointer, entry.from_version)
        append_history(
            target.install_root,
            HistoryEntry(
                at=datetime.now().isoformat(timespec="seconds"),
                action="rollback",
                from_version=entry.to_version,
                to_version=entry.from_version,
                db_backup=str(saved or ""),
                overlay_before=old_overlay,
                overlay_after=entry.overlay_before,
            ),
        )
    except BaseException:
        if db_restored and saved is not None:
            restore_db(saved, db)
        restore_pointer(overlay_pointer, old_overlay)
        restore_pointer(pointer, old_pointer)
        raise
    if killed:
        _remove_leftovers(target, entry.to_version)
    report(100, f"已回滚到 {entry.from_version}")
    return RollbackResult(entry.to_version, entry.from_version, db_restored, saved)


def _remove_leftovers(target: Target, version: str) -> None:
    """What an upgrade killed during its switch left: staging folders and the migrated copy."""
    for folder in (target.versions_dir / f"{version}.staging", target.overrides_root / f"{version}.staging"):
        shutil.rmtree(folder, ignore_errors=True)
    work = target.db_path.with_name(f".{target.db_path.name}.upgrade-{version}")
    for suffix in ("", "-wal", "-shm", "-journal"):
        work.with_name(work.name + suffix).unlink(missing_ok=True)
