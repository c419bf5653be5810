"""Clinical facts the schedule engine uses: mother's HBsAg, birth weight, immunoglobulin entries.

The mother's HBsAg status and the birth weight are child fields; dated
immunoglobulin / blood-product entries (IVIG, HBIG, 输血 …) have their own
table.  :func:`child_facts` turns them into the engine's
:class:`~epimanager.domain.schedule.ChildFacts`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from epimanager.domain.codes import MotherHBsAg
from epimanager.domain.schedule import ChildFacts, Immunoglobulin
from epimanager.errors import NotFoundError, ValidationError
from epimanager.services import audit
from epimanager.store.database import Database
from epimanager.store.models import Child
from epimanager.store.models_clinical import ChildImmunoglobulin

#: stored MotherHBsAg code → the engine's value
HBSAG_FACT = {
    MotherHBsAg.UNKNOWN.value: "unknown",
    MotherHBsAg.NEGATIVE.value: "negative",
    MotherHBsAg.POSITIVE.value: "positive",
}


@dataclass(frozen=True, slots=True)
class ImmunoglobulinRecord:
    id: int
    product: str
    date: date


def facts_from(
    mother_hbsag: str | None, birth_weight_kg: float | None, immunoglobulin: Iterable[tuple[str, date]] = ()
) -> ChildFacts:
    """The engine's facts from stored values (HBsAg code "0"/"1"/"2", weight in kg)."""
    grams = round(birth_weight_kg * 1000) if birth_weight_kg else None
    return ChildFacts(
        mother_hbsag=HBSAG_FACT.get(mother_hbsag or "0", "unknown"),
        birth_weight_g=grams,
        immunoglobulin=tuple(Immunoglobulin(p, d) for p, d in sorted(immunoglobulin, key=lambda x: x[1])),
    )


def immunoglobulin_rows(s: Session, child_id: int) -> list[tuple[str, date]]:
    """(product, date) of a child's immunoglobulin / blood-product entries, oldest first."""
    q = (
        select(ChildImmunoglobulin.product, ChildImmunoglobulin.date)
        .where(ChildImmunoglobulin.child_id == child_id)
        .order_by(ChildImmunoglobulin.date, ChildImmunoglobulin.id)
    )
    return [(str(p), d) for p, d in s.execute(q)]


def session_facts(s: Session, child_id: int, mother_hbsag: str | None, birth_weight_kg: float | None) -> ChildFacts:
    """A stored child's facts read in the caller's session (one query for the immunoglobulin entries)."""
    return facts_from(mother_hbsag, birth_weight_kg, immunoglobulin_rows(s, child_id))


def child_facts(db: Database, child_id: int, mother_hbsag: str | None, birth_weight_kg: float | None) -> ChildFacts:
    """A stored child's facts (one query for the immunoglobulin entries)."""
    with db.session() as s:
        return session_facts(s, child_id, mother_hbsag, birth_weight_kg)


def add_immunoglobulin(
    db: Database, code: str, product: str, day: date, *, user: str | None = None
) -> ImmunoglobulinRecord:
    """Record that a child received an immunoglobulin or blood product on ``day`` (audited)."""
    product = (product or "").strip()
    if not product:
        raise ValidationError("请填写免疫球蛋白/血液制品名称")
    if len(product) > 50:
        raise ValidationError("免疫球蛋白/血液制品名称不能超过50个字")
    now = datetime.now()
    with db.transaction() as s:
        child = s.scalar(select(Child).where(Child.code == code, Child.deleted.is_(False)))
        if child is None:
            raise NotFoundError(f"找不到儿童：{code}")
        return add_immunoglobulin_in(s, child, product, day, user=user, now=now)


def add_immunoglobulin_in(
    s: Session, child: Child, product: str, day: date, *, user: str | None, now: datetime
) -> ImmunoglobulinRecord:
    """:func:`add_immunoglobulin` in the caller's transaction (预检 records a yes with its date)."""
    if day < child.birth_date:
        raise ValidationError("免疫球蛋白/血液制品日期早于出生日期")
    if day > now.date():
        raise ValidationError("免疫球蛋白/血液制品日期不能晚于今天")
    row = ChildImmunoglobulin(child_id=child.id, product=product, date=day, created_at=now, created_by=user)
    s.add(row)
    s.flush()
    audit.record(
        s,
        kind="clinical",
        entity="child",
        entity_uuid=child.uuid,
        child_id=child.id,
        user=user,
        field="immunoglobulin",
        new=f"{product} {day.isoformat()}",
        at=now,
    )
    return ImmunoglobulinRecord(row.id, product, day)


def list_immunoglobulin(db: Database, code: str) -> list[ImmunoglobulinRecord]:
    """A child's immunoglobulin / blood-product entries, oldest first."""
    with db.session() as s:
        child_id = s.scalar(select(Child.id).where(Child.code == code, Child.deleted.is_(False)))
        if child_id is None:
            raise NotFoundError(f"找不到儿童：{code}")
        q = (
            select(ChildImmunoglobulin)
            .where(ChildImmunoglobulin.child_id == child_id)
            .order_by(ChildImmunoglobulin.date, ChildImmunoglobulin.id)
        )
        return [ImmunoglobulinRecord(r.id, r.product, r.date) for r in s.scalars(q)]
