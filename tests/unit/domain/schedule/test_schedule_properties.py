"""Properties: following the engine's own earliest dates gives valid doses, and
it never proposes a dose before that dose's minimum age."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from epimanager.domain.dates import add_months
from epimanager.domain.schedule import ChildFacts, Given, Immunoglobulin, ScheduleEngine, SeriesStatus
from epimanager.domain.schedule.ages import Offset

births = st.dates(min_value=date(2015, 1, 1), max_value=date(2026, 12, 31))
sexes = st.sampled_from(["1", "2", None])
prefs = st.fixed_dictionaries({"JE": st.sampled_from(["JE-L", "JE-I"]), "HepA": st.sampled_from(["HepA-L", "HepA-I"])})
# start following the engine at birth or later (catch-up), in days
starts = st.integers(min_value=0, max_value=17 * 366)
OPEN = (SeriesStatus.DUE, SeriesStatus.OVERDUE, SeriesStatus.NOT_YET)
# clinical facts: mother's HBsAg, birth weight, immunoglobulin given (days after birth)
facts_st = st.builds(
    lambda hbsag, weight, ig: (hbsag, weight, ig),
    st.sampled_from([None, "positive", "negative", "unknown"]),
    st.sampled_from([None, 1500, 1999, 2000, 3200]),
    st.lists(st.integers(min_value=0, max_value=17 * 366), max_size=2),
)


def _facts(birth: date, raw: tuple[str | None, int | None, list[int]]) -> ChildFacts:
    hbsag, weight, ig = raw
    return ChildFacts(hbsag, weight, tuple(Immunoglobulin("IVIG", birth + timedelta(days=d)) for d in ig))


def _age(birth: date, off: Offset) -> date:
    return add_months(birth, off.months) + timedelta(days=off.days)


def _follow(
    engine: ScheduleEngine, birth: date, start: date, sex: str | None, pref: dict[str, str], facts: ChildFacts
) -> tuple[list[Given], date]:
    """Give every due dose on the day it is due, then jump to the next earliest date."""
    doses: list[Given] = []
    today = start
    for _ in range(80):
        f = engine.forecast(birth, today, doses, sex=sex, preferences=pref, facts=facts)
        due = [s for s in f.series if s.status in (SeriesStatus.DUE, SeriesStatus.OVERDUE)]
        for s in due:
            assert s.vaccine is not None
            doses.append(Given(s.vaccine, today))
        if due:
            continue  # re-forecast the same day (e.g. a same-day live vaccine)
        upcoming = [s.earliest for s in f.series if s.status is SeriesStatus.NOT_YET and s.earliest]
        if not upcoming:
            return doses, today
        nxt = min(upcoming)
        assert nxt > today
        today = nxt
    raise AssertionError("the forecast never settles")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(birth=births, start=starts, sex=sexes, pref=prefs, raw_facts=facts_st)
def test_following_the_forecast_gives_only_valid_doses(
    engine: ScheduleEngine,
    birth: date,
    start: int,
    sex: str | None,
    pref: dict[str, str],
    raw_facts: tuple[str | None, int | None, list[int]],
) -> None:
    begin = birth + timedelta(days=start)
    facts = _facts(birth, raw_facts)
    doses, end = _follow(engine, birth, begin, sex, pref, facts)
    final = engine.forecast(birth, end, doses, sex=sex, preferences=pref, facts=facts)
    bad = [d for d in final.doses if not d.valid]
    assert bad == []
    # each dose given counted for a series (or, for combinations, each series)
    assert all(d.dose_number is not None for d in final.doses)
    # a child followed from birth completes every series it is eligible for
    if start == 0:
        assert {s.status for s in final.series} <= {SeriesStatus.COMPLETE}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    birth=births,
    on=st.integers(min_value=0, max_value=18 * 366),
    sex=sexes,
    pref=prefs,
    history=st.lists(
        st.tuples(
            st.sampled_from(
                [
                    "0201",
                    "0101",
                    "0303",
                    "0311",
                    "0401",
                    "0601",
                    "5001",
                    "1201",
                    "1801",
                    "1802",
                    "1601",
                    "1702",
                    "1701",
                    "1901",
                    "1903",
                    "5901",
                    "2201",
                    "0301",
                    "0602",
                    "4901",
                    "1401",
                    "1301",
                    "0901",
                    "5301",
                ]
            ),
            st.integers(min_value=0, max_value=18 * 366),
        ),
        max_size=15,
    ),
    raw_facts=facts_st,
)
def test_never_proposes_a_dose_before_its_minimum_age(
    engine: ScheduleEngine,
    birth: date,
    on: int,
    sex: str | None,
    pref: dict[str, str],
    history: list[tuple[str, int]],
    raw_facts: tuple[str | None, int | None, list[int]],
) -> None:
    as_of = birth + timedelta(days=on)
    doses = [Given(c, birth + timedelta(days=d)) for c, d in history]
    f = engine.forecast(birth, as_of, doses, sex=sex, preferences=pref, facts=_facts(birth, raw_facts))
    version = engine.version_on(as_of)
    for s in f.series:
        if s.status not in OPEN:
            continue
        assert s.earliest is not None and s.next_dose is not None
        rule = version.by_id[s.series].tracks[s.track].doses
        # the proposed dose is dose k of the track, possibly after skipped doses; a
        # series' ``needs`` may add one past the track or hurry a missing product
        idx = s.next_dose - 1
        needs = version.by_id[s.series].needs
        floors = [n.rule.min_age for n in needs if n.early or idx >= len(rule)]
        if idx < len(rule):
            floors.append(rule[idx].min_age)
        assert floors, "a dose past the track must come from a need"
        assert s.earliest >= _age(birth, min(floors)) or (version.by_id[s.series].handover is not None and idx == 0)
        h = version.by_id[s.series].handover
        if h is not None and idx == 0 and h.if_none_min_age is not None:
            assert s.earliest >= _age(birth, min(h.if_none_min_age, rule[0].min_age))
        if s.status is SeriesStatus.NOT_YET:
            assert s.earliest > as_of
        else:
            assert s.earliest <= as_of
