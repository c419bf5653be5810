"""``epimanager clean`` in a subprocess: duplicates, merge, undo, quality."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.services.children import create_child
from epimanager.services.doses import add_dose
from epimanager.store.database import open_database
from tests.helpers.cli import run_cli


def test_duplicates_merge_undo_and_quality(db_path: Path) -> None:
    db = open_database(db_path)
    try:
        keep = create_child(db, ChildInput("张浩", "1", date(2025, 3, 1), mother_name="李梅", phone="13800000000",
                                           committee="东风村")).code  # fmt: skip
        dup = create_child(db, ChildInput("章浩", "1", date(2025, 3, 1), mother_name="李梅")).code
        add_dose(db, keep, DoseInput("HepB", 1, date(2025, 3, 1)))
        add_dose(db, keep, DoseInput("BCG", 1, date(2025, 3, 1)))
        add_dose(db, dup, DoseInput("HepB", 2, date(2025, 4, 1)))
    finally:
        db.close()
    r = run_cli("clean", "duplicates", "--json", db=db_path)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["count"] == 1
    pair = out["pairs"][0]
    assert (pair["keep"]["code"], pair["dup"]["code"], pair["score"]) == (keep, dup, 70)

    r = run_cli("clean", "merge", keep, dup, "--user", "管理员", "--json", db=db_path)
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    assert res["moved_doses"] == 1
    shown = json.loads(run_cli("child", "show", keep, "--json", db=db_path).stdout)
    assert len(shown["doses"]) == 3
    assert json.loads(run_cli("clean", "duplicates", "--json", db=db_path).stdout)["count"] == 0

    r = run_cli("clean", "undo-merge", str(res["id"]), "--user", "管理员", db=db_path)
    assert r.returncode == 0, r.stderr
    assert len(json.loads(run_cli("child", "show", dup, "--json", db=db_path).stdout)["doses"]) == 1
    r = run_cli("clean", "undo-merge", str(res["id"]), db=db_path)
    assert r.returncode == 2 and "已于" in r.stderr

    r = run_cli("clean", "quality", "--json", db=db_path)
    assert r.returncode == 0, r.stderr
    q = json.loads(r.stdout)
    assert q["checked"] == 2 and q["counts"]["缺少必填项"] == 1
    assert [i["child_code"] for i in q["issues"]] == [dup]
