"""User preferences of the desktop client, typed and Qt-free.

Declared once here (dataclasses), read by attribute, persisted as JSON in
``<data dir>/settings.json`` (``EPIMANAGER_SETTINGS`` overrides the file for
tests and portable installs).  Window geometry is *not* a preference and is
kept apart (the GUI stores it with ``QSettings``).

Only differences from the defaults are meaningful for shortcuts: the file
keeps the shortcut overrides the user made, nothing else.  Older files are
brought up to :data:`SCHEMA_VERSION` by the ordered :data:`MIGRATIONS`; a
file that cannot be read is set aside (``settings.json.bad``) and defaults
are used, so a broken preference file never stops a clinic from working.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from epimanager.paths import data_dir

log = logging.getLogger("epimanager.settings")

SCHEMA_VERSION = 3
FILE_NAME = "settings.json"
ENV_FILE = "EPIMANAGER_SETTINGS"


class PlaceDisplay(StrEnum):
    """How the 接种登记 grid shows where a dose was given (SEED: 外地 / 名称 / 编码)."""

    OTHER = "other"  # only mark doses given elsewhere as 外地
    NAME = "name"  # the unit's name
    CODE = "code"  # the unit's 10-digit code


class Language(StrEnum):
    ZH_CN = "zh_CN"
    EN = "en"


#: Fields the left 基本资料 panel can show, in their default order.
CHILD_FIELDS: tuple[str, ...] = (
    "code",
    "name",
    "sex",
    "birth_date",
    "age",
    "mother_name",
    "father_name",
    "phone",
    "id_number",
    "committee",
    "address",
    "residence",
    "status",
    "birth_cert_no",
    "birth_time",
    "birth_weight_kg",
    "mother_id_number",
    "father_id_number",
    "hukou_county",
    "school",
    "mother_hbsag",
    "allergy",
    "remark",
    "managing_unit",
    "created_at",
)
DEFAULT_PANEL_FIELDS: tuple[str, ...] = (
    "code",
    "name",
    "sex",
    "birth_date",
    "age",
    "mother_name",
    "father_name",
    "phone",
    "id_number",
    "committee",
    "address",
    "residence",
    "status",
    "mother_hbsag",
    "allergy",
    "remark",
)

#: What the 接种登记 grid can show: per-vaccine columns and per-dose details.
GRID_FIELDS: tuple[str, ...] = (
    "status",  # forecast state (应种 / 超期未种 / 未到期 / 已完成)
    "next_dose",  # next dose number
    "earliest",  # earliest date of the next dose
    "place",  # per dose: where it was given
    "evaluation",  # per dose: 及时 / 合格 / 超期 / 首针提前 / 间短 …
    "batch",  # per dose: batch number
    "manufacturer",
    "nurse",
)
DEFAULT_GRID_FIELDS: tuple[str, ...] = ("status", "next_dose", "earliest", "place", "evaluation")


@dataclass(frozen=True)
class Settings:
    """Every user preference, with its default."""

    schema_version: int = SCHEMA_VERSION
    #: action id → key sequence text (portable form, e.g. "Ctrl+N"); only keys that differ
    #: from the registry's default are kept; "" means "no key".
    shortcuts: dict[str, str] = field(default_factory=dict)
    #: 是否显示快捷键提示 on the shortcut bar
    show_shortcut_hints: bool = True
    panel_fields: tuple[str, ...] = DEFAULT_PANEL_FIELDS
    grid_fields: tuple[str, ...] = DEFAULT_GRID_FIELDS
    place_display: PlaceDisplay = PlaceDisplay.NAME
    language: Language = Language.ZH_CN
    #: 接种护士 proposed on new doses ("" = the logged-in user's real name); a login never changes it
    nurse: str = ""
    #: lock the screen after this many idle minutes (0 = never)
    idle_lock_minutes: int = 10
    #: the clinic-flow desk this PC works at (预检台, 登记台, 1号接种台 …, 留观台, 综合; "" = no flow here)
    desk: str = ""
    #: 叫号屏: speak each call aloud (where the system has a Chinese voice); the chime sounds either way
    calling_speech: bool = True

    def with_shortcut(self, action_id: str, key: str, default: str) -> Settings:
        """A copy with ``action_id`` bound to ``key``; stored only if it differs from ``default``."""
        shortcuts = dict(self.shortcuts)
        if key == default:
            shortcuts.pop(action_id, None)
        else:
            shortcuts[action_id] = key
        return replace(self, shortcuts=shortcuts)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["panel_fields"] = list(self.panel_fields)
        d["grid_fields"] = list(self.grid_fields)
        d["place_display"] = self.place_display.value
        d["language"] = self.language.value
        return d


def settings_path() -> Path:
    env = os.environ.get(ENV_FILE)
    if env:
        return Path(env)
    return data_dir() / FILE_NAME


# -- migrations ------------------------------------------------------------------


def _v1_to_v2(d: dict[str, Any]) -> dict[str, Any]:
    """v1 kept ``place_display`` as the Chinese label and ``hints`` as the toggle name."""
    d = dict(d)
    labels = {"外地": "other", "名称": "name", "编码": "code"}
    if "place_display" in d:
        d["place_display"] = labels.get(d["place_display"], d["place_display"])
    if "hints" in d:
        d["show_shortcut_hints"] = d.pop("hints")
    return d


def _v2_to_v3(d: dict[str, Any]) -> dict[str, Any]:
    """v2's ``nurse`` defaulted to the placeholder 护士, which v3 means as "the logged-in user"."""
    d = dict(d)
    if d.get("nurse") == "护士":
        d["nurse"] = ""
    return d


