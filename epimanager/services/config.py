"""配置工具: the unit (from the yearly unit-code list), 区域划分, folders, platform account,
and taking over an earlier installation's data folder.

Settings live in the database's ``app_config``:

- ``own_unit_code`` (shared with :mod:`epimanager.services.units`), ``config.unit_code_year``
- ``config.backup_dir``, ``config.install_root`` (development installs)
- ``sync.url`` / ``sync.token`` (shared with :mod:`epimanager.sync.config`), ``platform.user``

The data folder itself cannot live inside the database: :func:`move_data_dir` records it in
``location.json`` in the user config folder (``EPIMANAGER_CONFIG_DIR`` overrides), read by
:func:`configured_data_dir`.  Secrets (the token) are never returned unmasked by
:func:`show_config`.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from platformdirs import user_data_path
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epimanager.domain.identifiers import county_of, is_unit_code, unit_code_problem
from epimanager.errors import DatabaseError, EpiError, NotFoundError, ValidationError
from epimanager.paths import (
    APP_NAME,
    backup_dir_for,
    location_file,
    read_location,
)
from epimanager.resources import resource_dirs
from epimanager.services import permissions
from epimanager.services.database import OWN_UNIT_KEY, Database, get_config, open_database, set_config
from epimanager.services.units import UnitInfo, add_committee, unit_info
from epimanager.store.migrate import backup_copy
from epimanager.store.models import Child, Committee, Unit

UNIT_YEAR_KEY = "config.unit_code_year"
BACKUP_DIR_KEY = "config.backup_dir"
INSTALL_ROOT_KEY = "config.install_root"
PLATFORM_URL_KEY = "sync.url"
PLATFORM_TOKEN_KEY = "sync.token"
PLATFORM_USER_KEY = "platform.user"
DB_FILE = "epimanager.sqlite"

# ---------------------------------------------------------------- unit-code lists


@dataclass(frozen=True)
class UnitCodeEntry:
    code: str
    name: str
    county: str


def unit_code_years() -> list[int]:
    """Years with a list, newest first (bundled ``resources/unit_codes`` plus updates)."""
    years: set[int] = set()
    for folder in resource_dirs():
        for path in (folder / "unit_codes").glob("*.csv"):
            if re.fullmatch(r"\d{4}", path.stem):
                years.add(int(path.stem))
    return sorted(years, reverse=True)


def _unit_code_file(year: int) -> Path | None:
    for folder in resource_dirs():
        path = folder / "unit_codes" / f"{year}.csv"
        if path.exists():
            return path
    return None


def load_unit_codes(year: int | None = None) -> tuple[int, list[UnitCodeEntry]]:
    """(year, entries) of ``year``'s list, or of the newest one."""
    years = unit_code_years()
    if not years:
        raise NotFoundError("没有单位编码表（resources/unit_codes/<年份>.csv）")
    if year is None:
        year = years[0]
    path = _unit_code_file(year)
    if path is None:
        raise NotFoundError(f"没有 {year} 年的单位编码表（现有：{'、'.join(map(str, years))}）")
    entries: list[UnitCodeEntry] = []
    with path.open(encoding="utf-8-sig", newline="") as f:
        for line, row in enumerate(csv.DictReader(f), start=2):
            code = (row.get("code") or "").strip()
            name = (row.get("name") or "").strip()
            if not is_unit_code(code) or not name:
                raise EpiError(f"单位编码表 {path.name} 第 {line} 行格式不正确：{code!r}")
            entries.append(UnitCodeEntry(code, name, (row.get("county") or "").strip()))
    return year, entries


def search_unit_codes(query: str, year: int | None = None, limit: int = 200) -> list[UnitCodeEntry]:
    """Units whose code starts with ``query`` or whose name/county contains it."""
    _, entries = load_unit_codes(year)
    q = query.strip()
    if not q:
        return entries[:limit]
    hits = [e for e in entries if e.code.startswith(q) or q in e.name or q in e.county]
    return hits[:limit]


def find_unit_code(code: str, year: int | None = None) -> UnitCodeEntry | None:
    _, entries = load_unit_codes(year)
    return next((e for e in entries if e.code == code), None)


# ---------------------------------------------------------------- the configuration record


