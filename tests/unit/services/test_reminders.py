from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from epimanager.errors import EpiError
from epimanager.services import backup as bk
from epimanager.services.reminders import (
    add_reminder,
    complete,
    list_reminders,
    notices,
    set_backup_max_age_days,
    snooze,
)
from epimanager.services.reports.runs import generate, mark_done
from epimanager.store.database import Database

TODAY = date(2026, 11, 3)
NOW = datetime(2026, 11, 3, 9, 0)


def texts(db: Database, today: date = TODAY, now: datetime = NOW) -> list[str]:
    return [n.text for n in notices(db, today, now)]


def test_missing_reports_of_last_month_are_listed_until_generated(db: Database) -> None:
    t = texts(db)
    assert "上月（2026-10）表6-1 国家免疫规划疫苗常规接种情况报表尚未生成" in t
    assert "上月（2026-10）疫苗消耗日志尚未生成" in t
    for kind in ("6-1", "6-2", "consumption", "cases"):
        generate(db, kind, "2026-10")
    assert not [x for x in texts(db) if "尚未生成" in x]
    # generated (previewed) is not handed in: the month is asked for until exported, printed or marked
    assert "上月（2026-10）疫苗消耗日志已生成，尚未导出或打印" in texts(db)
    mark_done(db, "6-1", "2026-10", "exported", user="王护士", target="/tmp/6-1.xlsx")
    mark_done(db, "6-2", "2026-10", "printed")
    mark_done(db, "consumption", "2026-10", "marked")
    assert [x for x in texts(db) if "2026-10" in x] == ["上月（2026-10）个案统计分析月报已生成，尚未导出或打印"]
    mark_done(db, "cases", "2026-10")
    assert not [x for x in texts(db) if "2026-10" in x]
    actions = {n.action for n in notices(db, date(2026, 12, 1), NOW)}
    assert "report:6-1:2026-11" in actions


def test_backup_age_and_failure(db: Database, tmp_path: Path) -> None:
    assert "尚未备份过数据" in texts(db)
    bk.backup(db, tmp_path, now=datetime(2026, 10, 20, 17, 0))
    set_backup_max_age_days(db, 7)
    assert "已有 13 天未备份（上次 2026-10-20）" in texts(db)
    bk.backup(db, tmp_path, now=datetime(2026, 11, 2, 17, 0))
    assert not [x for x in texts(db) if "备份" in x]
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(EpiError, match="备份失败"):
        bk.backup(db, blocker)
    assert any(x.startswith("最近一次备份失败") for x in texts(db))


def test_user_reminders_repeat_snooze_and_done(db: Database) -> None:
    weekly = add_reminder(db, "冷链温度记录检查", date(2026, 11, 2), "weekly", user="王护士")
    once = add_reminder(db, "领取乙肝疫苗", date(2026, 11, 3))
    later = add_reminder(db, "下月入托查验", date(2026, 12, 1))
    shown = {n.reminder_id for n in notices(db, TODAY, NOW)}
    assert {weekly, once} <= shown and later not in shown
    assert complete(db, weekly, TODAY).due == date(2026, 11, 9)
    complete(db, once, TODAY)
    snooze(db, later, date(2026, 12, 5))
    assert {r.id for r in list_reminders(db)} == {weekly, later}
    assert later not in {n.reminder_id for n in notices(db, date(2026, 12, 2), NOW)}
    assert later in {n.reminder_id for n in notices(db, date(2026, 12, 5), NOW)}


def test_expiring_stock_and_waiting_uploads_are_listed(db: Database) -> None:
    from datetime import date as _d

    from epimanager.domain.validation import ChildInput
    from epimanager.services.children import create_child
    from epimanager.services.stock import catalog, movements

    movements.receive(db, vaccine="HepB", batch_no="B2611", expiry=_d(2026, 11, 20), quantity=10, on=_d(2026, 10, 1))
    product = catalog.find_product(db, "HepB")
    assert product is not None
    catalog.update_product(db, product.id, min_quantity=50)
    create_child(db, ChildInput("张浩", "1", _d(2026, 3, 1), mother_name="李梅"), today=TODAY)
    t = texts(db)
    assert "HepB 批号 B2611 17 天后过期（2026-11-20，库存 10 人份）" in t
    assert any("低于最低库存 50" in x for x in t)
    assert any(x.startswith("待上传个案记录 1 条") for x in t)


def test_marking_a_report_done_checks_kind_month_and_how(db: Database) -> None:
    from epimanager.errors import ValidationError

    with pytest.raises(ValidationError, match="未知报表"):
        mark_done(db, "6-9", "2026-10")
    with pytest.raises(ValidationError, match="未知的完成方式"):
        mark_done(db, "6-1", "2026-10", "looked")
    with pytest.raises(ValidationError, match="月份"):
        mark_done(db, "6-1", "2026-13")
    assert "上月（2026-10）表6-1 国家免疫规划疫苗常规接种情况报表尚未生成" in texts(db)
