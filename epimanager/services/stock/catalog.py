"""Stock products (vaccine + manufacturer + specification), their minimum levels and codes; batch lookup."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from epimanager.errors import NotFoundError, ValidationError
from epimanager.services.stock.ledger import blank_to_none, find_batch, resolve_vaccine
from epimanager.services.stock.records import (
    TRACE7,
    BatchRecord,
    ProductRecord,
    batch_record,
    product_record,
    vaccine_names,
)
from epimanager.services.stock.syringe_types import SYRINGE, SYRINGE_TYPES, VACCINE
from epimanager.store.database import Database
from epimanager.store.models_stock import StockProduct, StockProductCode


def add_product(
    db: Database,
    *,
    vaccine: str,
    manufacturer: str = "",
    specification: str = "",
    doses_per_vial: int = 1,
    form: str | None = None,
    price_fen: int | None = None,
    free: bool = True,
    min_quantity: int = 0,
    open_vial_hours: float | None = None,
) -> ProductRecord:
    """Register a product (vaccine + manufacturer + specification)."""
    code = resolve_vaccine(vaccine)
    check_product_numbers(doses_per_vial, price_fen, min_quantity, open_vial_hours)
    with db.transaction() as s:
        manufacturer, specification = manufacturer.strip(), specification.strip()
        exists = s.scalar(
            select(StockProduct.id).where(
                StockProduct.vaccine_code == code,
                StockProduct.manufacturer == manufacturer,
                StockProduct.specification == specification,
            )
        )
        if exists is not None:
            raise ValidationError(f"产品已存在：{vaccine_names(code)[0]} {manufacturer} {specification}".strip())
        p = new_product(s, code, manufacturer, specification, doses_per_vial)
        p.form = blank_to_none(form)
        p.price_fen = price_fen
        p.free = free
        p.min_quantity = min_quantity
        p.open_vial_hours = open_vial_hours
        s.flush()
        return product_record(s, p)


def check_product_numbers(
    doses_per_vial: int | None, price_fen: int | None, min_quantity: int | None, open_vial_hours: float | None
) -> None:
    problems = []
    if doses_per_vial is not None and not 1 <= doses_per_vial <= 100:
        problems.append("每瓶人份数应在 1–100 之间")
    if price_fen is not None and price_fen < 0:
        problems.append("价格不能为负数")
    if min_quantity is not None and min_quantity < 0:
        problems.append("最低库存不能为负数")
    if open_vial_hours is not None and not 0 < open_vial_hours <= 24 * 28:
        problems.append("开启后可用时间应大于0小时且不超过28天")
    if problems:
        raise ValidationError(problems)


def new_product(s: Session, code: str, manufacturer: str, specification: str, doses_per_vial: int) -> StockProduct:
    p = StockProduct(
        kind=SYRINGE if code in SYRINGE_TYPES else VACCINE,
        vaccine_code=code,
        manufacturer=manufacturer,
        specification=specification,
        doses_per_vial=doses_per_vial,
        free=True,
        min_quantity=0,
        created_at=datetime.now(),
    )
    s.add(p)
    s.flush()
    return p


def update_product(
    db: Database,
    product_id: int,
    *,
    min_quantity: int | None = None,
    open_vial_hours: float | None = None,
    price_fen: int | None = None,
    free: bool | None = None,
    form: str | None = None,
) -> ProductRecord:
    """Change a product's settings (minimum level, open-vial hours, price, …)."""
    check_product_numbers(None, price_fen, min_quantity, open_vial_hours)
    with db.transaction() as s:
        p = s.get(StockProduct, product_id)
        if p is None:
            raise NotFoundError(f"找不到产品（{product_id}）")
        if min_quantity is not None:
            p.min_quantity = min_quantity
        if open_vial_hours is not None:
            p.open_vial_hours = open_vial_hours
        if price_fen is not None:
            p.price_fen = price_fen
        if free is not None:
            p.free = free
        if form is not None:
            p.form = blank_to_none(form)
        s.flush()
        return product_record(s, p)


def find_product(
    db: Database, vaccine: str, manufacturer: str | None = None, specification: str | None = None
) -> ProductRecord:
    code = resolve_vaccine(vaccine)
    with db.session() as s:
        return product_record(s, one_product(s, code, manufacturer, specification))


def list_products(db: Database) -> list[ProductRecord]:
    with db.session() as s:
        ps = s.scalars(
            select(StockProduct).order_by(
                StockProduct.vaccine_code, StockProduct.manufacturer, StockProduct.specification
            )
        )
        return [product_record(s, p) for p in ps]


def get_batch(
    db: Database, vaccine: str, batch_no: str, manufacturer: str | None = None, specification: str | None = None
) -> BatchRecord:
    with db.session() as s:
        return batch_record(find_batch(s, vaccine, batch_no, manufacturer, specification))


def find_products(s: Session, code: str, manufacturer: str | None, specification: str | None) -> list[StockProduct]:
    q = select(StockProduct).where(StockProduct.vaccine_code == code)
    if manufacturer is not None and manufacturer.strip():
        q = q.where(StockProduct.manufacturer == manufacturer.strip())
    if specification is not None and specification.strip():
        q = q.where(StockProduct.specification == specification.strip())
    return list(s.scalars(q.order_by(StockProduct.id)))


def one_product(s: Session, code: str, manufacturer: str | None, specification: str | None) -> StockProduct:
    found = find_products(s, code, manufacturer, specification)
    abbr = vaccine_names(code)[0]
    what = "注射器" if code in SYRINGE_TYPES else "疫苗"
    if not found:
        who = f"（{manufacturer}）" if manufacturer else ""
        raise NotFoundError(f"库存中没有{what} {abbr}{who} 的产品")
    if len(found) > 1:
        names = "、".join(f"{p.manufacturer or '未填企业'} {p.specification}".strip() for p in found)
        raise ValidationError(f"{what} {abbr} 有多个产品（{names}），请指定生产企业或规格")
    return found[0]


def learn_code(s: Session, product: StockProduct, code: str, kind: str) -> None:
    row = s.get(StockProductCode, (code, kind))
    if row is None:
        s.add(StockProductCode(code=code, kind=kind, product_id=product.id))
        return
    if row.product_id != product.id:
        other = s.get(StockProduct, row.product_id)
        assert other is not None
        label = "药品标识码" if kind == TRACE7 else "GTIN"
        raise ValidationError(
            f"{label} {code} 已对应产品 {vaccine_names(other.vaccine_code)[0]} {other.manufacturer}，"
            f"不能再对应 {vaccine_names(product.vaccine_code)[0]} {product.manufacturer}"
        )
