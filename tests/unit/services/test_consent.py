"""知情告知 and consent on a real database (both backends): the texts, the frozen text version, a
stale change refused, a refusal exported as a not-done FHIR Immunization, the scan's check."""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime
from pathlib import Path

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.immunization import Immunization
from sqlalchemy import select

from epimanager.domain import consent as dc
from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.errors import StaleRecord, ValidationError
from epimanager.resources import resources_dir
from epimanager.services import consent as C
from epimanager.services import visit_order as O
from epimanager.services import visits as V
from epimanager.services.children import create_child
from epimanager.services.consent_texts import text_for
from epimanager.services.interop import export_fhir
from epimanager.store.database import Database
from epimanager.store.models import AuditLog, Child

DAY = date(2026, 12, 7)
NINE = datetime(2026, 12, 7, 9, 0)
BORN = date(2026, 10, 1)
SIGN = [[(10.0, 40.0, 0.3), (40.0, 20.0, 0.7), (80.0, 45.0, 0.5)], [(90.0, 10.0, 0.6), (95.0, 60.0, 0.6)]]
NIP = ("HepB", "BCG", "IPV", "bOPV", "DTaP", "DT", "MMR", "JE-L", "JE-I", "MPSV-A", "MPSV-AC", "HepA-L", "HepA-I")


def baby(db: Database) -> str:
    """Born 2026-10-01, HepB 1 and BCG at birth: on 2026-12-07 HepB 2, IPV 1 and DTaP 1 are due."""
    birth = [DoseInput("HepB", 1, BORN), DoseInput("BCG", 1, BORN)]
    return create_child(db, ChildInput("王小宝", "1", BORN, mother_name="李梅"), today=DAY, birth_doses=birth).code


def test_every_nip_vaccine_has_its_own_text_and_others_the_generic_one() -> None:
    for abbr in NIP:
        t = text_for(abbr)
        assert not t.generic and t.version == "2026.1", abbr
        assert tuple(h for h, _ in t.sections) == dc.SECTIONS
        assert all(len(body) >= 6 for _, body in t.sections), abbr
    assert text_for("HepB-CHO").key == text_for("乙肝").key == "HepB"
    assert text_for("JE-I").title == "乙型脑炎灭活疫苗接种知情告知书"
    pcv = text_for("PCV13")
    assert pcv.generic and pcv.title == "13价肺炎结合疫苗接种知情告知书（通用）"
    assert pcv.sections[0][1].startswith("13价肺炎结合疫苗。本告知书为通用文本")


def test_a_signed_consent_is_stored_with_its_order_text_and_hash(db: Database) -> None:
    code = baby(db)
    V.take(db, code, now=NINE)
    O.set_order(db, "A001", [O.OrderItem("IPV", 1), O.OrderItem("HepB", 2)], now=NINE)
    hepb = text_for("HepB")
    r = C.record_consent(db, code, "HepB", "同意", strokes=SIGN, png=b"\x89PNG-test", desk="登记台",
                         shown_text_sha256=hepb.sha256, user="护士甲", now=NINE)  # fmt: skip
    assert (r.vaccine_abbr, r.dose_number, r.ticket, r.choice, r.status) == ("HepB", 2, "A001", dc.Choice.AGREE,
                                                                            "已签署知情同意")  # fmt: skip
    assert (r.text_key, r.text_version, r.text_sha256, r.desk, r.operator, r.version) == (
        "HepB", "2026.1", hepb.sha256, "登记台", "护士甲", 1)  # fmt: skip
    assert len(r.strokes) == 2 and r.strokes[0][1] == (40.0, 20.0, 0.7) and r.has_png
    with db.session() as s:
        child = s.scalar(select(Child).where(Child.code == code))
        assert child is not None
        expected = dc.signature_hash(SIGN, text_version="2026.1", text_sha256=hepb.sha256, child_uuid=child.uuid,
                                     vaccine_code="0201", dose_number=2, day=DAY, choice=dc.Choice.AGREE,
                                     paper=False)  # fmt: skip
        assert r.signature_hash == expected
        # the scan's check: HepB agreed; IPV (on the order) not yet, DTaP never asked
        assert C.consent_block(s, child.id, "0201", DAY) is None
        assert C.consent_block(s, child.id, "0303", DAY) == (
            "脊灰灭活疫苗今天还没有监护人的知情同意（请先在登记台完成知情告知和签字）"
        )
        assert C.consent_block(s, child.id, "0201", date(2026, 12, 8)) is not None  # consent is per day
        audit = s.scalars(select(AuditLog.new_value).where(AuditLog.kind == "consent")).all()
    assert audit == ["乙肝疫苗：同意，屏幕签名（告知书 2026.1 版，登记台）"]
    assert C.verify(db, r.uuid) and C.signature_png(db, r.uuid) == b"\x89PNG-test"
    # without an order the dose number is the forecast's next: DTaP 1
    d = C.record_consent(db, code, "DTaP", "agree", paper=True, now=NINE)
    assert (d.dose_number, d.status, d.strokes, d.has_png) == (1, "纸质签字", (), False)


