"""The AEFI reporting limit and the batch-cluster rule, worked out by hand."""

from __future__ import annotations

from datetime import date, datetime

from epimanager.domain.aefi import (
    AefiInput,
    CaseRef,
    batch_key,
    case_problems,
    clusters,
    companions,
    limit_text,
    report_deadline,
    time_left_text,
)

FOUND = datetime(2026, 11, 26, 9, 40)
OUTCOMES = ("痊愈", "好转", "未愈", "后遗症", "死亡", "不详")


def test_serious_death_and_group_cases_are_due_two_hours_after_discovery() -> None:
    # 09:40 + 2 h = 11:40 the same day
    assert report_deadline(FOUND, "严重") == datetime(2026, 11, 26, 11, 40)
    assert report_deadline(FOUND, "一般", outcome="死亡") == datetime(2026, 11, 26, 11, 40)
    assert report_deadline(FOUND, "一般", group_event=True) == datetime(2026, 11, 26, 11, 40)
    assert limit_text("严重") == "严重 AEFI：发现后 2 小时内报告"
    assert limit_text("一般", "死亡") == "死亡病例：发现后 2 小时内报告"


def test_other_cases_are_due_48_hours_after_discovery() -> None:
    # 26 Nov 09:40 + 48 h = 28 Nov 09:40; a 好转 outcome changes nothing
    assert report_deadline(FOUND, "一般") == datetime(2026, 11, 28, 9, 40)
    assert report_deadline(FOUND, "一般", outcome="好转") == datetime(2026, 11, 28, 9, 40)
    assert limit_text("一般") == "一般 AEFI：发现后 48 小时内报告"


def test_time_left_counts_down_then_says_how_late() -> None:
    deadline = datetime(2026, 11, 26, 11, 40)
    assert time_left_text(deadline, datetime(2026, 11, 26, 10, 15)) == "剩余 1 小时 25 分钟"
    assert time_left_text(deadline, datetime(2026, 11, 26, 11, 30)) == "剩余 10 分钟"
    assert time_left_text(deadline, datetime(2026, 11, 26, 14, 0)) == "已超时 2 小时 20 分钟"
    reported = datetime(2026, 11, 26, 12, 10)
    assert time_left_text(deadline, datetime(2026, 11, 27), reported) == "已报告 2026-11-26 12:10（超时 30 分钟）"
    assert time_left_text(deadline, datetime(2026, 11, 27), datetime(2026, 11, 26, 11, 0)) == "已报告 2026-11-26 11:00"


def test_a_card_needs_a_symptom_and_times_in_order() -> None:
    now = datetime(2026, 11, 26, 12, 0)
    onset = datetime(2026, 11, 26, 10, 0)
    good = AefiInput(onset_at=onset, symptoms=("103",), discovered_at=datetime(2026, 11, 26, 10, 5))
    assert case_problems(good, date(2026, 11, 26), now, OUTCOMES) == []
    bad = AefiInput(
        onset_at=datetime(2026, 11, 25, 23, 0),
        severity="中等",
        outcome="恶化",
        discovered_at=datetime(2026, 11, 25, 22, 0),
    )
    assert case_problems(bad, date(2026, 11, 26), now, OUTCOMES) == [
        "严重程度应为“一般”或“严重”",
        "请至少选择一个主要症状或填写症状描述",
        "发病时间 2026-11-25 23:00 早于接种日期 2026-11-26",
        "发现时间早于发病时间",
        "转归应为：痊愈、好转、未愈、后遗症、死亡、不详",
    ]
    future = AefiInput(onset_at=datetime(2026, 11, 26, 13, 0), symptom_text="哭闹")
    assert case_problems(future, date(2026, 11, 26), now, OUTCOMES) == ["发病时间晚于现在"]


def ref(uuid: str, batch: str | None, onset: date, vaccine: str = "0201") -> CaseRef:
    return CaseRef(uuid, vaccine, batch, onset, uuid)


def test_two_cases_of_one_batch_at_most_30_days_apart_are_a_cluster() -> None:
    a = ref("a", "B2026-11", date(2026, 11, 1))
    b = ref("b", " b2026-11 ", date(2026, 12, 1))  # 30 days later; spaces and case ignored
    c = ref("c", "B2026-11", date(2026, 12, 2))  # 31 days after a, 1 day after b
    other_vaccine = ref("d", "B2026-11", date(2026, 11, 2), vaccine="0303")
    no_batch = ref("e", None, date(2026, 11, 1))
    everyone = [a, b, c, other_vaccine, no_batch]
    assert [o.uuid for o in companions(a, everyone)] == ["b"]
    assert [o.uuid for o in companions(c, everyone)] == ["b"]
    assert [o.uuid for o in companions(b, everyone)] == ["a", "c"]
    assert companions(other_vaccine, everyone) == []
    assert companions(no_batch, everyone) == []
    assert batch_key("0201", "  ") is None


def test_f7_lists_batches_with_two_cases_in_the_last_30_days() -> None:
    cases = [
        ref("a", "B1", date(2026, 10, 27)),  # 30 days before 26 Nov: in
        ref("b", "B1", date(2026, 11, 20)),
        ref("c", "B2", date(2026, 10, 26)),  # 31 days before: out, so B2 has only one case
        ref("d", "B2", date(2026, 11, 25)),
        ref("e", "B3", date(2026, 11, 25)),
    ]
    found = clusters(cases, date(2026, 11, 26))
    assert [(c.batch_no, [r.uuid for r in c.cases]) for c in found] == [("B1", ["a", "b"])]
