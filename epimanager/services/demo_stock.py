"""``epimanager demo --stock``: a small, plausible stock of vaccines and syringes for training and screenshots.

Everything goes through the stock services (receipts, product minimums), so the ledger is as a
clinic's would be.  Dates are relative to ``today``: one vaccine batch expires within the month,
one has expired, and one vaccine and one syringe type are below their minimum — so 库存一览 and F7
have something to show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from epimanager.services.stock import catalog, movements
from epimanager.store.database import Database


@dataclass(frozen=True)
class _Receipt:
    product: str
    manufacturer: str
    specification: str
    doses_per_vial: int
    batch_no: str
    #: days from today to the expiry date (negative: already expired)
    expires_in: int
    quantity: int
    #: days before today it was received
    received_ago: int = 20
    minimum: int = 0


_RECEIPTS = (
    _Receipt("HepB", "深圳康泰", "10μg/0.5ml", 1, "202605A018", 420, 200),
    _Receipt("BCG", "上海生物", "0.5mg/ml", 10, "202602B003", 25, 100),
    _Receipt("bOPV", "北京生物", "滴剂", 1, "202604C112", 300, 150),
    _Receipt("IPV", "北京生物", "0.5ml", 1, "202606D027", 510, 30, minimum=50),
    _Receipt("DTaP", "武汉生物", "0.5ml", 1, "202605E041", 365, 120),
    _Receipt("MMR", "北京生物", "冻干", 1, "202603F009", 210, 60),
    _Receipt("JE-L", "成都生物", "冻干", 1, "202604G015", 260, 40),
    _Receipt("MPSV-A", "兰州生物", "冻干", 1, "202510H002", -3, 20, received_ago=120),
    _Receipt("AD-0.1", "山东威高", "0.1ml", 1, "WG2606011", 1000, 150),
    _Receipt("AD-0.5", "山东威高", "0.5ml", 1, "WG2606052", 1000, 800),
    _Receipt("AD-1", "江西洪达", "1ml", 1, "HD2605107", 900, 200),
    _Receipt("MIX-5", "江西洪达", "5ml", 1, "HD2604033", 900, 40, minimum=60),
)


def receive_demo_stock(db: Database, today: date | None = None, user: str | None = "demo") -> int:
    """Receive the demo batches (vaccines and syringes) and set two minimums; returns the receipts made."""
    today = today or date.today()
    for r in _RECEIPTS:
        movements.receive(
            db,
            vaccine=r.product,
            batch_no=r.batch_no,
            expiry=today + timedelta(days=r.expires_in),
            quantity=r.quantity,
            manufacturer=r.manufacturer,
            specification=r.specification,
            doses_per_vial=r.doses_per_vial,
            supplier="县疾控中心",
            on=today - timedelta(days=r.received_ago),
            user=user,
        )
        if r.minimum:
            product = catalog.find_product(db, r.product, r.manufacturer, r.specification)
            catalog.update_product(db, product.id, min_quantity=r.minimum)
    return len(_RECEIPTS)
