"""Monthly report rules (pure): 表6-1 columns and how one child counts.

表6-1 (shared/domain/README.md §2.1): a dose of a child counts as 应种 (due)
in month M when its earliest date falls in M, or it became due in the 12
months before M and is still not given (backlog), or it was actually given in
M at this unit.  实种 (given) counts doses given in M at this unit.  HepB 1
"within 24 h" counts a first HepB dose on the birth day or the day after
(records carry dates, not times).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import NamedTuple

from epimanager.domain.catalog import Catalog
from epimanager.domain.dates import add_months, age_in_months
from epimanager.domain.schedule import Given, History, ScheduleEngine, SeriesStatus
from epimanager.domain.schedule.ages import Offset

#: Column keys of 表6-1, in the printed order (DTaP5 and HPV after the classic
#: columns; MR/MM/MV are the legacy measles-containing columns).
COLUMNS_6_1: tuple[str, ...] = (
    "HepB1", "HepB2", "HepB3", "HepB1_24h", "BCG",
    "PV1", "PV2", "PV3", "PV4",
    "DTaP1", "DTaP2", "DTaP3", "DTaP4", "DTaP5", "DT",
    "MMR1", "MMR2", "MR1", "MR2", "MM1", "MM2", "MV1", "MV2",
    "MenA1", "MenA2", "MenAC1", "MenAC2",
    "JEL1", "JEL2", "JEI1", "JEI2", "JEI3", "JEI4",
    "HepAL", "HepAI1", "HepAI2",
    "HPV1", "HPV2",
)  # fmt: skip

COLUMN_LABELS: dict[str, str] = {
    "HepB1": "乙肝1", "HepB2": "乙肝2", "HepB3": "乙肝3", "HepB1_24h": "乙肝1(24h内)", "BCG": "卡介苗",
    "PV1": "脊灰1", "PV2": "脊灰2", "PV3": "脊灰3", "PV4": "脊灰4",
    "DTaP1": "百白破1", "DTaP2": "百白破2", "DTaP3": "百白破3", "DTaP4": "百白破4", "DTaP5": "百白破5",
    "DT": "白破", "MMR1": "麻腮风1", "MMR2": "麻腮风2", "MR1": "麻风1", "MR2": "麻风2",
    "MM1": "麻腮1", "MM2": "麻腮2", "MV1": "麻疹1", "MV2": "麻疹2",
    "MenA1": "A群流脑1", "MenA2": "A群流脑2", "MenAC1": "A+C流脑1", "MenAC2": "A+C流脑2",
    "JEL1": "乙脑减毒1", "JEL2": "乙脑减毒2", "JEI1": "乙脑灭活1", "JEI2": "乙脑灭活2",
    "JEI3": "乙脑灭活3", "JEI4": "乙脑灭活4", "HepAL": "甲肝减毒", "HepAI1": "甲肝灭活1",
    "HepAI2": "甲肝灭活2", "HPV1": "HPV1", "HPV2": "HPV2",
}  # fmt: skip

_MEASLES = {"1201": "MMR", "1401": "MR", "1301": "MM", "0901": "MV"}
_JE_LIVE = {"1801"}
_HEPA_LIVE = {"1901", "1902"}
_DT = {"0601", "0602"}  # DT, and Td from 12 y
BACKLOG_MONTHS = 12


def month_bounds(period: str) -> tuple[date, date]:
    """``"2026-03"`` → (2026-03-01, 2026-03-31); ValueError (Chinese) otherwise."""
    try:
        year_s, month_s = period.strip().split("-")
        start = date(int(year_s), int(month_s), 1)
    except ValueError:
        raise ValueError(f"月份格式不正确：“{period}”（应为 YYYY-MM）") from None
    return start, add_months(start, 1) - timedelta(days=1)


def column_for(series: str, dose_number: int | None, product: str | None) -> str | None:
    """The 表6-1 column a dose (or a due dose) belongs to, or None (not on the form)."""
    if dose_number is None or dose_number < 1:
        return None
    n = dose_number
    col: str | None = None
    if series == "HepB" and n <= 3:
        col = f"HepB{n}"
    elif series == "BCG" and n == 1:
        col = "BCG"
    elif series == "Polio" and n <= 4:
        col = f"PV{n}"
    elif series == "DTaP":
        col = "DT" if product in _DT else (f"DTaP{n}" if n <= 5 else None)
    elif series == "MMR" and n <= 2:
        col = f"{_MEASLES.get(product or '', 'MMR')}{n}"
    elif series in ("MenA", "MenAC") and n <= 2:
        col = f"{series}{n}"
    elif series == "JE":
        if product in _JE_LIVE:
            col = f"JEL{n}" if n <= 2 else None
        else:
            col = f"JEI{n}" if n <= 4 else None
    elif series == "HepA":
        if product in _HEPA_LIVE:
            col = "HepAL" if n == 1 else None
        else:
            col = f"HepAI{n}" if n <= 2 else None
    elif series == "HPV" and n <= 2:
        col = f"HPV{n}"
    return col


class DoseFact(NamedTuple):
    """A recorded dose as the report sees it (the row as SQLite returns it)."""

    vaccine_code: str
    day: str  # ISO date: compared as text, parsed only when forecast
    recorded_number: int
    here: bool  # given at this unit


@lru_cache(maxsize=65536)
def _parse_day(day: str) -> date:
    return date.fromisoformat(day)


@dataclass(frozen=True, slots=True)
class ChildCells:
    due: frozenset[str]
    given: tuple[str, ...]


def _months_range(o: Offset) -> tuple[int, int]:
    """An offset as the whole months it can fall in (days rounded both ways)."""
    return o.months + o.days // 31, o.months + (o.days + 27) // 28


@dataclass(frozen=True, slots=True)
class _SeriesReach:
    id: str
    ages: tuple[tuple[int, int], ...]
    reach_days: int
    codes: frozenset[str]
    live: bool


class ReportWindow:
    """Which series can possibly have a 6-1 cell for a child in the month.

    A dose's earliest date is the latest of: birth + its minimum age, the
    previous dose + an interval (or a hand-over interval), and an injectable
    live dose + the live spacing.  For that date to fall in the backlog window
    [month − 12 months, month end], the child's age must cover one of the
    series' minimum ages, or one of its doses (or its hand-over source's) must
    be recent enough, or a live dose must be recent.  Series failing all three
    cannot count and are not forecast; a test checks the result equals the
    exhaustive computation.
    """

    def __init__(self, engine: ScheduleEngine, catalog: Catalog, start: date, end: date) -> None:
        self.start, self.end = start, end
        self.window_start = add_months(start, -BACKLOG_MONTHS)
        version = engine.version_on(end)
        self.spacing = version.live_spacing_days
        reaches: list[_SeriesReach] = []
        by_id = {s.id: s for s in version.series}
        for s in version.series:
            ages: list[tuple[int, int]] = []
            reach = 0
            for track in s.tracks.values():
                for rule in track.doses:
                    ages.append(_months_range(rule.min_age))
                    for iv in rule.intervals:
                        reach = max(reach, iv.minimum.months * 31 + iv.minimum.days)
            codes = {v.code for v in catalog.for_series(s.id)}
            if s.handover is not None:
                reach = max(reach, s.handover.min_interval.months * 31 + s.handover.min_interval.days)
                if s.handover.if_none_min_age is not None:
                    ages.append(_months_range(s.handover.if_none_min_age))
                src = by_id.get(s.handover.from_series)
                if src is not None:
                    codes |= {v.code for v in catalog.for_series(src.id)}
            live = any(v.live_injectable for v in catalog.for_series(s.id))
            reaches.append(_SeriesReach(s.id, tuple(ages), reach + 31, frozenset(codes), live))
        self._reaches = tuple(reaches)
        ws_ord = self.window_start.toordinal()
        self.start_iso = start.isoformat()
        self.live_from = date.fromordinal(ws_ord - self.spacing - 1).isoformat()
        self._reach_from = {r.id: date.fromordinal(ws_ord - r.reach_days).isoformat() for r in reaches}
        self.earliest_reach = min([*self._reach_from.values(), self.live_from])
        self._live_codes = frozenset(v.code for v in catalog.vaccines if v.live_injectable)
        #: every vaccine whose doses can change a series result (live ones through spacing)
        self.codes = frozenset(c for r in reaches for c in r.codes) | self._live_codes
        self._codes_of = {r.id: r.codes for r in reaches}
        self._relevant: dict[frozenset[str], frozenset[str]] = {}
        self._code_series = {v.code: frozenset(v.counts_for) for v in catalog.vaccines}

    def relevant_codes(self, series: frozenset[str]) -> frozenset[str]:
        """Vaccines whose doses can change these series' results (own, hand-over, live)."""
        got = self._relevant.get(series)
        if got is None:
            codes: set[str] = set(self._live_codes)
            for sid in series:
                codes |= self._codes_of.get(sid, frozenset())
            got = self._relevant[series] = frozenset(codes)
        return got

    def series_for(self, birth: date, doses: Sequence[DoseFact]) -> frozenset[str]:
        ws = self.window_start
        age_lo = age_in_months(birth, ws) - 1 if birth <= ws else -1
        age_hi = age_in_months(birth, self.end) + 1
        out = {r.id for r in self._reaches if any(lo <= age_hi and hi >= age_lo for lo, hi in r.ages)}
        start = self.start_iso
        live_from = self.live_from
        live_recent = False
        for code, day, _n, _here in doses:
            if day >= start:
                out |= self._code_series.get(code, frozenset())
            if day >= live_from and code in self._live_codes:
                live_recent = True
            if day >= self.earliest_reach:
                for r in self._reaches:
                    if r.id not in out and code in r.codes and day >= self._reach_from[r.id]:
                        out.add(r.id)
        if live_recent:
            out |= {r.id for r in self._reaches if r.live}
        return frozenset(out)


