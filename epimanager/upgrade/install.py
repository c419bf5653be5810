"""Apply an upgrade package as one step; roll back; keep the history.

Layout under the install root (the folder holding the PyInstaller one-folder builds, or a
folder named in the configuration for a development install)::

    current                    the installed package level, e.g. ``0.2.0`` (temp + os.replace)
    versions/<version>/        program files of each version, side by side
    versions/<version>.staging while a package is being staged
    upgrade-history.json       every apply and rollback

Reference data go to ``<overrides root>/<version>/`` (see :mod:`epimanager.resources`);
the overrides root's own ``current`` pointer names the active folder.

Order of :func:`apply_package`: verify everything → check versions and disk space → make
sure no other program holds the database → back up the database (byte copy) and stage
program files, reference data and a copy of the database (SQLite backup API) → migrate the
copy → switch (os.replace of the database when its schema changed, then the pointers).  Until the switch nothing
live has changed; a failure during the switch restores the byte copy and the pointers.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config

from epimanager import __version__
from epimanager.errors import EpiError
from epimanager.paths import backup_dir_for
from epimanager.resources import overrides_root
from epimanager.services import permissions
from epimanager.store.engine import make_engine
from epimanager.store.migrate import MIGRATIONS_DIR, known_revisions
from epimanager.upgrade.manifest import PackageError, parse_version
from epimanager.upgrade.package import VerifiedPackage, extract_section, open_package, sha256_file

Progress = Callable[[int, str], None]
HISTORY = "upgrade-history.json"
CURRENT = "current"
REQUIRED_FREE_ENV = "EPIMANAGER_UPGRADE_REQUIRED_FREE"
_MARGIN = 1.25
_SLACK = 32 * 1024 * 1024


class UpgradeError(EpiError):
    """The upgrade failed or was refused; the previous state is intact."""

    exit_code = 4


@dataclass(frozen=True)
class Target:
    """Where an upgrade writes: program root, database, backups, reference-data overrides."""

    install_root: Path
    db_path: Path
    backup_dir: Path
    overrides_root: Path

    @classmethod
    def for_database(cls, db_path: Path, install_root: Path | None = None) -> Target:
        db_path = Path(db_path)
        return cls(
            Path(install_root) if install_root else default_install_root(db_path),
            db_path,
            backup_dir_for(db_path),
            overrides_root(),
        )

    @property
    def versions_dir(self) -> Path:
        return self.install_root / "versions"


def default_install_root(db_path: Path) -> Path:
    """``EPIMANAGER_INSTALL_ROOT``; the frozen build's root; else ``program/`` next to the database."""
    env = os.environ.get("EPIMANAGER_INSTALL_ROOT")
    if env:
        return Path(env)
    frozen = frozen_install_root()
    if frozen is not None:
        return frozen
    return Path(db_path).parent / "program"


def frozen_install_root() -> Path | None:
    if not getattr(sys, "frozen", False):
        return None
    exe_dir = Path(sys.executable).resolve().parent
    return exe_dir.parent.parent if exe_dir.parent.name == "versions" else exe_dir


def current_version(install_root: Path) -> str:
    """The installed package level: the ``current`` pointer, else this program's version."""
    try:
        text = (Path(install_root) / CURRENT).read_text(encoding="utf-8").strip()
    except OSError:
        return __version__
    try:
        parse_version(text)
    except PackageError:
        return __version__
    return text


