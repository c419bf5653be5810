"""Small read-only look-ups the desktop client needs (duplicates, batches, places, audit).

Each function opens its own short read session and returns plain records, so
the GUI may call it from a worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, select

from epimanager.domain.identifiers import normalize_id_number
from epimanager.domain.registry import SCORE_ID, Person, duplicate_match
from epimanager.store.database import Database
from epimanager.store.models import AuditLog, Child, Dose, Unit


@dataclass(frozen=True)
class Duplicate:
    """An existing child that looks like the one being entered."""

    code: str
    name: str
    birth_date: date
    mother_name: str | None
    id_number: str | None
    #: why it matched: "身份证号" or "姓名+出生日期+母亲"
    reason: str


def find_duplicates(
    db: Database,
    name: str,
    birth_date: date | None,
    mother_name: str | None,
    id_number: str | None,
    limit: int = 10,
) -> list[Duplicate]:
    """Children that are probably the one being entered, by the rule of 数据清理
    (:func:`~epimanager.domain.registry.duplicate_match`) without its close-pinyin part:
    the same ID number, or the same name + birth date + mother (index look-ups)."""
    conds = []
    idn = normalize_id_number(id_number) if id_number and id_number.strip() else None
    if idn:
        conds.append(Child.id_number == idn)
    name = name.strip()
    mother = (mother_name or "").strip()
    if name and birth_date is not None and mother:
        conds.append((Child.name == name) & (Child.birth_date == birth_date) & (Child.mother_name == mother))
    if not conds:
        return []
    with db.session() as s:
        rows = s.execute(
            select(Child.code, Child.name, Child.birth_date, Child.mother_name, Child.id_number)
            .where(Child.deleted.is_(False), or_(*conds))
            .limit(limit)
        ).all()
    new = Person(0, name, birth_date or date.min, mother or None, idn)
    out = []
    for code, n, b, m, i in rows:
        match = duplicate_match(new, Person(0, n, b, m, i), close_names=False)
        if match is not None:
            reason = "身份证号" if match.score == SCORE_ID else "姓名+出生日期+母亲"
            out.append(Duplicate(code, n, b, m, i, reason))
    return out


@dataclass(frozen=True)
class BatchProposal:
    """A batch to propose in the dose form, best first."""

    batch_no: str
    manufacturer: str | None
    expiry: date | None
    #: "库存" (from the stock module) or "近期使用" (doses of the last days)
    source: str
    #: usable 人份 in stock, or the number of recent doses
    count: int


def recent_batches(db: Database, vaccine_code: str, on: date, days: int = 30) -> list[BatchProposal]:
    """Batches of ``vaccine_code`` used by this unit in the ``days`` before ``on`` (most used first)."""
    own = db.own_unit_code()
    since = on - timedelta(days=days)
    with db.session() as s:
        rows = s.execute(
            select(Dose.batch_no, Dose.manufacturer, func.max(Dose.expiry), func.count(), func.max(Dose.date))
            .where(
                Dose.vaccine_code == vaccine_code,
                Dose.date >= since,
                Dose.date <= on,
                Dose.deleted.is_(False),
                Dose.batch_no.is_not(None),
                Dose.unit_code == own,
            )
            .group_by(Dose.batch_no, Dose.manufacturer)
            .order_by(func.max(Dose.date).desc(), func.count().desc())
            .limit(10)
        ).all()
    return [BatchProposal(b, m, e, "近期使用", n) for b, m, e, n, _last in rows if b and (e is None or e >= on)]


def batch_proposals(db: Database, vaccine_code: str, on: date) -> list[BatchProposal]:
    """Batches in stock (FEFO) first, then batches used recently that are not in stock."""
    out: list[BatchProposal] = []
    try:
        from epimanager.services.stock import proposals
    except ImportError:  # stock module not installed
        proposals = None  # type: ignore[assignment]
    if proposals is not None:
        for o in proposals.propose_batches(db, vaccine_code, on):
            out.append(BatchProposal(o.batch_no, o.manufacturer, o.expiry, "库存", o.quantity))
    seen = {(p.batch_no, p.manufacturer) for p in out}
    out.extend(p for p in recent_batches(db, vaccine_code, on) if (p.batch_no, p.manufacturer) not in seen)
    # a batch on the county's recall/lock list is not proposed (its scan would be refused)
    from epimanager.services.recalls import stopped

    stops = stopped(db, vaccine_code)
    return [p for p in out if not any(_stops(p, b, m) for b, m in stops)]


def _stops(p: BatchProposal, batch_no: str, manufacturer: str | None) -> bool:
    same_maker = manufacturer is None or not p.manufacturer or p.manufacturer.strip() == manufacturer
    return p.batch_no.strip().upper() == batch_no and same_maker


def unit_names(db: Database) -> dict[str, str]:
    """Known unit code → name (for showing where a dose was given)."""
    with db.session() as s:
        return {code: name for code, name in s.execute(select(Unit.code, Unit.name)).all()}


def pending_uploads(db: Database) -> int | None:
    """Records waiting to go to the platform, or None when sync is not set up."""
    try:
        from epimanager.services.outbox import count_waiting
    except ImportError:
        return None
    return count_waiting(db)


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    user: str | None
    kind: str
    field: str | None
    old_value: str | None
    new_value: str | None


def child_audit(db: Database, child_id: int, limit: int = 200) -> list[AuditEntry]:
    """The audit trail of one child (its basic data and doses), newest first."""
    with db.session() as s:
        rows = s.scalars(
            select(AuditLog).where(AuditLog.child_id == child_id).order_by(AuditLog.id.desc()).limit(limit)
        ).all()
        return [AuditEntry(r.at, r.user, r.kind, r.field, r.old_value, r.new_value) for r in rows]