@dataclass(frozen=True)
class PlatformSettings:
    url: str | None
    user: str | None
    token: str | None

    @property
    def token_masked(self) -> str | None:
        if not self.token:
            return None
        return "已设置（" + "*" * 6 + "）"


@dataclass(frozen=True)
class ConfigRecord:
    unit_code: str | None
    unit_name: str | None
    unit_code_year: int | None
    committees: tuple[str, ...]
    db_path: str
    data_dir: str
    backup_dir: str
    install_root: str | None
    platform_url: str | None
    platform_user: str | None
    platform_token: str | None  # masked

    def to_json(self) -> dict[str, object]:
        return dict(self.__dict__)


def _get(db: Database, key: str) -> str | None:
    with db.session() as s:
        return get_config(s, key) or None


def backup_dir(db: Database) -> Path:
    """The configured backup folder, else ``backups/`` next to the database."""
    value = _get(db, BACKUP_DIR_KEY)
    return Path(value) if value else backup_dir_for(db.path)


def configured_install_root(db: Database) -> Path | None:
    value = _get(db, INSTALL_ROOT_KEY)
    return Path(value) if value else None


def platform_settings(db: Database) -> PlatformSettings:
    return PlatformSettings(_get(db, PLATFORM_URL_KEY), _get(db, PLATFORM_USER_KEY), _get(db, PLATFORM_TOKEN_KEY))


def show_config(db: Database) -> ConfigRecord:
    own = _get(db, OWN_UNIT_KEY)
    info = unit_info(db) if own else None
    year = _get(db, UNIT_YEAR_KEY)
    platform = platform_settings(db)
    root = configured_install_root(db)
    return ConfigRecord(
        unit_code=own,
        unit_name=info.name if info else None,
        unit_code_year=int(year) if year else None,
        committees=info.committees if info else (),
        db_path=str(db.path),
        data_dir=str(db.path.parent),
        backup_dir=str(backup_dir(db)),
        install_root=str(root) if root else None,
        platform_url=platform.url,
        platform_user=platform.user,
        platform_token=platform.token_masked,
    )


# ---------------------------------------------------------------- unit and 区域划分


@dataclass(frozen=True)
class SetUnitResult:
    info: UnitInfo
    listed: bool
    year: int | None
    warning: str | None


def set_unit(
    db: Database,
    code: str,
    name: str | None = None,
    *,
    allow_unlisted: bool = False,
    year: int | None = None,
) -> SetUnitResult:
    """Set the own unit from the unit-code list (name defaults to the list's).

    A database that already holds children keeps its unit code (child codes contain it).
    """
    code = code.strip()
    problem = unit_code_problem(code)
    if problem:
        raise ValidationError(problem)
    list_year, _ = load_unit_codes(year)
    entry = find_unit_code(code, list_year)
    warning = None
    if entry is None:
        if not allow_unlisted:
            raise ValidationError(
                f"单位编码 {code} 不在 {list_year} 年单位编码表中；请从编码表中选择，或确认无误后加 --allow-unlisted"
            )
        warning = f"注意：单位编码 {code} 不在 {list_year} 年单位编码表中，请与县级疾控核对"
    unit_name = (name or "").strip() or (entry.name if entry else "")
    if not unit_name:
        raise ValidationError("单位名称不能为空")
    permissions.check(db, None, "change_unit_config")
    with db.transaction() as s:
        current = get_config(s, OWN_UNIT_KEY)
        if current and current != code:
            children = s.scalar(select(func.count()).select_from(Child)) or 0
            if children:
                raise EpiError(
                    f"此数据库已有 {children} 个儿童个案，属于接种单位 {current}，不能改为 {code}"
                    "（儿童编码包含单位编码）"
                )
        unit = s.get(Unit, code)
        if unit is None:
            s.add(Unit(code=code, name=unit_name, level=4, county_code=county_of(code)))
            s.flush()
        else:
            unit.name = unit_name
        if current and current != code:
            for c in s.scalars(select(Committee).where(Committee.unit_code == current)):
                c.unit_code = code
        set_config(s, OWN_UNIT_KEY, code)
        set_config(s, UNIT_YEAR_KEY, str(list_year))
    return SetUnitResult(unit_info(db), entry is not None, list_year, warning)


