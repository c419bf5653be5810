"""Local rows ↔ platform records (field names chil_* / inoc_*, shared/domain §3).

``child_data`` / ``dose_data`` take Core result mappings (the columns of
``child`` / ``dose`` plus ``committee_name`` / ``child_uuid`` and
``child_code``) so that batches are built without loading ORM objects.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any


def _iso(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.isoformat(timespec="seconds")
    if isinstance(v, date):
        return v.isoformat()
    return v


def _grams(kg: float | None) -> int | None:
    return None if kg is None else round(kg * 1000)


def child_data(r: Mapping[Any, Any]) -> dict[str, Any]:
    """The platform form of a child row."""
    return {
        "chil_code": r["code"],
        "chil_name": r["name"],
        "chil_sex": r["sex"],
        "chil_birthday": _iso(r["birth_date"]),
        "chil_birthtime": r["birth_time"],
        "chil_birthweight": _grams(r["birth_weight_kg"]),
        "chil_no": r["id_number"],
        "chil_birthno": r["birth_cert_no"],
        "chil_mother": r["mother_name"],
        "chil_motherno": r["mother_id_number"],
        "chil_father": r["father_name"],
        "chil_fatherno": r["father_id_number"],
        "chil_mobile": r["phone"],
        "chil_address": r["address"],
        "chil_habi_id": r["hukou_county"],
        "chil_residence": str(r["residence"]),
        "chil_committee": r.get("committee_name"),
        "chil_school": r["school"],
        "chil_here": str(r["status"]),
        "chil_curdepartment": r["managing_unit"],
        "chil_createsite": r["created_unit"],
        "chil_createdate": _iso(r["created_at"]),
        "chil_createman": r["created_by"],
        "chil_motherhb": r["mother_hbsag"],
        "chil_sensitivity": r["allergy"],
        "chil_remark": r["remark"],
        "chil_editdate": _iso(r["updated_at"]),
        "deleted": bool(r["deleted"]),
    }


def dose_data(r: Mapping[Any, Any]) -> dict[str, Any]:
    """The platform form of a dose row (with its child's uuid and code)."""
    unit = r["unit_code"]
    return {
        "chil_uuid": r["child_uuid"],
        "chil_code": r["child_code"],
        "inoc_bact_code": r["vaccine_code"],
        "inoc_time": r["dose_number"],
        "inoc_date": _iso(r["date"]),
        "inoc_property": str(r["attribute"]),
        "inoc_batchno": r["batch_no"],
        "inoc_validdate": _iso(r["expiry"]),
        "inoc_corp_name": r["manufacturer"],
        "inoc_inpl_id": r["site"],
        "channel": r["route"],
        "inoc_nurse": r["nurse"],
        "inoc_county": unit[:6] if unit else None,
        "inoc_nationcode": unit[6:] if unit else None,
        "inoc_place": r["place_text"],
        "inoc_free": "1" if r["free"] else "0",
        "inoc_regulatory_code": r["trace_code"],
        "inoc_union_code": r["combination_code"],
        "inoc_editdate": _iso(r["updated_at"]),
        "deleted": bool(r["deleted"]),
    }


def _date(v: Any) -> date | None:
    return date.fromisoformat(str(v)[:10]) if v else None


def _int(v: Any, default: int) -> int:
    try:
        return int(v)
    except (TypeError, ValueError):
        return default


def child_fields(d: Mapping[str, Any]) -> dict[str, Any]:
    """Column values of a local ``child`` row from a platform child record."""
    grams = d.get("chil_birthweight")
    created = d.get("chil_createdate")
    return {
        "code": d["chil_code"],
        "name": d["chil_name"],
        "sex": str(d["chil_sex"]),
        "birth_date": _date(d["chil_birthday"]),
        "birth_time": d.get("chil_birthtime"),
        "birth_weight_kg": None if grams in (None, "") else round(float(grams) / 1000, 3),
        "id_number": d.get("chil_no"),
        "birth_cert_no": d.get("chil_birthno"),
        "mother_name": d.get("chil_mother"),
        "mother_id_number": d.get("chil_motherno"),
        "father_name": d.get("chil_father"),
        "father_id_number": d.get("chil_fatherno"),
        "phone": d.get("chil_mobile"),
        "address": d.get("chil_address"),
        "hukou_county": d.get("chil_habi_id"),
        "residence": _int(d.get("chil_residence"), 1),
        "school": d.get("chil_school"),
        "status": _int(d.get("chil_here"), 1),
        "managing_unit": d.get("chil_curdepartment") or "",
        "created_unit": d.get("chil_createsite") or d.get("chil_curdepartment") or "",
        "created_at": datetime.fromisoformat(created) if created else datetime.now(),
        "created_by": d.get("chil_createman"),
        "mother_hbsag": d.get("chil_motherhb") or "0",
        "allergy": d.get("chil_sensitivity"),
        "remark": d.get("chil_remark"),
        "deleted": bool(d.get("deleted")),
    }


def dose_fields(d: Mapping[str, Any]) -> dict[str, Any]:
    """Column values of a local ``dose`` row from a platform dose record (without ``child_id``)."""
    county, suffix = d.get("inoc_county"), d.get("inoc_nationcode")
    return {
        "vaccine_code": d["inoc_bact_code"],
        "dose_number": _int(d.get("inoc_time"), 1),
        "date": _date(d["inoc_date"]),
        "attribute": _int(d.get("inoc_property"), 0),
        "batch_no": d.get("inoc_batchno"),
        "expiry": _date(d.get("inoc_validdate")),
        "manufacturer": d.get("inoc_corp_name"),
        "site": d.get("inoc_inpl_id"),
        "route": d.get("channel"),
        "nurse": d.get("inoc_nurse"),
        "unit_code": f"{county}{suffix}" if county and suffix else None,
        "place_text": d.get("inoc_place"),
        "free": str(d.get("inoc_free", "1")) == "1",
        "trace_code": d.get("inoc_regulatory_code"),
        "combination_code": d.get("inoc_union_code"),
        "deleted": bool(d.get("deleted")),
    }
