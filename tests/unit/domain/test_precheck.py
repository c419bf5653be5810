"""预检 rules worked out by hand on the bundled question list (one vaccine of each kind)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from epimanager.domain import precheck as P
from epimanager.domain.schedule.ages import Offset
from epimanager.domain.schedule.facts import Immunoglobulin

DATA = Path(__file__).parents[3] / "epimanager" / "resources" / "precheck" / "questions.json"
QL = P.compile_questions(json.loads(DATA.read_text(encoding="utf-8")))
DAY = date(2026, 12, 7)
HEPB = P.VaccineInfo("0201", "HepB", "乙肝疫苗", live=False)
MMR = P.VaccineInfo("1201", "MMR", "麻腮风疫苗", live=True)
DTAP = P.VaccineInfo("0401", "DTaP", "百白破疫苗", live=False)
JEI = P.VaccineInfo("1802", "JE-I", "乙脑灭活疫苗", live=False)
ALL = (HEPB, MMR, DTAP, JEI)
#: the 2021 schedule's waits: injectable live vaccines 3 months, JE-I 1 month
WAITS = {"1201": Offset(3, 0), "1802": Offset(1, 0)}


def texts(outcomes: tuple[P.VaccineOutcome, ...]) -> dict[str, str]:
    return {o.code: o.text for o in outcomes}


def test_the_bundled_list_is_numbered_and_versioned() -> None:
    assert QL.version == "2026.1"
    assert [q.number for q in QL.questions] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert QL.fever_above == 37.3


def test_nothing_positive_and_a_normal_temperature_allow_everything() -> None:
    out = P.evaluate(QL, {}, 36.8, ALL, DAY)
    assert texts(out) == {"0201": "可接种", "1201": "可接种", "0401": "可接种", "1802": "可接种"}


@pytest.mark.parametrize(
    ("temperature", "expected"), [(37.3, "可接种"), (37.4, "暂缓至 2026-12-14"), (38.5, "暂缓至 2026-12-14")]
)
def test_a_fever_above_37_3_defers_every_vaccine_seven_days(temperature: float, expected: str) -> None:
    out = P.evaluate(QL, {}, temperature, ALL, DAY)
    assert set(texts(out).values()) == {expected}
    if expected != "可接种":
        assert out[0].reasons == (f"发热（体温{temperature:.1f}°C，高于37.3°C）",)


def test_immunodeficiency_forbids_the_live_vaccines_only() -> None:
    out = P.evaluate(QL, {4: P.Answer(True)}, 36.5, ALL, DAY)
    assert texts(out) == {"0201": "可接种", "1201": "禁忌", "0401": "可接种", "1802": "可接种"}
    assert out[1].reasons == ("免疫缺陷或HIV感染有症状者禁用减毒活疫苗",)


def test_a_severe_reaction_forbids_that_vaccine_and_beats_a_fever() -> None:
    out = P.evaluate(QL, {2: P.Answer(True, ("DTaP",))}, 38.0, ALL, DAY)
    assert texts(out) == {"0201": "暂缓至 2026-12-14", "1201": "暂缓至 2026-12-14", "0401": "禁忌",
                          "1802": "暂缓至 2026-12-14"}  # fmt: skip
    assert out[2].reasons == ("既往接种该疫苗后出现严重反应", "发热（体温38.0°C，高于37.3°C）")


def test_an_immunoglobulin_defers_by_the_schedule_waits() -> None:
    # IVIG on 2026-11-20: MMR from 2027-02-20 (3 months), JE-I from 2026-12-20 (1 month)
    answer = P.Answer(True, product="IVIG", date=date(2026, 11, 20))
    out = P.evaluate(QL, {6: answer}, 36.6, ALL, DAY, ig_wait=WAITS)
    assert texts(out) == {"0201": "可接种", "1201": "暂缓至 2027-02-20", "0401": "可接种", "1802": "暂缓至 2026-12-20"}
    assert out[1].reasons == ("IVIG（2026-11-20）注射免疫球蛋白或血液制品后需间隔3个月",)


def test_an_older_immunoglobulin_on_record_whose_wait_is_over_changes_nothing() -> None:
    old = (Immunoglobulin("HBIG", date(2026, 8, 1)),)  # + 3 months = 2026-11-01, before today
    out = P.evaluate(QL, {}, 36.6, ALL, DAY, ig_wait=WAITS, immunoglobulin=old)
    assert set(texts(out).values()) == {"可接种"}


def test_neurological_disease_forbids_the_vaccines_the_data_names() -> None:
    out = P.evaluate(QL, {7: P.Answer(True)}, 36.6, ALL, DAY)
    assert texts(out) == {"0201": "可接种", "1201": "可接种", "0401": "禁忌", "1802": "禁忌"}


def test_an_allergy_without_a_vaccine_is_a_caution_only() -> None:
    out = P.evaluate(QL, {3: P.Answer(True)}, 36.6, (HEPB,), DAY)
    assert out[0].outcome is P.Outcome.OK
    assert out[0].cautions == ("有过敏史：请核对疫苗说明书成分，接种后留观30分钟",)


def test_bad_input_is_named() -> None:
    assert P.check(QL, {9: P.Answer(True), 2: P.Answer(True), 6: P.Answer(True)}, 45.0) == [
        "体温应在 34.0–43.0°C 之间（收到 45.0）",
        "第2题答“是”时请注明是哪种疫苗",
        "第6题答“是”时请填写注射日期",
        "没有第9题（本问卷共8题）",
    ]
    assert P.check(QL, {}, None) == ["请填写体温"]


def test_bad_data_is_refused_in_chinese() -> None:
    with pytest.raises(ValueError, match="暂缓需要 days"):
        P.compile_questions({"version": "x", "questions": [{"number": 1, "text": "发热？",
                                                             "rule": {"effect": "暂缓", "scope": "all"}}]})  # fmt: skip
    with pytest.raises(ValueError, match="不重复"):
        P.compile_questions({"version": "x", "questions": [{"number": 1, "text": "a"}, {"number": 1, "text": "b"}]})


def test_cli_answers_are_read() -> None:
    assert P.parse_answer(QL, "1=yes") == (1, P.Answer(True))
    assert P.parse_answer(QL, "4=否") == (4, P.NO)
    assert P.parse_answer(QL, "2=DTaP,麻腮风") == (2, P.Answer(True, ("DTaP", "麻腮风")))
    assert P.parse_answer(QL, "6=IVIG@2026-11-20") == (6, P.Answer(True, product="IVIG", date=date(2026, 11, 20)))
    assert P.parse_answer(QL, "6=2026-11-20") == (6, P.Answer(True, date=date(2026, 11, 20)))
    with pytest.raises(ValueError, match="只能答 yes 或 no"):
        P.parse_answer(QL, "1=DTaP")
    with pytest.raises(ValueError, match="没有第9题"):
        P.parse_answer(QL, "9=yes")
