"""Read-only access for one-shot reads (``epimanager search``, ``child show``) without SQLAlchemy.

Importing SQLAlchemy and the ORM models costs ~0.3 s, more than a whole quick command may take.
:func:`open_reader` opens the SQLite file read-only through the standard driver, with the same
value types the ORM gives (``DATE`` → :class:`datetime.date`, ``DATETIME`` → :class:`datetime.datetime`,
``BOOLEAN`` → :class:`bool`), and only when the database is already at this program's schema:
for anything else (no file, another backend, a migration due, a newer database) it returns
``None`` and the caller takes the ordinary path, which migrates or refuses with its messages.

Rows support access by index and by column name as attribute (``row.birth_date``), like
SQLAlchemy's rows, so services can map them with the code they use for ORM objects.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from epimanager.store.revisions import script_heads


class Row(tuple[Any, ...]):
    """A result row: a tuple whose columns are also attributes."""

    _names: dict[str, int]

    def __getattr__(self, name: str) -> Any:
        try:
            return self[self._names[name]]
        except KeyError:
            raise AttributeError(name) from None


def _date(raw: bytes) -> date:
    return date.fromisoformat(raw.decode())


def _datetime(raw: bytes) -> datetime:
    return datetime.fromisoformat(raw.decode())


def _bool(raw: bytes) -> bool:
    return raw not in (b"0", b"")


_CONVERTERS = {"DATE": _date, "DATETIME": _datetime, "BOOLEAN": _bool}


class Reader:
    """A read-only connection; :meth:`rows` takes SQL with ``:name`` parameters."""

    #: SQLite (the quick reader reads files only)
    server = False

    def __init__(self, con: sqlite3.Connection) -> None:
        self._con = con

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> list[Row]:
        cur = self._con.execute(sql, dict(params or {}))
        names = {d[0]: i for i, d in enumerate(cur.description or ())}
        out: list[Row] = []
        for raw in cur.fetchall():
            row = Row(raw)
            row._names = names
            out.append(row)
        return out

    def scalar(self, sql: str, params: Mapping[str, Any] | None = None) -> Any:
        found = self.rows(sql, params)
        return found[0][0] if found else None

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SessionReader:
    """The same :meth:`rows` over an open SQLAlchemy session (the GUI and the full path)."""

    def __init__(self, session: Any) -> None:
        self._session = session
        #: whether the session reads a clinic server (PostgreSQL)
        self.server = session.get_bind().dialect.name == "postgresql"

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> list[Any]:
        from sqlalchemy import text

        return list(self._session.execute(text(sql), dict(params or {})).all())

    def scalar(self, sql: str, params: Mapping[str, Any] | None = None) -> Any:
        found = self.rows(sql, params)
        return found[0][0] if found else None


def open_reader(path: Path | str) -> Reader | None:
    """A read-only reader on the SQLite file at ``path``, or None (see the module text)."""
    if "://" in str(path):
        return None
    file = Path(path)
    if not file.is_file() or file.stat().st_size == 0:
        return None
    for name, conv in _CONVERTERS.items():
        sqlite3.register_converter(name, conv)
    try:
        con = sqlite3.connect(
            f"{file.resolve().as_uri()}?mode=ro", uri=True, timeout=10, detect_types=sqlite3.PARSE_DECLTYPES
        )
    except sqlite3.Error:
        return None
    try:
        con.execute("PRAGMA query_only=ON")
        revs = {r[0] for r in con.execute("SELECT version_num FROM alembic_version")}
    except sqlite3.Error:
        con.close()
        return None
    if revs != script_heads():
        con.close()
        return None
    return Reader(con)


__all__ = ["Reader", "Row", "SessionReader", "open_reader"]
