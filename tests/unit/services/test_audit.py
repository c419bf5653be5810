"""The hash-chained audit log: every change recorded in its transaction; tampering detected."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select, text

from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.errors import ValidationError
from epimanager.services import audit
from epimanager.services.children import create_child, update_child
from epimanager.services.doses import add_dose, delete_dose, update_dose
from epimanager.store.database import Database
from epimanager.store.models import AuditLog

TODAY = date(2026, 11, 26)


def history(db: Database) -> list[tuple[str, str | None, str | None, str | None, str | None]]:
    with db.session() as s:
        rows = s.execute(
            select(AuditLog.kind, AuditLog.field, AuditLog.old_value, AuditLog.new_value, AuditLog.user).order_by(
                AuditLog.id
            )
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def build(db: Database) -> str:
    code = create_child(db, ChildInput("张浩", "1", date(2026, 3, 1), mother_name="李梅"), user="甲", today=TODAY).code
    update_child(db, code, {"phone": "13800000000"}, user="乙", today=TODAY)
    d = add_dose(db, code, DoseInput("HepB", 1, date(2026, 3, 1)), user="丙", today=TODAY)
    update_dose(db, d.uuid, {"batch_no": "B1"}, user="丙", today=TODAY)
    delete_dose(db, d.uuid, user="丁", reason="录错")
    return code


def test_every_change_is_recorded_old_to_new_with_user(db: Database) -> None:
    code = build(db)
    h = history(db)
    assert [r[0] for r in h] == ["create", "update", "dose_add", "dose_update", "dose_delete"]
    assert h[0][3] == code
    assert h[1] == ("update", "phone", None, "13800000000", "乙")
    assert h[3][1:] == ("batch_no", None, "B1", "丙")
    assert h[4][4] == "丁"


def test_a_refused_change_leaves_no_audit_entry(db: Database) -> None:
    code = build(db)
    n = len(history(db))
    with pytest.raises(ValidationError):
        update_child(db, code, {"birth_date": date(2030, 1, 1)}, user="乙", today=TODAY)
    assert len(history(db)) == n


def test_verify_accepts_an_intact_chain(db: Database) -> None:
    build(db)
    report = audit.verify(db)
    assert report.ok and report.checked == 5 and report.broken_id is None
    with db.session() as s:
        last = s.scalar(select(AuditLog.hash).order_by(AuditLog.id.desc()).limit(1))
    assert report.last_hash == last


def test_verify_finds_an_edited_row(db: Database) -> None:
    build(db)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET new_value = '13900000000' WHERE id = 2"))
    report = audit.verify(db)
    assert not report.ok
    assert report.broken_id == 2 and report.checked == 1
    assert "被修改" in (report.problem or "")


def test_verify_finds_a_deleted_row_at_the_next_entry(db: Database) -> None:
    build(db)
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE id = 3"))
    report = audit.verify(db, page_size=2)
    assert report.broken_id == 4 and report.checked == 2


def test_verify_finds_a_rehashed_row_by_the_broken_link(db: Database) -> None:
    """Editing a row and recomputing its own hash still breaks the next entry's link."""
    build(db)
    with db.transaction() as s:
        row = s.get(AuditLog, 2)
        assert row is not None
        row.new_value = "13900000000"
        row.hash = audit._digest(row.prev_hash, row)
    report = audit.verify(db)
    assert report.broken_id == 3


def test_empty_log_is_ok(db: Database) -> None:
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(AuditLog)) == 0
    assert audit.verify(db).ok
