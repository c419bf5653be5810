"""Fixtures for the schedule engine tests: the bundled schedules, a helper."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date

import pytest

from epimanager.domain.schedule import ChildFacts, Forecast, Given, ScheduleEngine
from epimanager.services.forecast import engine as bundled_engine

D = date.fromisoformat

ForecastFn = Callable[..., Forecast]


@pytest.fixture(scope="session")
def engine() -> ScheduleEngine:
    return bundled_engine()


@pytest.fixture(scope="session")
def fc(engine: ScheduleEngine) -> ForecastFn:
    """``fc(birth, as_of, [(code, day), ...], sex="2", prefs=None, facts=None)`` with ISO strings."""

    def run(
        birth: str,
        as_of: str,
        doses: Sequence[tuple[str, str]] = (),
        sex: str | None = "2",
        prefs: Mapping[str, str] | None = None,
        facts: ChildFacts | None = None,
    ) -> Forecast:
        return engine.forecast(
            D(birth), D(as_of), [Given(c, D(d)) for c, d in doses], sex=sex, preferences=prefs, facts=facts
        )

    return run
