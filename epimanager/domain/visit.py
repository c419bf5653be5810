"""The clinic visit: one child's way through the desks on one day (pure rules, no storage).

取号 gives a ticket (walk-in ``A001…``, booked ``Y001…``, numbered per day); the visit then passes
the clinic's enabled steps in the order 预检 → 登记 → 接种 → 留观 and ends 完成, or 取消.  Within a
step a ticket is 等候 (waiting), 已叫号 (called) or 进行中 (in progress).  Every change is an
:class:`Event` (what, when, who, at which desk) that :func:`apply` turns into the next state or
refuses with a Chinese message (:class:`TransitionError`).

Rules
    * A desk calls the next waiting ticket of its step (:func:`call_order`): booked tickets before
      walk-in ones (预约优先), then by the time the ticket joined the step's queue; a ticket that
      missed a call rejoins at the back (a booked one loses its priority at that step).
    * 过号: a called ticket not answered (by hand, or after ``call_timeout_minutes`` by
      :func:`expire`) goes back to waiting; the ``max_misses``-th miss at one step cancels the visit.
    * 完成本步骤 (finish) from called or in progress passes to :func:`next_step` (disabled steps are
      skipped); the last step leads to 完成.  留观 is not called: a visit enters it in progress (the
      observation runs from then), and leaving before ``observe_minutes`` needs a reason.
    * 退回 goes back to an earlier enabled step with a reason; 取消 ends any open visit.
    * 完成 and 取消 are final; an event may not be earlier than the visit's last one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from epimanager.errors import ValidationError


class Step(StrEnum):
    TAKE = "取号"
    PRECHECK = "预检"
    REGISTER = "登记"
    INOCULATE = "接种"
    OBSERVE = "留观"
    DONE = "完成"
    CANCELLED = "取消"


class Status(StrEnum):
    WAITING = "等候"
    CALLED = "已叫号"
    IN_PROGRESS = "进行中"
    CLOSED = "结束"  # the status of a 完成 / 取消 visit


#: The steps a clinic may switch on or off, in their order.
DESK_STEPS: tuple[Step, ...] = (Step.PRECHECK, Step.REGISTER, Step.INOCULATE, Step.OBSERVE)
FINAL: frozenset[Step] = frozenset({Step.DONE, Step.CANCELLED})
#: Steps whose desks call tickets by number (留观 is a board, not a queue).
CALLED_STEPS: frozenset[Step] = frozenset({Step.PRECHECK, Step.REGISTER, Step.INOCULATE})
ENGLISH: dict[str, Step] = {
    "precheck": Step.PRECHECK,
    "register": Step.REGISTER,
    "inoculate": Step.INOCULATE,
    "observe": Step.OBSERVE,
}
WALK_IN_PREFIX = "A"
BOOKED_PREFIX = "Y"
SYSTEM = "系统"


class TransitionError(ValidationError):
    """An event that cannot happen to the visit in its current state."""


def parse_step(text: str) -> Step:
    """预检 / 登记 / 接种 / 留观 or precheck / register / inoculate / observe."""
    value = (text or "").strip()
    if value.lower() in ENGLISH:
        return ENGLISH[value.lower()]
    for step in DESK_STEPS:
        if value == step.value:
            return step
    raise ValidationError(
        f"未知的步骤：{text}（可用：预检、登记、接种、留观 或 precheck、register、inoculate、observe）"
    )


@dataclass(frozen=True)
class Flow:
    """A clinic's settings for the visit flow."""

    steps: tuple[Step, ...] = DESK_STEPS
    call_timeout_minutes: int = 5
    max_misses: int = 3
    observe_minutes: int = 30

    def __post_init__(self) -> None:
        problems = []
        if not self.steps or any(s not in DESK_STEPS for s in self.steps) or len(set(self.steps)) != len(self.steps):
            problems.append("启用的步骤应是 预检、登记、接种、留观 中不重复的几个")
        elif Step.INOCULATE not in self.steps:
            problems.append("接种步骤不能关闭")
        if self.call_timeout_minutes < 1:
            problems.append("叫号等待时间应至少 1 分钟")
        if self.max_misses < 1:
            problems.append("过号次数上限应至少为 1")
        if self.observe_minutes < 0:
            problems.append("留观时间不能为负数")
        if problems:
            raise ValidationError(problems)
        object.__setattr__(self, "steps", tuple(s for s in DESK_STEPS if s in self.steps))


