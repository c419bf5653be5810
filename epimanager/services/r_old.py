"""Monthly statutory reports: 表6-1, 表6-2, 疫苗消耗日志, 个案统计分析月报.

Each ``generate`` call computes the report, stores it (who, when, parameters,
content) so F7 knows last month's duty is done, and returns its JSON shape.
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import os
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from epimanager import __version__
from epimanager.domain.codes import MANAGED_STATUSES, Residence, Status
from epimanager.domain.dates import add_months, add_years
from epimanager.domain.reports import (
    AGE_GROUPS,
    BACKLOG_MONTHS,
    COLUMNS_6_1,
    NEVER,
    DoseFact,
    ReportWindow,
    age_group,
    child_cells,
    due_rows,
    month_bounds,
    sum_columns,
)
from epimanager.domain.schedule import Given, ScheduleEngine
from epimanager.errors import ValidationError
from epimanager.resources import catalog, load_json
from epimanager.services.database import Database
from epimanager.services.forecast import engine, load_schedule_data
from epimanager.services.units import unit_info
from epimanager.store.models import Committee
from epimanager.store.models_reports import ReportRun

Progress = Callable[[int, int], None]

KINDS: dict[str, str] = {
    "6-1": "表6-1 国家免疫规划疫苗常规接种情况报表",
    "6-2": "表6-2 第二类疫苗接种情况报表",
    "consumption": "疫苗消耗日志",
    "cases": "个案统计分析月报",
}
UNASSIGNED = "（未划分）"
_CHUNK = 900
_PROGRESS_STEP = 10_000
#: bump when the meaning of stored 6-1 rows changes
STATE_FORMAT = 1
log = logging.getLogger(__name__)


def parse_period(period: str) -> tuple[date, date]:
    try:
        return month_bounds(period)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


def parse_residence(text: str | None) -> int | None:
    """本地/流动/临时 (or 1/2/3) → code; 合计/None → None (all)."""
    if text is None or text.strip() in ("", "合计", "all"):
        return None
    try:
        return int(Residence.parse(text))
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


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

#: stored rows hold for the month: same key, schedule version in force at month end, and the
#: doses before the month are those the rows were made from, none in the month
_HOLDS = "st.key = :key AND st.v_from <= :end AND st.v_until > :end AND st.latest < :start AND st.next_after > :end"


def _child_filter(residence: int | None) -> tuple[str, str]:
    """SQL of the managed statuses (a list) and of the 居住属性 filter ("" for 合计)."""
    managed = ",".join(str(int(x)) for x in MANAGED_STATUSES)
    return managed, ("AND c.residence = :res" if residence is not None else "")


def _month_params(start: date, end: date, residence: int | None, **more: Any) -> dict[str, Any]:
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


def _candidates(
    s: Session, start: date, end: date, unit: str, residence: int | None, w: _Window, key: str | None, today: date
) -> list[Kid]:
    """Children that may count this month and are not counted from stored rows (sorted by id), and
    managed children under 18 with no current stored rows (to store them).

    With a ``key``, managed children whose stored rows hold for the month
    (see :func:`_stored_counts`) are left out; finding the others reads only
    the birth-date index and the stored rows' keys.
    """
    managed, res = _child_filter(residence)
    if key is None:
        skip, fresh = "", "1"
    else:
        skip = f"AND c.id NOT IN (SELECT st.child_id FROM report_state st WHERE {_HOLDS})"
        # rows made this month (from the doses before it began) are as good as new ones
        fresh = (
            "EXISTS (SELECT 1 FROM report_state st WHERE st.child_id = c.id AND st.key = :key "
            "AND st.v_from <= :today AND st.v_until > :today AND st.basis = :basis)"
        )
    sql = f"""
        WITH need AS (
            SELECT c.id FROM child c INDEXED BY ix_child_birth_date
            WHERE c.birth_date <= :end AND c.birth_date > :oldest {skip}
        )
        SELECT c.id, c.birth_date, c.sex, c.committee_id, 1, {fresh},
               c.birth_date > :young
               OR (c.sex = '2' AND c.birth_date > :girls)
               OR EXISTS (SELECT 1 FROM dose d WHERE d.child_id = c.id AND d.deleted = 0
                          AND d.date > :recent AND d.date <= :end)
        FROM need JOIN child c ON c.id = need.id
        WHERE c.deleted = 0 AND c.status IN ({managed}) {res}
        UNION
        SELECT c.id, c.birth_date, c.sex, c.committee_id, c.status IN ({managed}), {fresh}, 1 FROM child c
        JOIN dose d ON d.child_id = c.id
        WHERE c.deleted = 0 AND d.deleted = 0 AND d.unit_code = :unit {res}
          AND d.date >= :start AND d.date <= :end
    """
    params = _month_params(
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


def _stored_counts(
    s: Session, start: date, end: date, residence: int | None, key: str
) -> dict[int | None, Counter[str]]:
    """应种 of the managed children counted from stored rows: those with no dose since the month began
    whose rows were made under the schedule version in force at month end."""
    managed, res = _child_filter(residence)
    sql = f"""
        SELECT c.committee_id, r.col, count(DISTINCT c.id) FROM report_state st
        JOIN child c ON c.id = st.child_id
        JOIN report_due r ON r.child_id = st.child_id
        WHERE {_HOLDS}
          AND c.deleted = 0 AND c.status IN ({managed}) {res}
          AND c.birth_date <= :end AND c.birth_date > :oldest
          AND r.earliest >= :backlog AND r.earliest <= :end AND r.a_from <= :end AND r.a_until > :end
        GROUP BY c.committee_id, r.col
    """
    params = _month_params(start, end, residence, key=key, backlog=add_months(start, -BACKLOG_MONTHS).isoformat())
    due: dict[int | None, Counter[str]] = defaultdict(Counter)
    for comm, col, n in s.execute(text(sql), params):
        due[comm][col] += n
    return dict(due)


def _doses(raw: sqlite3.Connection, ids: Sequence[int], unit: str) -> dict[int, list[DoseFact]]:
    """Every dose of the children ``ids`` (sorted), by id.

    Rows stay the tuples SQLite returns: (vaccine, ISO date, dose number, given here).
    """
    facts: dict[int, list[DoseFact]] = defaultdict(list)
    if not ids:
        return facts
    select = (
        "SELECT child_id, vaccine_code, date, dose_number, unit_code = ? FROM dose INDEXED BY ix_dose_child_id "
        "WHERE deleted = 0 AND "
    )
    if ids[-1] - ids[0] < 4 * len(ids):  # dense: one range scan, dropping the few children not asked for
        wanted = set(ids)
        for row in raw.execute(select + "child_id BETWEEN ? AND ?", (unit, ids[0], ids[-1])):
            if row[0] in wanted:
                facts[row[0]].append(row[1:])
        return facts
    for i in range(0, len(ids), _CHUNK):
        part = ids[i : i + _CHUNK]
        for row in raw.execute(select + f"child_id IN ({','.join('?' * len(part))})", (unit, *part)):
            facts[row[0]].append(row[1:])
    return facts


@cache
def state_key() -> str:
    """What stored 6-1 rows depend on besides the child: schedule data, vaccine catalog, program."""
    raw = json.dumps(
        [STATE_FORMAT, __version__, load_schedule_data(), load_json("vaccines.json")],
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(raw.encode()).hexdigest()[:40]


class _Stored(NamedTuple):
    """A child's rows to store: report_state values and its report_due rows."""

    child_id: int
    basis: str  # made from the doses before this day (the first of the month they were made in)
    latest: str  # the latest of those doses ("" if none)
    next_after: str  # the first dose on or after ``basis`` (NEVER if none)
    v_from: str
    v_until: str
    due: list[tuple[str, str, str, str]]

    def holds(self, start: str, end: str) -> bool:
        """Whether the rows hold for the month [start, end] (ISO), as ``_HOLDS`` in SQL."""
        return self.v_from <= end < self.v_until and self.latest < start and self.next_after > end


