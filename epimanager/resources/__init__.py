"""Locate and load reference data shipped inside this package (``epimanager/resources/``).

Order: ``EPIMANAGER_RESOURCES`` (a folder), else the package's own data files
(found through :mod:`importlib.resources`, so a wheel, an editable install and a
PyInstaller bundle all work).

Reference-data updates installed by an upgrade package take precedence file by
file: ``<overrides root>/current`` names the active folder under the overrides
root (``EPIMANAGER_RESOURCE_OVERRIDES``, else ``<data dir>/resources-overrides``).
"""

from __future__ import annotations

import json
import os
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from epimanager.domain.catalog import Catalog
from epimanager.paths import data_dir


def resources_dir() -> Path:
    env = os.environ.get("EPIMANAGER_RESOURCES")
    if env:
        return Path(env)
    return Path(str(files(__name__)))


def overrides_root() -> Path:
    env = os.environ.get("EPIMANAGER_RESOURCE_OVERRIDES")
    return Path(env) if env else data_dir() / "resources-overrides"


def overrides_dir() -> Path | None:
    """The active reference-data update folder, if an upgrade installed one."""
    root = overrides_root()
    try:
        name = (root / "current").read_text(encoding="utf-8").strip()
    except OSError:
        return None
    folder = root / name
    return folder if name and "/" not in name and "\\" not in name and folder.is_dir() else None


def resource_dirs() -> list[Path]:
    """Folders to look in, first match wins: the update folder, then the bundled one."""
    override = overrides_dir()
    return [override, resources_dir()] if override else [resources_dir()]


def resource_path(*parts: str) -> Path:
    for folder in resource_dirs():
        candidate = folder.joinpath(*parts)
        if candidate.exists():
            return candidate
    return resources_dir().joinpath(*parts)


def load_json(*parts: str) -> Any:
    with resource_path(*parts).open(encoding="utf-8") as f:
        return json.load(f)


@cache
def catalog() -> Catalog:
    """The bundled vaccine catalog (loaded once per process)."""
    return Catalog.from_dict(load_json("vaccines.json"))
