"""``epimanager query`` in a subprocess: formats and export."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

from openpyxl import load_workbook

from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.services.children import create_child
from epimanager.services.doses import add_dose
from epimanager.services.registry import change_status
from epimanager.store.database import open_database
from tests.helpers.cli import run_cli


def seed(db_path: Path) -> tuple[str, str]:
    db = open_database(db_path)
    try:
        a = create_child(db, ChildInput("张浩", "1", date(2025, 3, 1), mother_name="李梅", phone="13800000001",
                                        committee="东风村")).code  # fmt: skip
        b = create_child(db, ChildInput("李娜", "2", date(2025, 3, 1), mother_name="王芳", committee="红旗村")).code
        add_dose(db, a, DoseInput("HepB", 1, date(2025, 3, 1), batch_no="B1"), user="护士甲")
        add_dose(db, b, DoseInput("HepB", 1, date(2025, 3, 2), unit_code="5224240101"), user="护士乙")
        change_status(db, b, "迁出", date(2025, 6, 1), "出国", None, "王医生")
        return a, b
    finally:
        db.close()


def test_doses_json_and_filters(db_path: Path) -> None:
    a, b = seed(db_path)
    r = run_cli("query", "doses", "--from", "2025-03-01", "--to", "2025-03-31", "--json", db=db_path)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["count"] == 2
    assert [(x["儿童编码"], x["接种地点"]) for x in out["rows"]] == [(a, "本单位"), (b, "5224240101")]
    r = run_cli("query", "doses", "--from", "2025-03-01", "--to", "2025-03-31", "--place", "own", db=db_path)
    assert "共 1 行" in r.stdout and a in r.stdout and b not in r.stdout


def test_managed_and_changes_csv_to_stdout(db_path: Path) -> None:
    a, b = seed(db_path)
    r = run_cli("query", "managed", "--in-register", "--format", "csv", db=db_path)
    assert r.returncode == 0, r.stderr
    rows = list(csv.reader(r.stdout.splitlines()))
    assert rows[0][:2] == ["儿童编码", "姓名"] and [x[0] for x in rows[1:]] == [a]
    r = run_cli("query", "changes", "--kind", "基本资料", "--child", b, "--json", db=db_path)
    ops = [x["操作"] for x in json.loads(r.stdout)["rows"]]
    assert ops == ["在册变更", "新建个案"]


def test_gap_to_xlsx_file(db_path: Path, tmp_path: Path) -> None:
    a, _ = seed(db_path)
    out = tmp_path / "gap.xlsx"
    r = run_cli("query", "gap", "--on", "2025-06-15", "--out", out, db=db_path)
    assert r.returncode == 0, r.stderr
    assert "已导出 1 行" in r.stdout
    ws = load_workbook(out).active
    assert ws is not None
    values = list(ws.iter_rows(values_only=True))
    assert values[1][0] == a and values[1][7] == "13800000001"
    r = run_cli("query", "gap", "--on", "2025-06-15", "--format", "xlsx", db=db_path)
    assert r.returncode == 2 and "需要 --out" in r.stderr


def test_an_export_never_overwrites_the_database_or_an_existing_file(db_path: Path, tmp_path: Path) -> None:
    """#16 item 4: ``--out`` equal to the live database replaced it with a CSV."""
    before = db_path.read_bytes()
    for target in (db_path, db_path.with_name(db_path.name + "-wal")):
        r = run_cli("query", "managed", "--format", "csv", "--out", target, db=db_path)
        assert r.returncode == 2 and "不能把导出写到数据库文件本身" in r.stderr, r.stderr
    assert db_path.read_bytes() == before
    out = tmp_path / "managed.csv"
    out.write_text("keep me", encoding="utf-8")
    r = run_cli("query", "managed", "--format", "csv", "--out", out, db=db_path)
    assert r.returncode == 2 and "文件已存在" in r.stderr and "--force" in r.stderr
    assert out.read_text(encoding="utf-8") == "keep me"
    r = run_cli("query", "managed", "--format", "csv", "--out", out, "--force", db=db_path)
    assert r.returncode == 0, r.stderr
    assert out.read_text(encoding="utf-8-sig").startswith("儿童编码")
    r = run_cli("report", "6-1", "--month", "2026-10", "--format", "csv", "--out", db_path, db=db_path)
    assert r.returncode == 2 and db_path.read_bytes() == before
