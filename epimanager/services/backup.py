"""Backup and restore of the clinic database.

Backups use SQLite's online backup API (a consistent snapshot while the app
keeps writing), are checked with ``PRAGMA integrity_check`` before they count,
gzip-compressed, named ``<unit code>-<YYYYmmdd-HHMMSS>.epibak.gz`` and pruned to
the newest N.  Restore verifies the file first, keeps a safety copy of the
current database, then swaps the file in atomically.

Temporary files (the snapshot, a restore's decompressed database) live in ``tmp/`` in the
data folder (:mod:`epimanager.store.scratch`), never on the backup target, and are removed at
the next start when a job was killed.  The target only ever holds the compressed backup under
a hidden ``.partial`` name until it is complete — encrypted when the backup is
(:mod:`epimanager.services.backup_crypto`: gzip writes straight into the encryption, a
restore decompresses straight out of the decryption).  A restore reads the decompressed
database's own header first and writes no more than the size it declares, and no more than
the disk can hold: a "gzip bomb" is refused before it fills the disk.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from epimanager.domain.identifiers import is_unit_code
from epimanager.errors import DatabaseError, EpiError
from epimanager.faults import pause_point
from epimanager.services import permissions
from epimanager.services.backup_changes import MARK_KEY, change_mark
from epimanager.services.backup_crypto import (
    CHUNK,
    MAGIC,
    WRONG_PASSPHRASE,
    OpeningReader,
    SealingWriter,
    decrypt_file,
    encrypt_file,
    is_encrypted,
)
from epimanager.services.config import folders
from epimanager.services.environment import disk_full, disk_full_message
from epimanager.store import pg_files
from epimanager.store.database import OWN_UNIT_KEY, Database, set_config
from epimanager.store.migrate import known_revisions
from epimanager.store.models_reports import BackupLog
from epimanager.store.scratch import clean_legacy, clean_partials, clean_scratch, partial_name, scratch
from epimanager.store.sqlite_files import (
    HEADER_SIZE,
    DriverError,
    declared_size,
    file_facts,
    in_use,
    integrity_check,
    online_copy,
    remove_sidecars,
    safety_copy,
    users_state,
)

__all__ = ["MAGIC", "WRONG_PASSPHRASE", "decrypt_file", "encrypt_file", "is_encrypted"]

SUFFIX = ".epibak.gz"
ENC_SUFFIX = ".epibak.enc"
#: A clinic server's backup: pg_dump's custom format (restored with `epimanager server restore`).
PG_SUFFIX = ".pgdump"
PG_ENC_SUFFIX = ".pgdump.enc"
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


def target_path(db: Database, when: datetime, to_dir: Path | None = None, *, encrypted: bool = False) -> Path:
    """The file a backup taken at ``when`` is written to (so a message can name it beforehand)."""
    folder = Path(to_dir) if to_dir else default_backup_dir(db)
    unit = file_unit(db.config(OWN_UNIT_KEY))
    return folder / f"{unit}-{when:%Y%m%d-%H%M%S}{ENC_SUFFIX if encrypted else SUFFIX}"


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
    if db.server is not None:
        return _server_backup(db, folder, unit, when, keep, passphrase)
    target = target_path(db, when, folder, encrypted=bool(passphrase))
    mark = change_mark(db)  # before the snapshot: a change made while copying still counts afterwards
    try:
        folder.mkdir(parents=True, exist_ok=True)
        clean_partials(folder)
        clean_legacy(folder)
        with scratch(db.path, "backup") as tmp:  # the snapshot beside the database, not on the target
            raw = tmp / "snapshot.sqlite"
            online_copy(db.path, raw, progress)
            check = integrity_check(raw)
            if check != "ok":
                raise EpiError(f"备份校验失败：{check}")
            pause_point("backup-after-snapshot")
            partial = partial_name(target)
            try:
                _write_compressed(raw, partial, passphrase)
                pause_point("backup-before-rename")
                with _open_backup(partial, passphrase) as f:  # the written file reads back
                    while f.read(CHUNK):
                        pass
                os.replace(partial, target)
            finally:
                partial.unlink(missing_ok=True)
    except (OSError, DriverError, EpiError) as exc:
        if disk_full(exc):
            message = disk_full_message(exc)
        else:
            message = exc.message if isinstance(exc, EpiError) else str(exc)
        _log_failure(db, message, when)
        raise (DatabaseError if disk_full(exc) else EpiError)(f"备份失败：{message}") from None
    size = target.stat().st_size
    _log(db, target, ok=True, size=size, message=None, at=when, mark=mark)
    log.info("backup written: %s (%d bytes, encrypted=%s)", target.name, size, bool(passphrase))
    _prune(folder, unit, keep)
    return BackupInfo(target, size, when)


def _server_backup(
    db: Database, folder: Path, unit: str, when: datetime, keep: int, passphrase: str | None
) -> BackupInfo:
    """A clinic server's backup: a custom-format ``pg_dump`` (compressed by pg_dump), checked by reading
    its table of contents back, encrypted with ``passphrase``, written under a temporary name, then renamed."""
    assert db.server is not None
    target = folder / f"{unit}-{when:%Y%m%d-%H%M%S}{PG_ENC_SUFFIX if passphrase else PG_SUFFIX}"
    partial = folder / (target.name + ".partial")
    sealed = folder / (target.name + ".sealed")
    mark = change_mark(db)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        pg_files.dump(db.server, partial)
        check = pg_files.check_dump(partial)
        if check != "ok":
            raise EpiError(f"备份校验失败：{check}")
        if passphrase:
            encrypt_file(partial, sealed, passphrase)
            partial.unlink()
            partial = sealed
        os.replace(partial, target)
    except (OSError, EpiError) as exc:
        for left in (partial, sealed):
            with contextlib.suppress(OSError):
                left.unlink(missing_ok=True)
        message = exc.message if isinstance(exc, EpiError) else str(exc)
        _log(db, None, ok=False, size=None, message=message, at=when)
        raise EpiError(f"备份失败：{message}") from None
    size = target.stat().st_size
    _log(db, target, ok=True, size=size, message=None, at=when, mark=mark)
    log.info("server backup written: %s (%d bytes)", target.name, size)
    _prune(folder, unit, keep)
    return BackupInfo(target, size, when)


def _write_compressed(raw: Path, out_path: Path, passphrase: str | None) -> None:
    """gzip ``raw`` into ``out_path``, through the encryption when there is a passphrase."""
    with raw.open("rb") as f_in, out_path.open("wb") as out:
        sealer = SealingWriter(out, passphrase) if passphrase else None
        with gzip.GzipFile(filename="", mode="wb", fileobj=sealer or out, compresslevel=6) as gz:
            shutil.copyfileobj(f_in, gz, CHUNK)
        if sealer is not None:
            sealer.close()  # seals the last chunk
        out.flush()
        os.fsync(out.fileno())


@contextmanager
def _open_backup(file: Path, passphrase: str | None) -> Iterator[gzip.GzipFile]:
    """The decompressed stream of a backup file (decrypted on the fly when encrypted)."""
    with Path(file).open("rb") as raw:
        source = io.BufferedReader(OpeningReader(raw, passphrase), CHUNK) if passphrase is not None else raw
        if source.peek(2)[:2] != b"\x1f\x8b":
            raise EpiError(f"备份文件已损坏或不是 EpiManager 备份：{Path(file).name}（不是 gzip 压缩文件）")
        with gzip.GzipFile(fileobj=source, mode="rb") as gz:
            yield gz


def clean_leftovers(db: Database) -> int:
    """At start-up: remove what killed backups and restores left (``tmp/``, ``.partial`` files, and
    the ``tmpXXXXXXXX/`` folders of versions before ``tmp/``)."""
    if db.server is not None:  # a clinic server: only this desk's backup folder has partial files
        return clean_partials(default_backup_dir(db))
    removed = clean_scratch(db.path) + clean_legacy(db.path.parent)
    for folder in {default_backup_dir(db), db.path.parent / "backups"}:
        removed += clean_partials(folder) + clean_legacy(folder)
    return removed


def _log_failure(db: Database, message: str, at: datetime) -> None:
    """Record a failed backup for F7 — unless the database cannot be written either (the same full
    disk): then the failure is only logged, and the caller still reports the backup's own error."""
    try:
        _log(db, None, ok=False, size=None, message=message, at=at)
    except (EpiError, OSError, DriverError) as exc:
        log.warning("backup failure not recorded in the database: %s", type(exc).__name__)