def write_pointer(path: Path, value: str) -> None:
    """Write a one-line pointer file atomically (temp file + fsync + os.replace)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("w", encoding="utf-8") as f:
        f.write(value + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _read_pointer(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def _restore_pointer(path: Path, value: str | None) -> None:
    if value is None:
        path.unlink(missing_ok=True)
    else:
        write_pointer(path, value)


# ---------------------------------------------------------------- history


@dataclass(frozen=True)
class HistoryEntry:
    at: str
    action: str  # "apply" | "rollback"
    from_version: str
    to_version: str
    package: str = ""
    package_sha256: str = ""
    key_id: str = ""
    notes: str = ""
    db_backup: str = ""
    db_sha256_before: str = ""
    db_sha256_after: str = ""
    schema_before: list[str] = field(default_factory=list)
    schema_after: list[str] = field(default_factory=list)
    overlay_before: str | None = None
    overlay_after: str | None = None

    @property
    def schema_changed(self) -> bool:
        return sorted(self.schema_before) != sorted(self.schema_after)


def read_history(install_root: Path) -> list[HistoryEntry]:
    path = Path(install_root) / HISTORY
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, json.JSONDecodeError) as exc:
        raise UpgradeError(f"升级记录文件无法读取：{path}（{exc}）") from exc
    names = set(HistoryEntry.__dataclass_fields__)
    return [HistoryEntry(**{k: v for k, v in item.items() if k in names}) for item in raw]


def _append_history(install_root: Path, entry: HistoryEntry) -> None:
    entries = [asdict(e) for e in read_history(install_root)] + [asdict(entry)]
    path = Path(install_root) / HISTORY
    tmp = path.with_name(f".{HISTORY}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(entries, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def _undoable(install_root: Path) -> HistoryEntry | None:
    """The most recent apply not yet rolled back."""
    stack: list[HistoryEntry] = []
    for e in read_history(install_root):
        if e.action == "apply":
            stack.append(e)
        elif e.action == "rollback" and stack:
            stack.pop()
    return stack[-1] if stack else None


# ---------------------------------------------------------------- database helpers


def _quiesce(db_path: Path) -> None:
    """Checkpoint the WAL; refuse when another program still has the database open."""
    try:
        con = sqlite3.connect(db_path, timeout=5)
        try:
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise UpgradeError(f"数据库无法打开（{exc}）：{db_path}") from exc
    wal = db_path.with_name(db_path.name + "-wal")
    if wal.exists():
        raise UpgradeError("数据库正被其他程序使用（请先关闭所有 EpiManager 窗口），升级未进行，未做任何改动")


def _schema_revisions(db_path: Path) -> list[str]:
    con = sqlite3.connect(db_path)
    try:
        rows = con.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.DatabaseError:
        return []
    finally:
        con.close()
    return sorted(r[0] for r in rows)


def _sqlite_copy(src: Path, dst: Path) -> None:
    """Copy with SQLite's online backup API into a fresh file."""
    dst.unlink(missing_ok=True)
    s = sqlite3.connect(src)
    try:
        d = sqlite3.connect(dst)
        try:
            s.backup(d)
        finally:
            d.close()
    finally:
        s.close()


def _byte_copy(src: Path, dst: Path, digest: str) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(dst.name + ".tmp")
    shutil.copyfile(src, tmp)
    with tmp.open("rb+") as f:
        os.fsync(f.fileno())
    if sha256_file(tmp) != digest:
        tmp.unlink(missing_ok=True)
        raise UpgradeError(f"数据库备份校验失败：{dst}")
    os.replace(tmp, dst)


def _remove_sidecars(db_path: Path) -> None:
    for suffix in ("-wal", "-shm", "-journal"):
        db_path.with_name(db_path.name + suffix).unlink(missing_ok=True)


def _revision_id(path: Path) -> str | None:
    m = re.search(r"^revision\s*(?::\s*str\s*)?=\s*['\"]([^'\"]+)['\"]", path.read_text(encoding="utf-8"), re.M)
    return m.group(1) if m else None


def migrate_copy(db_copy: Path, package_migrations: list[Path], workdir: Path) -> None:
    """Upgrade ``db_copy`` to heads of the built-in revisions plus the package's."""
    script = workdir / "migrations"
    shutil.copytree(MIGRATIONS_DIR, script, ignore=shutil.ignore_patterns("__pycache__"))
    known = known_revisions()
    for path in package_migrations:
        rev = _revision_id(path)
        if rev is None:
            raise UpgradeError(f"升级包中的数据库迁移文件缺少 revision：{path.name}")
        if rev in known:
            continue  # already part of this program
        shutil.copyfile(path, script / "versions" / path.name)
    cfg = Config()
    cfg.set_main_option("script_location", str(script))
    engine = make_engine(db_copy)
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "heads")
    finally:
        engine.dispose()
    con = sqlite3.connect(db_copy)
    try:
        ok = con.execute("PRAGMA integrity_check").fetchone()
    finally:
        con.close()
    if not ok or ok[0] != "ok":
        raise UpgradeError("迁移后的数据库完整性检查未通过")


