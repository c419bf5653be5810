"""Temporary files in one place: ``tmp/`` in the data folder, one sub-folder per job and process.

A backup's snapshot, a restore's decompressed database, anything that holds a plain copy of
clinic data while a job runs lives under ``<data folder>/tmp/<job>-<pid>-<token>/`` — beside the
live database, never on a backup target — and is removed when the job ends.  A job killed
half-way (power cut, SIGKILL) leaves its folder; :func:`clean_scratch` removes the folders of
processes that are no longer running at the next start.  Partial files on a backup target are
named ``.<name>.<pid>.partial`` and cleaned the same way (:func:`clean_partials`).
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SCRATCH = "tmp"
#: On a system where a process id cannot be checked, leftovers older than this are removed.
_STALE_S = 24 * 3600
_NAME = re.compile(r"^[a-z-]+-(\d+)-[0-9a-f]+$")
_PARTIAL = re.compile(r"^\..+\.(\d+)\.partial$")
log = logging.getLogger(__name__)


def scratch_root(db_path: Path) -> Path:
    """``tmp/`` in the database's folder."""
    return Path(db_path).parent / SCRATCH


@contextmanager
def scratch(db_path: Path, job: str) -> Iterator[Path]:
    """A fresh folder ``tmp/<job>-<pid>-<token>/`` for one job, removed afterwards."""
    folder = scratch_root(db_path) / f"{job}-{os.getpid()}-{secrets.token_hex(4)}"
    folder.mkdir(parents=True)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def partial_name(target: Path) -> Path:
    """Where ``target`` is written before it is renamed into place (same folder, hidden)."""
    return target.with_name(f".{target.name}.{os.getpid()}.partial")


def _alive(pid: int, path: Path) -> bool:
    if pid == os.getpid():
        return True
    if os.name != "posix":  # os.kill(pid, 0) would end the process on Windows: go by age
        try:
            return time.time() - path.stat().st_mtime < _STALE_S
        except OSError:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_scratch(db_path: Path) -> int:
    """Remove what killed jobs left in ``tmp/``; returns how many were removed."""
    root = scratch_root(db_path)
    removed = 0
    if not root.is_dir():
        return 0
    for entry in root.iterdir():
        m = _NAME.match(entry.name)
        if m and _alive(int(m.group(1)), entry):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed += 1
    if removed:
        log.info("removed %d leftover temporary item(s) from %s", removed, root)
    return removed


#: What versions before the ``tmp/`` folder left when killed: ``tempfile`` folders holding only these.
_LEGACY_DIR = re.compile(r"^tmp[a-z0-9_]{8}$")
_LEGACY_CONTENT = frozenset({"snapshot.sqlite", "snapshot.sqlite-journal", "restore.sqlite", "restore.gz"})
_LEGACY_FILE = re.compile(r"^.+-\d{8}-\d{6}\.epibak\.(?:partial|sealed)$")


def clean_legacy(folder: Path) -> int:
    """Remove what a killed backup or restore of an earlier version left in ``folder`` (plain
    snapshots in ``tmpXXXXXXXX/`` folders, ``*.epibak.partial``/``.sealed`` files); nothing else."""
    removed = 0
    if not Path(folder).is_dir():
        return 0
    for entry in Path(folder).iterdir():
        if entry.is_dir() and not entry.is_symlink() and _LEGACY_DIR.match(entry.name):
            inside = {p.name for p in entry.iterdir()}
            if inside <= _LEGACY_CONTENT and all((entry / n).is_file() for n in inside):
                shutil.rmtree(entry, ignore_errors=True)
                removed += 1
        elif entry.is_file() and _LEGACY_FILE.match(entry.name):
            entry.unlink(missing_ok=True)
            removed += 1
    return removed


def clean_partials(folder: Path) -> int:
    """Remove ``.<name>.<pid>.partial`` files of processes that are no longer running."""
    removed = 0
    if not Path(folder).is_dir():
        return 0
    for entry in Path(folder).iterdir():
        m = _PARTIAL.match(entry.name)
        if m and entry.is_file() and not _alive(int(m.group(1)), entry):
            entry.unlink(missing_ok=True)
            removed += 1
    return removed