def _log(
    db: Database,
    path: Path | None,
    *,
    ok: bool,
    size: int | None,
    message: str | None,
    at: datetime,
    mark: str | None = None,
) -> None:
    with db.transaction() as s:
        s.add(BackupLog(at=at, path=str(path) if path else None, ok=ok, size=size, message=message))
        if mark is not None:
            set_config(s, MARK_KEY, mark)


def _prune(folder: Path, unit: str, keep: int) -> None:
    if keep <= 0:
        return
    for suffix in (SUFFIX, ENC_SUFFIX, PG_SUFFIX, PG_ENC_SUFFIX):
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
    """0 switches the backup on exit off; any other value leaves it on (it runs whenever anything
    changed since the last backup, see :func:`changed_since_backup`)."""
    value = db.config(AUTO_BACKUP_KEY)
    return int(value) if value and value.isdigit() else DEFAULT_AUTO_BACKUP_HOURS


def changed_since_backup(db: Database) -> bool:
    """True when there is no backup yet, or anything a backup keeps changed since the last one."""
    if status(db).last_ok is None:
        return True
    stored = db.config(MARK_KEY)
    return stored is None or stored != change_mark(db)


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
    users: int = 0


#: Room kept free on the data folder's disk beyond the restored database's own size.
RESTORE_MARGIN = 16 * 1024 * 1024
IN_USE = "数据库正被其他程序使用（请先关闭其他 EpiManager 窗口和命令），恢复未进行，未做任何改动"
NO_USERS = (
    "此备份中没有任何用户账号：恢复后将不再需要登录，任何人都能建立新的系统管理员。"
    "恢复后的用户就是备份中的用户，当前的用户账号不会保留。"
    "确需恢复，须由系统管理员确认（命令行 --no-users）"
)


