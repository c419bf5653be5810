"""Children (个案): create, read, update — one transaction per action."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import fields, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session, selectinload

from epimanager.domain.identifiers import make_child_code, normalize_id_number
from epimanager.domain.validation import CHILD_FIELD_LABELS, ChildInput, DoseInput, child_problems
from epimanager.errors import NotFoundError, ValidationError
from epimanager.services import audit
from epimanager.services.records import ChildRecord
from epimanager.services.search_index import index_child
from epimanager.services.units import require_committee_ids
from epimanager.store.database import Database
from epimanager.store.dialect import is_server
from epimanager.store.models import Child, ChildCodeSerial, new_uuid, touch

log = logging.getLogger(__name__)

#: Fields a user may edit on an existing child (the left 基本资料 panel).
EDITABLE_FIELDS = tuple(CHILD_FIELD_LABELS)
_NAME_FIELDS = {"name", "mother_name", "father_name"}


MAX_SERIAL = 9999


def _serial_row(session: Session, unit_code: str, year: int) -> ChildCodeSerial:
    """The unit-year's serial counter, locked until the transaction ends (desks registering at the same
    moment wait for each other here: on PostgreSQL a row lock, on SQLite the write transaction's lock)."""
    if is_server(session):
        session.execute(
            text(
                "INSERT INTO child_code_serial (unit_code, year, last_serial) VALUES (:u, :y, 0) "
                "ON CONFLICT (unit_code, year) DO NOTHING"
            ),
            {"u": unit_code, "y": year},
        )
    row = session.get(ChildCodeSerial, (unit_code, year), with_for_update=is_server(session))
    if row is None:
        row = ChildCodeSerial(unit_code=unit_code, year=year, last_serial=0)
        session.add(row)
    return row


def allocate_codes(
    session: Session, unit_code: str, year: int, count: int, exclude: frozenset[str] | set[str] = frozenset()
) -> list[str]:
    """Hand out ``count`` new child codes, unique under concurrent registration.

    Serials go up from the counter; when a stray high serial (an imported 9999) has used up the top,
    the free serials below are handed out instead; a year with all 9,999 taken is a clear refusal.
    ``exclude``: codes already handed out but not yet written (an import chunk's earlier rows).
    """
    row = _serial_row(session, unit_code, year)
    picked: list[int] = []
    n = row.last_serial
    while len(picked) < count and n < MAX_SERIAL:
        # from the counter up, skipping codes already on record (loaded from elsewhere, or older data)
        batch = list(range(n + 1, min(MAX_SERIAL, n + count - len(picked) + 16) + 1))
        codes = [make_child_code(unit_code, year, k) for k in batch]
        taken = set(session.scalars(select(Child.code).where(Child.code.in_(codes)))) | (set(codes) & set(exclude))
        picked += [k for k, c in zip(batch, codes, strict=True) if c not in taken][: count - len(picked)]
        n = batch[-1]
    if len(picked) < count:
        prefix = f"{unit_code}{year:04d}"
        used = {
            int(c[14:])
            # a range on the unique index (LIKE scanned the whole table: seconds a chunk at 250,000 children)
            for c in session.scalars(select(Child.code).where(Child.code.between(prefix + "0000", prefix + "9999")))
            if len(c) == 18 and c[14:].isdigit()
        } | set(picked)
        used |= {int(c[14:]) for c in exclude if c.startswith(prefix) and len(c) == 18 and c[14:].isdigit()}
        picked += [k for k in range(1, MAX_SERIAL + 1) if k not in used][: count - len(picked)]
    if len(picked) < count:
        raise ValidationError(f"{year} 年出生儿童的编码已用完（{unit_code} 的 {MAX_SERIAL} 个编号都已使用）")
    row.last_serial = max(row.last_serial, *picked)
    return [make_child_code(unit_code, year, k) for k in picked]


def reserve_code(session: Session, code: str) -> None:
    """Record that a given code is taken so generated codes never collide with it."""
    unit, year, serial = code[:10], int(code[10:14]), int(code[14:])
    row = _serial_row(session, unit, year)
    if row is None:
        session.add(ChildCodeSerial(unit_code=unit, year=year, last_serial=serial))
    elif row.last_serial < serial:
        row.last_serial = serial


