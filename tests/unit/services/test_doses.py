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


# -- the duplicate-dose rule (shared by the GUI, the CLI and the importer) -------------------------


def _dose_adds(db: Database) -> list[str | None]:
    with db.session() as s:
        return list(s.scalars(select(AuditLog.new_value).where(AuditLog.kind == "dose_add").order_by(AuditLog.id)))


def test_a_dose_number_already_validly_on_record_is_refused_and_nothing_is_written(db: Database, code: str) -> None:
    """Born 2026-03-01: HepB 1 at birth, HepB 2 at one month (2026-04-01) both count.  A HepB on
    2026-09-01 (six months: it would count as the 3rd) typed as 第2剂 clashes with the valid 第2剂."""
    from epimanager.services.doses import DuplicateDose

    add_dose(db, code, DoseInput("HepB", 1, date(2026, 3, 1)), today=TODAY)
    add_dose(db, code, DoseInput("HepB", 2, date(2026, 4, 1)), today=TODAY)
    with pytest.raises(DuplicateDose) as err:
        add_dose(db, code, DoseInput("HepB", 2, date(2026, 9, 1)), today=TODAY)
    assert err.value.message.startswith("该儿童已有有效的乙肝疫苗 第2剂（2026-04-01）")
    assert "更正/补录" in err.value.message
    assert [(d.dose_number, d.date) for d in get_child(db, code).doses] == [
        (1, date(2026, 3, 1)),
        (2, date(2026, 4, 1)),
    ]
    assert len(_dose_adds(db)) == 2
    # the same dose as 第3剂 is what the nurse meant: no clash
    third = add_dose(db, code, DoseInput("HepB", 3, date(2026, 9, 1)), today=TODAY)
    assert third.dose_number == 3


def test_a_confirmed_duplicate_is_saved_and_the_confirmation_audited(db: Database, code: str) -> None:
    add_dose(db, code, DoseInput("HepB", 1, date(2026, 3, 1)), today=TODAY)
    add_dose(db, code, DoseInput("HepB", 2, date(2026, 4, 1)), today=TODAY)
    saved = add_dose(
        db, code, DoseInput("HepB", 2, date(2026, 9, 1)), user="李护士", today=TODAY, confirm_duplicate=True
    )
    assert saved.dose_number == 2
    assert _dose_adds(db)[-1] == "HepB 第2剂 2026-09-01（确认作为更正/补录：已有乙肝疫苗 第2剂（2026-04-01））"


def test_the_same_product_on_the_same_day_is_refused_whatever_the_number(db: Database, code: str) -> None:
    from epimanager.services.doses import DuplicateDose

    add_dose(db, code, DoseInput("HepB", 1, date(2026, 3, 1)), today=TODAY)
    with pytest.raises(DuplicateDose, match=r"同一天已有乙肝疫苗 第1剂（2026-03-01）"):
        add_dose(db, code, DoseInput("HepB", 2, date(2026, 3, 1)), today=TODAY)
    assert len(get_child(db, code).doses) == 1


def test_an_invalid_dose_on_record_does_not_block_its_number(db: Database, code: str) -> None:
    """HepB 第2剂 on day 2 of life does not count (未到月龄); the real 第2剂 a month later is no duplicate."""
    add_dose(db, code, DoseInput("HepB", 1, date(2026, 3, 1)), today=TODAY)
    add_dose(db, code, DoseInput("HepB", 2, date(2026, 3, 2)), today=TODAY, confirm_invalid=True)
    again = add_dose(db, code, DoseInput("HepB", 2, date(2026, 4, 1)), today=TODAY)
    assert [d.dose_number for d in get_child(db, code).doses] == [1, 2, 2]
    assert again.date == date(2026, 4, 1)


def test_polio_numbers_run_across_ipv_and_bopv(db: Database, code: str) -> None:
    """Polio is one series numbered 1–4 over IPV and bOPV: a bOPV 第2剂 clashes with a valid IPV 第2剂."""
    from epimanager.services.doses import DuplicateDose

    add_dose(db, code, DoseInput("IPV", 1, date(2026, 5, 1)), today=TODAY)
    add_dose(db, code, DoseInput("IPV", 2, date(2026, 6, 1)), today=TODAY)
    with pytest.raises(DuplicateDose, match="已有有效的脊灰灭活疫苗 第2剂（2026-06-01）"):
        add_dose(db, code, DoseInput("bOPV", 2, date(2026, 7, 1)), today=TODAY)
    assert add_dose(db, code, DoseInput("bOPV", 3, date(2026, 7, 1)), today=TODAY).dose_number == 3


def test_changing_a_dose_number_onto_a_valid_one_needs_confirmation(db: Database, code: str) -> None:
    from epimanager.services.doses import DuplicateDose

    add_dose(db, code, DoseInput("HepB", 1, date(2026, 3, 1)), today=TODAY)
    second = add_dose(db, code, DoseInput("HepB", 2, date(2026, 4, 1)), today=TODAY)
    with pytest.raises(DuplicateDose, match="已有有效的乙肝疫苗 第1剂（2026-03-01）"):
        update_dose(db, second.uuid, {"dose_number": 1}, today=TODAY)
    assert [d.dose_number for d in get_child(db, code).doses] == [1, 2]
    update_dose(db, second.uuid, {"dose_number": 1}, user="李护士", today=TODAY, confirm_duplicate=True)
    with db.session() as s:
        note = s.scalar(select(AuditLog.new_value).where(AuditLog.kind == "dose_update"))
    assert note == "1（确认作为更正/补录：已有乙肝疫苗 第1剂（2026-03-01））"


def test_a_save_retried_after_a_lost_answer_finds_its_dose_instead_of_saving_it_twice(db: Database, code: str) -> None:
    """The form chose the dose's id when it opened; the first attempt was committed but its answer
    was lost (the connection dropped at the commit), so the form saves again: one dose, one 人份."""
    from epimanager.services.stock.movements import receive
    from epimanager.store.models_stock import StockBatch

    receive(db, vaccine="HepB", batch_no="B77", expiry=date(2030, 1, 1), quantity=10, on=date(2026, 3, 1))
    inp = DoseInput("HepB", 1, date(2026, 3, 1), batch_no="B77", uuid="5f0c9a52-3d1e-4c8a-9b7e-2a1d6c4e8f10")
    first = add_dose(db, code, inp, today=TODAY)
    again = add_dose(db, code, inp, today=TODAY)
    assert again.uuid == first.uuid == inp.uuid
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Dose)) == 1
        assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.kind == "dose_add")) == 1
        assert s.scalar(select(StockBatch.quantity).where(StockBatch.batch_no == "B77")) == 9
    # the same id for another child is refused, not taken as that child's dose
    other = create_child(db, ChildInput("李娜", "2", date(2026, 3, 2), mother_name="王芳"), today=TODAY).code
    with pytest.raises(ValidationError, match="编号重复"):
        add_dose(db, other, DoseInput("HepB", 1, date(2026, 3, 2), uuid=inp.uuid), today=TODAY)
    assert get_child(db, other).doses == ()
