"""``epimanager consent`` in a subprocess: record, refuse, change with the version seen, list, text."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.services.children import create_child
from epimanager.store.database import open_database
from tests.helpers.cli import run_cli


def baby(db_path: Path) -> str:
    """67 days old today with HepB 1 and BCG at birth: HepB 2, IPV 1 and DTaP 1 are due."""
    born = date.today() - timedelta(days=67)
    db = open_database(db_path)
    try:
        birth = [DoseInput("HepB", 1, born), DoseInput("BCG", 1, born)]
        return create_child(db, ChildInput("王小宝", "1", born, mother_name="李梅"), birth_doses=birth).code
    finally:
        db.close()


def test_consent_recorded_refused_changed_and_listed(db_path: Path, tmp_path: Path) -> None:
    code = baby(db_path)
    today = date.today().isoformat()
    # 同意 without a signature is refused by the rule (exit 2), nothing stored
    r = run_cli("consent", code, "--vaccine", "HepB", "--choice", "同意", db=db_path)
    assert r.returncode == 2 and r.stderr.strip() == "错误：同意需要监护人签名：请在签名板上签字，或勾选纸质签字"
    r = run_cli("consent", code, "--vaccine", "HepB", "--choice", "agree", "--paper", "--desk", "登记台", "--json",
                db=db_path)  # fmt: skip
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    assert (got["vaccine"], got["dose_number"], got["choice"], got["status"], got["version"]) == (
        "HepB", 2, "同意", "纸质签字", 1)  # fmt: skip
    assert (got["text"]["version"], got["text"]["generic"], got["desk"]) == ("2026.1", False, "登记台")
    # a signature drawn elsewhere, as strokes
    strokes = tmp_path / "sig.json"
    strokes.write_text(json.dumps([[[10, 10, 0.5], [40, 30, 0.6]], [[50, 10, 0.4], [52, 40, 0.5]]]), encoding="utf-8")
    r = run_cli("consent", code, "--vaccine", "IPV", "--choice", "同意", "--strokes", strokes, "--json", db=db_path)
    assert r.returncode == 0, r.stderr
    assert (json.loads(r.stdout)["status"], json.loads(r.stdout)["strokes"]) == ("已签署知情同意", 2)
    # 不同意 needs a reason; with one it is the not-given record
    r = run_cli("consent", code, "--vaccine", "DTaP", "--choice", "refuse", "--paper", db=db_path)
    assert r.returncode == 2 and "不同意接种需要填写原因" in r.stderr
    r = run_cli(
        "consent", code, "--vaccine", "DTaP", "--choice", "不同意", "--paper", "--reason", "孩子感冒", db=db_path
    )
    assert r.returncode == 0, r.stderr
    # changing it needs the version seen: none or a stale one is refused (exit 6), the right one saves
    r = run_cli("consent", code, "--vaccine", "DTaP", "--choice", "同意", "--paper", db=db_path)
    assert r.returncode == 6 and "今天已有百白破疫苗的知情同意（不同意，第 1 版）" in r.stderr
    r = run_cli("consent", code, "--vaccine", "DTaP", "--choice", "到点再议", "--expected-version", "1", db=db_path)
    assert r.returncode == 0, r.stderr
    r = run_cli("consent", code, "--vaccine", "DTaP", "--choice", "同意", "--paper", "--expected-version", "1",
                db=db_path)  # fmt: skip
    assert r.returncode == 6 and "另一台电脑刚刚改了 王小宝 的百白破疫苗知情同意" in r.stderr
    r = run_cli("consent", "list", code, db=db_path)
    assert r.returncode == 0, r.stderr
    lines = [" ".join(line.split()[:5]) for line in r.stdout.splitlines()]
    assert lines == [
        f"{today} 乙肝疫苗 第2剂 纸质签字 告知书",
        f"{today} 脊灰灭活疫苗 第1剂 已签署知情同意 告知书",
        f"{today} 百白破疫苗 第1剂 到点再议 告知书",  # the refusal and its reason replaced
    ]
    r = run_cli("consent", "list", code, "--json", db=db_path)
    assert [(c["vaccine"], c["choice"], c["version"]) for c in json.loads(r.stdout)] == [
        ("HepB", "同意", 1), ("IPV", "同意", 1), ("DTaP", "到点再议", 2)]  # fmt: skip
    # an unknown choice is bad input
    r = run_cli("consent", code, "--vaccine", "MMR", "--choice", "maybe", db=db_path)
    assert r.returncode == 2 and "选择应为 同意、不同意 或 到点再议" in r.stderr


def test_consent_text_prints_the_current_sheet() -> None:
    r = run_cli("consent", "text", "BCG")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "皮内注射用卡介苗接种知情告知书"
    assert [line[: line.index("】") + 1] for line in lines[1:6]] == [
        "【疫苗品种】", "【作用】", "【禁忌】", "【可能的不良反应】", "【注意事项】"]  # fmt: skip
    assert lines[-1] == "（第 2026.1 版）"
    r = run_cli("consent", "text", "Flu", "--json")
    got = json.loads(r.stdout)
    assert got["generic"] and got["title"] == "流感疫苗接种知情告知书（通用）"
