"""疑似预防接种异常反应 (AEFI) cases: written from a dose, followed up, reported.

Every write is one transaction that also audits the change and queues the case for the platform
(outbox kind ``aefi``, coalesced by UUID like a dose). An update carries the version the user saw:
a stale one is refused. Limits and the cluster rule are :mod:`epimanager.domain.aefi`'s; the reads
(records, F7's list, the cluster alert) are :mod:`epimanager.services.aefi_records`', re-exported here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from epimanager.domain import aefi as rules
from epimanager.domain.aefi import AefiInput
from epimanager.errors import NotFoundError, ValidationError
from epimanager.services import audit, permissions
from epimanager.services.aefi_records import (
    AefiRecord,
    DoseChoice,
    FollowUp,
    case_for_dose,
    cluster_of,
    clusters,
    dose_choice,
    dose_choices,
    dose_time,
    find_dose,
    get_case,
    list_cases,
    load_case,
    read_case,
    symptom_list,
    vaccine_name,
)
from epimanager.store.database import Database
from epimanager.store.models import Dose
from epimanager.store.models_aefi import AefiCase, AefiFollowUp
from epimanager.store.outbox import enqueue_rows

__all__ = [
    "EDITABLE",
    "KIND_AEFI",
    "AefiRecord",
    "DoseChoice",
    "FollowUp",
    "add_case",
    "add_follow_up",
    "case_for_dose",
    "cluster_of",
    "clusters",
    "dose_choice",
    "dose_choices",
    "find_dose",
    "get_case",
    "list_cases",
    "mark_reported",
    "symptom_list",
    "update_case",
    "vaccine_name",
]

KIND_AEFI = "aefi"
#: Fields :func:`update_case` may change.
EDITABLE = (
    "onset_at",
    "discovered_at",
    "symptoms",
    "symptom_text",
    "severity",
    "outcome",
    "group_event",
    "diagnosis",
    "reporter",
)


def _check_symptoms(codes: tuple[str, ...]) -> tuple[str, ...]:
    known = {s.code for s in symptom_list().symptoms}
    bad = [x for x in codes if x not in known]
    if bad:
        raise ValidationError(f"未知的症状代码：{'、'.join(bad)}")
    return tuple(dict.fromkeys(codes))


def queue_case(s: Session, c: AefiCase) -> None:
    """Queue the case for the platform (its latest version), in the caller's transaction."""
    s.flush()
    enqueue_rows(s.connection(), KIND_AEFI, [(c.uuid, c.version)])


# ------------------------------------------------------------------------------ writes


def add_case(
    db: Database, dose_uuid: str, inp: AefiInput, *, user: str | None = None, now: datetime | None = None
) -> AefiRecord:
    """A new card following a dose: child, vaccine, batch, dose number and time are the dose's."""
    now = now or datetime.now()
    inp = replace(
        inp,
        symptoms=_check_symptoms(inp.symptoms),
        onset_at=_minute(inp.onset_at),
        discovered_at=_minute(inp.discovered_at or now),
    )
    with db.transaction() as s:
        dose = s.scalar(select(Dose).where(Dose.uuid == dose_uuid, Dose.deleted.is_(False)))
        if dose is None:
            raise NotFoundError(f"找不到该接种记录（{dose_uuid}）")
        problems = rules.case_problems(inp, dose.date, now, symptom_list().outcomes)
        if problems:
            raise ValidationError(problems)
        found = inp.discovered_at or now
        who = permissions.operator(s, user)
        case = AefiCase(
            child_id=dose.child_id,
            dose_id=dose.id,
            dose_uuid=dose.uuid,
            vaccine_code=dose.vaccine_code,
            batch_no=dose.batch_no,
            manufacturer=dose.manufacturer,
            dose_number=dose.dose_number,
            dose_date=dose.date,
            dose_time=dose_time(dose),
            onset_at=inp.onset_at,
            discovered_at=found,
            symptoms=",".join(inp.symptoms),
            symptom_list_version=symptom_list().version,
            symptom_text=(inp.symptom_text or "").strip() or None,
            severity=inp.severity,
            group_event=inp.group_event,
            outcome=inp.outcome,
            diagnosis=(inp.diagnosis or "").strip() or None,
            reporter=(inp.reporter or "").strip() or who,
            report_deadline=rules.report_deadline(found, inp.severity, inp.outcome, inp.group_event),
            created_at=now,
            created_by=who,
            updated_at=now,
            version=1,
            deleted=False,
        )
        s.add(case)
        s.flush()
        audit.record(
            s, kind="aefi_add", entity="aefi", entity_uuid=case.uuid, child_id=case.child_id, user=user, at=now,
            new=f"{vaccine_name(case.vaccine_code)} 批号 {case.batch_no or '—'} {case.severity}",
        )  # fmt: skip
        queue_case(s, case)
        return read_case(s, case)


def _minute(v: datetime) -> datetime:
    """Times on the card are to the minute (as the form shows them): a save of an unchanged card
    changes nothing."""
    return v.replace(second=0, microsecond=0)


