"""表6-1 国家免疫规划疫苗常规接种情况报表: one row per 区域划分 plus the total.

Children that may count are found in SQL; those with stored rows that hold for
the month are counted from them (:mod:`.report_6_1_state`), the others are
forecast from their doses, in worker processes on large databases, unless an
earlier report of the month kept their cells and nothing they depend on changed.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import Counter, defaultdict
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from epimanager.domain.codes import Residence
from epimanager.domain.dates import add_months
from epimanager.domain.reports import (
    BACKLOG_MONTHS,
    COLUMNS_6_1,
    DoseFact,
    ReportWindow,
    child_cells,
    sum_columns,
)
from epimanager.domain.schedule import ScheduleEngine
from epimanager.paths import DbLocation
from epimanager.resources import catalog
from epimanager.services.forecast import engine
from epimanager.services.reports.common import KINDS, UNASSIGNED, Progress, parse_period
from epimanager.services.reports.report_6_1_state import (
    HOLDS,
    Cells,
    Stored,
    cached_cells,
    child_filter,
    due_in,
    fingerprint,
    keep_cells,
    month_params,
    rows_for,
    state_key,
    store,
    stored_counts,
)
from epimanager.services.units import committee_names, unit_info
from epimanager.store.database import Database
from epimanager.store.dialect import batches, is_server, one_snapshot, open_reader

_CHUNK = 900
_PROGRESS_STEP = 10_000


@dataclass(frozen=True)
class _Window:
    """Which children can possibly have a 6-1 cell in the month (a pre-filter)."""

    young_born_after: date
    girls_born_after: date
    recent_dose_after: date


def _window(eng: ScheduleEngine, start: date, end: date) -> _Window:
    """Derived from the schedule in force: the latest minimum age of any dose
    (per sex-restricted series too) and the longest minimum interval.  A child
    older than that, with no dose in the last longest-interval + backlog, has
    nothing newly due or in backlog and is skipped without a forecast."""
    version = eng.version_on(end)
    oldest_any = oldest_girls = 0
    longest_interval = 0
    for series in version.series:
        for track in series.tracks.values():
            for rule in track.doses:
                months = rule.min_age.months + (rule.min_age.days + 30) // 31
                if series.sex == "F":
                    oldest_girls = max(oldest_girls, months)
                else:
                    oldest_any = max(oldest_any, months)
                for iv in rule.intervals:
                    longest_interval = max(longest_interval, iv.minimum.months + (iv.minimum.days + 30) // 31)
    margin = 13  # backlog window + one month
    return _Window(
        young_born_after=add_months(start, -(oldest_any + margin)),
        girls_born_after=add_months(start, -(max(oldest_girls, oldest_any) + margin)),
        recent_dose_after=add_months(start, -(longest_interval + margin)),
    )


#: a child as the 6-1 sees it: id, birth, sex, 区域划分 id, managed here, its stored rows need
#: (re)computing, it can count this month (else it is only here to have its rows stored)
Kid = tuple[int, date, str, int | None, bool, bool, bool]


def _candidates(
    s: Session, start: date, end: date, unit: str, residence: int | None, w: _Window, key: str | None, today: date
) -> list[Kid]:
    """Children that may count this month and are not counted from stored rows (sorted by id), and
    managed children under 18 with no current stored rows (to store them).

    With a ``key``, managed children whose stored rows hold for the month
    (see :func:`stored_counts`) are left out; finding the others reads only
    the children of the age window and their stored rows' keys.
    """
    sql = _candidate_sql(is_server(s), key is not None, residence)
    params = month_params(
        start,
        end,
        residence,
        young=w.young_born_after.isoformat(),
        girls=w.girls_born_after.isoformat(),
        recent=w.recent_dose_after.isoformat(),
        unit=unit,
        key=key,
        today=today.isoformat(),
        basis=today.replace(day=1).isoformat(),
    )
    out: dict[int, Kid] = {}
    for cid, birth, sex, comm, is_managed, has_fresh, can_count in s.execute(text(sql), params):
        if not can_count and (has_fresh or key is None):
            continue
        prev = out.get(cid)
        if prev is None or (is_managed and not prev[4]) or (can_count and not prev[6]):
            out[cid] = (cid, date.fromisoformat(birth), sex, comm, bool(is_managed), not has_fresh, bool(can_count))
    return sorted(out.values())


#: may count: young enough for a dose by age, or a dose recently enough to have one due by interval
_CAN_COUNT = """c.birth_date > :young OR (c.sex = '2' AND c.birth_date > :girls)
               OR EXISTS (SELECT 1 FROM dose d WHERE d.child_id = c.id AND d.deleted = false
                          AND d.date > :recent AND d.date <= :end)"""
#: rows made this month (from the doses before it began) are as good as new ones
_FRESH = "st.key = :key AND st.v_from <= :today AND st.v_until > :today AND st.basis = :basis"


def _candidate_sql(server: bool, stored: bool, residence: int | None) -> str:
    """The query of :func:`_candidates`; each backend's planner gets the form it runs fastest.

    SQLite walks the birth-date index and looks the stored rows up by id (a join there takes twice as
    long); PostgreSQL joins child and report_state once (the subqueries cost it three full scans of each).
    """
    managed, res = child_filter(residence)
    month = f"""WHERE c.deleted = false AND d.deleted = false AND d.unit_code = :unit {res}
          AND d.date >= :start AND d.date <= :end"""
    if server:
        join = "LEFT JOIN report_state st ON st.child_id = c.id" if stored else ""
        fresh = f"COALESCE({_FRESH}, false)" if stored else "true"
        return f"""
        SELECT c.id, CAST(c.birth_date AS TEXT), c.sex, c.committee_id, true, {fresh}, {_CAN_COUNT}
        FROM child c {join}
        WHERE c.birth_date <= :end AND c.birth_date > :oldest AND c.deleted = false AND c.status IN ({managed})
          {res} {f"AND NOT COALESCE({HOLDS}, false)" if stored else ""}
        UNION
        SELECT c.id, CAST(c.birth_date AS TEXT), c.sex, c.committee_id, c.status IN ({managed}), {fresh}, true
        FROM dose d JOIN child c ON c.id = d.child_id {join}
        {month}"""
    skip = f"AND c.id NOT IN (SELECT st.child_id FROM report_state st WHERE {HOLDS})" if stored else ""
    fresh = f"EXISTS (SELECT 1 FROM report_state st WHERE st.child_id = c.id AND {_FRESH})" if stored else "true"
    return f"""
        WITH need AS (
            SELECT c.id FROM child c INDEXED BY ix_child_birth_date
            WHERE c.birth_date <= :end AND c.birth_date > :oldest {skip}
        )
        SELECT c.id, CAST(c.birth_date AS TEXT), c.sex, c.committee_id, true, {fresh}, {_CAN_COUNT}
        FROM need JOIN child c ON c.id = need.id
        WHERE c.deleted = false AND c.status IN ({managed}) {res}
        UNION
        SELECT c.id, CAST(c.birth_date AS TEXT), c.sex, c.committee_id, c.status IN ({managed}), {fresh}, true
        FROM child c
        JOIN dose d ON d.child_id = c.id
        {month}"""


def _doses(raw: Any, ids: Sequence[int], unit: str) -> dict[int, list[DoseFact]]:
    """Every dose of the children ``ids`` (sorted), by id.

    Rows stay the tuples the driver returns: (vaccine, ISO date, dose number, given here).
    """
    facts: dict[int, list[DoseFact]] = defaultdict(list)
    if not ids:
        return facts
    select = (
        f"SELECT child_id, vaccine_code, CAST(date AS TEXT), dose_number, unit_code = ? FROM dose "
        f"{'' if raw.server else 'INDEXED BY ix_dose_child_id'} WHERE deleted = false AND "
    )
    if ids[-1] - ids[0] < 4 * len(ids):  # dense: one range scan, dropping the few children not asked for
        _collect(facts, raw.execute(select + "child_id BETWEEN ? AND ?", (unit, ids[0], ids[-1])), set(ids))
        return facts
    for cur in raw.by_ids(select + "child_id {ids}", (unit,), ids, _CHUNK):
        _collect(facts, cur, None)
    return facts


def _collect(facts: dict[int, list[DoseFact]], cur: Any, wanted: set[int] | None) -> None:
    """The rows of ``cur`` into ``facts``."""
    for rows in batches(cur):
        for row in rows:
            if wanted is None or row[0] in wanted:
                facts[row[0]].append(row[1:])


_Part = tuple[dict[int | None, Counter[str]], dict[int | None, Counter[str]], list[Stored], list[Cells]]


def _count(
    location: DbLocation,
    unit: str,
    start: date,
    end: date,
    kids: Sequence[Kid],
    key: str | None = None,
    today: date | None = None,
) -> _Part:
    """6-1 cells of ``kids`` (sorted by id) by 区域划分 id, forecast from their doses; runs in a worker
    process too.  Also the rows to store of the kids that need them.

    With a ``key`` the cells kept by an earlier report of the month are used when their fingerprint
    matches, and the ones forecast are returned to keep; without one (``exhaustive``) every managed
    child is forecast in full, without stored rows or the :class:`ReportWindow` shortcuts."""
    exhaustive = key is None
    eng = engine()
    window = ReportWindow(eng, catalog(), start, end)
    start_iso, end_iso = start.isoformat(), end.isoformat()
    backlog = add_months(start, -BACKLOG_MONTHS).isoformat()
    today = today or date.today()
    due: dict[int | None, Counter[str]] = defaultdict(Counter)
    given: dict[int | None, Counter[str]] = defaultdict(Counter)
    stored: list[Stored] = []
    made: list[Cells] = []
    con = open_reader(location)
    try:
        for i in range(0, len(kids), 20000):
            page = kids[i : i + 20000]
            facts = _doses(con, [k[0] for k in page], unit)
            kept = {} if key is None else cached_cells(con, start_iso[:7], [k[0] for k in page if k[6]])
            for cid, birth, sex, comm, managed, restore, can_count in page:
                everything = facts.get(cid, [])
                if restore and not exhaustive:
                    rows = rows_for(eng, cid, birth, sex, everything, today)
                    stored.append(rows)
                    if rows.holds(start_iso, end_iso):
                        # what stored_counts will find for it from now on
                        if can_count and managed:
                            due[comm].update(due_in(rows.due, backlog, end_iso))
                        continue
                if not can_count:
                    continue
                doses = [d for d in everything if d[1] <= end_iso]
                if not exhaustive:
                    doses = [d for d in doses if d[0] in window.codes]
                if not managed:  # e.g. 临时接种: only what was given here counts
                    doses = [d for d in doses if d[3] or d[1] < start_iso]
                if key is None:
                    cells = child_cells(eng, birth, sex, doses, start, end)
                else:
                    fp = fingerprint(key, start_iso, end_iso, birth, sex, doses)
                    hit = kept.get(cid)
                    if hit is not None and hit[0] == fp:
                        cells = hit[1]
                    else:
                        cells = child_cells(eng, birth, sex, doses, start, end, window=window)
                        made.append((cid, fp, cells))
                due[comm].update(cells.due if managed else (c for c in cells.due if c in cells.given))
                given[comm].update(cells.given)
    finally:
        con.close()
    return dict(due), dict(given), stored, made


def _workers(n: int) -> int:
    if n < 5000:
        return 1
    return max(1, min(4, os.cpu_count() or 1))


def report_6_1(
    db: Database,
    period: str,
    residence: int | None = None,
    *,
    progress: Progress | None = None,
    exhaustive: bool = False,
    today: date | None = None,
) -> dict[str, Any]:
    """表6-1 for ``period`` (YYYY-MM): one row per 区域划分 plus the total.

    Each child's due cells are stored as forecast-date ranges
    (``report_state``/``report_due``, dropped by triggers when its doses,
    birth date or sex change); a managed child with stored rows and no dose
    since the month began is counted from them in one SQL query.  The other
    children are forecast from their doses, split over worker processes on
    large databases (one per core, at most 4), and their rows stored; their cells of the month are kept
    too, and used by the next report of the month while their fingerprint (birth date, sex, doses up to
    the month's end, schedule) is the same.
    ``exhaustive`` forecasts every managed child in full from its doses,
    without stored rows or the :class:`ReportWindow` shortcuts (for checking
    that they change nothing).
    """
    start, end = parse_period(period)
    eng = engine()
    info = unit_info(db)
    key = None if exhaustive else state_key()
    today = today or date.today()
    with db.session() as s:  # one snapshot: a child is either counted from stored rows or a candidate
        one_snapshot(s)
        gen = s.execute(text("SELECT gen FROM report_state_gen WHERE id = 1")).scalar_one()
        names = committee_names(s, info.code)
        pre = _window(eng, start, end) if not exhaustive else _Window(date.min, date.min, date.min)
        kids = _candidates(s, start, end, info.code, residence, pre, key, today)
        parts: list[_Part] = []
        n = _workers(len(kids))
        if n == 1:
            parts.append(_count(db.location, info.code, start, end, kids, key, today))
            if key is not None:
                parts.append((stored_counts(s, start, end, residence, key), {}, [], []))
        else:
            # one chunk per worker, or pieces of ~10,000 children so a long first run shows progress
            size = min(-(-len(kids) // n), _PROGRESS_STEP)
            chunks = [kids[k : k + size] for k in range(0, len(kids), size)]
            method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
            with ProcessPoolExecutor(n, mp_context=multiprocessing.get_context(method)) as pool:
                futures = [pool.submit(_count, db.location, info.code, start, end, c, key, today) for c in chunks]
                if key is not None:  # meanwhile
                    parts.append((stored_counts(s, start, end, residence, key), {}, [], []))
                for k, f in enumerate(futures):
                    parts.append(f.result())
                    if progress:
                        progress(k + 1, len(futures))
    fresh = [row for part in parts for row in part[2]]
    if key is not None and fresh:
        store(db, gen, key, fresh)
    made = [cells for part in parts for cells in part[3]]
    if key is not None and made:
        keep_cells(db, start.isoformat()[:7], today, made)
    due: dict[str, Counter[str]] = defaultdict(Counter)
    given: dict[str, Counter[str]] = defaultdict(Counter)
    for part_due, part_given, _fresh, _made in parts:
        for comm, counter in part_due.items():
            due[names.get(comm, UNASSIGNED) if comm is not None else UNASSIGNED].update(counter)
        for comm, counter in part_given.items():
            given[names.get(comm, UNASSIGNED) if comm is not None else UNASSIGNED].update(counter)
    order = list(names.values()) + ([UNASSIGNED] if UNASSIGNED in due or UNASSIGNED in given else [])
    due_rows_ = [{c: due[name].get(c, 0) for c in COLUMNS_6_1} for name in order]
    given_rows = [{c: given[name].get(c, 0) for c in COLUMNS_6_1} for name in order]
    rows = [{"committee": name, "due": d, "given": g} for name, d, g in zip(order, due_rows_, given_rows, strict=True)]
    return {
        "report": "6-1",
        "title": KINDS["6-1"],
        "month": period,
        "unit": info.code,
        "unit_name": info.name,
        "residence": Residence(residence).label if residence else "合计",
        "columns": list(COLUMNS_6_1),
        "rows": rows,
        "total": {"due": sum_columns(due_rows_), "given": sum_columns(given_rows)},
    }
