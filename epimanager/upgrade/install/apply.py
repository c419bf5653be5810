"""Apply an upgrade package as one step.

Order: verify everything → check versions and disk space → make sure no other program
holds the database → back up the database (byte copy) and stage program files, reference
data and a copy of the database (SQLite backup API) → migrate the copy → switch
(os.replace of the database when its schema changed, then the pointers).  Until the switch
nothing live has changed; a failure during the switch restores the byte copy and the pointers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from epimanager.domain.actor import Actor
from epimanager.services import permissions
from epimanager.upgrade.install.database import quiesce
from epimanager.upgrade.install.history import interrupted
from epimanager.upgrade.install.layout import Progress, Target, UpgradeError, current_version, silent
from epimanager.upgrade.install.stage import Attempt, stage
from epimanager.upgrade.install.switch import discard_replaced, switch
from epimanager.upgrade.install.verify import check_disk_space, check_package, required_space
from epimanager.upgrade.package import sha256_file


@dataclass(frozen=True)
class ApplyResult:
    from_version: str
    to_version: str
    notes: str
    db_backup: Path | None
    schema_before: tuple[str, ...]
    schema_after: tuple[str, ...]
    program_dir: Path
    data_files: tuple[str, ...]


def apply_package(
    pkg_path: Path,
    target: Target,
    *,
    progress: Progress | None = None,
    free_space: Callable[[Path], int] | None = None,
    fault: str | None = None,
    actor: Actor | None = None,
) -> ApplyResult:
    """Verify, stage, migrate a copy, switch; on any failure leave everything as it was.

    ``fault`` ("after-db-switch", "after-pointer") makes the switch fail on purpose (tests).
    """
    permissions.check_path(target.db_path, actor, "apply_upgrade")
    report = progress or silent
    killed = interrupted(target.install_root)
    if killed is not None:
        raise UpgradeError(
            f"上次升级到 {killed.to_version} 时程序被中断，升级没有完成。"
            "请先回滚（epimanager upgrade rollback），再重新升级。升级未进行，未做任何改动"
        )
    report(0, "正在校验升级包签名和每个文件的 SHA-256……")
    pkg = check_package(pkg_path, target)
    m = pkg.manifest
    from_version = current_version(target.install_root)
    report(20, "正在检查磁盘空间……")
    check_disk_space(required_space(pkg, target), target, free_space)

    db = target.db_path
    has_db = db.exists()
    db_digest = ""
    if has_db:
        report(25, "正在确认数据库未被其他程序使用……")
        quiesce(db)
        db_digest = sha256_file(db)

    attempt = Attempt.plan(pkg, target, from_version, has_db, db_digest)
    try:
        stage(attempt, report)
        switch(attempt, report, fault)
    except BaseException:
        attempt.abandon()
        raise
    discard_replaced(attempt)
    report(100, f"已升级到 {m.version}")
    return ApplyResult(
        from_version,
        m.version,
        m.notes,
        attempt.backup if has_db else None,
        tuple(attempt.schema_before),
        tuple(attempt.schema_after),
        attempt.final,
        tuple(attempt.data_files),
    )
