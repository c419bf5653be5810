"""Build, sign and verify upgrade packages (one zip, Ed25519-signed manifest).

Zip layout::

    manifest.json          the manifest (see :mod:`epimanager.upgrade.manifest`)
    manifest.sig           {"algorithm": "ed25519", "key_id": "...", "signature": base64}
    program/...            program files → <install root>/versions/<version>/
    migrations/NNNN_x.py   Alembic revisions, applied to a copy of the database
    data/...               reference data (unit_codes/<year>.csv, vaccines.json, schedules/…)

:func:`open_package` checks everything before a single byte is written anywhere: zip
integrity, signature, every entry name (no ``..``, absolute paths, links, duplicates,
unlisted or missing files), every size and every SHA-256.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
import zipfile
import zlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from epimanager.upgrade import keys
from epimanager.upgrade.manifest import SECTIONS, FileEntry, Manifest, PackageError, path_problem

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
_MAX_META = 4 * 1024 * 1024
_CHUNK = 1024 * 1024


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


# ---------------------------------------------------------------- building


def sign_manifest(manifest_bytes: bytes, private: Ed25519PrivateKey) -> bytes:
    sig = {
        "algorithm": "ed25519",
        "key_id": keys.signing_key_id(private),
        "signature": base64.b64encode(private.sign(manifest_bytes)).decode(),
    }
    return json.dumps(sig, indent=1).encode()


def write_package(out: Path, manifest_bytes: bytes, signature: bytes, files: dict[str, Path | bytes]) -> Path:
    """Write the zip (``files``: name in zip → source file or bytes), via a temp file."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr(MANIFEST, manifest_bytes)
        z.writestr(SIGNATURE, signature)
        for name in sorted(files):
            src = files[name]
            if isinstance(src, bytes):
                z.writestr(name, src)
            else:
                z.write(src, name)
    os.replace(tmp, out)
    return out


def _source_files(source: Path) -> dict[str, Path]:
    files: dict[str, Path] = {}
    for section in SECTIONS:
        root = source / section
        if not root.exists():
            continue
        for path in sorted(root.rglob("*")):
            if path.is_symlink():
                raise PackageError(f"升级包源文件夹中不能有符号链接：{path}")
            if path.is_dir() or "__pycache__" in path.parts:
                continue
            name = path.relative_to(source).as_posix()
            if section == "migrations" and (path.parent != root or path.suffix != ".py"):
                continue
            files[name] = path
    return files


def build_package(source: Path, key_path: Path, out: Path) -> Manifest:
    """``upgrades/<version>/`` → a signed zip at ``out``."""
    source = Path(source)
    try:
        raw = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PackageError(f"升级包源文件夹中没有 {MANIFEST}：{source}") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise PackageError(f"无法读取 {source / MANIFEST}：{exc}") from exc
    if not isinstance(raw, dict):
        raise PackageError(f"{source / MANIFEST} 应为 JSON 对象")
    private = keys.load_private_key(key_path)
    files = _source_files(source)
    if not files:
        raise PackageError("升级包是空的：program/、migrations/、data/ 下没有任何文件")
    entries = tuple(FileEntry(name, p.stat().st_size, sha256_file(p)) for name, p in sorted(files.items()))
    base = Manifest.from_dict(raw, built=False)
    manifest = Manifest(base.version, base.min_version, base.notes, base.released or date.today().isoformat(), entries)
    data = manifest.to_bytes()
    Manifest.from_bytes(data)  # the same checks the client makes
    write_package(out, data, sign_manifest(data, private), dict(files))
    return manifest


# ---------------------------------------------------------------- verifying


@dataclass(frozen=True)
class VerifiedPackage:
    path: Path
    manifest: Manifest
    key_id: str
    sha256: str