def _value(field: str, v: Any) -> Any:
    if field in ("onset_at", "discovered_at") and isinstance(v, datetime):
        return _minute(v)
    if field == "symptoms":
        return ",".join(_check_symptoms(tuple(v)))
    if field in ("symptom_text", "diagnosis", "reporter") and isinstance(v, str):
        return v.strip() or None
    return v


def update_case(
    db: Database,
    uuid: str,
    changes: Mapping[str, Any],
    *,
    expected_version: int | None,
    user: str | None = None,
    now: datetime | None = None,
) -> AefiRecord:
    """Change a card; each changed field is audited. A stale ``expected_version`` is refused."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError(f"不能修改字段：{', '.join(sorted(unknown))}")
    now = now or datetime.now()
    with db.transaction() as s:
        case = load_case(s, uuid)
        audit.require_version(s, case.uuid, case.version, expected_version)
        new = {f: _value(f, v) for f, v in changes.items()}
        after = AefiInput(
            onset_at=new.get("onset_at", case.onset_at),
            symptoms=tuple(x for x in str(new.get("symptoms", case.symptoms)).split(",") if x),
            symptom_text=new.get("symptom_text", case.symptom_text),
            severity=new.get("severity", case.severity),
            outcome=new.get("outcome", case.outcome),
            group_event=bool(new.get("group_event", case.group_event)),
            discovered_at=new.get("discovered_at", case.discovered_at),
        )
        problems = rules.case_problems(after, case.dose_date, now, symptom_list().outcomes)
        if problems:
            raise ValidationError(problems)
        changed = False
        for f, v in new.items():
            old = getattr(case, f)
            if old == v:
                continue
            changed = True
            setattr(case, f, v)
            audit.record(
                s, kind="aefi_update", entity="aefi", entity_uuid=case.uuid, child_id=case.child_id, user=user,
                field=f, old=old, new=v, at=now,
            )  # fmt: skip
        if changed:
            case.report_deadline = rules.report_deadline(
                case.discovered_at, case.severity, case.outcome, case.group_event
            )
            _touch(s, case, now)
        return read_case(s, case)


def _touch(s: Session, case: AefiCase, now: datetime) -> None:
    case.version += 1
    case.updated_at = now
    queue_case(s, case)


def add_follow_up(
    db: Database,
    uuid: str,
    day: date,
    text: str,
    outcome: str | None = None,
    *,
    expected_version: int | None,
    user: str | None = None,
    now: datetime | None = None,
) -> AefiRecord:
    """A 随访 entry; its outcome (if any) becomes the case's outcome."""
    now = now or datetime.now()
    if not text.strip():
        raise ValidationError("随访内容不能为空")
    if outcome is not None and outcome not in symptom_list().outcomes:
        raise ValidationError(f"转归应为：{'、'.join(symptom_list().outcomes)}")
    with db.transaction() as s:
        case = load_case(s, uuid)
        audit.require_version(s, case.uuid, case.version, expected_version)
        if day < case.onset_at.date() or day > now.date():
            raise ValidationError(f"随访日期应在发病日期 {case.onset_at.date().isoformat()} 与今天之间")
        who = permissions.operator(s, user)
        s.add(
            AefiFollowUp(case_id=case.id, date=day, text=text.strip(), outcome=outcome, created_at=now, created_by=who)
        )
        audit.record(
            s, kind="aefi_follow_up", entity="aefi", entity_uuid=case.uuid, child_id=case.child_id, user=user,
            field="follow_up", new=f"{day.isoformat()} {text.strip()} {outcome or ''}".strip(), at=now,
        )  # fmt: skip
        if outcome is not None and outcome != case.outcome:
            audit.record(
                s, kind="aefi_update", entity="aefi", entity_uuid=case.uuid, child_id=case.child_id, user=user,
                field="outcome", old=case.outcome, new=outcome, at=now,
            )  # fmt: skip
            case.outcome = outcome
            case.report_deadline = rules.report_deadline(
                case.discovered_at, case.severity, case.outcome, case.group_event
            )
        _touch(s, case, now)
        return read_case(s, case)


def mark_reported(
    db: Database,
    uuid: str,
    *,
    expected_version: int | None = None,
    at: datetime | None = None,
    user: str | None = None,
    now: datetime | None = None,
) -> AefiRecord:
    """The card was reported (网络直报): it leaves F7. A second report is refused."""
    now = now or datetime.now()
    at = at or now
    if at > now:
        raise ValidationError("报告时间晚于现在")
    with db.transaction() as s:
        case = load_case(s, uuid)
        audit.require_version(s, case.uuid, case.version, expected_version)
        if case.reported_at is not None:
            raise ValidationError(f"此个案已于 {case.reported_at:%Y-%m-%d %H:%M} 报告")
        if at < case.discovered_at:
            raise ValidationError("报告时间早于发现时间")
        case.reported_at = at
        audit.record(
            s, kind="aefi_report", entity="aefi", entity_uuid=case.uuid, child_id=case.child_id, user=user,
            field="reported_at", new=at.isoformat(sep=" ", timespec="minutes"), at=now,
        )  # fmt: skip
        _touch(s, case, now)
        return read_case(s, case)
