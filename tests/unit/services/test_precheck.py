"""预检 on a real database (SQLite and PostgreSQL): what it stores, what the forecast, the order
proposal and the 接种台's check then say, and the refusals."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from epimanager.domain.precheck import Answer, Outcome
from epimanager.domain.schedule import SeriesStatus
from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.errors import StaleRecord, ValidationError
from epimanager.services import precheck as P
from epimanager.services import visit_order as O
from epimanager.services import visits as V
from epimanager.services.children import create_child, get_child
from epimanager.services.clinical import list_immunoglobulin
from epimanager.services.forecast import forecast_child
from epimanager.store.database import Database
from epimanager.store.models import AuditLog

DAY = date(2026, 12, 7)
T0 = datetime(2026, 12, 7, 8, 0)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def baby(db: Database) -> str:
    """Born 2026-10-01 with HepB 1 and BCG: on 2026-12-07 HepB 2, IPV 1 and DTaP 1 are due."""
    born = date(2026, 10, 1)
    birth = [DoseInput("HepB", 1, born, site="右上臂"), DoseInput("BCG", 1, born, site="左上臂")]
    return create_child(db, ChildInput("王小宝", "1", born, mother_name="李梅", committee="东风村"), today=DAY,
                        birth_doses=birth).code  # fmt: skip


def toddler(db: Database) -> str:
    """Born 2026-04-01 with no dose here: 8 months old on 2026-12-07, so MMR 1 is due."""
    inp = ChildInput("刘小妹", "2", date(2026, 4, 1), mother_name="陈静", committee="东风村")
    return create_child(db, inp, today=DAY).code


def status(db: Database, code: str, series: str, on: date = DAY) -> tuple[str, str | None]:
    f = forecast_child(db, code, on).for_series(series)
    assert f is not None
    return f.status.label, f.earliest.isoformat() if f.earliest else None


def outcomes(r: P.PrecheckRecord) -> dict[str, str]:
    return {o.code: o.text for o in r.outcomes}


def test_a_fever_defers_every_vaccine_and_the_forecast_says_so(db: Database) -> None:
    code = baby(db)
    ticket = V.take(db, code, desk="取号机", now=at(0)).ticket
    r = P.save_precheck(db, code, 37.8, {}, expected_version=0, desk="预检台", user="周护士", now=at(3))
    # today's vaccines are the due ones: HepB 2, IPV 1, DTaP 1, each 暂缓 7 days
    assert outcomes(r) == {"0201": "暂缓至 2026-12-14", "0303": "暂缓至 2026-12-14", "0401": "暂缓至 2026-12-14"}
    assert (r.ticket, r.temperature, r.question_version, r.operator, r.desk, r.version) == (
        ticket, 37.8, "2026.1", "周护士", "预检台", 1)  # fmt: skip
    assert [a.number for a in r.answers] == [1, 2, 3, 4, 5, 6, 7, 8] and not r.positive
    # the forecast: 暂缓 from 2026-12-14 with the reason; on 2026-12-14 应种 again
    assert status(db, code, "HepB") == ("暂缓", "2026-12-14")
    hepb = forecast_child(db, code, DAY).for_series("HepB")
    assert hepb is not None and "暂缓至 2026-12-14：发热（体温37.8°C，高于37.3°C）" in hepb.notes
    assert status(db, code, "HepB", date(2026, 12, 14)) == ("应种", "2026-11-01")
    # 登记's default order proposes nothing today
    V.call(db, "预检台", "预检", now=at(4))
    V.finish(db, ticket, desk="预检台", now=at(5))
    assert O.proposal(db, ticket, day=DAY) == []
    # the 接种台 is stopped, naming the date
    with db.session() as s:
        block = P.precheck_block(s, get_child(db, code).id, "0201", DAY)
    assert block == "乙肝疫苗：预检暂缓，2026-12-14起方可接种（发热（体温37.8°C，高于37.3°C））"
    stored = P.precheck_of(db, code, DAY)
    assert stored is not None and outcomes(stored) == outcomes(r)


def test_immunodeficiency_forbids_live_vaccines_until_a_business_admin_lifts_it(db: Database) -> None:
    code = toddler(db)
    r = P.save_precheck(db, code, 36.6, {4: Answer(True)}, now=at(0))
    got = outcomes(r)
    assert got["1201"] == "禁忌"  # MMR, live
    assert got["0201"] == "可接种"  # HepB, inactivated
    assert status(db, code, "MMR") == ("禁忌", None)
    assert status(db, code, "HepB")[0] == "超期未种"
    # a later 预检 with every answer 否 does not clear it
    P.save_precheck(db, code, 36.5, {}, now=at(60 * 24))
    assert status(db, code, "MMR", DAY + timedelta(days=1))[0] == "禁忌"
    with pytest.raises(ValidationError, match="医生意见"):
        P.lift(db, code, "MMR", "  ")
    lifted = P.lift(db, code, "MMR", "儿科医生会诊：免疫功能正常", user="王主任", now=at(61 * 24))
    assert (lifted.lifted_by, lifted.lift_reason) == ("王主任", "儿科医生会诊：免疫功能正常")
    assert status(db, code, "MMR", DAY + timedelta(days=1))[0] in ("应种", "超期未种")
    with db.session() as s:
        fields = [a.field for a in s.scalars(select(AuditLog).where(AuditLog.kind == "precheck"))]
    assert fields == ["precheck", "precheck", "contraindication"]


def test_a_severe_reaction_forbids_that_vaccine_only(db: Database) -> None:
    code = baby(db)
    r = P.save_precheck(db, code, 36.5, {2: Answer(True, ("百白破",))}, now=at(0))
    assert outcomes(r) == {"0201": "可接种", "0303": "可接种", "0401": "禁忌"}
    assert r.positive[0].detail == "百白破疫苗"
    assert status(db, code, "DTaP")[0] == "禁忌"
    assert status(db, code, "HepB")[0] in ("应种", "超期未种")
    with db.session() as s:
        child_id = get_child(db, code).id
        assert "须医生出具意见" in (P.precheck_block(s, child_id, "0401", DAY) or "")
        assert P.precheck_block(s, child_id, "0201", DAY) is None


def test_a_recent_immunoglobulin_is_recorded_and_defers_by_the_schedule_waits(db: Database) -> None:
    code = toddler(db)
    ivig = Answer(True, product="IVIG", date=date(2026, 11, 20))
    r = P.save_precheck(db, code, 36.6, {6: ivig}, now=at(0))
    # injectable live vaccines wait 3 months after it: MMR from 2027-02-20
    assert outcomes(r)["1201"] == "暂缓至 2027-02-20"
    assert outcomes(r)["0201"] == "可接种"
    assert [(g.product, g.date) for g in list_immunoglobulin(db, code)] == [("IVIG", date(2026, 11, 20))]
    assert status(db, code, "MMR") == ("暂缓", "2027-02-20")
    with pytest.raises(ValidationError, match="注射日期"):
        P.save_precheck(db, code, 36.6, {6: Answer(True, product="IVIG")}, now=at(1))


def test_a_stale_update_is_refused_and_a_fresh_one_replaces_the_deferrals(db: Database) -> None:
    code = baby(db)
    first = P.save_precheck(db, code, 38.2, {}, expected_version=0, now=at(0))
    with pytest.raises(StaleRecord, match="另一台电脑"):
        P.save_precheck(db, code, 36.5, {}, expected_version=0, now=at(1))
    kept = P.precheck_of(db, code, DAY)
    assert kept is not None and (kept.temperature, kept.version) == (38.2, 1)
    second = P.save_precheck(db, code, 36.5, {}, expected_version=first.version, now=at(2))
    assert second.version == 2 and set(outcomes(second).values()) == {"可接种"}
    assert P.list_deferrals(db, code, DAY) == []
    assert status(db, code, "HepB")[0] in ("应种", "超期未种")


def test_bad_answers_change_nothing(db: Database) -> None:
    code = baby(db)
    with pytest.raises(ValidationError) as err:
        P.save_precheck(db, code, 45.0, {2: Answer(True, ("XYZ",)), 12: Answer(True)}, now=at(0))
    assert err.value.problems == [
        "体温应在 34.0–43.0°C 之间（收到 45.0）", "没有第12题（本问卷共8题）", "第2题：未知疫苗“XYZ”",
    ]  # fmt: skip
    assert P.precheck_of(db, code, DAY) is None


def test_the_visit_waits_for_its_precheck_and_a_dry_run_writes_nothing(db: Database) -> None:
    code = baby(db)
    ticket = V.take(db, code, desk="取号机", now=at(0)).ticket
    child_id = get_child(db, code).id
    with db.session() as s:
        assert P.precheck_block(s, child_id, "0201", DAY) == f"{ticket} 号今天尚未预检，请先完成预检"
    dry = P.save_precheck(db, code, 37.9, {}, now=at(1), dry_run=True)
    assert set(outcomes(dry).values()) == {"暂缓至 2026-12-14"}
    assert P.precheck_of(db, code, DAY) is None and P.list_deferrals(db, code, DAY) == []
    P.save_precheck(db, code, 36.4, {}, now=at(2))
    with db.session() as s:
        assert P.precheck_block(s, child_id, "0201", DAY) is None
    assert all(o.outcome is Outcome.OK for o in P.context(db, code, DAY).evaluate({}, 36.4))
    assert SeriesStatus.DEFERRED.label == "暂缓"


def test_an_upgrade_package_replaces_the_questions(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reference-data override folder an upgrade installs wins file by file: a new version with
    a lower fever limit defers at 37.2 °C, and the 预检 keeps the version it was asked with."""
    data = json.loads((Path(P.__file__).parents[1] / "resources" / "precheck" / "questions.json").read_text("utf-8"))
    data["version"] = "2027.1"
    data["temperature"]["fever_above"] = 37.0
    folder = tmp_path / "overrides" / "u1" / "precheck"
    folder.mkdir(parents=True)
    (folder / "questions.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "overrides" / "current").write_text("u1", encoding="utf-8")
    monkeypatch.setenv("EPIMANAGER_RESOURCE_OVERRIDES", str(tmp_path / "overrides"))
    P.question_list.cache_clear()
    try:
        r = P.save_precheck(db, baby(db), 37.2, {}, now=at(0))
        assert r.question_version == "2027.1"
        assert set(outcomes(r).values()) == {"暂缓至 2026-12-14"}
    finally:
        monkeypatch.delenv("EPIMANAGER_RESOURCE_OVERRIDES")
        P.question_list.cache_clear()
