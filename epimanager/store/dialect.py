"""The few places where SQLite and PostgreSQL differ, behind one interface.

Services write portable SQL (``ON CONFLICT``, ``false``/``true``, ISO date strings as parameters);
what cannot be portable goes through these helpers.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from epimanager.paths import DbLocation, ServerUrl


def is_server(bind: Connection | Session) -> bool:
    """Whether ``bind`` talks to PostgreSQL (the clinic server)."""
    return (
        bind.get_bind().dialect.name == "postgresql" if isinstance(bind, Session) else bind.dialect.name == "postgresql"
    )


def run(conn: Connection, sql: str, params: Sequence[Any] | None = None) -> Any:
    """Run driver-level SQL written with ``?`` placeholders (one tuple, or a list of tuples for many rows)."""
    if conn.dialect.paramstyle in ("format", "pyformat"):
        sql = sql.replace("%", "%%").replace("?", "%s")
    if params is None:
        return conn.exec_driver_sql(sql)
    return conn.exec_driver_sql(sql, params)


def one_snapshot(session: Session) -> None:
    """Let every query of ``session`` read one snapshot, as a SQLite read transaction does: REPEATABLE
    READ on PostgreSQL, whose READ COMMITTED takes a new snapshot per statement.  Call it first."""
    if is_server(session):
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def indexed_by(bind: Connection | Session, index: str) -> str:
    """``INDEXED BY <index>`` on SQLite (its planner needs the hint there), nothing on PostgreSQL."""
    return "" if is_server(bind) else f"INDEXED BY {index}"


def iso(value: date | datetime | str | None) -> str | None:
    """A date column's raw value as an ISO string (SQLite returns text, PostgreSQL a date)."""
    if value is None or isinstance(value, str):
        return value
    return value.isoformat()


def analyze(engine: Engine, *tables: str) -> None:
    """Fresh planner statistics for ``tables`` (all by default) after many of their rows changed.

    PostgreSQL only (SQLite's queries carry their index hints and keep their plans).  Autovacuum would
    get there within a minute or so; a query run before that is planned from the old figures."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(f"ANALYZE {', '.join(tables)}")


def has_table(conn: Connection, name: str) -> bool:
    return conn.dialect.has_table(conn, name)


class RawReader:
    """A plain driver connection for bulk reads in worker processes: ``execute(sql with ?, params)``."""

    def __init__(self, con: Any, server: bool) -> None:
        self._con = con
        self.server = server

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        if self.server:
            sql = sql.replace("%", "%%").replace("?", "%s")
        return self._con.execute(sql, tuple(params))

    def by_ids(self, sql: str, params: Sequence[Any], ids: Sequence[int], chunk: int = 900) -> Iterator[Any]:
        """A cursor per ``chunk`` of ``ids`` for ``sql`` whose ``{ids}`` stands after a column: an array
        on the server (one statement to parse whatever its length; one array of thousands of ids made
        its planner scan the whole table), an IN list on SQLite.  ``params`` come before the ids."""
        for i in range(0, len(ids), chunk):
            part = list(ids[i : i + chunk])
            if self.server:
                yield self.execute(sql.format(ids="= ANY(?)"), (*params, part))
            else:
                yield self.execute(sql.format(ids=f"IN ({','.join('?' * len(part))})"), (*params, *part))

    def close(self) -> None:
        self._con.close()


def batches(cur: Any, size: int = 10_000) -> Iterator[Sequence[Any]]:
    """The rows of a :class:`RawReader` cursor, a batch at a time (a psycopg cursor is slow to iterate
    row by row)."""
    while rows := cur.fetchmany(size):
        yield rows


def open_reader(location: DbLocation) -> RawReader:
    """A read-only driver connection to ``location`` (SQLite file or clinic server)."""
    if isinstance(location, ServerUrl):
        import psycopg

        from epimanager.store.engine import SERVER_OPTIONS

        url = location.url.replace("postgresql+psycopg://", "postgresql://", 1)
        con = psycopg.connect(url, autocommit=False, options=SERVER_OPTIONS)
        con.read_only = True
        return RawReader(con, True)
    from epimanager.store.sqlite_files import connect_raw

    return RawReader(connect_raw(location, readonly=True), False)
