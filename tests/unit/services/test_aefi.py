"""AEFI case cards through the service, on SQLite and PostgreSQL: pre-filled from the dose, the limit,
the cluster alert, stale saves refused, audit and outbox rows, F7."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from epimanager.domain.aefi import AefiInput
from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.errors import NotFoundError, StaleRecord, ValidationError
from epimanager.services import aefi
from epimanager.services.children import create_child
from epimanager.services.doses import add_dose
from epimanager.services.reminders import notices
from epimanager.store.database import Database
from epimanager.store.models import AuditLog
from epimanager.store.models_sync import SyncOutbox

TODAY = date(2026, 11, 26)
NOW = datetime(2026, 11, 26, 10, 30)


def dose(db: Database, name: str, batch: str | None = "B202611", day: date = TODAY, mother: str = "李梅") -> str:
    code = create_child(db, ChildInput(name, "1", date(2026, 3, 1), mother_name=mother), today=TODAY).code
    return add_dose(db, code, DoseInput("HepB", 2, day, batch_no=batch, manufacturer="深圳康泰"), today=TODAY).uuid


def fever(onset: datetime = datetime(2026, 11, 26, 9, 50), **kw: object) -> AefiInput:
    return AefiInput(onset_at=onset, symptoms=("103", "201"), **kw)  # type: ignore[arg-type]


def test_a_card_is_prefilled_from_the_dose_and_due_48_hours_after_discovery(db: Database) -> None:
    d = dose(db, "王小明")
    case = aefi.add_case(db, d, fever(discovered_at=datetime(2026, 11, 26, 10, 0)), user="李护士", now=NOW)
    assert (case.child_name, case.vaccine_code, case.batch_no, case.dose_number, case.dose_date) == (
        "王小明",
        "0201",
        "B202611",
        2,
        TODAY,
    )
    assert case.manufacturer == "深圳康泰" and case.guardian == "李梅"
    assert case.symptom_names == ("发热 ≥38.6 °C", "局部红肿 ≤2.5 cm")
    assert (case.severity, case.reported_at, case.version) == ("一般", None, 1)
    # discovered 26 Nov 10:00, 一般: 28 Nov 10:00; at 10:30 on the 26th 47 h 30 min are left
    assert case.deadline == datetime(2026, 11, 28, 10, 0)
    assert case.time_left(NOW) == "剩余 47 小时 30 分钟"
    assert aefi.get_case(db, case.uuid) == case


def test_a_serious_case_is_due_in_two_hours_and_f7_shows_it_until_reported(db: Database) -> None:
    d = dose(db, "王小明")
    case = aefi.add_case(
        db, d, AefiInput(onset_at=datetime(2026, 11, 26, 10, 5), symptoms=("402",), severity="严重"), now=NOW
    )
    # discovered when written (10:30): due 12:30
    assert case.deadline == datetime(2026, 11, 26, 12, 30)
    shown = [n for n in notices(db, today=TODAY, now=datetime(2026, 11, 26, 11, 0)) if n.kind == "aefi"]
    assert [(n.action, n.severity) for n in shown] == [(f"aefi:{case.uuid}", "warning")]
    assert "王小明" in shown[0].text and "报告时限 11-26 12:30" in shown[0].text
    assert "剩余 1 小时 30 分钟" in shown[0].text
    late = [n for n in notices(db, today=TODAY, now=datetime(2026, 11, 26, 13, 0)) if n.kind == "aefi"]
    assert "已超时 30 分钟" in late[0].text
    noon = datetime(2026, 11, 26, 12, 0)
    done = aefi.mark_reported(db, case.uuid, expected_version=1, at=noon, now=noon)
    assert done.reported_at == datetime(2026, 11, 26, 12, 0) and done.version == 2
    assert done.time_left(datetime(2026, 11, 27)) == "已报告 2026-11-26 12:00"
    assert [n for n in notices(db, today=TODAY, now=datetime(2026, 11, 26, 13, 0)) if n.kind == "aefi"] == []
    assert [c.uuid for c in aefi.list_cases(db, unreported=True)] == []
    with pytest.raises(ValidationError, match="已于 2026-11-26 12:00 报告"):
        aefi.mark_reported(db, case.uuid, now=NOW.replace(hour=13))


def test_a_stale_save_is_refused_and_changes_nothing(db: Database) -> None:
    case = aefi.add_case(db, dose(db, "王小明"), fever(), now=NOW)
    desk_a = aefi.update_case(db, case.uuid, {"outcome": "好转"}, expected_version=1, user="李护士", now=NOW)
    assert desk_a.version == 2
    with pytest.raises(StaleRecord, match="请刷新后再保存"):
        aefi.update_case(db, case.uuid, {"severity": "严重"}, expected_version=1, now=NOW)
    with pytest.raises(StaleRecord):
        aefi.add_follow_up(db, case.uuid, TODAY, "体温正常", expected_version=1, now=NOW)
    after = aefi.get_case(db, case.uuid)
    assert (after.severity, after.outcome, after.version, after.follow_ups) == ("一般", "好转", 2, ())


def test_becoming_serious_moves_the_limit_to_two_hours_after_discovery(db: Database) -> None:
    case = aefi.add_case(db, dose(db, "王小明"), fever(discovered_at=datetime(2026, 11, 26, 10, 0)), now=NOW)
    serious = aefi.update_case(db, case.uuid, {"severity": "严重"}, expected_version=1, now=NOW)
    assert serious.deadline == datetime(2026, 11, 26, 12, 0)
    assert serious.limit_text == "严重 AEFI：发现后 2 小时内报告"


def test_follow_ups_are_kept_in_order_and_set_the_outcome(db: Database) -> None:
    case = aefi.add_case(db, dose(db, "王小明", day=date(2026, 11, 20)), fever(datetime(2026, 11, 20, 15, 0)), now=NOW)
    one = aefi.add_follow_up(db, case.uuid, date(2026, 11, 21), "体温 38.0 °C，红肿未退", "未愈", expected_version=1)
    two = aefi.add_follow_up(db, case.uuid, date(2026, 11, 23), "体温正常，红肿消退", "痊愈", expected_version=2)
    assert [(f.date.day, f.outcome) for f in two.follow_ups] == [(21, "未愈"), (23, "痊愈")]
    assert (one.outcome, two.outcome, two.version) == ("未愈", "痊愈", 3)
    with pytest.raises(ValidationError, match="随访日期应在发病日期 2026-11-20 与今天之间"):
        aefi.add_follow_up(db, case.uuid, date(2026, 11, 19), "x", expected_version=3, now=NOW)


def test_bad_cards_are_refused_and_write_nothing(db: Database) -> None:
    d = dose(db, "王小明")
    with pytest.raises(ValidationError, match="请至少选择一个主要症状"):
        aefi.add_case(db, d, AefiInput(onset_at=datetime(2026, 11, 26, 10, 0)), now=NOW)
    with pytest.raises(ValidationError, match="未知的症状代码：999"):
        aefi.add_case(db, d, AefiInput(onset_at=datetime(2026, 11, 26, 10, 0), symptoms=("999",)), now=NOW)
    with pytest.raises(ValidationError, match="早于接种日期"):
        aefi.add_case(db, d, fever(datetime(2026, 11, 25, 10, 0)), now=NOW)
    with pytest.raises(NotFoundError):
        aefi.add_case(db, "no-such-dose", fever(), now=NOW)
    assert aefi.list_cases(db) == []


def test_two_cases_of_one_batch_within_30_days_raise_the_cluster_alert(db: Database) -> None:
    first = aefi.add_case(db, dose(db, "王小明", day=date(2026, 11, 1)), fever(datetime(2026, 11, 1, 12, 0)), now=NOW)
    assert aefi.cluster_of(db, first) == []
    other_batch = aefi.add_case(
        db, dose(db, "周小红", batch="C1", mother="王芳"), fever(), now=NOW
    )  # a different batch: no cluster
    assert aefi.cluster_of(db, other_batch) == []
    second = aefi.add_case(db, dose(db, "陈小军", mother="陈静"), fever(), now=NOW)
    # 1 Nov and 26 Nov: 25 days apart, same HepB batch
    assert [r.label for r in aefi.cluster_of(db, second)] == ["王小明"]
    assert [r.label for r in aefi.cluster_of(db, first)] == ["陈小军"]
    [cl] = aefi.clusters(db, TODAY)
    assert (cl.batch_no, [r.label for r in cl.cases]) == ("B202611", ["王小明", "陈小军"])
    texts = [n.text for n in notices(db, today=TODAY, now=NOW) if "聚集" in n.text]
    assert texts == [
        "同批号异常反应聚集：乙肝疫苗 批号 B202611 30 天内 2 例（王小明 11-01、陈小军 11-26），"
        "请核查该批疫苗并评估是否为群体性 AEFI"
    ]
    # a month later the first case is more than 30 days back: no cluster in F7
    assert aefi.clusters(db, date(2026, 12, 2)) == []


def test_every_write_is_audited_and_queued_for_the_platform(db: Database) -> None:
    case = aefi.add_case(db, dose(db, "王小明"), fever(), user="李护士", now=NOW)
    aefi.update_case(db, case.uuid, {"outcome": "好转"}, expected_version=1, user="李护士", now=NOW)
    with db.session() as s:
        row = s.scalars(select(SyncOutbox).where(SyncOutbox.uuid == case.uuid)).one()
        kinds = s.scalars(select(AuditLog.kind).where(AuditLog.entity_uuid == case.uuid).order_by(AuditLog.id)).all()
        field = s.execute(
            select(AuditLog.field, AuditLog.old_value, AuditLog.new_value).where(AuditLog.kind == "aefi_update")
        ).one()
    assert (row.kind, row.version, row.state) == ("aefi", 2, "pending")
    assert kinds == ["aefi_add", "aefi_update"]
    assert tuple(field) == ("outcome", None, "好转")


def test_month_list_keeps_the_cases_whose_onset_is_in_it(db: Database) -> None:
    a = aefi.add_case(db, dose(db, "王小明", day=date(2026, 10, 31)), fever(datetime(2026, 10, 31, 23, 0)), now=NOW)
    b = aefi.add_case(db, dose(db, "周小红", mother="王芳"), fever(), now=NOW)
    assert [c.uuid for c in aefi.list_cases(db, month="2026-10")] == [a.uuid]
    assert [c.uuid for c in aefi.list_cases(db, month="2026-11")] == [b.uuid]
    with pytest.raises(ValidationError, match="月份应为 YYYY-MM"):
        aefi.list_cases(db, month="2026/11")


def test_the_cluster_window_is_30_days_either_side_of_the_onset(db: Database) -> None:
    late = datetime(2026, 12, 2, 23, 59)

    def case(name: str, mother: str, onset: datetime) -> aefi.AefiRecord:
        code = create_child(db, ChildInput(name, "1", date(2026, 3, 1), mother_name=mother), today=onset.date()).code
        d = add_dose(db, code, DoseInput("HepB", 2, onset.date(), batch_no="B1"), today=onset.date()).uuid
        return aefi.add_case(db, d, fever(onset), now=late)

    a = case("王小明", "李梅", datetime(2026, 11, 1, 0, 5))
    b = case("周小红", "王芳", datetime(2026, 12, 1, 23, 50))  # 30 days after a (by date)
    c = case("陈小军", "陈静", datetime(2026, 12, 2, 8, 0))  # 31 days after a, 1 after b
    assert [r.label for r in aefi.cluster_of(db, a)] == ["周小红"]
    assert [r.label for r in aefi.cluster_of(db, b)] == ["王小明", "陈小军"]
    assert [r.label for r in aefi.cluster_of(db, c)] == ["周小红"]
    # F7 on 1 Dec: a (30 days back) and b; on 2 Dec: b and c (a is 31 days back)
    assert [[r.label for r in cl.cases] for cl in aefi.clusters(db, date(2026, 12, 1))] == [["王小明", "周小红"]]
    assert [[r.label for r in cl.cases] for cl in aefi.clusters(db, date(2026, 12, 2))] == [["周小红", "陈小军"]]


def test_times_are_kept_to_the_minute_so_an_unchanged_save_changes_nothing(db: Database) -> None:
    case = aefi.add_case(db, dose(db, "王小明"), fever(datetime(2026, 11, 26, 9, 50, 41)), now=NOW.replace(second=37))
    assert (case.onset_at, case.discovered_at) == (datetime(2026, 11, 26, 9, 50), datetime(2026, 11, 26, 10, 30))
    same = aefi.update_case(
        db, case.uuid, {"onset_at": datetime(2026, 11, 26, 9, 50), "discovered_at": NOW}, expected_version=1, now=NOW
    )
    assert same.version == 1
