"""The install root's layout, the pointer files that name the active version, and the upgrade error.

Layout under the install root (the folder holding the PyInstaller one-folder builds, or a
folder named in the configuration for a development install)::

    current                    the installed package level, e.g. ``0.2.0`` (temp + os.replace)
    versions/<version>/        program files of each version, side by side
    versions/<version>.staging while a package is being staged
    upgrade-history.json       every apply and rollback

Reference data go to ``<overrides root>/<version>/`` (see :mod:`epimanager.resources`);
the overrides root's own ``current`` pointer names the active folder.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from epimanager import __version__
from epimanager.errors import EpiError
from epimanager.paths import backup_dir_for
from epimanager.resources import overrides_root
from epimanager.upgrade.manifest import PackageError, parse_version

Progress = Callable[[int, str], None]


CURRENT = "current"


class UpgradeError(EpiError):
    """The upgrade failed or was refused; the previous state is intact."""

    exit_code = 4


@dataclass(frozen=True)
class Target:
    """Where an upgrade writes: program root, database, backups, reference-data overrides."""

    install_root: Path
    db_path: Path
    backup_dir: Path
    overrides_root: Path

    @classmethod
    def for_database(cls, db_path: Path, install_root: Path | None = None) -> Target:
        db_path = Path(db_path)
        return cls(
            Path(install_root) if install_root else default_install_root(db_path),
            db_path,
            backup_dir_for(db_path),
            overrides_root(),
        )

    @property
    def versions_dir(self) -> Path:
        return self.install_root / "versions"


def default_install_root(db_path: Path) -> Path:
    """``EPIMANAGER_INSTALL_ROOT``; the frozen build's root; else ``program/`` next to the database."""
    env = os.environ.get("EPIMANAGER_INSTALL_ROOT")
    if env:
        return Path(env)
    frozen = frozen_install_root()
    if frozen is not None:
        return frozen
    return Path(db_path).parent / "program"


def frozen_install_root() -> Path | None:
    if not getattr(sys, "frozen", False):
        return None
    exe_dir = Path(sys.executable).resolve().parent
    return exe_dir.parent.parent if exe_dir.parent.name == "versions" else exe_dir


def current_version(install_root: Path) -> str:
    """The installed package level: the ``current`` pointer, else this program's version."""
    text = read_pointer(Path(install_root) / CURRENT)
    if text is None:
        return __version__
    try:
        parse_version(text)
    except PackageError:
        return __version__
    return text


def write_pointer(path: Path, value: str) -> None:
    """Write a one-line pointer file atomically (temp file + fsync + os.replace)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("w", encoding="utf-8") as f:
        f.write(value + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def read_pointer(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def restore_pointer(path: Path, value: str | None) -> None:
    if value is None:
        path.unlink(missing_ok=True)
    else:
        write_pointer(path, value)


def stamp() -> str:
    return datetime.now().strftime("%Y%m%d-%H%M%S-%f")


def silent(_percent: int, _message: str) -> None:
    return None
