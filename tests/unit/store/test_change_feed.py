"""The change feed tells a desk that another desk moved a ticket (its queue is read again then), on both backends."""

from __future__ import annotations

import time
from datetime import date, datetime

from epimanager.domain.validation import ChildInput
from epimanager.services import visits
from epimanager.services.children import create_child
from epimanager.store.changes import POLL_S, ChangeFeed, FeedState
from epimanager.store.database import Database, open_database


def _wait_for_news(feed: ChangeFeed) -> FeedState:
    """Drain the feed as the window's timer does until it has news (or 10 s pass: then it has none)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        state = feed.drain()
        if state.everything or state.children:
            return state
        time.sleep(0.1)
    return FeedState()


def _listening(feed: ChangeFeed, *, server: bool) -> None:
    """Wait until the feed listens: on PostgreSQL it has counted the desks on line (after LISTEN); on
    SQLite it has taken the file's stamp (at once when its thread runs)."""
    deadline = time.monotonic() + 10
    while server and feed.drain().desks is None and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(POLL_S)
    feed.drain()


def test_the_next_desk_hears_of_a_ticket_passed_on(db: Database) -> None:
    created = create_child(db, ChildInput("张浩", "1", date(2025, 3, 1), mother_name="李梅"))
    other = open_database(db.location)
    other.desk = "预检台"
    now = datetime.combine(date.today(), datetime.min.time()).replace(hour=9)
    child = visits.take(other, created.code, now=now)
    visits.call(other, None, "预检", now=now)
    db.desk = "登记台"
    feed = db.change_feed()
    try:
        _listening(feed, server=db.server is not None)
        assert visits.list_visits(db, "登记") == []
        visits.finish(other, child.ticket, now=now)
        state = _wait_for_news(feed)
        # PostgreSQL names the child whose visit moved; SQLite can only say "something changed"
        if db.server is None:
            assert state.everything
        else:
            assert state.children == {created.id}
        assert [(v.ticket, v.status) for v in visits.list_visits(db, "登记")] == [("A001", "等候")]
    finally:
        feed.stop()
        other.close()


def test_the_inoculation_desk_hears_of_todays_order(db: Database) -> None:
    """登记 sets the order without moving the visit: the 接种台 must still hear of it (F4 is pre-filled from it)."""
    from epimanager.services import visit_order

    created = create_child(db, ChildInput("张浩", "1", date(2025, 3, 1), mother_name="李梅"))
    other = open_database(db.location)
    other.desk = "登记台"
    now = datetime.now().replace(microsecond=0)
    ticket = visits.take(other, created.code, now=now).ticket
    db.desk = "1号接种台"
    feed = db.change_feed()
    try:
        _listening(feed, server=db.server is not None)
        visit_order.set_order(other, ticket, [visit_order.parse_item("HepB:1:右上臂")], now=now)
        state = _wait_for_news(feed)
        assert state.everything if db.server is None else state.children == {created.id}
        assert visit_order.order_lines(db, ticket)[1:] == ["1. 乙肝疫苗 第1剂 右上臂"]
    finally:
        feed.stop()
        other.close()


def test_the_other_desks_hear_of_a_precheck_saved(db: Database) -> None:
    """A 预检 with a fever at the 预检台: the 接种台 showing the child reads it again (暂缓 now)."""
    from epimanager.services import precheck

    created = create_child(db, ChildInput("张浩", "1", date(2025, 3, 1), mother_name="李梅"))
    other = open_database(db.location)
    other.desk = "预检台"
    feed = db.change_feed()
    try:
        _listening(feed, server=db.server is not None)
        precheck.save_precheck(other, created.code, 38.2, {})
        state = _wait_for_news(feed)
        if db.server is None:
            assert state.everything
        else:
            assert state.children == {created.id}
    finally:
        feed.stop()
        other.close()