def child_cells(
    engine: ScheduleEngine,
    birth: date,
    sex: str | None,
    doses: Sequence[DoseFact],
    start: date,
    end: date,
    preferences: dict[str, str] | None = None,
    window: ReportWindow | None = None,
) -> ChildCells:
    """Which 6-1 cells one child contributes to in the month [start, end].

    ``doses`` are (vaccine, ISO date, recorded dose number, given here) rows.
    With a ``window`` only the series that can possibly count are forecast.
    """
    only: frozenset[str] | None = None
    if window is not None:
        only = window.series_for(birth, doses)
        if not only:
            return ChildCells(frozenset(), ())
        relevant = window.relevant_codes(only)
        doses = [d for d in doses if d[0] in relevant]
    start_iso, end_iso = start.isoformat(), end.isoformat()
    before = [Given(d[0], _parse_day(d[1])) for d in doses if d[1] < start_iso]
    in_month = [d for d in doses if start_iso <= d[1] <= end_iso]
    backlog_from = add_months(start, -BACKLOG_MONTHS)
    due: set[str] = set()
    if end >= birth:
        fc = engine.forecast(birth, end, before, sex, preferences, only)
        for sf in fc.series:
            if sf.status not in (SeriesStatus.DUE, SeriesStatus.OVERDUE) or sf.earliest is None:
                continue
            if sf.earliest >= backlog_from:
                col = column_for(sf.series, sf.next_dose, sf.vaccine)
                if col:
                    due.add(col)
                    if col == "HepB1":
                        due.add("HepB1_24h")
    given: list[str] = []
    here = [d for d in in_month if d[3]]
    if here:
        everything = [Given(d[0], _parse_day(d[1])) for d in doses if d[1] <= end_iso]
        fc_all = engine.forecast(birth, end, everything, sex, preferences, only)
        evaluations: dict[tuple[str, date], list[tuple[str | None, int | None]]] = {}
        for ev in fc_all.doses:
            evaluations.setdefault((ev.vaccine, ev.date), []).append((ev.series, ev.dose_number))
        for code, day, recorded, _here in here:
            for series, number in evaluations.get((code, _parse_day(day)), []):
                if series is None:
                    continue
                col = column_for(series, number if number is not None else recorded, code)
                if col is None:
                    continue
                given.append(col)
                due.add(col)
                if col == "HepB1" and (_parse_day(day) - birth).days <= 1:
                    given.append("HepB1_24h")
                    due.add("HepB1_24h")
    return ChildCells(frozenset(due), tuple(given))


