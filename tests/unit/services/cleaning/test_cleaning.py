"""数据清理: duplicates, merge and undo, data-quality report."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.errors import NotFoundError, ValidationError
from epimanager.services import audit
from epimanager.services.children import create_child, get_child, update_child
from epimanager.services.cleaning.duplicates import find_duplicates
from epimanager.services.cleaning.merge import list_merges, merge_children, undo_merge
from epimanager.services.cleaning.quality import quality_report
from epimanager.services.doses import add_dose, delete_dose
from epimanager.services.queries.changes import ChangeQuery
from epimanager.services.queries.common import iter_rows
from epimanager.services.registry import change_status, deleted_doses, get_deleted_child, status_history
from epimanager.services.search import search
from epimanager.store.database import Database
from epimanager.store.models import AuditLog, Child, Dose

TODAY = date(2026, 11, 26)
BIRTH = date(2026, 3, 1)


def child(db: Database, name: str, mother: str | None = "李梅", birth: date = BIRTH, **kw: object) -> str:
    inp = ChildInput(name, kw.pop("sex", "1"), birth, mother_name=mother, father_name=kw.pop("father", None), **kw)  # type: ignore[arg-type]
    return create_child(db, inp, user="建档员", today=TODAY).code


def test_find_duplicates_by_each_rule(db: Database) -> None:
    a = child(db, "张浩")
    b = child(db, "张浩")  # same name, birth date, mother
    c = child(db, "章浩", mother="李玫")  # homophone name and mother
    child(db, "张浩然")  # twin-like: different name
    child(db, "张浩", birth=date(2026, 3, 2))  # other birth date
    d = child(db, "王芳", mother="赵敏", id_number="110105202603010012", sex="1")
    e = child(db, "王方", mother=None, father="王强", id_number="110105202603010012")
    pairs = find_duplicates(db)
    got = {(p.keep.code, p.dup.code): (p.score, p.reason) for p in pairs}
    assert got[(d, e)] == (100, "身份证号相同")
    assert got[(a, b)] == (90, "姓名、出生日期、母亲姓名相同")
    assert got[(a, c)][0] == 70 and "zhanghao/zhanghao" in got[(a, c)][1]
    assert got[(b, c)][0] == 70
    assert len(pairs) == 4
    assert pairs[0].score == 100
    # a deleted record is no candidate any more; the suggested keeper has more doses
    add_dose(db, b, DoseInput("HepB", 1, BIRTH), today=TODAY)
    merge_children(db, d, e, user="管理员")
    pairs = find_duplicates(db)
    assert len(pairs) == 3
    ab = next(p for p in pairs if {p.keep.code, p.dup.code} == {a, b})
    assert (ab.keep.code, ab.keep.doses) == (b, 1)


def test_merge_moves_doses_and_history_and_undo_restores_exactly(db: Database) -> None:
    keep = child(db, "张浩", phone="13800000000")
    dup = child(db, "章浩", father="张强")
    update_child(db, dup, {"address": "东风村3组"}, user="乙", today=TODAY)
    k1 = add_dose(db, keep, DoseInput("HepB", 1, BIRTH), today=TODAY).uuid
    d1 = add_dose(db, dup, DoseInput("BCG", 1, BIRTH), today=TODAY).uuid
    d2 = add_dose(db, dup, DoseInput("HepB", 2, date(2026, 4, 1)), today=TODAY).uuid
    d3 = add_dose(db, dup, DoseInput("HepB", 3, date(2026, 9, 1)), today=TODAY).uuid
    delete_dose(db, d3, user="护士")
    change_status(db, dup, "入托", date(2026, 10, 1), None, None, "乙", today=TODAY)
    with db.session() as s:
        before = {
            c.code: (c.father_name, c.address, c.phone, c.status, c.deleted)
            for c in s.scalars(select(Child).where(Child.code.in_([keep, dup])))
        }

    res = merge_children(db, keep, dup, user="管理员", reason="重复建档")
    assert (res.moved_doses, res.moved_changes) == (3, 1)
    assert set(res.filled) == {"father_name", "address"}
    kept = get_child(db, keep)
    assert {d.uuid for d in kept.doses} == {k1, d1, d2}
    assert (kept.father_name, kept.address, kept.phone) == ("张强", "东风村3组", "13800000000")
    assert [x.uuid for x in deleted_doses(db, keep)] == [d3]
    assert [h.new_label for h in status_history(db, keep)] == ["入托"]
    with pytest.raises(NotFoundError):
        get_child(db, dup)
    assert get_deleted_child(db, dup).doses == ()
    # the father's name is searchable on the kept child now
    assert keep in {r.child_code for r in search(db, "张强").rows}
    merges = [r.values for r in iter_rows(db, ChangeQuery(kind="合并个案"))]
    assert {m[3] for m in merges} == {keep, dup}
    assert [m.id for m in list_merges(db)] == [res.id]

    undone = undo_merge(db, res.id, user="管理员")
    assert undone.undone
    assert {d.uuid for d in get_child(db, keep).doses} == {k1}
    assert {d.uuid for d in get_child(db, dup).doses} == {d1, d2}
    assert [x.uuid for x in deleted_doses(db, dup)] == [d3]
    assert [h.new_label for h in status_history(db, dup)] == ["入托"]
    assert status_history(db, keep) == []
    with db.session() as s:
        after = {
            c.code: (c.father_name, c.address, c.phone, c.status, c.deleted)
            for c in s.scalars(select(Child).where(Child.code.in_([keep, dup])))
        }
        versions = s.scalars(select(Dose.version).where(Dose.uuid.in_([d1, d2]))).all()
        kinds = s.scalars(select(AuditLog.kind).order_by(AuditLog.id)).all()
    assert after == before
    assert set(versions) == {3}  # moved there and back: each move is a new version for upload
    assert kinds.count("merge") == 4 and kinds.count("merge_undo") == 4
    assert keep not in {r.child_code for r in search(db, "张强").rows}
    assert audit.verify(db).ok
    with pytest.raises(ValidationError, match="已于"):
        undo_merge(db, res.id, user="管理员")


def test_merge_refusals(db: Database) -> None:
    a = child(db, "张浩")
    with pytest.raises(ValidationError, match="自身"):
        merge_children(db, a, a, user="管理员")
    with pytest.raises(NotFoundError, match="重复个案"):
        merge_children(db, a, "320102010120269999", user="管理员")
    with pytest.raises(NotFoundError, match="合并记录"):
        undo_merge(db, 42, user="管理员")


def test_quality_report(db: Database) -> None:
    good = child(db, "张浩", phone="13800000000", committee="东风村")
    missing = child(db, "李娜", committee=None)
    old = child(db, "王芳", birth=date(2008, 1, 1), phone="13800000001", committee="东风村")
    add_dose(db, good, DoseInput("HepB", 1, BIRTH), today=TODAY)
    add_dose(db, good, DoseInput("HepB", 2, date(2026, 4, 1)), today=TODAY)
    swapped = child(db, "赵六", phone="13800000002", committee="红旗村")
    add_dose(db, swapped, DoseInput("HepB", 2, date(2026, 3, 5)), today=TODAY)
    add_dose(db, swapped, DoseInput("HepB", 1, date(2026, 4, 5)), today=TODAY)
    # a dose before birth and an invalid ID number can only come from old data: write them directly
    with db.transaction() as s:
        c = s.scalar(select(Child).where(Child.code == good))
        assert c is not None
        c.id_number = "130402198207290622"
        s.add(
            Dose(
                child_id=c.id,
                vaccine_code="0101",
                dose_number=1,
                date=date(2026, 2, 1),
                created_at=c.created_at,
                updated_at=c.created_at,
            )
        )
    rep = quality_report(db, TODAY)
    assert rep.checked == 4
    assert rep.counts == {"missing": 1, "bad_id": 1, "dose_before_birth": 1, "dose_order": 1, "over_18": 1}
    by_kind = {i.kind: (i.child_code, i.detail) for i in rep.issues}
    assert by_kind["missing"] == (missing, "缺少：联系电话、区域划分")
    assert by_kind["bad_id"][0] == good and "校验位" in by_kind["bad_id"][1]
    assert by_kind["dose_before_birth"] == (good, "BCG 第1剂 2026-02-01")
    assert by_kind["dose_order"][0] == swapped
    assert by_kind["over_18"][0] == old
    assert quality_report(db, TODAY, limit_per_kind=0).issues == ()
    assert rep.to_json()["counts"]["满18周岁仍在册"] == 1


def test_merge_moves_the_clinical_history_the_next_dose_depends_on_and_undo_moves_it_back(db: Database) -> None:
    """A 禁忌 found at 预检, an immunoglobulin and an AEFI case filed on the duplicate must not vanish
    from the kept child when the two records are merged (the next nurse would offer MMR again)."""
    from datetime import datetime

    from epimanager.domain.aefi import AefiInput
    from epimanager.domain.precheck import Answer
    from epimanager.services import aefi, precheck
    from epimanager.services.aefi_records import list_cases
    from epimanager.services.clinical import add_immunoglobulin, list_immunoglobulin

    keep = child(db, "张浩", phone="13800000000")
    dup = child(db, "章浩", father="张强")
    nine = datetime(2026, 11, 26, 9, 0)
    precheck.save_precheck(db, dup, 36.6, {4: Answer(yes=True)}, now=nine)  # immunodeficiency: live vaccines 禁忌
    add_immunoglobulin(db, dup, "IVIG", date(2026, 11, 1))
    given = add_dose(db, dup, DoseInput("HepB", 1, BIRTH), today=TODAY).uuid
    case = aefi.add_case(db, given, AefiInput(onset_at=datetime(2026, 3, 1, 18, 0), symptoms=("103",)), now=nine)

    def blocked(code: str) -> str | None:
        with db.session() as s:
            cid = s.scalar(select(Child.id).where(Child.code == code))
            return precheck.precheck_block(s, cid, "1201", TODAY)

    assert blocked(keep) is None and "预检禁忌" in (blocked(dup) or "")
    res = merge_children(db, keep, dup, user="管理员", reason="重复建档")
    assert "预检禁忌" in (blocked(keep) or "")
    assert [r.product for r in list_immunoglobulin(db, keep)] == ["IVIG"]
    assert [(c.uuid, c.child_code) for c in list_cases(db)] == [(case.uuid, keep)]
    undo_merge(db, res.id, user="管理员")
    assert blocked(keep) is None and "预检禁忌" in (blocked(dup) or "")
    assert list_immunoglobulin(db, keep) == [] and [r.product for r in list_immunoglobulin(db, dup)] == ["IVIG"]
    assert [(c.uuid, c.child_code) for c in list_cases(db)] == [(case.uuid, dup)]
