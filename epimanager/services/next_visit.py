"""What comes next for a child: the next visit after a visit day, and the dose to propose.

One place for every "next" the nurse or a parent sees — the receipt (回执), the printed record,
the line above the grid, the grid's 下一剂 column and the dose form (F4 / Enter):

- :func:`next_visit` forecasts *as of the day after the visit*, so the visit's own doses count and
  the 28-day rule between injectable live vaccines moves e.g. HepA-L to 28 days after today's JE-L
  (on the visit day itself it could still be given with it).  Each open series gets a date — its
  earliest date, or the day after the visit when it is already due — and the visit is the earliest.
- :func:`next_dose_number` is the next *missing* dose number of a series: the forecast's next dose,
  moved past any number already validly on record (so the record, the grid and the proposal agree).
- :func:`proposed_dose_number` and :func:`proposed_vaccine` are what F4 / Enter pre-fill: only what
  the forecast says (nothing pre-selected when nothing is due); :func:`proposed_site` alternates the
  injection sites of one visit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

from epimanager.domain.schedule import ChildFacts, Forecast, SeriesStatus
from epimanager.resources import catalog
from epimanager.services.forecast import forecast_record
from epimanager.services.records import ChildRecord
from epimanager.store.database import Database

#: series states that still need a dose (暂缓: from the date 预检 set)
OPEN = (SeriesStatus.OVERDUE, SeriesStatus.DUE, SeriesStatus.NOT_YET, SeriesStatus.DEFERRED)
#: injection sites (domain: outer upper arm or anterolateral thigh), in the order they are offered
INJECTION_SITES = ("左上臂", "右上臂", "左大腿", "右大腿")
#: BCG (the intradermal vaccine) is always given in the upper arm
UPPER_ARMS = ("左上臂", "右上臂")
ORAL = "口服"


class RecordedDose(Protocol):
    """A stored dose as the proposals read it (:class:`~epimanager.services.records.DoseRecord`)."""

    @property
    def vaccine_code(self) -> str: ...

    @property
    def dose_number(self) -> int: ...

    @property
    def date(self) -> date: ...

    @property
    def site(self) -> str | None: ...

    @property
    def route(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class NextDose:
    """One open series after the visit."""

    series: str
    #: product code and name to give
    vaccine: str
    name: str
    #: the next missing dose number (agrees with the record and the grid)
    dose_number: int
    #: the first day it can be given after the visit
    date: dt.date
    #: the series' state on the day after the visit (应种 / 超期未种 / 未到期)
    status: SeriesStatus
    complete_before: dt.date | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class NextVisit:
    """The open series after a visit, soonest first; the next visit is the earliest date."""

    visit_day: dt.date
    doses: tuple[NextDose, ...]

    @property
    def date(self) -> dt.date | None:
        return self.doses[0].date if self.doses else None

    @property
    def first(self) -> tuple[NextDose, ...]:
        """The doses of the next visit (all that can be given on its date)."""
        return tuple(d for d in self.doses if d.date == self.date)


def valid_numbers(forecast: Forecast, doses: Iterable[RecordedDose], series: str) -> set[int]:
    """The dose numbers on record of the doses the engine counts as valid in ``series``."""
    cat = catalog()
    valid = {(ev.vaccine, ev.date) for ev in forecast.doses if ev.series == series and ev.valid}
    out = set()
    for d in doses:
        vac = cat.get(d.vaccine_code)
        if vac is not None and series in vac.counts_for and (d.vaccine_code, d.date) in valid:
            out.add(d.dose_number)
    return out


def next_dose_number(forecast: Forecast, doses: Iterable[RecordedDose], series: str) -> int | None:
    """The next missing dose number of ``series``: the forecast's next dose, or the first number
    after it that is not validly on record; None when the series is complete or aged out."""
    f = forecast.for_series(series)
    if f is None or f.next_dose is None or f.status not in OPEN:
        return None
    taken = valid_numbers(forecast, doses, series)
    n = f.next_dose
    while n in taken:
        n += 1
    return n


def next_visit_from(forecast: Forecast, doses: Sequence[RecordedDose], visit_day: date) -> NextVisit:
    """:func:`next_visit` from a forecast made as of the day after ``visit_day``."""
    cat = catalog()
    after = visit_day + timedelta(days=1)
    out = []
    for f in forecast.series:
        if f.status not in OPEN or not f.vaccine:
            continue
        number = next_dose_number(forecast, doses, f.series)
        if number is None:
            continue
        vac = cat.get(f.vaccine)
        when = max(f.earliest or after, after)
        out.append(
            NextDose(
                f.series, f.vaccine, vac.name if vac else f.vaccine, number, when, f.status, f.complete_before, f.notes
            )
        )
    order = {v.code: i for i, v in enumerate(cat.sorted())}
    out.sort(key=lambda d: (d.date, order.get(d.vaccine, 999)))
    return NextVisit(visit_day, tuple(out))


def next_visit(
    db: Database,
    child: ChildRecord,
    visit_day: date,
    preferences: Mapping[str, str] | None = None,
    facts: ChildFacts | None = None,
) -> NextVisit:
    """When the child should come back after ``visit_day``, and for what (its doses up to that day count)."""
    doses = [d for d in child.doses if d.date <= visit_day]
    as_of = max(visit_day, child.birth_date) + timedelta(days=1)
    fc = forecast_record(db, child, as_of, doses, preferences, facts)
    return next_visit_from(fc, doses, visit_day)


# -- what the dose form proposes (F4 / Enter) ---------------------------------------------------------


def due_vaccines(forecast: Forecast | None) -> list[tuple[str, SeriesStatus]]:
    """(product, state) of the due series, most urgent first (超期未种 before 应种, then the earliest);
    each product once.  The dose form lists them first."""
    if forecast is None:
        return []
    due = [f for f in forecast.series if f.vaccine and f.status in (SeriesStatus.OVERDUE, SeriesStatus.DUE)]
    due.sort(key=lambda f: (f.status is not SeriesStatus.OVERDUE, f.earliest or date.max))
    out: dict[str, SeriesStatus] = {}
    for f in due:
        out.setdefault(f.vaccine or "", f.status)
    return list(out.items())


def proposed_vaccine(forecast: Forecast | None) -> str | None:
    """The product of the most urgent due series; None when nothing is due — the nurse chooses."""
    due = due_vaccines(forecast)
    return due[0][0] if due else None


def proposed_dose_number(forecast: Forecast | None, doses: Sequence[RecordedDose], vaccine: str) -> int | None:
    """The dose number to pre-fill for ``vaccine``: the next missing number of its open series (due
    first); None when its series are complete (the nurse chooses).  A vaccine outside the schedule
    (流感, 狂犬病 …) has no forecast: its doses are numbered on from the record."""
    vac = catalog().get(vaccine)
    if vac is None:
        return None
    if not vac.counts_for:
        return max((d.dose_number for d in doses if d.vaccine_code == vaccine), default=0) + 1
    if forecast is None:
        return None
    open_series = [f for s in vac.counts_for if (f := forecast.for_series(s)) is not None and f.status in OPEN]
    open_series.sort(key=lambda f: OPEN.index(f.status))
    for f in open_series:
        n = next_dose_number(forecast, doses, f.series)
        if n is not None:
            return n
    return None


def proposed_site(vaccine: str, doses: Iterable[RecordedDose], day: date) -> str | None:
    """The site for ``vaccine`` on ``day``: its usual one, unless another injection of the same
    visit (a dose of the child on ``day``) already took it — then the next free one (BCG only in an
    upper arm).  Oral vaccines take no site."""
    vac = catalog().get(vaccine)
    if vac is None:
        return None
    usual = vac.site
    if vac.route == "PO" or usual == ORAL:
        return usual
    taken = {d.site for d in doses if d.date == day and d.site and d.site != ORAL and d.route != "PO"}
    if usual and usual not in taken:
        return usual
    sites = UPPER_ARMS if vac.route == "ID" else INJECTION_SITES  # intradermal: BCG
    return next((s for s in sites if s not in taken), usual)