# ---------------------------------------------------------------- disk space


def _existing(path: Path) -> Path:
    path = Path(path).absolute()
    while not path.exists() and path.parent != path:
        path = path.parent
    return path


def required_space(pkg: VerifiedPackage, target: Target) -> int:
    env = os.environ.get(REQUIRED_FREE_ENV)
    if env:
        return int(env)
    db_size = target.db_path.stat().st_size if target.db_path.exists() else 0
    return int((pkg.manifest.unpacked_size + 2 * db_size) * _MARGIN) + _SLACK


def check_disk_space(needed: int, target: Target, free: Callable[[Path], int] | None = None) -> None:
    free_fn = free or (lambda p: shutil.disk_usage(p).free)
    for place in (target.install_root, target.db_path.parent, target.overrides_root):
        available = free_fn(_existing(place))
        if available < needed:
            raise UpgradeError(
                f"磁盘空间不足：升级需要约 {needed / 1048576:.0f} MB 可用空间，"
                f"{_existing(place)} 所在磁盘只有 {available / 1048576:.0f} MB。升级未进行，未做任何改动"
            )


# ---------------------------------------------------------------- apply


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


def _stamp() -> str:
    return datetime.now().strftime("%Y%m%d-%H%M%S-%f")


def _silent(_percent: int, _message: str) -> None:
    return None


def check_package(pkg_path: Path, target: Target) -> VerifiedPackage:
    """Verify the package and that it fits this installation (no changes anywhere)."""
    pkg = open_package(pkg_path)
    m = pkg.manifest
    current = current_version(target.install_root)
    if parse_version(m.version) == parse_version(current):
        raise PackageError(f"版本 {m.version} 已经安装，无需重复升级")
    if parse_version(m.version) < parse_version(current):
        raise PackageError(f"升级包版本 {m.version} 低于当前版本 {current}，不能降级。升级未进行，未做任何改动")
    if parse_version(current) < parse_version(m.min_version):
        raise PackageError(
            f"此升级包只能从 {m.min_version} 或更高版本升级，当前版本为 {current}；"
            "请先安装中间版本的升级包。升级未进行，未做任何改动"
        )
    return pkg


