"""The day summary of the clinic flow (F8 / ``visit summary``).

* tickets by step: where each of the day's visits is now (完成 and 取消 included);
* waits per called step: from joining the step's queue to the first call there, in minutes,
  median and 90th percentile (nearest rank: the smallest wait with at least 90 % of the waits at
  or below it);
* no-shows: visits cancelled by their last missed call (过号);
* children not observed for the full time: visits that left 留观 (finished with a reason, cancelled
  or sent back) before the clinic's ``observe_minutes``.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from epimanager.domain import visit as dv
from epimanager.services.config.visit_flow import flow_of
from epimanager.store.database import Database
from epimanager.store.models_visit import Visit, VisitEvent

_ALL_STEPS = (*dv.DESK_STEPS, dv.Step.DONE, dv.Step.CANCELLED)


@dataclass(frozen=True)
class StepWaits:
    step: str
    count: int
    median_minutes: float | None
    p90_minutes: float | None


@dataclass(frozen=True)
class ShortObservation:
    ticket: str
    minutes: float
    reason: str | None


@dataclass(frozen=True)
class DaySummary:
    day: date
    tickets: int
    booked: int
    by_step: dict[str, int]
    waits: list[StepWaits]
    no_shows: list[str]
    observe_minutes: int
    short_observation: list[ShortObservation]

    def to_json(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "tickets": self.tickets,
            "booked": self.booked,
            "walk_in": self.tickets - self.booked,
            "by_step": self.by_step,
            "waits": {
                w.step: {"count": w.count, "median_minutes": w.median_minutes, "p90_minutes": w.p90_minutes}
                for w in self.waits
            },
            "no_shows": len(self.no_shows),
            "no_show_tickets": self.no_shows,
            "observe_minutes": self.observe_minutes,
            "not_observed_full_time": len(self.short_observation),
            "short_observation": [
                {"ticket": o.ticket, "minutes": o.minutes, "reason": o.reason} for o in self.short_observation
            ],
        }


def _minutes(a: datetime, b: datetime) -> float:
    return round((b - a).total_seconds() / 60, 1)


def summary(db: Database, day: date | None = None) -> DaySummary:
    """The day's figures, worked out from the visits and their events."""
    day = day or date.today()
    with db.session() as s:
        fl = flow_of(s)
        visits = list(s.scalars(select(Visit).where(Visit.day == day).order_by(Visit.id)))
        rows = s.execute(
            select(VisitEvent.visit_id, VisitEvent.kind, VisitEvent.from_step, VisitEvent.to_step, VisitEvent.at,
                   VisitEvent.reason)
            .join(Visit, Visit.id == VisitEvent.visit_id)
            .where(Visit.day == day)
            .order_by(VisitEvent.id)
        ).all()  # fmt: skip
    per_visit: dict[int, list[tuple[str, dv.Step, dv.Step, datetime]]] = defaultdict(list)
    last_reason: dict[int, str | None] = {}
    for visit_id, kind, before, after, at, reason in rows:
        per_visit[visit_id].append((kind, dv.Step(before), dv.Step(after), at))
        if before == dv.Step.OBSERVE.value and after != before:
            last_reason[visit_id] = reason
    by_step = {step.value: 0 for step in _ALL_STEPS}
    waits: dict[dv.Step, list[float]] = defaultdict(list)
    no_shows: list[str] = []
    short: list[ShortObservation] = []
    for v in visits:
        by_step[v.step] = by_step.get(v.step, 0) + 1
        hist = dv.history(per_visit[v.id])
        if hist.no_show:
            no_shows.append(v.ticket)
        for stay in hist.stays:
            if stay.step in dv.CALLED_STEPS and stay.called is not None:
                waits[stay.step].append(_minutes(stay.entered, stay.called))
        observed = [st for st in hist.stays if st.step is dv.Step.OBSERVE and st.left is not None]
        if observed:
            total = sum(_minutes(st.entered, st.left) for st in observed if st.left is not None)
            if total < fl.observe_minutes:
                short.append(ShortObservation(v.ticket, round(total, 1), last_reason.get(v.id)))
    step_waits = []
    for step in dv.DESK_STEPS:
        if step not in dv.CALLED_STEPS or step not in fl.steps:
            continue
        values = waits.get(step, [])
        median = round(float(statistics.median(values)), 1) if values else None
        p90 = dv.percentile(values, 90)
        step_waits.append(StepWaits(step.value, len(values), median, p90))
    booked = sum(1 for v in visits if v.booked)
    return DaySummary(day, len(visits), booked, by_step, step_waits, no_shows, fl.observe_minutes, short)
