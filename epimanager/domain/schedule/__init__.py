"""The schedule engine (pure Python: no I/O, no database, no Qt).

Schedules are data (``resources/schedules/*.json``) compiled by
:func:`compile_versions`; :class:`ScheduleEngine` evaluates a child's doses
and forecasts each series on a date.  Loading files is the services' job
(:mod:`epimanager.services.forecast`).
"""

from epimanager.domain.schedule.ages import Offset, parse_offset, shift, shift_date
from epimanager.domain.schedule.compiler import compile_versions
from epimanager.domain.schedule.engine import Given, GivenDose, History, ScheduleEngine
from epimanager.domain.schedule.facts import ChildFacts, Immunoglobulin
from epimanager.domain.schedule.model import (
    DoseRule,
    ScheduleDataError,
    ScheduleVersion,
    SeriesRule,
    Track,
)
from epimanager.domain.schedule.results import (
    DoseEvaluation,
    Evaluation,
    Forecast,
    SeriesForecast,
    SeriesStatus,
)

__all__ = [
    "ChildFacts",
    "DoseEvaluation",
    "DoseRule",
    "Evaluation",
    "Forecast",
    "Given",
    "GivenDose",
    "History",
    "Immunoglobulin",
    "Offset",
    "ScheduleDataError",
    "ScheduleEngine",
    "ScheduleVersion",
    "SeriesForecast",
    "SeriesRule",
    "SeriesStatus",
    "Track",
    "compile_versions",
    "parse_offset",
    "shift",
    "shift_date",
]
