"""Package verification: every refusal happens before anything is written."""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from pathlib import Path

import pytest

from epimanager.upgrade import keys
from epimanager.upgrade.install.apply import apply_package
from epimanager.upgrade.install.layout import Target
from epimanager.upgrade.manifest import FileEntry, Manifest, PackageError
from epimanager.upgrade.package import MANIFEST, SIGNATURE, build_package, open_package, sign_manifest
from tests.unit.upgrade.conftest import DEV_KEY, UNIT_CSV_2027, Builder, snapshot


def crafted(
    out: Path,
    listed: dict[str, bytes],
    *,
    extra: list[tuple[zipfile.ZipInfo | str, bytes]] = (),  # type: ignore[assignment]
    version: str = "0.2.0",
) -> Path:
    """A zip whose manifest lists ``listed`` (signed with the DEV key) plus raw ``extra`` entries."""
    entries = tuple(FileEntry(n, len(b), hashlib.sha256(b).hexdigest()) for n, b in sorted(listed.items()))
    data = Manifest(version, "0.1.0", "测试", "2027-01-01", entries).to_dict()
    manifest = json.dumps(data, ensure_ascii=False).encode()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(MANIFEST, manifest)
        z.writestr(SIGNATURE, sign_manifest(manifest, keys.load_private_key(DEV_KEY)))
        for name, content in listed.items():
            z.writestr(name, content)
        for info, content in extra:
            z.writestr(info, content)
    return out


def test_built_package_verifies_and_lists_every_file_with_its_hash(builder: Builder) -> None:
    pkg = open_package(
        builder.build("0.2.0", program={"bin/app": b"x" * 10}, data={"unit_codes/2027.csv": UNIT_CSV_2027})
    )
    assert pkg.key_id == "dev-f64630dd3aac00cd"
    files = {f.path: f for f in pkg.manifest.files}
    assert set(files) == {"program/bin/app", "data/unit_codes/2027.csv"}
    assert files["program/bin/app"].size == 10
    assert files["program/bin/app"].sha256 == hashlib.sha256(b"x" * 10).hexdigest()
    assert "更新单位编码表" in pkg.manifest.notes


def test_dev_key_is_trusted_only_with_the_environment_switch(builder: Builder, monkeypatch: pytest.MonkeyPatch) -> None:
    pkg = builder.build("0.2.0", data={"a.txt": b"1"})
    monkeypatch.delenv("EPIMANAGER_DEV_KEYS")
    with pytest.raises(PackageError, match=r"签名密钥 dev-f64630dd3aac00cd 不受信任.*EPIMANAGER_DEV_KEYS=1"):
        open_package(pkg)
    monkeypatch.setenv("EPIMANAGER_DEV_KEYS", "1")
    monkeypatch.setattr("sys.frozen", True, raising=False)
    with pytest.raises(PackageError, match=r"不受信任"):
        open_package(pkg)


def test_a_changed_manifest_breaks_the_signature(builder: Builder, tmp_path: Path) -> None:
    good = builder.build("0.2.0", data={"a.txt": b"1"})
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            content = src.read(info)
            if info.filename == MANIFEST:
                content = content.replace(b'"min_version": "0.1.0"', b'"min_version": "0.0.1"')
            dst.writestr(info, content)
    with pytest.raises(PackageError, match=r"签名无效"):
        open_package(bad)


def test_a_changed_file_fails_its_hash(builder: Builder, tmp_path: Path) -> None:
    good = builder.build("0.2.0", data={"a.txt": b"hello"})
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, b"HELLO" if info.filename == "data/a.txt" else src.read(info))
    with pytest.raises(PackageError, match=r"data/a.txt 的大小或 SHA-256 与清单不符"):
        open_package(bad)


@pytest.mark.parametrize(
    "name",
    ["program/../../evil.txt", "/etc/evil.txt", "C:/evil.txt", "program\\..\\evil.txt", "data/./x", "program//x"],
)
def test_paths_escaping_the_target_are_refused_in_the_manifest(tmp_path: Path, name: str) -> None:
    pkg = crafted(tmp_path / "p.zip", {name: b"x"})
    with pytest.raises(PackageError, match=r"不安全的路径|反斜杠"):
        open_package(pkg)


@pytest.mark.parametrize("name", ["../evil.txt", "/abs.txt", "data/../../evil.txt"])
def test_unlisted_escaping_entries_are_refused(tmp_path: Path, name: str) -> None:
    pkg = crafted(tmp_path / "p.zip", {"data/a.txt": b"x"}, extra=[(name, b"evil")])
    with pytest.raises(PackageError, match=r"不安全的路径"):
        open_package(pkg)