class NoUsersInBackup(EpiError):
    """The backup has no user account: restoring it would turn login off (needs a 系统管理员's confirmation)."""


def _free_space(folder: Path) -> int:
    return shutil.disk_usage(folder).free


def _decompress(file: Path, work: Path, passphrase: str | None, free_space: Callable[[Path], int]) -> None:
    """Decompress (and decrypt) ``file`` into ``work``, no more than the database inside says it is.

    The first 100 bytes are the SQLite header: its page size × page count is the size the
    file must have.  That size must fit on the disk, and a stream that goes on beyond it is
    refused before another chunk is written.
    """
    name = Path(file).name
    try:
        with _open_backup(file, passphrase) as f_in:
            head = f_in.read(HEADER_SIZE)
            size = declared_size(head)
            if size is None:
                raise EpiError(f"备份文件不是 EpiManager 备份（解压后不是有效的数据库）：{name}")
            free = free_space(work.parent)
            if size + RESTORE_MARGIN > free:
                raise DatabaseError(
                    f"磁盘空间不足：恢复此备份需要约 {(size + RESTORE_MARGIN) / 1048576:.0f} MB，"
                    f"数据文件夹所在磁盘只有 {free / 1048576:.0f} MB 可用。恢复未进行，未做任何改动"
                )
            written = len(head)
            with work.open("wb") as f_out:
                f_out.write(head)
                while chunk := f_in.read(min(CHUNK, size - written + 1)):
                    written += len(chunk)
                    if written > size:
                        raise EpiError(
                            f"备份文件解压后超出其中数据库声明的大小（{size / 1048576:.1f} MB），"
                            f"可能是损坏或恶意的文件，已拒绝：{name}"
                        )
                    f_out.write(chunk)
                    pause_point("restore-decompressing")
            if written != size:
                raise EpiError(f"备份文件已损坏（内容不完整）：{name}")
    except OSError as exc:
        if disk_full(exc):  # the disk, not the backup: say so (the backup may be perfectly sound)
            raise DatabaseError(f"{disk_full_message()}（恢复未进行；备份文件本身未发现问题：{name}）") from None
        raise EpiError(f"备份文件已损坏或不是 EpiManager 备份：{name}（{exc}）") from None
    except EOFError as exc:
        raise EpiError(f"备份文件已损坏或不是 EpiManager 备份：{name}（{exc}）") from None


