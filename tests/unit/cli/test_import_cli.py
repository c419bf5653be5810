"""``epimanager import``: progress on stderr, a refused file changes nothing (issue #16 items 22, 23)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers.cli import run_cli

HEADER = "name,sex,birth_date,mother_name,father_name,phone,id_number,address,committee,residence\n"


def clinic(tmp_path: Path) -> Path:
    db = tmp_path / "a.sqlite"
    assert (
        run_cli("init", "--unit", "3201020101", "--unit-name", "测试门诊", "--committee", "东风村", db=db).returncode
        == 0
    )
    return db


def test_progress_goes_to_stderr_and_the_dry_run_reports_what_the_real_run_does(tmp_path: Path) -> None:
    db = clinic(tmp_path)
    rows = "".join(f"孩子{i},男,2025-03-0{i + 1},母亲{i},,,,,东风村,本地\n" for i in range(5))
    csv = tmp_path / "c.csv"
    csv.write_text(HEADER + rows + "孩子0,男,2025-03-01,母亲0,,,,,东风村,本地\n", encoding="utf-8")
    dry = run_cli("import", "children", csv, "--dry-run", "--progress-every", "2", db=db)
    real = run_cli("import", "children", csv, "--progress-every", "2", db=db)
    for r in (dry, real):
        assert r.returncode == 1
        progress = [line for line in r.stderr.splitlines() if line.startswith("已处理")]
        assert progress == ["已处理 6 / 6 行"]  # one chunk of 500 holds all six rows
        assert "第 7 行：与第 2 行完全相同（重复的行）" in r.stderr
    assert "共 6 行：可导入儿童 5 条，错误 1 行" in dry.stdout
    assert "共 6 行：已导入儿童 5 条，错误 1 行" in real.stdout
    again = run_cli("import", "children", csv, "--json", db=db)
    assert again.returncode == 2
    assert again.stderr.startswith("错误：文件 c.csv 已于 ") and "再导入会重复建档，未导入" in again.stderr
    assert len(json.loads(run_cli("export", "children", "--json", db=db).stdout)) == 5


def test_a_refused_file_is_one_line_exit_2_and_changes_nothing(tmp_path: Path) -> None:
    db = clinic(tmp_path)
    csv = tmp_path / "c.csv"
    csv.write_text(
        HEADER + '孩子,男,2025-03-01,"母亲,,,,,东风村,本地\n孩子2,男,2025-03-01,母亲,,,,,东风村,本地\n',
        encoding="utf-8",
    )
    r = run_cli("import", "children", csv, db=db)
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [
        "错误：c.csv 第 2 行：引号不成对（或单元格内有换行），一个字段跨了第 2–3 行；请检查该行的引号，未导入任何数据"
    ]
    assert json.loads(run_cli("export", "children", "--json", db=db).stdout) == []
