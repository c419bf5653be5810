"""The manifest of an upgrade package (``manifest.json``) and version numbers.

Source form (``upgrades/<version>/manifest.json``)::

    {"version": "0.2.0", "min_version": "0.1.0", "released": "2027-01-04",
     "notes": "本升级包……"}

Built form (inside the zip) adds ``format``, ``product`` and ``files``: every file of the
package with its ``size`` and ``sha256``.  The signature covers the manifest bytes, so it
covers every file through its hash.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from epimanager.errors import EpiError

FORMAT = 1
PRODUCT = "EpiManager"
_VERSION = re.compile(r"^(\d{1,4})\.(\d{1,4})\.(\d{1,4})$")
# What a package may carry, by top-level folder.
SECTIONS = ("program", "migrations", "data")


class PackageError(EpiError):
    """An upgrade package was refused (nothing was changed)."""

    exit_code = 2


def parse_version(text: str) -> tuple[int, int, int]:
    m = _VERSION.match(text or "")
    if not m:
        raise PackageError(f"版本号格式不正确：“{text}”（应为 主.次.修订，如 0.2.0）")
    return int(m.group(1)), int(m.group(2)), int(m.group(3))


def path_problem(name: str) -> str | None:
    """Why ``name`` may not be written under a target folder (None when it is safe)."""
    if not name or "\x00" in name:
        return "空的文件名"
    if "\\" in name:
        return f"文件名含反斜杠：{name}"
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return f"绝对路径：{name}"
    parts = name.rstrip("/").split("/")
    if any(p in ("", ".", "..") for p in parts):
        return f"路径越出目标文件夹：{name}"
    for part in parts:
        problem = windows_problem(part)
        if problem:
            return f"{problem}（程序也装在 Windows 上）：{name}"
    return None


#: Device names Windows reserves in every folder, with or without an extension (``CON.txt``).
_RESERVED = re.compile(r"^(?:CON|PRN|AUX|NUL|CONIN\$|CONOUT\$|COM[0-9¹²³]|LPT[0-9¹²³])(?:\.[^.]*)*$", re.IGNORECASE)
_FORBIDDEN_CHARS = frozenset('<>:"|?*')


def windows_problem(part: str) -> str | None:
    """Why one file or folder name cannot exist on Windows (None when it can)."""
    if _RESERVED.match(part):
        return f"文件名 {part} 是 Windows 保留的设备名"
    bad = sorted({c for c in part if c in _FORBIDDEN_CHARS or ord(c) < 32})
    if bad:
        return f"文件名 {part!r} 含 Windows 不允许的字符 {''.join(bad)!r}"
    if part.endswith((".", " ")):
        return f"文件名 {part!r} 以点或空格结尾（Windows 会改掉它）"
    return None


def folder_conflict(paths: list[str]) -> str | None:
    """A path that is also used as a folder by another path (``a`` and ``a/b``), compared as Windows would."""
    files = {p.casefold() for p in paths}
    for path in paths:
        parts = path.casefold().split("/")
        for i in range(1, len(parts)):
            if "/".join(parts[:i]) in files:
                return "/".join(path.split("/")[:i])
    return None


@dataclass(frozen=True)
class FileEntry:
    path: str
    size: int
    sha256: str

    @property
    def section(self) -> str:
        return self.path.split("/", 1)[0]


@dataclass(frozen=True)
class Manifest:
    version: str
    min_version: str
    notes: str
    released: str
    files: tuple[FileEntry, ...]

    @property
    def unpacked_size(self) -> int:
        return sum(f.size for f in self.files)

    def section(self, name: str) -> tuple[FileEntry, ...]:
        return tuple(f for f in self.files if f.section == name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "product": PRODUCT,
            "version": self.version,
            "min_version": self.min_version,
            "released": self.released,
            "notes": self.notes,
            "files": [{"path": f.path, "size": f.size, "sha256": f.sha256} for f in self.files],
        }

    def to_bytes(self) -> bytes:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> Manifest:
        try:
            raw = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise PackageError(f"升级包清单无法解析：{exc}") from exc
        if not isinstance(raw, dict) or raw.get("product") != PRODUCT or raw.get("format") != FORMAT:
            raise PackageError("不是 EpiManager 升级包，或升级包格式版本不受支持")
        return cls.from_dict(raw, built=True)

    @classmethod
    def from_dict(cls, raw: dict[str, Any], *, built: bool) -> Manifest:
        version = str(raw.get("version", ""))
        min_version = str(raw.get("min_version", ""))
        parse_version(version)
        parse_version(min_version)
        notes = raw.get("notes", "")
        if not isinstance(notes, str) or not notes.strip():
            raise PackageError("升级包清单缺少更新说明（notes）")
        files: list[FileEntry] = []
        if built:
            seen: set[str] = set()
            for item in raw.get("files", []):
                if not isinstance(item, dict):
                    raise PackageError("升级包清单的文件列表格式不正确")
                path, size, digest = item.get("path"), item.get("size"), item.get("sha256")
                if not isinstance(path, str) or not isinstance(size, int) or size < 0:
                    raise PackageError("升级包清单的文件列表格式不正确")
                if not isinstance(digest, str) or not re.fullmatch(r"[0-9a-f]{64}", digest):
                    raise PackageError(f"升级包清单中 {path} 的 SHA-256 格式不正确")
                problem = path_problem(path)
                if problem:
                    raise PackageError(f"升级包含不安全的路径，已拒绝：{problem}")
                if path.split("/", 1)[0] not in SECTIONS or "/" not in path:
                    raise PackageError(f"升级包含未知位置的文件：{path}")
                if path.casefold() in seen:
                    raise PackageError(f"升级包清单中文件重复：{path}")
                seen.add(path.casefold())
                files.append(FileEntry(path, size, digest))
            conflict = folder_conflict([f.path for f in files])
            if conflict:
                raise PackageError(f"升级包中 {conflict} 既是文件又是文件夹，已拒绝")
        return cls(version, min_version, notes.strip(), str(raw.get("released", "")), tuple(files))
