"""Engine factory: SQLite in WAL mode, synchronous=FULL, foreign keys on.

Built on demand (never at import time).  A clinic PC loses power: with WAL and
``synchronous=FULL`` a committed transaction is on disk when commit returns.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event

MIN_SQLITE = (3, 35, 0)


def _set_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def make_engine(path: Path | str, *, echo: bool = False) -> Engine:
    if tuple(int(p) for p in sqlite3.sqlite_version.split(".")) < MIN_SQLITE:
        raise RuntimeError(f"SQLite {sqlite3.sqlite_version} 太旧，需要 3.35 以上")
    engine = create_engine(f"sqlite:///{Path(path)}", echo=echo)
    event.listen(engine, "connect", _set_pragmas)
    return engine
