"""Desks of the clinic flow: names, their steps, which ticket a desk calls next, masked names."""

from __future__ import annotations

from datetime import datetime, timedelta

from epimanager.domain import desk
from epimanager.domain import visit as dv

T0 = datetime(2026, 12, 7, 8, 0)
S = dv.Step


def test_the_desks_of_a_clinic_follow_its_enabled_steps() -> None:
    assert desk.desk_names(dv.Flow(), inoculate_desks=2) == [
        "预检台",
        "登记台",
        "1号接种台",
        "2号接种台",
        "留观台",
        "综合",
    ]
    one_pc = dv.Flow((S.REGISTER, S.INOCULATE, S.OBSERVE))
    assert desk.desk_names(one_pc, inoculate_desks=1) == ["登记台", "1号接种台", "留观台", "综合"]


def test_each_desk_works_at_its_steps_and_other_names_at_none() -> None:
    one_pc = dv.Flow((S.REGISTER, S.INOCULATE, S.OBSERVE))
    assert desk.desk_steps("综合", one_pc) == (S.REGISTER, S.INOCULATE, S.OBSERVE)
    assert desk.desk_steps("3号接种台", one_pc) == (S.INOCULATE,)
    assert desk.desk_steps("留观台", one_pc) == (S.OBSERVE,)
    assert desk.desk_steps("预检台", one_pc) == ()  # switched off here
    assert desk.desk_steps("预检台", dv.Flow()) == (S.PRECHECK,)
    assert desk.desk_steps("clinic-pc-7", dv.Flow()) == ()  # the host name: no flow at this PC
    assert desk.desk_steps("号接种台", dv.Flow()) == ()
    assert [d for d in ("预检台", "登记台", "综合", "1号接种台", "留观台") if desk.takes_tickets(d)] == [
        "预检台",
        "登记台",
        "综合",
    ]


def _waiting(ticket: str, step: dv.Step, minutes: int, booked: bool = False) -> dv.Visit:
    at = T0 + timedelta(minutes=minutes)
    return dv.Visit(ticket, booked, T0, step, dv.Status.WAITING, at, at)


def test_a_combined_desk_calls_later_steps_first_then_in_call_order() -> None:
    visits = [
        _waiting("A001", S.REGISTER, 0),
        _waiting("A002", S.INOCULATE, 9),
        _waiting("A003", S.INOCULATE, 5),
        _waiting("Y001", S.REGISTER, 7, booked=True),
    ]
    steps = (S.REGISTER, S.INOCULATE, S.OBSERVE)
    picked = desk.next_call(visits, steps)
    assert picked is not None and picked.ticket == "A003"  # 接种 before 登记; A003 joined 接种 at 8:05
    picked = desk.next_call(visits, (S.REGISTER,))
    assert picked is not None and picked.ticket == "Y001"  # booked first
    assert desk.next_call(visits, (S.OBSERVE,)) is None  # 留观 is not called
    assert desk.next_call([], steps) is None


def test_names_are_masked_as_on_calling_screens() -> None:
    assert [desk.mask_name(n) for n in ("徐梦瑶", "张浩", "欧阳娜娜", "李", "")] == ["徐*瑶", "张*", "欧**娜", "李", ""]