@dataclass(frozen=True)
class CommitteeRecord:
    code: str
    name: str
    active: bool


def list_committees(db: Database) -> list[CommitteeRecord]:
    own = db.own_unit_code()
    with db.session() as s:
        rows = s.scalars(select(Committee).where(Committee.unit_code == own).order_by(Committee.code))
        return [CommitteeRecord(c.code, c.name, c.active) for c in rows]


def _committee(s: Session, own: str, name: str) -> Committee:
    c = s.scalar(select(Committee).where(Committee.unit_code == own, Committee.name == name.strip()))
    if c is None:
        raise NotFoundError(f"没有名为“{name}”的区域划分")
    return c


def rename_committee(db: Database, old: str, new: str) -> CommitteeRecord:
    new = new.strip()
    if not new:
        raise ValidationError("区域划分名称不能为空")
    own = db.own_unit_code()
    with db.transaction() as s:
        c = _committee(s, own, old)
        clash = s.scalar(select(Committee).where(Committee.unit_code == own, Committee.name == new))
        if clash is not None and clash.id != c.id:
            raise ValidationError(f"已有名为“{new}”的区域划分")
        c.name = new
        return CommitteeRecord(c.code, c.name, c.active)


def set_committee_active(db: Database, name: str, active: bool) -> CommitteeRecord:
    """停用 / 启用 (a 区域划分 is never deleted: children refer to it)."""
    own = db.own_unit_code()
    with db.transaction() as s:
        c = _committee(s, own, name)
        c.active = active
        return CommitteeRecord(c.code, c.name, c.active)


def add_committees(db: Database, names: list[str]) -> list[str]:
    return [add_committee(db, n) for n in names]


# ---------------------------------------------------------------- folders and platform


def _writable_dir(path: Path, what: str) -> Path:
    path = Path(path).expanduser().absolute()
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise ValidationError(f"{what}无法写入：{path}（{exc.strerror or exc}）") from exc
    return path


def set_backup_dir(db: Database, path: Path) -> Path:
    permissions.check(db, None, "change_unit_config")
    folder = _writable_dir(path, "备份文件夹")
    with db.transaction() as s:
        set_config(s, BACKUP_DIR_KEY, str(folder))
    return folder


def set_install_root(db: Database, path: Path) -> Path:
    permissions.check(db, None, "change_unit_config")
    folder = _writable_dir(path, "程序安装文件夹")
    with db.transaction() as s:
        set_config(s, INSTALL_ROOT_KEY, str(folder))
    return folder


def check_platform_url(url: str) -> str:
    url = url.strip()
    if not re.match(r"^https?://[^\s/]+", url):
        raise ValidationError(f"平台地址应以 http:// 或 https:// 开头：{url}")
    return url.rstrip("/")


def set_platform(
    db: Database, *, url: str | None = None, user: str | None = None, token: str | None = None
) -> PlatformSettings:
    """Change the given platform settings (None = keep, "" = clear)."""
    permissions.check(db, None, "change_unit_config")
    with db.transaction() as s:
        if url is not None:
            set_config(s, PLATFORM_URL_KEY, check_platform_url(url) if url.strip() else "")
        if user is not None:
            set_config(s, PLATFORM_USER_KEY, user.strip())
        if token is not None:
            set_config(s, PLATFORM_TOKEN_KEY, token.strip())
    return platform_settings(db)


def _previous_dirs() -> list[str]:
    value = read_location().get("previous", [])
    return [p for p in value if isinstance(p, str)] if isinstance(value, list) else []


def move_data_dir(db_path: Path, new_dir: Path) -> Path:
    """Copy the database into ``new_dir`` and make that the data folder.

    The old folder is left as it is (nothing is moved or deleted).
    """
    db_path = Path(db_path)
    target_dir = _writable_dir(new_dir, "数据文件夹")
    target = target_dir / DB_FILE
    if target.resolve() == db_path.resolve():
        raise ValidationError("新数据文件夹与当前相同")
    if target.exists():
        raise ValidationError(f"新数据文件夹中已有数据库：{target}；如需使用其中的数据，请用“接管旧数据”")
    if db_path.exists():
        tmp = target.with_name(f".{DB_FILE}.copy")
        _sqlite_backup(db_path, tmp)
        os.replace(tmp, target)
    previous = _previous_dirs()
    if str(db_path.parent) not in previous:
        previous.append(str(db_path.parent))
    path = location_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp_loc = path.with_name(path.name + ".tmp")
    tmp_loc.write_text(
        json.dumps({"data_dir": str(target_dir), "previous": previous}, ensure_ascii=False, indent=1),
        encoding="utf-8",
    )
    os.replace(tmp_loc, path)
    return target


