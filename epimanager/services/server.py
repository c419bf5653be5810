"""Moving a clinic onto its server: copy a standalone SQLite database into an empty PostgreSQL one.

Everything is copied — children, doses, stock, users, the audit chain, the upload queue's state,
reports, settings — in one transaction on the server (all or nothing), from a snapshot of the file
(taken with SQLite's online backup API, so the clinic file itself is never changed, even when it is
from an older version and needs migrating first).  The copy is checked: the row count of every table,
and the audit chain verified on the server.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text

from epimanager.errors import DatabaseError, EpiError
from epimanager.paths import ServerUrl, data_dir
from epimanager.services import audit
from epimanager.store import pg_files
from epimanager.store.bulk import Bulk
from epimanager.store.database import open_database
from epimanager.store.dialect import analyze
from epimanager.store.models import Base
from epimanager.store.sqlite_files import connect_raw, online_copy

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
_CHUNK = 20_000
#: Tables whose rows the migrations write themselves (they are replaced by the file's rows).
_SKIP = {"alembic_version"}


@dataclass(frozen=True)
class MoveReport:
    tables: dict[str, int]
    rows: int
    seconds: float
    audit_entries: int

    def to_json(self) -> dict[str, object]:
        return {
            "tables": self.tables,
            "rows": self.rows,
            "seconds": round(self.seconds, 2),
            "audit": self.audit_entries,
        }


def move_to_server(source: Path, target: ServerUrl, *, progress: Progress | None = None) -> MoveReport:
    """Copy the clinic in ``source`` into the empty server database ``target`` and check the copy."""
    import time

    started = time.perf_counter()
    source = Path(source)
    if not source.is_file():
        raise DatabaseError(f"数据库文件不存在：{source}")
    if not pg_files.is_empty(target):
        raise DatabaseError(f"目标数据库 {target} 不是空的：只能迁移到一个新建的空数据库（原文件未改动）")
    folder = data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder, prefix="move-") as tmp:
        snapshot = Path(tmp) / "snapshot.sqlite"
        online_copy(source, snapshot)
        open_database(snapshot, backup_dir=Path(tmp) / "backups").close()  # bring the copy to this version
        server = open_database(target, create=True)  # the schema, by the same migrations
        try:
            counts = _copy(snapshot, server.engine, progress)
            analyze(server.engine)  # planner statistics for the copied tables
            check = audit.verify(server)
            if not check.ok:
                raise DatabaseError(f"迁移后审计链校验失败（第 {check.broken_id} 条）：{check.problem}")
            got = _counts(server.engine, counts)
        finally:
            server.close()
    if got != counts:
        wrong = [t for t in counts if got.get(t) != counts[t]]
        raise DatabaseError(f"迁移后行数不符：{', '.join(wrong)}")
    seconds = time.perf_counter() - started
    log.info("moved %s to the server: %d rows in %.1f s", source.name, sum(counts.values()), seconds)
    return MoveReport(counts, sum(counts.values()), seconds, check.checked)


def _tables() -> list[str]:
    import importlib
    import pkgutil

    import epimanager.store

    for info in pkgutil.iter_modules(epimanager.store.__path__):
        if info.name.startswith("models"):
            importlib.import_module(f"epimanager.store.{info.name}")
    return [t.name for t in Base.metadata.sorted_tables if t.name not in _SKIP]


def _copy(snapshot: Path, engine: object, progress: Progress | None) -> dict[str, int]:
    from sqlalchemy import Engine

    assert isinstance(engine, Engine)
    tables = _tables()
    src = connect_raw(snapshot, readonly=True)
    counts: dict[str, int] = {}
    try:
        with engine.begin() as conn:
            conn.execute(text("TRUNCATE " + ", ".join(tables) + " RESTART IDENTITY CASCADE"))
            for table in ("dose", "child"):  # the 6-1 stored rows are copied as they are
                conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
            bulk = Bulk(conn)
            for table in tables:
                cur = src.execute(f"SELECT * FROM {table}")
                columns = [d[0] for d in cur.description]
                total = src.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                done = 0
                while rows := cur.fetchmany(_CHUNK):
                    bulk.insert(table, columns, rows)
                    done += len(rows)
                    if progress:
                        progress(table, done, total)
                counts[table] = done
            for table in ("dose", "child"):
                conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))
            bulk.sequences(t for t in tables if "id" in _columns(conn, t))
    except EpiError:
        raise
    except Exception as exc:  # the server refused a row: nothing was written (one transaction)
        raise DatabaseError(
            f"迁移失败，服务器上未写入任何数据：{str(getattr(exc, 'orig', exc)).splitlines()[0]}"
        ) from exc
    finally:
        src.close()
    return counts


def _columns(conn: object, table: str) -> set[str]:
    return {c.name for c in Base.metadata.tables[table].columns}


def _counts(engine: object, tables: dict[str, int]) -> dict[str, int]:
    from sqlalchemy import Engine

    assert isinstance(engine, Engine)
    with engine.connect() as conn:
        return {t: int(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()) for t in tables}


def restore_to_server(file: Path, target: ServerUrl) -> dict[str, int]:
    """Restore a server backup (``.pgdump``) into an empty database, then check it like a restore of a
    file: the program can open it and the audit chain holds."""
    check = pg_files.check_dump(file)
    if check != "ok":
        raise DatabaseError(f"不是有效的服务器备份：{check}")
    pg_files.restore(file, target)
    db = open_database(target)
    try:
        report = audit.verify(db)
        if not report.ok:
            raise DatabaseError(f"恢复后审计链校验失败（第 {report.broken_id} 条）")
        return _counts(db.engine, {"child": 0, "dose": 0, "audit_log": 0})
    finally:
        db.close()
