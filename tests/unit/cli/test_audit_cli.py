"""``epimanager audit verify`` in a subprocess, on an intact and on a tampered log."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

from epimanager.domain.validation import ChildInput
from epimanager.services.children import create_child, update_child
from epimanager.store.database import open_database
from tests.helpers.cli import run_cli


def test_verify_ok_then_detects_an_edited_row(db_path: Path) -> None:
    db = open_database(db_path)
    try:
        code = create_child(db, ChildInput("张浩", "1", date(2025, 3, 1), mother_name="李梅")).code
        update_child(db, code, {"phone": "13800000000"}, user="乙")
        update_child(db, code, {"address": "东风村3组"}, user="乙")
    finally:
        db.close()
    r = run_cli("audit", "verify", db=db_path)
    assert r.returncode == 0, r.stderr
    assert "共 3 条" in r.stdout
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("UPDATE audit_log SET user = '丙' WHERE id = 2")
    conn.close()
    r = run_cli("audit", "verify", db=db_path)
    assert r.returncode == 6
    assert "第 2 号记录" in r.stdout
    r = run_cli("audit", "verify", "--json", db=db_path)
    assert r.returncode == 6
    out = json.loads(r.stdout)
    assert (out["ok"], out["broken_id"], out["checked"]) == (False, 2, 1)