def apply_package(
    pkg_path: Path,
    target: Target,
    *,
    progress: Progress | None = None,
    free_space: Callable[[Path], int] | None = None,
    fault: str | None = None,
) -> ApplyResult:
    """Verify, stage, migrate a copy, switch; on any failure leave everything as it was.

    ``fault`` ("after-db-switch", "after-pointer") makes the switch fail on purpose (tests).
    """
    permissions.check_path(target.db_path, None, "apply_upgrade")
    report = progress or _silent
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
        _quiesce(db)
        db_digest = sha256_file(db)

    staging = target.versions_dir / f"{m.version}.staging"
    final = target.versions_dir / m.version
    overlay_root = target.overrides_root
    overlay_before = _read_pointer(overlay_root / CURRENT)
    overlay_staging = overlay_root / f"{m.version}.staging"
    overlay_final = overlay_root / m.version
    has_data = bool(m.section("data"))
    work = db.with_name(f".{db.name}.upgrade-{m.version}")
    backup = target.backup_dir / f"{db.stem}-before-upgrade-{m.version}-{_stamp()}.sqlite"
    pointer_before = _read_pointer(target.install_root / CURRENT)
    new_dirs = [
        d
        for d in (target.install_root, target.versions_dir, overlay_root, target.backup_dir, work.parent)
        if not d.exists()
    ]
    created: list[Path] = []
    undo: list[Callable[[], None]] = []
    schema_before: list[str] = []
    schema_after: list[str] = []
    switched = False
    try:
        # ---- stage (nothing live changes)
        for leftover in (staging, overlay_staging):
            if leftover.exists():
                shutil.rmtree(leftover)
        report(30, "正在解压程序文件……")
        staging.mkdir(parents=True)
        created.append(staging)
        extract_section(pkg, "program", staging)
        (staging / "upgrade-manifest.json").write_bytes(m.to_bytes())
        migrations = extract_section(pkg, "migrations", staging / "_migrations")
        data_files: list[str] = []
        if has_data:
            report(40, "正在准备参考数据（疫苗目录、免疫程序、单位编码）……")
            overlay_root.mkdir(parents=True, exist_ok=True)
            previous = overlay_root / overlay_before if overlay_before else None
            if previous is not None and previous.is_dir():
                shutil.copytree(previous, overlay_staging)
            else:
                overlay_staging.mkdir(parents=True)
            created.append(overlay_staging)
            data_files = [
                p.relative_to(overlay_staging).as_posix() for p in extract_section(pkg, "data", overlay_staging)
            ]
        if has_db:
            report(50, "正在备份数据库……")
            _byte_copy(db, backup, db_digest)
            created.append(backup)
            created.append(work)
            _sqlite_copy(db, work)
            schema_before = _schema_revisions(work)
            report(60, "正在迁移数据库副本……")
            with tempfile.TemporaryDirectory(prefix="epimanager-upgrade-") as tmp:
                try:
                    migrate_copy(work, migrations, Path(tmp))
                except EpiError:
                    raise
                except Exception as exc:
                    raise UpgradeError(f"数据库迁移失败，已恢复原状：{exc}") from exc
            _remove_sidecars(work)
            schema_after = _schema_revisions(work)

        # ---- switch
        report(85, "正在切换到新版本……")
        if has_db:
            _quiesce(db)
            if sha256_file(db) != db_digest:
                raise UpgradeError("升级过程中数据库被修改，已取消升级，未做任何改动")
        if final.exists():
            aside = final.with_name(f"{m.version}.replaced-{_stamp()}")
            os.replace(final, aside)
            undo.append(lambda: os.replace(aside, final))
        os.replace(staging, final)
        created.remove(staging)
        undo.append(lambda: shutil.rmtree(final, ignore_errors=True))
        if has_data:
            if overlay_final.exists():
                o_aside = overlay_final.with_name(f"{m.version}.replaced-{_stamp()}")
                os.replace(overlay_final, o_aside)
                undo.append(lambda: os.replace(o_aside, overlay_final))
            os.replace(overlay_staging, overlay_final)
            created.remove(overlay_staging)
            undo.append(lambda: shutil.rmtree(overlay_final, ignore_errors=True))
        if has_db and schema_after != schema_before:
            switched = True
            os.replace(work, db)
            created.remove(work)
            undo.append(lambda: _restore_db(backup, db))
        elif has_db:
            work.unlink()  # no schema change: the live file stays as it is, byte for byte
        if fault == "after-db-switch":
            raise UpgradeError("模拟故障：数据库切换之后")
        if has_data:
            undo.append(lambda: _restore_pointer(overlay_root / CURRENT, overlay_before))
            write_pointer(overlay_root / CURRENT, m.version)
        undo.append(lambda: _restore_pointer(target.install_root / CURRENT, pointer_before))
        write_pointer(target.install_root / CURRENT, m.version)
        if fault == "after-pointer":
            raise UpgradeError("模拟故障：版本切换之后")
        _append_history(
            target.install_root,
            HistoryEntry(
                at=datetime.now().isoformat(timespec="seconds"),
                action="apply",
                from_version=from_version,
                to_version=m.version,
                package=pkg.path.name,
                package_sha256=pkg.sha256,
                key_id=pkg.key_id,
                notes=m.notes,
                db_backup=str(backup) if has_db else "",
                db_sha256_before=db_digest,
                db_sha256_after=sha256_file(db) if has_db else "",
                schema_before=schema_before,
                schema_after=schema_after,
                overlay_before=overlay_before,
                overlay_after=m.version if has_data else overlay_before,
            ),
        )
    except BaseException:
        for step in reversed(undo):
            step()
        for path in created:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
                _remove_sidecars(path)
        if switched:
            _remove_sidecars(db)
        for d in reversed(new_dirs):
            if d.is_dir() and not any(d.iterdir()):
                d.rmdir()
        raise
    for leftover in [
        *target.versions_dir.glob(f"{m.version}.replaced-*"),
        *overlay_root.glob(f"{m.version}.replaced-*"),
    ]:
        shutil.rmtree(leftover, ignore_errors=True)
    report(100, f"已升级到 {m.version}")
    return ApplyResult(
        from_version,
        m.version,
        m.notes,
        backup if has_db else None,
        tuple(schema_before),
        tuple(schema_after),
        final,
        tuple(data_files),
    )