#: ``MIGRATIONS[n]`` turns a version-n dict into version n+1.
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _v1_to_v2, 2: _v2_to_v3}


def _schema_version(d: dict[str, Any]) -> int:
    version = d.get("schema_version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError(f"schema_version 无效：{str(version)[:40]}")
    return version


def migrate(d: dict[str, Any]) -> dict[str, Any]:
    version = _schema_version(d)
    if version > SCHEMA_VERSION:
        raise ValueError(f"设置文件来自更新的版本（{version}）")
    while version < SCHEMA_VERSION:
        d = MIGRATIONS[version](d)
        version += 1
        d["schema_version"] = version
    return d


# -- reading and writing -------------------------------------------------------------


def _only_known(values: Any, known: tuple[str, ...], default: tuple[str, ...]) -> tuple[str, ...]:
    if not isinstance(values, list):
        return default
    out = [v for v in values if isinstance(v, str) and v in known]
    return tuple(dict.fromkeys(out))


def from_json(d: dict[str, Any]) -> Settings:
    """Build settings from a (migrated) dict; unknown keys and bad values fall back to defaults."""
    d = migrate(dict(d))
    base = Settings()
    shortcuts = d.get("shortcuts", {})
    if not isinstance(shortcuts, dict):
        shortcuts = {}
    values: dict[str, Any] = {
        "shortcuts": {str(k): str(v) for k, v in shortcuts.items()},
        "panel_fields": _only_known(d.get("panel_fields"), CHILD_FIELDS, base.panel_fields),
        "grid_fields": _only_known(d.get("grid_fields"), GRID_FIELDS, base.grid_fields),
    }
    try:
        values["place_display"] = PlaceDisplay(d.get("place_display", base.place_display))
    except ValueError:
        values["place_display"] = base.place_display
    try:
        values["language"] = Language(d.get("language", base.language))
    except ValueError:
        values["language"] = base.language
    hints = d.get("show_shortcut_hints", base.show_shortcut_hints)
    values["show_shortcut_hints"] = hints if isinstance(hints, bool) else base.show_shortcut_hints
    nurse = d.get("nurse", base.nurse)
    values["nurse"] = nurse.strip() if isinstance(nurse, str) else base.nurse
    idle = d.get("idle_lock_minutes", base.idle_lock_minutes)
    ok = isinstance(idle, int) and not isinstance(idle, bool) and 0 <= idle <= 24 * 60
    values["idle_lock_minutes"] = idle if ok else base.idle_lock_minutes
    desk = d.get("desk", base.desk)
    values["desk"] = desk.strip()[:40] if isinstance(desk, str) else base.desk
    speech = d.get("calling_speech", base.calling_speech)
    values["calling_speech"] = speech if isinstance(speech, bool) else base.calling_speech
    known = {f.name for f in fields(Settings)}
    assert set(values) <= known
    return replace(base, **values)


#: What a damaged file can raise while it is read and understood (bad bytes and bad JSON are
#: ValueErrors; values of the wrong type TypeErrors; very deep nesting a RecursionError).
_UNREADABLE = (ValueError, TypeError, KeyError, RecursionError)


def load(path: Path | None = None) -> Settings:
    """The saved settings, or the defaults when there is no (readable) file.

    A file that cannot be used — not UTF-8, not JSON, not an object, a bad ``schema_version``,
    nesting too deep, a directory or an unreadable file in its place — is moved aside
    (``settings.json.bad``, or ``.bad.2`` … when that name is taken) and the defaults are used.
    """
    path = path or settings_path()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Settings()
    except OSError as exc:  # a directory in its place, no permission to read
        return _set_aside(path, exc)
    try:
        data = json.loads(raw.decode("utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not an object")
        return from_json(data)
    except _UNREADABLE as exc:
        return _set_aside(path, exc)


def _set_aside(path: Path, problem: BaseException) -> Settings:
    reason = f"{type(problem).__name__}: {str(problem)[:200]}"
    for n in range(1, 100):
        bad = path.with_name(path.name + (".bad" if n == 1 else f".bad.{n}"))
        if bad.exists() or bad.is_symlink():
            continue
        try:
            os.replace(path, bad)
        except OSError as exc:
            log.warning("settings file %s unusable (%s) and not moved (%s); using defaults", path, reason, exc)
            return Settings()
        log.warning("settings file %s unusable (%s); moved to %s, using defaults", path, reason, bad)
        return Settings()
    log.warning("settings file %s unusable (%s); using defaults", path, reason)
    return Settings()


def save(settings: Settings, path: Path | None = None) -> Path:
    """Write atomically (temp file + rename) so a power cut never leaves half a file."""
    path = path or settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(settings.to_json(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path
