"""Backup and restore of the clinic database.

Backups use SQLite's online backup API (a consistent snapshot while the app
keeps writing), are checked with ``PRAGMA integrity_check`` before they count,
gzip-compressed, named ``<unit code>-<YYYYmmdd-HHMMSS>.epibak.gz`` and pruned to
the newest N.  Restore verifies the file first, keeps a safety copy of the
current database, then swaps the file in atomically.

With a passphrase the compressed backup is encrypted (``.epibak.enc``): a key
derived with scrypt (n=2**15, r=8, p=1, random 16-byte salt) and AES-256-GCM
over 1 MiB chunks (STREAM construction: 7-byte random nonce prefix + 4-byte
chunk counter + 1-byte last-chunk flag; the header is authenticated with every
chunk), so a wrong passphrase, a changed byte, reordered or truncated chunks are
all refused before anything is touched.

File layout: ``MAGIC (8) | log2 n (1) | r (1) | p (1) | salt (16) | nonce prefix (7)``
then chunks ``length (4, big-endian) | ciphertext+tag``.
"""

from __future__ import annotations

import gzip
import logging
import os
import shutil
import struct
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from epimanager.domain.identifiers import is_unit_code
from epimanager.errors import DatabaseError, EpiError
from epimanager.services import permissions
from epimanager.services.config import folders
from epimanager.services.environment import disk_full, disk_full_message
from epimanager.store.database import OWN_UNIT_KEY, Database
from epimanager.store.migrate import backup_copy, known_revisions
from epimanager.store.models_reports import BackupLog
from epimanager.store.sqlite_files import DriverError, file_facts, integrity_check, online_copy, remove_sidecars

SUFFIX = ".epibak.gz"
ENC_SUFFIX = ".epibak.enc"
MAGIC = b"EPIBAK\x01E"
CHUNK = 1 << 20
KDF_LOG2_N, KDF_R, KDF_P = 15, 8, 1
WRONG_PASSPHRASE = "密码错误或备份已损坏"
_HEADER = struct.Struct(">8sBBB16s7s")
log = logging.getLogger(__name__)
DEFAULT_KEEP = 10
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    size: int
    at: datetime


def default_backup_dir(db: Database) -> Path:
    """The backup folder set in the configuration tool, else ``backups/`` next to the database."""
    return folders.backup_dir(db)


def backup(
    db: Database,
    to_dir: Path | None = None,
    *,
    keep: int = DEFAULT_KEEP,
    progress: Progress | None = None,
    now: datetime | None = None,
    passphrase: str | None = None,
) -> BackupInfo:
    """Write a verified, compressed backup (encrypted with ``passphrase``); record the attempt."""
    when = now or datetime.now()
    folder = Path(to_dir) if to_dir else default_backup_dir(db)
    unit = file_unit(db.config(OWN_UNIT_KEY))
    if passphrase is not None and not passphrase:
        raise EpiError("备份密码不能为空")
    suffix = ENC_SUFFIX if passphrase else SUFFIX
    target = folder / f"{unit}-{when:%Y%m%d-%H%M%S}{suffix}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=folder) as tmp:
            raw = Path(tmp) / "snapshot.sqlite"
            online_copy(db.path, raw, progress)
            check = integrity_check(raw)
            if check != "ok":
                raise EpiError(f"备份校验失败：{check}")
            partial = target.with_suffix(".partial")
            with raw.open("rb") as f_in, gzip.open(partial, "wb", compresslevel=6) as f_out:
                shutil.copyfileobj(f_in, f_out, 1 << 20)
            with gzip.open(partial, "rb") as f:  # the compressed file reads back
                while f.read(1 << 20):
                    pass
            if passphrase:
                sealed = target.with_suffix(".sealed")
                encrypt_file(partial, sealed, passphrase)
                partial.unlink()
                partial = sealed
            os.replace(partial, target)
    except (OSError, DriverError, EpiError) as exc:
        if disk_full(exc):
            message = disk_full_message(exc)
        else:
            message = exc.message if isinstance(exc, EpiError) else str(exc)
        _log_failure(db, message, when)
        raise (DatabaseError if disk_full(exc) else EpiError)(f"备份失败：{message}") from None
    size = target.stat().st_size
    _log(db, target, ok=True, size=size, message=None, at=when)
    log.info("backup written: %s (%d bytes, encrypted=%s)", target.name, size, bool(passphrase))
    _prune(folder, unit, keep)
    return BackupInfo(target, size, when)


