"""One series of one child: walk its doses, then forecast its next dose.

The per-series half of :class:`~epimanager.domain.schedule.engine.ScheduleEngine`
(kept apart so each module stays readable): :class:`SeriesLogic` judges each
dose by the rules in force on its date and forecasts the next one by the rules
in force on the forecast date, with the catch-up rules of the schedule format
(``needs``, ``history_products``, ``track_when``, hand-overs, advice texts,
immunoglobulin waits).  Dates are ordinals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from epimanager.domain.schedule.ages import Offset, shift
from epimanager.domain.schedule.facts import ChildFacts, offset_label
from epimanager.domain.schedule.model import DoseRule, Need, ScheduleVersion, SeriesRule
from epimanager.domain.schedule.results import DoseEvaluation, Evaluation, SeriesForecast, SeriesStatus, make

_TIMELY = Evaluation.TIMELY
_ELIGIBLE = Evaluation.ELIGIBLE
_LATE = Evaluation.LATE
_RELEASED = (Evaluation.EXTRA, Evaluation.AGED_OUT)
# enum members read in the loops (a module global is read faster than a member of an enum class)
_EXTRA = Evaluation.EXTRA
_WRONG_PRODUCT = Evaluation.WRONG_PRODUCT
_AGED_OUT = Evaluation.AGED_OUT
_FIRST_DOSE_EARLY = Evaluation.FIRST_DOSE_EARLY
_TOO_YOUNG = Evaluation.TOO_YOUNG
_INTERVAL_SHORT = Evaluation.INTERVAL_SHORT
_LIVE_SPACING = Evaluation.LIVE_SPACING
_IG_SPACING = Evaluation.IG_SPACING
_COMPLETE = SeriesStatus.COMPLETE
_NOT_YET = SeriesStatus.NOT_YET
_OVERDUE = SeriesStatus.OVERDUE
_DUE = SeriesStatus.DUE
_SERIES_AGED_OUT = SeriesStatus.AGED_OUT

#: (ordinal, input position, product code, date) of a recorded dose
Item = tuple[int, int, str, date]


class BirthAges(dict[Offset, int]):
    """Ordinal of each age for one birth date, computed on first use."""

    __slots__ = ("birth",)

    def __init__(self, birth: int) -> None:
        super().__init__()
        self.birth = birth

    def __missing__(self, age: Offset) -> int:
        value = shift(self.birth, age)
        self[age] = value
        return value


BIRTH_CACHE_LIMIT = 50_000


class Run:
    """Mutable state of one forecast (kept small; created per call)."""

    __slots__ = (
        "ages",
        "as_of",
        "birth",
        "codes",
        "facts",
        "ig",
        "items",
        "keep_seen",
        "live_bad",
        "live_ok",
        "needs",
        "out",
        "released",
        "seen",
        "state",
        "valid",
    )

    def __init__(self, birth: int, ages: BirthAges, as_of: int, items: list[Item], facts: ChildFacts) -> None:
        self.birth = birth
        self.ages = ages
        self.as_of = as_of
        self.items = items
        self.facts = facts
        #: (ordinal, product) of immunoglobulin / blood products up to the forecast date
        self.ig = (
            sorted((g.date.toordinal(), g.product) for g in facts.immunoglobulin if g.date.toordinal() <= as_of)
            if facts.immunoglobulin
            else []
        )
        self.out: list[list[DoseEvaluation]] = [[] for _ in items]
        self.live_bad: set[int] = set()
        self.live_ok: list[int] = []  # distinct days of injectable live doses
        self.valid: dict[str, list[int]] = {}
        self.codes: dict[str, list[str]] = {}  # products of the valid doses, per series
        #: every product recorded for the series (only where a rule reads it, unless ``keep_seen``)
        self.seen: dict[str, frozenset[str]] = {}
        self.keep_seen = False
        self.state: dict[str, tuple[str, int]] = {}  # track and doses counted, per series
        #: the needs that apply to the child, per series with needs (noted by the walk)
        self.needs: dict[str, tuple[Need, ...]] = {}
        self.released: set[int] = set()


class SeriesLogic:
    """Walk and forecast one series (mixed into the engine, which provides the lookups)."""

    _counts: dict[str, tuple[str, ...]]
    #: id() of a series rule with a hand-over → the series it takes over from (same version)
    _from_rule: dict[int, SeriesRule]
    #: per version and series: the ordinals [from, until) whose version has an equal rule (-1: since the first)
    _same_span: dict[str, dict[str, tuple[int, int]]]

    def _version(self, ordinal: int) -> ScheduleVersion:
        raise NotImplementedError

    def _era(self, ordinal: int) -> tuple[ScheduleVersion, int, int]:
        raise NotImplementedError

    def _walk(
        self,
        run: Run,
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
        if track_id is None and s.track_when:
            for cond, tid in s.track_when:
                if cond.matches(run.facts, run.birth):
                    track_id = tid
                    break
        if track_id is None:
            pref = preferences.get(sid) if preferences else None
            track_id = pref if pref is not None and pref in s.tracks else s.default_track
        now_rules = s.tracks[track_id].doses
        now_max = ages[s.max_age]
        valid: list[int] = []
        codes: list[str] = []
        run.valid[sid] = valid
        run.codes[sid] = codes
        if s.needs or s.history_products or run.keep_seen:
            run.seen[sid] = frozenset([items[i][2] for i in idxs])
        # the needs that apply to this child (its facts and recorded products do not change during the walk)
        needs = run.needs[sid] = self._needs(s, run) if s.needs else ()
        k = 0
        closed = False
        counts = self._counts
        ig_wait = now.ig_wait if run.ig else None
        live_bad = run.live_bad
        out = run.out
        unmet: tuple[Need, int] | None = None
        need: Need | None = None
        hurry = False
        # the rules of the version in force from era_from until era_until: (series rule, doses, maximum age)
        era_from = era_until = 0
        era = (s, now_rules, now_max)
        for i in idxs:
            it = items[i]
            o = it[0]
            code = it[2]
            if o < same_from:  # judged by the rules of the version in force on the dose's date
                if not era_from <= o < era_until:  # doses come in date order: look up each version once
                    ver, era_from, era_until = self._era(o)
                    era = (s, now_rules, now_max)
                    if ver is not now:
                        old = ver.by_id.get(sid) or s
                        tr = old.tracks.get(track_id)
                        if tr is not None:
                            era = (old, tr.doses, ages[old.max_age])
                sd, rules, max_ord = era
            else:
                sd = s
                rules = now_rules
                max_ord = now_max
            n_rules = len(rules)
            if k < n_rules and valid and rules[k].skips:
                k = skip_doses(rules, k, valid, ages)
            if needs:
                unmet = _missing(needs, codes)
                need = unmet[0] if unmet is not None else None
                # a need hurries the missing dose only when the track's remaining doses are all it has left
                hurry = unmet is not None and unmet[0].early and n_rules - k <= unmet[1]
            ev: Evaluation
            r: DoseRule | None = None
            if closed or k >= n_rules:
                if need is not None and code in need.products:
                    r = need.rule
                else:
                    ev = _EXTRA
            else:
                r = rules[k]
            if r is not None:
                if code not in r.accepts:
                    ev = _WRONG_PRODUCT
                elif o >= max_ord:
                    ev = _AGED_OUT
                else:
                    min_date, iv_date, cb = self._window(run, sd, r, k, valid, o)
                    if r.product_min_age:
                        own = r.product_min_age.get(code)
                        if own is not None:
                            min_date = ages[own]
                    if hurry or r.early_course is not None:
                        min_date = _earlier_min(r, need if hurry else None, code, codes, ages, min_date)
                    if o < min_date:
                        ev = _FIRST_DOSE_EARLY if k == 0 else _TOO_YOUNG
                    elif o < iv_date:
                        ev = _INTERVAL_SHORT
                    elif i in live_bad:
                        ev = _LIVE_SPACING
                    elif ig_wait and _ig_blocks(run, ig_wait, code, o):
                        ev = _IG_SPACING
                    elif cb is not None and o >= cb:
                        ev = _LATE
                    else:
                        limit = shift(min_date if min_date > iv_date else iv_date, r.timely_within)
                        if cb is None:
                            ev = _TIMELY if o < limit else _ELIGIBLE
                        elif o < limit and o < cb:
                            ev = _TIMELY
                        else:
                            ev = _ELIGIBLE if o < cb else _LATE
            if ev is _TIMELY or ev is _ELIGIBLE or ev is _LATE:
                valid.append(o)
                codes.append(code)
                k += 1
                note = None
                if r is not None and r.advice:
                    texts = [a.text for a in r.advice if a.record and a.applies(run.facts, run.birth, o, None)]
                    note = "；".join(texts) or None
                out[i].append(make(DoseEvaluation, (code, it[3], sid, k, ev, note)))
                if not closed and (k >= n_rules or (rules[k].skips and skip_doses(rules, k, valid, ages) >= n_rules)):
                    # complete under the rules of the dose that completed it: a later
                    # version never reopens the course
                    closed = not needs or _missing(needs, codes) is None
            elif release_to is not None and ev in _RELEASED and release_to in counts[code]:
                run.released.add(i)
            else:
                out[i].append(make(DoseEvaluation, (code, it[3], sid, None, ev, None)))
        run.state[sid] = (track_id, k)
        return track_id, k, valid

    def _next(
        self,
        run: Run,
        now: ScheduleVersion,
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
        rules = s.tracks[track_id].doses
        n_rules = len(rules)
        counted = k
        if valid and k < n_rules and rules[k].skips:
            k = skip_doses(rules, k, valid, ages)
        done = k >= n_rules
        if not done and valid:
            # a course complete under the rules in force when its last dose was given stays complete
            # (only a version with a rule other than this one can say so)
            same_lo, same_hi = self._same_span[now.id][sid]
            if not same_lo <= valid[-1] < same_hi:
                old = self._version(valid[-1]).by_id.get(sid)
                if old is not None and old is not s:
                    tr = old.tracks.get(track_id)
                    if tr is not None and skip_doses(tr.doses, counted, valid, ages) >= len(tr.doses):
                        done = True
        unmet = None
        if s.needs:
            needs = run.needs.get(sid)
            if needs is None:
                needs = self._needs(s, run)
            if needs:
                unmet = _missing(needs, run.codes.get(sid, ()))
        need = unmet[0] if unmet is not None else None
        if done and need is None:
            return make(SeriesForecast, (sid, s.name, len(valid), None, None, None, None, _COMPLETE, track_id, ()))
        r = need.rule if done and need is not None else rules[k]
        a = run.as_of
        max_ord = ages[s.max_age]
        min_date, iv_date, cb = self._window(run, s, r, k, valid, a)
        product = r.product
        if need is not None:
            product = need.product
            if unmet is not None and need.early and n_rules - k <= unmet[1] and min_date > ages[need.rule.min_age]:
                min_date = ages[need.rule.min_age]
        earliest = min_date if min_date > iv_date else iv_date
        if need is None:
            if r.product_rules:
                give_on = earliest if earliest > a else a
                for pr in r.product_rules:
                    if pr.born_before_ord is not None and birth >= pr.born_before_ord:
                        continue
                    if pr.age_at_least is not None and give_on < ages[pr.age_at_least]:
                        continue
                    product = pr.product
                    break
            if s.history_products:
                seen = run.seen.get(sid, frozenset())
                for hp in s.history_products:
                    if not hp.any_of.isdisjoint(seen) and hp.none_of.isdisjoint(seen):
                        product = hp.product
                        break
        notes: tuple[str, ...] = ()
        live_ok = run.live_ok
        if live_ok and product in live:
            last = live_ok[-1]
            # the same day as the last live dose is fine (unless that day was
            # itself inside an earlier window); otherwise wait out the window
            same_day_ok = len(live_ok) < 2 or last - live_ok[-2] >= spacing
            if not (a == last and earliest <= last and same_day_ok) and earliest < last + spacing:
                earliest = last + spacing
        if run.ig:
            wait = now.ig_wait.get(product)
            if wait is not None:
                ig_day, ig_product = run.ig[-1]
                until = shift(ig_day, wait)
                if until > earliest:  # the reason for the later date, shown with the forecast
                    earliest = until
                    notes = (
                        f"{ig_product}（{date.fromordinal(ig_day).isoformat()}）后需间隔{offset_label(wait)}"
                        f"，{date.fromordinal(until).isoformat()}起可种",
                    )
        if a >= max_ord or earliest >= max_ord:
            return make(
                SeriesForecast, (sid, s.name, len(valid), None, None, None, None, _SERIES_AGED_OUT, track_id, ())
            )
        if earliest > a:
            status = _NOT_YET
        elif cb is not None and a >= cb:
            status = _OVERDUE
        else:
            status = _DUE
        if r.advice:
            on = earliest if earliest > a else a
            for adv in r.advice:
                start = ages[adv.from_age] if adv.from_age is not None else None
                if adv.applies(run.facts, birth, on, start):
                    notes = (*notes, adv.text)
        return make(
            SeriesForecast,
            (
                sid,
                s.name,
                len(valid),
                k + 1,
                product,
                date.fromordinal(earliest),
                date.fromordinal(cb) if cb is not None else None,
                status,
                track_id,
                notes,
            ),
        )

    def _window(
        self, run: Run, s: SeriesRule, r: DoseRule, k: int, valid: list[int], at: int
    ) -> tuple[int, int, int | None]:
        """Minimum-age date, minimum-interval date and complete-before date of a dose judged on ``at``."""
        ages = run.ages
        min_off = r.min_age
        cb_off = r.effective_complete_before
        iv = 0
        cb_extra: int | None = None
        if k == 0 and s.handover is not None:
            min_off, cb_off, iv = self._handover(run, s, r, at)
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
            if itv.from_age is not None and ref < ages[itv.from_age]:
                continue
            d = shift(ref, itv.minimum)
            iv = d if d > iv else iv
            if itv.maximum is not None:
                m = shift(ref, itv.maximum)
                if cb_extra is None or m < cb_extra:
                    cb_extra = m
        cb = ages[cb_off] if cb_off is not None else None
        if cb_extra is not None and (cb is None or cb_extra < cb):
            cb = cb_extra
        return ages[min_off], iv, cb

    def _handover(self, run: Run, s: SeriesRule, r: DoseRule, at: int) -> tuple[Offset, Offset | None, int]:
        """Dose 1's minimum age, complete-before age and earliest date after the series handed over from.

        While the child can still finish that series, dose 1 keeps its own ages;
        once it cannot (aged out, or its next dose would come too late), the
        hand-over's ``if_none`` / ``if_partial`` ages apply.
        """
        h = s.handover
        assert h is not None
        src = self._from_rule[id(s)]
        ages = run.ages
        prior = run.valid.get(h.from_series) or []
        if prior and prior[-1] > at:
            prior = [v for v in prior if v <= at]
        state = run.state.get(h.from_series)
        track = src.tracks.get(state[0]) if state else None
        rules = (track or src.tracks[src.default_track]).doses
        nk = skip_doses(rules, len(prior), prior, ages)
        own = (r.min_age, r.effective_complete_before)
        if nk >= len(rules):
            return *own, shift(prior[-1], h.min_interval)
        max_from = ages[src.max_age]
        if at < max_from:
            mn, ivd, _cb = self._window(run, src, rules[nk], nk, prior, at)
            if (mn if mn > ivd else ivd) < max_from:
                return *own, shift(prior[-1], h.min_interval) if prior else 0
        if not prior:
            return (
                h.if_none_min_age if h.if_none_min_age is not None else own[0],
                h.if_none_complete_before if h.if_none_complete_before is not None else own[1],
                0,
            )
        gap = h.if_partial_min_interval if h.if_partial_min_interval is not None else h.min_interval
        return (
            h.if_partial_min_age if h.if_partial_min_age is not None else own[0],
            h.if_partial_complete_before if h.if_partial_complete_before is not None else own[1],
            shift(prior[-1], gap),
        )

    @classmethod
    def _unmet(cls, s: SeriesRule, run: Run) -> tuple[Need, int] | None:
        """The first of the series' ``needs`` the child's valid doses do not meet yet, and how many doses it lacks."""
        return _missing(cls._needs(s, run), run.codes.get(s.id, ()))

    @staticmethod
    def _needs(s: SeriesRule, run: Run) -> tuple[Need, ...]:
        """The series' ``needs`` that apply to this child: its facts match, no recorded product waives them."""
        seen = run.seen.get(s.id, frozenset())
        out: list[Need] = []
        for n in s.needs:
            if n.when is not None and not n.when.matches(run.facts, run.birth):
                continue
            if n.waived_by and not n.waived_by.isdisjoint(seen):
                continue
            out.append(n)
        return tuple(out)


