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
from epimanager.domain.schedule.ages import Offset, shift
from epimanager.domain.schedule.model import DoseRule, ScheduleVersion, SeriesRule
from epimanager.domain.schedule.results import (
    DoseEvaluation,
    Evaluation,
    Forecast,
    SeriesForecast,
    SeriesStatus,
)

_TIMELY = Evaluation.TIMELY
_ELIGIBLE = Evaluation.ELIGIBLE
_LATE = Evaluation.LATE
_RELEASED = (Evaluation.EXTRA, Evaluation.AGED_OUT)


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


#: (ordinal, input position, product code, date) of a recorded dose
_Item = tuple[int, int, str, date]


class _BirthAges(dict[Offset, int]):
    """Ordinal of each age for one birth date, computed on first use."""

    __slots__ = ("birth",)

    def __init__(self, birth: int) -> None:
        super().__init__()
        self.birth = birth

    def __missing__(self, age: Offset) -> int:
        value = shift(self.birth, age)
        self[age] = value
        return value


_BIRTH_CACHE_LIMIT = 50_000


class _Run:
    """Mutable state of one forecast (kept small; created per call)."""

    __slots__ = ("ages", "as_of", "birth", "items", "live_bad", "live_ok", "out", "released", "valid")

    def __init__(self, birth: int, ages: _BirthAges, as_of: int, items: list[_Item]) -> None:
        self.birth = birth
        self.ages = ages
        self.as_of = as_of
        self.items = items
        self.out: list[list[DoseEvaluation]] = [[] for _ in items]
        self.live_bad: set[int] = set()
        self.live_ok: list[int] = []  # distinct days of injectable live doses
        self.valid: dict[str, list[int]] = {}
        self.released: set[int] = set()