# ---------------------------------------------------------------- taking over an earlier installation


@dataclass(frozen=True)
class PreviousInstall:
    db_path: Path
    unit_code: str | None
    unit_name: str | None
    children: int
    doses: int
    modified: datetime

    def describe(self) -> str:
        unit = f"{self.unit_code} {self.unit_name or ''}".strip() if self.unit_code else "未设置单位"
        return (
            f"{self.db_path}（{unit}；儿童 {self.children} 人，接种 {self.doses} 剂；{self.modified:%Y-%m-%d %H:%M}）"
        )


def _sqlite_backup(src: Path, dst: Path) -> None:
    dst.unlink(missing_ok=True)
    s = sqlite3.connect(src)
    try:
        d = sqlite3.connect(dst)
        try:
            s.backup(d)
        finally:
            d.close()
    finally:
        s.close()


def find_database(old: Path) -> Path:
    """The EpiManager database in a data folder (or the file itself)."""
    old = Path(old)
    if old.is_file():
        return old
    if not old.is_dir():
        raise NotFoundError(f"文件夹不存在：{old}")
    preferred = old / DB_FILE
    if preferred.is_file():
        return preferred
    candidates = sorted(p for p in old.glob("*.sqlite") if p.is_file())
    if len(candidates) == 1:
        return candidates[0]
    raise NotFoundError(f"在 {old} 中没有找到 EpiManager 数据库（{DB_FILE}）")


def _snapshot_readonly(db_file: Path, workdir: Path) -> Path:
    """Copy the file (and its -wal) byte for byte, never opening the original with SQLite."""
    copy = workdir / "source.sqlite"
    shutil.copyfile(db_file, copy)
    wal = db_file.with_name(db_file.name + "-wal")
    if wal.exists():
        shutil.copyfile(wal, copy.with_name(copy.name + "-wal"))
    return copy


def _describe_copy(copy: Path, original: Path) -> PreviousInstall:
    try:
        con = sqlite3.connect(copy)
        try:
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if "alembic_version" not in tables or "child" not in tables:
                raise ValidationError(f"不是 EpiManager 数据库：{original}")
            ok = con.execute("PRAGMA quick_check").fetchone()
            if not ok or ok[0] != "ok":
                raise DatabaseError(f"旧数据库已损坏（{ok[0] if ok else '?'}）：{original}")
            row = con.execute("SELECT value FROM app_config WHERE key = ?", (OWN_UNIT_KEY,)).fetchone()
            code = row[0] if row else None
            name_row = con.execute("SELECT name FROM unit WHERE code = ?", (code,)).fetchone() if code else None
            children = con.execute("SELECT count(*) FROM child").fetchone()[0]
            doses = con.execute("SELECT count(*) FROM dose").fetchone()[0] if "dose" in tables else 0
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"不是有效的数据库或已损坏：{original}（{exc}）") from exc
    return PreviousInstall(
        original,
        code,
        name_row[0] if name_row else None,
        int(children),
        int(doses),
        datetime.fromtimestamp(original.stat().st_mtime),
    )


def inspect_previous(old: Path) -> PreviousInstall:
    db_file = find_database(old)
    with tempfile.TemporaryDirectory(prefix="epimanager-inspect-") as tmp:
        return _describe_copy(_snapshot_readonly(db_file, Path(tmp)), db_file)


def previous_install_candidates() -> list[Path]:
    """Folders where an earlier installation may have kept its data."""
    found: list[Path] = []
    env = os.environ.get("EPIMANAGER_PREVIOUS_DATA_DIRS", "")
    found += [Path(p) for p in env.split(os.pathsep) if p]
    found += [Path(p) for p in _previous_dirs()]
    found.append(user_data_path(APP_NAME, appauthor=False))
    return found


