"""``epimanager precheck`` in a subprocess: a fever defers today's vaccines, the forecast follows,
bad answers are refused with exit 2 and change nothing."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.services.children import create_child
from epimanager.store.database import open_database
from tests.helpers.cli import run_cli


def _baby(db_path: Path) -> str:
    """70 days old with HepB 1 and BCG at birth: HepB 2 (1 month) and IPV 1, DTaP 1 (2 months) are due."""
    born = date.today() - timedelta(days=70)
    db = open_database(db_path)
    try:
        inp = ChildInput("王小宝", "1", born, mother_name="李梅", committee="东风村")
        birth = [DoseInput("HepB", 1, born), DoseInput("BCG", 1, born)]
        return create_child(db, inp, birth_doses=birth).code
    finally:
        db.close()


def test_a_fever_defers_and_the_forecast_shows_it(db_path: Path) -> None:
    code = _baby(db_path)
    week = (date.today() + timedelta(days=7)).isoformat()
    r = run_cli("precheck", code, "--temperature", "37.8", "--json", "--user", "周护士", db=db_path)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert {v["name"]: (v["outcome"], v["until"]) for v in out["vaccines"]} == {
        "乙肝疫苗": ("暂缓", week), "脊灰灭活疫苗": ("暂缓", week), "百白破疫苗": ("暂缓", week),
    }  # fmt: skip
    assert (out["temperature"], out["operator"], out["version"], out["question_version"]) == (
        37.8,
        "周护士",
        1,
        "2026.1",
    )
    fc = json.loads(run_cli("forecast", "--child", code, "--json", db=db_path).stdout)
    hepb = next(s for s in fc["series"] if s["series"] == "HepB")
    assert (hepb["status"], hepb["earliest"]) == ("deferred", week)
    text = run_cli("forecast", "--child", code, db=db_path).stdout
    assert "暂缓" in text and f"暂缓至 {week}" in text


def test_answers_in_text_and_refusals(db_path: Path) -> None:
    code = _baby(db_path)
    r = run_cli("precheck", code, "--temperature", "36.6", "--answer", "2=DTaP", db=db_path)
    assert r.returncode == 0, r.stderr
    assert "百白破疫苗：禁忌（既往接种该疫苗后出现严重反应）" in r.stdout
    assert "乙肝疫苗：可接种" in r.stdout
    # a stale version, an unknown question, a fever out of range: exit 2, nothing changed
    for extra in (["--expected-version", "0"], ["--answer", "12=yes"], ["--temperature", "45"]):
        bad = run_cli("precheck", code, "--temperature", "36.6", *extra, db=db_path)
        assert bad.returncode in (2, 6), bad.stderr
        assert bad.stderr.startswith("错误："), bad.stderr
    shown = json.loads(run_cli("precheck", code, "--show", "--json", db=db_path).stdout)
    assert (shown["version"], shown["temperature"]) == (1, 36.6)
    assert [(d["vaccine"], d["kind"]) for d in shown["deferrals"]] == [("DTaP", "禁忌")]
    lifted = run_cli("precheck", code, "--lift", "DTaP", "--reason", "医生会诊：可以接种", db=db_path)
    assert lifted.returncode == 0 and "已解除 百白破疫苗 的禁忌" in lifted.stdout
    questions = run_cli("precheck", "--questions", db=db_path).stdout
    assert "1. 近几天有无发热、腹泻、咳嗽等身体不适？" in questions