class ScheduleEngine:
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
        # per version and series: from which ordinal on every earlier version
        # still has the same rule (doses from then on need no version lookup)
        self._same_from: dict[str, dict[str, int]] = {}
        for n, ver in enumerate(self.versions):
            same: dict[str, int] = {}
            for s in ver.series:
                start = self._starts[n]
                for m in range(n - 1, -1, -1):
                    if self.versions[m].by_id.get(s.id) != s:
                        break
                    start = self._starts[m]
                same[s.id] = start if start != self._starts[0] else -1
            self._same_from[ver.id] = same
        self._births: dict[int, _BirthAges] = {}
        self._handover_to: dict[str, dict[str, str]] = {
            ver.id: {s.handover.from_series: s.id for s in ver.series if s.handover is not None}
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

    # -- forecast ---------------------------------------------------------------

    def forecast(
        self,
        birth_date: date,
        as_of: date,
        doses: Iterable[GivenDose],
        sex: str | None = None,
        preferences: Mapping[str, str] | None = None,
        only: AbstractSet[str] | None = None,
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
        """
        now, run, evaluated = self._evaluate(birth_date, as_of, doses, sex, preferences, only)
        spacing = now.live_spacing_days
        live = self._live - now.live_spacing_exempt
        series_out = [self._next(run, s, track, k, valid, spacing, live) for s, track, k, valid in evaluated]
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
                    doses_out.append(DoseEvaluation(it[2], it[3], cf[0], None, Evaluation.NOT_APPLICABLE))
                else:
                    ev = Evaluation.LIVE_SPACING if i in run.live_bad else None
                    doses_out.append(DoseEvaluation(it[2], it[3], None, None, ev))
        return Forecast(as_of, now.id, tuple(series_out), tuple(doses_out))

    def history(
        self,
        birth_date: date,
        as_of: date,
        doses: Iterable[GivenDose],
        sex: str | None = None,
        preferences: Mapping[str, str] | None = None,
    ) -> History:
        """Evaluate ``doses`` (up to ``as_of``) by the schedule in force on ``as_of``, without forecasting.

        :meth:`next_doses` of it gives the series of ``forecast(birth_date, on, doses)``
        for any ``on`` under the same schedule version, as long as no dose lies after ``as_of``.
        """
        now, run, evaluated = self._evaluate(birth_date, as_of, doses, sex, preferences, None)
        return History(
            now.id,
            tuple(run.live_ok),
            {s.id: (track, k, tuple(valid)) for s, track, k, valid in evaluated},
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
        run = _Run(b, ages, b, [])
        run.live_ok = list(history.live_days)
        states = history.series
        run.valid = {sid: list(st[2]) for sid, st in states.items()}
        spacing = now.live_spacing_days
        live = self._live - now.live_spacing_exempt
        first = max(b, after.toordinal() + 1)
        out: list[tuple[SeriesForecast, int, int]] = []
        for s in now.series:
            if s.sex is not None and s.sex != sex:
                continue
            track, k, _v = states[s.id]
            valid = run.valid[s.id]
            rules = s.tracks[track].doses
            nk = _skip(rules, k, valid, ages)
            if nk >= len(rules):
                continue
            max_ord = ages[s.max_age]
            cuts = sorted({ages[pr.age_at_least] for pr in rules[nk].product_rules if pr.age_at_least is not None})
            bounds = [first, *(c for c in cuts if first < c < max_ord), max_ord]
            for lo, hi in pairwise(bounds):
                if lo >= hi:
                    continue
                run.as_of = lo
                sf = self._next(run, s, track, k, valid, spacing, live)
                if sf.earliest is None:
                    continue
                if sf.earliest.toordinal() >= hi:
                    # not due before the range ends (its product was chosen for that later date)
                    continue
                out.append((sf, lo, hi))
        return out

    def _ages(self, b: int) -> _BirthAges:
        ages = self._births.get(b)
        if ages is None:
            if len(self._births) >= _BIRTH_CACHE_LIMIT:
                self._births.clear()
            ages = self._births[b] = _BirthAges(b)
        return ages

    def _evaluate(
        self,
        birth_date: date,
        as_of: date,
        doses: Iterable[GivenDose],
        sex: str | None,
        preferences: Mapping[str, str] | None,
        only: AbstractSet[str] | None,
    ) -> tuple[ScheduleVersion, _Run, list[tuple[SeriesRule, str, int, list[int]]]]:
        """Walk the doses of every (wanted) series: (version in force, run state, per series track/count/valid)."""
        b = birth_date.toordinal()
        a = as_of.toordinal()
        if a < b:
            raise ValueError("预测日期早于出生日期")
        now = self._version(a)
        items: list[_Item] = []
        for seq, d in enumerate(doses):
            day = d.date
            o = day.toordinal()
            if o <= a:
                items.append((o, seq, d.vaccine_code, day))
        items.sort()
        run = _Run(b, self._ages(b), a, items)
        counts = self._counts
        by_series: dict[str, list[int]] = {}
        spacing = now.live_spacing_days
        live = self._live - now.live_spacing_exempt
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

        handover_to = self._handover_to[now.id]
        same_from = self._same_from[now.id]
        evaluated: list[tuple[SeriesRule, str, int, list[int]]] = []
        processed: set[str] = set()
        wanted = None if only is None else self._with_sources(now, only)
        for s in now.series:
            if wanted is not None and s.id not in wanted:
                continue
            idxs = by_series.get(s.id, [])
            if s.sex is not None and s.sex != sex:
                for i in idxs:
                    it = items[i]
                    run.out[i].append(DoseEvaluation(it[2], it[3], s.id, None, Evaluation.NOT_APPLICABLE))
                continue
            h = s.handover
            if h is not None and h.from_series in processed and idxs:
                src = h.from_series
                idxs = [i for i in idxs if i in run.released or src not in counts[items[i][2]]]
            processed.add(s.id)
            track, k, valid = self._walk(run, now, s, idxs, handover_to.get(s.id), same_from[s.id], preferences)
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

    # -- one series ---------------------------------------------------------------

    def _walk(
        self,
        run: _Run,
        now: ScheduleVersion,
        s: SeriesRule,
        idxs: list[int],
        release_to: str | None,
        same_from: int,
        preferences: Mapping[str, str] | None,
    ) -> tuple[str, int, list[int]]:
        """Judge the series' doses in date order: (track, doses counted, ordinals of the valid ones)."""
        sid = s.id
        items = run.items
        ages = run.ages
        track_id: str | None = None
        pt = s.product_track
        for i in idxs:
            track_id = pt.get(items[i][2])
            if track_id is not None:
                break
        if track_id is None:
            pref = preferences.get(sid) if preferences else None
            track_id = pref if pref is not None and pref in s.tracks else s.default_track
        now_track = s.tracks[track_id]
        valid: list[int] = []
        run.valid[sid] = valid
        k = 0
        counts = self._counts
        for i in idxs:
            it = items[i]
            o = it[0]
            sd = s
            rules = now_track.doses
            if o < same_from:
                ver = self._version(o)
                if ver is not now:
                    sd = ver.by_id.get(sid) or s
                    tr = sd.tracks.get(track_id)
                    if tr is not None:
                        rules = tr.doses
                    else:
                        sd = s
            if k < len(rules) and rules[k].skip_if_previous_dose_at_age is not None:
                k = _skip(rules, k, valid, ages)
            ev: Evaluation
            if k >= len(rules):
                ev = Evaluation.EXTRA
            else:
                r = rules[k]
                if it[2] not in r.accepts:
                    ev = Evaluation.WRONG_PRODUCT
                elif o >= ages[sd.max_age]:
                    ev = Evaluation.AGED_OUT
                else:
                    min_date, iv_date, cb = self._window(run, sd, r, k, valid)
                    if r.product_min_age:
                        own = r.product_min_age.get(it[2])
                        if own is not None:
                            min_date = ages[own]
                    if o < min_date:
                        ev = Evaluation.FIRST_DOSE_EARLY if k == 0 else Evaluation.TOO_YOUNG
                    elif o < iv_date:
                        ev = Evaluation.INTERVAL_SHORT
                    elif i in run.live_bad:
                        ev = Evaluation.LIVE_SPACING
                    else:
                        base = min_date if min_date > iv_date else iv_date
                        limit = shift(base, r.timely_within)
                        if cb is not None and limit > cb:
                            limit = cb
                        if o < limit:
                            ev = _TIMELY
                        elif cb is None or o < cb:
                            ev = _ELIGIBLE
                        else:
                            ev = _LATE
            if ev is _TIMELY or ev is _ELIGIBLE or ev is _LATE:
                valid.append(o)
                k += 1
                run.out[i].append(DoseEvaluation(it[2], it[3], sid, k, ev))
            elif release_to is not None and ev in _RELEASED and release_to in counts[it[2]]:
                run.released.add(i)
            else:
                run.out[i].append(DoseEvaluation(it[2], it[3], sid, None, ev))

        return track_id, k, valid

    def _next(
        self,
        run: _Run,
        s: SeriesRule,
        track_id: str,
        k: int,
        valid: list[int],
        spacing: int,
        live: frozenset[str],
    ) -> SeriesForecast:
        """Forecast the series' next dose on ``run.as_of`` by the rules in force then."""
        sid = s.id
        birth = run.birth
        ages = run.ages
        # forecast the next dose by the rules in force on the forecast date
        rules = s.tracks[track_id].doses
        k = _skip(rules, k, valid, ages)
        if k >= len(rules):
            return SeriesForecast(sid, s.name, len(valid), None, None, None, None, SeriesStatus.COMPLETE, track_id)
        r = rules[k]
        a = run.as_of
        max_ord = ages[s.max_age]
        min_date, iv_date, cb = self._window(run, s, r, k, valid)
        earliest = min_date if min_date > iv_date else iv_date
        give_on = earliest if earliest > a else a
        product = r.product
        for pr in r.product_rules:
            if pr.born_before_ord is not None and birth >= pr.born_before_ord:
                continue
            if pr.age_at_least is not None and give_on < ages[pr.age_at_least]:
                continue
            product = pr.product
            break
        live_ok = run.live_ok
        if live_ok and product in live:
            last = live_ok[-1]
            # the same day as the last live dose is fine (unless that day was
            # itself inside an earlier window); otherwise wait out the window
            same_day_ok = len(live_ok) < 2 or last - live_ok[-2] >= spacing
            if not (a == last and earliest <= last and same_day_ok) and earliest < last + spacing:
                earliest = last + spacing
        if a >= max_ord or earliest >= max_ord:
            return SeriesForecast(sid, s.name, len(valid), k + 1, None, None, None, SeriesStatus.AGED_OUT, track_id)
        if earliest > a:
            status = SeriesStatus.NOT_YET
        elif cb is not None and a >= cb:
            status = SeriesStatus.OVERDUE
        else:
            status = SeriesStatus.DUE
        return SeriesForecast(
            sid,
            s.name,
            len(valid),
            k + 1,
            product,
            date.fromordinal(earliest),
            date.fromordinal(cb) if cb is not None else None,
            status,
            track_id,
        )

    def _window(self, run: _Run, s: SeriesRule, r: DoseRule, k: int, valid: list[int]) -> tuple[int, int, int | None]:
        """Minimum-age date, minimum-interval date and complete-before date of a dose."""
        ages = run.ages
        min_off = r.min_age
        cb_off = r.effective_complete_before
        iv = 0
        cb_extra: int | None = None
        if k == 0 and s.handover is not None:
            h = s.handover
            prior = run.valid.get(h.from_series)
            if prior:
                iv = shift(prior[-1], h.min_interval)
            else:
                if h.if_none_min_age is not None:
                    min_off = h.if_none_min_age
                if h.if_none_complete_before is not None:
                    cb_off = h.if_none_complete_before
        n = len(valid)
        for itv in r.intervals:
            fi = itv.from_index
            if fi < 0:
                if not n:
                    continue
                ref = valid[-1]
            elif fi < n:
                ref = valid[fi]
            else:
                continue
            d = shift(ref, itv.minimum)
            iv = max(iv, d)
            if itv.maximum is not None:
                m = shift(ref, itv.maximum)
                if cb_extra is None or m < cb_extra:
                    cb_extra = m
        cb = ages[cb_off] if cb_off is not None else None
        if cb_extra is not None and (cb is None or cb_extra < cb):
            cb = cb_extra
        return ages[min_off], iv, cb


def _skip(rules: tuple[DoseRule, ...], k: int, valid: list[int], ages: _BirthAges) -> int:
    """Advance past doses whose skip condition holds (late-start catch-up)."""
    n = len(rules)
    while k < n and valid:
        sk = rules[k].skip_if_previous_dose_at_age
        if sk is None or valid[-1] < ages[sk]:
            break
        k += 1
    return k
