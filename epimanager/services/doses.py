"""Doses (接种记录): record a dose in one transaction."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from epimanager.domain.validation import DoseInput, dose_problems
from epimanager.errors import NotFoundError, ValidationError
from epimanager.resources import catalog
from epimanager.services import audit
from epimanager.services.database import Database
from epimanager.services.records import DoseRecord
from epimanager.store.models import Child, Dose

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
            nurse=inp.nurse or user,
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
        audit.record(
            s,
            kind="dose_add",
            entity="dose",
            entity_uuid=dose.uuid,
            child_id=child.id,
            user=user,
            new=f"{vac.abbr} 第{inp.dose_number}剂 {inp.date.isoformat()}",
        )
        return DoseRecord.from_orm(dose)