def _rows_for(eng: ScheduleEngine, cid: int, birth: date, sex: str, doses: Sequence[DoseFact], today: date) -> _Stored:
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
    return _Stored(cid, basis, latest, next_after, v_from.isoformat(), until, rows)


def _store(db: Database, gen: int, key: str, stored: Sequence[_Stored]) -> bool:
    """Keep the rows computed by a report, unless some child's doses changed meanwhile (then keep none)."""
    try:
        with db.transaction() as s:
            con = s.connection()
            ids = [(st.child_id,) for st in stored]
            con.exec_driver_sql("DELETE FROM report_due WHERE child_id = ?", ids)
            con.exec_driver_sql(
                "INSERT OR REPLACE INTO report_state (child_id, key, basis, latest, next_after, v_from, v_until) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(st.child_id, key, st.basis, st.latest, st.next_after, st.v_from, st.v_until) for st in stored],
            )
            due = [(st.child_id, *row) for st in stored for row in st.due]
            if due:
                con.exec_driver_sql(
                    "INSERT INTO report_due (child_id, col, earliest, a_from, a_until) VALUES (?, ?, ?, ?, ?)", due
                )
            # read under the write lock: any dose/child change since the report began bumped it
            if con.exec_driver_sql("SELECT gen FROM report_state_gen WHERE id = 1").scalar() != gen:
                raise _Changed
    except _Changed:
        return False
    except OperationalError as exc:  # busy: another writer; the next report computes them again
        log.info("report rows not stored: %s", exc)
        return False
    return True


