"""Where the data lives: platformdirs by default, overridable.

Precedence for the database file: ``--db PATH`` > ``EPIMANAGER_DB`` > the data
folder / ``epimanager.sqlite``.  The data folder is ``EPIMANAGER_DATA_DIR``, else
the folder chosen in the configuration tool (``location.json`` in the user
config folder), else the user data directory (``platformdirs``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from platformdirs import user_config_path, user_data_path

APP_NAME = "EpiManager"


def config_dir() -> Path:
    env = os.environ.get("EPIMANAGER_CONFIG_DIR")
    return Path(env) if env else user_config_path(APP_NAME, appauthor=False)


def location_file() -> Path:
    """Where the configuration tool records a data folder chosen by the user."""
    return config_dir() / "location.json"


def read_location() -> dict[str, object]:
    try:
        raw = json.loads(location_file().read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    return raw if isinstance(raw, dict) else {}


def configured_data_dir() -> Path | None:
    """The data folder chosen in the configuration tool (None = the default)."""
    value = read_location().get("data_dir")
    return Path(value) if isinstance(value, str) and value else None


def data_dir() -> Path:
    env = os.environ.get("EPIMANAGER_DATA_DIR")
    if env:
        return Path(env)
    return configured_data_dir() or user_data_path(APP_NAME, appauthor=False)


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
