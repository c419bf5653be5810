from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.errors import NotFoundError, ValidationError
from epimanager.services.children import create_child, get_child
from epimanager.services.doses import add_dose, delete_dose, update_dose
from epimanager.store.database import Database
from epimanager.store.models import AuditLog, Dose

TODAY = date(2026, 11, 26)


@pytest.fixture
def code(db: Database) -> str:
    return create_child(db, ChildInput("张浩", "1", date(2026, 3, 1), mother_name="李梅"), today=TODAY).code


def test_edit_a_dose_keeps_an_audit_of_each_field(db: Database, code: str) -> None:
    d = add_dose(db, code, DoseInput("HepB", 1, date(2026, 3, 1), batch_no="A1"), today=TODAY)
    d2 = update_dose(db, d.uuid, {"batch_no": "A2", "vaccine": "乙肝疫苗(CHO)"}, user="李护士", today=TODAY)
    assert (d2.batch_no, d2.vaccine_code) == ("A2", "0202")
    with db.session() as s:
        rows = s.execute(
            select(AuditLog.field, AuditLog.old_value, AuditLog.new_value).where(AuditLog.kind == "dose_update")
        ).all()
        assert s.scalar(select(Dose.version).where(Dose.uuid == d.uuid)) == 2
    assert set(rows) == {("batch_no", "A1", "A2"), ("vaccine", "0201", "0202")}


def test_invalid_edit_changes_nothing(db: Database, code: str) -> None:
    d = add_dose(db, code, DoseInput("HepB", 1, date(2026, 3, 1)), today=TODAY)
    with pytest.raises(ValidationError, match="早于出生日期"):
        update_dose(db, d.uuid, {"date": date(2026, 1, 1)}, today=TODAY)
    assert get_child(db, code).doses[0].date == date(2026, 3, 1)


def test_deleted_dose_disappears_from_the_record_but_is_kept(db: Database, code: str) -> None:
    d = add_dose(db, code, DoseInput("HepB", 1, date(2026, 3, 1)), today=TODAY)
    delete_dose(db, d.uuid, user="李护士", reason="录入错误")
    assert get_child(db, code).doses == ()
    with db.session() as s:
        assert s.scalar(select(Dose.deleted).where(Dose.uuid == d.uuid)) is True
        entry = s.scalars(select(AuditLog).where(AuditLog.kind == "dose_delete")).one()
    assert (entry.old_value, entry.new_value, entry.user) == ("HepB 第1剂 2026-03-01", "录入错误", "李护士")
    with pytest.raises(NotFoundError):
        delete_dose(db, d.uuid)


def test_an_invalid_dose_is_refused_with_the_engines_reason_and_nothing_is_written(db: Database, code: str) -> None:
    """HepB 第2剂 is due at 1 month of age; on day 2 of life it would not count (未到月龄)."""
    from epimanager.services.doses import InvalidDose

    add_dose(db, code, DoseInput("HepB", 1, date(2026, 3, 1)), today=TODAY)
    with pytest.raises(InvalidDose, match="未到月龄") as err:
        add_dose(db, code, DoseInput("HepB", 2, date(2026, 3, 2)), today=TODAY)
    assert err.value.reasons == ["未到月龄"]
    assert [(d.dose_number, d.date) for d in get_child(db, code).doses] == [(1, date(2026, 3, 1))]
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.kind == "dose_add")) == 1


def test_a_confirmed_invalid_dose_is_saved_and_the_confirmation_audited(db: Database, code: str) -> None:
    add_dose(db, code, DoseInput("HepB", 1, date(2026, 3, 1)), today=TODAY)
    saved = add_dose(db, code, DoseInput("HepB", 2, date(2026, 3, 2)), user="李护士", today=TODAY, confirm_invalid=True)
    assert saved.dose_number == 2
    with db.session() as s:
        note = s.scalar(select(AuditLog.new_value).where(AuditLog.entity_uuid == saved.uuid))
    assert note == "HepB 第2剂 2026-03-02（确认保存无效剂次：未到月龄）"


def test_moving_a_dose_to_a_date_where_it_does_not_count_needs_confirmation(db: Database, code: str) -> None:
    from epimanager.services.doses import InvalidDose

    add_dose(db, code, DoseInput("HepB", 1, date(2026, 3, 1)), today=TODAY)
    second = add_dose(db, code, DoseInput("HepB", 2, date(2026, 4, 1)), today=TODAY)  # 1 month: counts
    with pytest.raises(InvalidDose, match="未到月龄"):
        update_dose(db, second.uuid, {"date": date(2026, 3, 5)}, today=TODAY)
    assert get_child(db, code).doses[1].date == date(2026, 4, 1)
    moved = update_dose(db, second.uuid, {"date": date(2026, 3, 5)}, today=TODAY, confirm_invalid=True)
    assert moved.date == date(2026, 3, 5)
