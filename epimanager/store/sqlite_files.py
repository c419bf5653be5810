"""SQLite database files handled as files: the one place that opens raw driver connections.

Everything that works on a database *file* rather than through a session — the online backup
copy, the integrity check, facts read from a backup or an old installation without migrating
it, the "is another program using it?" check, fast read-only scans — goes through here, so
every raw connection gets the same busy timeout and foreign-key setting as the engine's, and
no module outside ``store/`` imports the driver.
"""

from __future__ import annotations

import os
import sqlite3
import struct
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from epimanager.errors import DatabaseError

#: Raised by the driver for a damaged file or one that is not a database at all.
DriverError = sqlite3.DatabaseError

OWN_UNIT_KEY = "own_unit_code"
BUSY_TIMEOUT_S = 10


def connect_raw(
    path: Path | str, *, readonly: bool = False, autocommit: bool = False, shared: bool = False
) -> sqlite3.Connection:
    """A driver connection with the engine's busy timeout and foreign keys on.

    ``readonly`` opens the file with ``mode=ro`` (it must exist); ``autocommit`` leaves
    transactions to the caller (``isolation_level=None``); ``shared`` allows use from several
    threads (the caller serialises).
    """
    target = f"{Path(path).resolve().as_uri()}?mode=ro" if readonly else str(path)
    con = sqlite3.connect(target, uri=readonly, timeout=BUSY_TIMEOUT_S, check_same_thread=not shared)
    if autocommit:
        con.isolation_level = None
    con.execute("PRAGMA foreign_keys=ON")
    return con


def online_copy(src: Path, dst: Path, progress: Callable[[int, int], None] | None = None) -> None:
    """Copy a live database into a fresh file with SQLite's online backup API (consistent while others write)."""
    dst.unlink(missing_ok=True)
    source = connect_raw(src)
    try:
        target = connect_raw(dst)
        try:

            def step(_status: int, remaining: int, total: int) -> None:
                if progress:
                    progress(total - remaining, total)

            source.backup(target, progress=step)
        finally:
            target.close()
    finally:
        source.close()


def integrity_check(path: Path, *, quick: bool = False) -> str:
    """``"ok"`` or SQLite's first complaint; :class:`DatabaseError` if the file is not a database."""
    try:
        con = connect_raw(path)
        try:
            row = con.execute("PRAGMA quick_check" if quick else "PRAGMA integrity_check").fetchone()
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"文件不是有效的数据库或已损坏：{path.name}（{exc}）") from exc
    return str(row[0]) if row else "?"


@dataclass(frozen=True)
class FileFacts:
    """What a database file says about itself, read without migrating or writing it."""

    tables: frozenset[str]
    revisions: frozenset[str]
    own_unit: str | None
    unit_name: str | None
    children: int
    live_children: int
    doses: int
    #: user accounts (0: a database without users — login is off)
    users: int = 0

    @property
    def is_epimanager(self) -> bool:
        return "alembic_version" in self.tables and "child" in self.tables


def file_facts(path: Path) -> FileFacts:
    """Tables, schema revisions, own unit and counts; :class:`DatabaseError` if not a database."""
    try:
        con = connect_raw(path)
        try:
            tables = frozenset(r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'"))

            def one(sql: str, *args: object) -> Any:
                row = con.execute(sql, args).fetchone()
                return row[0] if row else None

            revisions: frozenset[str] = frozenset()
            if "alembic_version" in tables:
                revisions = frozenset(r[0] for r in con.execute("SELECT version_num FROM alembic_version"))
            own = one("SELECT value FROM app_config WHERE key = ?", OWN_UNIT_KEY) if "app_config" in tables else None
            name = one("SELECT name FROM unit WHERE code = ?", own) if own and "unit" in tables else None
            children = int(one("SELECT count(*) FROM child") or 0) if "child" in tables else 0
            live = int(one("SELECT count(*) FROM child WHERE deleted = 0") or 0) if "child" in tables else 0
            doses = int(one("SELECT count(*) FROM dose") or 0) if "dose" in tables else 0
            users = int(one("SELECT count(*) FROM app_user") or 0) if "app_user" in tables else 0
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"文件不是有效的数据库或已损坏：{path.name}（{exc}）") from exc
    return FileFacts(
        tables, revisions, str(own) if own else None, str(name) if name else None, children, live, doses, users
    )


