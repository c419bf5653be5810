"""Staging: unpack a verified package beside the live version and migrate a copy of the database.

Nothing live changes here.  :class:`Attempt` records every file and folder the upgrade
creates and every step the switch takes, so that :meth:`Attempt.abandon` can put
everything back when any step fails.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from epimanager.errors import EpiError
from epimanager.services.reference_data import check_reference_update
from epimanager.store.sqlite_files import SAFETY_KEEP, online_copy, prune_copies, remove_sidecars
from epimanager.upgrade.install.database import byte_copy, migrate_copy, schema_revisions
from epimanager.upgrade.install.layout import CURRENT, Progress, Target, UpgradeError, read_pointer, stamp
from epimanager.upgrade.package import VerifiedPackage, extract_section, sha256_file


@dataclass
class Attempt:
    """One upgrade in progress: where it stages and switches, and how to undo what it did so far."""

    pkg: VerifiedPackage
    target: Target
    from_version: str
    #: SHA-256 of the live database before anything started ("" when there is no database)
    db_digest: str
    has_db: bool
    has_data: bool
    staging: Path
    final: Path
    overlay_before: str | None
    overlay_staging: Path
    overlay_final: Path
    #: the migrated copy of the database, switched in when its schema changed
    work: Path
    #: byte copy of the live database, kept for rollback
    backup: Path
    pointer_before: str | None
    #: folders that did not exist before (removed again when empty after a failure)
    new_dirs: list[Path]
    created: list[Path] = field(default_factory=list)
    undo: list[Callable[[], None]] = field(default_factory=list)
    data_files: list[str] = field(default_factory=list)
    schema_before: list[str] = field(default_factory=list)
    schema_after: list[str] = field(default_factory=list)
    #: the live database file has been replaced by the migrated copy
    switched: bool = False
    #: SHA-256 the live database has after the switch (the migrated copy's, hashed while staging)
    db_digest_after: str = ""

    @classmethod
    def plan(cls, pkg: VerifiedPackage, target: Target, from_version: str, has_db: bool, db_digest: str) -> Attempt:
        """Where this package stages and switches to (reads pointers, changes nothing)."""
        m = pkg.manifest
        db = target.db_path
        overlay_root = target.overrides_root
        work = db.with_name(f".{db.name}.upgrade-{m.version}")
        return cls(
            pkg=pkg,
            target=target,
            from_version=from_version,
            db_digest=db_digest,
            has_db=has_db,
            has_data=bool(m.section("data")),
            staging=target.versions_dir / f"{m.version}.staging",
            final=target.versions_dir / m.version,
            overlay_before=read_pointer(overlay_root / CURRENT),
            overlay_staging=overlay_root / f"{m.version}.staging",
            overlay_final=overlay_root / m.version,
            work=work,
            backup=target.backup_dir / f"{db.stem}-before-upgrade-{m.version}-{stamp()}.sqlite",
            pointer_before=read_pointer(target.install_root / CURRENT),
            new_dirs=[
                d
                for d in (target.install_root, target.versions_dir, overlay_root, target.backup_dir, work.parent)
                if not d.exists()
            ],
        )

    def abandon(self) -> None:
        """After a failure: undo the switch's steps, remove what was created, drop new empty folders."""
        for step in reversed(self.undo):
            step()
        for path in self.created:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
                remove_sidecars(path)
        if self.switched:
            remove_sidecars(self.target.db_path)
        for d in reversed(self.new_dirs):
            if d.is_dir() and not any(d.iterdir()):
                d.rmdir()


def stage(a: Attempt, report: Progress) -> None:
    """Unpack program files and reference data, back up the database and migrate a copy of it."""
    pkg, m = a.pkg, a.pkg.manifest
    db = a.target.db_path
    overlay_root = a.target.overrides_root
    for leftover in (a.staging, a.overlay_staging):
        if leftover.exists():
            shutil.rmtree(leftover)
    report(30, "正在解压程序文件……")
    a.staging.mkdir(parents=True)
    a.created.append(a.staging)
    extract_section(pkg, "program", a.staging)
    (a.staging / "upgrade-manifest.json").write_bytes(m.to_bytes())
    migrations = extract_section(pkg, "migrations", a.staging / "_migrations")
    if a.has_data:
        report(40, "正在准备参考数据（疫苗目录、免疫程序、单位编码）……")
        overlay_root.mkdir(parents=True, exist_ok=True)
        previous = overlay_root / a.overlay_before if a.overlay_before else None
        if previous is not None and previous.is_dir():
            shutil.copytree(previous, a.overlay_staging)
        else:
            a.overlay_staging.mkdir(parents=True)
        a.created.append(a.overlay_staging)
        a.data_files = [
            p.relative_to(a.overlay_staging).as_posix() for p in extract_section(pkg, "data", a.overlay_staging)
        ]
        report(45, "正在校验参考数据……")
        try:
            check_reference_update(a.overlay_staging, a.data_files)
        except EpiError as exc:
            raise UpgradeError(f"升级包中的参考数据无法使用：{exc.message}。升级未进行，未做任何改动") from None
    if a.has_db:
        report(50, "正在备份数据库……")
        byte_copy(db, a.backup, a.db_digest)
        a.created.append(a.backup)
        prune_copies(a.backup.parent, f"{db.stem}-before-upgrade-*.sqlite", SAFETY_KEEP)
        a.created.append(a.work)
        online_copy(db, a.work)
        a.schema_before = schema_revisions(a.work)
        report(60, "正在迁移数据库副本……")
        with tempfile.TemporaryDirectory(prefix="epimanager-upgrade-") as tmp:
            try:
                migrate_copy(a.work, migrations, Path(tmp))
            except EpiError:
                raise
            except Exception as exc:
                raise UpgradeError(f"数据库迁移失败，已恢复原状：{exc}") from exc
        remove_sidecars(a.work)
        a.schema_after = schema_revisions(a.work)
        # hashed now, not after the switch: a kill after the switch must find the history written
        a.db_digest_after = sha256_file(a.work) if a.schema_after != a.schema_before else a.db_digest