def _restore_db(backup: Path, db: Path) -> None:
    """Put the byte copy back (temp file in the database's folder + os.replace)."""
    tmp = db.with_name(f".{db.name}.restore")
    shutil.copyfile(backup, tmp)
    _remove_sidecars(db)
    os.replace(tmp, db)


# ---------------------------------------------------------------- rollback


@dataclass(frozen=True)
class RollbackResult:
    from_version: str
    to_version: str
    db_restored: bool
    db_saved_as: Path | None


def rollback(target: Target, *, force: bool = False, progress: Progress | None = None) -> RollbackResult:
    """Undo the most recent upgrade: version pointer, reference data and, if the schema changed, the database."""
    permissions.check_path(target.db_path, None, "rollback_upgrade")
    report = progress or _silent
    entry = _undoable(target.install_root)
    if entry is None:
        raise UpgradeError("没有可以回滚的升级")
    current = current_version(target.install_root)
    if current != entry.to_version:
        raise UpgradeError(f"当前版本 {current} 与最近一次升级（{entry.to_version}）不一致，无法回滚")
    db = target.db_path
    restore_db = entry.schema_changed and bool(entry.db_backup)
    saved: Path | None = None
    if restore_db:
        backup = Path(entry.db_backup)
        if not backup.exists():
            raise UpgradeError(f"升级前的数据库备份不存在：{backup}，无法回滚")
        if sha256_file(backup) != entry.db_sha256_before:
            raise UpgradeError(f"升级前的数据库备份已被改动：{backup}，无法回滚")
        if db.exists():
            _quiesce(db)
            if sha256_file(db) != entry.db_sha256_after and not force:
                raise UpgradeError(
                    f"升级到 {entry.to_version} 之后数据库已有新的录入；回滚会恢复升级前的数据库，"
                    "这些录入将不在回滚后的数据库中。确认请加 --force（当前数据库会先另存为备份）"
                )
            report(20, "正在另存当前数据库……")
            saved = target.backup_dir / f"{db.stem}-before-rollback-{entry.to_version}-{_stamp()}.sqlite"
            _byte_copy(db, saved, sha256_file(db))
    pointer = target.install_root / CURRENT
    overlay_pointer = target.overrides_root / CURRENT
    old_pointer = _read_pointer(pointer)
    old_overlay = _read_pointer(overlay_pointer)
    try:
        report(50, "正在恢复……")
        if restore_db:
            _restore_db(Path(entry.db_backup), db)
        _restore_pointer(overlay_pointer, entry.overlay_before)
        write_pointer(pointer, entry.from_version)
        _append_history(
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
        if restore_db and saved is not None:
            _restore_db(saved, db)
        _restore_pointer(overlay_pointer, old_overlay)
        _restore_pointer(pointer, old_pointer)
        raise
    report(100, f"已回滚到 {entry.from_version}")
    return RollbackResult(entry.to_version, entry.from_version, restore_db, saved)


def history_dicts(install_root: Path) -> list[dict[str, Any]]:
    return [asdict(e) for e in read_history(install_root)]
