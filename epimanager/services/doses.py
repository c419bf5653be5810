"""Doses (接种记录): record a dose in one transaction.

The schedule engine evaluates every new or changed dose against the child's other doses
*inside* the write transaction. A dose the engine counts as invalid (首针提前, 未到月龄, 间短 …) is
refused with :class:`InvalidDose` naming the reasons unless the caller passes
``confirm_invalid=True`` — the GUI after its 仍要保存吗？ question, the CLI with
``--confirm-invalid``, the importer with ``--confirm-invalid`` — and the confirmation is audited.

A dose the child already has is refused with :class:`DuplicateDose` — a *valid* dose of the same
series with the same dose number, or the same product on the same day — unless the caller confirms
it as a correction/补录 with ``confirm_duplicate=True`` (GUI question, ``--confirm-duplicate`` on the
CLI and the importer); that confirmation is audited too.  Both rules are checked inside the write
transaction, on the doses stored there.

A dose recorded here on a day the child's visit has an order (登记's 今日接种安排) but that is not
on it is refused with :class:`~epimanager.services.order_check.OffOrderDose` unless
``confirm_off_order=True`` (GUI question, ``--confirm-off-order`` on the CLI); audited too.

A dose given here with a scan (``scan=``) or a trace code goes through the 接种台's scan checks
(:mod:`epimanager.services.administration`): a refusal is
:class:`~epimanager.services.administration.ScanRefused` and nothing is written, unless a
业务管理员 gives ``scan_override`` (a reason; audited as ``scan_override``).
"""

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
from epimanager.services import administration, audit, permissions
from epimanager.services.dose_checks import DuplicateDose, InvalidDose, check_dose, evaluate_new, invalid_reasons
from epimanager.services.dose_reads import SaveReads, read_for_save
from epimanager.services.order_check import OffOrderDose, off_order_of
from epimanager.services.records import DoseRecord
from epimanager.services.stock import dose_binding
from epimanager.store.database import Database, own_unit
from epimanager.store.models import AuditLog, Child, Dose, new_uuid, touch

__all__ = [
    "EDITABLE_DOSE_FIELDS",
    "OTHER_PLACE",
    "STOCK_DOSE_FIELDS",
    "DuplicateDose",  # the rules' refusals live in dose_checks; callers import them from here
    "InvalidDose",
    "OffOrderDose",
    "add_dose",
    "delete_dose",
    "evaluate_new",
    "invalid_reasons",
    "record_dose",
    "resolve_vaccine_code",
    "update_dose",
]

log = logging.getLogger(__name__)

OTHER_PLACE = "外地"


def resolve_vaccine_code(text: str) -> str:
    try:
        return catalog().resolve(text).code
    except KeyError as exc:
        raise ValidationError(str(exc.args[0])) from None


def add_dose(
    db: Database,
    child_code: str,
    inp: DoseInput,
    *,
    user: str | None = None,
    today: date | None = None,
    confirm_invalid: bool = False,
    confirm_duplicate: bool = False,
    confirm_off_order: bool = False,
    scan: str | None = None,
    scan_override: str | None = None,
) -> DoseRecord:
    """Validate and record one dose for a child (own unit unless told otherwise).

    An invalid dose (by the schedule engine) is refused with :class:`InvalidDose` unless
    ``confirm_invalid``; a dose the child already has with :class:`DuplicateDose` unless
    ``confirm_duplicate``; a dose given here that is not on the order of the child's visit that
    day with :class:`OffOrderDose` unless ``confirm_off_order``.  A dose whose ``inp.uuid`` is on
    record already is that dose (a save retried after a lost connection): returned, not saved again.
    """
    with db.transaction(prepared=True) as s:  # a desk's save all day: its statements kept planned
        stored = read_for_save(s, child_code, inp.uuid, inp.date)  # one SELECT (module doc of dose_reads)
        if stored is None:
            own_unit(s)  # a clinic not set up says so first
            raise NotFoundError(f"找不到儿童编码为 {child_code} 的个案")
        child, own = stored.child, stored.own_unit
        if inp.uuid and stored.earlier_child_id is not None:
            if stored.earlier_child_id != child.id:
                raise ValidationError("接种记录编号重复（另一儿童已有此编号），未保存")
            earlier = s.scalars(select(Dose).where(Dose.uuid == inp.uuid)).one()
            return DoseRecord.from_orm(earlier)  # this save's first attempt was committed: not again
        here = inp.place_text != OTHER_PLACE and inp.unit_code in (None, own)
        code = resolve_vaccine_code(inp.vaccine)
        refusal: OffOrderDose | None = None
        if here:
            refusal = off_order_of(s, stored.order_id, code, inp.dose_number)
        if refusal is not None and not confirm_off_order:
            raise refusal
        verdict = None
        if here and (scan or inp.trace_code):  # the 接种台's scan checks (module doc)
            if scan_override is not None:
                scan_override = administration.require_override(db, scan_override)
            inp, verdict = administration.check_for_dose(
                s, child, code, inp, scan=scan or inp.trace_code or "", override=scan_override
            )
        dose = record_dose(
            s,
            child,
            inp,
            own_unit=own,
            user=user,
            today=today,
            confirm_invalid=confirm_invalid,
            confirm_duplicate=confirm_duplicate,
            stored=stored,
        )
        if verdict is not None and verdict.reasons and scan_override:
            administration.audit_override(s, dose, verdict, scan_override, user)
        if refusal is not None:
            audit.record(
                s,
                kind="dose_off_order",
                entity="dose",
                entity_uuid=dose.uuid,
                child_id=child.id,
                user=user,
                new=f"确认今日安排外接种：{refusal.dose}（{refusal.ticket} 号安排："
                f"{'、'.join(p.text for p in refusal.planned)}）",
            )
        return DoseRecord.from_orm(dose)


