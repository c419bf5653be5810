"""``epimanager upgrade …`` and ``epimanager config …`` in real subprocesses."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tests.helpers.cli import REPO, run_cli
from tests.unit.upgrade.server import UpgradeServer, serve

DEV_KEY = REPO / "tests" / "keys" / "dev-upgrade-key.pem"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def package(tmp_path: Path) -> Path:
    out = tmp_path / "EpiManager-0.2.0.zip"
    r = run_cli("upgrade", "build", REPO / "upgrades" / "0.2.0", "--key", DEV_KEY, "--out", out)
    assert r.returncode == 0, r.stderr
    assert "已制作升级包" in r.stdout and "版本 0.2.0" in r.stdout
    return out


DEV = {"EPIMANAGER_DEV_KEYS": "1"}


def test_apply_history_rollback(package: Path, db_path: Path, tmp_path: Path) -> None:
    root = tmp_path / "install"
    before = sha(db_path)
    r = run_cli("upgrade", "apply", package, "--install-root", root, db=db_path, env=DEV)
    assert r.returncode == 0, r.stderr
    assert "已从 0.1.0 升级到 0.2.0" in r.stdout
    assert "[100%]" in r.stdout and "参考数据已更新：unit_codes/2027.csv" in r.stdout
    assert "2027 年单位编码表" in r.stdout  # the release notes
    r = run_cli("config", "units", "徐庄", db=db_path)
    assert "2027 年单位编码表，1 个单位" in r.stdout and "3201021301" in r.stdout
    r = run_cli("upgrade", "history", "--install-root", root, "--json", db=db_path)
    hist = json.loads(r.stdout)
    assert hist["current"] == "0.2.0" and [e["action"] for e in hist["history"]] == ["apply"]
    r = run_cli("upgrade", "rollback", "--install-root", root, db=db_path)
    assert r.returncode == 0, r.stderr
    assert "已从 0.2.0 回滚到 0.1.0" in r.stdout
    assert sha(db_path) == before
    r = run_cli("config", "units", "徐庄", db=db_path)
    assert "2026 年单位编码表，0 个单位" in r.stdout


def test_refusals_print_chinese_errors_exit_non_zero_and_change_nothing(
    package: Path, db_path: Path, tmp_path: Path
) -> None:
    root = tmp_path / "install"
    before = sha(db_path)
    r = run_cli("upgrade", "apply", package, "--install-root", root, db=db_path)
    assert r.returncode == 2 and "错误：升级包的签名密钥" in r.stderr and "不受信任" in r.stderr
    r = run_cli(
        "upgrade",
        "apply",
        package,
        "--install-root",
        root,
        db=db_path,
        env={**DEV, "EPIMANAGER_UPGRADE_REQUIRED_FREE": str(10**18)},
    )
    assert r.returncode == 4 and "错误：磁盘空间不足" in r.stderr
    broken = tmp_path / "broken.zip"
    broken.write_bytes(package.read_bytes()[:-40])
    r = run_cli("upgrade", "apply", broken, "--install-root", root, db=db_path, env=DEV)
    assert r.returncode == 2 and "损坏或不完整" in r.stderr
    assert sha(db_path) == before
    assert not root.exists()
    r = run_cli("upgrade", "rollback", "--install-root", root, db=db_path)
    assert r.returncode != 0 and "没有可以回滚的升级" in r.stderr


def test_check_downloads_from_the_platform_and_applies(package: Path, db_path: Path, tmp_path: Path) -> None:
    root = tmp_path / "install"
    r = run_cli(
        "config",
        "platform",
        "--url",
        "http://127.0.0.1:1",
        "--user",
        "xw01",
        "--token-stdin",
        db=db_path,
        stdin="s3cret-token\n",
    )
    assert r.returncode == 0, r.stderr
    assert "s3cret" not in r.stdout
    with serve(UpgradeServer(package, "0.2.0", drop_first=True, token="s3cret-token")) as srv:
        r = run_cli("upgrade", "check", "--url", srv.url, "--install-root", root, db=db_path, env=DEV)
        assert r.returncode == 0, r.stderr
        assert "平台上有新版本 0.2.0" in r.stdout and "已从 0.1.0 升级到 0.2.0" in r.stdout
        assert srv.dropped == 1 and len(srv.ranges) == 2  # dropped once, fetched again
        r = run_cli("upgrade", "check", "--url", srv.url, "--install-root", root, db=db_path, env=DEV)
        assert "已是最新版本（0.2.0）" in r.stdout
    r = run_cli("config", "show", db=db_path)
    assert "xw01" in r.stdout and "s3cret" not in r.stdout and "已设置" in r.stdout


def test_config_unit_from_the_list_and_committees(tmp_path: Path) -> None:
    db = tmp_path / "new.sqlite"
    r = run_cli("config", "unit", "--code", "3201029999", db=db)
    assert r.returncode == 2 and "不在 2026 年单位编码表中" in r.stderr
    r = run_cli("config", "unit", "--code", "3201020401", db=db)
    assert r.returncode == 0, r.stderr
    assert "3201020401 玄武区锁金村社区卫生服务中心预防接种门诊" in r.stdout
    r = run_cli("config", "committee", "add", "锁金村", "板仓社区", db=db)
    assert r.returncode == 0, r.stderr
    r = run_cli("config", "committee", "rename", "板仓社区", "板仓街社区", db=db)
    assert "板仓社区 → 板仓街社区" in r.stdout
    r = run_cli("config", "committee", "disable", "锁金村", db=db)
    assert "已停用" in r.stdout
    r = run_cli("config", "committee", "list", db=db)
    assert r.stdout.splitlines() == ["01  锁金村（已停用）", "02  板仓街社区"]
    r = run_cli("config", "unit", "--code", "3201029999", "--name", "新设接种点", "--allow-unlisted", db=db)
    assert r.returncode == 0 and "注意：单位编码 3201029999 不在 2026 年单位编码表中" in r.stderr
