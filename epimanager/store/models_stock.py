"""Vaccine stock (疫苗出入库): products, batches, and the movement ledger.

The ledger (``stock_movement``) is the source of truth: every receipt, issue,
wastage, count adjustment and dose is one row with a signed ``delta`` in 人份.
``stock_batch.quantity`` is a cached balance, updated in the same transaction
as the movement, and can never go below zero (CHECK constraint).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from epimanager.store.models import Base, new_uuid


class StockProduct(Base):
    """A stock product: vaccine code (or syringe type) + manufacturer + specification."""

    __tablename__ = "stock_product"
    __table_args__ = (
        UniqueConstraint("vaccine_code", "manufacturer", "specification"),
        CheckConstraint("doses_per_vial >= 1", name="doses_per_vial"),
        CheckConstraint("min_quantity >= 0", name="min_quantity"),
        CheckConstraint("price_fen IS NULL OR price_fen >= 0", name="price_fen"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    #: vaccine 疫苗 (quantities in 人份) / syringe 注射器 (quantities in 支); set by the service
    kind: Mapped[str] = mapped_column(String(8), default="vaccine", server_default="vaccine")
    #: the 4-digit vaccine code, or a syringe's code (``AD05`` = AD-0.5, ``MX50`` = MIX-5)
    vaccine_code: Mapped[str] = mapped_column(String(4))
    #: 生产企业 ("" when unknown, so that the unique key works)
    manufacturer: Mapped[str] = mapped_column(String(100), default="")
    #: 规格, e.g. "10μg/0.5ml"
    specification: Mapped[str] = mapped_column(String(50), default="")
    #: 人份转换: doses in one vial
    doses_per_vial: Mapped[int] = mapped_column(Integer, default=1)
    #: 剂型, e.g. 注射剂 / 冻干粉针 / 口服滴剂
    form: Mapped[str | None] = mapped_column(String(20))
    #: price per dose in 分
    price_fen: Mapped[int | None] = mapped_column(Integer)
    free: Mapped[bool] = mapped_column(Boolean, default=True)
    #: warn when usable stock falls below this many doses (0 = no warning)
    min_quantity: Mapped[int] = mapped_column(Integer, default=0)
    #: hours an opened vial stays usable; None = the rule for live/inactivated vaccines
    open_vial_hours: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime)

    batches: Mapped[list[StockBatch]] = relationship(back_populates="product")


class StockProductCode(Base):
    """Codes that identify a product, learned from receipts.

    ``kind`` is ``trace7`` (药品标识码, the first 7 digits of a 20-digit
    traceability code) or ``gtin`` (GS1 GTIN-14).
    """

    __tablename__ = "stock_product_code"
    __table_args__ = (Index("ix_stock_product_code_product_id", "product_id"),)
    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("stock_product.id", ondelete="CASCADE"))


class StockBatch(Base):
    """A batch (批号) of a product with its cached balance in 人份."""

    __tablename__ = "stock_batch"
    __table_args__ = (
        UniqueConstraint("product_id", "batch_no"),
        Index("ix_stock_batch_batch_no", "batch_no"),
        Index("ix_stock_batch_expiry", "expiry"),
        CheckConstraint("quantity >= 0", name="quantity"),
        CheckConstraint("open_remaining >= 0 AND open_remaining <= quantity", name="open_remaining"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    product_id: Mapped[int] = mapped_column(ForeignKey("stock_product.id"))
    #: upper case, no surrounding blanks
    batch_no: Mapped[str] = mapped_column(String(40))
    expiry: Mapped[date] = mapped_column(Date)
    #: 批签发 certificate number
    lot_release_no: Mapped[str | None] = mapped_column(String(40))
    quantity: Mapped[int] = mapped_column(Integer, default=0)
    #: doses left in the open vial (part of ``quantity``)
    open_remaining: Mapped[int] = mapped_column(Integer, default=0)
    opened_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime)

    product: Mapped[StockProduct] = relationship(back_populates="batches")


class StockMovement(Base):
    """One line of the stock ledger (出入库明细)."""

    __tablename__ = "stock_movement"
    __table_args__ = (
        Index("ix_stock_movement_batch_date", "batch_id", "date"),
        Index("ix_stock_movement_date", "date"),
        Index("ix_stock_movement_dose_uuid", "dose_uuid"),
        CheckConstraint("kind IN ('in', 'out', 'waste', 'count')", name="kind"),
        CheckConstraint("kind != 'in' OR delta > 0", name="in_positive"),
        CheckConstraint("kind != 'waste' OR delta < 0", name="waste_negative"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    batch_id: Mapped[int] = mapped_column(ForeignKey("stock_batch.id"))
    #: in 入库 / out 出库 / waste 损耗 / count 盘点
    kind: Mapped[str] = mapped_column(String(8))
    #: receipt; dose, use, return, transfer; broken, expired, cold_chain, open_vial, other; count
    subtype: Mapped[str] = mapped_column(String(16))
    #: signed change in 人份 (a dose given is -1, its deletion +1)
    delta: Mapped[int] = mapped_column(Integer)
    #: business date (the month it counts in)
    date: Mapped[date] = mapped_column(Date)
    #: when it was recorded
    at: Mapped[datetime] = mapped_column(DateTime)
    document_no: Mapped[str | None] = mapped_column(String(50))
    supplier: Mapped[str | None] = mapped_column(String(100))
    #: the other unit of a transfer or return
    counterparty: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(String(200))
    user: Mapped[str | None] = mapped_column(String(50))
    #: the dose this movement belongs to (subtype ``dose``)
    dose_uuid: Mapped[str | None] = mapped_column(String(36))
    #: opening time of the multi-dose vial a dose was drawn from
    vial_opened_at: Mapped[datetime | None] = mapped_column(DateTime)

    batch: Mapped[StockBatch] = relationship()


class StockSyringeShortage(Base):
    """A dose that found no syringe of its type in stock (recorded, never refused; shown in F7)."""

    __tablename__ = "stock_syringe_shortage"
    __table_args__ = (
        Index("ix_stock_syringe_shortage_dose_uuid", "dose_uuid"),
        Index("ix_stock_syringe_shortage_date", "date"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dose_uuid: Mapped[str] = mapped_column(String(36))
    #: the code of the syringe the dose needed, e.g. ``AD05``
    syringe_type: Mapped[str] = mapped_column(String(4))
    #: the dose's date
    date: Mapped[date] = mapped_column(Date)
    at: Mapped[datetime] = mapped_column(DateTime)
    user: Mapped[str | None] = mapped_column(String(50))
