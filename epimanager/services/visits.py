"""The clinic flow (取号 → 预检 → 登记 → 接种 → 留观 → 完成): one unit of work per desk action.

The rules are in :mod:`epimanager.domain.visit`; this module loads a visit, applies one event
inside one write transaction and stores the new state with a ``visit_event`` row (what, who —
:func:`permissions.operator` —, which desk, when).  Every write first returns the calls left
unanswered for the clinic's ``call_timeout_minutes`` to their queue (a 过号 by 系统), so a stale
call never blocks a desk.

Call order (:func:`call`): booked tickets (Y…) before walk-in ones (A…) — the child came at the
time the clinic gave — then by the time the ticket joined the step's queue; a ticket that missed
its call rejoins at the back (a booked one without its priority, at that step).

Clinic settings (``app_config``): ``visit.steps`` (e.g. ``登记,接种,留观`` on a one-PC clinic),
``visit.call_timeout_minutes`` (5), ``visit.max_misses`` (3), ``visit.observe_minutes`` (30).
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
from epimanager.errors import DatabaseError, NotFoundError, ValidationError
from epimanager.services import permissions
from epimanager.store.database import Database, get_config, set_config
from epimanager.store.models import Child
from epimanager.store.models_visit import Visit, VisitEvent

STEPS_KEY = "visit.steps"
TIMEOUT_KEY = "visit.call_timeout_minutes"
MISSES_KEY = "visit.max_misses"
OBSERVE_KEY = "visit.observe_minutes"
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


# --- settings ------------------------------------------------------------------------------


def _int(value: str | None, default: int) -> int:
    return int(value) if value and value.strip().lstrip("-").isdigit() else default


def flow_of(s: Session) -> dv.Flow:
    steps = get_config(s, STEPS_KEY)
    default = dv.Flow()
    return dv.Flow(
        tuple(dv.parse_step(x) for x in steps.split(",") if x.strip()) if steps else default.steps,
        _int(get_config(s, TIMEOUT_KEY), default.call_timeout_minutes),
        _int(get_config(s, MISSES_KEY), default.max_misses),
        _int(get_config(s, OBSERVE_KEY), default.observe_minutes),
    )


def flow(db: Database) -> dv.Flow:
    """The clinic's enabled steps and timings."""
    with db.session() as s:
        return flow_of(s)


def set_flow(
    db: Database,
    *,
    steps: list[str] | None = None,
    call_timeout_minutes: int | None = None,
    max_misses: int | None = None,
    observe_minutes: int | None = None,
) -> dv.Flow:
    """Change the clinic's flow settings (业务管理员); step names in Chinese or English."""
    permissions.check(db, "change_unit_config")
    with db.transaction() as s:
        old = flow_of(s)
        new = dv.Flow(
            tuple(dv.parse_step(x) for x in steps) if steps is not None else old.steps,
            call_timeout_minutes if call_timeout_minutes is not None else old.call_timeout_minutes,
            max_misses if max_misses is not None else old.max_misses,
            observe_minutes if observe_minutes is not None else old.observe_minutes,
        )
        set_config(s, STEPS_KEY, ",".join(x.value for x in new.steps))
        set_config(s, TIMEOUT_KEY, str(new.call_timeout_minutes))
        set_config(s, MISSES_KEY, str(new.max_misses))
        set_config(s, OBSERVE_KEY, str(new.observe_minutes))
    return new


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


def _flush(s: Session) -> None:
    try:
        s.flush()
    except StaleDataError as exc:
        raise DatabaseError("另一台电脑刚刚改动了这个号，请刷新后重试（未保存任何改动）") from exc
    except IntegrityError as exc:
        raise DatabaseError("另一台电脑同时取号，请重试（未保存任何改动）") from exc


def _desk(db: Database, desk: str | None) -> str:
    return (desk or "").strip() or getattr(db, "desk", None) or DEFAULT_DESK


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


def take(
    db: Database,
    child_code: str,
    *,
    booked: bool = False,
    desk: str | None = None,
    user: str | None = None,
    now: datetime | None = None,
) -> VisitRecord:
    """取号: today's ticket for the child (walk-in A…, booked Y…), at the clinic's first step."""
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
        _flush(s)
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
    """叫号: the next waiting ticket of ``step`` is called to ``desk`` (booked first, then by queue time)."""
    target = step if isinstance(step, dv.Step) else dv.parse_step(step)
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
