"""The schedule engine: evaluate a child's doses and forecast the next ones.

Modelled on CDSi / ICE.  For each series of the schedule in force on the
forecast date, the child's doses that count for it are walked in date order.
A dose is judged by the rules in force on its own date; it is skipped (not
counted) when given before its minimum age, before the minimum interval from
an earlier valid dose, within the live-vaccine spacing window, past the
series' maximum age, with a product the dose does not accept, or after the
series is complete.  The next dose is then forecast by the rules in force on
the forecast date.

All dates are handled as ordinals; month steps are memoised
(:func:`~epimanager.domain.schedule.ages.shift`), so a forecast is integer
arithmetic over the compiled data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from datetime import date
from itertools import pairwise
from typing import NamedTuple, Protocol

from epimanager.domain.catalog import Catalog
from epimanager.domain.schedule.facts import NO_FACTS, ChildFacts
from epimanager.domain.schedule.model import ScheduleVersion, SeriesRule
from epimanager.domain.schedule.results import (
    DoseEvaluation,
    Evaluation,
    Forecast,
    SeriesForecast,
    make,
)
from epimanager.domain.schedule.walk import BIRTH_CACHE_LIMIT, BirthAges, Item, Run, SeriesLogic, skip_doses

#: an ordinal after every date
_NEVER = date.max.toordinal() + 1
#: the doses of a series the child has none of (never changed)
_NO_DOSES: list[int] = []


class GivenDose(Protocol):
    """Anything with a 4-digit ``vaccine_code`` and a ``date`` (ORM rows, DTOs)."""

    @property
    def vaccine_code(self) -> str: ...

    @property
    def date(self) -> date: ...


class Given(NamedTuple):
    """A recorded dose: product code and date."""

    vaccine_code: str
    date: date


class History(NamedTuple):
    """A child's evaluated dose history, independent of the forecast date.

    What :meth:`ScheduleEngine.next_doses` needs to forecast the next dose
    of each series on any date judged by the same schedule version
    (``version``), as long as no dose is added, changed or removed: per series
    (track, doses counted so far, ordinals of the valid doses), and the
    ordinals of the injectable live doses (for the spacing rule).  Plain
    values, so it can be stored (reports keep one per child).
    """

    version: str
    live_days: tuple[int, ...]
    series: Mapping[str, tuple[str, int, tuple[int, ...]]]
    #: per series: product codes of the valid doses, and every product recorded for it
    products: Mapping[str, tuple[tuple[str, ...], frozenset[str]]] = {}
    facts: ChildFacts = NO_FACTS


class ScheduleEngine(SeriesLogic):
    """Evaluates and forecasts against a set of schedule versions.

    Build it once (the services cache one per process) and call
    :meth:`forecast` as often as needed; it is immutable and thread-safe.
    """

    def __init__(self, versions: Sequence[ScheduleVersion], catalog: Catalog) -> None:
        if not versions:
            raise ValueError("没有免疫程序数据")
        self.versions: tuple[ScheduleVersion, ...] = tuple(sorted(versions, key=lambda v: v.effective_from))
        self.catalog = catalog
        self._starts = [v.effective_from.toordinal() for v in self.versions]
        self._index = {v.id: n for n, v in enumerate(self.versions)}
        self._counts: dict[str, tuple[str, ...]] = {v.code: v.counts_for for v in catalog.vaccines}
        self._live: frozenset[str] = frozenset(v.code for v in catalog.vaccines if v.live_injectable)
        #: per version: the injectable live products the spacing rule applies to
        self._spaced: dict[str, frozenset[str]] = {v.id: self._live - v.live_spacing_exempt for v in self.versions}
        # per version and series: from which ordinal on every earlier version
        # still has the same rule (doses from then on need no version lookup)
        self._same_from: dict[str, dict[str, int]] = {}
        # ... and until which ordinal every later version still has it
        self._same_span: dict[str, dict[str, tuple[int, int]]] = {}
        for n, ver in enumerate(self.versions):
            same: dict[str, int] = {}
            span: dict[str, tuple[int, int]] = {}
            for s in ver.series:
                start = self._starts[n]
                for m in range(n - 1, -1, -1):
                    if self.versions[m].by_id.get(s.id) != s:
                        break
                    start = self._starts[m]
                same[s.id] = start if start != self._starts[0] else -1
                until = _NEVER
                for m in range(n + 1, len(self.versions)):
                    if self.versions[m].by_id.get(s.id) != s:
                        until = self._starts[m]
                        break
                span[s.id] = (same[s.id], until)
            self._same_from[ver.id] = same
            self._same_span[ver.id] = span
        self._births: dict[int, BirthAges] = {}
        self._from_rule = {
            id(s): ver.by_id[s.handover.from_series] for ver in self.versions for s in ver.series if s.handover
        }
        handover_to: dict[str, dict[str, str]] = {
            ver.id: {s.handover.from_series: s.id for s in ver.series if s.handover is not None}
            for ver in self.versions
        }
        #: per version, each series with what its walk needs: (rule, id, series it releases doses to, same_from)
        self._plan: dict[str, tuple[tuple[SeriesRule, str, str | None, int], ...]] = {
            ver.id: tuple((s, s.id, handover_to[ver.id].get(s.id), self._same_from[ver.id][s.id]) for s in ver.series)
            for ver in self.versions
        }

    # -- versions ---------------------------------------------------------------

    def version_on(self, day: date) -> ScheduleVersion:
        """The schedule version in force on ``day`` (the earliest one before it)."""
        return self._version(day.toordinal())

    def _version(self, ordinal: int) -> ScheduleVersion:
        starts = self._starts
        i = len(starts) - 1
        while i > 0 and starts[i] > ordinal:
            i -= 1
        return self.versions[i]

    def _era(self, ordinal: int) -> tuple[ScheduleVersion, int, int]:
        """The version in force on ``ordinal`` and the ordinals it is in force for: [from, until)."""
        starts = self._starts
        i = len(starts) - 1
        while i > 0 and starts[i] > ordinal:
            i -= 1
        return (
            self.versions[i],
            starts[i] if i > 0 else -_NEVER,
            starts[i + 1] if i + 1 < len(starts) else _NEVER,
        )

    # -- forecast ---------------------------------------------------------------

    def forecast(
        self,
        birth_date: date,
        as_of: date,
        doses: Iterable[GivenDose],
        sex: str | None = None,
        preferences: Mapping[str, str] | None = None,
        only: AbstractSet[str] | None = None,
        facts: ChildFacts | None = None,
    ) -> Forecast:
        """Evaluate ``doses`` and forecast every series on ``as_of``.

        ``sex`` is ``"1"`` (male) / ``"2"`` (female) or None when unknown; a
        sex-restricted series (HPV) is only forecast when the sex matches.
        ``preferences`` maps a series to the unit's default track for a child
        who has none of its doses yet (e.g. ``{"JE": "JE-I"}``); otherwise the
        series' ``default_track`` (JE-L, HepA-L).  Doses after ``as_of`` are
        ignored.

        ``only`` limits the forecast to those series (plus the series they take
        over from, e.g. MenA for MenAC, so their results are exactly those of a
        full forecast); the others are left out of ``series`` and their doses
        are marked not applicable.  Reports use it to skip series that cannot
        matter in their window.

        ``facts`` are the child's clinical facts (mother's HBsAg, birth weight,
        immunoglobulin given) used by the rules that depend on them.
        """
        now, run, evaluated = self._evaluate(birth_date, as_of, doses, sex, preferences, only, facts)
        spacing = now.live_spacing_days
        live = self._spaced[now.id]
        series_out = [self._next(run, now, s, track, k, valid, spacing, live) for s, track, k, valid in evaluated]
        items = run.items
        counts = self._counts
        doses_out: list[DoseEvaluation] = []
        for i, it in enumerate(items):
            res = run.out[i]
            if res:
                doses_out.extend(res)
            else:
                cf = counts.get(it[2], ())
                if cf:  # counts for a series not in force / not forecast
                    doses_out.append(make(DoseEvaluation, (it[2], it[3], cf[0], None, Evaluation.NOT_APPLICABLE, None)))
                else:
                    ev = Evaluation.LIVE_SPACING if i in run.live_bad else None
                    doses_out.append(make(DoseEvaluation, (it[2], it[3], None, None, ev, None)))
        return Forecast(as_of, now.id, tuple(series_out), tuple(doses_out))

    def history(
        self,
        birth_date: date,
        as_of: date,
        doses: Iterable[GivenDose],
        sex: str | None = None,
        preferences: Mapping[str, str] | None = None,
        facts: ChildFacts | None = None,
    ) -> History:
        """Evaluate ``doses`` (up to ``as_of``) by the schedule in force on ``as_of``, without forecasting.

        :meth:`next_doses` of it gives the series of ``forecast(birth_date, on, doses)``
        for any ``on`` under the same schedule version, as long as no dose lies after ``as_of``.
        """
        now, run, evaluated = self._evaluate(birth_date, as_of, doses, sex, preferences, None, facts, keep_seen=True)
        return History(
            now.id,
            tuple(run.live_ok),
            {s.id: (track, k, tuple(valid)) for s, track, k, valid in evaluated},
            {s.id: (tuple(run.codes[s.id]), run.seen[s.id]) for s, _t, _k, _v in evaluated},
            run.facts,
        )

    def version_span(self, version_id: str) -> tuple[date, date | None]:
        """The dates a schedule version is in force: from, and until (exclusive; None = still)."""
        n = self._index[version_id]
        until = self.versions[n + 1].effective_from if n + 1 < len(self.versions) else None
        return self.versions[n].effective_from, until

    def next_doses(
        self, history: History, birth_date: date, sex: str | None, after: date
    ) -> list[tuple[SeriesForecast, int, int]]:
        """The next dose of each series for every forecast date after ``after``, as ordinal ranges.

        Each item ``(forecast, a_from, a_until)`` is what :meth:`forecast` says
        of the series on any date ``a`` with ``a_from <= a < a_until`` and
        ``a >= forecast.earliest`` (due or overdue then; not yet before), for a
        child with no dose after ``after``, judged by ``history.version``.  A
        series splits where the product changes with age (DTaP → DT); it ends
        at its maximum age.  Reports store these so a month needs no forecast.
        """
        b = birth_date.toordinal()
        now = self.versions[self._index[history.version]]
        ages = self._ages(b)
        run = Run(b, ages, b, [], history.facts)
        run.ig = sorted((g.date.toordinal(), g.product) for g in history.facts.immunoglobulin)
        run.live_ok = list(history.live_days)
        states = history.series
        run.valid = {sid: list(st[2]) for sid, st in states.items()}
        run.state = {sid: (st[0], st[1]) for sid, st in states.items()}
        for sid, (codes, seen) in history.products.items():
            run.codes[sid] = list(codes)
            run.seen[sid] = seen
        spacing = now.live_spacing_days
        live = self._spaced[now.id]
        first = max(b, after.toordinal() + 1)
        out: list[tuple[SeriesForecast, int, int]] = []
        for s in now.series:
            if s.sex is not None and s.sex != sex:
                continue
            track, k, _v = states[s.id]
            valid = run.valid[s.id]
            rules = s.tracks[track].doses
            nk = skip_doses(rules, k, valid, ages)
            if nk >= len(rules) and not s.needs:
                continue
            max_ord = ages[s.max_age]
            cuts = (
                {ages[pr.age_at_least] for pr in rules[nk].product_rules if pr.age_at_least is not None}
                if (nk < len(rules))
                else set()
            )
            if nk < len(rules):
                # advice texts start at an age (BCG: PPD test from 3 m)
                cuts |= {ages[a.from_age] for a in rules[nk].advice if a.from_age is not None}
            if s.handover is not None:
                # dose 1 changes once the series handed over from can no longer be finished
                cuts.add(ages[now.by_id[s.handover.from_series].max_age])
            bounds = [first, *(c for c in sorted(cuts) if first < c < max_ord), max_ord]
            for lo, hi in pairwise(bounds):
                if lo >= hi:
                    continue
                run.as_of = lo
                sf = self._next(run, now, s, track, k, valid, spacing, live)
                if sf.earliest is None:
                    continue
                if sf.earliest.toordinal() >= hi:
                    # not due before the range ends (its product was chosen for that later date)
                    continue
                out.append((sf, lo, hi))
        return out

    def _ages(self, b: int) -> BirthAges:
        ages = self._births.get(b)
        if ages is None:
            if len(self._births) >= BIRTH_CACHE_LIMIT:
                self._births.clear()
            ages = self._births[b] = BirthAges(b)
        return ages

    def _evaluate(
        self,
        birth_date: date,
        as_of: date,
        doses: Iterable[GivenDose],
        sex: str | None,
        preferences: Mapping[str, str] | None,
        only: AbstractSet[str] | None,
        facts: ChildFacts | None = None,
        keep_seen: bool = False,
    ) -> tuple[ScheduleVersion, Run, list[tuple[SeriesRule, str, int, list[int]]]]:
        """Walk the doses of every (wanted) series: (version in force, run state, per series track/count/valid).

        ``keep_seen``: note every series' recorded products in ``run.seen`` (a forecast notes them only
        for the series whose rules read them).
        """
        b = birth_date.toordinal()
        a = as_of.toordinal()
        if a < b:
            raise ValueError("预测日期早于出生日期")
        now = self._version(a)
        items: list[Item] = [(d.date.toordinal(), seq, d.vaccine_code, d.date) for seq, d in enumerate(doses)]
        items.sort()
        while items and items[-1][0] > a:  # after the forecast date: ignored
            items.pop()
        run = Run(b, self._ages(b), a, items, facts or NO_FACTS)
        run.keep_seen = keep_seen
        counts = self._counts
        by_series: dict[str, list[int]] = {}
        spacing = now.live_spacing_days
        live = self._spaced[now.id]
        live_ok = run.live_ok
        for i, it in enumerate(items):
            for sid in counts.get(it[2], ()):
                lst = by_series.get(sid)
                if lst is None:
                    by_series[sid] = [i]
                else:
                    lst.append(i)
            if it[2] in live:
                # every administered injectable live dose counts (even an invalid
                # one); live_ok holds the distinct days, so only the latest
                # earlier day can conflict
                o = it[0]
                if live_ok and live_ok[-1] == o:
                    ref = live_ok[-2] if len(live_ok) > 1 else None
                else:
                    ref = live_ok[-1] if live_ok else None
                    live_ok.append(o)
                if ref is not None and o - ref < spacing:
                    run.live_bad.add(i)

        evaluated: list[tuple[SeriesRule, str, int, list[int]]] = []
        processed: set[str] = set()
        wanted = None if only is None else self._with_sources(now, only)
        for s, sid, release_to, same_from in self._plan[now.id]:
            if wanted is not None and sid not in wanted:
                continue
            idxs = by_series.get(sid, _NO_DOSES)
            if s.sex is not None and s.sex != sex:
                for i in idxs:
                    it = items[i]
                    run.out[i].append(make(DoseEvaluation, (it[2], it[3], sid, None, Evaluation.NOT_APPLICABLE, None)))
                continue
            h = s.handover
            if h is not None and h.from_series in processed and idxs:
                src = h.from_series
                idxs = [i for i in idxs if i in run.released or src not in counts[items[i][2]]]
            processed.add(sid)
            track, k, valid = self._walk(run, now, s, idxs, release_to, same_from, preferences)
            evaluated.append((s, track, k, valid))
        return now, run, evaluated

    @staticmethod
    def _with_sources(now: ScheduleVersion, only: AbstractSet[str]) -> frozenset[str]:
        wanted = set(only)
        grew = True
        while grew:  # hand-overs may chain
            grew = False
            for s in now.series:
                if s.id in wanted and s.handover is not None and s.handover.from_series not in wanted:
                    wanted.add(s.handover.from_series)
                    grew = True
        return frozenset(wanted)
