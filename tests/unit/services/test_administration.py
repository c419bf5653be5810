"""Scan-verified administration (issue #19 item 3): every refusal reason tried with a real scan
string — a 20-digit 追溯码 and a GS1 DataMatrix string — refuses the dose and changes nothing;
a pass fills batch, expiry and manufacturer from the code; only a 业务管理员 overrides, audited."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from epimanager.domain.gs1 import gtin_check_digit
from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.errors import PermissionDenied, ValidationError
from epimanager.services import recalls, users
from epimanager.services.administration import ScanRefused, verify_scan
from epimanager.services.children import create_child
from epimanager.services.doses import add_dose
from epimanager.services.stock import catalog, movements
from epimanager.store.database import Database
from epimanager.store.models import AuditLog, Dose
from epimanager.store.models_stock import StockMovement

TODAY = date(2026, 11, 26)
NOW = datetime(2026, 11, 26, 9, 0)
HEPB_TRACE = "81234560000000000001"  # 深圳康泰 乙肝, single-dose vials, batch B1
DTAP_TRACE = "87654320000000000001"  # 百白破, batch D1
OLD_TRACE = "81111110000000000001"  # 北京天坛 乙肝, only batch OLD, expired 2026-11-01
MULTI_TRACE = "82222220000000000001"  # 华北制药 乙肝, two doses a vial, batch M1


def gtin(body: str) -> str:
    return body + str(gtin_check_digit(body))


HEPB_GTIN, DTAP_GTIN, OLD_GTIN = gtin("0950600013435"), gtin("0950600013436"), gtin("0950600013437")


def gs1(gt: str, expiry: str, lot: str) -> str:
    """What a keyboard-wedge scanner types for a GS1 DataMatrix: ]d2 01 GTIN 17 YYMMDD 10 LOT <GS> 21 serial."""
    return f"]d201{gt}17{expiry}10{lot}\x1d21SN0001"


@pytest.fixture
def child(db: Database) -> str:
    code = create_child(db, ChildInput("张浩", "1", date(2026, 3, 1), mother_name="李梅"), today=TODAY).code
    rec = movements.receive
    on = date(2026, 10, 1)
    rec(db, vaccine="HepB", batch_no="B1", expiry=date(2027, 6, 30), quantity=10, manufacturer="深圳康泰",
        doses_per_vial=1, trace_code=HEPB_TRACE, gtin=HEPB_GTIN, on=on)  # fmt: skip
    rec(db, vaccine="DTaP", batch_no="D1", expiry=date(2027, 6, 30), quantity=10, manufacturer="武汉生物",
        trace_code=DTAP_TRACE, gtin=DTAP_GTIN, on=on)  # fmt: skip
    rec(db, vaccine="HepB", batch_no="OLD", expiry=date(2026, 11, 1), quantity=5, manufacturer="北京天坛",
        doses_per_vial=1, trace_code=OLD_TRACE, gtin=OLD_GTIN, on=on)  # fmt: skip
    rec(db, vaccine="HepB", batch_no="M1", expiry=date(2027, 6, 30), quantity=10, manufacturer="华北制药",
        doses_per_vial=2, trace_code=MULTI_TRACE, on=on)  # fmt: skip
    return code


def state(db: Database) -> tuple[int, int, list[int]]:
    """(doses, ledger lines, quantities of B1 D1 OLD M1): what a refusal must leave as it was."""
    with db.session() as s:
        doses = int(s.scalar(select(func.count()).select_from(Dose)) or 0)
        lines = int(s.scalar(select(func.count()).select_from(StockMovement)) or 0)
    batches = (("HepB", "B1"), ("DTaP", "D1"), ("HepB", "OLD"), ("HepB", "M1"))
    qty = [catalog.get_batch(db, v, b).quantity for v, b in batches]
    return doses, lines, qty


def give(db: Database, code: str, scan: str, vaccine: str = "HepB", **kw: object):  # type: ignore[no-untyped-def]
    inp = DoseInput(vaccine, 1, TODAY)
    return add_dose(db, code, inp, today=TODAY, confirm_invalid=True, confirm_duplicate=True, scan=scan, **kw)  # type: ignore[arg-type]


def refused(db: Database, code: str, scan: str, expected: str, vaccine: str = "HepB") -> None:
    """The scan is refused at the scan field and by the dose service, naming ``expected``; nothing changes."""
    before = state(db)
    with pytest.raises(ScanRefused, match=expected):
        verify_scan(db, code, scan, vaccine=vaccine, day=TODAY, now=NOW)
    with pytest.raises(ScanRefused, match=expected) as err:
        give(db, code, scan, vaccine)
    assert err.value.exit_code == 2
    assert state(db) == before


def test_a_good_scan_fills_batch_expiry_and_manufacturer(db: Database, child: str) -> None:
    v = verify_scan(db, child, f" {HEPB_TRACE}\n", vaccine="乙肝", day=TODAY, now=NOW)
    assert (v.batch_no, v.expiry, v.manufacturer, v.trace_code, v.reasons) == (
        "B1", date(2027, 6, 30), "深圳康泰", HEPB_TRACE, ())  # fmt: skip
    d = give(db, child, HEPB_TRACE)
    assert (d.batch_no, d.expiry, d.manufacturer, d.trace_code) == ("B1", date(2027, 6, 30), "深圳康泰", HEPB_TRACE)
    assert catalog.get_batch(db, "HepB", "B1").quantity == 9
    v = verify_scan(db, child, gs1(DTAP_GTIN, "270630", "d1"), vaccine="DTaP", day=TODAY, now=NOW)
    assert (v.kind, v.batch_no, v.expiry, v.manufacturer) == ("gs1", "D1", date(2027, 6, 30), "武汉生物")


def test_another_product_than_the_orders_is_a_hard_stop(db: Database, child: str) -> None:
    refused(db, child, DTAP_TRACE, "追溯码对应的产品是 DTaP 武汉生物，不是本次要接种的乙肝疫苗")
    refused(db, child, gs1(DTAP_GTIN, "270630", "D1"), "扫码的产品是 DTaP 武汉生物，不是本次要接种的乙肝疫苗")


def test_a_package_the_stock_does_not_know_cannot_be_checked(db: Database, child: str) -> None:
    refused(db, child, "89999990000000000001", "药品标识码 8999999）尚未入库登记")
    refused(db, child, gs1(gtin("0950600099999"), "270630", "NEW"), "尚未入库登记")


def test_an_expired_batch_is_a_hard_stop(db: Database, child: str) -> None:
    refused(db, child, OLD_TRACE, "HepB 批号 OLD 已于 2026-11-01 失效")
    refused(db, child, gs1(OLD_GTIN, "261101", "OLD"), "HepB 批号 OLD 已于 2026-11-01 失效")


@pytest.mark.parametrize("lock", [False, True])
def test_a_recalled_or_locked_batch_is_a_hard_stop_until_lifted(db: Database, child: str, lock: bool) -> None:
    r = recalls.add_recall(db, "b1", reason="县疾控通知：冷链异常", vaccine="HepB", lock=lock)
    word = "封存" if lock else "召回"
    refused(db, child, HEPB_TRACE, f"批号 B1 已被{word}：县疾控通知：冷链异常")
    refused(db, child, gs1(HEPB_GTIN, "270630", "B1"), f"批号 B1 已被{word}")
    # an entry for another vaccine's batch of the same number does not stop this one
    recalls.lift_recall(db, r.uuid, reason="检测合格", expected_version=r.version)
    recalls.add_recall(db, "B1", reason="别的产品", vaccine="DTaP")
    assert give(db, child, HEPB_TRACE).batch_no == "B1"


def test_a_trace_code_used_as_often_as_its_package_holds_is_refused(db: Database, child: str) -> None:
    give(db, child, HEPB_TRACE)
    refused(db, child, HEPB_TRACE, f"追溯码 {HEPB_TRACE} 已登记 1 剂，该包装只有 1 人份")
    # a two-dose vial takes its second dose, then refuses a third
    give(db, child, MULTI_TRACE)
    assert give(db, child, MULTI_TRACE).batch_no == "M1"
    refused(db, child, MULTI_TRACE, "已登记 2 剂，该包装只有 2 人份")


def test_an_open_multi_dose_vial_past_its_hours_is_refused(db: Database, child: str) -> None:
    first = give(db, child, MULTI_TRACE)
    # the vial was opened at 07:00 the day before: an inactivated vaccine's open vial is good for 1 hour
    opened = NOW - timedelta(hours=26)
    with db.transaction() as s:
        s.execute(update(Dose).where(Dose.uuid == first.uuid).values(created_at=opened))
        s.execute(update(StockMovement).where(StockMovement.dose_uuid == first.uuid).values(vial_opened_at=opened))
    expected = f"该支疫苗（追溯码 {MULTI_TRACE}）开启于 {opened:%Y-%m-%d %H:%M}，开启后限 1 小时内用完"
    refused(db, child, MULTI_TRACE, expected)


def test_a_typed_batch_that_is_not_the_scanned_lot_is_refused(db: Database, child: str) -> None:
    before = state(db)
    with pytest.raises(ScanRefused, match="扫码的批号 B1 与填写的批号 B2 不符"):
        scan = gs1(HEPB_GTIN, "270630", "B1")
        add_dose(db, child, DoseInput("HepB", 1, TODAY, batch_no="B2"), today=TODAY, scan=scan)
    assert state(db) == before


def test_only_a_business_admin_overrides_with_a_reason_and_it_is_audited(db: Database, child: str) -> None:
    users.add_user(db, "admin", "admin-pass-1", "系统管理员")
    users.login(db, "admin", "admin-pass-1")
    users.add_user(db, "boss", "biz-pass-1", "业务管理员", display_name="王主任")
    users.add_user(db, "nurse", "nurse-pass-1", "普通用户")
    recalls_entry = recalls.add_recall  # a 普通用户 cannot keep the list either
    users.login(db, "nurse", "nurse-pass-1")
    with pytest.raises(PermissionDenied, match="维护召回/封存批号清单需要业务管理员"):
        recalls_entry(db, "B1", reason="x")
    before = state(db)
    with pytest.raises(PermissionDenied, match="强制通过扫码核对需要业务管理员"):
        give(db, child, OLD_TRACE, scan_override="急用")
    with pytest.raises(PermissionDenied):
        verify_scan(db, child, OLD_TRACE, vaccine="HepB", day=TODAY, now=NOW, override_reason="急用")
    assert state(db) == before
    users.login(db, "boss", "biz-pass-1")
    recalls.add_recall(db, "B1", reason="待检", lock=True, now=datetime(2026, 11, 20, 8, 0))
    with pytest.raises(ValidationError, match="需要填写原因"):
        give(db, child, HEPB_TRACE, scan_override="  ")
    stop = "批号 B1 已被封存：待检（boss 2026-11-20，本地录入）"
    before = state(db)
    v = verify_scan(db, child, HEPB_TRACE, vaccine="HepB", day=TODAY, now=NOW, override_reason="县疾控同意")
    assert v.reasons == (stop,) and v.batch_no == "B1"
    assert state(db) == before  # a preview writes nothing
    d = give(db, child, HEPB_TRACE, scan_override="县疾控电话同意使用")
    assert (d.batch_no, d.trace_code) == ("B1", HEPB_TRACE)
    assert catalog.get_batch(db, "HepB", "B1").quantity == 9
    with db.session() as s:
        entry = s.scalars(select(AuditLog).where(AuditLog.kind == "scan_override")).one()
    assert (entry.user, entry.entity_uuid) == ("boss", d.uuid)
    assert (entry.old_value, entry.new_value) == (stop, "强制通过扫码核对：县疾控电话同意使用")
    # an expired vaccine stays refused by the dose rules even so
    with pytest.raises(ValidationError, match="疫苗已过期"):
        give(db, child, OLD_TRACE, scan_override="急用")


def test_a_trace_code_typed_on_a_dose_goes_through_the_same_checks(db: Database, child: str) -> None:
    before = state(db)
    with pytest.raises(ScanRefused, match="追溯码对应的产品是 DTaP"):
        add_dose(db, child, DoseInput("HepB", 1, TODAY, trace_code=DTAP_TRACE), today=TODAY)
    assert state(db) == before
    # a dose given elsewhere (外地) is not scanned here: its trace code is only recorded
    d = add_dose(db, child, DoseInput("HepB", 1, TODAY, place_text="外地", trace_code=DTAP_TRACE), today=TODAY)
    assert d.trace_code == DTAP_TRACE and state(db)[1:] == before[1:]


def test_a_trace_code_names_the_product_so_a_stopped_batch_is_passed_over_while_another_is_usable(
    db: Database, child: str
) -> None:
    movements.receive(db, vaccine="HepB", batch_no="B0", expiry=date(2027, 1, 31), quantity=5, on=date(2026, 10, 1),
                      manufacturer="深圳康泰", doses_per_vial=1)  # fmt: skip
    assert verify_scan(db, child, HEPB_TRACE, vaccine="HepB", day=TODAY, now=NOW).batch_no == "B0"  # FEFO
    recalls.add_recall(db, "B0", reason="待检", lock=True)
    assert verify_scan(db, child, HEPB_TRACE, vaccine="HepB", day=TODAY, now=NOW).batch_no == "B1"
    recalls.add_recall(db, "B1", reason="召回通知")
    refused(db, child, HEPB_TRACE, "批号 B0 已被封存：待检")


def test_a_scan_is_checked_against_an_item_of_todays_order(db: Database, child: str) -> None:
    from epimanager.services import consent, precheck, visit_order, visits
    from epimanager.store.models_visit_order import VisitOrderItem

    now = datetime.combine(TODAY, datetime.min.time()).replace(hour=9)
    ticket = visits.take(db, child, now=now).ticket
    visit_order.set_order(db, ticket, [visit_order.parse_item("DTaP:1")], now=now)
    # the visit went through 预检 and the guardian signed for DTaP (test_administration_gate.py: without)
    precheck.save_precheck(db, child, 36.6, {}, now=now)
    consent.record_consent(db, child, "DTaP", "同意", paper=True, now=now)
    with db.session() as s:
        item = s.scalars(select(VisitOrderItem)).one().id
    with pytest.raises(ScanRefused, match="追溯码对应的产品是 HepB 深圳康泰，不是本次要接种的百白破疫苗"):
        verify_scan(db, child, HEPB_TRACE, order_item_id=item, day=TODAY, now=NOW)
    assert verify_scan(db, child, DTAP_TRACE, order_item_id=item, day=TODAY, now=NOW).batch_no == "D1"
