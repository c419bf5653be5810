"""``upgrade-history.json``: every apply and rollback, and which apply a rollback would undo."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
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


def append_history(install_root: Path, entry: HistoryEntry) -> None:
    entries = [asdict(e) for e in read_history(install_root)] + [asdict(entry)]
    path = Path(install_root) / HISTORY
    tmp = path.with_name(f".{HISTORY}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(entries, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


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
