"""Schema migrations at start-up: back up, migrate to head, refuse newer DBs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

from epimanager.errors import DatabaseError
from epimanager.paths import DbLocation, ServerUrl
from epimanager.store.revisions import MIGRATIONS_DIR, known_revisions, script_heads
from epimanager.store.sqlite_files import safety_copy

if TYPE_CHECKING:
    from alembic.config import Config


def alembic_config() -> Config:
    from alembic.config import Config  # Alembic (0.5 s to import) only when a migration runs

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


@dataclass(frozen=True)
class SchemaState:
    revisions: frozenset[str]
    heads: frozenset[str]
    has_tables: bool

    @property
    def unknown(self) -> frozenset[str]:
        return self.revisions - known_revisions()

    @property
    def current(self) -> bool:
        return self.revisions == self.heads


def schema_state(engine: Engine) -> SchemaState:
    try:
        with engine.connect() as conn:
            tables = inspect(conn).get_table_names()
            revs: set[str] = set()
            if "alembic_version" in tables:
                revs = {r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))}
    except Exception as exc:  # sqlalchemy wraps sqlite3.DatabaseError
        if "not a database" in str(exc) or "malformed" in str(exc):
            raise DatabaseError(f"文件不是有效的数据库或已损坏：{engine.url.database}") from exc
        raise
    return SchemaState(frozenset(revs), frozenset(script_heads()), bool(tables))


def backup_copy(db_path: DbLocation, backup_dir: Path, reason: str) -> Path:
    """Copy a live database (SQLite's online backup API; ``pg_dump`` for a clinic server)."""
    backup_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    if isinstance(db_path, ServerUrl):
        from epimanager.store import pg_files

        target = backup_dir / f"{db_path.dbname}-{reason}-{stamp}.pgdump"
        pg_files.dump(db_path, target)
        return target
    return safety_copy(db_path, backup_dir, reason)  # a temporary name, then renamed; the newest kept


def ensure_schema(engine: Engine, db_path: DbLocation, backup_dir: Path) -> Path | None:
    """Bring the database to the current schema.

    Returns the path of the backup made before migrating (None when nothing
    was migrated or the database was new).  Raises :class:`DatabaseError` for
    a database written by a newer EpiManager.
    """
    state = schema_state(engine)
    if state.unknown:
        raise DatabaseError(
            "此数据库由更新版本的 EpiManager 创建（数据库版本 "
            + ", ".join(sorted(state.unknown))
            + "），本程序无法打开。请先升级程序。"
        )
    if state.current:
        return None
    if state.has_tables and not state.revisions:
        raise DatabaseError(f"文件不是 EpiManager 数据库：{db_path}")
    backup: Path | None = None
    if state.has_tables:
        backup = backup_copy(db_path, backup_dir, "before-migrate")
    from alembic import command

    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "heads")
    return backup
