"""Engine factory: SQLite in WAL mode, synchronous=FULL, foreign keys on.

Built on demand (never at import time).  A clinic PC loses power: with WAL and
``synchronous=FULL`` a committed transaction is on disk when commit returns.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event

MIN_SQLITE = (3, 35, 0)


BUSY_TIMEOUT_MS = 10_000


def _pragmas(busy_timeout_ms: int) -> Callable[[Any, Any], None]:
    def set_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.close()

    return set_pragmas


def make_engine(path: Path | str, *, echo: bool = False, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> Engine:
    if tuple(int(p) for p in sqlite3.sqlite_version.split(".")) < MIN_SQLITE:
        raise RuntimeError(f"SQLite {sqlite3.sqlite_version} 太旧，需要 3.35 以上")
    # hide_parameters: an error's text never carries a child's name, ID or phone number
    engine = create_engine(f"sqlite:///{Path(path)}", echo=echo, hide_parameters=True)
    event.listen(engine, "connect", _pragmas(busy_timeout_ms))
    return engine
