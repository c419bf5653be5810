"""The real ``epimanager`` command in a subprocess."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers.cli import run_cli

SUBCOMMANDS = [
    [],
    ["init"],
    ["committee"],
    ["committee", "add"],
    ["child"],
    ["child", "show"],
    ["child", "add"],
    ["dose", "add"],
    ["import"],
    ["export", "children"],
    ["demo"],
    ["forecast"],
    ["gap"],
]


@pytest.mark.parametrize("sub", SUBCOMMANDS, ids=lambda s: " ".join(s) or "top")
def test_help_everywhere(sub: list[str]) -> None:
    r = run_cli(*sub, "--help")
    assert r.returncode == 0, r.stderr
    assert "usage: epimanager" in r.stdout


def test_version() -> None:
    r = run_cli("--version")
    assert r.returncode == 0 and r.stdout.startswith("EpiManager ")


def test_full_workflow_init_add_child_record_dose_show(tmp_path: Path) -> None:
    db = tmp_path / "a.sqlite"
    r = run_cli("init", "--unit", "3201020101", "--unit-name", "测试门诊", "--committee", "东风村", db=db)
    assert r.returncode == 0, r.stderr
    assert "接种单位：3201020101 测试门诊" in r.stdout
    r = run_cli(
        "child",
        "add",
        "--name",
        "单丽",
        "--sex",
        "女",
        "--birth-date",
        "2024-03-05",
        "--mother",
        "王芳",
        "--committee",
        "东风村",
        "--json",
        db=db,
    )
    assert r.returncode == 0, r.stderr
    code = json.loads(r.stdout)["code"]
    assert code == "320102010120240001"
    r = run_cli(
        "dose",
        "add",
        code,
        "--vaccine",
        "乙肝",
        "--dose",
        "1",
        "--date",
        "2024-03-05",
        "--batch",
        "B2024",
        "--nurse",
        "王护士",
        db=db,
    )
    assert r.returncode == 0, r.stderr
    assert "已登记：乙肝疫苗 第1剂 2024-03-05" in r.stdout
    r = run_cli("child", "show", code, "--json", db=db)
    data = json.loads(r.stdout)
    assert data["name"] == "单丽" and data["sex_label"] == "女" and data["committee"] == "东风村"
    assert [(d["vaccine_abbr"], d["dose_number"], d["batch_no"], d["nurse"]) for d in data["doses"]] == [
        ("HepB", 1, "B2024", "王护士")
    ]
    # --db may also come after the subcommand
    r = run_cli("child", "show", code, "--db", str(db))
    assert r.returncode == 0 and "单丽" in r.stdout and "乙肝疫苗  第1剂" in r.stdout


def test_import_lists_bad_rows_and_exits_nonzero(tmp_path: Path) -> None:
    db = tmp_path / "a.sqlite"
    run_cli("init", "--unit", "3201020101", "--unit-name", "测试门诊", "--committee", "东风村", db=db)
    csv = tmp_path / "c.csv"
    csv.write_text(
        "name,sex,birth_date,mother_name,father_name,phone,id_number,address,committee,residence\n"
        "张浩,男,2025-03-01,李梅,,,,,东风村,本地\n"
        "李萍萍,女,2025-03-01,,,,,,东风村,本地\n"
        "王五,X,2025-03-01,李梅,,,,,东风村,本地\n",
        encoding="utf-8",
    )
    r = run_cli("import", "children", csv, db=db)
    assert r.returncode == 1
    assert "第 3 行：母亲姓名和父亲姓名至少填写一个" in r.stderr
    assert "第 4 行：性别不正确：“X”（应为 男/女）" in r.stderr
    assert "共 3 行：已导入儿童 1 条，错误 2 行" in r.stdout
    r = run_cli("export", "children", "--json", db=db)
    assert [c["name"] for c in json.loads(r.stdout)] == ["张浩"]


def test_missing_database_is_one_line_and_nonzero(tmp_path: Path) -> None:
    r = run_cli("child", "show", "320102010120240001", db=tmp_path / "none.sqlite")
    assert r.returncode == 4
    assert r.stderr.strip().startswith("错误：数据库文件不存在")
    assert len(r.stderr.strip().splitlines()) == 1


def test_bad_unit_code_is_refused(tmp_path: Path) -> None:
    r = run_cli("init", "--unit", "12345", "--unit-name", "x", db=tmp_path / "a.sqlite")
    assert r.returncode == 2
    assert "单位编码应为10位数字" in r.stderr


def test_unknown_child_exit_code(tmp_path: Path) -> None:
    db = tmp_path / "a.sqlite"
    run_cli("init", "--unit", "3201020101", "--unit-name", "测试门诊", db=db)
    r = run_cli("child", "show", "320102010120249999", db=db)
    assert r.returncode == 3
    assert "找不到儿童编码为 320102010120249999 的个案" in r.stderr


def test_env_variable_names_the_database(tmp_path: Path) -> None:
    db = tmp_path / "env.sqlite"
    r = run_cli("init", "--unit", "3201020101", "--unit-name", "测试门诊", env={"EPIMANAGER_DB": str(db)})
    assert r.returncode == 0, r.stderr
    assert db.exists()


def test_demo_is_reproducible_with_a_seed(tmp_path: Path) -> None:
    names = []
    for i in (1, 2):
        db = tmp_path / f"d{i}.sqlite"
        run_cli("init", "--unit", "3201020101", "--unit-name", "测试门诊", db=db)
        r = run_cli("demo", "--children", "300", "--seed", "7", "--quiet", db=db)
        assert r.returncode == 0, r.stderr
        assert "已生成儿童 300 名" in r.stdout
        exported = json.loads(run_cli("export", "children", db=db).stdout)
        names.append([(c["name"], c["birth_date"], c["child_code"]) for c in exported])
    assert names[0] == names[1]
    assert len(names[0]) == 300


def test_gui_without_a_display_explains_xvfb(tmp_path: Path) -> None:
    r = run_cli(db=tmp_path / "a.sqlite", env={"DISPLAY": "", "WAYLAND_DISPLAY": "", "QT_QPA_PLATFORM": ""})
    assert r.returncode == 3
    assert "xvfb-run -a epimanager" in r.stderr


def test_dose_add_refuses_an_invalid_dose_unless_confirmed(db_path: Path) -> None:
    """MMR is first due at 8 months; at 3 months it would not count (首针提前): refused, exit 2, nothing saved."""
    made = run_cli(
        "child",
        "add",
        "--name",
        "王小明",
        "--sex",
        "男",
        "--birth-date",
        "2026-03-01",
        "--mother",
        "李梅",
        "--json",
        db=db_path,
    )
    code = json.loads(made.stdout)["code"]
    refused = run_cli("dose", "add", code, "--vaccine", "MMR", "--dose", "1", "--date", "2026-06-01", db=db_path)
    assert refused.returncode == 2
    assert "首针提前" in refused.stderr and "--confirm-invalid" in refused.stderr
    assert json.loads(run_cli("child", "show", code, "--json", db=db_path).stdout)["doses"] == []
    ok = run_cli(
        "dose", "add", code, "--vaccine", "MMR", "--dose", "1", "--date", "2026-06-01", "--confirm-invalid", db=db_path
    )
    assert ok.returncode == 0, ok.stderr
    assert len(json.loads(run_cli("child", "show", code, "--json", db=db_path).stdout)["doses"]) == 1


def test_an_empty_database_file_is_refused_by_every_command(tmp_path: Path) -> None:
    empty = tmp_path / "clinic.sqlite"
    empty.write_bytes(b"")
    for argv in (["search", "zhang"], ["child", "show", "320102010120260001"], ["remind", "list"]):
        r = run_cli(*argv, db=empty)
        assert r.returncode == 4, (argv, r.stdout, r.stderr)
        assert r.stderr.startswith("错误：文件不是有效的数据库或已损坏")
    assert empty.stat().st_size == 0


def test_dose_add_refuses_a_duplicate_unless_confirmed_as_a_correction(db_path: Path) -> None:
    """The same HepB 第1剂 twice on one day: the second is refused (exit 2, nothing saved) until
    --confirm-duplicate, and the confirmation is in the audit trail.  (A second HepB on the same day
    does not count either, so it also needs --confirm-invalid.)"""
    made = run_cli(
        "child", "add", "--name", "王小明", "--sex", "男", "--birth-date", "2026-03-01", "--mother", "李梅", "--json",
        db=db_path,
    )  # fmt: skip
    code = json.loads(made.stdout)["code"]
    args = ("dose", "add", code, "--vaccine", "HepB", "--dose", "1", "--date", "2026-03-01")
    assert run_cli(*args, db=db_path).returncode == 0
    refused = run_cli(*args, db=db_path)
    assert refused.returncode == 2
    assert "同一天已有乙肝疫苗 第1剂（2026-03-01）" in refused.stderr and "--confirm-duplicate" in refused.stderr
    assert len(json.loads(run_cli("child", "show", code, "--json", db=db_path).stdout)["doses"]) == 1
    ok = run_cli(*args, "--confirm-duplicate", "--confirm-invalid", db=db_path)
    assert ok.returncode == 0, ok.stderr
    assert len(json.loads(run_cli("child", "show", code, "--json", db=db_path).stdout)["doses"]) == 2
    log = run_cli("query", "changes", "--kind", "接种剂次", "--child", code, "--json", db=db_path)
    assert "确认作为更正/补录：已有乙肝疫苗 第1剂（2026-03-01）" in log.stdout