def _missing(needs: tuple[Need, ...], codes: Sequence[str]) -> tuple[Need, int] | None:
    """The first of ``needs`` the products of the valid doses do not meet, and how many doses it lacks."""
    for n in needs:
        have = 0
        for c in codes:
            if c in n.products:
                have += 1
        if n.count > have:
            return n, n.count - have
    return None


def _earlier_min(r: DoseRule, need: Need | None, code: str, codes: list[str], ages: BirthAges, min_date: int) -> int:
    """The dose's minimum-age date, lowered for a course per the insert or a dose a need hurries."""
    ec = r.early_course
    if ec is not None and code in ec[0] and codes and all(c in ec[0] for c in codes):
        e = ages[ec[1]]
        min_date = min(min_date, e)
    if need is not None and need.early and r is not need.rule and code in need.products:
        e = ages[need.rule.min_age]
        min_date = min(min_date, e)
    return min_date


def _ig_blocks(run: Run, wait: Mapping[str, Offset], code: str, o: int) -> bool:
    """Was this dose given within its wait after an immunoglobulin / blood product?"""
    w = wait.get(code)
    if w is None:
        return False
    return any(day <= o < shift(day, w) for day, _p in run.ig)


def skip_doses(rules: tuple[DoseRule, ...], k: int, valid: list[int], ages: BirthAges) -> int:
    """Advance past doses whose skip condition holds (late-start catch-up)."""
    n = len(rules)
    while k < n and valid:
        r = rules[k]
        sk = r.skip_if_previous_dose_at_age
        if sk is not None and valid[-1] >= ages[sk]:
            k += 1
            continue
        sd = r.skip_if_dose_at_age
        if sd is not None and sd[0] < len(valid) and valid[sd[0]] >= ages[sd[1]]:
            k += 1
            continue
        break
    return k