def committee_id(session: Session, unit_code: str, name: str | None) -> int | None:
    if not name:
        return None
    return require_committee_ids(session, unit_code, name)[0]


def child_values(inp: ChildInput) -> dict[str, Any]:
    """The ``child`` columns of a validated input, cleaned as stored (no committee, no code)."""
    return {
        "name": inp.name.strip(),
        "sex": inp.sex,
        "birth_date": inp.birth_date,
        "birth_time": inp.birth_time or None,
        "birth_weight_kg": inp.birth_weight_kg,
        "mother_name": (inp.mother_name or "").strip() or None,
        "mother_id_number": inp.mother_id_number or None,
        "father_name": (inp.father_name or "").strip() or None,
        "father_id_number": inp.father_id_number or None,
        "phone": (inp.phone or "").replace(" ", "") or None,
        "id_number": normalize_id_number(inp.id_number) if inp.id_number else None,
        "birth_cert_no": inp.birth_cert_no or None,
        "address": inp.address or None,
        "hukou_county": inp.hukou_county or None,
        "residence": int(inp.residence),
        "school": inp.school or None,
        "status": int(inp.status),
        "mother_hbsag": inp.mother_hbsag or "0",
        "allergy": inp.allergy or None,
        "remark": inp.remark or None,
    }


def create_child(
    db: Database,
    inp: ChildInput,
    *,
    user: str | None = None,
    today: date | None = None,
    birth_doses: Sequence[DoseInput] = (),
    uuid: str | None = None,
) -> ChildRecord:
    """Validate and store a new child; generates the child code if none is given.

    ``birth_doses`` (HepB 1, BCG given at the birth hospital) are recorded in the same
    transaction: the child and its birth doses are saved together or not at all.  A child whose
    ``uuid`` (chosen by the form) is on record already is that child — a save retried after a lost
    connection whose first attempt was committed: returned, not registered twice.
    """
    from epimanager.services.doses import record_dose

    today = today or date.today()
    problems = child_problems(inp, today)
    if problems:
        raise ValidationError(problems)
    unit = db.own_unit_code()
    now = datetime.now()
    with db.transaction() as s:
        if uuid and (earlier := _by_uuid(s, uuid)) is not None:
            return ChildRecord.from_orm(earlier)
        cid = committee_id(s, unit, inp.committee)
        if inp.child_code:
            code = inp.child_code.strip()
            if s.scalar(select(Child.id).where(Child.code == code)) is not None:
                raise ValidationError(f"儿童编码 {code} 已存在")
            reserve_code(s, code)
        else:
            code = allocate_codes(s, unit, inp.birth_date.year, 1)[0]
        child = Child(
            uuid=uuid or new_uuid(),
            code=code,
            committee_id=cid,
            managing_unit=unit,
            created_unit=unit,
            created_at=now,
            updated_at=now,
            created_by=user,
            version=1,
            **child_values(inp),
        )
        s.add(child)
        s.flush()
        index_child(s, child.id, child.name, child.mother_name, child.father_name)
        audit.record(s, kind="create", entity="child", entity_uuid=child.uuid, child_id=child.id, user=user, new=code)
        for dose in birth_doses:
            record_dose(s, child, dose, own_unit=unit, user=user, today=today)
        log.info("child created: %s", code)
        if birth_doses:
            s.flush()
            s.refresh(child, ["doses"])
            return ChildRecord.from_orm(child)
        return ChildRecord.from_orm(child, with_doses=False)


def _by_uuid(s: Session, uuid: str) -> Child | None:
    return s.scalar(select(Child).where(Child.uuid == uuid).options(selectinload(Child.doses)))


def _load(s: Session, code: str) -> Child:
    child = s.scalar(
        select(Child).where(Child.code == code, Child.deleted.is_(False)).options(selectinload(Child.doses))
    )
    if child is None:
        raise NotFoundError(f"找不到儿童编码为 {code} 的个案")
    return child


def get_child(db: Database, code: str) -> ChildRecord:
    """The child with its (non-deleted) doses."""
    with db.session() as s:
        return ChildRecord.from_orm(_load(s, code))


