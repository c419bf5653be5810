"""Desks see each other: which children another desk (or window) changed, and how many desks are on line.

A :class:`ChangeFeed` watches the database from a background thread and collects what changed:

- **PostgreSQL**: every write transaction that touched a child or a record kept on one (a dose, a
  visit — a ticket taken or moved on by a desk —, a 预检, a consent, an AEFI card …) sends ``NOTIFY
  epimanager`` with the children's ids when it commits (:func:`install_notify`); the feed
  ``LISTEN``\\s on its own connection, whose ``application_name`` names the desk, so the desks on
  line are counted from ``pg_stat_activity``.  A lost connection is retried with back-off and reported.
- **SQLite**: every commit changes the database file or its WAL (size, modification time); the feed
  polls them without keeping the file open (it cannot say which child, so "everything" is reported
  and the open child is read again).

The GUI drains the feed from a timer (:meth:`ChangeFeed.drain` never blocks).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, UOWTransaction, sessionmaker

from epimanager.paths import DbLocation, ServerUrl
from epimanager.store.models import Child
from epimanager.store.models_visit import Visit
from epimanager.store.models_visit_order import VisitOrder

log = logging.getLogger(__name__)

CHANNEL = "epimanager"
APP_PREFIX = "EpiManager:"
_PENDING_KEY = "epimanager.changed_children"
_PENDING_VISITS_KEY = "epimanager.changed_visit_orders"
#: SQLite: how often the feed asks whether another connection committed.
POLL_S = 0.3


def install_notify(sessions: sessionmaker[Session]) -> None:
    """PostgreSQL: announce the children each write transaction changed (their records or visits), when it commits."""
    event.listen(sessions, "after_flush", _collect)
    event.listen(sessions, "before_commit", _notify)


def _collect(session: Session, _ctx: UOWTransaction) -> None:
    ids: set[int] = session.info.setdefault(_PENDING_KEY, set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Child) and obj.id is not None:
            ids.add(obj.id)
        elif isinstance(getattr(obj, "child_id", None), int):
            # a dose, a visit (the desks' queues and boards follow), and everything else kept on the
            # child — 预检 and its 暂缓/禁忌, consents, AEFI cards, immunoglobulin: the view reads again
            ids.add(obj.child_id)
        elif isinstance(obj, VisitOrder) and obj.visit_id is not None:  # 登记's order: the 接种台 reads it again
            session.info.setdefault(_PENDING_VISITS_KEY, set()).add(obj.visit_id)


def _notify(session: Session) -> None:
    from sqlalchemy import select

    # SQLAlchemy calls before_commit before its last flush: flush here so that what is still
    # pending (a service need not flush before it commits) is announced too
    session.flush()
    ids: set[int] = session.info.pop(_PENDING_KEY, set())
    visits: set[int] = session.info.pop(_PENDING_VISITS_KEY, set())
    if visits:
        ids |= set(session.scalars(select(Visit.child_id).where(Visit.id.in_(sorted(visits)))))
    if ids:
        payload = json.dumps(sorted(ids)[:500])  # NOTIFY payloads stay well under 8000 bytes
        session.connection().exec_driver_sql("SELECT pg_notify(%(c)s, %(p)s)", {"c": CHANNEL, "p": payload})


@dataclass
class FeedState:
    children: set[int] = field(default_factory=set)
    everything: bool = False
    desks: int | None = None
    lost: str | None = None  # why the server cannot be reached (None: connected)


class ChangeFeed:
    """Collects changes made by other connections, in a daemon thread."""

    def __init__(self, location: DbLocation, desk: str) -> None:
        self.location = location
        self.desk = desk
        self._state = FeedState()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="epimanager-changes", daemon=True)

    def start(self) -> ChangeFeed:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=3)

    def drain(self) -> FeedState:
        """What changed since the last call (and the current desk count / connection state)."""
        with self._lock:
            out = FeedState(set(self._state.children), self._state.everything, self._state.desks, self._state.lost)
            self._state.children.clear()
            self._state.everything = False
        return out

    def _set(self, **values: Any) -> None:
        with self._lock:
            for k, v in values.items():
                setattr(self._state, k, v)

    def _run(self) -> None:
        if isinstance(self.location, ServerUrl):
            self._run_server(self.location)
        else:
            self._run_file()

    # -- SQLite --------------------------------------------------------------------------------

    def _run_file(self) -> None:
        """Poll the file and its WAL (size and time): every commit changes them.  No connection is kept
        open, so the window's own feed never holds the file (a restore checks that nobody does)."""
        assert not isinstance(self.location, ServerUrl)
        last = _file_stamp(self.location)
        while not self._stop.wait(POLL_S):
            now = _file_stamp(self.location)
            if now != last:
                self._set(everything=True)
            last = now

    # -- PostgreSQL ----------------------------------------------------------------------------

    def _run_server(self, location: ServerUrl) -> None:
        import psycopg

        url = location.url.replace("postgresql+psycopg://", "postgresql://", 1)
        delay = 1.0
        while not self._stop.is_set():
            try:
                with psycopg.connect(
                    url, autocommit=True, connect_timeout=5, application_name=(APP_PREFIX + self.desk)[:63]
                ) as con:
                    con.execute(f"LISTEN {CHANNEL}")
                    if self._state.lost is not None:
                        self._set(lost=None, everything=True)  # back: read what changed meanwhile
                    delay = 1.0
                    next_count = 0.0
                    while not self._stop.is_set():
                        if time.monotonic() >= next_count:
                            self._set(desks=_desks_on_line(con))
                            next_count = time.monotonic() + 5
                        for note in con.notifies(timeout=0.5, stop_after=50):
                            self._take(note.payload)
            except (psycopg.Error, OSError) as exc:  # the server went away: say so and try again
                self._set(lost=f"{location.host}:{location.port}")
                log.info("change feed: server lost: %s", exc)
                self._stop.wait(delay)
                delay = min(delay * 2, 15.0)

    def _take(self, payload: str) -> None:
        try:
            ids = {int(i) for i in json.loads(payload)}
        except (ValueError, TypeError):
            self._set(everything=True)
            return
        with self._lock:
            self._state.children |= ids


def _file_stamp(path: Path) -> tuple[tuple[int, int] | None, ...]:
    out: list[tuple[int, int] | None] = []
    for name in (path, path.with_name(path.name + "-wal")):
        try:
            st = os.stat(name)
        except OSError:
            out.append(None)
        else:
            out.append((st.st_mtime_ns, st.st_size))
    return tuple(out)


def _desks_on_line(con: Any) -> int:
    row = con.execute(
        "SELECT count(DISTINCT application_name) FROM pg_stat_activity "
        "WHERE datname = current_database() AND application_name LIKE %s",
        (APP_PREFIX + "%",),
    ).fetchone()
    return int(row[0]) if row else 0
