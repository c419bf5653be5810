"""The ORM model of a vaccination point's database.

Dates are stored as ISO text (SQLAlchemy ``Date`` on SQLite), so range
queries on ``birth_date`` use a plain index.  Every synchronised record has a
UUID and a version counter.
"""

from __future__ import annotations

import datetime as dt
import os
import time
import uuid as uuid_mod
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def touch(record: Any, now: datetime | None = None) -> None:
    """A child or dose was changed: its next version (what the platform and the other desks compare) and time."""
    record.version += 1
    record.updated_at = now or datetime.now()


def new_uuid() -> str:
    """A time-ordered UUID (version 7 layout: 48-bit ms timestamp + random).

    Ordered keys keep the unique index on ``uuid`` append-mostly, which
    matters for tables with millions of doses.
    """
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80 | rand
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version 7
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # RFC 4122 variant
    return str(uuid_mod.UUID(int=value))


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class AppConfig(Base):
    """Key/value configuration kept in the database (own unit, etc.)."""

    __tablename__ = "app_config"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Unit(Base):
    """接种单位 / 报告单位 (实体单位)."""

    __tablename__ = "unit"
    code: Mapped[str] = mapped_column(String(10), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[int] = mapped_column(Integer, default=4)
    county_code: Mapped[str] = mapped_column(String(6))
    committees: Mapped[list[Committee]] = relationship(back_populates="unit")


class Committee(Base):
    """区域划分: a village or neighbourhood committee of a unit."""

    __tablename__ = "committee"
    __table_args__ = (UniqueConstraint("unit_code", "code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("unit.code"))
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))
    counted: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    unit: Mapped[Unit] = relationship(back_populates="committees")


class ChildCodeSerial(Base):
    """Last serial handed out per (unit, year): child codes are never reused."""

    __tablename__ = "child_code_serial"
    unit_code: Mapped[str] = mapped_column(String(10), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_serial: Mapped[int] = mapped_column(Integer, default=0)


class Child(Base):
    """个案."""

    __tablename__ = "child"
    __table_args__ = (
        Index("ix_child_birth_date", "birth_date"),
        Index("ix_child_id_number", "id_number"),
        Index("ix_child_birth_cert_no", "birth_cert_no"),
        Index("ix_child_phone", "phone"),
        # F3 quick search by Chinese name (migration 0002_search)
        Index("ix_child_name", "name"),
        Index("ix_child_mother_name", "mother_name"),
        Index("ix_child_father_name", "father_name"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    code: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    sex: Mapped[str] = mapped_column(String(1))
    birth_date: Mapped[date] = mapped_column(Date)
    birth_time: Mapped[str | None] = mapped_column(String(5))
    birth_weight_kg: Mapped[float | None] = mapped_column(Float)
    mother_name: Mapped[str | None] = mapped_column(String(50))
    mother_id_number: Mapped[str | None] = mapped_column(String(18))
    father_name: Mapped[str | None] = mapped_column(String(50))
    father_id_number: Mapped[str | None] = mapped_column(String(18))
    phone: Mapped[str | None] = mapped_column(String(20))
    id_number: Mapped[str | None] = mapped_column(String(18))
    birth_cert_no: Mapped[str | None] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(String(200))
    hukou_county: Mapped[str | None] = mapped_column(String(6))
    residence: Mapped[int] = mapped_column(Integer, default=1)
    committee_id: Mapped[int | None] = mapped_column(ForeignKey("committee.id"))
    school: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[int] = mapped_column(Integer, default=1)
    managing_unit: Mapped[str] = mapped_column(String(10))
    created_unit: Mapped[str] = mapped_column(String(10))
    mother_hbsag: Mapped[str] = mapped_column(String(1), default="0")
    allergy: Mapped[str | None] = mapped_column(String(200))
    remark: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[str | None] = mapped_column(String(50))
    version: Mapped[int] = mapped_column(Integer, default=1)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)

    committee: Mapped[Committee | None] = relationship()
    doses: Mapped[list[Dose]] = relationship(back_populates="child", order_by="Dose.date")


class Dose(Base):
    """接种记录."""

    __tablename__ = "dose"
    __table_args__ = (
        Index("ix_dose_child_id", "child_id"),
        Index("ix_dose_date", "date"),
        Index("ix_dose_vaccine_date", "vaccine_code", "date"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id", ondelete="CASCADE"))
    vaccine_code: Mapped[str] = mapped_column(String(4))
    dose_number: Mapped[int] = mapped_column(Integer)
    date: Mapped[dt.date] = mapped_column(Date)
    attribute: Mapped[int] = mapped_column(Integer, default=0)
    batch_no: Mapped[str | None] = mapped_column(String(40))
    expiry: Mapped[dt.date | None] = mapped_column(Date)
    manufacturer: Mapped[str | None] = mapped_column(String(100))
    site: Mapped[str | None] = mapped_column(String(20))
    route: Mapped[str | None] = mapped_column(String(10))
    nurse: Mapped[str | None] = mapped_column(String(50))
    #: 10-digit code of the unit where it was given; None = 外地 (unknown other place)
    unit_code: Mapped[str | None] = mapped_column(String(10))
    place_text: Mapped[str | None] = mapped_column(String(100))
    free: Mapped[bool] = mapped_column(Boolean, default=True)
    trace_code: Mapped[str | None] = mapped_column(String(20))
    #: code of the combination vaccine this dose came from (e.g. 5001)
    combination_code: Mapped[str | None] = mapped_column(String(4))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)

    child: Mapped[Child] = relationship(back_populates="doses")


class ChildSearchKey(Base):
    """Lower-case ASCII search keys (pinyin, initials) of a child's names.

    Queried by prefix range (``key >= 'lpp' AND key < 'lpq'``) on the primary
    key; kept current by the services on every insert and update.
    """

    __tablename__ = "child_search_key"
    __table_args__ = (Index("ix_child_search_key_child_id", "child_id"), {"sqlite_with_rowid": False})
    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id", ondelete="CASCADE"), primary_key=True)
    #: what the key was made from: 1 child name, 2 mother, 3 father; +10 for initials
    kind: Mapped[int] = mapped_column(Integer, default=1)


class AuditLog(Base):
    """Who changed what, when (old → new), chained by hash."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_child_id", "child_id"), Index("ix_audit_log_at", "at"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    user: Mapped[str | None] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(20))
    entity: Mapped[str] = mapped_column(String(20))
    entity_uuid: Mapped[str] = mapped_column(String(36))
    child_id: Mapped[int | None] = mapped_column(Integer)
    field: Mapped[str | None] = mapped_column(String(50))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))
    #: the workstation (desk) the change was made at (not part of the hash)
    desk: Mapped[str | None] = mapped_column(String(40))
