"""What the calling screen and the 留观 board show, read in one query each.

* :func:`calling_board`: the tickets being called now (newest call first, with the id of their last
  call event, so a screen tells a recall from an old call), the next waiting tickets of each called
  step in call order, and how many wait;
* :func:`observing`: the children in 留观 with the time they entered it and the clinic's
  ``observe_minutes``;
* :func:`visit_notes`: the notes on a visit (adverse reactions seen in 留观).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select

from epimanager.domain import visit as dv
from epimanager.services import visits
from epimanager.services.config.visit_flow import flow_of
from epimanager.store.database import Database
from epimanager.store.models import Child
from epimanager.store.models_visit import Visit, VisitEvent

#: how many next tickets per step the calling screen shows
NEXT_PER_STEP = 5


@dataclass(frozen=True)
class Call:
    ticket: str
    child_name: str
    step: str
    desk: str | None
    called_at: datetime
    call_id: int  # the visit_event id of the last call: a recall gives a new one


@dataclass(frozen=True)
class CallingBoard:
    day: date
    calls: list[Call]
    next_by_step: dict[str, list[str]]  # step → the next tickets in call order
    waiting: int
    steps: tuple[str, ...]  # the clinic's called steps, in order


def calling_board(db: Database, day: date | None = None) -> CallingBoard:
    day = day or date.today()
    last_call = (
        select(VisitEvent.visit_id, func.max(VisitEvent.id).label("call_id"))
        .where(VisitEvent.kind == "call")
        .group_by(VisitEvent.visit_id)
        .subquery()
    )
    with db.session() as s:
        fl = flow_of(s)
        rows = s.execute(
            select(Visit, Child.name, last_call.c.call_id)
            .join(Child, Child.id == Visit.child_id)
            .outerjoin(last_call, last_call.c.visit_id == Visit.id)
            .where(Visit.day == day, Visit.step.in_([st.value for st in dv.CALLED_STEPS]))
        ).all()
        states = [(visits._state(v), name, call_id) for v, name, call_id in rows]
    calls = [
        Call(st.ticket, name, st.step.value, st.desk, st.called_at, int(call_id or 0))
        for st, name, call_id in states
        if st.status is dv.Status.CALLED and st.called_at is not None
    ]
    calls.sort(key=lambda c: (c.called_at, c.call_id), reverse=True)
    steps = tuple(st for st in fl.steps if st in dv.CALLED_STEPS)
    all_states = [st for st, _n, _c in states]
    next_by_step = {step.value: [v.ticket for v in dv.call_order(all_states, step)[:NEXT_PER_STEP]] for step in steps}
    waiting = sum(1 for st in all_states if st.status is dv.Status.WAITING)
    return CallingBoard(day, calls, next_by_step, waiting, tuple(st.value for st in steps))


@dataclass(frozen=True)
class Observed:
    ticket: str
    child_code: str
    child_name: str
    since: datetime
    observe_minutes: int

    def minutes_left(self, now: datetime) -> int:
        """Whole minutes still to go, rounded up (0 = the time is done)."""
        left = self.observe_minutes * 60 - (now - self.since).total_seconds()
        return max(0, -int(-left // 60))

    def done(self, now: datetime) -> bool:
        return (now - self.since).total_seconds() >= self.observe_minutes * 60


def observing(db: Database, day: date | None = None) -> list[Observed]:
    """The day's children in 留观, the longest there first."""
    day = day or date.today()
    with db.session() as s:
        minutes = flow_of(s).observe_minutes
        rows = s.execute(
            select(Visit.ticket, Child.code, Child.name, Visit.queued_at)
            .join(Child, Child.id == Visit.child_id)
            .where(Visit.day == day, Visit.step == dv.Step.OBSERVE.value)
            .order_by(Visit.queued_at, Visit.id)
        ).all()
    return [Observed(t, code, name, since, minutes) for t, code, name, since in rows]


def visit_notes(db: Database, ticket: str, day: date | None = None) -> list[visits.EventRecord]:
    """The notes on a visit, oldest first."""
    return [e for e in visits.events(db, ticket, day) if e.kind == "note"]
