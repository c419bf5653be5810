"""The visit state machine: steps, calls, misses, going back; property tests over many tickets."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from epimanager.domain import visit as dv
from epimanager.domain.visit import Event, Flow, Status, Step, TransitionError
from epimanager.errors import ValidationError

T0 = datetime(2026, 12, 7, 8, 0)
ALL = Flow()
ONE_PC = Flow((Step.REGISTER, Step.INOCULATE, Step.OBSERVE))


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def ev(kind: str, minutes: float, **kw: Any) -> Event:
    return Event(kind, at(minutes), "王护士", "1号台", **kw)


def test_next_step_skips_steps_the_clinic_switched_off() -> None:
    assert dv.next_step(ALL, Step.TAKE) is Step.PRECHECK
    assert dv.next_step(ALL, Step.REGISTER) is Step.INOCULATE
    assert dv.next_step(ALL, Step.OBSERVE) is Step.DONE
    assert dv.next_step(ONE_PC, Step.TAKE) is Step.REGISTER
    assert dv.next_step(Flow((Step.INOCULATE,)), Step.INOCULATE) is Step.DONE
    assert dv.next_step(Flow((Step.PRECHECK, Step.INOCULATE)), Step.PRECHECK) is Step.INOCULATE
    assert Flow((Step.OBSERVE, Step.INOCULATE)).steps == (Step.INOCULATE, Step.OBSERVE)  # kept in flow order


def test_a_flow_without_inoculation_or_with_bad_timings_is_refused() -> None:
    with pytest.raises(ValidationError, match="接种步骤不能关闭"):
        Flow((Step.PRECHECK, Step.REGISTER))
    with pytest.raises(ValidationError, match="叫号等待时间应至少 1 分钟"):
        Flow(call_timeout_minutes=0)
    with pytest.raises(ValidationError, match="不重复"):
        Flow((Step.INOCULATE, Step.INOCULATE))


def test_step_names_in_chinese_and_english() -> None:
    assert [dv.parse_step(x) for x in ("预检", "register", "Inoculate", " 留观 ")] == [
        Step.PRECHECK, Step.REGISTER, Step.INOCULATE, Step.OBSERVE,
    ]  # fmt: skip
    with pytest.raises(ValidationError, match="未知的步骤：完成"):
        dv.parse_step("完成")


def test_tickets_count_up_per_kind() -> None:
    assert dv.next_ticket([], booked=False) == "A001"
    assert dv.next_ticket(["A001", "A002", "Y001"], booked=False) == "A003"
    assert dv.next_ticket(["A001", "A002", "Y001"], booked=True) == "Y002"
    assert dv.next_ticket(["A999"], booked=False) == "A1000"
    assert dv.next_ticket(["A1000", "A999"], booked=False) == "A1001"


def test_a_full_visit_through_every_step() -> None:
    v = dv.take("A001", ev("take", 0), ALL)
    assert (v.step, v.status) == (Step.PRECHECK, Status.WAITING)
    for step, minute in ((Step.PRECHECK, 1), (Step.REGISTER, 5), (Step.INOCULATE, 10)):
        assert v.step is step
        v = dv.apply(v, ev("call", minute), ALL)
        assert (v.status, v.desk, v.called_at) == (Status.CALLED, "1号台", at(minute))
        v = dv.apply(v, ev("start", minute + 1), ALL)
        v = dv.apply(v, ev("finish", minute + 2), ALL)
    assert (v.step, v.status, v.queued_at) == (Step.OBSERVE, Status.IN_PROGRESS, at(12))
    with pytest.raises(TransitionError, match="A001 在留观，留观不叫号"):
        dv.apply(v, ev("call", 13), ALL)
    with pytest.raises(TransitionError, match=r"A001 留观未满 30 分钟（已 29 分钟），提前离开需填写原因"):
        dv.apply(v, ev("finish", 41.5), ALL)
    early = dv.apply(v, ev("finish", 41.5, reason="家长坚持离开"), ALL)
    assert early.step is Step.DONE
    v = dv.apply(v, ev("finish", 42), ALL)
    assert (v.step, v.status, v.final) == (Step.DONE, Status.CLOSED, True)
    with pytest.raises(TransitionError, match="A001 已完成，不能再改动"):
        dv.apply(v, ev("cancel", 50), ALL)


def test_impossible_transitions_say_why() -> None:
    v = dv.take("A002", ev("take", 0), ONE_PC)
    assert v.step is Step.REGISTER
    with pytest.raises(TransitionError, match="A002 在登记等候，尚未叫号，不能完成本步骤"):
        dv.apply(v, ev("finish", 1), ONE_PC)
    with pytest.raises(TransitionError, match="A002 没有在叫号，不能过号"):
        dv.apply(v, ev("miss", 1), ONE_PC)
    with pytest.raises(TransitionError, match="早于上一次操作"):
        dv.apply(v, Event("call", at(-1)), ONE_PC)
    v = dv.apply(dv.apply(v, ev("call", 1), ONE_PC), ev("finish", 2), ONE_PC)  # passed on without "start"
    assert v.step is Step.INOCULATE
    with pytest.raises(TransitionError, match="退回需填写原因"):
        dv.apply(v, ev("back", 3, to_step=Step.REGISTER), ONE_PC)
    with pytest.raises(TransitionError, match="本门诊没有启用预检步骤"):
        dv.apply(v, ev("back", 3, to_step=Step.PRECHECK, reason="体温复测"), ONE_PC)
    with pytest.raises(TransitionError, match="只能退回到之前的步骤"):
        dv.apply(v, ev("back", 3, to_step=Step.OBSERVE, reason="x"), ONE_PC)
    back = dv.apply(v, ev("back", 3, to_step=Step.REGISTER, reason="疫苗选错"), ONE_PC)
    assert (back.step, back.status, back.queued_at) == (Step.REGISTER, Status.WAITING, at(3))


def test_a_missed_call_rejoins_the_queue_at_the_back_and_the_third_miss_cancels() -> None:
    a1 = dv.take("A001", ev("take", 0), ALL)
    a2 = dv.take("A002", ev("take", 1), ALL)
    assert [v.ticket for v in dv.call_order([a2, a1], Step.PRECHECK)] == ["A001", "A002"]
    a1 = dv.apply(dv.apply(a1, ev("call", 2), ALL), ev("miss", 3), ALL)
    assert (a1.status, a1.misses, a1.queued_at) == (Status.WAITING, 1, at(3))
    assert [v.ticket for v in dv.call_order([a2, a1], Step.PRECHECK)] == ["A002", "A001"]
    a1 = dv.apply(dv.apply(a1, ev("call", 4), ALL), ev("miss", 5), ALL)
    assert a1.misses == 2 and not a1.final
    a1 = dv.apply(dv.apply(a1, ev("call", 6), ALL), ev("miss", 7), ALL)
    assert (a1.step, a1.misses) == (Step.CANCELLED, 3)


def test_booked_tickets_are_called_before_walk_ins() -> None:
    a1 = dv.take("A001", ev("take", 0), ALL)
    y1 = dv.take("Y001", ev("take", 5, booked=True), ALL)
    assert [v.ticket for v in dv.call_order([a1, y1], Step.PRECHECK)] == ["Y001", "A001"]
    y1 = dv.apply(dv.apply(y1, ev("call", 6), ALL), ev("miss", 7), ALL)
    assert [v.ticket for v in dv.call_order([a1, y1], Step.PRECHECK)] == ["A001", "Y001"]  # a missed call: to the back
    y1 = dv.apply(dv.apply(y1, ev("call", 8), ALL), ev("finish", 9), ALL)
    assert dv.call_order([y1], Step.REGISTER)[0].misses == 0  # booked again at the next step


def test_an_unanswered_call_returns_to_the_queue_after_the_timeout() -> None:
    v = dv.apply(dv.take("A001", ev("take", 0), ALL), ev("call", 10), ALL)
    assert dv.expire(v, at(14.9), ALL) is None
    back = dv.expire(v, at(40), ALL)
    assert back is not None
    assert (back.status, back.misses, back.queued_at) == (Status.WAITING, 1, at(15))  # at the deadline
    assert dv.expire(v, at(12), Flow(call_timeout_minutes=2)) is not None


def test_waits_and_no_shows_from_the_events() -> None:
    h = dv.history([
        ("take", Step.TAKE, Step.PRECHECK, at(0)),
        ("call", Step.PRECHECK, Step.PRECHECK, at(4)),
        ("call", Step.PRECHECK, Step.PRECHECK, at(6)),
        ("finish", Step.PRECHECK, Step.REGISTER, at(7)),
        ("call", Step.REGISTER, Step.REGISTER, at(9)),
        ("miss", Step.REGISTER, Step.CANCELLED, at(14)),
    ])  # fmt: skip
    assert [(s.step, s.entered, s.called, s.left) for s in h.stays] == [
        (Step.PRECHECK, at(0), at(4), at(7)),
        (Step.REGISTER, at(7), at(9), at(14)),
    ]
    assert h.no_show


def test_percentile_is_nearest_rank() -> None:
    assert dv.percentile([], 90) is None
    assert dv.percentile([5.0], 90) == 5.0
    assert dv.percentile([float(x) for x in range(1, 11)], 90) == 9.0  # 9 of 10 at or below 9
    assert dv.percentile([float(x) for x in range(1, 12)], 90) == 10.0  # ceil(9.9) = 10th


# --- property tests ---------------------------------------------------------------------------

FLOWS = st.sampled_from([ALL, ONE_PC, Flow((Step.INOCULATE,)), Flow((Step.PRECHECK, Step.INOCULATE, Step.OBSERVE))])
KINDS = ("take", "take", "call", "call", "start", "finish", "finish", "miss", "back", "cancel", "tick")
#: "no-show": a desk calls the ticket and the child does not come (call + miss), often, to reach 3 misses
OPS = st.tuples(
    st.sampled_from((*KINDS, "no-show", "no-show", "no-show", "no-show")),
    st.integers(0, 2),  # which ticket (few, so that one sees three misses)
    st.integers(0, 12),  # minutes later
    st.sampled_from(dv.DESK_STEPS),
    st.booleans(),  # booked / a reason given
)


@settings(max_examples=300, deadline=None)
@given(FLOWS, st.lists(OPS, max_size=120))
def test_random_days_lose_no_ticket_and_keep_every_rule(
    flow: Flow, ops: list[tuple[str, int, int, Step, bool]]
) -> None:
    visits: dict[str, dv.Visit] = {}
    taken: list[str] = []
    misses: dict[str, int] = {}  # consecutive misses at the current step, counted by the test
    now = T0
    for op, pick, later, step, flag in ops:
        kind = "miss" if op == "no-show" else op
        now += timedelta(minutes=later)
        if kind == "take":
            ticket = dv.next_ticket(taken, flag)
            assert ticket not in taken
            taken.append(ticket)
            visits[ticket] = dv.take(ticket, Event("take", now, "护士", "取号机", booked=flag), flow)
            misses[ticket] = 0
            continue
        if kind == "tick":
            for t, v in list(visits.items()):
                after = dv.expire(v, now, flow)
                if after is not None:
                    assert after.last_at <= now
                    misses[t] += 1
                    assert (after.step is Step.CANCELLED) == (misses[t] >= flow.max_misses)
                    visits[t] = after
            continue
        if not taken:
            continue
        ticket = taken[pick % len(taken)]
        if op == "no-show":
            try:
                visits[ticket] = dv.apply(visits[ticket], Event("call", now, desk="台"), flow)
            except TransitionError:
                continue
        before = visits[ticket]
        event = Event(kind, now, "护士", "台", to_step=step, reason="原因" if flag else None)
        try:
            after = dv.apply(before, event, flow)
        except TransitionError as exc:
            assert exc.message.startswith(ticket)
            assert not (kind == "cancel" and not before.final)  # an open visit can always be cancelled
            continue
        assert not before.final, "a finished or cancelled visit never moves again"
        if kind == "miss":
            misses[ticket] += 1
            assert (after.step is Step.CANCELLED) == (misses[ticket] >= flow.max_misses)
        elif after.step is not before.step:
            misses[ticket] = 0
        visits[ticket] = after
    # no ticket lost, none in two places: every taken ticket is in exactly one step's list
    places: dict[str, list[Step]] = {}
    for s in (*dv.DESK_STEPS, Step.DONE, Step.CANCELLED):
        for v in visits.values():
            if v.step is s:
                places.setdefault(v.ticket, []).append(s)
    assert sorted(places) == sorted(taken) and all(len(p) == 1 for p in places.values())
    for s in dv.CALLED_STEPS:
        order = [v.ticket for v in dv.call_order(visits.values(), s)]
        assert len(order) == len(set(order))
        assert set(order) == {v.ticket for v in visits.values() if v.step is s and v.status is Status.WAITING}
    for v in visits.values():
        assert v.taken_at <= v.queued_at <= v.last_at <= now  # times are monotone
        assert v.final or v.step in flow.steps
        assert v.final or v.misses < flow.max_misses
        assert v.called_at is not None if v.status is Status.CALLED else True
        assert v.called_at is None if v.status is Status.WAITING else True
        assert v.status is not Status.CALLED or v.step in dv.CALLED_STEPS
        assert (v.status is Status.CLOSED) == v.final


@settings(max_examples=100, deadline=None)
@given(FLOWS, st.lists(st.integers(0, 20), min_size=1, max_size=12))
def test_three_unanswered_calls_cancel(flow: Flow, gaps: list[int]) -> None:
    v = dv.take("A001", Event("take", T0), flow)
    now = T0
    calls = 0
    while not v.final and v.step in dv.CALLED_STEPS:
        now += timedelta(minutes=gaps[calls % len(gaps)])
        v = dv.apply(v, Event("call", now, desk="台"), flow)
        calls += 1
        expired = dv.expire(v, now + timedelta(minutes=flow.call_timeout_minutes), flow)
        assert expired is not None
        v = expired
        now = v.last_at
    assert v.step is Step.CANCELLED  # every flow here starts at a called step
    assert calls == flow.max_misses == 3