def detect_previous_installs(current_db: Path, candidates: list[Path] | None = None) -> list[PreviousInstall]:
    """Earlier data folders holding an EpiManager database other than ``current_db``."""
    seen: set[Path] = set()
    result: list[PreviousInstall] = []
    current = Path(current_db).resolve()
    for folder in candidates if candidates is not None else previous_install_candidates():
        try:
            db_file = find_database(folder).resolve()
        except EpiError:
            continue
        if db_file == current or db_file in seen:
            continue
        seen.add(db_file)
        try:
            result.append(inspect_previous(db_file))
        except EpiError:
            continue
    return result


def _ensure_not_in_use(db_path: Path) -> None:
    try:
        con = sqlite3.connect(db_path, timeout=5)
        try:
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"当前数据库无法打开（{exc}）：{db_path}") from exc
    if db_path.with_name(db_path.name + "-wal").exists():
        raise DatabaseError("当前数据库正被其他程序使用（请先关闭所有 EpiManager 窗口），未做任何改动")


def _count_children(db_path: Path) -> int:
    if not db_path.exists():
        return 0
    try:
        con = sqlite3.connect(db_path)
        try:
            return int(con.execute("SELECT count(*) FROM child").fetchone()[0])
        finally:
            con.close()
    except sqlite3.DatabaseError:
        return 0


@dataclass(frozen=True)
class TakeoverResult:
    source: Path
    db_path: Path
    unit_code: str | None
    children: int
    doses: int
    previous_saved_as: Path | None
    backups_copied: int


def takeover(old: Path, db_path: Path, *, force: bool = False) -> TakeoverResult:
    """Copy an earlier installation's database into ``db_path`` and migrate it.

    The old folder is only read.  A current database that already has children is
    replaced only with ``force`` (and is backed up first).
    """
    db_path = Path(db_path)
    source = find_database(old)
    if source.resolve() == db_path.resolve():
        raise ValidationError("这就是当前正在使用的数据库，无需接管")
    existing = _count_children(db_path)
    if existing and not force:
        raise ValidationError(
            f"当前数据库已有 {existing} 个儿童个案；接管会用旧数据替换它。确认请加 --force（当前数据库会先备份）"
        )
    db_path.parent.mkdir(parents=True, exist_ok=True)
    if db_path.exists():
        _ensure_not_in_use(db_path)
    work = db_path.with_name(f".{db_path.name}.takeover")
    saved: Path | None = None
    try:
        with tempfile.TemporaryDirectory(prefix="epimanager-takeover-") as tmp:
            snap = _snapshot_readonly(source, Path(tmp))
            info = _describe_copy(snap, source)
            _sqlite_backup(snap, work)
            migrated = open_database(work, backup_dir=Path(tmp) / "backups")
            migrated.close()
        if db_path.exists():
            saved = backup_copy(db_path, backup_dir_for(db_path), "before-takeover")
        for suffix in ("-wal", "-shm"):
            work.with_name(work.name + suffix).unlink(missing_ok=True)
            db_path.with_name(db_path.name + suffix).unlink(missing_ok=True)
        os.replace(work, db_path)
    except BaseException:
        for suffix in ("", "-wal", "-shm"):
            work.with_name(work.name + suffix).unlink(missing_ok=True)
        raise
    copied = 0
    old_backups = source.parent / "backups"
    if old_backups.is_dir():
        new_backups = backup_dir_for(db_path)
        new_backups.mkdir(parents=True, exist_ok=True)
        for f in sorted(old_backups.iterdir()):
            if f.is_file() and not (new_backups / f.name).exists():
                shutil.copy2(f, new_backups / f.name)
                copied += 1
    return TakeoverResult(source, db_path, info.unit_code, info.children, info.doses, saved, copied)


def read_config_value(db_path: Path, key: str) -> str | None:
    """One ``app_config`` value read with plain SQLite (no migration, no write); None if absent."""
    db_path = Path(db_path)
    if not db_path.exists():
        return None
    try:
        con = sqlite3.connect(db_path)
        try:
            row = con.execute("SELECT value FROM app_config WHERE key = ?", (key,)).fetchone()
        finally:
            con.close()
    except sqlite3.DatabaseError:
        return None
    return str(row[0]) if row and row[0] else None
