"""FHIR R4 (validated by fhir.resources R4B) and HL7 v2.5.1 VXU^V04 (hl7apy STRICT) exports."""

from __future__ import annotations

from datetime import date

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.immunization import Immunization
from fhir.resources.R4B.patient import Patient
from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.parser import parse_message

from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.services.children import create_child
from epimanager.services.doses import add_dose, delete_dose
from epimanager.services.interop import export_fhir, export_hl7, hl7_escape, split_name
from epimanager.store.database import Database

TODAY = date(2026, 11, 26)


@pytest.fixture
def code(db: Database) -> str:
    c = create_child(
        db,
        ChildInput(
            "欧阳娜娜",
            "2",
            date(2026, 3, 1),
            mother_name="林芳",
            father_name="欧阳强",
            phone="13812345678",
            address="东风村 3|组 ^ 号",
        ),
        today=TODAY,
    ).code
    add_dose(db, c, DoseInput("HepB", 1, date(2026, 3, 1), batch_no="B2026&1", manufacturer="深圳康泰"), today=TODAY)
    add_dose(db, c, DoseInput("BCG", 1, date(2026, 3, 2)), today=TODAY)
    gone = add_dose(db, c, DoseInput("HepB", 2, date(2026, 4, 1)), today=TODAY)
    delete_dose(db, gone.uuid)
    add_dose(db, c, DoseInput("HepB", 2, date(2026, 4, 2), unit_code="3201020202"), today=TODAY)
    return c


def test_fhir_bundle_validates_as_r4_patient_and_immunizations(db: Database, code: str) -> None:
    bundle = export_fhir(db, code)
    Bundle.model_validate(bundle)
    resources = [e["resource"] for e in bundle["entry"]]
    patient = Patient.model_validate(resources[0])
    imms = [Immunization.model_validate(r) for r in resources[1:]]
    assert patient.name[0].family == "欧阳" and patient.name[0].given == ["娜娜"]
    assert (patient.gender, str(patient.birthDate)) == ("female", "2026-03-01")
    assert patient.identifier[0].value == code
    assert [(i.vaccineCode.coding[0].code, i.protocolApplied[0].doseNumberPositiveInt) for i in imms] == [
        ("0201", 1),
        ("0101", 1),
        ("0201", 2),
    ]
    assert [i.primarySource for i in imms] == [True, True, False]
    assert imms[0].lotNumber == "B2026&1"
    assert all(i.patient.reference == bundle["entry"][0]["fullUrl"] for i in imms)


def test_fhir_validation_is_real(db: Database, code: str) -> None:
    bundle = export_fhir(db, code)
    imm = dict(bundle["entry"][1]["resource"])
    imm.pop("status")
    with pytest.raises(ValueError, match="status"):
        Immunization.model_validate(imm)


def test_vxu_parses_and_validates_strictly_with_hl7apy(db: Database, code: str) -> None:
    er7 = export_hl7(db, code)
    msg = parse_message(er7, validation_level=VALIDATION_LEVEL.STRICT, find_groups=True)
    assert msg.validate() is True
    assert msg.msh.msh_9.to_er7() == "VXU^V04^VXU_V04"
    assert msg.msh.msh_12.to_er7() == "2.5.1"
    assert msg.pid.pid_5.to_er7().startswith("欧阳^娜娜")
    orders = [c for c in msg.children if c.name == "VXU_V04_ORDER"]
    assert len(orders) == 3
    assert orders[0].rxa.rxa_5.to_er7() == "0201^乙肝疫苗^99CNVAC"
    assert orders[0].rxa.rxa_15.to_er7() == r"B2026\T\1"
    assert orders[2].rxa.rxa_9.to_er7().startswith("01")  # given elsewhere: historical
    # the escaped address comes back as typed
    assert msg.pid.pid_11.xad_1.to_er7() == r"东风村 3\F\组 \S\ 号"


def test_a_vxu_without_pid_is_refused_by_hl7apy(db: Database, code: str) -> None:
    er7 = "\r".join(s for s in export_hl7(db, code).split("\r") if not s.startswith("PID"))
    with pytest.raises(Exception, match="PID"):
        parse_message(er7, validation_level=VALIDATION_LEVEL.STRICT, find_groups=True).validate()


def test_helpers() -> None:
    assert split_name("司马光明") == ("司马", "光明")
    assert split_name("张三") == ("张", "三")
    assert hl7_escape("a|b^c~d\\e&f") == r"a\F\b\S\c\R\d\E\e\T\f"
