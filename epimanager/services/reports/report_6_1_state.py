"""表6-1's stored rows: each child's due cells as forecast-date ranges (``report_state`` /
``report_due``), kept so that a child with no dose since the month began is counted in one SQL
query instead of a forecast.

Rows are made by the schedule engine from the doses before the current month and dropped by
SQLite triggers in the same transaction as any change to the child's doses, birth date or sex;
:func:`store` keeps none when a change happened while the report ran.

The children vaccinated in a report month cannot be counted from such rows; their cells of that month
are kept (``report_cells``, :func:`keep_cells`) with a fingerprint of what they were made from, and a
later report of the month uses them while the fingerprint is the same (:func:`cached_cells`).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from epimanager import __version__
from epimanager.domain.codes import MANAGED_STATUSES
from epimanager.domain.dates import add_months, add_years
from epimanager.domain.reports import BACKLOG_MONTHS, NEVER, ChildCells, DoseFact, due_rows
from epimanager.domain.schedule import Given, ScheduleEngine
from epimanager.errors import DatabaseError
from epimanager.resources import load_json
from epimanager.services.forecast import load_schedule_data
from epimanager.store.bulk import Bulk
from epimanager.store.database import Database
from epimanager.store.dialect import RawReader, analyze, batches, indexed_by, run

#: bump when the meaning of stored 6-1 rows changes
STATE_FORMAT = 1
#: the report months whose vaccinated children's cells are kept (older ones are forecast each time)
CELLS_MONTHS = 13
#: storing this many children's rows (a first run, or one after an upgrade) refreshes the server's
#: statistics of the two tables: planned from the old ones, the next run's queries take the wrong turns
_ANALYZE_AFTER = 5000
log = logging.getLogger(__name__)


#: stored rows hold for the month: same key, schedule version in force at month end, and the
#: doses before the month are those the rows were made from, none in the month
HOLDS = "st.key = :key AND st.v_from <= :end AND st.v_until > :end AND st.latest < :start AND st.next_after > :end"


def child_filter(residence: int | None) -> tuple[str, str]:
    """SQL of the managed statuses (a list) and of the 居住属性 filter ("" for 合计)."""
    managed = ",".join(str(int(x)) for x in MANAGED_STATUSES)
    return managed, ("AND c.residence = :res" if residence is not None else "")


def month_params(start: date, end: date, residence: int | None, **more: Any) -> dict[str, Any]:
    """Parameters every 6-1 query shares: the month, the 18-year limit, the 居住属性."""
    params: dict[str, Any] = {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "oldest": add_years(start, -18).isoformat(),
        **more,
    }
    if residence is not None:
        params["res"] = residence
    return params


def stored_counts(
    s: Session, start: date, end: date, residence: int | None, key: str
) -> dict[int | None, Counter[str]]:
    """应种 of the managed children counted from stored rows: those with no dose since the month began
    whose rows were made under the schedule version in force at month end."""
    managed, res = child_filter(residence)
    # SQLite: from the month's due rows (the plan a clinic file gets with no planner statistics); a file
    # that has them (ANALYZE run by hand or by a tool) was planned from every child by birth date: 2x slower
    hint = indexed_by(s, "ix_report_due_earliest")
    sql = f"""
        SELECT c.committee_id, r.col, count(DISTINCT c.id) FROM report_state st
        JOIN child c ON c.id = st.child_id
        JOIN report_due r {hint} ON r.child_id = st.child_id
        WHERE {HOLDS}
          AND c.deleted = false AND c.status IN ({managed}) {res}
          AND c.birth_date <= :end AND c.birth_date > :oldest
          AND r.earliest >= :backlog AND r.earliest <= :end AND r.a_from <= :end AND r.a_until > :end
        GROUP BY c.committee_id, r.col
    """
    params = month_params(start, end, residence, key=key, backlog=add_months(start, -BACKLOG_MONTHS).isoformat())
    due: dict[int | None, Counter[str]] = defaultdict(Counter)
    for comm, col, n in s.execute(text(sql), params):
        due[comm][col] += n
    return dict(due)


@cache
def state_key() -> str:
    """What stored 6-1 rows depend on besides the child: schedule data, vaccine catalog, program."""
    raw = json.dumps(
        [STATE_FORMAT, __version__, load_schedule_data(), load_json("vaccines.json")],
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(raw.encode()).hexdigest()[:40]


class Stored(NamedTuple):
    """A child's rows to store: report_state values and its report_due rows."""

    child_id: int
    basis: str  # made from the doses before this day (the first of the month they were made in)
    latest: str  # the latest of those doses ("" if none)
    next_after: str  # the first dose on or after ``basis`` (NEVER if none)
    v_from: str
    v_until: str
    due: list[tuple[str, str, str, str]]

    def holds(self, start: str, end: str) -> bool:
        """Whether the rows hold for the month [start, end] (ISO), as ``HOLDS`` in SQL."""
        return self.v_from <= end < self.v_until and self.latest < start and self.next_after > end