def _as_input(c: Child) -> ChildInput:
    return ChildInput(
        name=c.name,
        sex=c.sex,
        birth_date=c.birth_date,
        mother_name=c.mother_name,
        father_name=c.father_name,
        phone=c.phone,
        id_number=c.id_number,
        address=c.address,
        committee=c.committee.name if c.committee else None,
        residence=c.residence,
        birth_cert_no=c.birth_cert_no,
        birth_time=c.birth_time,
        birth_weight_kg=c.birth_weight_kg,
        mother_id_number=c.mother_id_number,
        father_id_number=c.father_id_number,
        hukou_county=c.hukou_county,
        school=c.school,
        status=c.status,
        mother_hbsag=c.mother_hbsag,
        allergy=c.allergy,
        remark=c.remark,
    )


def update_child(
    db: Database,
    code: str,
    changes: Mapping[str, Any],
    *,
    user: str | None = None,
    today: date | None = None,
    expected_version: int | None = None,
) -> ChildRecord:
    """Change basic data; each changed field is audited (old → new) in the same transaction.

    ``expected_version`` is the version the user saw: if the child changed since (at another desk or
    window), :class:`~epimanager.errors.StaleRecord` is raised and nothing is written.
    """
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(f"不能修改字段：{', '.join(sorted(unknown))}")
    today = today or date.today()
    with db.transaction() as s:
        child = _load(s, code)
        audit.require_version(s, child.uuid, child.version, expected_version)
        before = _as_input(child)
        after = replace(before, **dict(changes))
        problems = child_problems(after, today)
        if problems:
            raise ValidationError(problems)
        old_vals = child_values(before) | {"committee": before.committee}
        new_vals = child_values(after) | {"committee": after.committee}
        changed = [f for f in EDITABLE_FIELDS if old_vals.get(f) != new_vals.get(f)]
        if not changed:
            return ChildRecord.from_orm(child)
        for f in changed:
            if f == "committee":
                child.committee_id = committee_id(s, child.managing_unit, after.committee)
            else:
                setattr(child, f, new_vals[f])
            audit.record(
                s,
                kind="update",
                entity="child",
                entity_uuid=child.uuid,
                child_id=child.id,
                user=user,
                field=f,
                old=old_vals.get(f),
                new=new_vals.get(f),
            )
        touch(child)
        if _NAME_FIELDS & set(changed):
            index_child(s, child.id, child.name, child.mother_name, child.father_name)
        s.flush()
        s.refresh(child)
        log.info("child updated: %s fields=%s", child.code, ",".join(changed))
        return ChildRecord.from_orm(child)


#: Columns of the children CSV / JSON import and export, in order.
CHILD_COLUMNS = (
    "name",
    "sex",
    "birth_date",
    "mother_name",
    "father_name",
    "phone",
    "id_number",
    "address",
    "committee",
    "residence",
)
CHILD_OPTIONAL_COLUMNS = (
    "child_code",
    "birth_cert_no",
    "birth_time",
    "birth_weight_kg",
    "mother_id_number",
    "father_id_number",
    "hukou_county",
    "school",
    "status",
    "mother_hbsag",
    "allergy",
    "remark",
)


def export_children(db: Database, batch: int = 5000) -> Iterator[dict[str, Any]]:
    """All (non-deleted) children as import-compatible dicts, in id order."""
    last = 0
    while True:
        with db.session() as s:
            rows = s.scalars(
                select(Child)
                .where(Child.id > last, Child.deleted.is_(False))
                .order_by(Child.id)
                .limit(batch)
                .options(selectinload(Child.committee))
            ).all()
            if not rows:
                return
            for c in rows:
                yield export_row(c)
            last = rows[-1].id


def export_row(c: Child) -> dict[str, Any]:
    inp = _as_input(c)
    values = {f.name: getattr(inp, f.name) for f in fields(ChildInput) if f.name != "extra"}
    out: dict[str, Any] = {}
    for col in CHILD_COLUMNS + CHILD_OPTIONAL_COLUMNS:
        v = c.code if col == "child_code" else values.get(col)
        if isinstance(v, date):
            v = v.isoformat()
        out[col] = "" if v is None else v
    return out
