"""AEFI cases in the platform form (kind ``aefi``; field names ``aefi_*``, the dose's ``inoc_*``)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from epimanager.store.models import Child
from epimanager.store.models_aefi import AefiCase, AefiFollowUp
from epimanager.sync.mapping import _iso


def aefi_records(s: Session, uuids: list[str]) -> dict[str, tuple[int, dict[str, Any]]]:
    """``uuid → (version, data)`` of the cases asked for (read live, like doses)."""
    out: dict[str, tuple[int, dict[str, Any]]] = {}
    if not uuids:
        return out
    q = select(AefiCase, Child.uuid, Child.code).join(Child, Child.id == AefiCase.child_id)
    rows = s.execute(q.where(AefiCase.uuid.in_(uuids))).all()
    ups: dict[int, list[dict[str, Any]]] = defaultdict(list)
    ids = [c.id for c, _u, _code in rows]
    if ids:
        for f in s.scalars(select(AefiFollowUp).where(AefiFollowUp.case_id.in_(ids)).order_by(AefiFollowUp.id)):
            ups[f.case_id].append({"date": _iso(f.date), "text": f.text, "outcome": f.outcome})
    for c, child_uuid, child_code in rows:
        out[c.uuid] = (
            c.version,
            {
                "chil_uuid": child_uuid,
                "chil_code": child_code,
                "inoc_uuid": c.dose_uuid,
                "inoc_bact_code": c.vaccine_code,
                "inoc_batchno": c.batch_no,
                "inoc_corp_name": c.manufacturer,
                "inoc_time": c.dose_number,
                "inoc_date": _iso(c.dose_date),
                "aefi_onset": _iso(c.onset_at),
                "aefi_discovered": _iso(c.discovered_at),
                "aefi_symptoms": [x for x in c.symptoms.split(",") if x],
                "aefi_symptom_text": c.symptom_text,
                "aefi_severity": c.severity,
                "aefi_group": c.group_event,
                "aefi_outcome": c.outcome,
                "aefi_diagnosis": c.diagnosis,
                "aefi_reporter": c.reporter,
                "aefi_reported_at": _iso(c.reported_at),
                "aefi_followups": ups.get(c.id, []),
                "deleted": bool(c.deleted),
            },
        )
    return out