def _log_failure(db: Database, message: str, at: datetime) -> None:
    """Record a failed backup for F7 — unless the database cannot be written either (the same full
    disk): then the failure is only logged, and the caller still reports the backup's own error."""
    try:
        _log(db, None, ok=False, size=None, message=message, at=at)
    except (EpiError, OSError, DriverError) as exc:
        log.warning("backup failure not recorded in the database: %s", type(exc).__name__)


def _log(db: Database, path: Path | None, *, ok: bool, size: int | None, message: str | None, at: datetime) -> None:
    with db.transaction() as s:
        s.add(BackupLog(at=at, path=str(path) if path else None, ok=ok, size=size, message=message))


def _prune(folder: Path, unit: str, keep: int) -> None:
    if keep <= 0:
        return
    for suffix in (SUFFIX, ENC_SUFFIX):
        files = sorted(folder.glob(f"{unit}-*{suffix}"))
        for old in files[:-keep]:
            old.unlink(missing_ok=True)


@dataclass(frozen=True)
class BackupStatus:
    last_ok: datetime | None
    last_path: str | None
    last_failed: datetime | None
    last_error: str | None


def status(db: Database) -> BackupStatus:
    with db.session() as s:
        ok = s.scalars(select(BackupLog).where(BackupLog.ok.is_(True)).order_by(BackupLog.id.desc()).limit(1)).first()
        last = s.scalars(select(BackupLog).order_by(BackupLog.id.desc()).limit(1)).first()
        failed = last if last is not None and not last.ok else None
        return BackupStatus(
            ok.at if ok else None,
            ok.path if ok else None,
            failed.at if failed else None,
            failed.message if failed else None,
        )


AUTO_BACKUP_KEY = "backup_on_exit_hours"
DEFAULT_AUTO_BACKUP_HOURS = 24


def auto_backup_hours(db: Database) -> int:
    """Back up on exit when the last backup is older than this many hours (0 = never)."""
    value = db.config(AUTO_BACKUP_KEY)
    return int(value) if value and value.isdigit() else DEFAULT_AUTO_BACKUP_HOURS


def backup_due(db: Database, max_age: timedelta) -> bool:
    last = status(db).last_ok
    return last is None or datetime.now() - last >= max_age


def backup_if_due(
    db: Database, max_age: timedelta = timedelta(days=1), to_dir: Path | None = None, keep: int = DEFAULT_KEEP
) -> BackupInfo | None:
    """Back up when the last successful backup is older than ``max_age`` (on exit)."""
    if not backup_due(db, max_age):
        return None
    return backup(db, to_dir, keep=keep)


@dataclass(frozen=True)
class RestoreCheck:
    unit: str | None
    revisions: frozenset[str]
    children: int


def inspect_backup(file: Path, work: Path, passphrase: str | None = None) -> RestoreCheck:
    """Decrypt/decompress ``file`` into ``work`` and check it is a sound EpiManager database."""
    source = file
    if is_encrypted(file):
        if not passphrase:
            raise EpiError(f"备份文件已加密，需要备份密码：{file.name}")
        source = work.with_suffix(".gz")
        decrypt_file(file, source, passphrase)
    try:
        with gzip.open(source, "rb") as f_in, work.open("wb") as f_out:
            shutil.copyfileobj(f_in, f_out, 1 << 20)
    except (OSError, EOFError) as exc:
        if disk_full(exc):  # the disk, not the backup: say so (the backup may be perfectly sound)
            raise DatabaseError(f"{disk_full_message()}（备份文件本身未发现问题：{file.name}）") from None
        raise EpiError(f"备份文件已损坏或不是 EpiManager 备份：{file.name}（{exc}）") from None
    try:
        check = integrity_check(work)
    except DatabaseError:
        raise EpiError(f"备份文件不是有效的数据库：{file.name}") from None
    if check != "ok":
        raise EpiError(f"备份文件完整性校验失败：{check}")
    facts = file_facts(work)
    if not facts.is_epimanager:
        raise EpiError(f"备份文件不是 EpiManager 数据库：{file.name}")
    if facts.own_unit is not None and not is_unit_code(facts.own_unit):
        raise EpiError(f"备份文件中的接种单位编码无效（应为10位数字）：{file.name}")
    return RestoreCheck(facts.own_unit, facts.revisions, facts.live_children)


def file_unit(code: str | None) -> str:
    """The unit code as it may appear in a file name: 10 digits, else ``unknown`` (never a path)."""
    return code if code and is_unit_code(code) else "unknown"


