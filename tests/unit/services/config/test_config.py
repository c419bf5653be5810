"""配置工具 services: unit from the yearly list, 区域划分, folders, platform, take-over."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from epimanager import paths
from epimanager.errors import EpiError, NotFoundError, ValidationError
from epimanager.paths import local_dir_for
from epimanager.services.config import folders, platform, record, takeover, unit, unit_codes
from epimanager.services.demo import generate
from epimanager.services.units import init_database
from epimanager.store.database import Database, open_database


def tree(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "<dir>"
        for p in sorted(folder.rglob("*"))
    }


def test_bundled_sample_list_is_searchable_by_code_name_and_county() -> None:
    year, entries = unit_codes.load_unit_codes()
    assert year == 2026 and len(entries) == 12
    assert all(e.code.startswith("320102") and len(e.code) == 10 for e in entries)
    assert [e.code for e in unit_codes.search_unit_codes("锁金")] == ["3201020401"]
    assert [e.code for e in unit_codes.search_unit_codes("3201021")] == ["3201021001", "3201021101", "3201021201"]
    assert len(unit_codes.search_unit_codes("南京市玄武区")) == 12
    with pytest.raises(NotFoundError, match=r"没有 2019 年的单位编码表"):
        unit_codes.load_unit_codes(2019)


def test_a_yearly_list_from_an_update_folder_is_read_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "overrides"
    (root / "0.2.0" / "unit_codes").mkdir(parents=True)
    (root / "0.2.0" / "unit_codes" / "2027.csv").write_text(
        "code,name,county\n5224240101,金沙县城关镇卫生院预防接种门诊,毕节市金沙县\n", encoding="utf-8"
    )
    (root / "current").write_text("0.2.0\n")
    monkeypatch.setenv("EPIMANAGER_RESOURCE_OVERRIDES", str(root))
    assert unit_codes.unit_code_years() == [2027, 2026]
    assert unit_codes.find_unit_code("5224240101") is not None
    assert unit_codes.find_unit_code("5224240101", 2026) is None


def test_set_unit_validates_against_the_list(db: Database) -> None:
    with pytest.raises(ValidationError, match=r"不在 2026 年单位编码表中"):
        unit.set_unit(db, "3201029999")
    with pytest.raises(ValidationError, match=r"10位数字"):
        unit.set_unit(db, "32010")
    res = unit.set_unit(db, "3201020101")
    assert res.info.name == "玄武区梅园新村社区卫生服务中心预防接种门诊" and res.warning is None
    assert record.show_config(db).unit_code_year == 2026


def test_unit_code_cannot_change_once_children_exist(db: Database) -> None:
    generate(db, 3, seed=1)
    with pytest.raises(EpiError, match=r"已有 3 个儿童个案"):
        unit.set_unit(db, "3201020201")
    assert db.own_unit_code() == "3201020101"


def test_unit_change_on_an_empty_database_keeps_its_committees(db: Database) -> None:
    res = unit.set_unit(db, "3201020201")
    assert res.info.code == "3201020201"
    assert res.info.committees == ("东风村", "红旗村", "城关社区")


def test_committee_rename_and_disable(db: Database) -> None:
    unit.rename_committee(db, "红旗村", "红旗社区")
    unit.set_committee_active(db, "东风村", False)
    rows = unit.list_committees(db)
    assert [(r.name, r.active) for r in rows] == [("东风村", False), ("红旗社区", True), ("城关社区", True)]
    with pytest.raises(ValidationError, match=r"已有名为“城关社区”"):
        unit.rename_committee(db, "红旗社区", "城关社区")
    with pytest.raises(NotFoundError):
        unit.set_committee_active(db, "不存在村", True)


def test_platform_token_is_kept_but_never_shown(db: Database) -> None:
    platform.set_platform(db, url="https://platform.example:8080/", user="xw01", token="s3cret")
    rec = record.show_config(db)
    assert rec.platform_url == "https://platform.example:8080"
    assert "s3cret" not in str(rec.to_json())
    assert platform.platform_settings(db).token == "s3cret"
    with pytest.raises(ValidationError, match=r"平台地址无效：ftp://x（应为 https://"):
        platform.set_platform(db, url="ftp://x")
    # one address rule for every caller: personal data never goes over plain http to another machine
    with pytest.raises(ValidationError, match="必须使用 https"):
        platform.set_platform(db, url="http://10.1.2.3:8080")
    assert platform.platform_settings(db).url == "https://platform.example:8080"


def test_backup_folder_is_configurable(db: Database, tmp_path: Path) -> None:
    assert folders.backup_dir(db) == local_dir_for(db.location) / "backups"
    folders.set_backup_dir(db, tmp_path / "bk")
    assert record.show_config(db).backup_dir == str(tmp_path / "bk")


def test_move_data_dir_copies_and_leaves_the_old_folder(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EPIMANAGER_CONFIG_DIR", str(tmp_path / "conf"))
    before = hashlib.sha256(db_path.read_bytes()).hexdigest()
    new = folders.move_data_dir(db_path, tmp_path / "D盘数据")
    assert paths.configured_data_dir() == tmp_path / "D盘数据"
    # the app's default database location now follows the choice
    monkeypatch.delenv("EPIMANAGER_DATA_DIR", raising=False)
    monkeypatch.delenv("EPIMANAGER_DB", raising=False)
    assert paths.default_db_path() == new
    assert hashlib.sha256(db_path.read_bytes()).hexdigest() == before
    moved = open_database(new)
    assert moved.own_unit_code() == "3201020101"
    moved.close()
    assert (
        tmp_path in takeover.previous_install_candidates() or db_path.parent in takeover.previous_install_candidates()
    )


@pytest.fixture
def old_install(tmp_path: Path) -> Path:
    old = tmp_path / "EpiManager2026"
    init_database(old / "epimanager.sqlite", "3201020401", "锁金村门诊", ["锁金村"])
    db = open_database(old / "epimanager.sqlite")
    generate(db, 25, seed=3)
    db.close()
    (old / "backups").mkdir(exist_ok=True)
    (old / "backups" / "old-backup.epibak.gz").write_bytes(b"old backup")
    return old


def test_takeover_copies_everything_and_never_touches_the_old_folder(old_install: Path, tmp_path: Path) -> None:
    before = tree(old_install)
    con = sqlite3.connect(old_install / "epimanager.sqlite")
    doses = con.execute("SELECT count(*) FROM dose").fetchone()[0]
    con.close()
    assert tree(old_install) == before
    target = tmp_path / "new" / "epimanager.sqlite"
    result = takeover.takeover(old_install, target)
    assert (result.children, result.doses, result.unit_code) == (25, doses, "3201020401")
    assert result.backups_copied == 1
    assert tree(old_install) == before
    db = open_database(target)
    try:
        assert db.own_unit_code() == "3201020401"
        assert record.show_config(db).committees[0] == "锁金村"
    finally:
        db.close()
    assert (target.parent / "backups" / "old-backup.epibak.gz").read_bytes() == b"old backup"


def test_takeover_refuses_a_database_with_children_unless_forced(
    old_install: Path, db: Database, db_path: Path
) -> None:
    generate(db, 2, seed=9)
    db.close()
    before = hashlib.sha256(db.path.read_bytes()).hexdigest()
    with pytest.raises(ValidationError, match=r"当前数据库已有 2 个儿童个案.*--force"):
        takeover.takeover(old_install, db.path)
    assert hashlib.sha256(db.path.read_bytes()).hexdigest() == before
    result = takeover.takeover(old_install, db.path, force=True)
    assert result.previous_saved_as is not None and result.previous_saved_as.exists()
    assert takeover.inspect_previous(result.previous_saved_as).children == 2
    assert takeover.inspect_previous(db.path).children == 25


def test_takeover_refuses_folders_without_an_epimanager_database(tmp_path: Path, db_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(NotFoundError, match=r"没有找到 EpiManager 数据库"):
        takeover.takeover(tmp_path / "empty", db_path)
    other = tmp_path / "other"
    other.mkdir()
    sqlite3.connect(other / "epimanager.sqlite").execute("CREATE TABLE x (a)").connection.close()
    with pytest.raises(ValidationError, match=r"不是 EpiManager 数据库"):
        takeover.takeover(other, db_path)
    with pytest.raises(ValidationError, match=r"当前正在使用"):
        takeover.takeover(db_path.parent, db_path)


def test_detects_previous_installations_among_candidates(old_install: Path, db_path: Path, tmp_path: Path) -> None:
    found = takeover.detect_previous_installs(db_path, [old_install, db_path.parent, tmp_path / "nope"])
    assert [f.db_path for f in found] == [(old_install / "epimanager.sqlite").resolve()]
    assert "儿童 25 人" in found[0].describe() and "3201020401" in found[0].describe()