def test_nothing_is_stored_without_a_signature_or_a_refusal_reason(db: Database) -> None:
    code = baby(db)
    with pytest.raises(ValidationError, match="同意需要监护人签名"):
        C.record_consent(db, code, "HepB", dc.Choice.AGREE, now=NINE)
    with pytest.raises(ValidationError, match="不同意接种需要填写原因"):
        C.record_consent(db, code, "HepB", dc.Choice.REFUSE, paper=True, now=NINE)
    assert C.consents_of(db, code) == []


def test_the_text_is_frozen_when_an_upgrade_brings_a_new_version(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = baby(db)
    old = text_for("HepB")
    first = C.record_consent(db, code, "HepB", "同意", strokes=SIGN, shown_text_sha256=old.sha256, now=NINE)
    # an upgrade package lays consent/HepB.json version 2027.1 over the bundled one
    root = tmp_path / "overrides"
    folder = root / "0.3.0" / "consent"
    folder.mkdir(parents=True)
    data = json.loads((resources_dir() / "consent" / "HepB.json").read_text(encoding="utf-8"))
    data["version"] = "2027.1"
    data["sections"][2]["text"] += "新增：本次接种前请告知近期用药情况。"
    (folder / "HepB.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    shutil.copy(resources_dir() / "consent" / "_generic.json", folder / "_generic.json")
    (root / "current").write_text("0.3.0", encoding="utf-8")
    monkeypatch.setenv("EPIMANAGER_RESOURCE_OVERRIDES", str(root))
    new = text_for("HepB")
    assert new.version == "2027.1" and new.sha256 != old.sha256 and text_for("IPV").version == "2026.1"
    # the stored consent keeps the text it was signed on, re-loadable by its hash
    (kept,) = C.consents_of(db, code)
    assert (kept.text_version, kept.text_sha256, kept.signature_hash) == ("2026.1", old.sha256, first.signature_hash)
    assert C.stored_text(db, old.sha256) == dc.ConsentText("HepB", "2026.1", old.title, old.sections, generic=False)
    assert C.verify(db, first.uuid)
    # a desk still showing the old text cannot sign on it any more
    with pytest.raises(StaleRecord, match=r"乙肝疫苗的告知书刚刚更新为 2027\.1 版"):
        C.record_consent(db, code, "HepB", "不同意", paper=True, reason="x", shown_text_sha256=old.sha256,
                         expected_version=1, now=NINE)  # fmt: skip
    # re-signed on the new text: the same row, the new text and a new hash
    again = C.record_consent(db, code, "HepB", "同意", strokes=SIGN, shown_text_sha256=new.sha256,
                             expected_version=1, now=NINE)  # fmt: skip
    assert (again.uuid, again.text_version, again.version) == (first.uuid, "2027.1", 2)
    assert again.signature_hash != first.signature_hash
    assert C.stored_text(db, old.sha256).version == "2026.1"  # the old text stays on record


def test_a_change_needs_the_version_the_desk_saw(db: Database) -> None:
    code = baby(db)
    first = C.record_consent(db, code, "IPV", "到点再议", now=NINE)
    assert (first.status, first.version) == ("到点再议", 1)
    with pytest.raises(StaleRecord, match="今天已有脊灰灭活疫苗的知情同意（到点再议，第 1 版）"):
        C.record_consent(db, code, "IPV", "同意", paper=True, now=NINE)
    agreed = C.record_consent(db, code, "IPV", "同意", paper=True, expected_version=1, now=NINE)
    assert (agreed.uuid, agreed.status, agreed.version) == (first.uuid, "纸质签字", 2)
    # a desk that still shows version 1 is refused and nothing changes
    with pytest.raises(StaleRecord, match="另一台电脑刚刚改了 王小宝 的脊灰灭活疫苗知情同意"):
        C.record_consent(db, code, "IPV", "不同意", paper=True, reason="孩子咳嗽", expected_version=1, now=NINE)
    (now,) = C.consents_of(db, code, DAY)
    assert (now.choice, now.version, now.reason) == (dc.Choice.AGREE, 2, None)


def test_a_refusal_is_a_not_done_fhir_immunization_that_validates(db: Database) -> None:
    code = baby(db)
    r = C.record_consent(db, code, "DTaP", "refuse", paper=True, reason="家长担心发热，下次再种", now=NINE)
    C.record_consent(db, code, "HepB", "同意", paper=True, now=NINE)
    assert r.status == "拒绝" and [x.uuid for x in C.refusals(db, code)] == [r.uuid]
    with db.session() as s:
        child_id = s.scalar(select(Child.id).where(Child.code == code))
        assert child_id is not None
        assert C.consent_block(s, child_id, "0401", DAY) == "监护人不同意接种百白破疫苗（原因：家长担心发热，下次再种）"
    bundle = export_fhir(db, code)
    Bundle.model_validate(bundle)
    imms = [Immunization.model_validate(e["resource"]) for e in bundle["entry"][1:]]
    # BCG and HepB 1 at birth, then the refusal (the 同意 is no Immunization)
    assert [(i.status, i.vaccineCode.coding[0].code) for i in imms] == [
        ("completed", "0101"),
        ("completed", "0201"),
        ("not-done", "0401"),
    ]
    refused = imms[2]
    assert refused.id == r.uuid and str(refused.occurrenceDateTime) == "2026-12-07"
    assert refused.statusReason.coding[0].code == "PATOBJ"
    assert refused.statusReason.text == "监护人不同意接种：家长担心发热，下次再种"
    assert refused.protocolApplied[0].doseNumberPositiveInt == 1


def test_an_upgrade_with_a_broken_text_is_refused_before_the_switch(tmp_path: Path) -> None:
    from epimanager.errors import EpiError
    from epimanager.services.reference_data import check_reference_update

    update = tmp_path / "update"
    (update / "consent").mkdir(parents=True)
    data = json.loads((resources_dir() / "consent" / "IPV.json").read_text(encoding="utf-8"))
    data["version"] = "2027.1"
    (update / "consent" / "IPV.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    check_reference_update(update, ["consent/IPV.json"])  # a good new version passes
    del data["sections"][2]
    (update / "consent" / "IPV.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(EpiError, match="告知书 IPV 的段落应依次为"):
        check_reference_update(update, ["consent/IPV.json"])
    data = json.loads((resources_dir() / "consent" / "IPV.json").read_text(encoding="utf-8"))
    data["vaccines"] = ["HepB"]  # HepB has its own text already
    (update / "consent" / "IPV.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(EpiError, match="疫苗“HepB”同时出现在告知书"):
        check_reference_update(update, ["consent/IPV.json"])
