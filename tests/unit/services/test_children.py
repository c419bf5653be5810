from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.errors import NotFoundError, ValidationError
from epimanager.services.children import create_child, get_child, update_child
from epimanager.services.doses import add_dose
from epimanager.store.database import Database
from epimanager.store.models import AuditLog, Child

TODAY = date(2026, 11, 26)


def new(db: Database, name: str = "张浩", born: date = date(2026, 3, 1), **kw: object) -> str:
    inp = ChildInput(name=name, sex="1", birth_date=born, mother_name="李梅", committee="东风村", **kw)  # type: ignore[arg-type]
    return create_child(db, inp, user="王护士", today=TODAY).code


def test_child_codes_are_unit_plus_birth_year_plus_serial(db: Database) -> None:
    assert new(db) == "320102010120260001"
    assert new(db, "李萍萍") == "320102010120260002"
    assert new(db, "刘佩佩", date(2025, 12, 31)) == "320102010120250001"


def test_serials_are_never_reused_even_after_a_child_is_deleted(db: Database) -> None:
    first = new(db)
    with db.transaction() as s:
        s.execute(Child.__table__.delete().where(Child.code == first))
    assert new(db, "李萍萍") == "320102010120260002"


def test_a_given_child_code_is_kept_and_reserved(db: Database) -> None:
    assert new(db, child_code="320102010120260050") == "320102010120260050"
    assert new(db, "王五") == "320102010120260051"
    with pytest.raises(ValidationError, match="已存在"):
        new(db, "赵六", child_code="320102010120260050")


def test_invalid_child_is_refused_and_nothing_is_stored(db: Database) -> None:
    with pytest.raises(ValidationError) as err:
        new(db, born=date(2027, 1, 1))
    assert "晚于今天" in err.value.message
    with db.session() as s:
        assert s.scalars(select(Child)).all() == []


def test_unknown_committee_is_refused_with_the_known_list(db: Database) -> None:
    inp = ChildInput(name="张浩", sex="1", birth_date=date(2026, 3, 1), mother_name="李梅", committee="火星村")
    with pytest.raises(ValidationError, match="区域划分“火星村”不存在；可选：东风村、红旗村、城关社区"):
        create_child(db, inp, today=TODAY)


def test_get_child_returns_record_with_doses_in_date_order(db: Database) -> None:
    code = new(db)
    add_dose(db, code, DoseInput("HepB", 2, date(2026, 4, 1)), user="王护士", today=TODAY)
    add_dose(db, code, DoseInput("乙肝", 1, date(2026, 3, 1)), user="王护士", today=TODAY)
    child = get_child(db, code)
    assert child.name == "张浩"
    assert child.committee == "东风村"
    assert [(d.vaccine_code, d.dose_number, d.date) for d in child.doses] == [
        ("0201", 1, date(2026, 3, 1)),
        ("0201", 2, date(2026, 4, 1)),
    ]
    assert child.doses[0].unit_code == "3201020101"  # given here by default
    assert child.doses[0].nurse == "王护士"
    assert child.doses[0].route == "IM"  # the vaccine's default route


def test_dose_before_birth_is_refused(db: Database) -> None:
    code = new(db)
    with pytest.raises(ValidationError, match="早于出生日期"):
        add_dose(db, code, DoseInput("HepB", 1, date(2026, 2, 1)), today=TODAY)
    assert get_child(db, code).doses == ()


def test_unknown_child_is_not_found(db: Database) -> None:
    with pytest.raises(NotFoundError, match="找不到儿童编码为 320102010120269999"):
        get_child(db, "320102010120269999")