#: open ends of the forecast-date ranges of :func:`due_rows` (ISO, compared as text)
NEVER = "9999-12-31"


def due_rows(
    engine: ScheduleEngine, history: History, birth: date, sex: str | None, after: date
) -> list[tuple[str, str, str, str]]:
    """6-1 due cells of a child with no dose after ``after``, for any month judged by ``history.version``.

    Rows ``(column, earliest, a_from, a_until)`` (ISO days): in a month ending
    on ``end`` with ``a_from <= end < a_until``, the column is 应种 when
    ``earliest`` lies between the backlog start and ``end`` — what
    :func:`child_cells` finds for such a child.
    """
    rows: list[tuple[str, str, str, str]] = []
    for sf, lo, hi in engine.next_doses(history, birth, sex, after):
        col = column_for(sf.series, sf.next_dose, sf.vaccine)
        if col is None or sf.earliest is None:
            continue
        span = (sf.earliest.isoformat(), date.fromordinal(lo).isoformat(), date.fromordinal(hi).isoformat())
        rows.append((col, *span))
        if col == "HepB1":
            rows.append(("HepB1_24h", *span))
    return rows


def age_group(birth: date, on: date) -> str:
    """Age groups of the case statistics report."""
    months = age_in_months(birth, on)
    if months < 12:
        return "<1岁"
    years = months // 12
    if years <= 2:
        return f"{years}岁"
    if years <= 6:
        return "3-6岁"
    if years <= 14:
        return "7-14岁"
    return "15-17岁" if years < 18 else "≥18岁"


AGE_GROUPS = ("<1岁", "1岁", "2岁", "3-6岁", "7-14岁", "15-17岁", "≥18岁")


def sum_columns(rows: Iterable[dict[str, int]]) -> dict[str, int]:
    total = dict.fromkeys(COLUMNS_6_1, 0)
    for r in rows:
        for k, v in r.items():
            total[k] = total.get(k, 0) + v
    return total
