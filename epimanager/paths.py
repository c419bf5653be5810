"""Where the data lives: platformdirs by default, overridable.

Precedence for the database file: ``--db PATH`` > ``EPIMANAGER_DB`` > the
user data directory (``platformdirs``) / ``epimanager.sqlite``.
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_path

APP_NAME = "EpiManager"


def data_dir() -> Path:
    env = os.environ.get("EPIMANAGER_DATA_DIR")
    if env:
        return Path(env)
    return user_data_path(APP_NAME, appauthor=False)


def default_db_path() -> Path:
    env = os.environ.get("EPIMANAGER_DB")
    if env:
        return Path(env)
    return data_dir() / "epimanager.sqlite"


def resolve_db_path(cli_value: str | os.PathLike[str] | None) -> Path:
    if cli_value:
        return Path(cli_value)
    return default_db_path()


def backup_dir_for(db_path: Path) -> Path:
    """Backups sit next to the database (``backups/``)."""
    return db_path.parent / "backups"