def next_step(flow: Flow, step: Step) -> Step:
    """The enabled step after ``step`` (取号: the first enabled step), or 完成 after the last one."""
    if step in FINAL:
        return step
    order = (Step.TAKE, *DESK_STEPS)
    later = order[order.index(step) + 1 :]
    return next((s for s in later if s in flow.steps), Step.DONE)


def entry_status(step: Step) -> Status:
    """The status a ticket has on joining ``step``."""
    if step in FINAL:
        return Status.CLOSED
    return Status.WAITING if step in CALLED_STEPS else Status.IN_PROGRESS


@dataclass(frozen=True)
class Event:
    """One change to a visit: ``kind`` is take / call / start / finish / miss / back / cancel, or note (a
    remark, e.g. an adverse reaction in 留观, in ``reason``: the state stays as it is)."""

    kind: str
    at: datetime
    who: str | None = None
    desk: str | None = None
    to_step: Step | None = None  # back: the earlier step
    reason: str | None = None
    booked: bool = False  # take only


@dataclass(frozen=True)
class Visit:
    """A visit's state after its events."""

    ticket: str
    booked: bool
    taken_at: datetime
    step: Step
    status: Status
    queued_at: datetime  # since when it is in this step (its place in the queue)
    last_at: datetime
    misses: int = 0  # at the current step
    called_at: datetime | None = None
    desk: str | None = None  # the desk that called it / works on it

    @property
    def final(self) -> bool:
        return self.step in FINAL

    @property
    def label(self) -> str:
        return self.step.value if self.final else f"{self.step.value}·{self.status.value}"


KINDS = ("take", "call", "start", "finish", "miss", "back", "cancel", "note")
#: the longest note (visit_event.reason holds 200 characters)
NOTE_MAX = 200


def take(ticket: str, event: Event, flow: Flow) -> Visit:
    """The new visit of a ticket: at the first enabled step."""
    step = next_step(flow, Step.TAKE)
    return Visit(ticket, event.booked, event.at, step, entry_status(step), event.at, event.at)


def _moved(visit: Visit, step: Step, event: Event) -> Visit:
    return replace(
        visit,
        step=step,
        status=entry_status(step),
        queued_at=event.at,
        last_at=event.at,
        misses=0,
        called_at=None,
        desk=None,
    )