def restore(
    db: Database,
    file: Path,
    *,
    allow_other_unit: bool = False,
    passphrase: str | None = None,
    user: str | None = None,
) -> Path:
    """Replace the database with a verified backup; returns the safety copy's path.

    ``db`` is closed by this call (reopen it afterwards).  Refuses a backup from
    a newer EpiManager, and one from another unit unless ``allow_other_unit``;
    an encrypted backup needs its ``passphrase`` (a wrong one changes nothing).
    Needs the role 业务管理员.
    """
    permissions.check(db, "restore_backup")
    file = Path(file)
    if not file.exists():
        raise EpiError(f"找不到备份文件：{file}")
    own = db.config(OWN_UNIT_KEY)
    with tempfile.TemporaryDirectory(dir=db.path.parent) as tmp:
        work = Path(tmp) / "restore.sqlite"
        info = inspect_backup(file, work, passphrase)
        unknown = info.revisions - known_revisions()
        if unknown:
            raise DatabaseError("此备份由更新版本的 EpiManager 创建，请先升级程序再恢复")
        if info.unit != own and not allow_other_unit:
            raise EpiError(f"此备份属于接种单位 {info.unit}，本机为 {own}；确认无误后才能恢复（--other-unit）")
        safety = backup_copy(db.path, db.path.parent / "backups", "before-restore")
        db.close()
        remove_sidecars(db.path)
        os.replace(work, db.path)
    log.info("database restored from %s (safety copy %s)", file.name, safety.name)
    return safety


# -- encryption ---------------------------------------------------------------------------


def is_encrypted(file: Path) -> bool:
    """True if ``file`` starts with the encrypted-backup header."""
    try:
        with Path(file).open("rb") as f:
            return f.read(len(MAGIC)) == MAGIC
    except OSError:
        return False


def _derive(passphrase: str, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    if not 10 <= log2_n <= 22 or not 1 <= r <= 32 or not 1 <= p <= 16:
        raise EpiError(WRONG_PASSPHRASE)
    return Scrypt(salt=salt, length=32, n=2**log2_n, r=r, p=p).derive(passphrase.encode("utf-8"))


def _nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    return prefix + struct.pack(">I", counter) + (b"\x01" if last else b"\x00")


def encrypt_file(src: Path, dst: Path, passphrase: str) -> None:
    """Encrypt ``src`` into ``dst`` (see the module docstring for the format)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    salt, prefix = os.urandom(16), os.urandom(7)
    header = _HEADER.pack(MAGIC, KDF_LOG2_N, KDF_R, KDF_P, salt, prefix)
    aead = AESGCM(_derive(passphrase, salt, KDF_LOG2_N, KDF_R, KDF_P))
    with Path(src).open("rb") as f_in, Path(dst).open("wb") as f_out:
        f_out.write(header)
        counter = 0
        chunk = f_in.read(CHUNK)
        while True:
            following = f_in.read(CHUNK)
            last = not following
            sealed = aead.encrypt(_nonce(prefix, counter, last), chunk, header)
            f_out.write(struct.pack(">I", len(sealed)))
            f_out.write(sealed)
            if last:
                break
            chunk, counter = following, counter + 1
        f_out.flush()
        os.fsync(f_out.fileno())


def decrypt_file(src: Path, dst: Path, passphrase: str) -> None:
    """Decrypt ``src`` into ``dst``; :class:`EpiError` 密码错误或备份已损坏 on any mismatch."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    with Path(src).open("rb") as f_in:
        header = f_in.read(_HEADER.size)
        if len(header) != _HEADER.size:
            raise EpiError(WRONG_PASSPHRASE)
        magic, log2_n, r, p, salt, prefix = _HEADER.unpack(header)
        if magic != MAGIC:
            raise EpiError(WRONG_PASSPHRASE)
        aead = AESGCM(_derive(passphrase, salt, log2_n, r, p))
        try:
            with Path(dst).open("wb") as f_out:
                counter = 0
                while True:
                    raw_len = f_in.read(4)
                    if len(raw_len) != 4:
                        raise EpiError(WRONG_PASSPHRASE)  # truncated: the last chunk never came
                    (length,) = struct.unpack(">I", raw_len)
                    if length < 16 or length > CHUNK + 16:
                        raise EpiError(WRONG_PASSPHRASE)
                    sealed = f_in.read(length)
                    if len(sealed) != length:
                        raise EpiError(WRONG_PASSPHRASE)
                    last = not f_in.peek(1)
                    try:
                        f_out.write(aead.decrypt(_nonce(prefix, counter, last), sealed, header))
                    except InvalidTag:
                        raise EpiError(WRONG_PASSPHRASE) from None
                    if last:
                        break
                    counter += 1
        except EpiError:
            Path(dst).unlink(missing_ok=True)
            log.warning("encrypted backup refused: wrong passphrase or damaged file")
            raise