def test_symlink_entries_are_refused(tmp_path: Path) -> None:
    link = zipfile.ZipInfo("program/link")
    link.external_attr = 0o120777 << 16
    pkg = crafted(tmp_path / "p.zip", {"data/a.txt": b"x"}, extra=[(link, b"/etc/passwd")])
    with pytest.raises(PackageError, match=r"链接或特殊文件"):
        open_package(pkg)


def test_duplicate_unlisted_and_missing_entries_are_refused(tmp_path: Path) -> None:
    with pytest.warns(UserWarning, match=r"Duplicate name"):
        dup = crafted(tmp_path / "dup.zip", {"data/a.txt": b"x"}, extra=[("data/a.txt", b"y")])
    with pytest.raises(PackageError, match=r"重复"):
        open_package(dup)
    with pytest.raises(PackageError, match=r"清单中没有的文件"):
        open_package(crafted(tmp_path / "extra.zip", {"data/a.txt": b"x"}, extra=[("data/b.txt", b"y")]))
    missing = tmp_path / "missing.zip"
    crafted(missing, {"data/a.txt": b"x"})
    with zipfile.ZipFile(missing) as src, zipfile.ZipFile(tmp_path / "m2.zip", "w") as dst:
        for info in src.infolist():
            if info.filename != "data/a.txt":
                dst.writestr(info, src.read(info))
    with pytest.raises(PackageError, match=r"不完整：缺少 data/a.txt"):
        open_package(tmp_path / "m2.zip")


def test_files_outside_the_known_sections_are_refused(tmp_path: Path) -> None:
    with pytest.raises(PackageError, match=r"未知位置"):
        open_package(crafted(tmp_path / "p.zip", {"scripts/run.bat": b"x"}))


@pytest.mark.parametrize("keep", [0.5, 0.95])
def test_truncated_zip_is_refused(builder: Builder, tmp_path: Path, keep: float) -> None:
    good = builder.build("0.2.0", program={"big.bin": os.urandom(50_000)})
    data = good.read_bytes()
    bad = tmp_path / "cut.zip"
    bad.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(PackageError, match=r"损坏或不完整"):
        open_package(bad)


def test_corrupted_bytes_inside_a_member_are_refused(builder: Builder, tmp_path: Path) -> None:
    good = builder.build("0.2.0", program={"big.bin": os.urandom(50_000)})
    data = bytearray(good.read_bytes())
    with zipfile.ZipFile(good) as z:
        info = z.getinfo("program/big.bin")
    middle = info.header_offset + 200 + 20_000
    data[middle : middle + 16] = bytes(16)
    bad = tmp_path / "corrupt.zip"
    bad.write_bytes(bytes(data))
    with pytest.raises(PackageError, match=r"损坏"):
        open_package(bad)


def test_not_a_zip_and_a_missing_file_are_refused(tmp_path: Path) -> None:
    junk = tmp_path / "junk.zip"
    junk.write_text("这不是升级包", encoding="utf-8")
    with pytest.raises(PackageError, match=r"不是有效的 zip"):
        open_package(junk)
    with pytest.raises(PackageError, match=r"不存在"):
        open_package(tmp_path / "nope.zip")


def test_refused_packages_change_nothing_on_apply(builder: Builder, target: Target, tmp_path: Path) -> None:
    before = snapshot(target)
    builder.root.mkdir(parents=True, exist_ok=True)
    evil = crafted(builder.root / "evil.zip", {"data/a.txt": b"x"}, extra=[("../../escaped.txt", b"evil")])
    with pytest.raises(PackageError):
        apply_package(evil, target)
    assert not (tmp_path.parent / "escaped.txt").exists()
    assert snapshot(target) == before


def test_build_refuses_symlinks_and_empty_sources(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "program").mkdir(parents=True)
    (src / "manifest.json").write_text('{"version": "0.2.0", "min_version": "0.1.0", "notes": "说明"}')
    with pytest.raises(PackageError, match=r"空的"):
        build_package(src, DEV_KEY, tmp_path / "out.zip")
    (src / "program" / "link").symlink_to("/etc/passwd")
    with pytest.raises(PackageError, match=r"符号链接"):
        build_package(src, DEV_KEY, tmp_path / "out.zip")
    assert not (tmp_path / "out.zip").exists()


def test_example_package_source_in_the_repository_builds(tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parents[3]
    m = build_package(repo / "upgrades" / "0.2.0", DEV_KEY, tmp_path / "0.2.0.zip")
    assert m.version == "0.2.0" and m.min_version == "0.1.0"
    assert [f.path for f in m.files] == ["data/unit_codes/2027.csv"]
    assert open_package(tmp_path / "0.2.0.zip").manifest == m
