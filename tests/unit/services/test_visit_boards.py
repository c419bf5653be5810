"""What the calling screen and the 留观 board read, notes on a visit, and scanned tickets."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from epimanager.domain.validation import ChildInput
from epimanager.errors import NotFoundError, ValidationError
from epimanager.services import visits as V
from epimanager.services.children import create_child
from epimanager.services.visit_boards import calling_board, observing, visit_notes
from epimanager.services.visit_summary import summary
from epimanager.store.database import Database

DAY = date(2026, 12, 7)
T0 = datetime(2026, 12, 7, 8, 0)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def child(db: Database, name: str) -> str:
    return create_child(db, ChildInput(name, "1", date(2025, 3, 1), mother_name="李梅", committee="东风村")).code


def test_calling_board_lists_calls_newest_first_and_the_next_tickets_per_step(db: Database) -> None:
    codes = [child(db, n) for n in ("徐晓瑶", "张浩", "李四", "王小明")]
    for i, code in enumerate(codes):
        V.take(db, code, now=at(i))  # A001 … A004 at 预检
    V.take(db, child(db, "赵六"), booked=True, now=at(5))  # Y001: booked, called before the walk-ins
    V.call(db, "预检台 1", "预检", now=at(6))  # Y001
    V.call(db, "预检台 2", "预检", now=at(7))  # A001
    board = calling_board(db, DAY)
    assert [(c.ticket, c.child_name, c.desk) for c in board.calls] == [
        ("A001", "徐晓瑶", "预检台 2"),
        ("Y001", "赵六", "预检台 1"),
    ]
    assert board.next_by_step == {"预检": ["A002", "A003", "A004"], "登记": [], "接种": []}
    assert board.waiting == 3
    assert board.steps == ("预检", "登记", "接种")
    first = board.calls[1].call_id
    V.recall(db, "Y001", desk="预检台 1", now=at(8))  # 重呼: a new call event, on top again
    again = calling_board(db, DAY)
    assert again.calls[0].ticket == "Y001"
    assert again.calls[0].call_id > first
    V.start(db, "Y001", now=at(9))  # the child came: no longer called
    assert [c.ticket for c in calling_board(db, DAY).calls] == ["A001"]


def _to_observation(db: Database, name: str, minute: float) -> str:
    ticket = V.take(db, child(db, name), now=at(minute)).ticket
    for step in ("预检", "登记", "接种"):
        V.call(db, "台", step, now=at(minute))
        V.finish(db, ticket, now=at(minute))
    return ticket


def test_observing_counts_down_from_the_clinics_time(db: Database) -> None:
    a = _to_observation(db, "徐晓瑶", 0)
    b = _to_observation(db, "张浩", 10)
    rows = observing(db, DAY)
    assert [(r.ticket, r.child_name, r.since) for r in rows] == [(a, "徐晓瑶", at(0)), (b, "张浩", at(10))]
    now = at(25.5)
    assert [r.minutes_left(now) for r in rows] == [5, 15]  # 4.5 and 14.5 minutes still to go, rounded up
    assert [r.done(at(30)) for r in rows] == [True, False]
    assert rows[0].minutes_left(at(45)) == 0


def test_a_note_is_recorded_without_moving_the_visit(db: Database) -> None:
    ticket = _to_observation(db, "徐晓瑶", 0)
    r = V.note(db, ticket, "注射部位红肿约 1 cm", desk="留观台", user="王护士", now=at(12))
    assert (r.step, r.status) == ("留观", "进行中")
    notes = visit_notes(db, ticket, DAY)
    assert [(n.reason, n.desk, n.to_step) for n in notes] == [("注射部位红肿约 1 cm", "留观台", "留观")]
    with pytest.raises(ValidationError, match="记录内容不能为空"):
        V.note(db, ticket, "", now=at(13))
    # the countdown still runs from the start of 留观, and the summary is not fooled by the note
    assert observing(db, DAY)[0].since == at(0)
    with pytest.raises(ValidationError, match="留观未满 30 分钟"):
        V.finish(db, ticket, now=at(20))
    V.finish(db, ticket, now=at(31))
    assert summary(db, DAY).short_observation == []


def test_find_by_payload_opens_the_visit_of_a_scanned_ticket(db: Database) -> None:
    V.take(db, child(db, "徐晓瑶"), now=at(0))
    found = V.find_by_payload(db, "EPIV:2026-12-07:a001\n")
    assert found is not None
    assert (found.ticket, found.child_name, found.day) == ("A001", "徐晓瑶", DAY)
    assert V.find_by_payload(db, "徐晓瑶") is None
    with pytest.raises(NotFoundError, match="2026-12-06 没有 A001 号"):
        V.find_by_payload(db, "EPIV:2026-12-06:A001")
