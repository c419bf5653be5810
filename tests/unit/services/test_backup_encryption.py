"""Encrypted backups: round trip, and a wrong passphrase (or a damaged file) changes nothing."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from epimanager.domain.validation import ChildInput
from epimanager.errors import EpiError
from epimanager.services import backup as bk
from epimanager.services import backup_crypto
from epimanager.services.children import create_child
from epimanager.store.database import Database, open_database
from epimanager.store.models import Child

TODAY = date(2026, 11, 26)
#: the standalone file's backups (a clinic server's pg_dump backups: test_server.py)
BACKENDS = ("sqlite",)
PASS = "门诊备份-口令 2026"


def add_child(db: Database, name: str) -> str:
    return create_child(db, ChildInput(name, "1", date(2025, 1, 1), mother_name="李梅"), today=TODAY).code


def names(path: Path) -> list[str]:
    db = open_database(path)
    try:
        with db.session() as s:
            return sorted(s.scalars(select(Child.name)).all())
    finally:
        db.close()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def encrypted(db_path: Path, tmp_path: Path) -> Path:
    db = open_database(db_path)
    try:
        add_child(db, "张浩")
        info = bk.backup(db, tmp_path / "bk", passphrase=PASS, now=datetime(2026, 11, 26, 18, 0))
        add_child(db, "王芳")  # after the backup
    finally:
        db.close()
    return info.path


def test_encrypted_backup_is_named_and_unreadable_without_the_passphrase(encrypted: Path) -> None:
    assert encrypted.name == "3201020101-20261126-180000.epibak.enc"
    raw = encrypted.read_bytes()
    assert raw.startswith(bk.MAGIC)
    assert bk.is_encrypted(encrypted)
    assert raw[:2] != b"\x1f\x8b"  # not a plain gzip
    assert "张浩".encode() not in raw and b"SQLite format" not in raw


def test_round_trip_with_the_passphrase(db_path: Path, encrypted: Path) -> None:
    assert names(db_path) == sorted(["张浩", "王芳"])
    db = open_database(db_path)
    safety = bk.restore(db, encrypted, passphrase=PASS)
    assert names(db_path) == ["张浩"]
    assert safety.exists()


@pytest.mark.parametrize("passphrase", ["wrong passphrase", PASS + " "])
def test_wrong_passphrase_is_refused_and_nothing_is_touched(db_path: Path, encrypted: Path, passphrase: str) -> None:
    before = digest(db_path)
    safety_dir = db_path.parent / "backups"
    copies = set(safety_dir.glob("*")) if safety_dir.exists() else set()
    db = open_database(db_path)
    try:
        with pytest.raises(EpiError) as err:
            bk.restore(db, encrypted, passphrase=passphrase)
        assert err.value.message == "密码错误或备份已损坏"
    finally:
        db.close()
    assert digest(db_path) == before
    assert (set(safety_dir.glob("*")) if safety_dir.exists() else set()) == copies  # no safety copy either
    assert names(db_path) == sorted(["张浩", "王芳"])


def test_encrypted_backup_without_a_passphrase_asks_for_one(db_path: Path, encrypted: Path) -> None:
    db = open_database(db_path)
    try:
        with pytest.raises(EpiError, match="需要备份密码"):
            bk.restore(db, encrypted)
    finally:
        db.close()
    assert names(db_path) == sorted(["张浩", "王芳"])


def test_empty_passphrase_is_refused(db: Database, tmp_path: Path) -> None:
    with pytest.raises(EpiError, match="不能为空"):
        bk.backup(db, tmp_path, passphrase="")


def _chunks(path: Path) -> tuple[bytes, list[bytes]]:
    raw = path.read_bytes()
    header, rest, out = raw[: backup_crypto._HEADER.size], raw[backup_crypto._HEADER.size :], []
    while rest:
        n = int.from_bytes(rest[:4], "big")
        out.append(rest[: 4 + n])
        rest = rest[4 + n :]
    return header, out


def test_many_chunks_round_trip_and_tampering_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(backup_crypto, "CHUNK", 1000)
    plain = tmp_path / "plain.bin"
    plain.write_bytes(bytes(range(256)) * 20)  # 5120 bytes → 6 chunks
    sealed = tmp_path / "sealed.enc"
    bk.encrypt_file(plain, sealed, PASS)
    header, chunks = _chunks(sealed)
    assert len(chunks) == 6
    out = tmp_path / "out.bin"
    bk.decrypt_file(sealed, out, PASS)
    assert out.read_bytes() == plain.read_bytes()

    def refused(data: bytes) -> None:
        bad = tmp_path / "bad.enc"
        bad.write_bytes(data)
        with pytest.raises(EpiError, match="密码错误或备份已损坏"):
            bk.decrypt_file(bad, tmp_path / "bad.out", PASS)
        assert not (tmp_path / "bad.out").exists()

    flipped = bytearray(sealed.read_bytes())
    flipped[-5] ^= 1
    refused(bytes(flipped))  # one changed byte
    refused(header + b"".join(chunks[:-1]))  # the last chunk cut off
    refused(header + b"".join([chunks[1], chunks[0], *chunks[2:]]))  # chunks swapped
    other_salt = bytearray(header)
    other_salt[12] ^= 1
    refused(bytes(other_salt) + b"".join(chunks))  # header changed
    refused(b"")


def test_pruning_keeps_encrypted_backups_apart(db: Database, tmp_path: Path) -> None:
    folder = tmp_path / "bk"
    for d in (20, 21, 22):
        bk.backup(db, folder, keep=2, passphrase=PASS, now=datetime(2026, 11, d, 18, 0))
    bk.backup(db, folder, keep=2, now=datetime(2026, 11, 23, 18, 0))
    assert sorted(p.name for p in folder.iterdir()) == [
        "3201020101-20261121-180000.epibak.enc",
        "3201020101-20261122-180000.epibak.enc",
        "3201020101-20261123-180000.epibak.gz",
    ]
