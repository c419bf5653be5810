"""登记's order for today on a real database: the default selection, every refusal, the 接种台's
off-order confirmation and the slip text."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.errors import NotFoundError, StaleRecord, ValidationError
from epimanager.services import visit_order as O
from epimanager.services import visits as V
from epimanager.services.children import create_child
from epimanager.services.config import visit_flow
from epimanager.services.doses import OffOrderDose, add_dose
from epimanager.store.database import Database
from epimanager.store.models import AuditLog

DAY = date(2026, 12, 7)
T0 = datetime(2026, 12, 7, 8, 0)
BORN = date(2026, 10, 1)  # 2 months and 6 days old on DAY


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def baby(db: Database, name: str = "王小宝") -> str:
    """Born 2026-10-01 with HepB 1 and BCG at the birth hospital: on 2026-12-07 HepB 2 (1 month),
    IPV 1 and DTaP 1 (2 months) are due; HepB 3 (6 months) and MMR (8 months) are not."""
    birth = [DoseInput("HepB", 1, BORN, site="右上臂"), DoseInput("BCG", 1, BORN, site="左上臂")]
    inp = ChildInput(name, "1", BORN, mother_name="李梅", committee="东风村")
    return create_child(db, inp, today=DAY, birth_doses=birth).code


def ticket_at_register(db: Database, code: str) -> str:
    r = V.take(db, code, desk="取号机", now=at(0))
    V.call(db, "预检台", "预检", now=at(1))
    V.finish(db, r.ticket, desk="预检台", now=at(2))
    V.call(db, "登记台", "登记", now=at(3))
    return r.ticket


def items(order: O.VisitOrderRecord) -> list[tuple[str, int, str | None, bool]]:
    return [(i.abbr, i.dose_number, i.site, i.given) for i in order.items]


def test_the_due_items_are_proposed_each_at_a_free_site(db: Database) -> None:
    ticket = ticket_at_register(db, baby(db))
    proposal = O.proposal(db, ticket, day=DAY)
    # HepB 2 is due since 2026-11-01, IPV 1 and DTaP 1 since 2026-12-01 (earliest first);
    # HepB takes its usual right upper arm, IPV its usual left one, so DTaP (usually right upper
    # arm) goes to the first free site: the left thigh
    assert proposal == [
        O.OrderItem("0201", 2, "右上臂"),
        O.OrderItem("0303", 1, "左上臂"),
        O.OrderItem("0401", 1, "左大腿"),
    ]


def test_set_order_stores_the_items_who_where_and_when(db: Database) -> None:
    code = baby(db)
    ticket = ticket_at_register(db, code)
    assert O.order_of(db, ticket, day=DAY).items == ()  # type: ignore[union-attr]
    r = O.set_order(
        db, ticket, [O.OrderItem("HepB", 2, "右上臂"), O.OrderItem("脊灰灭活", 1)],
        expected_version=0, desk="登记台", user="赵医生", now=at(5),
    )  # fmt: skip
    assert items(r) == [("HepB", 2, "右上臂", False), ("IPV", 1, "左上臂", False)]
    assert (r.version, r.operator, r.desk, r.set_at, r.step) == (1, "赵医生", "登记台", at(5), "登记")
    assert r.next_item is not None and r.next_item.text == "乙肝疫苗 第2剂 右上臂"
    by_child = O.order_of(db, child_code=code, day=DAY)
    assert by_child == r
    assert O.order_of(db, child_code=baby(db, "无号儿童"), day=DAY) is None
    assert O.order_lines(db, ticket, day=DAY) == [
        "今日接种安排：",
        "1. 乙肝疫苗 第2剂 右上臂",
        "2. 脊灰灭活疫苗 第1剂 左上臂",
    ]
    # replaced at the same second: a new version all the same; the audit keeps before and after
    r2 = O.set_order(db, ticket, [O.OrderItem("DTaP", 1, "右大腿")], expected_version=1, desk="登记台", now=at(5))
    assert (items(r2), r2.version) == ([("DTaP", 1, "右大腿", False)], 2)
    with db.session() as s:
        log = s.scalars(select(AuditLog).where(AuditLog.kind == "visit_order").order_by(AuditLog.id)).all()
        assert [(e.old_value, e.new_value, e.desk) for e in log][-1][:2] == (
            "乙肝疫苗 第2剂 右上臂、脊灰灭活疫苗 第1剂 左上臂",
            f"{ticket} 号：百白破疫苗 第1剂 右大腿（登记台）",
        )
        assert log[0].user == "赵医生"
    # an empty list clears it
    assert O.set_order(db, ticket, [], now=at(6)).items == ()
    assert O.order_lines(db, ticket, day=DAY) == []


def test_every_item_is_checked_like_a_dose_and_all_problems_are_named(db: Database) -> None:
    ticket = ticket_at_register(db, baby(db))
    bad = [
        O.OrderItem("XYZ", 1),  # 1: unknown
        O.OrderItem("IPV", 1),  # fine
        O.OrderItem("0303", 1),  # 3: the same product again
        O.OrderItem("五联", 1),  # 4: DTaP-IPV/Hib counts for polio too
        O.OrderItem("DTaP", 2),  # 5: the next DTaP is the first
        O.OrderItem("HepB", 3),  # 6: HepB 2 is not given yet
        O.OrderItem("MMR", 1),  # 7: not before 8 months
        O.OrderItem("BCG", 1),  # 8: complete
    ]
    with pytest.raises(ValidationError) as err:
        O.set_order(db, ticket, bad, now=at(5))
    problems = err.value.problems
    assert len(problems) == 7
    assert problems[0].startswith("第1项：") and "XYZ" in problems[0]
    assert problems[1] == "第3项：脊灰灭活疫苗重复安排，每种只能安排一剂"
    assert problems[2] == "第4项：五联疫苗与脊灰灭活疫苗属同一系列，每种只能安排一剂"
    assert problems[3] == "第5项：百白破疫苗 第2剂：该儿童下一剂应为第1剂"
    assert problems[4] == "第6项：乙肝疫苗 第3剂：该儿童下一剂应为第2剂"
    assert problems[5] == "第7项：麻腮风疫苗 第1剂今天接种评价为“首针提前”，不能安排"  # 2 months old, MMR from 8
    assert problems[6] == "第8项：卡介苗该儿童已全程接种或已超过接种年龄，今天不需安排"
    assert O.order_of(db, ticket, day=DAY).version == 0  # type: ignore[union-attr]  # nothing saved
    with pytest.raises(ValidationError, match="剂次应为 1–10"):
        O.set_order(db, ticket, [O.OrderItem("IPV", 0)], now=at(5))
    with pytest.raises(ValidationError, match="安排项应为 疫苗:剂次"):
        O.parse_item("IPV")
    assert O.parse_item("HepB：2：右上臂") == O.OrderItem("HepB", 2, "右上臂")


def test_the_order_changes_only_while_the_visit_is_open_and_before_inoculation_ends(db: Database) -> None:
    visit_flow.set_flow(db, steps=["登记", "接种", "留观"])
    code, other = baby(db), baby(db, "李二宝")
    ticket = V.take(db, code, now=at(0)).ticket
    O.set_order(db, ticket, [O.OrderItem("IPV", 1)], now=at(1))  # at 登记, waiting: fine
    V.call(db, "登记台", "登记", now=at(2))
    V.finish(db, ticket, now=at(3))
    O.set_order(db, ticket, [O.OrderItem("IPV", 1), O.OrderItem("DTaP", 1)], now=at(4))  # at 接种: fine
    V.call(db, "1号接种台", "接种", now=at(5))
    V.finish(db, ticket, now=at(6))
    with pytest.raises(ValidationError, match=f"{ticket} 号已完成接种（留观），不能再设置今日接种安排"):
        O.set_order(db, ticket, [O.OrderItem("HepB", 2)], now=at(7))
    t2 = V.take(db, other, now=at(8)).ticket
    V.cancel(db, t2, now=at(9))
    with pytest.raises(ValidationError, match=f"{t2} 号已取消"):
        O.set_order(db, t2, [O.OrderItem("HepB", 2)], now=at(10))
    with pytest.raises(NotFoundError, match="2026-12-07 没有 A099 号"):
        O.set_order(db, "A099", [], now=at(10))


def test_a_stale_replacement_is_refused(db: Database) -> None:
    ticket = ticket_at_register(db, baby(db))
    O.set_order(db, ticket, [O.OrderItem("IPV", 1)], expected_version=0, desk="登记台1", now=at(5))
    with pytest.raises(StaleRecord, match="另一台电脑刚刚改了"):
        O.set_order(db, ticket, [O.OrderItem("DTaP", 1)], expected_version=0, desk="登记台2", now=at(6))
    assert items(O.order_of(db, ticket, day=DAY)) == [("IPV", 1, "左上臂", False)]  # type: ignore[arg-type]


def test_a_dose_off_the_order_needs_a_confirmation_that_is_audited(db: Database) -> None:
    code = baby(db)
    ticket = ticket_at_register(db, code)
    O.set_order(db, ticket, [O.OrderItem("IPV", 1), O.OrderItem("HepB", 2)], now=at(5))
    # on the order: saved without a question, and the item shows as given
    add_dose(db, code, DoseInput("IPV", 1, DAY), today=DAY)
    order = O.order_of(db, ticket, day=DAY)
    assert order is not None and items(order) == [("IPV", 1, "左上臂", True), ("HepB", 2, "右上臂", False)]
    assert order.next_item is not None and order.next_item.abbr == "HepB"
    with pytest.raises(OffOrderDose) as err:
        add_dose(db, code, DoseInput("DTaP", 1, DAY), today=DAY)
    assert err.value.message == (
        f"百白破疫苗 第1剂不在 {ticket} 号的今日接种安排中"
        "（今日安排：脊灰灭活疫苗 第1剂（左上臂）、乙肝疫苗 第2剂（右上臂））；需确认后才能保存"
    )
    saved = add_dose(db, code, DoseInput("DTaP", 1, DAY), user="王护士", today=DAY, confirm_off_order=True)
    with db.session() as s:
        entry = s.scalars(select(AuditLog).where(AuditLog.kind == "dose_off_order")).one()
        assert (entry.entity_uuid, entry.user) == (saved.uuid, "王护士")
        assert (
            entry.new_value == f"确认今日安排外接种：百白破疫苗 第1剂（{ticket} 号安排："
            "脊灰灭活疫苗 第1剂（左上臂）、乙肝疫苗 第2剂（右上臂））"
        )
    # a wrong dose number of an ordered vaccine is off the order too
    with pytest.raises(OffOrderDose):
        add_dose(db, code, DoseInput("HepB", 3, DAY), today=DAY, confirm_invalid=True)


def test_no_question_without_an_order_for_that_day_or_for_a_dose_given_elsewhere(db: Database) -> None:
    code, lone = baby(db), baby(db, "无号儿童")
    ticket = ticket_at_register(db, code)
    O.set_order(db, ticket, [O.OrderItem("IPV", 1)], now=at(5))
    add_dose(db, lone, DoseInput("DTaP", 1, DAY), today=DAY)  # no visit: never asked
    add_dose(db, code, DoseInput("DTaP", 1, DAY, place_text="外地"), today=DAY)  # given elsewhere
    add_dose(db, code, DoseInput("HepB", 2, DAY - timedelta(days=3)), today=DAY)  # 补录 of another day
    V.cancel(db, ticket, now=at(6))
    add_dose(db, code, DoseInput("IPV", 1, DAY, site="左大腿"), today=DAY)  # a cancelled visit asks nothing
