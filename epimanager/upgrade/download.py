"""Platform-managed mode: ask the platform for the latest package and download it.

``GET <platform>/api/v1/upgrades/latest?current=<version>&unit=<code>`` answers
``{"version": "0.2.0", "url": "…zip", "size": 123, "sha256": "…"}`` (``url`` may be
relative to the platform URL).  The download resumes a ``.part`` file with an HTTP
``Range`` request after a dropped connection, then checks size and SHA-256 before the
package is handed to :func:`epimanager.upgrade.install.apply.apply_package`.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import requests

from epimanager.errors import EpiError
from epimanager.upgrade.manifest import PackageError, parse_version

LATEST_PATH = "api/v1/upgrades/latest"
_CHUNK = 64 * 1024


class DownloadError(EpiError):
    exit_code = 4


@dataclass(frozen=True)
class LatestInfo:
    version: str
    url: str
    size: int
    sha256: str
    notes: str = ""


def check_latest(
    platform_url: str,
    current: str,
    *,
    unit_code: str | None = None,
    token: str | None = None,
    timeout: float = 30,
) -> LatestInfo:
    base = platform_url.rstrip("/") + "/"
    params = {"current": current}
    if unit_code:
        params["unit"] = unit_code
    try:
        resp = requests.get(urljoin(base, LATEST_PATH), params=params, headers=_auth(token), timeout=timeout)
    except requests.RequestException as exc:
        raise DownloadError(f"无法连接平台 {platform_url}：{type(exc).__name__}") from exc
    if resp.status_code in (401, 403):
        raise DownloadError("平台拒绝了请求：令牌不正确（请在配置工具中设置平台账号和令牌）")
    if resp.status_code != 200:
        raise DownloadError(f"平台返回错误 HTTP {resp.status_code}")
    try:
        raw = resp.json()
        info = LatestInfo(
            version=str(raw["version"]),
            url=urljoin(base, str(raw["url"])),
            size=int(raw["size"]),
            sha256=str(raw["sha256"]).lower(),
            notes=str(raw.get("notes", "")),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise DownloadError("平台返回的升级信息格式不正确") from exc
    parse_version(info.version)
    if not re.fullmatch(r"[0-9a-f]{64}", info.sha256) or info.size <= 0:
        raise DownloadError("平台返回的升级信息格式不正确（大小或 SHA-256）")
    return info


def _auth(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def is_newer(info: LatestInfo, current: str) -> bool:
    return parse_version(info.version) > parse_version(current)


def download(
    info: LatestInfo,
    dest_dir: Path,
    *,
    token: str | None = None,
    attempts: int = 5,
    timeout: float = 60,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Download into ``dest_dir`` (resuming ``*.part``); return the checked file."""
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    final = dest_dir / f"EpiManager-upgrade-{info.version}.zip"
    part = final.with_name(final.name + ".part")
    if final.exists() and final.stat().st_size == info.size and _sha256(final) == info.sha256:
        return final
    last_error = ""
    for _ in range(attempts):
        have = part.stat().st_size if part.exists() else 0
        if have > info.size:
            part.unlink()
            have = 0
        if have == info.size:
            break
        headers = {**_auth(token), **({"Range": f"bytes={have}-"} if have else {})}
        try:
            with requests.get(info.url, headers=headers, stream=True, timeout=timeout) as resp:
                if resp.status_code == 206 and have:
                    mode = "ab"
                elif resp.status_code == 200:
                    mode, have = "wb", 0
                elif resp.status_code == 416:
                    part.unlink(missing_ok=True)
                    last_error = "HTTP 416"
                    continue
                else:
                    raise DownloadError(f"下载升级包失败：HTTP {resp.status_code}")
                with part.open(mode) as f:
                    for chunk in resp.iter_content(_CHUNK):
                        f.write(chunk)
                        have += len(chunk)
                        if progress:
                            progress(have, info.size)
                        if have > info.size:
                            break
        except requests.RequestException as exc:
            last_error = type(exc).__name__
            continue
        if part.exists() and part.stat().st_size >= info.size:
            break
    else:
        raise DownloadError(f"下载升级包失败（已重试 {attempts} 次：{last_error}），稍后再试会从断点继续")
    size = part.stat().st_size if part.exists() else 0
    if size != info.size:
        part.unlink(missing_ok=True)
        raise DownloadError(f"下载的升级包大小不符（{size} 字节，应为 {info.size}），已删除，请重试")
    if _sha256(part) != info.sha256:
        part.unlink(missing_ok=True)
        raise PackageError("下载的升级包 SHA-256 与平台公布的不符，已删除，请重试")
    os.replace(part, final)
    return final


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
