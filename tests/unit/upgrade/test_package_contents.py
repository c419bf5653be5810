"""#16 item 25: what a signed package carries is checked before the switch.

Invalid reference data inside a correctly signed package used to install and then break
``dose add`` and the forecasts until a rollback; a file/folder conflict gave a traceback;
names Windows cannot hold (``CON``, ``a:stream``, a trailing dot or space) were accepted.
Each is now refused with a clear message, and nothing changes.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from epimanager.resources import resource_path, resources_dir
from epimanager.services.config.unit_codes import load_unit_codes
from epimanager.services.forecast import forecast_case
from epimanager.upgrade.install.apply import apply_package
from epimanager.upgrade.install.layout import Target, UpgradeError, current_version
from epimanager.upgrade.manifest import PackageError
from epimanager.upgrade.package import build_package, open_package
from tests.helpers.cli import run_cli
from tests.unit.upgrade.conftest import DEV_KEY, UNIT_CSV_2027, Builder, snapshot
from tests.unit.upgrade.test_package import crafted

SCHEDULE = "schedules/cn-nip-2026.json"


def bundled(*parts: str) -> bytes:
    return resources_dir().joinpath(*parts).read_bytes()


def schedules(new: bytes | None = None) -> dict[str, bytes]:
    """Every bundled schedule file (an update's schedules/ folder replaces the bundled one), the 2026 one ``new``."""
    files = {f"schedules/{p.name}": p.read_bytes() for p in resources_dir().joinpath("schedules").glob("*.json")}
    if new is not None:
        files[SCHEDULE] = new
    return files


def schedule_with(change: str) -> bytes:
    raw = json.loads(bundled(*SCHEDULE.split("/")))
    track = raw["series"][0]["tracks"][0]
    if change == "unknown vaccine":
        track["products"] = ["9999"]
    elif change == "bad age":
        track["doses"][0]["min_age"] = "soon"
    elif change == "not a list":
        raw["series"] = {"MenA": 1}
    return json.dumps(raw, ensure_ascii=False).encode()


def catalog_with(change: str) -> bytes:
    raw = json.loads(bundled("vaccines.json"))
    if change == "duplicate abbreviation":
        raw["vaccines"][1]["abbr"] = raw["vaccines"][0]["abbr"]
    elif change == "missing field":
        del raw["vaccines"][0]["abbr"]
    return json.dumps(raw, ensure_ascii=False).encode()


BAD_DATA = {
    "schedule: unknown vaccine": (schedules(new=schedule_with("unknown vaccine")), "未知疫苗：“9999”"),
    "schedule: bad age": (schedules(new=schedule_with("bad age")), "年龄/间隔格式不正确"),
    "schedule: wrong shape": (schedules(new=schedule_with("not a list")), "无法计算应种疫苗"),
    "schedule: not JSON": (schedules(new=b'{"format": 1,'), "不是有效的 UTF-8 JSON"),
    "schedule: one file alone": ({SCHEDULE: bundled(*SCHEDULE.split("/"))}, "继承的版本 CN-NIP-2025-HPV 不存在"),
    "catalog: duplicate": ({"vaccines.json": catalog_with("duplicate abbreviation")}, "疫苗名称/缩写重复"),
    "catalog: missing field": ({"vaccines.json": catalog_with("missing field")}, "疫苗目录 vaccines.json 有误"),
    "unit codes: bad row": ({"unit_codes/2027.csv": b"code,name,county\n32010201,x,y\n"}, "第 2 行格式不正确"),
    "unit codes: GBK": ({"unit_codes/2027.csv": "code,name,county\n3201020101,玄武门诊,玄武\n".encode("gbk")}, "UTF-8"),
    "other JSON": ({"demo_names.json": b"\xff\xfe"}, "不是有效的 UTF-8 JSON"),
}


@pytest.mark.parametrize("case", list(BAD_DATA))
def test_invalid_reference_data_is_refused_before_the_switch(builder: Builder, target: Target, case: str) -> None:
    data, reason = BAD_DATA[case]
    before = snapshot(target)
    pkg = builder.build("0.2.0", program={"epimanager": b"new"}, data=data)
    with pytest.raises(UpgradeError, match="升级包中的参考数据无法使用") as refused:
        apply_package(pkg, target)
    assert reason in refused.value.message and "未做任何改动" in refused.value.message
    assert snapshot(target) == before
    # the clinic keeps working on the data it had
    assert load_unit_codes()[0] == 2026
    forecast = forecast_case({"birth_date": "2025-01-01", "sex": "男", "doses": []}, on=date(2026, 1, 1))
    assert forecast.series


def test_good_reference_data_of_every_kind_installs(builder: Builder, target: Target) -> None:
    data = {
        **schedules(),
        "vaccines.json": bundled("vaccines.json"),
        "unit_codes/2027.csv": UNIT_CSV_2027,
        "unit_codes/README.md": b"notes",
    }
    apply_package(builder.build("0.2.0", data=data), target)
    assert current_version(target.install_root) == "0.2.0"
    assert resource_path("unit_codes", "2027.csv").read_bytes() == UNIT_CSV_2027


def test_the_cli_refuses_bad_data_with_a_message_not_a_traceback(
    builder: Builder, db_path: Path, tmp_path: Path
) -> None:
    pkg = builder.build("0.2.0", data=schedules(new=schedule_with("unknown vaccine")))
    env = {"EPIMANAGER_DEV_KEYS": "1", "EPIMANAGER_RESOURCE_OVERRIDES": str(tmp_path / "overrides")}
    r = run_cli("upgrade", "apply", pkg, "--install-root", tmp_path / "install", db=db_path, env=env)
    assert r.returncode == 4, r.stderr
    assert r.stderr.startswith("错误：升级包中的参考数据无法使用") and "Traceback" not in r.stderr
    assert not (tmp_path / "overrides" / "current").exists()


UNSAFE = [
    "program/CON",
    "program/con.txt",
    "data/aux",
    "program/lib/NUL.dll",
    "program/COM1",
    "program/LPT9.log",
    "data/a:stream",
    "program/trailing.",
    "program/trailing ",
    "program/a<b",
    "program/a|b",
    "program/why?",
    "program/star*",
    'program/quote"d',
    "program/tab\there",
]


@pytest.mark.parametrize("name", UNSAFE)
def test_names_windows_cannot_hold_are_refused(tmp_path: Path, name: str) -> None:
    pkg = crafted(tmp_path / "p.zip", {name: b"x", "program/ok": b"y"})
    with pytest.raises(PackageError, match="Windows"):
        open_package(pkg)


def test_safe_names_that_look_alike_pass(tmp_path: Path) -> None:
    names = ["program/CONSOLE.txt", "program/console", "program/com10", "program/lpt", "program/a.b.c", "program/nul_"]
    pkg = crafted(tmp_path / "p.zip", dict.fromkeys(names, b"x"))
    assert {f.path for f in open_package(pkg).manifest.files} == set(names)


def test_building_from_a_folder_with_a_windows_name_is_refused(builder: Builder, tmp_path: Path) -> None:
    src = builder.source("0.2.0", program={"AUX.txt": b"x"})
    with pytest.raises(PackageError, match="Windows 保留的设备名"):
        build_package(src, DEV_KEY, tmp_path / "out.zip")
    assert not (tmp_path / "out.zip").exists()


def test_a_path_used_as_file_and_folder_in_one_package_is_refused(tmp_path: Path) -> None:
    pkg = crafted(tmp_path / "p.zip", {"data/unit_codes": b"x", "data/unit_codes/2027.csv": UNIT_CSV_2027})
    with pytest.raises(PackageError, match="data/unit_codes 既是文件又是文件夹"):
        open_package(pkg)
    pkg = crafted(tmp_path / "q.zip", {"program/Lib": b"x", "program/lib/a.py": b"y"})  # as Windows compares
    with pytest.raises(PackageError, match="既是文件又是文件夹"):
        open_package(pkg)


def test_a_file_where_an_installed_update_has_a_folder_is_refused_cleanly(builder: Builder, target: Target) -> None:
    apply_package(builder.build("0.2.0", data={"unit_codes/2027.csv": UNIT_CSV_2027}), target)
    before = snapshot(target)
    pkg = builder.build("0.3.0", min_version="0.2.0", data={"unit_codes": b"not a folder"})
    with pytest.raises(PackageError, match=r"data/unit_codes 与已安装的同名文件夹或文件冲突.*未做任何改动"):
        apply_package(pkg, target)
    assert snapshot(target) == before
    assert current_version(target.install_root) == "0.2.0"
    assert resource_path("unit_codes", "2027.csv").read_bytes() == UNIT_CSV_2027
