"""Doses (接种记录): record a dose in one transaction."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from epimanager.domain.validation import DoseInput, dose_problems
from epimanager.errors import NotFoundError, ValidationError
from epimanager.resources import catalog
from epimanager.services import audit, permissions
from epimanager.services.database import Database
from epimanager.services.records import DoseRecord
from epimanager.services.stock import dose_binding
from epimanager.store.models import Child, Dose

log = logging.getLogger(__name__)

OTHER_PLACE = "外地"


def resolve_vaccine_code(text: str) -> str:
    try:
        return catalog().resolve(text).code
    except KeyError as exc:
        raise ValidationError(str(exc.args[0])) from None


def add_dose(
    db: Database, child_code: str, inp: DoseInput, *, user: str | None = None, today: date | None = None
) -> DoseRecord:
    """Validate and record one dose for a child (own unit unless told otherwise)."""
    today = today or date.today()
    code = resolve_vaccine_code(inp.vaccine)
    vac = catalog().resolve(code)
    own = db.own_unit_code()
    now = datetime.now()
    with db.transaction() as s:
        child = s.scalar(select(Child).where(Child.code == child_code, Child.deleted.is_(False)))
        if child is None:
            raise NotFoundError(f"找不到儿童编码为 {child_code} 的个案")
        problems = dose_problems(inp, child.birth_date, today)
        if problems:
            raise ValidationError(problems)
        unit_code = inp.unit_code
        if unit_code is None and inp.place_text != OTHER_PLACE:
            unit_code = own
        dose = Dose(
            child_id=child.id,
            vaccine_code=code,
            dose_number=inp.dose_number,
            date=inp.date,
            attribute=int(inp.attribute),
            batch_no=inp.batch_no or None,
            expiry=inp.expiry,
            manufacturer=inp.manufacturer or None,
            site=inp.site or vac.site or None,
            route=inp.route or vac.route or None,
            nurse=inp.nurse or user or permissions.actor_name(db),
            unit_code=unit_code,
            place_text=inp.place_text or None,
            free=inp.free,
            trace_code=inp.trace_code or None,
            combination_code=inp.combination_code or None,
            created_at=now,
            updated_at=now,
            version=1,
        )
        s.add(dose)
        s.flush()
        # 疫苗出入库: one 人份 from the batch when it is in stock (refuses a shortage)
        dose_binding.consume_for_dose(s, dose, user=user, now=now)
        audit.record(
            s,
            kind="dose_add",
            entity="dose",
            entity_uuid=dose.uuid,
            child_id=child.id,
            user=user,
            new=f"{vac.abbr} 第{inp.dose_number}剂 {inp.date.isoformat()}",
        )
        log.info("dose added: child=%s vaccine=%s dose=%s", child.code, code, inp.dose_number)
        return DoseRecord.from_orm(dose)


#: Fields of a dose a user may change after saving it.
EDITABLE_DOSE_FIELDS = (
    "vaccine",
    "dose_number",
    "date",
    "attribute",
    "batch_no",
    "expiry",
    "manufacturer",
    "site",
    "route",
    "nurse",
    "unit_code",
    "place_text",
    "free",
    "trace_code",
)


#: Fields whose change moves a dose's 人份 between stock batches.
STOCK_DOSE_FIELDS = frozenset({"vaccine", "batch_no", "date", "unit_code", "place_text", "manufacturer"})


def _load_dose(s: Session, uuid: str) -> Dose:
    dose = s.scalar(select(Dose).where(Dose.uuid == uuid, Dose.deleted.is_(False)))
    if dose is None:
        raise NotFoundError(f"找不到该接种记录（{uuid}）")
    return dose


def update_dose(
    db: Database, uuid: str, changes: Mapping[str, Any], *, user: str | None = None, today: date | None = None
) -> DoseRecord:
    """Change a saved dose; every changed field is audited in the same transaction."""
    unknown = set(changes) - set(EDITABLE_DOSE_FIELDS)
    if unknown:
        raise ValidationError(f"不能修改字段：{', '.join(sorted(unknown))}")
    today = today or date.today()
    with db.transaction() as s:
        dose = _load_dose(s, uuid)
        child = s.get(Child, dose.child_id)
        assert child is not None
        current = DoseInput(
            vaccine=dose.vaccine_code,
            dose_number=dose.dose_number,
            date=dose.date,
            attribute=dose.attribute,
            batch_no=dose.batch_no,
            expiry=dose.expiry,
            manufacturer=dose.manufacturer,
            site=dose.site,
            route=dose.route,
            nurse=dose.nurse,
            unit_code=dose.unit_code,
            place_text=dose.place_text,
            free=dose.free,
            trace_code=dose.trace_code,
            combination_code=dose.combination_code,
        )
        after = replace(current, **dict(changes))
        after = replace(after, vaccine=resolve_vaccine_code(after.vaccine))
        problems = dose_problems(after, child.birth_date, today)
        if problems:
            raise ValidationError(problems)
        changed = False
        stock_fields_changed = False
        for f in EDITABLE_DOSE_FIELDS:
            attr = "vaccine_code" if f == "vaccine" else f
            old, new = getattr(current, f), getattr(after, f)
            if old == new:
                continue
            changed = True
            stock_fields_changed |= f in STOCK_DOSE_FIELDS
            setattr(dose, attr, new)
            audit.record(
                s,
                kind="dose_update",
                entity="dose",
                entity_uuid=dose.uuid,
                child_id=child.id,
                user=user,
                field=f,
                old=old,
                new=new,
            )
        if changed:
            dose.version += 1
            dose.updated_at = datetime.now()
        s.flush()
        if stock_fields_changed:
            # 疫苗出入库: give the 人份 back to the old batch, take it from the new one
            dose_binding.rebind_dose(s, dose, user=user)
        return DoseRecord.from_orm(dose)


def delete_dose(db: Database, uuid: str, *, user: str | None = None, reason: str | None = None) -> None:
    """Soft-delete a dose (it can be viewed and restored); audited."""
    with db.transaction() as s:
        dose = _load_dose(s, uuid)
        dose.deleted = True
        # 疫苗出入库: the 人份 goes back to its batch
        dose_binding.release_for_dose(s, dose, user=user)
        dose.version += 1
        dose.updated_at = datetime.now()
        vac = catalog().get(dose.vaccine_code)
        audit.record(
            s,
            kind="dose_delete",
            entity="dose",
            entity_uuid=dose.uuid,
            child_id=dose.child_id,
            user=user,
            old=f"{vac.abbr if vac else dose.vaccine_code} 第{dose.dose_number}剂 {dose.date.isoformat()}",
            new=reason,
        )
