"""The clinic flow (取号 → 预检 → 登记 → 接种 → 留观 → 完成): one unit of work per desk action.

The rules are in :mod:`epimanager.domain.visit`; this module loads a visit, applies one event
inside one write transaction and stores the new state with a ``visit_event`` row (what, who —
:func:`permissions.operator` —, which desk, when).  Every write first returns the calls left
unanswered for the clinic's ``call_timeout_minutes`` to their queue (a 过号 by 系统), so a stale
call never blocks a desk.

Call order (:func:`call`): booked tickets (Y…) before walk-in ones (A…) — the child came at the
time the clinic gave — then by the time the ticket joined the step's queue; a ticket that missed
its call rejoins at the back (a booked one without its priority, at that step).

The clinic's enabled steps and timings: :mod:`epimanager.services.config.visit_flow`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from epimanager.domain import visit as dv
from epimanager.domain.visit_ticket import parse_payload
from epimanager.errors import DatabaseError, NotFoundError, ValidationError
from epimanager.services import permissions
from epimanager.services.config.visit_flow import flow_of
from epimanager.store.database import Database
from epimanager.store.models import Child
from epimanager.store.models_visit import Visit, VisitEvent

#: The desk name when neither the caller nor the database handle names one.
DEFAULT_DESK = "本机"


@dataclass(frozen=True)
class VisitRecord:
    """A visit as desks and the CLI show it."""

    day: date
    ticket: str
    child_code: str
    child_name: str
    booked: bool
    step: str
    status: str
    misses: int
    taken_at: datetime
    queued_at: datetime
    called_at: datetime | None
    desk: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "ticket": self.ticket,
            "child_code": self.child_code,
            "child_name": self.child_name,
            "booked": self.booked,
            "step": self.step,
            "status": self.status,
            "misses": self.misses,
            "taken_at": self.taken_at.isoformat(timespec="seconds"),
            "queued_at": self.queued_at.isoformat(timespec="seconds"),
            "called_at": self.called_at.isoformat(timespec="seconds") if self.called_at else None,
            "desk": self.desk,
        }


# --- rows <-> domain -------------------------------------------------------------------------


def _state(row: Visit) -> dv.Visit:
    return dv.Visit(
        ticket=row.ticket,
        booked=row.booked,
        taken_at=row.taken_at,
        step=dv.Step(row.step),
        status=dv.Status(row.status),
        queued_at=row.queued_at,
        last_at=row.last_at,
        misses=row.misses,
        called_at=row.called_at,
        desk=row.desk,
    )


def _store(s: Session, row: Visit, before: dv.Visit | None, after: dv.Visit, event: dv.Event) -> None:
    row.step, row.status, row.misses = after.step.value, after.status.value, after.misses
    row.queued_at, row.called_at, row.last_at, row.desk = after.queued_at, after.called_at, after.last_at, after.desk
    s.add(
        VisitEvent(
            visit_id=row.id,
            kind=event.kind,
            from_step=(before.step if before else dv.Step.TAKE).value,
            from_status=before.status.value if before else None,
            to_step=after.step.value,
            to_status=after.status.value,
            at=event.at,
            operator=event.who,
            desk=event.desk,
            reason=(event.reason or "").strip() or None,
        )
    )


def _record(row: Visit, child: Child) -> VisitRecord:
    return VisitRecord(
        row.day, row.ticket, child.code, child.name, row.booked, row.step, row.status, row.misses,
        row.taken_at, row.queued_at, row.called_at, row.desk,
    )  # fmt: skip


class _Outdated(DatabaseError):
    """Another desk changed the visit since this transaction read it (version check)."""


def _flush(s: Session) -> None:
    try:
        s.flush()
    except StaleDataError as exc:
        raise _Outdated("另一台电脑刚刚改动了这个号，请刷新后重试（未保存任何改动）") from exc
    except IntegrityError as exc:
        raise DatabaseError("另一台电脑同时取号，请重试（未保存任何改动）") from exc


def _desk(db: Database, desk: str | None) -> str:
    return (desk or "").strip() or db.desk or DEFAULT_DESK


def _expire(s: Session, fl: dv.Flow, day: date, now: datetime) -> list[str]:
    """Return the calls unanswered for the timeout to their queue (a 过号 by 系统)."""
    out = []
    rows = s.scalars(select(Visit).where(Visit.day == day, Visit.status == dv.Status.CALLED.value))
    for row in rows:
        before = _state(row)
        after = dv.expire(before, now, fl)
        if after is not None:
            event = dv.Event("miss", after.last_at, dv.SYSTEM, before.desk, reason="叫号超时未应答")
            _store(s, row, before, after, event)
            out.append(row.ticket)
    return out


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now()).replace(microsecond=0)


# --- actions ---------------------------------------------------------------------------------


class _TicketClash(DatabaseError):
    """Another desk took the same ticket number first (only where write transactions are not exclusive)."""


#: Times a take (a call) is tried again when another desk took that number (called that ticket) meanwhile.
TAKE_ATTEMPTS = 10


def take(
    db: Database,
    child_code: str,
    *,
    booked: bool = False,
    desk: str | None = None,
    user: str | None = None,
    now: datetime | None = None,
) -> VisitRecord:
    """取号: today's ticket for the child (walk-in A…, booked Y…), at the clinic's first step.

    The number is the day's highest of its kind + 1, read and written in one transaction; the
    UNIQUE (day, ticket) constraint stops two desks from sharing one, and the loser tries again.
    """
    for attempt in range(TAKE_ATTEMPTS):
        try:
            return _take(db, child_code, booked, desk, user, now)
        except _TicketClash:
            if attempt == TAKE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _take(
    db: Database, child_code: str, booked: bool, desk: str | None, user: str | None, now: datetime | None
) -> VisitRecord:
    now = _now(now)
    day = now.date()
    with db.transaction() as s:
        child = s.scalar(select(Child).where(Child.code == child_code.strip(), Child.deleted.is_(False)))
        if child is None:
            raise NotFoundError(f"没有儿童编码为 {child_code} 的个案")
        fl = flow_of(s)
        _expire(s, fl, day, now)
        old = s.scalar(select(Visit).where(Visit.day == day, Visit.child_id == child.id))
        if old is not None:
            raise ValidationError(
                f"{child.name} 今天已取号 {old.ticket}（{_state(old).label}），每个儿童每天只取一个号"
            )
        tickets = s.scalars(select(Visit.ticket).where(Visit.day == day))
        event = dv.Event("take", now, permissions.operator(db, user), _desk(db, desk), booked=booked)
        state = dv.take(dv.next_ticket(tickets, booked), event, fl)
        row = Visit(
            day=day, ticket=state.ticket, child_id=child.id, booked=booked, step=state.step.value,
            status=state.status.value, misses=0, taken_at=now, queued_at=now, last_at=now,
        )  # fmt: skip
        s.add(row)
        try:
            s.flush()
        except IntegrityError as exc:
            raise _TicketClash("另一台电脑同时取号，请重试（未保存任何改动）") from exc
        _store(s, row, None, state, event)
        _flush(s)
        return _record(row, child)


def _load(s: Session, ticket: str, day: date) -> tuple[Visit, Child]:
    found = s.execute(
        select(Visit, Child).join(Child, Child.id == Visit.child_id).where(Visit.day == day, Visit.ticket == ticket)
    ).first()
    if found is None:
        raise NotFoundError(f"{day.isoformat()} 没有 {ticket} 号")
    return found[0], found[1]


def _move(
    db: Database,
    ticket: str,
    kind: str,
    *,
    desk: str | None,
    user: str | None,
    now: datetime | None,
    to_step: dv.Step | None = None,
    reason: str | None = None,
) -> VisitRecord:
    now = _now(now)
    day = now.date()
    ticket = ticket.strip().upper()
    with db.transaction() as s:
        fl = flow_of(s)
        _expire(s, fl, day, now)
        row, child = _load(s, ticket, day)
        before = _state(row)
        event = dv.Event(
            kind, max(now, before.last_at), permissions.operator(db, user), _desk(db, desk), to_step, reason
        )
        _store(s, row, before, dv.apply(before, event, fl), event)
        _flush(s)
        return _record(row, child)


def call(
    db: Database, desk: str | None, step: str | dv.Step, *, user: str | None = None, now: datetime | None = None
) -> VisitRecord:
    """叫号: the next waiting ticket of ``step`` is called to ``desk`` (booked first, then by queue time).

    When another desk called the same ticket in the meantime, the next one is taken.
    """
    target = step if isinstance(step, dv.Step) else dv.parse_step(step)
    for attempt in range(TAKE_ATTEMPTS):
        try:
            return _call(db, desk, target, user, now)
        except _Outdated:
            if attempt == TAKE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _call(db: Database, desk: str | None, target: dv.Step, user: str | None, now: datetime | None) -> VisitRecord:
    now = _now(now)
    day = now.date()
    with db.transaction() as s:
        fl = flow_of(s)
        if target not in fl.steps:
            raise ValidationError(f"本门诊没有启用{target.value}步骤")
        if target not in dv.CALLED_STEPS:
            raise ValidationError(f"{target.value}不叫号")
        _expire(s, fl, day, now)
        _flush(s)
        rows = {r.ticket: r for r in s.scalars(select(Visit).where(Visit.day == day, Visit.step == target.value))}
        order = dv.call_order((_state(r) for r in rows.values()), target)
        if not order:
            raise NotFoundError(f"{target.value}没有等候的号")
        row = rows[order[0].ticket]
        before = _state(row)
        event = dv.Event("call", max(now, before.last_at), permissions.operator(db, user), _desk(db, desk))
        _store(s, row, before, dv.apply(before, event, fl), event)
        _flush(s)
        child = s.get_one(Child, row.child_id)
        return _record(row, child)


def recall(
    db: Database, ticket: str, *, desk: str | None = None, user: str | None = None, now: datetime | None = None
) -> VisitRecord:
    """重呼: call a ticket again (or call a given ticket out of turn)."""
    return _move(db, ticket, "call", desk=desk, user=user, now=now)


def start(
    db: Database, ticket: str, *, desk: str | None = None, user: str | None = None, now: datetime | None = None
) -> VisitRecord:
    """The child came: the step is in progress at ``desk``."""
    return _move(db, ticket, "start", desk=desk, user=user, now=now)


def finish(
    db: Database,
    ticket: str,
    *,
    reason: str | None = None,
    desk: str | None = None,
    user: str | None = None,
    now: datetime | None = None,
) -> VisitRecord:
    """完成本步骤: pass on to the next enabled step (留观 before its time needs ``reason``)."""
    return _move(db, ticket, "finish", desk=desk, user=user, now=now, reason=reason)


def miss(
    db: Database, ticket: str, *, desk: str | None = None, user: str | None = None, now: datetime | None = None
) -> VisitRecord:
    """过号: the called child did not come; back to the queue, cancelled at the clinic's miss limit."""
    return _move(db, ticket, "miss", desk=desk, user=user, now=now)