def read_config_value(path: Path, key: str) -> str | None:
    """One ``app_config`` value (no migration, no write); None if absent or not readable."""
    if not Path(path).exists():
        return None
    try:
        con = connect_raw(path)
        try:
            row = con.execute("SELECT value FROM app_config WHERE key = ?", (key,)).fetchone()
        finally:
            con.close()
    except sqlite3.DatabaseError:
        return None
    return str(row[0]) if row and row[0] else None


def users_state(path: Path, name: str | None) -> tuple[int, tuple[str, bool] | None]:
    """(number of users, (role, active) of ``name`` or None) of a database file (0 before the users table)."""
    if not path.exists():
        return 0, None
    con = connect_raw(path)
    try:
        try:
            count = int(con.execute("SELECT count(*) FROM app_user").fetchone()[0])
        except sqlite3.OperationalError:  # table not there yet (before 0007_users)
            return 0, None
        row = None
        if name is not None:
            row = con.execute("SELECT role, active FROM app_user WHERE name = ?", (name,)).fetchone()
        return count, (str(row[0]), bool(row[1])) if row else None
    finally:
        con.close()


def in_use(path: Path) -> bool:
    """Checkpoint the WAL; True when another program still has the file open (its WAL stays).

    :class:`DatabaseError` when the file cannot be opened at all.
    """
    try:
        con = connect_raw(path)
        try:
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"数据库无法打开（{exc}）：{path}") from exc
    return path.with_name(path.name + "-wal").exists()


def remove_sidecars(path: Path) -> None:
    """Delete a closed database's ``-wal``/``-shm``/``-journal`` files."""
    for suffix in ("-wal", "-shm", "-journal"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


#: Safety copies (before-restore, before-migrate, before-upgrade, …) kept per reason.
SAFETY_KEEP = 5


def safety_copy(db_path: Path, backup_dir: Path, reason: str, *, keep: int = SAFETY_KEEP) -> Path:
    """A consistent copy of a live database, ``<stem>-<reason>-<time>.sqlite`` in ``backup_dir``.

    Written under a hidden temporary name, synced, then renamed: a kill never leaves a
    half-written file under a real name.  Older copies of the same ``reason`` beyond ``keep``
    are removed.
    """
    backup_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    target = backup_dir / f"{db_path.stem}-{reason}-{stamp}.sqlite"
    tmp = backup_dir / f".{target.name}.{os.getpid()}.partial"
    try:
        online_copy(db_path, tmp)
        with tmp.open("rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    prune_copies(backup_dir, f"{db_path.stem}-{reason}-*.sqlite", keep)
    return target


def prune_copies(folder: Path, pattern: str, keep: int) -> list[Path]:
    """Remove all but the newest ``keep`` files matching ``pattern`` (names sort by time)."""
    if keep <= 0:
        return []
    old = sorted(folder.glob(pattern))[:-keep]
    for path in old:
        path.unlink(missing_ok=True)
    return old


SQLITE_MAGIC = b"SQLite format 3\x00"
HEADER_SIZE = 100


def declared_size(header: bytes) -> int | None:
    """The size a database file says it has (page size × page count in its 100-byte header).

    None when ``header`` is not an SQLite header or the page count is not valid (an old writer).
    """
    if len(header) < HEADER_SIZE or not header.startswith(SQLITE_MAGIC):
        return None
    (page_size,) = struct.unpack(">H", header[16:18])
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512 or page_size & (page_size - 1):
        return None
    (change,) = struct.unpack(">I", header[24:28])
    (pages,) = struct.unpack(">I", header[28:32])
    (valid_for,) = struct.unpack(">I", header[92:96])
    if pages == 0 or change != valid_for:
        return None
    return int(page_size) * int(pages)
