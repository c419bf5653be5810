"""``epimanager search`` in a subprocess, on a real database file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from epimanager.domain.validation import ChildInput
from epimanager.services.children import create_child
from epimanager.services.units import init_database
from epimanager.store.database import open_database

REPO = Path(__file__).resolve().parents[3]


def _run(db: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[bytes]:
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONIOENCODING="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "epimanager", "--db", str(db), *args],
        input=stdin.encode("utf-8") if stdin is not None else None,
        capture_output=True,
        cwd=REPO,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("search_cli") / "clinic.sqlite"
    init_database(path, "3201020101", "测试接种门诊", ["城关社区"])
    db = open_database(path)
    try:
        for name, birth, mother in [
            ("刘佩佩", date(2020, 3, 1), "赵敏"),
            ("李萍萍", date(2021, 4, 2), "钱芳"),
            ("单丽", date(2013, 1, 5), "孙红"),
            ("张浩", date(2013, 6, 1), "王丽"),
        ]:
            create_child(
                db,
                ChildInput(name=name, sex="2", birth_date=birth, mother_name=mother, committee="城关社区"),
                today=date(2026, 11, 26),
            )
    finally:
        db.close()
    return path


def test_search_json(db_path: Path) -> None:
    p = _run(db_path, "search", "lpp", "--json")
    assert p.returncode == 0, p.stderr.decode()
    rows = json.loads(p.stdout.decode("utf-8"))
    assert {r["name"] for r in rows} == {"刘佩佩", "李萍萍"}
    assert set(rows[0]) == {"child_code", "name", "sex", "birth_date", "mother_name", "phone", "status", "committee"}
    liu = next(r for r in rows if r["name"] == "刘佩佩")
    assert liu["sex"] == "女" and liu["birth_date"] == "2020-03-01" and liu["mother_name"] == "赵敏"
    assert liu["status"] == "本地" and liu["committee"] == "城关社区" and len(liu["child_code"]) == 18


def test_search_limit_says_there_are_more(db_path: Path) -> None:
    p = _run(db_path, "search", "2013", "--limit", "1", "--json")
    assert p.returncode == 0
    assert [r["name"] for r in json.loads(p.stdout.decode("utf-8"))] == ["单丽"]
    assert "只显示前 1 条" in p.stderr.decode("utf-8")


def test_search_table(db_path: Path) -> None:
    p = _run(db_path, "search", "shanli")
    assert p.returncode == 0
    out = p.stdout.decode("utf-8")
    assert "单丽" in out and "孙红" in out
    p = _run(db_path, "search", "nobody")
    assert "没有找到" in p.stdout.decode("utf-8")


def test_search_stdin(db_path: Path) -> None:
    p = _run(db_path, "search", "--stdin", "--json", stdin="danli\n王丽\n\n2013-01\n")
    assert p.returncode == 0, p.stderr.decode()
    lines = [json.loads(line) for line in p.stdout.decode("utf-8").splitlines()]
    assert [x["query"] for x in lines] == ["danli", "王丽", "", "2013-01"]
    assert [r["name"] for r in lines[0]["results"]] == ["单丽"]
    assert [r["name"] for r in lines[1]["results"]] == ["张浩"]  # found by the mother
    assert lines[2]["results"] == []
    assert [r["name"] for r in lines[3]["results"]] == ["单丽"]
    assert lines[3]["more"] is False


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("search",), "请输入查询内容"),
        (("search", "x", "--limit", "0"), "--limit"),
        (("search", "x", "--stdin"), "--stdin"),
    ],
)
def test_search_user_errors(db_path: Path, args: tuple[str, ...], message: str) -> None:
    p = _run(db_path, *args)
    assert p.returncode != 0
    assert message in p.stderr.decode("utf-8")


def test_search_missing_database(tmp_path: Path) -> None:
    p = _run(tmp_path / "none.sqlite", "search", "lpp")
    assert p.returncode != 0
    assert "数据库文件不存在" in p.stderr.decode("utf-8")
