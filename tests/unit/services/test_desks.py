"""Several desks (or windows) on one database: a save from a stale view is refused, child codes stay
unique, the audit trail names the desk.  Each test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.errors import StaleRecord, ValidationError
from epimanager.services import audit
from epimanager.services.children import create_child, get_child, update_child
from epimanager.services.doses import add_dose, delete_dose, update_dose
from epimanager.store.database import Database, open_database
from epimanager.store.models import AuditLog, Child
from tests.helpers.codes import fill_year

TODAY = date(2026, 11, 26)


def new(db: Database, name: str = "张浩", born: date = date(2026, 3, 1), **kw: object) -> str:
    inp = ChildInput(name=name, sex="1", birth_date=born, mother_name="李梅", committee="东风村", **kw)  # type: ignore[arg-type]
    return create_child(db, inp, user="王护士", today=TODAY).code


def second_desk(db: Database, desk: str) -> Database:
    other = open_database(db.location)
    other.desk = desk
    return other


def test_a_child_edit_from_a_stale_view_is_refused_naming_who_when_and_where(db: Database) -> None:
    db.desk = "登记台"
    code = new(db)
    seen_by_desk_2 = get_child(db, code)
    desk1 = second_desk(db, "1号接种台")
    try:
        update_child(desk1, code, {"phone": "13800000001"}, user="李护士", today=TODAY, expected_version=1)
    finally:
        desk1.close()
    with pytest.raises(
        StaleRecord, match=r"此记录已被 李护士 于 \d{4}-\d\d-\d\d \d\d:\d\d 在 1号接种台 修改，请刷新后再保存"
    ):
        update_child(
            db, code, {"phone": "13900000002"}, user="王护士", today=TODAY, expected_version=seen_by_desk_2.version
        )
    now = get_child(db, code)
    assert now.phone == "13800000001" and now.version == 2  # the stale save wrote nothing
    # a save from a fresh view goes through
    update_child(db, code, {"phone": "13900000002"}, user="王护士", today=TODAY, expected_version=now.version)
    assert get_child(db, code).phone == "13900000002"


def test_a_dose_edit_or_delete_from_a_stale_view_is_refused(db: Database) -> None:
    code = new(db)
    dose = add_dose(db, code, DoseInput("HepB", 1, date(2026, 3, 1)), user="王护士", today=TODAY)
    update_dose(db, dose.uuid, {"batch_no": "B2"}, user="李护士", today=TODAY, expected_version=dose.version)
    with pytest.raises(StaleRecord, match="请刷新后再保存"):
        update_dose(db, dose.uuid, {"batch_no": "B3"}, user="王护士", today=TODAY, expected_version=dose.version)
    with pytest.raises(StaleRecord):
        delete_dose(db, dose.uuid, user="王护士", expected_version=dose.version)
    doses = get_child(db, code).doses
    assert [(d.batch_no, d.version) for d in doses] == [("B2", 2)]


def test_the_audit_trail_records_the_desk_and_stays_one_chain(db: Database) -> None:
    db.desk = "登记台"
    code = new(db)
    desk2 = second_desk(db, "2号接种台")
    try:
        add_dose(desk2, code, DoseInput("HepB", 1, date(2026, 3, 1)), user="李护士", today=TODAY)
    finally:
        desk2.close()
    with db.session() as s:
        desks = s.execute(select(AuditLog.kind, AuditLog.desk).order_by(AuditLog.id)).all()
    assert [tuple(r) for r in desks] == [("create", "登记台"), ("dose_add", "2号接种台")]
    assert audit.verify(db).ok


def test_a_stray_serial_9999_does_not_exhaust_the_year(db: Database) -> None:
    assert new(db, "甲", child_code="320102010120269999") == "320102010120269999"
    # the counter is at the top: the free serials below are handed out, never a duplicate
    assert new(db, "乙") == "320102010120260001"
    assert new(db, "丙") == "320102010120260002"
    with db.session() as s:
        assert s.scalar(select(func.count(func.distinct(Child.code)))) == 3


def test_a_year_with_every_serial_taken_is_a_clear_refusal(db: Database) -> None:
    fill_year(db, 2026, TODAY)  # the year's 9,999 serials taken (as years of registrations would)
    with db.transaction() as s:
        s.execute(
            Child.__table__.update().where(Child.code == "320102010120269999").values(name="末")
        )  # the counter learns about it through a normal reservation below
    with pytest.raises(ValidationError, match="已存在"):
        new(db, "末", child_code="320102010120269999")
    with pytest.raises(ValidationError, match="2026 年出生儿童的编码已用完"):
        new(db, "新")
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Child)) == 9999
