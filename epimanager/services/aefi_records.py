"""AEFI cases as the screens, the CLI and the exports read them: records, the symptom list, the cluster.

The writes are :mod:`epimanager.services.aefi`'s (which re-exports these reads).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from epimanager.domain import aefi as rules
from epimanager.domain.aefi import CaseRef, Cluster, SymptomList
from epimanager.errors import NotFoundError, ValidationError
from epimanager.resources import catalog, load_json
from epimanager.services.table_files import plain
from epimanager.store.database import Database
from epimanager.store.models import Child, Dose
from epimanager.store.models_aefi import AefiCase, AefiFollowUp


@cache
def symptom_list() -> SymptomList:
    """The card's symptoms and outcomes (``resources/aefi/symptoms.json``; an upgrade may replace it)."""
    return SymptomList.from_dict(load_json("aefi", "symptoms.json"))


@dataclass(frozen=True)
class FollowUp:
    date: date
    text: str
    outcome: str | None
    by: str | None


@dataclass(frozen=True)
class DoseChoice:
    """A dose a card can be written for (the pre-filled part of the card)."""

    dose_uuid: str
    child_code: str
    child_name: str
    vaccine_code: str
    vaccine_name: str
    dose_number: int
    dose_date: date
    dose_time: datetime | None
    batch_no: str | None
    manufacturer: str | None

    @property
    def label(self) -> str:
        when = self.dose_time.strftime("%Y-%m-%d %H:%M") if self.dose_time else self.dose_date.isoformat()
        return f"{self.vaccine_name} 第{self.dose_number}剂 {when} 批号 {self.batch_no or '—'}"


@dataclass(frozen=True)
class AefiRecord:
    uuid: str
    version: int
    child_code: str
    child_name: str
    child_sex: str
    child_birth: date
    guardian: str | None
    phone: str | None
    address: str | None
    dose_uuid: str | None
    vaccine_code: str
    vaccine_name: str
    batch_no: str | None
    manufacturer: str | None
    dose_number: int
    dose_date: date
    dose_time: datetime | None
    onset_at: datetime
    discovered_at: datetime
    symptoms: tuple[str, ...]
    symptom_names: tuple[str, ...]
    symptom_text: str | None
    severity: str
    group_event: bool
    outcome: str | None
    diagnosis: str | None
    reporter: str | None
    deadline: datetime
    reported_at: datetime | None
    created_at: datetime
    follow_ups: tuple[FollowUp, ...] = ()

    @property
    def urgent(self) -> bool:
        return rules.is_urgent(self.severity, self.outcome, self.group_event)

    @property
    def limit_text(self) -> str:
        return rules.limit_text(self.severity, self.outcome, self.group_event)

    def time_left(self, now: datetime) -> str:
        return rules.time_left_text(self.deadline, now, self.reported_at)

    @property
    def ref(self) -> CaseRef:
        return CaseRef(self.uuid, self.vaccine_code, self.batch_no, self.onset_at.date(), self.child_name)

    def to_json(self) -> dict[str, Any]:
        d = {k: plain(v) for k, v in self.__dict__.items() if k != "follow_ups"}
        d["symptoms"], d["symptom_names"] = list(self.symptoms), list(self.symptom_names)
        d["follow_ups"] = [{k: plain(v) for k, v in f.__dict__.items()} for f in self.follow_ups]
        d["limit"] = self.limit_text
        return d


def vaccine_name(code: str) -> str:
    vac = catalog().get(code)
    return vac.name if vac else code


def dose_time(d: Dose) -> datetime | None:
    """When the dose was saved, if saved on its day (the 接种台's time); else unknown."""
    return d.created_at if d.created_at and d.created_at.date() == d.date else None


def _record(c: AefiCase, child: Child, follow_ups: list[AefiFollowUp]) -> AefiRecord:
    codes = tuple(x for x in c.symptoms.split(",") if x)
    names = symptom_list()
    return AefiRecord(
        uuid=c.uuid,
        version=c.version,
        child_code=child.code,
        child_name=child.name,
        child_sex={"1": "男", "2": "女"}.get(str(child.sex), str(child.sex)),
        child_birth=child.birth_date,
        guardian=child.mother_name or child.father_name,
        phone=child.phone,
        address=child.address,
        dose_uuid=c.dose_uuid,
        vaccine_code=c.vaccine_code,
        vaccine_name=vaccine_name(c.vaccine_code),
        batch_no=c.batch_no,
        manufacturer=c.manufacturer,
        dose_number=c.dose_number,
        dose_date=c.dose_date,
        dose_time=c.dose_time,
        onset_at=c.onset_at,
        discovered_at=c.discovered_at,
        symptoms=codes,
        symptom_names=tuple(names.name(x) for x in codes),
        symptom_text=c.symptom_text,
        severity=c.severity,
        group_event=c.group_event,
        outcome=c.outcome,
        diagnosis=c.diagnosis,
        reporter=c.reporter,
        deadline=c.report_deadline,
        reported_at=c.reported_at,
        created_at=c.created_at,
        follow_ups=tuple(FollowUp(f.date, f.text, f.outcome, f.created_by) for f in follow_ups),
    )


def load_case(s: Session, uuid: str) -> AefiCase:
    c = s.scalar(select(AefiCase).where(AefiCase.uuid == uuid, AefiCase.deleted.is_(False)))
    if c is None:
        raise NotFoundError(f"找不到该异常反应个案（{uuid}）")
    return c


def read_case(s: Session, c: AefiCase) -> AefiRecord:
    child = s.get(Child, c.child_id)
    assert child is not None
    ups = list(s.scalars(select(AefiFollowUp).where(AefiFollowUp.case_id == c.id).order_by(AefiFollowUp.id)))
    return _record(c, child, ups)


