"""Vaccine stock on a real database: FEFO, refusals, doses bound to batches, vials, codes, alerts."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError

from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.errors import NotFoundError, ValidationError
from epimanager.services.children import create_child, get_child
from epimanager.services.database import Database
from epimanager.services.doses import add_dose, delete_dose, update_dose
from epimanager.services.stock import alerts, catalog, counts, movements, proposals, scan
from epimanager.store.models_stock import StockBatch, StockMovement

TODAY = date(2026, 11, 26)
OTHER_UNIT = "3201020202"


@pytest.fixture
def code(db: Database) -> str:
    return create_child(db, ChildInput("张浩", "1", date(2026, 3, 1), mother_name="李梅"), today=TODAY).code


def qty(db: Database, vaccine: str, batch: str) -> int:
    return catalog.get_batch(db, vaccine, batch).quantity


def receive(db: Database, vaccine: str, batch: str, expiry: date, n: int, on: date = date(2026, 10, 1), **kw: object):  # type: ignore[no-untyped-def]
    return movements.receive(db, vaccine=vaccine, batch_no=batch, expiry=expiry, quantity=n, on=on, **kw)  # type: ignore[arg-type]


def dose(db: Database, code: str, vaccine: str, batch: str | None, n: int = 1, on: date = TODAY, **kw: object):  # type: ignore[no-untyped-def]
    return add_dose(db, code, DoseInput(vaccine, n, on, batch_no=batch, **kw), today=TODAY)  # type: ignore[arg-type]


def ledger(db: Database) -> list[tuple[str, str, int, str | None]]:
    with db.session() as s:
        rows = s.execute(
            select(StockMovement.kind, StockMovement.subtype, StockMovement.delta, StockMovement.dose_uuid).order_by(
                StockMovement.id
            )
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


# ---------------------------------------------------------------- FEFO


def test_fefo_proposes_the_earliest_expiring_usable_batch_first(db: Database) -> None:
    receive(db, "HepB", "A-JUN", date(2027, 6, 30), 50)
    receive(db, "HepB", "B-JAN", date(2027, 1, 31), 50)
    receive(db, "HepB", "C-OLD", date(2026, 11, 20), 10)  # expired on the 26th
    receive(db, "HepB", "D-EMPTY", date(2026, 12, 31), 5)
    movements.waste(db, vaccine="HepB", batch_no="D-EMPTY", quantity=5, subtype="broken", on=date(2026, 10, 2))
    receive(db, "BCG", "X1", date(2027, 1, 31), 10)  # another vaccine
    options = proposals.propose_batches(db, "乙肝", TODAY)
    assert [(o.batch_no, o.quantity, o.days_to_expiry) for o in options] == [("B-JAN", 50, 66), ("A-JUN", 50, 216)]
    # on the 19th the old batch was still good and expires first
    assert next(o.batch_no for o in proposals.propose_batches(db, "HepB", date(2026, 11, 19))) == "C-OLD"


def test_an_open_vial_within_its_hours_is_proposed_before_an_earlier_expiry(db: Database, code: str) -> None:
    catalog.add_product(db, vaccine="BCG", manufacturer="上海生物", doses_per_vial=5)
    receive(db, "BCG", "LATE", date(2027, 5, 31), 10)
    receive(db, "BCG", "SOON", date(2027, 2, 28), 10)
    dose(db, code, "BCG", "LATE")
    first = proposals.propose_batches(db, "BCG", TODAY)[0]
    assert (first.batch_no, first.quantity, first.open_remaining) == ("LATE", 9, 4)
    assert first.open_until is not None
    # an hour later the open vial is past its half hour: its 4 doses no longer count, SOON leads
    later = datetime.now() + timedelta(hours=1)
    options = proposals.propose_batches(db, "BCG", TODAY, now=later)
    assert [(o.batch_no, o.quantity, o.open_remaining) for o in options] == [("SOON", 10, 0), ("LATE", 5, 0)]


# ---------------------------------------------------------------- never negative


def test_a_movement_that_would_go_negative_is_refused_naming_batch_and_shortfall(db: Database) -> None:
    receive(db, "HepB", "b1", date(2027, 6, 30), 10)
    with pytest.raises(ValidationError, match="HepB 批号 B1 可用 10 人份，需要 12 人份，缺少 2 人份"):
        movements.issue(db, vaccine="HepB", batch_no="B1", quantity=12)
    with pytest.raises(ValidationError, match="缺少 1 人份"):
        movements.waste(db, vaccine="HepB", batch_no="B1", quantity=11, subtype="cold_chain")
    with pytest.raises(ValidationError, match="调入单位"):
        movements.issue(db, vaccine="HepB", batch_no="B1", quantity=1, subtype="transfer")
    with pytest.raises(ValidationError, match="原因"):
        movements.waste(db, vaccine="HepB", batch_no="B1", quantity=1, subtype="other")
    with pytest.raises(NotFoundError, match="没有 HepB 批号 ZZZ"):
        movements.issue(db, vaccine="HepB", batch_no="ZZZ", quantity=1)
    # nothing changed
    assert qty(db, "HepB", "B1") == 10
    assert ledger(db) == [("in", "receipt", 10, None)]


def test_a_back_dated_issue_may_not_make_any_later_day_negative(db: Database) -> None:
    receive(db, "HepB", "B1", date(2027, 6, 30), 10, on=date(2026, 11, 1))
    movements.issue(db, vaccine="HepB", batch_no="B1", quantity=10, on=date(2026, 11, 20))
    receive(db, "HepB", "B1", date(2027, 6, 30), 5, on=date(2026, 11, 25))
    # 5 on hand now, but on the 20th the balance would have been 10 − 5 − 10 = −5
    with pytest.raises(ValidationError, match=r"可用 0 人份（按 2026-11-10 起的结存）.*缺少 5 人份"):
        movements.issue(db, vaccine="HepB", batch_no="B1", quantity=5, on=date(2026, 11, 10))
    # before the first receipt there was nothing to issue
    with pytest.raises(ValidationError, match="缺少 1 人份"):
        movements.issue(db, vaccine="HepB", batch_no="B1", quantity=1, on=date(2026, 10, 31))
    movements.issue(db, vaccine="HepB", batch_no="B1", quantity=5, on=date(2026, 11, 25))
    assert qty(db, "HepB", "B1") == 0


def test_the_database_itself_refuses_a_negative_balance(db: Database) -> None:
    receive(db, "HepB", "B1", date(2027, 6, 30), 1)
    with pytest.raises(IntegrityError, match="ck_stock_batch_quantity"), db.transaction() as s:
        s.execute(update(StockBatch).values(quantity=-1))
    with pytest.raises(IntegrityError, match="ck_stock_movement_in_positive"), db.transaction() as s:
        s.execute(text("UPDATE stock_movement SET delta = -1"))


def test_receipt_checks_and_product_details(db: Database) -> None:
    m = receive(
        db, "HepB", " b9 ", date(2027, 6, 30), 20, manufacturer="深圳康泰", supplier="玄武区疾控", document_no="RK-7"
    )
    assert (m.batch_no, m.delta, m.balance, m.supplier, m.document_no) == ("B9", 20, 20, "玄武区疾控", "RK-7")
    with pytest.raises(ValidationError, match="已登记失效期 2027-06-30"):
        receive(db, "HepB", "B9", date(2027, 7, 31), 5)
    with pytest.raises(ValidationError, match="已于 2026-09-30 失效，不能入库"):
        receive(db, "HepB", "OLD", date(2026, 9, 30), 5)
    with pytest.raises(ValidationError, match="每瓶 1 人份"):
        receive(db, "HepB", "B10", date(2027, 6, 30), 5, doses_per_vial=10)
    with pytest.raises(ValidationError, match="入库数量应大于0"):
        receive(db, "HepB", "B10", date(2027, 6, 30), 0)
    catalog.add_product(db, vaccine="HepB", manufacturer="大连汉信", specification="10μg")
    with pytest.raises(ValidationError, match="有多个产品"):
        receive(db, "HepB", "B11", date(2027, 6, 30), 5)
    (p,) = [p for p in catalog.list_products(db) if p.manufacturer == "深圳康泰"]
    assert (p.vaccine_code, p.doses_per_vial, p.open_vial_hours) == ("0201", 1, 1.0)  # inactivated: 1 hour


# ---------------------------------------------------------------- doses bound to batches


def test_a_dose_takes_one_dose_and_deleting_it_puts_it_back(db: Database, code: str) -> None:
    receive(db, "HepB", "B1", date(2027, 6, 30), 10, manufacturer="深圳康泰")
    d = dose(db, code, "HepB", "b1")  # typed in lower case
    assert qty(db, "HepB", "B1") == 9
    # the dose got the batch's expiry and manufacturer
    assert (d.expiry, d.manufacturer) == (date(2027, 6, 30), "深圳康泰")
    delete_dose(db, d.uuid, user="李护士", reason="录入错误")
    assert qty(db, "HepB", "B1") == 10
    assert ledger(db) == [("in", "receipt", 10, None), ("out", "dose", -1, d.uuid), ("out", "dose", 1, d.uuid)]
    with db.session() as s:
        back = s.scalars(select(StockMovement).order_by(StockMovement.id.desc()).limit(1)).one()
    assert (back.date, back.user, back.reason) == (TODAY, "李护士", "删除接种记录")


def test_a_dose_beyond_the_stock_is_refused_and_not_saved(db: Database, code: str) -> None:
    receive(db, "HepB", "B1", date(2027, 6, 30), 1)
    dose(db, code, "HepB", "B1", 1, date(2026, 10, 5))
    with pytest.raises(ValidationError, match="HepB 批号 B1 可用 0 人份，需要 1 人份，缺少 1 人份"):
        dose(db, code, "HepB", "B1", 2, TODAY)
    assert [d.dose_number for d in get_child(db, code).doses] == [1]
    assert qty(db, "HepB", "B1") == 0


def test_doses_that_stock_does_not_apply_to_still_save(db: Database, code: str) -> None:
    # a clinic with no stock records at all
    dose(db, code, "HepB", "ANY", 1, date(2026, 3, 1))
    receive(db, "HepB", "B1", date(2027, 6, 30), 5, on=date(2026, 10, 1))
    # batch not in stock, another unit, 外地, no batch, before the batch was received
    dose(db, code, "HepB", "NOT-HERE", 2, date(2026, 4, 1))
    dose(db, code, "HepB", "B1", 3, date(2026, 10, 2), unit_code=OTHER_UNIT)
    dose(db, code, "DTaP", "B1", 1, date(2026, 5, 1))  # same batch number, other vaccine
    dose(db, code, "HepB", "B1", 1, date(2026, 9, 1), place_text="外地")
    dose(db, code, "HepB", None, 1, TODAY)
    dose(db, code, "HepB", "B1", 1, date(2026, 9, 30))
    assert len(get_child(db, code).doses) == 7
    assert qty(db, "HepB", "B1") == 5
    assert [r[0] for r in ledger(db)] == ["in"]


def test_a_dose_from_an_expired_batch_is_refused(db: Database, code: str) -> None:
    receive(db, "HepB", "B1", date(2026, 10, 31), 5)
    with pytest.raises(ValidationError, match="批号 B1 已于 2026-10-31 失效"):
        dose(db, code, "HepB", "B1", 1, date(2026, 11, 1))
    dose(db, code, "HepB", "B1", 1, date(2026, 10, 31))  # the last valid day
    assert qty(db, "HepB", "B1") == 4


def test_changing_a_doses_batch_moves_its_dose_between_batches(db: Database, code: str) -> None:
    receive(db, "HepB", "A", date(2027, 6, 30), 10)
    receive(db, "HepB", "B", date(2027, 6, 30), 10)
    receive(db, "HepB", "EMPTY", date(2027, 6, 30), 1)
    movements.issue(db, vaccine="HepB", batch_no="EMPTY", quantity=1, subtype="return", counterparty="县疾控")
    d = dose(db, code, "HepB", "A")
    update_dose(db, d.uuid, {"batch_no": "B"}, today=TODAY)
    assert (qty(db, "HepB", "A"), qty(db, "HepB", "B")) == (10, 9)
    # a change to a batch with nothing left is refused, the dose and stock unchanged
    with pytest.raises(ValidationError, match="EMPTY 可用 0 人份"):
        update_dose(db, d.uuid, {"batch_no": "EMPTY"}, today=TODAY)
    assert get_child(db, code).doses[0].batch_no == "B"
    # a change that does not touch stock fields leaves the ledger alone
    n = len(ledger(db))
    update_dose(db, d.uuid, {"site": "右上臂"}, today=TODAY)
    assert len(ledger(db)) == n
    # another vaccine with that batch number is not in stock: the dose goes back
    update_dose(db, d.uuid, {"vaccine": "0202"}, today=TODAY)
    assert (qty(db, "HepB", "A"), qty(db, "HepB", "B")) == (10, 10)
    # the month's figures net to zero uses for B
    assert sum(r[2] for r in ledger(db) if r[3] == d.uuid) == 0


# ---------------------------------------------------------------- multi-dose vials


def _age_open_vial(db: Database, batch: str, minutes: int) -> None:
    with db.transaction() as s:
        s.execute(
            update(StockBatch)
            .where(StockBatch.batch_no == batch)
            .values(opened_at=datetime.now() - timedelta(minutes=minutes))
        )


def test_open_vial_remainder_is_written_off_after_its_hours(db: Database, code: str) -> None:
    catalog.add_product(db, vaccine="BCG", doses_per_vial=5)  # live vaccine: half an hour
    receive(db, "BCG", "V1", date(2027, 5, 31), 15)
    kid2 = create_child(db, ChildInput("王芳", "2", date(2026, 2, 1), mother_name="赵敏"), today=TODAY).code
    dose(db, code, "BCG", "V1")
    b = catalog.get_batch(db, "BCG", "V1")
    assert (b.quantity, b.open_remaining, b.closed_vials) == (14, 4, 2)
    # 40 minutes later the next child: the 4 left are wasted, a new vial is opened
    _age_open_vial(db, "V1", 40)
    dose(db, kid2, "BCG", "V1")
    b = catalog.get_batch(db, "BCG", "V1")
    assert (b.quantity, b.open_remaining) == (9, 4)
    assert ledger(db)[-2:] == [("waste", "open_vial", -4, None), ("out", "dose", -1, ledger(db)[-1][3])]
    # an explicit sweep before the half hour writes off nothing; after it, the rest
    opened = catalog.get_batch(db, "BCG", "V1").opened_at
    assert opened is not None
    assert movements.expire_open_vials(db, now=opened + timedelta(minutes=29)) == []
    (m,) = movements.expire_open_vials(db, now=opened + timedelta(minutes=30), user="李护士")
    assert (m.subtype_label, m.quantity, m.balance, m.user) == ("开启后废弃", 4, 5, "李护士")
    assert "超过 0.5 小时未用完" in (m.reason or "")
    assert catalog.get_batch(db, "BCG", "V1").open_remaining == 0


def test_deleting_a_dose_from_the_open_vial_puts_it_back_in_that_vial(db: Database, code: str) -> None:
    catalog.add_product(db, vaccine="BCG", doses_per_vial=5, open_vial_hours=4)
    receive(db, "BCG", "V1", date(2027, 5, 31), 10)
    d = dose(db, code, "BCG", "V1")
    delete_dose(db, d.uuid)
    b = catalog.get_batch(db, "BCG", "V1")
    # the vial is full again: two closed vials, nothing open
    assert (b.quantity, b.open_remaining, b.opened_at, b.closed_vials) == (10, 0, None, 2)


def test_returns_take_whole_unopened_vials_only(db: Database, code: str) -> None:
    catalog.add_product(db, vaccine="BCG", doses_per_vial=5, open_vial_hours=4)
    receive(db, "BCG", "V1", date(2027, 5, 31), 10)
    dose(db, code, "BCG", "V1")
    with pytest.raises(ValidationError, match="可用 5 人份（未开启的），需要 9 人份，缺少 4 人份"):
        movements.issue(db, vaccine="BCG", batch_no="V1", quantity=9, subtype="return", counterparty="县疾控")
    m = movements.issue(db, vaccine="BCG", batch_no="V1", quantity=5, subtype="return", counterparty="县疾控")
    assert m.balance == 4
    # discarding the open vial by hand
    m = movements.waste(db, vaccine="BCG", batch_no="V1", quantity=4, subtype="open_vial", reason="门诊结束")
    assert m.balance == 0


# ---------------------------------------------------------------- counts


def test_a_count_records_the_difference_with_its_reason(db: Database) -> None:
    receive(db, "HepB", "B1", date(2027, 6, 30), 20)
    with pytest.raises(ValidationError, match="盘点数量 18 与账面 20 不符（差 -2 人份），请填写原因"):
        counts.count(db, vaccine="HepB", batch_no="B1", counted=18)
    m = counts.count(db, vaccine="HepB", batch_no="B1", counted=18, reason="破损未登记", user="王")
    assert (m.kind_label, m.delta, m.balance, m.reason) == ("盘点", -2, 18, "破损未登记")
    m = counts.count(db, vaccine="HepB", batch_no="B1", counted=18)  # agrees: a line of 0
    assert (m.delta, m.balance) == (0, 18)


# ---------------------------------------------------------------- codes and scans


def test_trace_code_identifies_the_product_by_its_first_7_digits_once_received(db: Database, code: str) -> None:
    assert scan.product_for_trace_code(db, "81234560000000000001") is None
    receive(db, "HepB", "B1", date(2027, 6, 30), 10, manufacturer="深圳康泰", trace_code="81234560000000000001")
    p = scan.product_for_trace_code(db, "81234569999999999999")
    assert p is not None and (p.vaccine_code, p.manufacturer, p.trace_prefixes) == ("0201", "深圳康泰", ("8123456",))
    found = scan.identify_scan(db, " 81234561111111111111\n", TODAY)
    assert found.kind == "trace" and found.product == p
    assert [o.batch_no for o in found.options] == ["B1"]
    # the same 7 digits cannot stand for another product
    with pytest.raises(ValidationError, match="药品标识码 8123456 已对应产品 HepB 深圳康泰"):
        receive(db, "BCG", "X", date(2027, 6, 30), 10, trace_code="81234560000000000002")
    # a dose whose trace code belongs to another product than its batch is refused
    receive(db, "DTaP", "D1", date(2027, 6, 30), 10, trace_code="87654320000000000001")
    with pytest.raises(ValidationError, match="追溯码对应的产品是 DTaP"):
        dose(db, code, "HepB", "B1", trace_code="87654320000000000009")
    assert qty(db, "HepB", "B1") == 10


def test_gs1_scan_fills_product_batch_and_expiry(db: Database) -> None:
    gtin = "09506000134352"
    receive(db, "HepB", "202611A", date(2027, 3, 31), 10, manufacturer="深圳康泰", gtin=gtin)
    r = scan.identify_scan(db, f"]d201{gtin}17270331" + "10202611a\x1d21SN1", TODAY)
    assert (r.kind, r.gtin, r.batch_no, r.expiry, r.serial) == ("gs1", gtin, "202611a", date(2027, 3, 31), "SN1")
    assert r.product is not None and r.product.manufacturer == "深圳康泰"
    assert r.batch is not None and (r.batch.batch_no, r.batch.quantity) == ("202611A", 10)
    # unknown GTIN, lot not in stock: the fields are still read
    r = scan.identify_scan(db, "(01)09506000134369(17)280100(10)NEW", TODAY)
    assert (r.product, r.batch, r.batch_no, r.expiry) == (None, None, "NEW", date(2028, 1, 31))
    with pytest.raises(ValidationError, match="无法识别的扫码内容"):
        scan.identify_scan(db, "hello", TODAY)


# ---------------------------------------------------------------- alerts for F7


def test_expiring_batches_and_products_below_their_minimum(db: Database) -> None:
    receive(db, "HepB", "SOON", date(2026, 12, 20), 8, manufacturer="深圳康泰")
    receive(db, "HepB", "LATER", date(2027, 6, 30), 10, manufacturer="深圳康泰")
    receive(db, "BCG", "GONE", date(2026, 11, 20), 3)
    receive(db, "DTaP", "USED", date(2026, 12, 1), 2)
    movements.issue(db, vaccine="DTaP", batch_no="USED", quantity=2)
    found = alerts.expiring_batches(db, within_days=30, on=TODAY)
    assert [(e.batch.batch_no, e.days_left) for e in found] == [("GONE", -6), ("SOON", 24)]
    p = catalog.find_product(db, "HepB")
    catalog.update_product(db, p.id, min_quantity=20)
    (low,) = alerts.below_minimum(db, on=TODAY)
    assert (low.product.vaccine_abbr, low.on_hand, low.minimum, low.shortfall) == ("HepB", 18, 20, 2)
    # after SOON expires only LATER counts
    (low,) = alerts.below_minimum(db, on=date(2026, 12, 21))
    assert low.on_hand == 10
