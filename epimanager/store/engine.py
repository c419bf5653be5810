"""Engine factory for the two backends.

**SQLite** (standalone): WAL mode, ``synchronous=FULL``, foreign keys on.  A clinic PC loses
power: with WAL and ``synchronous=FULL`` a committed transaction is on disk when commit returns.
The driver's own implicit transactions are switched off and SQLAlchemy emits ``BEGIN`` itself
(the documented pysqlite recipe): reads run in one snapshot, DDL is transactional (a migration
is all or nothing) and a write transaction starts with ``BEGIN IMMEDIATE``, so the reads that
decide a write (the next child code, stock on hand, the audit chain's last hash) happen under
the write lock.

**PostgreSQL** (clinic server): psycopg 3, pooled, READ COMMITTED; writes that decide from
what they read take row locks (``SELECT … FOR UPDATE``) or a transaction-level advisory lock.

Built on demand (never at import time).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event

from epimanager.paths import DbLocation, ServerUrl

MIN_SQLITE = (3, 35, 0)
BUSY_TIMEOUT_MS = 30_000
#: Execution option of the engine behind write transactions (``Database.transaction``).
WRITE = "epimanager_write"
#: Seconds a desk waits for the clinic server before saying it cannot reach it.
CONNECT_TIMEOUT_S = 5
#: Session settings of every connection to the clinic server: no JIT compilation.  The planner's
#: cost thresholds send the 表6-1 queries on a large clinic to LLVM, and compiling them (0.3–1 s
#: each, measured) takes longer than running them; nothing this program asks gains from JIT.
SERVER_OPTIONS = "-c jit=off"


def _pragmas(busy_timeout_ms: int) -> Callable[[Any, Any], None]:
    def set_pragmas(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # no implicit BEGIN: SQLAlchemy's "begin" event does it
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.close()

    return set_pragmas


def _begin(conn: Connection) -> None:
    immediate = conn.get_execution_options().get(WRITE, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(
    location: DbLocation | str, *, echo: bool = False, busy_timeout_ms: int = BUSY_TIMEOUT_MS, pool_size: int = 5
) -> Engine:
    if isinstance(location, ServerUrl):
        return make_server_engine(location, echo=echo, pool_size=pool_size)
    if tuple(int(p) for p in sqlite3.sqlite_version.split(".")) < MIN_SQLITE:
        raise RuntimeError(f"SQLite {sqlite3.sqlite_version} 太旧，需要 3.35 以上")
    # hide_parameters: an error's text never carries a child's name, ID or phone number
    engine = create_engine(f"sqlite:///{Path(location)}", echo=echo, hide_parameters=True)
    event.listen(engine, "connect", _pragmas(busy_timeout_ms))
    event.listen(engine, "begin", _begin)
    return engine


def make_server_engine(location: ServerUrl, *, echo: bool = False, pool_size: int = 5) -> Engine:
    import psycopg

    # Client-side parameter binding: a parameter is typed where it is used, as on SQLite (the same
    # ISO date string is compared with a DATE column and with a stored text column in one query).
    return create_engine(
        location.url,
        echo=echo,
        hide_parameters=True,
        pool_size=pool_size,
        max_overflow=10,
        pool_pre_ping=True,  # a desk that lost the server gets a fresh connection when it is back
        connect_args={
            "connect_timeout": CONNECT_TIMEOUT_S,
            "application_name": "EpiManager",
            "options": SERVER_OPTIONS,
            "cursor_factory": psycopg.ClientCursor,
        },
    )


@contextmanager
def server_side_parameters(connection: Connection, on: bool = True) -> Iterator[None]:
    """While inside, ``connection`` (to the clinic server) sends statements and their parameters apart,
    and psycopg prepares a statement once it has run five times on the connection: the server no longer
    parses and plans each save's statements again (measured: 4 desks saving doses, 79 → 115 saves/s on
    the 2 cores here, the server's share of a save's CPU about halved).

    Only for code whose statements SQLAlchemy builds with typed parameters: the engine's default is
    client-side binding (see :func:`make_server_engine`)."""
    if not on:
        yield
        return
    import psycopg

    raw = connection.connection.dbapi_connection
    assert isinstance(raw, psycopg.Connection)
    engine_default, raw.cursor_factory = raw.cursor_factory, psycopg.Cursor
    try:
        yield
    finally:
        raw.cursor_factory = engine_default


def writer(engine: Engine) -> Engine:
    """The engine for write transactions (``BEGIN IMMEDIATE`` on SQLite)."""
    return engine.execution_options(**{WRITE: True})
