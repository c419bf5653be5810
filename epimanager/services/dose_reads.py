"""What one dose save reads before it writes, in one SELECT.

:func:`epimanager.services.doses.add_dose` needs, inside its write transaction: this clinic's unit
code, the child, whether a dose with the save's own UUID is on record already (a retried save), the
child's order for the dose's day (:mod:`.order_check`), whether the child has immunoglobulin entries
(:mod:`.clinical`), the child's stored doses (the duplicate and validity rules) and the audit chain's
last hash (:mod:`.audit`).  Read one by one that was six round trips to the server; here it is one
statement: the child row joined to its doses, the other values as scalar subqueries.  Every value is
read under the write lock the transaction took first, so it is the value the rules would have read
one by one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import Select, and_, bindparam, exists, select
from sqlalchemy.orm import Session, load_only

from epimanager.services import audit
from epimanager.services.order_check import order_id_column
from epimanager.store.database import OWN_UNIT_KEY, known_own_unit, own_unit
from epimanager.store.models import AppConfig, Child, Dose
from epimanager.store.models_clinical import ChildImmunoglobulin


class StoredDose(NamedTuple):
    """One of the child's stored (not deleted) doses, as the rules read it."""

    uuid: str
    vaccine_code: str
    dose_number: int
    date: dt.date


@dataclass(frozen=True, slots=True)
class SaveReads:
    child: Child
    own_unit: str
    #: the child id of the dose already on record with the save's UUID (None: none)
    earlier_child_id: int | None
    #: the id of the child's order for the dose's day (None: no order)
    order_id: int | None
    has_immunoglobulin: bool
    #: the child's stored doses, in the order they were recorded
    doses: list[StoredDose]


#: what a dose save reads of the child (:mod:`.doses`, :mod:`.administration`, the change feed)
_CHILD_COLUMNS = (
    Child.id,
    Child.uuid,
    Child.code,
    Child.sex,
    Child.birth_date,
    Child.mother_hbsag,
    Child.birth_weight_kg,
    Child.version,
    Child.deleted,
)


@cache
def _statement() -> Select[Any]:
    child_id = Child.id
    own = select(AppConfig.value).where(AppConfig.key == OWN_UNIT_KEY).correlate(None)
    earlier = select(Dose.child_id).where(Dose.uuid == bindparam("uuid")).correlate(None)
    return (
        select(
            Child,
            own.scalar_subquery().label("own"),
            earlier.scalar_subquery().label("earlier"),
            order_id_column(child_id, bindparam("day")).label("order_id"),
            exists().where(ChildImmunoglobulin.child_id == child_id).label("has_ig"),
            audit.last_hash_column().label("last_hash"),
            Dose.uuid.label("d_uuid"),
            Dose.vaccine_code.label("d_code"),
            Dose.dose_number.label("d_number"),
            Dose.date.label("d_date"),
        )
        .outerjoin(Dose, and_(Dose.child_id == child_id, Dose.deleted.is_(False)))
        .where(Child.code == bindparam("code"), Child.deleted.is_(False))
        .order_by(Dose.id)
        # the child's columns come once per dose row: only those a save reads (others load if asked)
        .options(load_only(*_CHILD_COLUMNS))
    )


def read_for_save(s: Session, child_code: str, dose_uuid: str | None, day: dt.date) -> SaveReads | None:
    """What a dose save on ``day`` for the child ``child_code`` reads (None: no such child)."""
    rows = s.execute(_statement(), {"uuid": dose_uuid or "", "day": day, "code": child_code}).all()
    if not rows:
        return None
    first = rows[0]
    own = first.own
    if not own:
        own = own_unit(s)  # raises: the clinic is not set up
    known_own_unit(s, own)
    audit.known_last_hash(s, first.last_hash)
    doses = [StoredDose(r.d_uuid, r.d_code, r.d_number, r.d_date) for r in rows if r.d_uuid is not None]
    return SaveReads(first[0], own, first.earlier, first.order_id, bool(first.has_ig), doses)