def apply(visit: Visit, event: Event, flow: Flow) -> Visit:
    """The visit after ``event``, or :class:`TransitionError` saying why it cannot happen."""
    t = visit.ticket
    if event.kind not in KINDS or event.kind == "take":
        raise TransitionError(f"{t}：未知的操作 {event.kind}")
    if event.kind == "note":
        return _note(visit, event)
    if visit.final:
        raise TransitionError(f"{t} 已{visit.step.value}，不能再改动")
    if event.at < visit.last_at:
        raise TransitionError(f"{t}：操作时间 {event.at:%H:%M:%S} 早于上一次操作（{visit.last_at:%H:%M:%S}）")
    step, status = visit.step, visit.status
    if event.kind == "call":
        if step not in CALLED_STEPS:
            raise TransitionError(f"{t} 在{step.value}，{step.value}不叫号")
        if status is Status.IN_PROGRESS:
            raise TransitionError(f"{t} 已在{step.value}进行中，不能再叫号")
        # calling again (重呼) restarts the wait; the desk that calls now is where the child goes
        return replace(visit, status=Status.CALLED, called_at=event.at, desk=event.desk, last_at=event.at)
    if event.kind == "start":
        if status is Status.IN_PROGRESS:
            raise TransitionError(f"{t} 已在{step.value}进行中")
        return replace(visit, status=Status.IN_PROGRESS, desk=event.desk, last_at=event.at)
    if event.kind == "finish":
        if status is Status.WAITING:
            raise TransitionError(f"{t} 在{step.value}等候，尚未叫号，不能完成本步骤")
        if step is Step.OBSERVE and not (event.reason or "").strip():
            done = event.at - visit.queued_at
            if done < timedelta(minutes=flow.observe_minutes):
                minutes = int(done.total_seconds() // 60)
                raise TransitionError(
                    f"{t} 留观未满 {flow.observe_minutes} 分钟（已 {minutes} 分钟），提前离开需填写原因"
                )
        return _moved(visit, next_step(flow, step), event)
    if event.kind == "miss":
        if status is not Status.CALLED:
            raise TransitionError(f"{t} 没有在叫号，不能过号")
        misses = visit.misses + 1
        if misses >= flow.max_misses:
            return replace(_moved(visit, Step.CANCELLED, event), misses=misses)
        return replace(
            visit, status=Status.WAITING, misses=misses, queued_at=event.at, called_at=None, desk=None, last_at=event.at
        )
    if event.kind == "back":
        target = event.to_step
        if not (event.reason or "").strip():
            raise TransitionError(f"{t}：退回需填写原因")
        if target is None or target not in flow.steps:
            name = target.value if target is not None else "?"
            raise TransitionError(f"{t}：本门诊没有启用{name}步骤，不能退回到那里")
        if DESK_STEPS.index(target) >= DESK_STEPS.index(step):
            raise TransitionError(f"{t} 在{step.value}，只能退回到之前的步骤")
        return _moved(visit, target, event)
    # cancel
    return _moved(visit, Step.CANCELLED, event)


def _note(visit: Visit, event: Event) -> Visit:
    """A note changes nothing but the visit's last time; it may follow 完成 (a reaction seen at the door)."""
    t = visit.ticket
    text = (event.reason or "").strip()
    if not text:
        raise TransitionError(f"{t}：记录内容不能为空")
    if len(text) > NOTE_MAX:
        raise TransitionError(f"{t}：记录不能超过 {NOTE_MAX} 字（现 {len(text)} 字）")
    if event.at < visit.last_at:
        raise TransitionError(f"{t}：操作时间 {event.at:%H:%M:%S} 早于上一次操作（{visit.last_at:%H:%M:%S}）")
    return replace(visit, last_at=event.at)


def expire(visit: Visit, now: datetime, flow: Flow) -> Visit | None:
    """The visit after a system 过号 when its call went unanswered for ``call_timeout_minutes``, else None."""
    if visit.final or visit.status is not Status.CALLED or visit.called_at is None:
        return None
    deadline = visit.called_at + timedelta(minutes=flow.call_timeout_minutes)
    if now < deadline:
        return None
    return apply(visit, Event("miss", max(deadline, visit.last_at), SYSTEM, visit.desk, reason="叫号超时未应答"), flow)


def call_order(visits: Iterable[Visit], step: Step) -> list[Visit]:
    """The waiting tickets of ``step`` in the order desks call them: booked first (until a booked ticket
    misses a call), then by the time they joined the queue."""
    waiting = [v for v in visits if v.step is step and v.status is Status.WAITING]
    return sorted(waiting, key=lambda v: (not (v.booked and v.misses == 0), v.queued_at, ticket_number(v.ticket)))


def ticket_number(ticket: str) -> int:
    digits = ticket[1:]
    return int(digits) if digits.isdigit() else 0


def next_ticket(existing: Iterable[str], booked: bool) -> str:
    """The next ticket of the day: ``A001`` / ``Y001`` upwards (4 digits after 999)."""
    prefix = BOOKED_PREFIX if booked else WALK_IN_PREFIX
    top = max((ticket_number(t) for t in existing if t.startswith(prefix)), default=0)
    return f"{prefix}{top + 1:03d}"


@dataclass(frozen=True)
class Stay:
    """One visit's time in one step, worked out from its events."""

    step: Step
    entered: datetime
    called: datetime | None = None
    left: datetime | None = None
    left_to: Step | None = None


@dataclass
class History:
    """What the day summary needs from a visit's events."""

    stays: list[Stay] = field(default_factory=list)
    no_show: bool = False


def history(steps: Sequence[tuple[str, Step, Step, datetime]]) -> History:
    """Stays per step from a visit's events as ``(kind, from_step, to_step, at)`` in order.

    The wait at a step runs from joining it to its first call; a visit cancelled by its last miss
    is a no-show.
    """
    out = History()
    current: Stay | None = None
    for kind, before, after, at in steps:
        if current is not None and kind == "call" and current.called is None:
            current = replace(current, called=at)
        if before != after or kind == "take":
            if current is not None and kind != "take":
                out.stays.append(replace(current, left=at, left_to=after))
            current = Stay(after, at) if after not in FINAL else None
            if kind == "miss" and after is Step.CANCELLED:
                out.no_show = True
    if current is not None:
        out.stays.append(current)
    return out


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile (the smallest value with at least ``p`` % of the values at or below it)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]