def _due_in(rows: Sequence[tuple[str, str, str, str]], backlog: str, end: str) -> set[str]:
    """The columns of stored rows that are 应种 in the month ending ``end`` (as :func:`_stored_counts`)."""
    return {col for col, earliest, a_from, a_until in rows if backlog <= earliest <= end and a_from <= end < a_until}


class _Changed(Exception):
    pass


def _committee_names(s: Session, unit: str) -> dict[int, str]:
    rows = s.execute(select(Committee.id, Committee.name).where(Committee.unit_code == unit).order_by(Committee.code))
    return {int(cid): str(name) for cid, name in rows}


_Part = tuple[dict[int | None, Counter[str]], dict[int | None, Counter[str]], list[_Stored]]


def _count(
    db_path: str,
    unit: str,
    start: date,
    end: date,
    kids: Sequence[Kid],
    exhaustive: bool = False,
    today: date | None = None,
) -> _Part:
    """6-1 cells of ``kids`` (sorted by id) by 区域划分 id, forecast from their doses; runs in a worker
    process too.  Also the rows to store of the kids that need them."""
    eng = engine()
    window = ReportWindow(eng, catalog(), start, end)
    start_iso, end_iso = start.isoformat(), end.isoformat()
    backlog = add_months(start, -BACKLOG_MONTHS).isoformat()
    today = today or date.today()
    due: dict[int | None, Counter[str]] = defaultdict(Counter)
    given: dict[int | None, Counter[str]] = defaultdict(Counter)
    stored: list[_Stored] = []
    con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        for i in range(0, len(kids), 20000):
            page = kids[i : i + 20000]
            facts = _doses(con, [k[0] for k in page], unit)
            for cid, birth, sex, comm, managed, restore, can_count in page:
                everything = facts.get(cid, [])
                if restore and not exhaustive:
                    rows = _rows_for(eng, cid, birth, sex, everything, today)
                    stored.append(rows)
                    if rows.holds(start_iso, end_iso):
                        # what _stored_counts will find for it from now on
                        if can_count and managed:
                            due[comm].update(_due_in(rows.due, backlog, end_iso))
                        continue
                if not can_count:
                    continue
                doses = [d for d in everything if d[1] <= end_iso]
                if not exhaustive:
                    doses = [d for d in doses if d[0] in window.codes]
                if not managed:  # e.g. 临时接种: only what was given here counts
                    doses = [d for d in doses if d[3] or d[1] < start_iso]
                cells = child_cells(eng, birth, sex, doses, start, end, window=None if exhaustive else window)
                due[comm].update(cells.due if managed else (c for c in cells.due if c in cells.given))
                given[comm].update(cells.given)
    finally:
        con.close()
    return dict(due), dict(given), stored


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
    large databases (one per core, at most 4), and their rows stored.
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
        gen = s.execute(text("SELECT gen FROM report_state_gen WHERE id = 1")).scalar_one()
        names = _committee_names(s, info.code)
        pre = _window(eng, start, end) if not exhaustive else _Window(date.min, date.min, date.min)
        kids = _candidates(s, start, end, info.code, residence, pre, key, today)
        parts: list[_Part] = []
        n = _workers(len(kids))
        if n == 1:
            parts.append(_count(str(db.path), info.code, start, end, kids, exhaustive, today))
            if key is not None:
                parts.append((_stored_counts(s, start, end, residence, key), {}, []))
        else:
            # one chunk per worker, or pieces of ~10,000 children so a long first run shows progress
            size = min(-(-len(kids) // n), _PROGRESS_STEP)
            chunks = [kids[k : k + size] for k in range(0, len(kids), size)]
            method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
            with ProcessPoolExecutor(n, mp_context=multiprocessing.get_context(method)) as pool:
                futures = [
                    pool.submit(_count, str(db.path), info.code, start, end, c, exhaustive, today) for c in chunks
                ]
                if key is not None:  # meanwhile
                    parts.append((_stored_counts(s, start, end, residence, key), {}, []))
                for k, f in enumerate(futures):
                    parts.append(f.result())
                    if progress:
                        progress(k + 1, len(futures))
    fresh = [row for part in parts for row in part[2]]
    if key is not None and fresh:
        _store(db, gen, key, fresh)
    due: dict[str, Counter[str]] = defaultdict(Counter)
    given: dict[str, Counter[str]] = defaultdict(Counter)
    for part_due, part_given, _fresh in parts:
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


def rate(given: int, due: int) -> str:
    """接种率 as printed: 实种/应种 × 100 %, one decimal; '—' when nothing was due."""
    return f"{100.0 * given / due:.1f}%" if due else "—"


def report_6_2(db: Database, period: str) -> dict[str, Any]:
    """表6-2: non-NIP (or paid) doses given at this unit in the month, by vaccine."""
    start, end = parse_period(period)
    info = unit_info(db)
    cat = catalog()
    counts: Counter[str] = Counter()
    with db.session() as s:
        rows = s.connection().exec_driver_sql(
            "SELECT vaccine_code, free, combination_code, count(*) FROM dose WHERE deleted = 0 AND unit_code = ? "
            "AND date >= ? AND date <= ? GROUP BY vaccine_code, free, combination_code",
            (info.code, start.isoformat(), end.isoformat()),
        )
        for code, free, combo, n in rows:
            vac = cat.get(code)
            if combo:  # part of a combination vaccine: the combination itself is counted
                continue
            if vac is None or not vac.nip or not free:
                counts[code] += n
    items = [{"code": v.code, "vaccine": v.name, "doses": counts[v.code]} for v in cat.sorted() if counts.get(v.code)]
    items += [{"code": c, "vaccine": c, "doses": n} for c, n in sorted(counts.items()) if cat.get(c) is None]
    return {
        "report": "6-2",
        "title": KINDS["6-2"],
        "month": period,
        "unit": info.code,
        "unit_name": info.name,
        "rows": items,
        "total": sum(counts.values()),
    }


def consumption_log(db: Database, period: str) -> dict[str, Any]:
    """疫苗消耗日志: doses given here per day, vaccine and batch."""
    start, end = parse_period(period)
    info = unit_info(db)
    cat = catalog()
    with db.session() as s:
        rows = (
            s.connection()
            .exec_driver_sql(
                "SELECT date, vaccine_code, COALESCE(batch_no, ''), COALESCE(manufacturer, ''), count(*) FROM dose "
                "WHERE deleted = 0 AND unit_code = ? AND date >= ? AND date <= ? "
                "GROUP BY date, vaccine_code, batch_no, manufacturer ORDER BY date, vaccine_code, batch_no",
                (info.code, start.isoformat(), end.isoformat()),
            )
            .all()
        )
    items = []
    for day, code, batch, maker, n in rows:
        vac = cat.get(code)
        items.append(
            {
                "date": day,
                "code": code,
                "vaccine": vac.name if vac else code,
                "batch": batch,
                "manufacturer": maker,
                "doses": n,
            }
        )
    return {
        "report": "consumption",
        "title": KINDS["consumption"],
        "month": period,
        "unit": info.code,
        "unit_name": info.name,
        "rows": items,
        "total": sum(i["doses"] for i in items),
    }


def case_statistics(db: Database, period: str) -> dict[str, Any]:
    """个案统计分析月报: children by status, age group and 区域划分 at month end,
    and the month's new registrations, moves in/out and deaths."""
    start, end = parse_period(period)
    info = unit_info(db)
    with db.session() as s:
        names = _committee_names(s, info.code)
        rows = (
            s.connection()
            .exec_driver_sql(
                "SELECT birth_date, status, committee_id, created_at FROM child WHERE deleted = 0 AND birth_date <= ?",
                (end.isoformat(),),
            )
            .all()
        )
    by_status: Counter[str] = Counter()
    by_age: Counter[str] = Counter()
    by_committee: Counter[str] = Counter()
    new = moved_in = moved_out = dead = 0
    month_end_next = (end + timedelta(days=1)).isoformat()
    for birth, status, comm, created in rows:
        st = Status(status)
        by_status[st.label] += 1
        created_in_month = start.isoformat() <= str(created)[:10] < month_end_next
        if created_in_month:
            new += 1
            moved_in += st == Status.MOVED_IN
        if st.managed:
            by_age[age_group(date.fromisoformat(birth), end)] += 1
            by_committee[names.get(comm, UNASSIGNED) if comm is not None else UNASSIGNED] += 1
    moved_out, dead = _status_changes(db, start, end)
    return {
        "report": "cases",
        "title": KINDS["cases"],
        "month": period,
        "unit": info.code,
        "unit_name": info.name,
        "by_status": {s.label: by_status.get(s.label, 0) for s in Status},
        "managed_by_age": {g: by_age.get(g, 0) for g in AGE_GROUPS},
        "managed_by_committee": {n: by_committee.get(n, 0) for n in [*names.values(), UNASSIGNED]},
        "new_registrations": new,
        "moved_in": moved_in,
        "moved_out": moved_out,
        "deaths": dead,
    }


def _status_changes(db: Database, start: date, end: date) -> tuple[int, int]:
    """Moves out and deaths recorded in the month (from the 在册变更 history when present)."""
    with db.session() as s:
        conn = s.connection()
        has_history = conn.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'status_change'"
        ).first()
        if has_history is None:
            return 0, 0
        rows = conn.exec_driver_sql(
            "SELECT new_status, count(*) FROM status_change WHERE change_date >= ? AND change_date <= ? "
            "GROUP BY new_status",
            (start.isoformat(), end.isoformat()),
        ).all()
    counts: dict[int, int] = {int(k): int(v) for k, v in rows}
    return int(counts.get(int(Status.MOVED_OUT), 0)), int(counts.get(int(Status.DEAD), 0))


_BUILDERS: dict[str, Callable[..., dict[str, Any]]] = {
    "6-1": report_6_1,
    "6-2": report_6_2,
    "consumption": consumption_log,
    "cases": case_statistics,
}


def generate(
    db: Database,
    kind: str,
    period: str,
    *,
    residence: int | None = None,
    user: str | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Compute a report and store it as generated (kind, month, who, when)."""
    if kind not in _BUILDERS:
        raise ValidationError(f"未知报表：“{kind}”（可选：{'、'.join(KINDS)}）")
    if kind == "6-1":
        report = report_6_1(db, period, residence, progress=progress)
    else:
        report = _BUILDERS[kind](db, period)
    params = {"residence": residence} if kind == "6-1" else {}
    with db.transaction() as s:
        s.add(
            ReportRun(
                kind=kind,
                period=period,
                params=json.dumps(params),
                generated_at=datetime.now(),
                generated_by=user,
                payload=json.dumps(report, ensure_ascii=False),
            )
        )
    return report


@dataclass(frozen=True)
class ReportRunInfo:
    kind: str
    period: str
    generated_at: datetime
    generated_by: str | None


def runs_for(db: Database, period: str) -> dict[str, ReportRunInfo]:
    """The latest generation of each report kind for ``period``."""
    with db.session() as s:
        rows = s.scalars(select(ReportRun).where(ReportRun.period == period).order_by(ReportRun.id)).all()
        return {r.kind: ReportRunInfo(r.kind, r.period, r.generated_at, r.generated_by) for r in rows}
