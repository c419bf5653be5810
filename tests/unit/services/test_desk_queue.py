"""One desk's queue and calls on a real database (both backends)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from epimanager.domain import visit as dv
from epimanager.domain.validation import ChildInput
from epimanager.errors import NotFoundError, ValidationError
from epimanager.services import desks
from epimanager.services import visits as V
from epimanager.services.children import create_child
from epimanager.services.config import visit_flow
from epimanager.store.database import Database

DAY = date(2026, 12, 7)
T0 = datetime(2026, 12, 7, 8, 0)
S = dv.Step


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def child(db: Database, name: str) -> str:
    return create_child(db, ChildInput(name, "1", date(2025, 3, 1), mother_name="李梅", committee="东风村")).code


def test_a_combined_desk_takes_one_child_through_before_calling_the_next(db: Database) -> None:
    visit_flow.set_flow(db, steps=["登记", "接种", "留观"])
    first, second = child(db, "张浩"), child(db, "徐梦瑶")
    V.take(db, first, desk="综合", now=at(0))
    V.take(db, second, desk="综合", now=at(1))
    combined = (S.REGISTER, S.INOCULATE, S.OBSERVE)
    r = desks.call_next(db, "综合", combined, user="王护士", now=at(2))
    assert (r.ticket, r.step, r.status, r.desk) == ("A001", "登记", "已叫号", "综合")
    V.finish(db, "A001", desk="综合", now=at(4))
    # A001 now waits at 接种 (since 8:04), A002 at 登记 (since 8:01): the later step comes first
    r = desks.call_next(db, "综合", combined, now=at(5))
    assert (r.ticket, r.step) == ("A001", "接种")
    V.finish(db, "A001", desk="综合", now=at(6))
    queue = desks.queue(db, combined, DAY)
    assert [(q.ticket, q.step, q.status) for q in queue] == [("A002", "登记", "等候"), ("A001", "留观", "进行中")]
    assert [(e.kind, e.desk, e.operator) for e in V.events(db, "A001", DAY)][:2] == [
        ("take", "综合", None),
        ("call", "综合", "王护士"),
    ]


def test_a_desk_queue_shows_only_its_step_and_nothing_final(db: Database) -> None:
    a, b, c = child(db, "甲"), child(db, "乙"), child(db, "丙")
    for i, code in enumerate((a, b, c)):
        V.take(db, code, now=at(i))
    V.cancel(db, "A003", reason="家长带走", now=at(3))
    desks.call_next(db, "预检台", (S.PRECHECK,), now=at(4))
    assert [(q.ticket, q.status) for q in desks.queue(db, (S.PRECHECK,), DAY)] == [("A001", "已叫号"), ("A002", "等候")]
    assert desks.queue(db, (S.REGISTER,), DAY) == []
    found = desks.visit_of(db, b, DAY)
    assert found is not None and (found.ticket, found.child_name) == ("A002", "乙")
    assert desks.visit_of(db, b, DAY + timedelta(days=1)) is None


def test_calling_with_nothing_waiting_or_at_observation_says_so(db: Database) -> None:
    with pytest.raises(NotFoundError, match="接种没有等候的号"):
        desks.call_next(db, "1号接种台", (S.INOCULATE,), now=at(0))
    with pytest.raises(ValidationError, match="留观不叫号"):
        desks.call_next(db, "留观台", (S.OBSERVE,), now=at(0))
    visit_flow.set_flow(db, steps=["登记", "接种", "留观"])
    with pytest.raises(ValidationError, match="没有叫号的步骤"):
        desks.call_next(db, "预检台", (S.PRECHECK,), now=at(0))


def test_an_unanswered_call_goes_back_before_the_next_call(db: Database) -> None:
    a, b = child(db, "甲"), child(db, "乙")
    V.take(db, a, now=at(0))
    V.take(db, b, now=at(1))
    assert desks.call_next(db, "预检台", (S.PRECHECK,), now=at(2)).ticket == "A001"
    # 5 minutes later A001 went back to the end of the queue (missed once): A002 is next
    r = desks.call_next(db, "预检台", (S.PRECHECK,), now=at(8))
    assert r.ticket == "A002"
    back = desks.visit_of(db, a, DAY)
    assert back is not None and (back.status, back.misses) == ("等候", 1)
