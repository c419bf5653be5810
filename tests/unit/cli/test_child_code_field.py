"""One JSON field name for the child code across the CLI: ``child_code`` (as ``export children --json``);
commands that said ``code`` keep it as an alias for one release."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers.cli import run_cli


def _json(*args: str, db: Path) -> object:
    r = run_cli(*args, db=db)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_every_command_names_the_child_code_child_code(db_path: Path) -> None:
    made = _json("child", "add", "--name", "张浩", "--sex", "男", "--birth-date", "2025-03-15", "--mother", "李梅",
                 "--committee", "东风村", "--json", db=db_path)  # fmt: skip
    assert isinstance(made, dict)
    code = made["child_code"]
    assert code == "320102010120250001" and made["code"] == code  # alias, one release
    _json("child", "add", "--name", "章浩", "--sex", "男", "--birth-date", "2025-03-15", "--mother", "李梅",
          "--json", db=db_path)  # fmt: skip

    shown = _json("child", "show", code, "--json", db=db_path)
    assert isinstance(shown, dict) and shown["child_code"] == code
    exported = _json("export", "children", "--json", db=db_path)
    assert isinstance(exported, list) and exported[0]["child_code"] == code
    gap = _json("gap", "--on", "2025-04-15", "--json", db=db_path)
    assert isinstance(gap, dict) and gap["children"][0]["child_code"] == code
    assert gap["children"][0]["code"] == code
    found = _json("search", "zhanghao", "--json", db=db_path)
    assert isinstance(found, list) and found[0]["child_code"] == code
    pairs = _json("clean", "duplicates", "--json", db=db_path)
    assert isinstance(pairs, dict)
    assert code in (pairs["pairs"][0]["keep"]["child_code"], pairs["pairs"][0]["dup"]["child_code"])
    assert run_cli("registry", "delete", code, "--reason", "重复建档", db=db_path).returncode == 0
    deleted = _json("registry", "deleted", "--json", db=db_path)
    assert isinstance(deleted, list) and [(c["child_code"], c["code"]) for c in deleted] == [(code, code)]
