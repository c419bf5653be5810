"""Platform-managed upgrades: ask the platform, download (resuming), check, apply."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from epimanager.upgrade.download import DownloadError, LatestInfo, check_latest, download, is_newer
from epimanager.upgrade.install.apply import apply_package
from epimanager.upgrade.install.layout import Target, current_version
from epimanager.upgrade.manifest import PackageError
from tests.unit.upgrade.conftest import UNIT_CSV_2027, Builder
from tests.unit.upgrade.server import UpgradeServer, serve


def test_download_resumes_after_the_connection_drops_halfway(builder: Builder, target: Target, tmp_path: Path) -> None:
    pkg = builder.build("0.2.0", program={"big.bin": os.urandom(600_000)}, data={"unit_codes/2027.csv": UNIT_CSV_2027})
    size = pkg.stat().st_size
    with serve(UpgradeServer(pkg, "0.2.0", drop_first=True, token="t0ken")) as srv:
        info = check_latest(srv.url, "0.1.0", unit_code="3201020101", token="t0ken")
        assert (info.version, info.size) == ("0.2.0", size)
        assert info.url == f"{srv.url}/files/package.zip"
        assert is_newer(info, "0.1.0") and not is_newer(info, "0.2.0")
        assert "current=0.1.0" in srv.latest_queries[0] and "unit=3201020101" in srv.latest_queries[0]
        path = download(info, tmp_path / "downloads", token="t0ken")
    assert srv.dropped == 1
    assert srv.ranges[0] is None
    assert srv.ranges[1] is not None and srv.ranges[1].startswith("bytes=") and srv.ranges[1] != "bytes=0-"
    resumed_from = int(srv.ranges[1].split("=")[1].rstrip("-"))
    assert 0 < resumed_from < size
    assert path.read_bytes() == pkg.read_bytes()
    assert set(srv.auth) == {"Bearer t0ken"}
    apply_package(path, target)
    assert current_version(target.install_root) == "0.2.0"


def test_wrong_token_and_unreachable_platform_are_clear_errors(builder: Builder) -> None:
    pkg = builder.build("0.2.0", data={"a.txt": b"1"})
    with serve(UpgradeServer(pkg, "0.2.0", token="right")) as srv, pytest.raises(DownloadError, match=r"令牌不正确"):
        check_latest(srv.url, "0.1.0", token="wrong")
    with pytest.raises(DownloadError, match=r"无法连接平台"):
        check_latest("http://127.0.0.1:9", "0.1.0", timeout=2)


def test_a_download_with_the_wrong_hash_is_deleted(builder: Builder, tmp_path: Path) -> None:
    pkg = builder.build("0.2.0", data={"a.txt": b"1"})
    with serve(UpgradeServer(pkg, "0.2.0")) as srv:
        real = check_latest(srv.url, "0.1.0")
        wrong = LatestInfo(real.version, real.url, real.size, hashlib.sha256(b"other").hexdigest())
        with pytest.raises(PackageError, match=r"SHA-256 与平台公布的不符"):
            download(wrong, tmp_path / "dl")
        short = LatestInfo(real.version, real.url, real.size + 10, real.sha256)
        with pytest.raises(DownloadError, match=r"大小不符|下载升级包失败"):
            download(short, tmp_path / "dl2", attempts=2)
    assert not list((tmp_path / "dl").iterdir())
