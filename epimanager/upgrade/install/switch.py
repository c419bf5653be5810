"""The switch: staged folders and the migrated database take the live places, then the pointers move.

Each step is an ``os.replace`` and registers its undo on the :class:`~.stage.Attempt`.  The
history entry is journalled first (state ``switching``, with the hash of the migrated database
computed while staging) and marked ``done`` last, so a kill at any point of the switch leaves
an entry that ``upgrade rollback`` can undo.  Until the switch nothing live has changed; a
failure during the switch restores the byte copy of the database and the pointers
(``Attempt.abandon``) and drops the journalled entry.
"""

from __future__ import annotations

import os
import shutil
from datetime import datetime
from pathlib import Path

from epimanager.faults import pause_point
from epimanager.upgrade.install.database import quiesce, restore_db
from epimanager.upgrade.install.history import (
    HistoryEntry,
    append_history,
    finish_history,
    history_bytes,
    put_back_history,
)
from epimanager.upgrade.install.layout import CURRENT, Progress, UpgradeError, restore_pointer, stamp, write_pointer
from epimanager.upgrade.install.stage import Attempt
from epimanager.upgrade.package import sha256_file


def _move_into_place(a: Attempt, staged: Path, final: Path) -> None:
    """``staged`` becomes ``final``; a folder already there is set aside until the upgrade succeeds."""
    if final.exists():
        aside = final.with_name(f"{a.pkg.manifest.version}.replaced-{stamp()}")
        os.replace(final, aside)
        a.undo.append(lambda: os.replace(aside, final))
    os.replace(staged, final)
    a.created.remove(staged)
    a.undo.append(lambda: shutil.rmtree(final, ignore_errors=True))


def switch(a: Attempt, report: Progress, fault: str | None = None) -> None:
    """Make the staged version live and record it in the history.

    ``fault`` ("after-db-switch", "after-pointer") makes the switch fail on purpose (tests).
    """
    m = a.pkg.manifest
    db = a.target.db_path
    overlay_root = a.target.overrides_root
    report(85, "正在切换到新版本……")
    if a.has_db:
        quiesce(db)
        if sha256_file(db) != a.db_digest:
            raise UpgradeError("升级过程中数据库被修改，已取消升级，未做任何改动")
    entry = HistoryEntry(
        at=datetime.now().isoformat(timespec="seconds"),
        action="apply",
        from_version=a.from_version,
        to_version=m.version,
        package=a.pkg.path.name,
        package_sha256=a.pkg.sha256,
        key_id=a.pkg.key_id,
        notes=m.notes,
        db_backup=str(a.backup) if a.has_db else "",
        db_sha256_before=a.db_digest,
        db_sha256_after=a.db_digest_after,
        schema_before=a.schema_before,
        schema_after=a.schema_after,
        overlay_before=a.overlay_before,
        overlay_after=m.version if a.has_data else a.overlay_before,
        state="switching",
    )
    journal_before = history_bytes(a.target.install_root)
    append_history(a.target.install_root, entry)
    a.undo.append(lambda: put_back_history(a.target.install_root, journal_before))
    pause_point("upgrade-journalled")
    _move_into_place(a, a.staging, a.final)
    if a.has_data:
        _move_into_place(a, a.overlay_staging, a.overlay_final)
    if a.has_db and a.schema_after != a.schema_before:
        a.switched = True
        os.replace(a.work, db)
        a.created.remove(a.work)
        a.undo.append(lambda: restore_db(a.backup, db))
    elif a.has_db:
        a.work.unlink()  # no schema change: the live file stays as it is, byte for byte
    pause_point("upgrade-after-db-switch")
    if fault == "after-db-switch":
        raise UpgradeError("模拟故障：数据库切换之后")
    if a.has_data:
        a.undo.append(lambda: restore_pointer(overlay_root / CURRENT, a.overlay_before))
        write_pointer(overlay_root / CURRENT, m.version)
    a.undo.append(lambda: restore_pointer(a.target.install_root / CURRENT, a.pointer_before))
    write_pointer(a.target.install_root / CURRENT, m.version)
    pause_point("upgrade-after-pointer")
    if fault == "after-pointer":
        raise UpgradeError("模拟故障：版本切换之后")
    finish_history(a.target.install_root, entry)


def discard_replaced(a: Attempt) -> None:
    """After a successful switch: remove the folders set aside by :func:`_move_into_place`."""
    version = a.pkg.manifest.version
    for leftover in [
        *a.target.versions_dir.glob(f"{version}.replaced-*"),
        *a.target.overrides_root.glob(f"{version}.replaced-*"),
    ]:
        shutil.rmtree(leftover, ignore_errors=True)
