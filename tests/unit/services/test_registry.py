"""在册变更, delete/restore, 临时接种 and 补录 on a real database."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from epimanager.domain.codes import Status
from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.errors import NotFoundError, ValidationError
from epimanager.services.children import create_child, get_child
from epimanager.services.doses import add_dose, delete_dose
from epimanager.services.forecast import forecast_child
from epimanager.services.queries.common import iter_rows
from epimanager.services.queries.doses import DoseQuery
from epimanager.services.queries.gap import GapQuery
from epimanager.services.queries.managed import MANAGED, ManagedQuery
from epimanager.services.queries.status_changes import StatusChangeQuery
from epimanager.services.registry import (
    back_enter_dose,
    change_status,
    create_temporary_child,
    delete_child,
    deleted_children,
    deleted_doses,
    get_deleted_child,
    restore_child,
    restore_dose,
    status_history,
)
from epimanager.services.reports.cases import case_statistics
from epimanager.services.search import search
from epimanager.store.database import Database
from epimanager.store.models import AuditLog, Child
from epimanager.store.models_registry import StatusChange

TODAY = date(2026, 11, 26)


def new_child(db: Database, name: str = "张浩", birth: date = date(2026, 3, 1), **kw: object) -> str:
    inp = ChildInput(name, "1", birth, mother_name=kw.pop("mother", "李梅"), committee=kw.pop("committee", "东风村"))  # type: ignore[arg-type]
    return create_child(db, inp, user="王医生", today=TODAY).code


def counts(db: Database) -> tuple[int, int]:
    with db.session() as s:
        return (
            int(s.scalar(select(func.count()).select_from(StatusChange)) or 0),
            int(s.scalar(select(func.count()).select_from(AuditLog)) or 0),
        )


def test_move_out_with_reason_is_kept_as_history_and_audited(db: Database) -> None:
    code = new_child(db)
    rec = change_status(db, code, "迁出", date(2026, 11, 20), "迁往外地", None, "王医生", today=TODAY)
    assert (rec.old_label, rec.new_label, rec.reason, rec.user) == ("本地", "迁出", "迁往外地", "王医生")
    assert get_child(db, code).status == Status.MOVED_OUT
    [h] = status_history(db, code)
    assert (h.change_date, h.old_status, h.new_status) == (date(2026, 11, 20), 1, 2)
    with db.session() as s:
        a = s.execute(
            select(AuditLog.field, AuditLog.old_value, AuditLog.new_value).where(AuditLog.kind == "status")
        ).one()
    assert a == ("status", "本地", "迁出 2026-11-20 迁往外地")


def test_move_out_without_reason_is_refused_and_changes_nothing(db: Database) -> None:
    code = new_child(db)
    before = counts(db)
    with pytest.raises(ValidationError, match="迁出时必须选择迁出原因"):
        change_status(db, code, Status.MOVED_OUT, date(2026, 11, 20), None, None, "王医生", today=TODAY)
    with pytest.raises(ValidationError, match="迁出原因为“其他”时必须填写备注"):
        change_status(db, code, "迁出", date(2026, 11, 20), "其他", "  ", "王医生", today=TODAY)
    assert get_child(db, code).status == Status.LOCAL
    assert counts(db) == before
    rec = change_status(db, code, "迁出", date(2026, 11, 20), "其他", "随父母务工", "王医生", today=TODAY)
    assert rec.remark == "随父母务工"


def test_status_history_query_by_date_status_and_committee(db: Database) -> None:
    a = new_child(db, "张浩", committee="东风村")
    b = new_child(db, "李娜", committee="红旗村")
    c = new_child(db, "王芳", committee="东风村")
    change_status(db, a, "迁出", date(2026, 10, 5), "出国", None, "u1", today=TODAY)
    change_status(db, b, "迁出", date(2026, 11, 2), "失访", None, "u1", today=TODAY)
    change_status(db, c, "死亡", date(2026, 11, 3), None, None, "u1", today=TODAY)
    change_status(db, a, "本地", date(2026, 11, 10), "回迁", None, "u1", today=TODAY)

    def codes(**kw: object) -> list[str]:
        return [r.child_code for r in iter_rows(db, StatusChangeQuery(**kw))]  # type: ignore[arg-type]

    assert codes() == [a, b, c, a]
    assert codes(start=date(2026, 11, 1), end=date(2026, 11, 30)) == [b, c, a]
    assert codes(status="迁出") == [a, b]
    assert codes(committee="东风村", start=date(2026, 11, 1)) == [c, a]
    row = next(iter_rows(db, StatusChangeQuery(status="死亡")))
    assert row.values[6:8] == ("本地", "死亡")
    # 个案统计分析月报 counts the month's moves out and deaths from this history
    stats = case_statistics(db, "2026-11")
    assert (stats["moved_out"], stats["deaths"]) == (1, 1)


def test_status_drives_managed_lists_gap_query_and_search(db: Database) -> None:
    gone = new_child(db, "张浩", birth=date(2026, 5, 1), mother="王芳")
    dead = new_child(db, "张浩", birth=date(2026, 5, 1), mother="赵敏")
    here = new_child(db, "张浩", birth=date(2026, 5, 1))
    change_status(db, gone, "迁出", date(2026, 11, 1), "出国", None, "u", today=TODAY)
    change_status(db, dead, "死亡", date(2026, 11, 1), None, None, "u", today=TODAY)
    managed = [r.child_code for r in iter_rows(db, ManagedQuery(statuses=MANAGED))]
    assert managed == [here]
    assert [r.child_code for r in iter_rows(db, ManagedQuery(statuses=("迁出", "死亡")))] == [gone, dead]
    assert [r.values[8] for r in iter_rows(db, ManagedQuery())] == ["迁出", "死亡", "本地"]
    gap = [r.child_code for r in iter_rows(db, GapQuery(TODAY))]
    assert gap == [here]
    # F3 search: the in-register child comes first although the others were created first
    rows = search(db, "zhanghao").rows
    assert rows[0].child_code == here
    assert {r.child_code for r in rows} == {here, gone, dead}


def test_delete_view_and_restore_a_child(db: Database) -> None:
    code = new_child(db)
    add_dose(db, code, DoseInput("HepB", 1, date(2026, 3, 1)), today=TODAY)
    delete_child(db, code, user="管理员", reason="重复建档")
    with pytest.raises(NotFoundError):
        get_child(db, code)
    assert [c.code for c in deleted_children(db)] == [code]
    assert len(get_deleted_child(db, code).doses) == 1
    assert list(iter_rows(db, ManagedQuery())) == []
    restored = restore_child(db, code, user="管理员")
    assert restored.code == code and len(restored.doses) == 1
    with db.session() as s:
        kinds = s.scalars(select(AuditLog.kind).order_by(AuditLog.id)).all()
        assert s.scalar(select(Child.version).where(Child.code == code)) == 3
    assert kinds[-2:] == ["child_delete", "child_restore"]
    with pytest.raises(NotFoundError):
        restore_child(db, code, user="管理员")


def test_restore_a_deleted_dose_mirrors_delete(db: Database) -> None:
    code = new_child(db)
    d = add_dose(db, code, DoseInput("HepB", 1, date(2026, 3, 1)), today=TODAY)
    delete_dose(db, d.uuid, user="护士", reason="录错")
    assert get_child(db, code).doses == ()
    assert [x.uuid for x in deleted_doses(db, code)] == [d.uuid]
    back = restore_dose(db, d.uuid, user="管理员")
    assert back.uuid == d.uuid
    assert [x.uuid for x in get_child(db, code).doses] == [d.uuid]
    with db.session() as s:
        from epimanager.store.models import Dose

        assert s.scalar(select(Dose.version).where(Dose.uuid == d.uuid)) == 3
        last = s.execute(select(AuditLog.kind, AuditLog.user).order_by(AuditLog.id.desc()).limit(1)).one()
    assert last == ("dose_restore", "管理员")
    with pytest.raises(NotFoundError):
        restore_dose(db, d.uuid, user="管理员")


def test_temporary_vaccination_counts_doses_here_but_not_the_child(db: Database) -> None:
    tmp = create_temporary_child(
        db, "刘洋", "1", date(2026, 1, 10), mother_name="陈红", home_unit="5224240101", user="护士", today=TODAY
    )
    assert tmp.status == Status.TEMP_VACCINATION and "5224240101" in (tmp.remark or "")
    add_dose(db, tmp.code, DoseInput("HepB", 2, date(2026, 11, 20)), today=TODAY)
    own = [r.child_code for r in iter_rows(db, DoseQuery(date(2026, 11, 1), date(2026, 11, 30), place="own"))]
    assert own == [tmp.code]
    assert list(iter_rows(db, ManagedQuery(statuses=MANAGED))) == []
    assert list(iter_rows(db, GapQuery(TODAY))) == []
    with pytest.raises(ValidationError, match="管理单位编码"):
        create_temporary_child(db, "刘洋", "1", date(2026, 1, 10), mother_name="陈红", home_unit="12", today=TODAY)


def test_back_entered_doses_count_for_the_forecast_not_for_this_unit(db: Database) -> None:
    code = new_child(db, birth=date(2026, 3, 1))
    back_enter_dose(db, code, DoseInput("HepB", 1, date(2026, 3, 1)), other_unit="5224240101", today=TODAY)
    back_enter_dose(db, code, DoseInput("BCG", 1, date(2026, 3, 2)), today=TODAY)
    fc = forecast_child(db, code, TODAY)
    counted = {f.series: f.doses_counted for f in fc.series}
    assert counted["HepB"] == 1 and counted["BCG"] == 1
    window = DoseQuery(date(2026, 3, 1), date(2026, 3, 31))
    assert list(iter_rows(db, DoseQuery(window.start, window.end, place="own"))) == []
    places = [r.values[7] for r in iter_rows(db, DoseQuery(window.start, window.end, place="other"))]
    assert places == ["5224240101", "外地"]
    with pytest.raises(ValidationError, match="不能是本单位"):
        back_enter_dose(db, code, DoseInput("HepB", 2, date(2026, 4, 1)), other_unit="3201020101", today=TODAY)
    # the same HepB 第1剂 entered again from the vaccination card: a duplicate, unless confirmed
    again = DoseInput("HepB", 1, date(2026, 3, 1))
    with pytest.raises(ValidationError, match="同一天已有乙肝疫苗 第1剂（2026-03-01）"):
        back_enter_dose(db, code, again, today=TODAY)
    assert len(get_child(db, code).doses) == 2
    back_enter_dose(db, code, again, today=TODAY, confirm_duplicate=True, confirm_invalid=True)
    assert len(get_child(db, code).doses) == 3