def rows_for(eng: ScheduleEngine, cid: int, birth: date, sex: str, doses: Sequence[DoseFact], today: date) -> Stored:
    """The rows of a child from its doses before this month: they hold for last month's report
    even when the child has been vaccinated since."""
    basis = today.replace(day=1).isoformat()
    before = [d for d in doses if d[1] < basis]
    latest = max((d[1] for d in before), default="")
    next_after = min((d[1] for d in doses if d[1] >= basis), default=NEVER)
    hist = eng.history(birth, max(today, birth), [Given(d[0], date.fromisoformat(d[1])) for d in before], sex)
    v_from, v_until = eng.version_span(hist.version)
    after = date.fromisoformat(latest) if latest else birth - timedelta(days=1)
    rows = due_rows(eng, hist, birth, sex, after)
    until = v_until.isoformat() if v_until else NEVER
    return Stored(cid, basis, latest, next_after, v_from.isoformat(), until, rows)


def store(db: Database, gen: int, key: str, stored: Sequence[Stored]) -> bool:
    """Keep the rows computed by a report, unless some child's doses changed meanwhile (then keep none)."""
    try:
        with db.transaction() as s:
            con = s.connection()
            ids = [(st.child_id,) for st in stored]
            run(con, "DELETE FROM report_due WHERE child_id = ?", ids)
            run(
                con,
                "INSERT INTO report_state (child_id, key, basis, latest, next_after, v_from, v_until) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (child_id) DO UPDATE SET key = excluded.key, "
                "basis = excluded.basis, latest = excluded.latest, next_after = excluded.next_after, "
                "v_from = excluded.v_from, v_until = excluded.v_until",
                [(st.child_id, key, st.basis, st.latest, st.next_after, st.v_from, st.v_until) for st in stored],
            )
            due = [(st.child_id, *row) for st in stored for row in st.due]
            if due:
                run(
                    con, "INSERT INTO report_due (child_id, col, earliest, a_from, a_until) VALUES (?, ?, ?, ?, ?)", due
                )
            # read under the write lock: any dose/child change since the report began bumped it
            if run(con, "SELECT gen FROM report_state_gen WHERE id = 1").scalar() != gen:
                raise _Changed
    except _Changed:
        return False
    except (OperationalError, DatabaseError) as exc:  # busy (another desk's long write), or the server
        # went away: the report is made from what it read; the next one computes them again
        log.info("report rows not stored: %s", exc)
        return False
    if len(stored) >= _ANALYZE_AFTER:
        try:
            analyze(db.engine, "report_state", "report_due")
        except OperationalError as exc:  # the rows are stored; autovacuum gets to the statistics later
            log.info("report rows stored, statistics not refreshed: %s", exc)
    return True


def due_in(rows: Sequence[tuple[str, str, str, str]], backlog: str, end: str) -> set[str]:
    """The columns of stored rows that are 应种 in the month ending ``end`` (as :func:`stored_counts`)."""
    return {col for col, earliest, a_from, a_until in rows if backlog <= earliest <= end and a_from <= end < a_until}


def fingerprint(key: str, start: str, end: str, birth: date, sex: str | None, doses: Sequence[DoseFact]) -> str:
    """What a child's cells of the month [start, end] are made from: the schedule key, the month, birth
    date, sex and the doses (as the forecast gets them, in that order).  Equal fingerprints, equal cells."""
    facts = ";".join(f"{d[0]},{d[1]},{d[2]},{1 if d[3] else 0}" for d in doses)
    raw = f"{key}|{start}|{end}|{birth.isoformat()}|{sex}|{facts}"
    return hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()


#: cells of one month computed by a report, to keep: (child id, fingerprint, cells)
Cells = tuple[int, str, ChildCells]


def cached_cells(raw: RawReader, month: str, ids: Sequence[int]) -> dict[int, tuple[str, ChildCells]]:
    """The kept cells of the children ``ids`` for ``month`` (YYYY-MM), by id: (fingerprint, cells)."""
    out: dict[int, tuple[str, ChildCells]] = {}
    sql = "SELECT child_id, fp, due, given FROM report_cells WHERE month = ? AND child_id {ids}"
    for cur in raw.by_ids(sql, (month,), ids):
        for rows in batches(cur):
            for cid, fp, due, given in rows:
                out[cid] = (fp, ChildCells(frozenset(_split(due)), tuple(_split(given))))
    return out


def _split(columns: str) -> list[str]:
    return columns.split(",") if columns else []


def keep_cells(db: Database, month: str, today: date, cells: Sequence[Cells]) -> bool:
    """Keep the cells a report computed for ``month`` (of the last :data:`CELLS_MONTHS` months only),
    dropping those of older months.  They are checked by fingerprint when read, so a change made
    meanwhile cannot make them wrong."""
    oldest = add_months(today.replace(day=1), -CELLS_MONTHS).isoformat()[:7]
    if month < oldest or not cells:
        return False
    try:
        with db.transaction() as s:
            con = s.connection()
            run(con, "DELETE FROM report_cells WHERE month < ?", (oldest,))
            Bulk(con).upsert(
                "report_cells",
                ("child_id", "month", "fp", "due", "given"),
                ("child_id", "month"),
                ((cid, month, fp, ",".join(sorted(c.due)), ",".join(c.given)) for cid, fp, c in cells),
            )
    except (OperationalError, DatabaseError) as exc:  # busy (another desk's long write), or the server
        # went away: the report is made from what it read; the next one computes them again
        log.info("report cells not kept: %s", exc)
        return False
    return True


class _Changed(Exception):
    pass