def back(
    db: Database,
    ticket: str,
    to_step: str | dv.Step,
    reason: str,
    *,
    desk: str | None = None,
    user: str | None = None,
    now: datetime | None = None,
) -> VisitRecord:
    """退回: back to an earlier enabled step, with a reason."""
    target = to_step if isinstance(to_step, dv.Step) else dv.parse_step(to_step)
    return _move(db, ticket, "back", desk=desk, user=user, now=now, to_step=target, reason=reason)


def cancel(
    db: Database,
    ticket: str,
    *,
    reason: str | None = None,
    desk: str | None = None,
    user: str | None = None,
    now: datetime | None = None,
) -> VisitRecord:
    """取消 an open visit."""
    return _move(db, ticket, "cancel", desk=desk, user=user, now=now, reason=reason)


def expire_calls(db: Database, *, now: datetime | None = None) -> list[str]:
    """Return today's unanswered calls to their queue; the tickets that went back (or were cancelled)."""
    now = _now(now)
    with db.transaction() as s:
        out = _expire(s, flow_of(s), now.date(), now)
        _flush(s)
        return out


# --- reading ---------------------------------------------------------------------------------

_STATUS_RANK = {dv.Status.IN_PROGRESS.value: 0, dv.Status.CALLED.value: 1, dv.Status.WAITING.value: 2}
_STEP_RANK = {step.value: i for i, step in enumerate((*dv.DESK_STEPS, dv.Step.DONE, dv.Step.CANCELLED))}