# ------------------------------------------------------------------------------ reads


def dose_choices(db: Database, child_code: str, day: date | None = None) -> list[DoseChoice]:
    """The child's doses (of ``day`` only, when given), newest first: what a card can follow."""
    with db.session() as s:
        child = s.scalar(select(Child).where(Child.code == child_code, Child.deleted.is_(False)))
        if child is None:
            raise NotFoundError(f"找不到儿童 {child_code}")
        q = select(Dose).where(Dose.child_id == child.id, Dose.deleted.is_(False))
        if day is not None:
            q = q.where(Dose.date == day)
        rows = s.scalars(q.order_by(Dose.date.desc(), Dose.id.desc())).all()
        return [_choice(child, d) for d in rows]


def _choice(child: Child, d: Dose) -> DoseChoice:
    return DoseChoice(
        d.uuid,
        child.code,
        child.name,
        d.vaccine_code,
        vaccine_name(d.vaccine_code),
        d.dose_number,
        d.date,
        dose_time(d),
        d.batch_no,
        d.manufacturer,
    )


def dose_choice(db: Database, dose_uuid: str) -> DoseChoice:
    with db.session() as s:
        d = s.scalar(select(Dose).where(Dose.uuid == dose_uuid, Dose.deleted.is_(False)))
        if d is None:
            raise NotFoundError(f"找不到该接种记录（{dose_uuid}）")
        child = s.get(Child, d.child_id)
        assert child is not None
        return _choice(child, d)


def get_case(db: Database, uuid: str) -> AefiRecord:
    with db.session() as s:
        return read_case(s, load_case(s, uuid))


def list_cases(db: Database, *, unreported: bool = False, month: str | None = None) -> list[AefiRecord]:
    """Cases, the most pressing first when ``unreported`` (by deadline), else by onset.

    ``month`` (YYYY-MM) keeps the cases whose onset falls in it.
    """
    q = select(AefiCase).where(AefiCase.deleted.is_(False))
    if unreported:
        q = q.where(AefiCase.reported_at.is_(None)).order_by(AefiCase.report_deadline, AefiCase.id)
    else:
        q = q.order_by(AefiCase.onset_at, AefiCase.id)
    if month is not None:
        try:
            start = date.fromisoformat(month + "-01")
        except ValueError:
            raise ValidationError(f"月份应为 YYYY-MM：{month}") from None
        end = date(start.year + start.month // 12, start.month % 12 + 1, 1)
        q = q.where(AefiCase.onset_at >= datetime.combine(start, datetime.min.time()))
        q = q.where(AefiCase.onset_at < datetime.combine(end, datetime.min.time()))
    with db.session() as s:
        return [read_case(s, c) for c in s.scalars(q)]


def _refs(
    s: Session, vaccine_code: str | None = None, since: date | None = None, until: date | None = None
) -> list[CaseRef]:
    """The cases the cluster rule looks at (with a batch), onset from ``since`` to ``until`` inclusive."""
    q = select(AefiCase.uuid, AefiCase.vaccine_code, AefiCase.batch_no, AefiCase.onset_at, Child.name).join(
        Child, Child.id == AefiCase.child_id
    )
    q = q.where(AefiCase.deleted.is_(False), AefiCase.batch_no.is_not(None))
    if vaccine_code is not None:
        q = q.where(AefiCase.vaccine_code == vaccine_code)
    if since is not None:
        q = q.where(AefiCase.onset_at >= datetime.combine(since, datetime.min.time()))
    if until is not None:
        q = q.where(AefiCase.onset_at < datetime.combine(until + timedelta(days=1), datetime.min.time()))
    return [CaseRef(u, v, b, on.date(), n) for u, v, b, on, n in s.execute(q)]


def cluster_of(db: Database, case: AefiRecord) -> list[CaseRef]:
    """The other cases of this case's batch within 30 days (empty: no cluster)."""
    with db.session() as s:
        window = timedelta(days=rules.CLUSTER_DAYS)
        others = _refs(s, case.vaccine_code, case.onset_at.date() - window, case.onset_at.date() + window)
    return rules.companions(case.ref, others)


def clusters(db: Database, today: date | None = None) -> list[Cluster]:
    """Batches with ≥2 cases whose onset lies in the last 30 days (F7)."""
    today = today or date.today()
    with db.session() as s:
        refs = _refs(s, since=today - timedelta(days=rules.CLUSTER_DAYS), until=today)
    return rules.clusters(refs, today)


def find_dose(
    db: Database, child_code: str, vaccine: str, dose_date: date | None = None, dose_number: int | None = None
) -> DoseChoice:
    """The child's dose a card follows: the newest of ``vaccine`` (code, abbreviation or name) that
    matches the date and dose number when given."""
    try:
        code = catalog().resolve(vaccine).code
    except KeyError as exc:
        raise ValidationError(str(exc.args[0])) from None
    found = [
        d
        for d in dose_choices(db, child_code)
        if d.vaccine_code == code
        and (dose_date is None or d.dose_date == dose_date)
        and (dose_number is None or d.dose_number == dose_number)
    ]
    if not found:
        when = f" {dose_date.isoformat()}" if dose_date else ""
        raise NotFoundError(f"儿童 {child_code} 没有{when} {vaccine_name(code)} 的接种记录")
    return found[0]


def case_for_dose(db: Database, dose_uuid: str) -> str | None:
    """The newest card written for a dose (None: none yet)."""
    with db.session() as s:
        q = select(AefiCase.uuid).where(AefiCase.dose_uuid == dose_uuid, AefiCase.deleted.is_(False))
        return s.scalar(q.order_by(AefiCase.id.desc()).limit(1))
