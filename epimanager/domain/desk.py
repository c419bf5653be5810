"""The desks of the clinic flow (pure): which steps a desk works at, and which step it calls next.

A desk is a name the user picks at login (or 系统 → 切换工作台): 预检台, 登记台, ``N号接种台``, 留观台, or
综合 on a one-PC clinic (every enabled step).  Any other name — the PC's host name, kept while nobody
picks a desk — works at no step: the clinic does not use the flow at this PC.

A 综合 desk calls the later steps first (a child already registered is vaccinated before the next
child is registered: one nurse takes one child through), and within a step in the step's call order.
"""

from __future__ import annotations

from collections.abc import Iterable

from epimanager.domain import visit as dv

PRECHECK_DESK = "预检台"
REGISTER_DESK = "登记台"
OBSERVE_DESK = "留观台"
COMBINED_DESK = "综合"
INOCULATE_SUFFIX = "号接种台"
#: How many 接种台 a clinic can pick from.
MAX_INOCULATE_DESKS = 9

_SINGLE: dict[str, dv.Step] = {
    PRECHECK_DESK: dv.Step.PRECHECK,
    REGISTER_DESK: dv.Step.REGISTER,
    OBSERVE_DESK: dv.Step.OBSERVE,
}


def inoculate_desk(n: int) -> str:
    """The n-th vaccination desk: ``2号接种台``."""
    return f"{n}{INOCULATE_SUFFIX}"


def desk_names(flow: dv.Flow, inoculate_desks: int = MAX_INOCULATE_DESKS) -> list[str]:
    """The desks a user can pick in this clinic, in the flow's order; 综合 last."""
    out: list[str] = []
    for step in flow.steps:
        if step is dv.Step.INOCULATE:
            out.extend(inoculate_desk(n) for n in range(1, inoculate_desks + 1))
        else:
            out.extend(name for name, s in _SINGLE.items() if s is step)
    out.append(COMBINED_DESK)
    return out


def desk_steps(desk: str, flow: dv.Flow) -> tuple[dv.Step, ...]:
    """The enabled steps ``desk`` works at (empty: not a flow desk, or its step is switched off)."""
    name = (desk or "").strip()
    if name == COMBINED_DESK:
        return flow.steps
    step = _SINGLE.get(name)
    if step is None and name.endswith(INOCULATE_SUFFIX) and name[: -len(INOCULATE_SUFFIX)].isdigit():
        step = dv.Step.INOCULATE
    return (step,) if step is not None and step in flow.steps else ()


def takes_tickets(desk: str) -> bool:
    """Whether 取号 is done at this desk (the entrance desks and 综合)."""
    return desk.strip() in (PRECHECK_DESK, REGISTER_DESK, COMBINED_DESK)


def next_call(visits: Iterable[dv.Visit], steps: Iterable[dv.Step]) -> dv.Visit | None:
    """The ticket a desk working at ``steps`` calls next: later steps first, then the step's call order."""
    pool = list(visits)
    for step in sorted((s for s in steps if s in dv.CALLED_STEPS), key=dv.DESK_STEPS.index, reverse=True):
        order = dv.call_order(pool, step)
        if order:
            return order[0]
    return None


def mask_name(name: str) -> str:
    """A name as calling screens show it: 徐梦瑶 → 徐*瑶, 张浩 → 张*, 欧阳娜娜 → 欧**娜."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
