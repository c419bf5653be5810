"""The forecast service over a real database: stored child, case files, 免疫空白."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from epimanager.domain.codes import Status
from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.errors import NotFoundError, ValidationError
from epimanager.services.children import create_child
from epimanager.services.clinical import add_immunoglobulin, list_immunoglobulin
from epimanager.services.doses import add_dose
from epimanager.services.forecast import forecast_case, forecast_child, forecast_json, gap_query, parse_case
from epimanager.store.database import Database
from epimanager.store.engine import make_engine
from epimanager.store.models import Base, Child

D = date.fromisoformat
TODAY = D("2026-07-01")


def _child(db: Database, name: str, birth: str, committee: str = "东风村", sex: str = "2", status: int = 1) -> str:
    inp = ChildInput(name=name, sex=sex, birth_date=D(birth), committee=committee, mother_name="李梅", status=status)
    return create_child(db, inp, today=TODAY).code


def _dose(db: Database, code: str, vaccine: str, n: int, day: str) -> None:
    add_dose(db, code, DoseInput(vaccine=vaccine, dose_number=n, date=D(day)), today=TODAY)


def test_forecast_stored_child(db: Database) -> None:
    code = _child(db, "王小花", "2025-03-15")
    _dose(db, code, "HepB", 1, "2025-03-15")
    _dose(db, code, "卡介苗", 1, "2025-03-16")
    _dose(db, code, "HepB", 2, "2025-04-15")
    out = forecast_json(forecast_child(db, code, D("2025-09-15")))
    hepb = next(s for s in out["series"] if s["series"] == "HepB")
    assert (hepb["next_dose"], hepb["vaccine"], hepb["earliest"], hepb["status"]) == (3, "HepB", "2025-09-15", "due")
    assert [d["evaluation"] for d in out["doses"]] == ["及时", "及时", "及时"]
    # HPV is forecast for a girl (2026 edition on 2026-07-01)
    girl = forecast_json(forecast_child(db, code, TODAY))
    assert "HPV" in [s["series"] for s in girl["series"]]


def test_forecast_unknown_child(db: Database) -> None:
    with pytest.raises(NotFoundError):
        forecast_child(db, "320102010120259999", TODAY)


def test_case_accepts_abbreviations_codes_and_chinese_sex() -> None:
    case = parse_case(
        {
            "birth_date": "2025-01-01",
            "sex": "F",
            "as_of": "2025-06-01",
            "doses": [{"vaccine": "乙肝", "date": "2025-01-01"}, {"vaccine": "0303", "date": "2025-03-01"}],
        }
    )
    assert (case.sex, [d.vaccine_code for d in case.doses]) == ("2", ["0201", "0303"])
    assert parse_case({"birth_date": "2025-01-01", "sex": "男"}, on=D("2025-02-01")).as_of == D("2025-02-01")


def test_case_lists_every_problem_in_chinese() -> None:
    with pytest.raises(ValidationError) as e:
        parse_case({"sex": "X", "doses": [{"vaccine": "NOPE", "date": "2025-13-01"}]})
    assert any("出生日期" in p for p in e.value.problems)
    assert any("性别" in p for p in e.value.problems)
    assert any("未知疫苗" in p for p in e.value.problems)
    assert any("日期格式" in p for p in e.value.problems)


def test_case_forecast_uses_preferences() -> None:
    fc = forecast_case({"birth_date": "2025-01-20", "as_of": "2025-09-20"}, preferences={"JE": "JE-I"})
    je = fc.for_series("JE")
    assert je is not None and je.vaccine == "1802"


def _gap_fixture(db: Database) -> dict[str, str]:
    kids = {
        # 8 m on 2025-11-15: MMR1, JE1 due; had everything else on time
        "on_time": _child(db, "甲", "2025-03-15"),
        # nothing at all, other committee: many overdue
        "none": _child(db, "乙", "2024-01-10", committee="红旗村", sex="1"),
        # moved out: not listed
        "moved": _child(db, "丙", "2024-01-10", status=int(Status.MOVED_OUT)),
        # 19 years old: nothing is given any more
        "adult": _child(db, "丁", "2006-06-01"),
    }
    c = kids["on_time"]
    for v, n, d in [
        ("HepB", 1, "2025-03-15"), ("BCG", 1, "2025-03-15"), ("HepB", 2, "2025-04-15"),
        ("IPV", 1, "2025-05-15"), ("DTaP", 1, "2025-05-15"), ("IPV", 2, "2025-06-15"),
        ("bOPV", 3, "2025-07-15"), ("DTaP", 2, "2025-07-15"), ("HepB", 3, "2025-09-15"),
        ("DTaP", 3, "2025-09-15"), ("MPSV-A", 1, "2025-09-15"),
    ]:  # fmt: skip
        _dose(db, c, v, n, d)
    return kids


def test_gap_lists_managed_children_with_due_doses(db: Database) -> None:
    kids = _gap_fixture(db)
    rows = {r.code: r for r in gap_query(db, D("2025-11-15"))}
    assert set(rows) == {kids["on_time"], kids["none"]}
    on_time = rows[kids["on_time"]]
    assert [(f.series, f.next_dose, f.vaccine, f.status.value) for f in on_time.due] == [
        ("MMR", 1, "1201", "due"),
        ("JE", 1, "1801", "due"),
    ]
    assert on_time.committee == "东风村"
    assert {f.series for f in rows[kids["none"]].due} >= {"HepB", "BCG", "Polio", "DTaP", "MMR"}


def test_gap_filters_by_series_and_committee(db: Database) -> None:
    kids = _gap_fixture(db)
    assert [r.code for r in gap_query(db, D("2025-11-15"), series="麻腮风")] == [kids["on_time"], kids["none"]]
    assert [r.code for r in gap_query(db, D("2025-11-15"), committee="红旗村")] == [kids["none"]]
    assert [r.code for r in gap_query(db, D("2025-11-15"), series="HepB")] == [kids["none"]]
    only_bcg = list(gap_query(db, D("2025-11-15"), series="BCG"))
    assert [[f.series for f in r.due] for r in only_bcg] == [["BCG"]]
    with pytest.raises(ValidationError, match="区域划分"):
        list(gap_query(db, D("2025-11-15"), committee="不存在村"))
    with pytest.raises(ValidationError, match="未知疫苗"):
        list(gap_query(db, D("2025-11-15"), series="XYZ"))


def test_gap_skips_deleted_children_and_pages(db: Database) -> None:
    codes = [_child(db, f"童{i}", "2025-01-01") for i in range(7)]
    with db.transaction() as s:
        s.query(Child).filter(Child.code == codes[3]).update({"deleted": True})
    got = [r.code for r in gap_query(db, D("2025-09-01"), page_size=2)]
    assert got == [c for i, c in enumerate(codes) if i != 3]


# -- issue #17: the child's clinical facts ------------------------------------------------


def test_stored_mother_hbsag_and_birth_weight_drive_hepb(db: Database) -> None:
    inp = ChildInput(
        name="赵小宝", sex="1", birth_date=D("2026-03-01"), committee="东风村", mother_name="李梅",
        mother_hbsag="2", birth_weight_kg=1.8,
    )  # fmt: skip
    code = create_child(db, inp, today=TODAY).code
    _dose(db, code, "HepB", 1, "2026-03-01")
    _dose(db, code, "HepB", 2, "2026-04-01")
    _dose(db, code, "HepB", 3, "2026-05-01")
    out = forecast_json(forecast_child(db, code, D("2026-05-02")))
    hepb = next(s for s in out["series"] if s["series"] == "HepB")
    # <2000 g, positive mother: 0, 1, 2, 7 m — dose 4 at 7 m (2026-10-01), before 12 m
    assert (hepb["track"], hepb["next_dose"], hepb["earliest"], hepb["complete_before"]) == (
        "HepB-LBW",
        4,
        "2026-10-01",
        "2027-03-01",
    )
    first = next(d for d in out["doses"] if d["series"] == "HepB")
    assert first["evaluation"] == "及时" and "HBIG" in first["note"]


def test_stored_immunoglobulin_delays_live_vaccines(db: Database) -> None:
    code = _child(db, "钱多多", "2025-01-20")
    rec = add_immunoglobulin(db, code, "IVIG", D("2025-08-01"), user="nurse")
    assert (rec.product, rec.date) == ("IVIG", D("2025-08-01"))
    assert [(r.product, r.date) for r in list_immunoglobulin(db, code)] == [("IVIG", D("2025-08-01"))]
    out = forecast_json(forecast_child(db, code, D("2025-09-20")))
    mmr = next(s for s in out["series"] if s["series"] == "MMR")
    assert (mmr["earliest"], mmr["status"]) == ("2025-11-01", "not_yet")
    assert "IVIG" in mmr["note"]
    # the 免疫空白 list uses the same facts: MMR is not yet due on 2025-09-20
    due = {f.series for c in gap_query(db, D("2025-09-20")) if c.code == code for f in c.due}
    assert "MMR" not in due and "HepB" in due
    with pytest.raises(ValidationError, match="早于出生日期"):
        add_immunoglobulin(db, code, "IVIG", D("2025-01-01"))
    with pytest.raises(ValidationError):
        add_immunoglobulin(db, code, " ", D("2025-08-01"))
    with pytest.raises(NotFoundError):
        add_immunoglobulin(db, "320102010120259999", "IVIG", D("2025-08-01"))


def test_case_clinical_keys_are_checked_and_named() -> None:
    case = parse_case(
        {
            "birth_date": "2025-01-01",
            "mother_hbsag": "positive",
            "birth_weight_g": 1800,
            "immunoglobulin": [{"product": "HBIG", "date": "2025-01-01"}],
            "whatever": 1,
        },
        on=D("2025-02-01"),
    )
    assert (case.facts.mother_hbsag, case.facts.birth_weight_g) == ("positive", 1800)
    assert [(g.product, g.date) for g in case.facts.immunoglobulin] == [("HBIG", D("2025-01-01"))]
    for bad, key in [
        ({"mother_hbsag": "maybe"}, "mother_hbsag"),
        ({"birth_weight_g": "heavy"}, "birth_weight_g"),
        ({"birth_weight_g": 0}, "birth_weight_g"),
        ({"immunoglobulin": {"date": "2025-01-01"}}, "immunoglobulin"),
        ({"immunoglobulin": [{"product": "IVIG", "date": "2025-13-01"}]}, "immunoglobulin"),
    ]:
        with pytest.raises(ValidationError, match=key):
            parse_case({"birth_date": "2025-01-01", **bad}, on=D("2025-02-01"))


def test_clinical_migration_matches_the_models(db_path: Path) -> None:
    engine = make_engine(db_path)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diffs = [d for d in compare_metadata(ctx, Base.metadata) if "child_immunoglobulin" in repr(d)]
    finally:
        engine.dispose()
    assert diffs == []
