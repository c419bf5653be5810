"""Where an import of a file got to, kept in the database in the same transactions as its rows.

An import commits its rows in chunks (another desk can save a dose between two of them), and
each chunk's transaction also records the file's last committed line under the file's SHA-256.
A run that was killed, cancelled or stopped by a busy database is run again with the same
command: it skips the lines already committed and says so. A file imported to the end is
refused the second time (its rows would all be new copies).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from epimanager.store.database import Database, get_config, set_config


@dataclass(frozen=True)
class Progress:
    line: int  # the last line whose chunk was committed
    imported: int  # rows imported so far
    at: str  # when the last chunk was committed
    done: bool


def _key(kind: str, sha256: str) -> str:
    return f"import.{kind}.{sha256[:40]}"


def load(db: Database, kind: str, sha256: str) -> Progress | None:
    with db.session() as s:
        raw = get_config(s, _key(kind, sha256))
    if not raw:
        return None
    d = json.loads(raw)
    return Progress(int(d["line"]), int(d["imported"]), str(d["at"]), bool(d["done"]))


def save(s: Session, kind: str, sha256: str, line: int, imported: int, *, done: bool) -> None:
    value = {"line": line, "imported": imported, "at": datetime.now().strftime("%Y-%m-%d %H:%M"), "done": done}
    set_config(s, _key(kind, sha256), json.dumps(value))
