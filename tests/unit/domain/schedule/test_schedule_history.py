"""Property: the stored form of a forecast (``history`` + ``next_doses``, what 表6-1 keeps per
child) says exactly what a fresh forecast says on every later date under the same schedule."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from epimanager.domain.schedule import ChildFacts, Given, Immunoglobulin, ScheduleEngine, SeriesStatus

AS_OF = date(2026, 6, 20)  # the 2026 edition (in force from 2026-06-17, open-ended)

births = st.dates(min_value=date(2009, 1, 1), max_value=date(2026, 6, 16))
sexes = st.sampled_from(["1", "2", None])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    birth=births,
    sex=sexes,
    picks=st.lists(st.tuples(st.integers(0, 10_000), st.floats(0, 1)), max_size=14),
    later=st.lists(st.integers(0, 9 * 366), min_size=1, max_size=12),
    hbsag=st.sampled_from([None, "positive", "unknown"]),
    weight=st.sampled_from([None, 1800, 3000]),
    ig=st.lists(st.floats(0, 1), max_size=2),
)
def test_next_doses_match_a_full_forecast_on_later_dates(
    engine: ScheduleEngine,
    birth: date,
    sex: str | None,
    picks: list[tuple[int, float]],
    later: list[int],
    hbsag: str | None,
    weight: int | None,
    ig: list[float],
) -> None:
    codes = sorted(v.code for v in engine.catalog.vaccines if v.counts_for)
    span = (AS_OF - birth).days
    doses = [Given(codes[i % len(codes)], birth + timedelta(days=int(f * span))) for i, f in picks]
    last = max((d.date for d in doses), default=birth - timedelta(days=1))
    facts = ChildFacts(hbsag, weight, tuple(Immunoglobulin("IVIG", birth + timedelta(days=int(f * span))) for f in ig))
    history = engine.history(birth, AS_OF, doses, sex, facts=facts)
    assert engine.version_span(history.version) == (date(2026, 6, 17), None)
    rows = engine.next_doses(history, birth, sex, last)
    for n in later:
        on = max(AS_OF, last + timedelta(days=1)) + timedelta(days=n)
        full = {
            (s.series, s.next_dose, s.vaccine, s.earliest)
            for s in engine.forecast(birth, on, doses, sex, facts=facts).series
            if s.status in (SeriesStatus.DUE, SeriesStatus.OVERDUE)
        }
        o = on.toordinal()
        stored = {
            (s.series, s.next_dose, s.vaccine, s.earliest)
            for s, lo, hi in rows
            if lo <= o < hi and s.earliest is not None and s.earliest <= on
        }
        assert stored == full, on
