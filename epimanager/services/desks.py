"""The clinic flow at one desk: its queue, calling the next ticket for its steps, a child's ticket.

Built on :mod:`epimanager.services.visits` (the same unit-of-work helpers, so a call here is stored
and audited exactly as ``visits.call``); which steps a desk works at and which ticket a 综合 desk
calls next are the rules of :mod:`epimanager.domain.desk`.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from epimanager.domain import visit as dv
from epimanager.domain.desk import next_call
from epimanager.errors import NotFoundError, ValidationError
from epimanager.services import permissions
from epimanager.services.config.visit_flow import flow_of
from epimanager.services.visits import (
    TAKE_ATTEMPTS,
    VisitRecord,
    _desk,
    _expire,
    _flush,
    _now,
    _Outdated,
    _record,
    _state,
    _store,
    list_visits,
)
from epimanager.store.database import Database
from epimanager.store.models import Child
from epimanager.store.models_visit import Visit


def call_next(
    db: Database,
    desk: str | None,
    steps: tuple[dv.Step, ...],
    *,
    user: str | None = None,
    now: datetime | None = None,
) -> VisitRecord:
    """叫号 at a desk working at ``steps`` (a 综合 desk: several): the ticket :func:`~epimanager.domain.desk.
    next_call` picks, read and called in one write transaction.  When another desk called that ticket
    meanwhile, the next one is taken."""
    for attempt in range(TAKE_ATTEMPTS):
        try:
            return _call_next(db, desk, steps, user, now)
        except _Outdated:
            if attempt == TAKE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _call_next(
    db: Database, desk: str | None, steps: tuple[dv.Step, ...], user: str | None, now: datetime | None
) -> VisitRecord:
    now = _now(now)
    day = now.date()
    with db.transaction() as s:
        fl = flow_of(s)
        called = [step for step in steps if step in fl.steps and step in dv.CALLED_STEPS]
        if not called:
            raise ValidationError("本工作台没有叫号的步骤（留观不叫号）")
        _expire(s, fl, day, now)
        _flush(s)
        query = select(Visit).where(Visit.day == day, Visit.step.in_([step.value for step in called]))
        rows = {r.ticket: r for r in s.scalars(query)}
        chosen = next_call((_state(r) for r in rows.values()), called)
        if chosen is None:
            raise NotFoundError(f"{'、'.join(step.value for step in called)}没有等候的号")
        row = rows[chosen.ticket]
        event = dv.Event("call", max(now, chosen.last_at), permissions.operator(db, user), _desk(db, desk))
        _store(s, row, chosen, dv.apply(chosen, event, fl), event)
        _flush(s)
        return _record(row, s.get_one(Child, row.child_id))


def queue(db: Database, steps: tuple[dv.Step, ...], day: date | None = None) -> list[VisitRecord]:
    """A desk's queue: the day's visits at ``steps`` (in progress, called, then waiting in call order)."""
    wanted = {step.value for step in steps}
    return [r for r in list_visits(db, None, day) if r.step in wanted]


def visit_of(db: Database, child_code: str, day: date | None = None) -> VisitRecord | None:
    """The child's visit of the day (its ticket), or None."""
    query = (
        select(Visit, Child)
        .join(Child, Child.id == Visit.child_id)
        .where(Visit.day == (day or date.today()), Child.code == child_code.strip())
    )
    with db.session() as s:
        found = s.execute(query).first()
        return _record(found[0], found[1]) if found is not None else None
