"""``upgrade-history.json``: every apply and rollback, and which apply a rollback would undo.

An apply is journalled *before* the switch starts, in state ``switching``, and marked ``done``
when the switch has finished: a process killed anywhere in the switch leaves an entry that
``upgrade rollback`` undoes (and ``upgrade apply`` refuses to go on until it has).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from epimanager.upgrade.install.layout import UpgradeError

HISTORY = "upgrade-history.json"


@dataclass(frozen=True)
class HistoryEntry:
    at: str
    action: str  # "apply" | "rollback"
    from_version: str
    to_version: str
    package: str = ""
    package_sha256: str = ""
    key_id: str = ""
    notes: str = ""
    db_backup: str = ""
    db_sha256_before: str = ""
    db_sha256_after: str = ""
    schema_before: list[str] = field(default_factory=list)
    schema_after: list[str] = field(default_factory=list)
    overlay_before: str | None = None
    overlay_after: str | None = None
    #: "done", or "switching" while (or when killed while) the switch runs
    state: str = "done"

    @property
    def schema_changed(self) -> bool:
        return sorted(self.schema_before) != sorted(self.schema_after)


def read_history(install_root: Path) -> list[HistoryEntry]:
    path = Path(install_root) / HISTORY
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, json.JSONDecodeError) as exc:
        raise UpgradeError(f"升级记录文件无法读取：{path}（{exc}）") from exc
    names = set(HistoryEntry.__dataclass_fields__)
    return [HistoryEntry(**{k: v for k, v in item.items() if k in names}) for item in raw]


def _write(install_root: Path, entries: list[HistoryEntry]) -> None:
    path = Path(install_root) / HISTORY
    tmp = path.with_name(f".{HISTORY}.{os.getpid()}.tmp")
    with tmp.open("w", encoding="utf-8") as f:
        f.write(json.dumps([asdict(e) for e in entries], ensure_ascii=False, indent=1))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def append_history(install_root: Path, entry: HistoryEntry) -> None:
    _write(install_root, [*read_history(install_root), entry])


def finish_history(install_root: Path, entry: HistoryEntry) -> None:
    """Mark the journalled ``entry`` (the last one) ``done``."""
    entries = read_history(install_root)
    if entries and entries[-1] == entry:
        entries[-1] = replace(entry, state="done")
        _write(install_root, entries)


def history_bytes(install_root: Path) -> bytes | None:
    """The history file as it is (None: there is none), to be put back by :func:`put_back_history`."""
    try:
        return (Path(install_root) / HISTORY).read_bytes()
    except FileNotFoundError:
        return None


def put_back_history(install_root: Path, raw: bytes | None) -> None:
    """The history file exactly as :func:`history_bytes` saw it (the switch failed and was undone)."""
    path = Path(install_root) / HISTORY
    if raw is None:
        path.unlink(missing_ok=True)
        return
    tmp = path.with_name(f".{HISTORY}.{os.getpid()}.tmp")
    tmp.write_bytes(raw)
    os.replace(tmp, path)


def interrupted(install_root: Path) -> HistoryEntry | None:
    """The apply whose switch never finished (the program was killed), if any."""
    entry = undoable(install_root)
    return entry if entry is not None and entry.state == "switching" else None


def undoable(install_root: Path) -> HistoryEntry | None:
    """The most recent apply not yet rolled back."""
    stack: list[HistoryEntry] = []
    for e in read_history(install_root):
        if e.action == "apply":
            stack.append(e)
        elif e.action == "rollback" and stack:
            stack.pop()
    return stack[-1] if stack else None


def history_dicts(install_root: Path) -> list[dict[str, Any]]:
    return [asdict(e) for e in read_history(install_root)]
