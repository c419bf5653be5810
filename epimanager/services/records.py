"""Plain records handed to the CLI and GUI (never attached ORM objects)."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from epimanager.domain.codes import DoseAttribute, Residence, Sex, Status
from epimanager.resources import catalog

if TYPE_CHECKING:
    from epimanager.store.models import Child, Dose


@dataclass(frozen=True)
class DoseRecord:
    uuid: str
    vaccine_code: str
    vaccine_abbr: str
    vaccine_name: str
    dose_number: int
    date: dt.date
    attribute: int
    batch_no: str | None
    expiry: dt.date | None
    manufacturer: str | None
    site: str | None
    route: str | None
    nurse: str | None
    unit_code: str | None
    place_text: str | None
    free: bool
    trace_code: str | None
    combination_code: str | None
    #: the record's version when read (an edit or delete carries it: a stale one is refused)
    version: int = 1

    @property
    def attribute_label(self) -> str:
        return DoseAttribute(self.attribute).label

    @classmethod
    def from_orm(cls, d: Dose) -> DoseRecord:
        vac = catalog().get(d.vaccine_code)
        return cls(
            uuid=d.uuid,
            vaccine_code=d.vaccine_code,
            vaccine_abbr=vac.abbr if vac else d.vaccine_code,
            vaccine_name=vac.name if vac else d.vaccine_code,
            dose_number=d.dose_number,
            date=d.date,
            attribute=d.attribute,
            batch_no=d.batch_no,
            expiry=d.expiry,
            manufacturer=d.manufacturer,
            site=d.site,
            route=d.route,
            nurse=d.nurse,
            unit_code=d.unit_code,
            place_text=d.place_text,
            free=d.free,
            trace_code=d.trace_code,
            combination_code=d.combination_code,
            version=d.version,
        )

    def to_json(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


@dataclass(frozen=True)
class ChildRecord:
    id: int
    uuid: str
    code: str
    name: str
    sex: str
    birth_date: date
    birth_time: str | None
    birth_weight_kg: float | None
    mother_name: str | None
    mother_id_number: str | None
    father_name: str | None
    father_id_number: str | None
    phone: str | None
    id_number: str | None
    birth_cert_no: str | None
    address: str | None
    hukou_county: str | None
    residence: int
    committee: str | None
    school: str | None
    status: int
    managing_unit: str
    created_unit: str
    mother_hbsag: str
    allergy: str | None
    remark: str | None
    created_at: datetime
    updated_at: datetime
    created_by: str | None
    version: int
    doses: tuple[DoseRecord, ...] = ()

    @property
    def sex_label(self) -> str:
        return Sex(self.sex).label

    @property
    def status_label(self) -> str:
        return Status(self.status).label

    @property
    def residence_label(self) -> str:
        return Residence(self.residence).label

    @classmethod
    def from_orm(cls, c: Child, *, with_doses: bool = True) -> ChildRecord:
        doses: tuple[DoseRecord, ...] = ()
        if with_doses:
            doses = tuple(
                DoseRecord.from_orm(d)
                for d in sorted(c.doses, key=lambda d: (d.date, d.vaccine_code, d.dose_number))
                if not d.deleted
            )
        return cls(
            id=c.id,
            uuid=c.uuid,
            code=c.code,
            name=c.name,
            sex=c.sex,
            birth_date=c.birth_date,
            birth_time=c.birth_time,
            birth_weight_kg=c.birth_weight_kg,
            mother_name=c.mother_name,
            mother_id_number=c.mother_id_number,
            father_name=c.father_name,
            father_id_number=c.father_id_number,
            phone=c.phone,
            id_number=c.id_number,
            birth_cert_no=c.birth_cert_no,
            address=c.address,
            hukou_county=c.hukou_county,
            residence=c.residence,
            committee=c.committee.name if c.committee else None,
            school=c.school,
            status=c.status,
            managing_unit=c.managing_unit,
            created_unit=c.created_unit,
            mother_hbsag=c.mother_hbsag,
            allergy=c.allergy,
            remark=c.remark,
            created_at=c.created_at,
            updated_at=c.updated_at,
            created_by=c.created_by,
            version=c.version,
            doses=doses,
        )

    def to_json(self) -> dict[str, Any]:
        """The CLI's JSON: ``child_code`` as everywhere; ``code`` kept as an alias for one release."""
        d = {"child_code": self.code, **_jsonable(asdict(self))}
        d.pop("id", None)
        d["sex_label"] = self.sex_label
        d["status_label"] = self.status_label
        d["residence_label"] = self.residence_label
        return d


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return value