def record_dose(
    s: Session,
    child: Child,
    inp: DoseInput,
    *,
    own_unit: str,
    user: str | None = None,
    today: date | None = None,
    confirm_invalid: bool = False,
    confirm_duplicate: bool = False,
    stored: SaveReads | None = None,
) -> Dose:
    """:func:`add_dose` inside the caller's transaction (a new child's birth doses go in with the child).

    ``stored``: what :func:`~epimanager.services.dose_reads.read_for_save` read for this save (else
    the child's doses and facts are read here)."""
    today = today or date.today()
    code = resolve_vaccine_code(inp.vaccine)
    vac = catalog().resolve(code)
    now = datetime.now()
    problems = dose_problems(inp, child.birth_date, today)
    if problems:
        raise ValidationError(problems)
    note = check_dose(
        s,
        child,
        code,
        inp.dose_number,
        inp.date,
        exclude=None,
        confirm_invalid=confirm_invalid,
        confirm_duplicate=confirm_duplicate,
        stored=stored,
    )
    unit_code = inp.unit_code
    if unit_code is None and inp.place_text != OTHER_PLACE:
        unit_code = own_unit
    # a dose given elsewhere (出生医院, 外地, another unit) carries no local nurse unless one is named
    nurse = inp.nurse or (permissions.nurse_name(s, user) if unit_code == own_unit else None) or None
    dose = Dose(
        uuid=inp.uuid or new_uuid(),
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
        nurse=nurse,
        unit_code=unit_code,
        place_text=inp.place_text or None,
        free=inp.free,
        trace_code=inp.trace_code or None,
        combination_code=inp.combination_code or None,
        created_at=now,
        updated_at=now,
        version=1,
    )
    s.add(dose)  # written with the next flush: the stock draw's first read, or the commit
    # 疫苗出入库: one 人份 from the batch when it is in stock (refuses a shortage)
    dose_binding.consume_for_dose(s, dose, user=user, now=now)
    audit.record(
        s,
        kind="dose_add",
        entity="dose",
        entity_uuid=dose.uuid,
        child_id=child.id,
        user=user,
        new=f"{vac.abbr} 第{inp.dose_number}剂 {inp.date.isoformat()}{note}",
    )
    log.info("dose added: child=%s vaccine=%s dose=%s", child.code, code, inp.dose_number)
    return dose


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
    db: Database,
    uuid: str,
    changes: Mapping[str, Any],
    *,
    user: str | None = None,
    today: date | None = None,
    confirm_invalid: bool = False,
    confirm_duplicate: bool = False,
    expected_version: int | None = None,
) -> DoseRecord:
    """Change a saved dose; every changed field is audited in the same transaction.

    ``expected_version`` is the version the user saw: a stale one is refused (:class:`StaleRecord`).

    A change of vaccine or date that makes the dose invalid is refused with :class:`InvalidDose`
    unless ``confirm_invalid``; a change of vaccine, dose number or date that makes it a dose the
    child already has, with :class:`DuplicateDose` unless ``confirm_duplicate``.
    """
    unknown = set(changes) - set(EDITABLE_DOSE_FIELDS)
    if unknown:
        raise ValidationError(f"不能修改字段：{', '.join(sorted(unknown))}")
    today = today or date.today()
    with db.transaction() as s:
        dose = _load_dose(s, uuid)
        audit.require_version(s, dose.uuid, dose.version, expected_version)
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
        note = ""
        if (after.vaccine, after.dose_number, after.date) != (current.vaccine, current.dose_number, current.date):
            note = check_dose(
                s,
                child,
                after.vaccine,
                after.dose_number,
                after.date,
                exclude=dose.uuid,
                confirm_invalid=confirm_invalid,
                confirm_duplicate=confirm_duplicate,
                counts=(after.vaccine, after.date) != (current.vaccine, current.date),
            )
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
                new=f"{new}{note}" if note and f in ("vaccine", "dose_number", "date") else new,
            )
        if changed:
            touch(dose)
        s.flush()
        if stock_fields_changed:
            # 疫苗出入库: give the 人份 back to the old batch, take it from the new one
            dose_binding.rebind_dose(s, dose, user=user)
        return DoseRecord.from_orm(dose)


def delete_dose(
    db: Database,
    uuid: str,
    *,
    user: str | None = None,
    reason: str | None = None,
    expected_version: int | None = None,
) -> None:
    """Soft-delete a dose (it can be viewed and restored); audited.  A stale ``expected_version`` is refused.

    A 普通用户 deletes only doses they recorded themselves; another user's (or an imported) dose
    needs 业务管理员.
    """
    with db.transaction() as s:
        dose = _load_dose(s, uuid)
        audit.require_version(s, dose.uuid, dose.version, expected_version)
        recorder = s.scalar(
            select(AuditLog.user)
            .where(AuditLog.kind == "dose_add", AuditLog.entity_uuid == uuid)
            .order_by(AuditLog.id)
            .limit(1)
        )
        if db.actor is None or recorder != db.actor.name:
            permissions.check(db, "delete_others_dose")  # passes in setup mode (no user yet)
        dose.deleted = True
        # 疫苗出入库: the 人份 goes back to its batch
        dose_binding.release_for_dose(s, dose, user=user)
        touch(dose)
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