def list_visits(db: Database, step: str | dv.Step | None = None, day: date | None = None) -> list[VisitRecord]:
    """The day's visits (of one step): by step, then in progress, called, waiting in call order."""
    day = day or date.today()
    query = select(Visit, Child).join(Child, Child.id == Visit.child_id).where(Visit.day == day)
    if step is not None:
        target = step if isinstance(step, dv.Step) else dv.parse_step(step)
        query = query.where(Visit.step == target.value)
    with db.session() as s:
        rows = s.execute(query).all()
        records = [_record(v, c) for v, c in rows]

    def key(r: VisitRecord) -> tuple[Any, ...]:
        return (_STEP_RANK.get(r.step, 9), _STATUS_RANK.get(r.status, 3), not (r.booked and r.misses == 0), r.queued_at,
                dv.ticket_number(r.ticket))  # fmt: skip

    return sorted(records, key=key)


@dataclass(frozen=True)
class EventRecord:
    kind: str
    from_step: str
    to_step: str
    to_status: str
    at: datetime
    operator: str | None
    desk: str | None
    reason: str | None


def events(db: Database, ticket: str, day: date | None = None) -> list[EventRecord]:
    """A visit's history, oldest first."""
    with db.session() as s:
        row, _child = _load(s, ticket.strip().upper(), day or date.today())
        found = s.scalars(select(VisitEvent).where(VisitEvent.visit_id == row.id).order_by(VisitEvent.id))
        return [
            EventRecord(e.kind, e.from_step, e.to_step, e.to_status, e.at, e.operator, e.desk, e.reason) for e in found
        ]


# --- notes and scanned tickets ---------------------------------------------------------------


def note(
    db: Database,
    ticket: str,
    text: str,
    *,
    desk: str | None = None,
    user: str | None = None,
    now: datetime | None = None,
) -> VisitRecord:
    """A remark on today's visit (e.g. an adverse reaction seen in 留观): a visit_event of kind
    ``note`` with the text as its reason; the visit stays where it is."""
    return _move(db, ticket, "note", desk=desk, user=user, now=now, reason=text)


def find_by_payload(db: Database, text: str) -> VisitRecord | None:
    """The visit of a scanned ticket (``EPIV:<day>:<ticket>``); None when ``text`` is no ticket payload."""
    parsed = parse_payload(text)
    if parsed is None:
        return None
    day, ticket = parsed
    with db.session() as s:
        row, child = _load(s, ticket, day)
        return _record(row, child)
