"""The database file during an upgrade: quiesce, byte and SQLite copies, migrate the copy, put it back."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from alembic import command
from alembic.config import Config

from epimanager.errors import EpiError
from epimanager.store.engine import make_engine
from epimanager.store.migrate import MIGRATIONS_DIR, known_revisions
from epimanager.store.revisions import revision_of
from epimanager.store.scratch import partial_name
from epimanager.store.sqlite_files import file_facts, in_use, integrity_check, remove_sidecars
from epimanager.upgrade.install.layout import UpgradeError
from epimanager.upgrade.package import sha256_file


def quiesce(db_path: Path) -> None:
    """Checkpoint the WAL; refuse when another program still has the database open."""
    try:
        busy = in_use(db_path)
    except EpiError as exc:
        raise UpgradeError(exc.message) from exc
    if busy:
        raise UpgradeError("数据库正被其他程序使用（请先关闭所有 EpiManager 窗口），升级未进行，未做任何改动")


def schema_revisions(db_path: Path) -> list[str]:
    try:
        return sorted(file_facts(db_path).revisions)
    except EpiError:
        return []


def byte_copy(src: Path, dst: Path, digest: str) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = partial_name(dst)  # hidden; a killed copy is removed at the next start
    shutil.copyfile(src, tmp)
    with tmp.open("rb+") as f:
        os.fsync(f.fileno())
    if sha256_file(tmp) != digest:
        tmp.unlink(missing_ok=True)
        raise UpgradeError(f"数据库备份校验失败：{dst}")
    os.replace(tmp, dst)


def restore_db(backup: Path, db: Path) -> None:
    """Put the byte copy back (temp file in the database's folder + os.replace)."""
    tmp = db.with_name(f".{db.name}.restore")
    shutil.copyfile(backup, tmp)
    remove_sidecars(db)
    os.replace(tmp, db)


def migrate_copy(db_copy: Path, package_migrations: list[Path], workdir: Path) -> None:
    """Upgrade ``db_copy`` to heads of the built-in revisions plus the package's."""
    script = workdir / "migrations"
    shutil.copytree(MIGRATIONS_DIR, script, ignore=shutil.ignore_patterns("__pycache__"))
    known = known_revisions()
    for path in package_migrations:
        found = revision_of(path)
        rev = found[0] if found else None
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
    if integrity_check(db_copy) != "ok":
        raise UpgradeError("迁移后的数据库完整性检查未通过")
