"""20-digit trace codes and GS1 strings identify product, batch and expiry."""

from __future__ import annotations

from datetime import date

import pytest

from epimanager.errors import ValidationError
from epimanager.services.stock import scan
from epimanager.store.database import Database
from tests.unit.services.stock.conftest import TODAY, dose, qty, receive


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