def inspect_backup(
    file: Path, work: Path, passphrase: str | None = None, free_space: Callable[[Path], int] | None = None
) -> RestoreCheck:
    """Decrypt/decompress ``file`` into ``work`` and check it is a sound EpiManager database."""
    if is_encrypted(file) and not passphrase:
        raise EpiError(f"备份文件已加密，需要备份密码：{file.name}")
    _decompress(file, work, passphrase if is_encrypted(file) else None, free_space or _free_space)
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
    return RestoreCheck(facts.own_unit, facts.revisions, facts.live_children, facts.users)


def file_unit(code: str | None) -> str:
    """The unit code as it may appear in a file name: 10 digits, else ``unknown`` (never a path)."""
    return code if code and is_unit_code(code) else "unknown"


#: How long a restore waits for a read of this program's own (a window's background count) to end
#: before it takes the file as held by another program.
IN_USE_SETTLE_S = 2.0


def _refuse_in_use(db: Database, settle_s: float = IN_USE_SETTLE_S) -> None:
    """Close our own connections; refuse while any other connection (process or window) holds the file.

    A connection of this program that a background read has checked out is closed as it returns
    (:meth:`Database.close`): the check is repeated for ``settle_s`` before the refusal.
    """
    deadline = time.monotonic() + settle_s
    while True:
        db.close()
        if not in_use(db.path):
            return
        if time.monotonic() >= deadline:
            raise DatabaseError(IN_USE)
        time.sleep(0.2)


def restore(
    db: Database,
    file: Path,
    *,
    allow_other_unit: bool = False,
    allow_no_users: bool = False,
    passphrase: str | None = None,
    user: str | None = None,
    free_space: Callable[[Path], int] | None = None,
) -> Path:
    """Replace the database with a verified backup; returns the safety copy's path.

    ``db`` is closed by this call (reopen it afterwards).  Refuses while another program or
    window has the database open (its later writes would vanish), a backup from a newer
    EpiManager, one from another unit unless ``allow_other_unit``, and — when this database
    has users — a backup without any user unless ``allow_no_users`` (which needs a
    系统管理员: restoring it turns login off); an encrypted backup needs its ``passphrase``
    (a wrong one changes nothing).  Needs the role 业务管理员.
    """
    permissions.check(db, "restore_backup")
    file = Path(file)
    if not file.exists():
        raise EpiError(f"找不到备份文件：{file}")
    own = db.config(OWN_UNIT_KEY)
    users_now = users_state(db.path, None)[0]
    with scratch(db.path, "restore") as tmp:  # a killed restore's plain copy is removed at the next start
        work = tmp / "restore.sqlite"
        info = inspect_backup(file, work, passphrase, free_space)
        unknown = info.revisions - known_revisions()
        if unknown:
            raise DatabaseError("此备份由更新版本的 EpiManager 创建，请先升级程序再恢复")
        if info.unit != own and not allow_other_unit:
            raise EpiError(f"此备份属于接种单位 {info.unit}，本机为 {own}；确认无误后才能恢复", fix="other_unit")
        if users_now and not info.users:
            if not allow_no_users:
                raise NoUsersInBackup(NO_USERS)
            permissions.check(db, "manage_users")
        _refuse_in_use(db)
        pause_point("restore-before-switch")
        safety = safety_copy(db.path, db.path.parent / "backups", "before-restore")
        _refuse_in_use(db)  # once more, right before the file is replaced
        remove_sidecars(db.path)
        os.replace(work, db.path)
    log.info("database restored from %s (safety copy %s)", file.name, safety.name)
    return safety
