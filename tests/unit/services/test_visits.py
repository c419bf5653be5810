"""The clinic flow services on a real database: tickets, calls, misses, hand-offs and the day summary."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from epimanager.domain.validation import ChildInput
from epimanager.errors import DatabaseError, NotFoundError, PermissionDenied, ValidationError
from epimanager.services import users
from epimanager.services import visits as V
from epimanager.services.children import create_child
from epimanager.services.config import visit_flow
from epimanager.services.visit_summary import summary
from epimanager.store.database import Database, open_database
from epimanager.store.engine import make_engine
from epimanager.store.models import Base

DAY = date(2026, 12, 7)
T0 = datetime(2026, 12, 7, 8, 0)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def child(db: Database, name: str, mother: str = "李梅") -> str:
    return create_child(db, ChildInput(name, "1", date(2025, 3, 1), mother_name=mother, committee="东风村")).code


def where(db: Database, step: str | None = None) -> list[tuple[str, str, str]]:
    return [(r.ticket, r.step, r.status) for r in V.list_visits(db, step, DAY)]


def test_a_visit_through_every_desk_is_audited_step_by_step(db: Database) -> None:
    code = child(db, "张浩")
    r = V.take(db, code, desk="取号机", user="李护士", now=at(0))
    assert (r.ticket, r.step, r.status, r.child_name) == ("A001", "预检", "等候", "张浩")
    assert V.call(db, "预检台", "precheck", user="李护士", now=at(3)).status == "已叫号"
    V.start(db, "A001", desk="预检台", user="李护士", now=at(4))
    assert V.finish(db, "a001", desk="预检台", user="李护士", now=at(6)).step == "登记"
    V.call(db, "登记台", "登记", user="赵医生", now=at(10))
    V.finish(db, "A001", desk="登记台", user="赵医生", now=at(12))
    r = V.call(db, "2号接种台", "inoculate", user="王护士", now=at(20))
    assert (r.step, r.status, r.desk, r.called_at) == ("接种", "已叫号", "2号接种台", at(20))
    r = V.finish(db, "A001", desk="2号接种台", user="王护士", now=at(22))
    assert (r.step, r.status) == ("留观", "进行中")
    with pytest.raises(ValidationError, match="留观不叫号"):
        V.call(db, "留观台", "observe", now=at(23))
    with pytest.raises(ValidationError, match=r"A001 留观未满 30 分钟（已 20 分钟），提前离开需填写原因"):
        V.finish(db, "A001", desk="留观台", now=at(42))
    assert V.finish(db, "A001", desk="留观台", user="孙护士", now=at(52)).step == "完成"
    history = [
        (e.kind, e.from_step, e.to_step, e.to_status, e.at, e.operator, e.desk) for e in V.events(db, "A001", DAY)
    ]
    assert history == [
        ("take", "取号", "预检", "等候", at(0), "李护士", "取号机"),
        ("call", "预检", "预检", "已叫号", at(3), "李护士", "预检台"),
        ("start", "预检", "预检", "进行中", at(4), "李护士", "预检台"),
        ("finish", "预检", "登记", "等候", at(6), "李护士", "预检台"),
        ("call", "登记", "登记", "已叫号", at(10), "赵医生", "登记台"),
        ("finish", "登记", "接种", "等候", at(12), "赵医生", "登记台"),
        ("call", "接种", "接种", "已叫号", at(20), "王护士", "2号接种台"),
        ("finish", "接种", "留观", "进行中", at(22), "王护士", "2号接种台"),
        ("finish", "留观", "完成", "结束", at(52), "孙护士", "留观台"),
    ]
    with pytest.raises(ValidationError, match="A001 已完成，不能再改动"):
        V.back(db, "A001", "接种", "补种", now=at(60))


def test_the_logged_in_user_is_the_operator_and_the_handle_desk_the_default(db: Database) -> None:
    code = child(db, "张浩")
    users.create_first_admin(db, "admin", "Secret-123")
    users.login(db, "admin", "Secret-123")
    db.desk = "3号接种台"  # the desk picked at login (Database.desk on the clinic-server branch)
    V.take(db, code, user="别人", now=at(0))
    V.call(db, None, "预检", now=at(1))
    assert [(e.operator, e.desk) for e in V.events(db, "A001", DAY)] == [("admin", "3号接种台")] * 2


def test_tickets_per_day_walk_in_and_booked_one_per_child(db: Database) -> None:
    a, b, c = child(db, "张浩"), child(db, "李娜", "王芳"), child(db, "刘洋", "陈静")
    assert V.take(db, a, now=at(0)).ticket == "A001"
    assert V.take(db, b, booked=True, now=at(1)).ticket == "Y001"
    assert V.take(db, c, now=at(2)).ticket == "A002"
    with pytest.raises(ValidationError, match=r"张浩 今天已取号 A001（预检·等候），每个儿童每天只取一个号"):
        V.take(db, a, booked=True, now=at(3))
    with pytest.raises(NotFoundError, match="没有儿童编码为 320102010120259999 的个案"):
        V.take(db, "320102010120259999", now=at(3))
    assert [t for t, _, _ in where(db)] == ["Y001", "A001", "A002"]  # the call order
    assert V.take(db, a, now=at(24 * 60)).ticket == "A001"  # a new day starts again at 1
    assert len(V.list_visits(db, day=DAY + timedelta(days=1))) == 1


def test_booked_first_then_by_queue_time_and_a_missed_call_rejoins_at_the_back(db: Database) -> None:
    codes = [child(db, n, m) for n, m in (("张浩", "李梅"), ("李娜", "王芳"), ("刘洋", "陈静"))]
    V.take(db, codes[0], now=at(0))  # A001
    V.take(db, codes[1], now=at(1))  # A002
    V.take(db, codes[2], booked=True, now=at(2))  # Y001
    assert V.call(db, "预检台", "预检", now=at(3)).ticket == "Y001"
    assert V.call(db, "预检台", "预检", now=at(4)).ticket == "A001"
    r = V.miss(db, "A001", desk="预检台", now=at(5))
    assert (r.status, r.misses) == ("等候", 1)
    assert V.call(db, "预检台", "预检", now=at(6)).ticket == "A002"
    assert V.call(db, "预检台", "预检", now=at(7)).ticket == "A001"
    with pytest.raises(NotFoundError, match="预检没有等候的号"):
        V.call(db, "预检台", "预检", now=at(7))
    # at 8 Y001's call (at 3) is 5 minutes old: it returns to the queue and is called again
    assert V.call(db, "预检台", "预检", now=at(8)).ticket == "Y001"


def test_an_unanswered_call_returns_after_the_timeout_and_three_misses_cancel(db: Database) -> None:
    code = child(db, "张浩")
    V.take(db, code, now=at(0))
    V.call(db, "预检台", "预检", now=at(1))
    assert V.expire_calls(db, now=at(5)) == []  # 4 minutes: still called
    assert where(db) == [("A001", "预检", "已叫号")]
    # the next desk action after 5 minutes returns it (a 过号 by 系统 at the deadline)
    assert V.call(db, "预检台", "预检", now=at(9)).ticket == "A001"
    events = V.events(db, "A001", DAY)
    assert [(e.kind, e.at, e.operator, e.reason) for e in events[2:]] == [
        ("miss", at(6), "系统", "叫号超时未应答"),
        ("call", at(9), None, None),
    ]
    assert V.expire_calls(db, now=at(20)) == ["A001"]  # second miss
    V.call(db, "预检台", "预检", now=at(21))
    r = V.miss(db, "A001", now=at(22))
    assert (r.step, r.status, r.misses) == ("取消", "结束", 3)
    with pytest.raises(ValidationError, match="A001 已取消，不能再改动"):
        V.start(db, "A001", now=at(23))
    assert summary(db, DAY).no_shows == ["A001"]


def test_a_one_pc_clinic_uses_only_register_inoculate_observe(db: Database) -> None:
    flow = visit_flow.set_flow(db, steps=["登记", "inoculate", "留观"], observe_minutes=20)
    assert [s.value for s in flow.steps] == ["登记", "接种", "留观"]
    assert visit_flow.flow(db) == flow
    code = child(db, "张浩")
    assert V.take(db, code, now=at(0)).step == "登记"
    with pytest.raises(ValidationError, match="本门诊没有启用预检步骤"):
        V.call(db, "综合", "预检", now=at(1))
    V.call(db, "综合", "登记", now=at(1))
    V.finish(db, "A001", now=at(2))
    V.call(db, "综合", "接种", now=at(3))
    V.finish(db, "A001", now=at(4))
    assert V.finish(db, "A001", now=at(24)).step == "完成"  # 20 minutes are the full time here
    with pytest.raises(ValidationError, match="接种步骤不能关闭"):
        visit_flow.set_flow(db, steps=["登记", "留观"])
    assert visit_flow.flow(db) == flow  # nothing changed


def test_changing_the_flow_needs_a_business_admin(db: Database) -> None:
    users.create_first_admin(db, "admin", "Secret-123")
    users.login(db, "admin", "Secret-123")
    users.add_user(db, "nurse", "Secret-456", "普通用户")
    users.login(db, "nurse", "Secret-456")
    with pytest.raises(PermissionDenied, match="修改单位配置需要业务管理员或以上角色"):
        visit_flow.set_flow(db, observe_minutes=15)
    assert visit_flow.flow(db).observe_minutes == 30


def test_going_back_needs_an_earlier_step_and_a_reason(db: Database) -> None:
    code = child(db, "张浩")
    V.take(db, code, now=at(0))
    for step, minute in (("预检", 1), ("登记", 3)):
        V.call(db, "台", step, now=at(minute))
        V.finish(db, "A001", now=at(minute + 1))
    with pytest.raises(ValidationError, match="退回需填写原因"):
        V.back(db, "A001", "登记", " ", now=at(6))
    with pytest.raises(ValidationError, match="A001 在接种，只能退回到之前的步骤"):
        V.back(db, "A001", "留观", "x", now=at(6))
    r = V.back(db, "A001", "register", "疫苗选错", desk="1号接种台", now=at(6))
    assert (r.step, r.status) == ("登记", "等候")
    assert V.events(db, "A001", DAY)[-1].reason == "疫苗选错"
    assert V.cancel(db, "A001", reason="家长放弃", now=at(7)).step == "取消"


def test_the_day_summary_worked_out_by_hand(db: Database) -> None:
    visit_flow.set_flow(db, steps=["登记", "接种", "留观"])
    codes = [child(db, n, m) for n, m in (("张浩", "李梅"), ("李娜", "王芳"), ("刘洋", "陈静"), ("孙悦", "周敏"))]
    for i, code in enumerate(codes):
        V.take(db, code, booked=i == 3, now=at(i))  # A001 0', A002 1', A003 2', Y001 3'
    # 登记 waits (from taking the number to the first call): Y001 10-3=7, A001 12, A002 13, A003 16
    assert V.call(db, "登记台", "登记", now=at(10)).ticket == "Y001"
    V.finish(db, "Y001", now=at(11))
    for ticket, minute in (("A001", 12), ("A002", 14), ("A003", 18)):
        assert V.call(db, "登记台", "登记", now=at(minute)).ticket == ticket
        if ticket != "A003":
            V.finish(db, ticket, now=at(minute + 1))
    for _ in range(2):
        V.miss(db, "A003", now=at(19))
        V.call(db, "登记台", "登记", now=at(19))
    V.miss(db, "A003", now=at(20))  # the third miss: a no-show
    # 接种 waits: Y001 joined 11, called 20 -> 9; A001 joined 13, called 25 -> 12; A002 joined 15, called 30 -> 15
    for ticket, minute in (("Y001", 20), ("A001", 25), ("A002", 30)):
        assert V.call(db, "1号接种台", "接种", now=at(minute)).ticket == ticket
        V.finish(db, ticket, now=at(minute + 1))  # into 留观 at 21, 26, 31
    V.finish(db, "Y001", now=at(51))  # 30 minutes: the full time
    V.finish(db, "A001", now=at(40), reason="家长有急事")  # 14 minutes
    s = summary(db, DAY)
    assert (s.tickets, s.booked) == (4, 1)
    assert s.by_step == {"预检": 0, "登记": 0, "接种": 0, "留观": 1, "完成": 2, "取消": 1}
    assert [(w.step, w.count, w.median_minutes, w.p90_minutes) for w in s.waits] == [
        ("登记", 4, 12.5, 16.0),  # 7, 12, 13, 16: median (12+13)/2, 90 % at rank ceil(3.6) = 4th
        ("接种", 3, 12.0, 15.0),  # 9, 12, 15: 90 % at rank ceil(2.7) = 3rd
    ]
    assert s.no_shows == ["A003"]
    assert [(o.ticket, o.minutes, o.reason) for o in s.short_observation] == [("A001", 14.0, "家长有急事")]
    assert s.to_json()["not_observed_full_time"] == 1
    assert summary(db, DAY + timedelta(days=1)).tickets == 0


def test_a_refused_action_changes_nothing(db: Database) -> None:
    code = child(db, "张浩")
    V.take(db, code, now=at(0))
    V.call(db, "预检台", "预检", now=at(1))
    before = (where(db), V.events(db, "A001", DAY))
    with pytest.raises(NotFoundError):
        V.miss(db, "A009", now=at(30))  # the timeout sweep of this action is rolled back with it
    with pytest.raises(ValidationError):
        V.call(db, "台", "完成", now=at(30))
    assert (where(db), V.events(db, "A001", DAY)) == before


def test_the_visit_migration_matches_the_models(db_path: Path) -> None:
    engine = make_engine(db_path)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diffs = [d for d in compare_metadata(ctx, Base.metadata) if "visit" in repr(d)]
    finally:
        engine.dispose()
    assert diffs == []


def test_desks_taking_numbers_at_once_never_share_a_ticket(db: Database) -> None:
    where_db = db.location  # the clinic server's address, or the file
    codes = [child(db, f"张{n}", f"李{n}") for n in "一二三四五六"]
    results: dict[str, str] = {}
    refused: list[str] = []

    def desk(code: str) -> None:
        handle = open_database(where_db)
        try:
            results[code] = V.take(handle, code, now=at(0)).ticket
        except DatabaseError as exc:
            refused.append(str(exc))
        finally:
            handle.close()

    threads = [threading.Thread(target=desk, args=(code,)) for code in codes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert refused == []  # a desk that lost the race for a number tried again
    tickets = sorted(results.values())
    assert tickets == [f"A{n:03d}" for n in range(1, 7)]  # unique and without gaps
    assert sorted(r.ticket for r in V.list_visits(db, day=DAY)) == tickets