def _open_zip(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except FileNotFoundError:
        raise PackageError(f"升级包文件不存在：{path}") from None
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise PackageError(f"升级包已损坏或不完整（不是有效的 zip 文件）：{path.name}") from exc


def _read_meta(z: zipfile.ZipFile, name: str) -> bytes:
    try:
        info = z.getinfo(name)
    except KeyError:
        raise PackageError(f"不是 EpiManager 升级包（缺少 {name}）") from None
    if info.file_size > _MAX_META:
        raise PackageError(f"升级包的 {name} 过大")
    try:
        return z.read(info)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise PackageError(f"升级包已损坏或不完整：无法读取 {name}") from exc


def _check_signature(manifest_bytes: bytes, sig_bytes: bytes, trusted: dict[str, Ed25519PublicKey]) -> str:
    try:
        sig = json.loads(sig_bytes.decode("utf-8"))
        kid, algorithm = str(sig["key_id"]), sig["algorithm"]
        signature = base64.b64decode(sig["signature"], validate=True)
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise PackageError("升级包签名格式不正确，已拒绝") from exc
    if algorithm != "ed25519":
        raise PackageError(f"升级包签名算法不受支持：{algorithm}")
    public = trusted.get(kid)
    if public is None:
        hint = "（开发密钥只在 EPIMANAGER_DEV_KEYS=1 的开发环境中受信任）" if kid.startswith("dev-") else ""
        raise PackageError(f"升级包的签名密钥 {kid} 不受信任，已拒绝{hint}")
    try:
        public.verify(signature, manifest_bytes)
    except InvalidSignature:
        raise PackageError("升级包签名无效（文件被改动或签名不符），已拒绝") from None
    return kid


def _check_entries(z: zipfile.ZipFile, manifest: Manifest) -> None:
    listed = {f.path: f for f in manifest.files}
    seen: set[str] = set()
    for info in z.infolist():
        name = info.filename
        problem = path_problem(name)
        if problem:
            raise PackageError(f"升级包含不安全的路径，已拒绝：{problem}")
        mode = info.external_attr >> 16
        kind = stat.S_IFMT(mode)
        if kind and kind not in (stat.S_IFREG, stat.S_IFDIR):
            raise PackageError(f"升级包含链接或特殊文件，已拒绝：{name}")
        key = name.rstrip("/").casefold()
        if key in seen:
            raise PackageError(f"升级包中文件重复：{name}")
        seen.add(key)
        if info.is_dir() or name in (MANIFEST, SIGNATURE):
            continue
        entry = listed.get(name)
        if entry is None:
            raise PackageError(f"升级包含清单中没有的文件，已拒绝：{name}")
        if info.file_size != entry.size:
            raise PackageError(f"升级包已损坏：{name} 的大小与清单不符")
    missing = [p for p in listed if p.casefold() not in seen]
    if missing:
        raise PackageError(f"升级包不完整：缺少 {missing[0]}")
    for entry in manifest.section("migrations"):
        if entry.path.count("/") != 1 or not entry.path.endswith(".py"):
            raise PackageError(f"升级包的数据库迁移文件位置不正确：{entry.path}")


def open_package(path: Path, trusted: dict[str, Ed25519PublicKey] | None = None) -> VerifiedPackage:
    """Verify ``path`` completely; raise :class:`PackageError` (Chinese) on any problem."""
    path = Path(path)
    if trusted is None:
        trusted = keys.trusted_keys()
    with _open_zip(path) as z:
        manifest_bytes = _read_meta(z, MANIFEST)
        kid = _check_signature(manifest_bytes, _read_meta(z, SIGNATURE), trusted)
        manifest = Manifest.from_bytes(manifest_bytes)
        _check_entries(z, manifest)
        for entry in manifest.files:
            _hash_only(z, entry)
    return VerifiedPackage(path, manifest, kid, sha256_file(path))


def _hash_only(z: zipfile.ZipFile, entry: FileEntry) -> None:
    h = hashlib.sha256()
    total = 0
    try:
        with z.open(entry.path) as f:
            while chunk := f.read(_CHUNK):
                total += len(chunk)
                if total > entry.size:
                    break
                h.update(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, KeyError) as exc:
        raise PackageError(f"升级包已损坏或不完整：无法读取 {entry.path}") from exc
    if total != entry.size or h.hexdigest() != entry.sha256:
        raise PackageError(f"升级包已损坏：{entry.path} 的大小或 SHA-256 与清单不符")


def extract_section(pkg: VerifiedPackage, section: str, target: Path, strip: bool = True) -> list[Path]:
    """Write the files of ``section`` under ``target`` (each re-hashed while reading)."""
    written: list[Path] = []
    target = Path(target)
    with _open_zip(pkg.path) as z:
        for entry in pkg.manifest.section(section):
            rel = entry.path.split("/", 1)[1] if strip else entry.path
            dest = target.joinpath(*rel.split("/"))
            dest.resolve().relative_to(target.resolve())  # belt and braces: stays inside target
            h = hashlib.sha256()
            total = 0
            try:
                dest.parent.mkdir(parents=True, exist_ok=True)
                with z.open(entry.path) as src, dest.open("wb") as out:
                    while chunk := src.read(_CHUNK):
                        total += len(chunk)
                        if total > entry.size:
                            break
                        h.update(chunk)
                        out.write(chunk)
            except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
                raise PackageError(f"升级包已损坏或不完整：无法读取 {entry.path}") from exc
            except (IsADirectoryError, NotADirectoryError, FileExistsError) as exc:
                raise PackageError(
                    f"升级包中的 {entry.path} 与已安装的同名文件夹或文件冲突，已拒绝。升级未进行，未做任何改动"
                ) from exc
            if total != entry.size or h.hexdigest() != entry.sha256:
                raise PackageError(f"升级包已损坏：{entry.path} 的大小或 SHA-256 与清单不符")
            written.append(dest)
    return written
