"""Checks before anything changes: the package (signature, hashes, versions) and the free disk space."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

from epimanager.upgrade.install.layout import Target, UpgradeError, current_version
from epimanager.upgrade.manifest import PackageError, parse_version
from epimanager.upgrade.package import VerifiedPackage, open_package

REQUIRED_FREE_ENV = "EPIMANAGER_UPGRADE_REQUIRED_FREE"


_MARGIN = 1.25


_SLACK = 32 * 1024 * 1024


def check_package(pkg_path: Path, target: Target) -> VerifiedPackage:
    """Verify the package and that it fits this installation (no changes anywhere)."""
    pkg = open_package(pkg_path)
    m = pkg.manifest
    current = current_version(target.install_root)
    if parse_version(m.version) == parse_version(current):
        raise PackageError(f"版本 {m.version} 已经安装，无需重复升级")
    if parse_version(m.version) < parse_version(current):
        raise PackageError(f"升级包版本 {m.version} 低于当前版本 {current}，不能降级。升级未进行，未做任何改动")
    if parse_version(current) < parse_version(m.min_version):
        raise PackageError(
            f"此升级包只能从 {m.min_version} 或更高版本升级，当前版本为 {current}；"
            "请先安装中间版本的升级包。升级未进行，未做任何改动"
        )
    return pkg


def _existing(path: Path) -> Path:
    path = Path(path).absolute()
    while not path.exists() and path.parent != path:
        path = path.parent
    return path


def required_space(pkg: VerifiedPackage, target: Target) -> int:
    env = os.environ.get(REQUIRED_FREE_ENV)
    if env:
        return int(env)
    db_size = target.db_path.stat().st_size if target.db_path.exists() else 0
    return int((pkg.manifest.unpacked_size + 2 * db_size) * _MARGIN) + _SLACK


def check_disk_space(needed: int, target: Target, free: Callable[[Path], int] | None = None) -> None:
    free_fn = free or (lambda p: shutil.disk_usage(p).free)
    for place in (target.install_root, target.db_path.parent, target.overrides_root):
        available = free_fn(_existing(place))
        if available < needed:
            raise UpgradeError(
                f"磁盘空间不足：升级需要约 {needed / 1048576:.0f} MB 可用空间，"
                f"{_existing(place)} 所在磁盘只有 {available / 1048576:.0f} MB。升级未进行，未做任何改动"
            )