def test_update_is_audited_field_by_field_with_old_and_new_values(db: Database) -> None:
    code = new(db)
    rec = update_child(db, code, {"phone": "13912345678", "committee": "红旗村"}, user="李护士", today=TODAY)
    assert rec.phone == "13912345678"
    assert rec.committee == "红旗村"
    assert rec.version == 2
    with db.session() as s:
        rows = s.scalars(select(AuditLog).where(AuditLog.kind == "update").order_by(AuditLog.id)).all()
        changes = {(r.field, r.old_value, r.new_value, r.user) for r in rows}
    assert changes == {("phone", None, "13912345678", "李护士"), ("committee", "东风村", "红旗村", "李护士")}


def test_each_audit_entry_chains_the_previous_hash(db: Database) -> None:
    code = new(db)
    update_child(db, code, {"phone": "13912345678"}, today=TODAY)
    with db.session() as s:
        rows = s.scalars(select(AuditLog).order_by(AuditLog.id)).all()
    assert len(rows) == 2
    assert rows[0].prev_hash is None
    assert rows[1].prev_hash == rows[0].hash


def test_invalid_update_changes_nothing(db: Database) -> None:
    code = new(db)
    with pytest.raises(ValidationError, match="电话号码格式不正确"):
        update_child(db, code, {"phone": "123", "name": "张三"}, today=TODAY)
    rec = get_child(db, code)
    assert (rec.name, rec.phone, rec.version) == ("张浩", None, 1)


def test_renaming_a_child_updates_its_search_keys(db: Database) -> None:
    from epimanager.store.models import ChildSearchKey

    code = new(db)
    update_child(db, code, {"name": "李萍萍"}, today=TODAY)
    with db.session() as s:
        cid = s.scalar(select(Child.id).where(Child.code == code))
        keys = set(s.scalars(select(ChildSearchKey.key).where(ChildSearchKey.child_id == cid)).all())
    assert "lpp" in keys
    assert "zhanghao" not in keys


def test_a_new_child_and_its_birth_doses_are_saved_together_or_not_at_all(db: Database) -> None:
    from epimanager.domain.validation import DoseInput
    from epimanager.services.search import search

    born = date(2026, 3, 1)
    inp = ChildInput(name="林朵朵", sex="2", birth_date=born, mother_name="林梅", committee="东风村")
    bad_place = DoseInput("BCG", 1, born, unit_code="12345")  # not a 10-digit unit code
    with pytest.raises(ValidationError, match="10位数字"):
        create_child(db, inp, today=date(2026, 3, 2), birth_doses=[DoseInput("HepB", 1, born), bad_place])
    assert search(db, "林朵朵").rows == ()  # no child without its birth doses
    made = create_child(
        db, inp, today=date(2026, 3, 2), birth_doses=[DoseInput("HepB", 1, born), DoseInput("BCG", 1, born)]
    )
    assert [(d.vaccine_abbr, d.dose_number, d.date) for d in get_child(db, made.code).doses] == [
        ("BCG", 1, born),  # the record lists by date, then vaccine code (0101 before 0201)
        ("HepB", 1, born),
    ]
    assert made.code.endswith("20260001")  # the refused try did not use up a serial


def test_a_registration_retried_after_a_lost_answer_finds_its_child_instead_of_registering_it_twice(
    db: Database,
) -> None:
    """The new-child form chose the child's id when it opened; the first save was committed but its
    answer lost, so the form saves again: one child, one code, its birth dose once."""
    inp = ChildInput("王小明", "1", date(2026, 11, 20), mother_name="李梅")
    birth = [DoseInput("HepB", 1, date(2026, 11, 20))]
    key = "0d6f1f7e-8a51-4c0e-a9d3-5c3b2e71f4aa"
    first = create_child(db, inp, today=TODAY, birth_doses=birth, uuid=key)
    again = create_child(db, inp, today=TODAY, birth_doses=birth, uuid=key)
    assert again.code == first.code and again.uuid == key
    assert [d.vaccine_code for d in again.doses] == ["0201"]
    with db.session() as s:
        assert s.scalars(select(Child.code)).all() == [first.code]
        assert len(s.scalars(select(AuditLog).where(AuditLog.kind == "create")).all()) == 1
