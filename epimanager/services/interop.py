"""Exports for interoperability: FHIR R4 ``Bundle`` (Patient + Immunization) and HL7 v2.5.1 ``VXU^V04``.

Both are built as plain data / text (no third-party library at run time); the
tests validate them with ``fhir.resources`` (R4B classes) and ``hl7apy``
(STRICT).  Vaccines are coded with the national 4-digit codes (疫苗编码),
not CVX: the code system is named explicitly.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from epimanager.domain.search.surnames import COMPOUND_SURNAMES
from epimanager.services.children import get_child
from epimanager.services.consent import ConsentRecord, refusals
from epimanager.services.records import ChildRecord, DoseRecord
from epimanager.store.database import Database

CHILD_CODE_SYSTEM = "urn:epimanager:child-code"
ID_NUMBER_SYSTEM = "urn:epimanager:cn-resident-id"
UNIT_SYSTEM = "urn:epimanager:unit-code"
VACCINE_SYSTEM = "urn:epimanager:cn-vaccine-code"
ROUTE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-RouteOfAdministration"
_ROUTES = {
    "IM": ("IM", "Injection, intramuscular"),
    "SC": ("SQ", "Injection, subcutaneous"),
    "ID": ("IDINJ", "Injection, intradermal"),
    "PO": ("PO", "Swallow, oral"),
}
_HL7_ROUTES = {
    "IM": ("IM", "Intramuscular"),
    "SC": ("SC", "Subcutaneous"),
    "ID": ("ID", "Intradermal"),
    "PO": ("PO", "Oral"),
}


def split_name(name: str) -> tuple[str, str]:
    """(family, given): compound surnames (欧阳, 司马 …) first."""
    if len(name) >= 3 and name[:2] in COMPOUND_SURNAMES:
        return name[:2], name[2:]
    return name[:1], name[1:]


# ---------------------------------------------------------------------- FHIR


def _patient(c: ChildRecord) -> dict[str, Any]:
    family, given = split_name(c.name)
    identifiers: list[dict[str, Any]] = [{"use": "official", "system": CHILD_CODE_SYSTEM, "value": c.code}]
    if c.id_number:
        identifiers.append({"system": ID_NUMBER_SYSTEM, "value": c.id_number})
    p: dict[str, Any] = {
        "resourceType": "Patient",
        "id": c.uuid,
        "identifier": identifiers,
        "active": c.status in (1, 6, 7, 10),
        "name": [{"use": "official", "text": c.name, "family": family, "given": [given] if given else []}],
        "gender": "male" if c.sex == "1" else "female",
        "birthDate": c.birth_date.isoformat(),
        "managingOrganization": {"identifier": {"system": UNIT_SYSTEM, "value": c.managing_unit}},
    }
    if c.phone:
        p["telecom"] = [{"system": "phone", "value": c.phone, "use": "mobile"}]
    if c.address:
        p["address"] = [{"text": c.address}]
    contacts = []
    for rel, label, person in (("MTH", "mother", c.mother_name), ("FTH", "father", c.father_name)):
        if person:
            contacts.append(
                {
                    "relationship": [
                        {
                            "coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "code": rel}],
                            "text": label,
                        }
                    ],
                    "name": {"text": person},
                }
            )
    if contacts:
        p["contact"] = contacts
    return p


def _immunization(c: ChildRecord, d: DoseRecord, own_unit: str) -> dict[str, Any]:
    imm: dict[str, Any] = {
        "resourceType": "Immunization",
        "id": d.uuid,
        "status": "completed",
        "vaccineCode": {
            "coding": [{"system": VACCINE_SYSTEM, "code": d.vaccine_code, "display": d.vaccine_name}],
            "text": d.vaccine_name,
        },
        "patient": {"reference": f"urn:uuid:{c.uuid}"},
        "occurrenceDateTime": d.date.isoformat(),
        "primarySource": d.unit_code == own_unit,
        "protocolApplied": [{"doseNumberPositiveInt": d.dose_number}],
    }
    if d.batch_no:
        imm["lotNumber"] = d.batch_no
    if d.expiry:
        imm["expirationDate"] = d.expiry.isoformat()
    if d.manufacturer:
        imm["manufacturer"] = {"display": d.manufacturer}
    if d.site:
        imm["site"] = {"text": d.site}
    if d.route:
        code, display = _ROUTES.get(d.route, (d.route, d.route))
        imm["route"] = {"coding": [{"system": ROUTE_SYSTEM, "code": code, "display": display}], "text": d.route}
    if d.unit_code:
        imm["performer"] = [{"actor": {"identifier": {"system": UNIT_SYSTEM, "value": d.unit_code}}}]
    elif d.place_text:
        imm["location"] = {"display": d.place_text}
    if d.nurse:
        imm["note"] = [{"text": f"接种护士：{d.nurse}"}]
    return imm


REASON_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ActReason"


def _not_done(c: ChildRecord, r: ConsentRecord, own_unit: str) -> dict[str, Any]:
    """A guardian's 不同意 (the not-given record): ``status = not-done``, ``statusReason`` = patient
    objection with the reason as text."""
    reason = f"监护人不同意接种：{r.reason}" if r.reason else "监护人不同意接种"
    return {
        "resourceType": "Immunization",
        "id": r.uuid,
        "status": "not-done",
        "statusReason": {
            "coding": [{"system": REASON_SYSTEM, "code": "PATOBJ", "display": "patient objection"}],
            "text": reason,
        },
        "vaccineCode": {
            "coding": [{"system": VACCINE_SYSTEM, "code": r.vaccine_code, "display": r.vaccine_name}],
            "text": r.vaccine_name,
        },
        "patient": {"reference": f"urn:uuid:{c.uuid}"},
        "occurrenceDateTime": r.day.isoformat(),
        "recorded": r.at.astimezone().isoformat(timespec="seconds"),
        "primarySource": True,
        "performer": [{"actor": {"identifier": {"system": UNIT_SYSTEM, "value": own_unit}}}],
        **({"protocolApplied": [{"doseNumberPositiveInt": r.dose_number}]} if r.dose_number else {}),
        "note": [{"text": f"知情告知书 {r.text_version} 版；{'纸质签字' if r.paper else '屏幕签名'}"}],
    }


def fhir_bundle(
    child: ChildRecord, own_unit: str, *, now: datetime | None = None, refused: Sequence[ConsentRecord] = ()
) -> dict[str, Any]:
    """A FHIR R4 ``collection`` Bundle: the child's Patient, one Immunization per (non-deleted) dose and
    one ``not-done`` Immunization per refusal (``refused``: the consent service's 不同意 records)."""
    when = (now or datetime.now()).astimezone().isoformat(timespec="seconds")
    entries = [{"fullUrl": f"urn:uuid:{child.uuid}", "resource": _patient(child)}]
    entries += [{"fullUrl": f"urn:uuid:{d.uuid}", "resource": _immunization(child, d, own_unit)} for d in child.doses]
    entries += [{"fullUrl": f"urn:uuid:{r.uuid}", "resource": _not_done(child, r, own_unit)} for r in refused]
    return {"resourceType": "Bundle", "type": "collection", "timestamp": when, "entry": entries}


def export_fhir(db: Database, child_code: str) -> dict[str, Any]:
    return fhir_bundle(get_child(db, child_code), db.own_unit_code(), refused=refusals(db, child_code))


# ----------------------------------------------------------------------- HL7


def hl7_escape(text: str) -> str:
    """Escape HL7 delimiters in a text value (``\\`` first)."""
    out = text.replace("\\", "\\E\\")
    for ch, esc in (("|", "\\F\\"), ("^", "\\S\\"), ("~", "\\R\\"), ("&", "\\T\\")):
        out = out.replace(ch, esc)
    return out.replace("\r", " ").replace("\n", " ")


def vxu_message(
    child: ChildRecord, own_unit: str, *, control_id: str | None = None, now: datetime | None = None
) -> str:
    """An HL7 v2.5.1 ``VXU^V04^VXU_V04`` message (segments separated by CR)."""
    e = hl7_escape
    ts = (now or datetime.now()).strftime("%Y%m%d%H%M%S")
    family, given = split_name(child.name)
    cid = control_id or f"{ts}{child.code[-6:]}"
    segs = [
        f"MSH|^~\\&|EPIMANAGER|{own_unit}|NIP-PLATFORM|CN|{ts}||VXU^V04^VXU_V04|{cid}|P|2.5.1"
        "|||ER|AL||UNICODE UTF-8|||Z22^CDCPHINVS",
    ]
    pid3 = f"{child.code}^^^EPIMANAGER^MR"
    if child.id_number:
        pid3 += f"~{child.id_number}^^^CHN^NNCHN"
    addr = f"{e(child.address)}^^^^^CHN" if child.address else ""
    phone = f"^PRN^PH^^^^^^^^^{e(child.phone)}" if child.phone else ""
    sex = "M" if child.sex == "1" else "F"
    segs.append(f"PID|1||{pid3}||{e(family)}^{e(given)}^^^^^L||{child.birth_date:%Y%m%d}|{sex}|||{addr}||{phone}")
    n = 0
    for rel, label, person in (("MTH", "Mother", child.mother_name), ("FTH", "Father", child.father_name)):
        if person:
            n += 1
            pf, pg = split_name(person)
            segs.append(f"NK1|{n}|{e(pf)}^{e(pg)}^^^^^L|{rel}^{label}^HL70063")
    for i, d in enumerate(child.doses, start=1):
        historical = d.unit_code != own_unit
        info = (
            "01^Historical information - source unspecified^NIP001"
            if historical
            else ("00^New immunization record^NIP001")
        )
        segs.append(f"ORC|RE||{d.uuid}^EPIMANAGER")
        expiry = f"{d.expiry:%Y%m%d}" if d.expiry else ""
        maker = f"^{e(d.manufacturer)}^99CNMVX" if d.manufacturer else ""
        place = f"^^^{e(d.unit_code)}" if d.unit_code else ""
        segs.append(
            f"RXA|0|1|{d.date:%Y%m%d}|{d.date:%Y%m%d}|{d.vaccine_code}^{e(d.vaccine_name)}^99CNVAC|999|||{info}"
            f"||{place}||||{e(d.batch_no or '')}|{expiry}|{maker}|||CP|A"
        )
        if d.route:
            rc, rn = _HL7_ROUTES.get(d.route, (d.route, d.route))
            segs.append(f"RXR|{rc}^{rn}^HL70162|{('^' + e(d.site) + '^99CNSITE') if d.site else ''}")
        segs.append(f"OBX|{i}|NM|30973-2^Dose number in series^LN|{i}|{d.dose_number}||||||F")
    return "\r".join(segs) + "\r"


def export_hl7(db: Database, child_code: str) -> str:
    return vxu_message(get_child(db, child_code), db.own_unit_code())
